//! TLS for the one listener (rustls on the ring provider): the certificate, key and client CA
//! come from PEM files that are re-read when any of them changes. Each new handshake takes the
//! configuration in use at that moment, so open connections keep the one they started with.
//! With a client CA the server asks for a client certificate and verifies it against that CA;
//! connections without one are still accepted (their calls authenticate with headers).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// Where the listener's certificate, key and (optionally) client CA are, from the settings.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, the server's own certificate first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM certificates of the CA that signs client certificates; none asks for no client
    /// certificate.
    pub client_ca: Option<PathBuf>,
    /// How often the files are checked for changes.
    pub reload_interval: Duration,
}

/// The listener's TLS: the acceptor built from the files as they were last read whole.
#[derive(Clone)]
pub struct Tls {
    current: Arc<RwLock<TlsAcceptor>>,
    files: TlsFiles,
}

impl Tls {
    /// Reads the files; any that is missing, unreadable or does not hold what it should stops
    /// the start with a message naming it.
    pub fn load(files: TlsFiles) -> Result<Self, String> {
        let acceptor = build_acceptor(&files)?;
        Ok(Self { current: Arc::new(RwLock::new(acceptor)), files })
    }

    /// The acceptor for the next handshake (a cheap handle on the configuration in use).
    pub fn acceptor(&self) -> TlsAcceptor {
        self.current.read().expect("TLS configuration lock").clone()
    }

    pub fn asks_client_certificates(&self) -> bool {
        self.files.client_ca.is_some()
    }

    /// Re-reads the certificate, key and client CA whenever one file's modification time or
    /// size changes, until `stop` changes. Files that do not load together (half written, a
    /// mismatched pair, no CA certificate) are logged and the configuration in use kept; they
    /// are tried again once the files change again.
    pub async fn reload_on_change(self, mut stop: watch::Receiver<bool>) {
        let mut seen = stamp(&self.files);
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.files.reload_interval) => {}
                _ = stop.changed() => return,
            }
            let now = stamp(&self.files);
            if now == seen {
                continue;
            }
            seen = now;
            match build_acceptor(&self.files) {
                Ok(acceptor) => {
                    *self.current.write().expect("TLS configuration lock") = acceptor;
                    tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                }
                Err(e) => tracing::error!(error = %e, "TLS files not reloaded; the configuration in use stays"),
            }
        }
    }
}

/// The server configuration the files describe.
fn build_acceptor(files: &TlsFiles) -> Result<TlsAcceptor, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let pair = load_pair(&files.cert, &files.key, &provider)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS protocol versions: {e}"))?;
    let builder = match &files.client_ca {
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for cert in read_certificates(path)? {
                roots.add(cert).map_err(|e| format!("{}: not a CA certificate: {e}", path.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                // A connection without a certificate authenticates each call with headers.
                .allow_unauthenticated()
                .build()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(pair)));
    // gRPC needs HTTP/2; REST and grpc-web clients may speak HTTP/1.1.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// What tells that a file changed: its modification time and size (`None` when unreadable).
type Stamp = [Option<(SystemTime, u64)>; 3];

fn stamp(files: &TlsFiles) -> Stamp {
    let of =
        |path: &Path| std::fs::metadata(path).ok().map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
    [of(&files.cert), of(&files.key), files.client_ca.as_deref().and_then(of)]
}

/// The certificate chain and its key, checked to belong together.
fn load_pair(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let chain = read_certificates(cert)?;
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("{}: no readable PEM private key: {e}", key.display()))?;
    CertifiedKey::from_der(chain, key_der, provider)
        .map_err(|e| format!("{} and {}: not a usable certificate and key: {e}", cert.display(), key.display()))
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: no readable PEM certificates: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: holds no PEM certificate", path.display()));
    }
    Ok(certs)
}
