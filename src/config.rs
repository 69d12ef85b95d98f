//! Settings, layered: built-in defaults, then a TOML file, then `AGENTPORT_*` environment
//! variables, then command-line flags. Credentials inside settings are never printed.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

/// Everything the service can be told.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address of the one listener serving gRPC (and HTTP). Default `127.0.0.1:50051`.
    pub listen: SocketAddr,
    /// `sqlite://path` (created on first start) or `postgres://user@host/db`.
    /// Default `sqlite://agentport.db`.
    pub database_url: String,
    /// How often the health check pings the database, in milliseconds. Default 5000.
    pub health_check_interval_ms: u64,
    /// Largest accepted request message, in bytes. Default 16 MiB.
    pub max_request_bytes: usize,
    /// `text` (default) or `json` log lines.
    pub log_format: LogFormat,
    /// Job engine workers in this process; 0 leaves background jobs to other replicas. Default 2.
    pub job_workers: usize,
    /// How often an idle worker looks for background jobs, in milliseconds. Default 500.
    pub job_poll_interval_ms: u64,
    /// How long a worker's claim on a job lasts without a heartbeat, in milliseconds. Default 30000.
    pub job_lease_ms: u64,
    /// Starts after which a job whose workers keep dying is failed. Default 3.
    pub job_max_attempts: i32,
    /// How long finished jobs are kept, in hours. Default 720 (30 days).
    pub job_retention_hours: u64,
    /// How often `WatchJob` looks for changes, in milliseconds. Default 250.
    pub watch_interval_ms: u64,
    /// How long an unfinished upload of content (a document, a bundle being imported) is kept
    /// before the job engine sweeps it, in minutes. Default 60.
    pub blob_upload_grace_minutes: u64,
    /// Key for bundle checksums: HMAC-SHA256 when set, plain SHA-256 when not. Never logged.
    pub export_key: Option<SecretString>,
    /// Master key of encryption at rest: base64 of 32 random bytes. Never logged. Set this or
    /// `master_key_file`; with neither, a SQLite database gets a key file generated beside it
    /// (`<database>.master-key`), and PostgreSQL stores no credentials.
    pub master_key: Option<SecretString>,
    /// File holding the master key (base64 of 32 random bytes).
    pub master_key_file: Option<std::path::PathBuf>,
    /// The master key being replaced, during a rotation: data keys it wrapped still unwrap.
    pub master_key_previous: Option<SecretString>,
    /// File holding the master key being replaced.
    pub master_key_previous_file: Option<std::path::PathBuf>,
    /// Accept bundles whose checksum does not verify (e.g. exports of another service whose
    /// key is unknown). Default false.
    pub allow_unverified_bundles: bool,
    /// Largest document content, in bytes. Default 268435456 (256 MiB).
    pub max_document_bytes: u64,
    /// Largest bundle an import accepts (streamed), in bytes. Default 4294967296 (4 GiB).
    pub max_bundle_bytes: u64,
    /// Most documents one knowledge base may hold. Default 1000.
    pub max_documents_per_knowledge_base: usize,
    /// Most agent ids one export may name. Default 100.
    pub max_export_agents: usize,
    /// Deepest chain of sub-agents an export or template may hold. Default 10.
    pub max_sub_agent_depth: usize,
    /// Shared secret for HS256 bearer tokens, at least 32 bytes. Never logged.
    pub jwt_hs256_secret: Option<SecretString>,
    /// JWKS file with the RSA (RS256) and EC (ES256) public keys of bearer tokens.
    pub jwks_file: Option<std::path::PathBuf>,
    /// Required `iss` of bearer tokens, when set.
    pub jwt_issuer: Option<String>,
    /// Required `aud` of bearer tokens, when set.
    pub jwt_audience: Option<String>,
    /// Claim of bearer tokens that names the tenant. Default `tenant`.
    pub jwt_tenant_claim: String,
    /// Clock difference forgiven when checking `exp`, `nbf` and `iat`, in seconds. Default 30.
    pub jwt_leeway_secs: u64,
    /// Accept API keys (`x-api-key`). Default false.
    pub auth_api_keys: bool,
    /// Tenant of xpander-dialect REST calls (their paths name none) when the credentials name
    /// none, i.e. with authentication off. Default `default`.
    pub rest_default_tenant: String,
    /// Deadline of REST calls and of gRPC calls that send no `grpc-timeout`, in milliseconds. Default 30000.
    pub call_timeout_default_ms: u64,
    /// Longest deadline a call gets, whatever its `grpc-timeout` asks, in milliseconds. Default 120000.
    pub call_timeout_max_ms: u64,
    /// How long in-flight calls may finish after SIGTERM before the rest are stopped, in milliseconds. Default 8000.
    pub shutdown_grace_ms: u64,
    /// Open client connections at most; more wait in the listen backlog. Default 10000.
    pub max_connections: usize,
    /// An HTTP/1.1 request head must arrive within this, in milliseconds. Default 10000.
    pub header_read_timeout_ms: u64,
    /// Longest pause between two parts of a request body, in milliseconds. Default 10000.
    pub body_read_timeout_ms: u64,
    /// A connection with no call in flight for this long is closed, in milliseconds. Default 60000.
    pub idle_timeout_ms: u64,
    /// HTTP/2 keepalive ping interval, in milliseconds. Default 30000.
    pub keepalive_interval_ms: u64,
    /// An unanswered HTTP/2 keepalive ping closes the connection after this, in milliseconds. Default 10000.
    pub keepalive_timeout_ms: u64,
    /// Concurrent HTTP/2 streams (calls) per connection. Default 256.
    pub max_concurrent_streams: u32,
    /// Database connections in the pool; 0 picks 8 for SQLite and 16 for PostgreSQL. Default 0.
    pub database_max_connections: u32,
    /// Longest wait for a free database connection, in milliseconds. Default 5000.
    pub database_acquire_timeout_ms: u64,
    /// Calls per second per principal (sustained). Default 1000.
    pub principal_rate: u32,
    /// Calls a principal may make at once above its rate. Default 2000.
    pub principal_burst: u32,
    /// Calls per second per tenant (sustained). Default 2000.
    pub tenant_rate: u32,
    /// Calls a tenant may make at once above its rate. Default 4000.
    pub tenant_burst: u32,
    /// Calls in flight per principal. Default 128.
    pub principal_concurrency: usize,
    /// Calls in flight per tenant. Default 256.
    pub tenant_concurrency: usize,
    /// Heavy calls (exports, imports, lists, searches) running at once; more wait. 0 picks the pool size less two. Default 0.
    pub heavy_calls: usize,
    /// Heavy calls running at once per tenant; more wait. Default 4.
    pub heavy_calls_per_tenant: usize,
    /// Open `WatchJob` streams per principal. Default 100.
    pub watches_per_principal: usize,
    /// Address of the operations listener serving `/metrics`, `/healthz` and `/readyz`; off
    /// when unset. Example `127.0.0.1:9464`.
    pub metrics_listen: Option<SocketAddr>,
    /// OTLP/gRPC endpoint traces are exported to, e.g. `http://127.0.0.1:4317`; no export when unset.
    pub otlp_endpoint: Option<String>,
    /// Browser origins allowed to call the API across origins (CORS), e.g.
    /// `https://console.example.com`; `*` allows any. None when empty (the default).
    pub cors_allowed_origins: Vec<String>,
    /// PEM certificate chain of the listener; with `tls_key_file` it serves TLS only.
    pub tls_cert_file: Option<std::path::PathBuf>,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: Option<std::path::PathBuf>,
    /// PEM CA certificates that sign client certificates: clients are asked for one, and a
    /// verified one authenticates its subject (CN principal, O tenant, OU scopes). Needs TLS.
    pub tls_client_ca_file: Option<std::path::PathBuf>,
    /// How often the certificate and key files are checked for changes, in milliseconds. Default 10000.
    pub tls_reload_interval_ms: u64,
    /// Testing only: abort imports with an internal error after this many entity writes.
    #[serde(skip)]
    pub import_fault_after_writes: Option<usize>,
    /// Testing only: every job search first runs a statement that takes minutes, so tests can
    /// watch the deadline stop it.
    #[serde(skip)]
    pub stall_job_searches: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            database_url: "sqlite://agentport.db".to_owned(),
            health_check_interval_ms: 5000,
            max_request_bytes: 16 * 1024 * 1024,
            log_format: LogFormat::Text,
            job_workers: 2,
            job_poll_interval_ms: 500,
            job_lease_ms: 30_000,
            job_max_attempts: 3,
            job_retention_hours: 720,
            watch_interval_ms: 250,
            blob_upload_grace_minutes: 60,
            export_key: None,
            master_key: None,
            master_key_file: None,
            master_key_previous: None,
            master_key_previous_file: None,
            allow_unverified_bundles: false,
            max_document_bytes: 256 * 1024 * 1024,
            max_documents_per_knowledge_base: 1000,
            max_bundle_bytes: 4 * 1024 * 1024 * 1024,
            max_export_agents: 100,
            max_sub_agent_depth: 10,
            jwt_hs256_secret: None,
            jwks_file: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_tenant_claim: "tenant".to_owned(),
            jwt_leeway_secs: 30,
            auth_api_keys: false,
            rest_default_tenant: "default".to_owned(),
            call_timeout_default_ms: 30_000,
            call_timeout_max_ms: 120_000,
            shutdown_grace_ms: 8_000,
            max_connections: 10_000,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            keepalive_interval_ms: 30_000,
            keepalive_timeout_ms: 10_000,
            max_concurrent_streams: 256,
            database_max_connections: 0,
            database_acquire_timeout_ms: 5_000,
            principal_rate: 1_000,
            principal_burst: 2_000,
            tenant_rate: 2_000,
            tenant_burst: 4_000,
            principal_concurrency: 128,
            tenant_concurrency: 256,
            heavy_calls: 0,
            heavy_calls_per_tenant: 4,
            watches_per_principal: 100,
            metrics_listen: None,
            otlp_endpoint: None,
            cors_allowed_origins: Vec::new(),
            tls_cert_file: None,
            tls_key_file: None,
            tls_client_ca_file: None,
            tls_reload_interval_ms: 10_000,
            import_fault_after_writes: None,
            stall_job_searches: false,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database_url", &self.database_url_redacted())
            .field("health_check_interval_ms", &self.health_check_interval_ms)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("log_format", &self.log_format)
            .field("job_workers", &self.job_workers)
            .field("job_poll_interval_ms", &self.job_poll_interval_ms)
            .field("job_lease_ms", &self.job_lease_ms)
            .field("job_max_attempts", &self.job_max_attempts)
            .field("job_retention_hours", &self.job_retention_hours)
            .field("watch_interval_ms", &self.watch_interval_ms)
            .field("blob_upload_grace_minutes", &self.blob_upload_grace_minutes)
            .field("export_key", &self.export_key.as_ref().map(|_| "***"))
            .field("master_key", &self.master_key.as_ref().map(|_| "***"))
            .field("master_key_file", &self.master_key_file)
            .field("master_key_previous", &self.master_key_previous.as_ref().map(|_| "***"))
            .field("master_key_previous_file", &self.master_key_previous_file)
            .field("allow_unverified_bundles", &self.allow_unverified_bundles)
            .field("max_document_bytes", &self.max_document_bytes)
            .field("max_documents_per_knowledge_base", &self.max_documents_per_knowledge_base)
            .field("max_bundle_bytes", &self.max_bundle_bytes)
            .field("max_export_agents", &self.max_export_agents)
            .field("max_sub_agent_depth", &self.max_sub_agent_depth)
            .field("jwt_hs256_secret", &self.jwt_hs256_secret.as_ref().map(|_| "***"))
            .field("jwks_file", &self.jwks_file)
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("jwt_tenant_claim", &self.jwt_tenant_claim)
            .field("jwt_leeway_secs", &self.jwt_leeway_secs)
            .field("auth_api_keys", &self.auth_api_keys)
            .field("call_timeout_default_ms", &self.call_timeout_default_ms)
            .field("call_timeout_max_ms", &self.call_timeout_max_ms)
            .field("shutdown_grace_ms", &self.shutdown_grace_ms)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout_ms", &self.header_read_timeout_ms)
            .field("body_read_timeout_ms", &self.body_read_timeout_ms)
            .field("idle_timeout_ms", &self.idle_timeout_ms)
            .field("keepalive_interval_ms", &self.keepalive_interval_ms)
            .field("keepalive_timeout_ms", &self.keepalive_timeout_ms)
            .field("max_concurrent_streams", &self.max_concurrent_streams)
            .field("database_max_connections", &self.database_max_connections)
            .field("database_acquire_timeout_ms", &self.database_acquire_timeout_ms)
            .field("principal_rate", &self.principal_rate)
            .field("principal_burst", &self.principal_burst)
            .field("tenant_rate", &self.tenant_rate)
            .field("tenant_burst", &self.tenant_burst)
            .field("principal_concurrency", &self.principal_concurrency)
            .field("tenant_concurrency", &self.tenant_concurrency)
            .field("heavy_calls", &self.heavy_calls)
            .field("heavy_calls_per_tenant", &self.heavy_calls_per_tenant)
            .field("watches_per_principal", &self.watches_per_principal)
            .field("metrics_listen", &self.metrics_listen)
            .field("otlp_endpoint", &self.otlp_endpoint)
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .field("tls_cert_file", &self.tls_cert_file)
            .field("tls_key_file", &self.tls_key_file)
            .field("tls_client_ca_file", &self.tls_client_ca_file)
            .field("tls_reload_interval_ms", &self.tls_reload_interval_ms)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid environment variable {name}: {message}")]
    Env { name: String, message: String },
}

impl Settings {
    /// Defaults, then the file (if any), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut settings = match file {
            Some(path) => {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse { path: shown, message: e.message().to_owned() })?
            }
            None => Settings::default(),
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        Ok(settings)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.parse().map_err(|e: T::Err| ConfigError::Env { name: name.to_owned(), message: e.to_string() })
        }
        if let Some(v) = var("AGENTPORT_LISTEN") {
            self.listen = parse("AGENTPORT_LISTEN", v)?;
        }
        if let Some(v) = var("AGENTPORT_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = var("AGENTPORT_HEALTH_CHECK_INTERVAL_MS") {
            self.health_check_interval_ms = parse("AGENTPORT_HEALTH_CHECK_INTERVAL_MS", v)?;
        }
        if let Some(v) = var("AGENTPORT_MAX_REQUEST_BYTES") {
            self.max_request_bytes = parse("AGENTPORT_MAX_REQUEST_BYTES", v)?;
        }
        for (name, target) in [
            ("AGENTPORT_JOB_POLL_INTERVAL_MS", &mut self.job_poll_interval_ms),
            ("AGENTPORT_JOB_LEASE_MS", &mut self.job_lease_ms),
            ("AGENTPORT_JOB_RETENTION_HOURS", &mut self.job_retention_hours),
            ("AGENTPORT_WATCH_INTERVAL_MS", &mut self.watch_interval_ms),
            ("AGENTPORT_BLOB_UPLOAD_GRACE_MINUTES", &mut self.blob_upload_grace_minutes),
            ("AGENTPORT_MAX_DOCUMENT_BYTES", &mut self.max_document_bytes),
            ("AGENTPORT_MAX_BUNDLE_BYTES", &mut self.max_bundle_bytes),
        ] {
            if let Some(v) = var(name) {
                *target = parse(name, v)?;
            }
        }
        for (name, target) in [
            ("AGENTPORT_JOB_WORKERS", &mut self.job_workers),
            ("AGENTPORT_MAX_EXPORT_AGENTS", &mut self.max_export_agents),
            ("AGENTPORT_MAX_DOCUMENTS_PER_KNOWLEDGE_BASE", &mut self.max_documents_per_knowledge_base),
            ("AGENTPORT_MAX_SUB_AGENT_DEPTH", &mut self.max_sub_agent_depth),
        ] {
            if let Some(v) = var(name) {
                *target = parse(name, v)?;
            }
        }
        for (name, target) in [
            ("AGENTPORT_CALL_TIMEOUT_DEFAULT_MS", &mut self.call_timeout_default_ms),
            ("AGENTPORT_CALL_TIMEOUT_MAX_MS", &mut self.call_timeout_max_ms),
            ("AGENTPORT_SHUTDOWN_GRACE_MS", &mut self.shutdown_grace_ms),
            ("AGENTPORT_HEADER_READ_TIMEOUT_MS", &mut self.header_read_timeout_ms),
            ("AGENTPORT_BODY_READ_TIMEOUT_MS", &mut self.body_read_timeout_ms),
            ("AGENTPORT_IDLE_TIMEOUT_MS", &mut self.idle_timeout_ms),
            ("AGENTPORT_KEEPALIVE_INTERVAL_MS", &mut self.keepalive_interval_ms),
            ("AGENTPORT_KEEPALIVE_TIMEOUT_MS", &mut self.keepalive_timeout_ms),
            ("AGENTPORT_DATABASE_ACQUIRE_TIMEOUT_MS", &mut self.database_acquire_timeout_ms),
            ("AGENTPORT_TLS_RELOAD_INTERVAL_MS", &mut self.tls_reload_interval_ms),
        ] {
            if let Some(v) = var(name) {
                *target = parse(name, v)?;
            }
        }
        for (name, target) in [
            ("AGENTPORT_MAX_CONNECTIONS", &mut self.max_connections),
            ("AGENTPORT_PRINCIPAL_CONCURRENCY", &mut self.principal_concurrency),
            ("AGENTPORT_TENANT_CONCURRENCY", &mut self.tenant_concurrency),
            ("AGENTPORT_HEAVY_CALLS", &mut self.heavy_calls),
            ("AGENTPORT_HEAVY_CALLS_PER_TENANT", &mut self.heavy_calls_per_tenant),
            ("AGENTPORT_WATCHES_PER_PRINCIPAL", &mut self.watches_per_principal),
        ] {
            if let Some(v) = var(name) {
                *target = parse(name, v)?;
            }
        }
        for (name, target) in [
            ("AGENTPORT_MAX_CONCURRENT_STREAMS", &mut self.max_concurrent_streams),
            ("AGENTPORT_DATABASE_MAX_CONNECTIONS", &mut self.database_max_connections),
            ("AGENTPORT_PRINCIPAL_RATE", &mut self.principal_rate),
            ("AGENTPORT_PRINCIPAL_BURST", &mut self.principal_burst),
            ("AGENTPORT_TENANT_RATE", &mut self.tenant_rate),
            ("AGENTPORT_TENANT_BURST", &mut self.tenant_burst),
        ] {
            if let Some(v) = var(name) {
                *target = parse(name, v)?;
            }
        }
        if let Some(v) = var("AGENTPORT_JOB_MAX_ATTEMPTS") {
            self.job_max_attempts = parse("AGENTPORT_JOB_MAX_ATTEMPTS", v)?;
        }
        if let Some(v) = var("AGENTPORT_EXPORT_KEY") {
            self.export_key = (!v.is_empty()).then(|| v.into());
        }
        if let Some(v) = var("AGENTPORT_ALLOW_UNVERIFIED_BUNDLES") {
            self.allow_unverified_bundles = parse("AGENTPORT_ALLOW_UNVERIFIED_BUNDLES", v)?;
        }
        let text = |name: &str| var(name).filter(|v| !v.is_empty());
        if let Some(v) = text("AGENTPORT_MASTER_KEY") {
            self.master_key = Some(v.into());
        }
        if let Some(v) = text("AGENTPORT_MASTER_KEY_FILE") {
            self.master_key_file = Some(v.into());
        }
        if let Some(v) = text("AGENTPORT_MASTER_KEY_PREVIOUS") {
            self.master_key_previous = Some(v.into());
        }
        if let Some(v) = text("AGENTPORT_MASTER_KEY_PREVIOUS_FILE") {
            self.master_key_previous_file = Some(v.into());
        }
        if let Some(v) = text("AGENTPORT_JWT_HS256_SECRET") {
            self.jwt_hs256_secret = Some(v.into());
        }
        if let Some(v) = var("AGENTPORT_JWT_LEEWAY_SECS") {
            self.jwt_leeway_secs = parse("AGENTPORT_JWT_LEEWAY_SECS", v)?;
        }
        if let Some(v) = text("AGENTPORT_JWKS_FILE") {
            self.jwks_file = Some(v.into());
        }
        if let Some(v) = text("AGENTPORT_JWT_ISSUER") {
            self.jwt_issuer = Some(v);
        }
        if let Some(v) = text("AGENTPORT_JWT_AUDIENCE") {
            self.jwt_audience = Some(v);
        }
        if let Some(v) = text("AGENTPORT_JWT_TENANT_CLAIM") {
            self.jwt_tenant_claim = v;
        }
        if let Some(v) = text("AGENTPORT_REST_DEFAULT_TENANT") {
            self.rest_default_tenant = v;
        }
        if let Some(v) = text("AGENTPORT_METRICS_LISTEN") {
            self.metrics_listen = Some(parse("AGENTPORT_METRICS_LISTEN", v)?);
        }
        for (name, target) in [
            ("AGENTPORT_TLS_CERT_FILE", &mut self.tls_cert_file),
            ("AGENTPORT_TLS_KEY_FILE", &mut self.tls_key_file),
            ("AGENTPORT_TLS_CLIENT_CA_FILE", &mut self.tls_client_ca_file),
        ] {
            if let Some(v) = text(name) {
                *target = Some(v.into());
            }
        }
        if let Some(v) = text("AGENTPORT_OTLP_ENDPOINT") {
            self.otlp_endpoint = Some(v);
        }
        if let Some(v) = var("AGENTPORT_CORS_ALLOWED_ORIGINS") {
            self.cors_allowed_origins =
                v.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect();
        }
        if let Some(v) = var("AGENTPORT_AUTH_API_KEYS") {
            self.auth_api_keys = parse("AGENTPORT_AUTH_API_KEYS", v)?;
        }
        if let Some(v) = var("AGENTPORT_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::Env {
                        name: "AGENTPORT_LOG_FORMAT".into(),
                        message: "use text or json".into(),
                    });
                }
            };
        }
        Ok(())
    }

    pub fn document_limits(&self) -> crate::domain::limits::DocumentLimits {
        crate::domain::limits::DocumentLimits {
            max_bytes: self.max_document_bytes,
            max_per_knowledge_base: self.max_documents_per_knowledge_base.max(1),
        }
    }

    pub fn health_check_interval(&self) -> Duration {
        Duration::from_millis(self.health_check_interval_ms.max(10))
    }

    /// Whether callers must authenticate (bearer tokens, API keys or client certificates are
    /// configured).
    pub fn auth_configured(&self) -> bool {
        self.jwt_hs256_secret.is_some()
            || self.jwks_file.is_some()
            || self.auth_api_keys
            || self.tls_client_ca_file.is_some()
    }

    /// The listener's TLS files, `None` for plain text. Half a pair, or a client CA without
    /// TLS, is refused.
    pub fn tls(&self) -> Result<Option<crate::server::TlsFiles>, String> {
        let (cert, key) = match (&self.tls_cert_file, &self.tls_key_file) {
            (Some(cert), Some(key)) => (cert.clone(), key.clone()),
            (None, None) if self.tls_client_ca_file.is_some() => {
                return Err("AGENTPORT_TLS_CLIENT_CA_FILE needs TLS: set AGENTPORT_TLS_CERT_FILE and AGENTPORT_TLS_KEY_FILE too".into());
            }
            (None, None) => return Ok(None),
            (Some(_), None) => {
                return Err("AGENTPORT_TLS_CERT_FILE is set without AGENTPORT_TLS_KEY_FILE: set both or neither".into());
            }
            (None, Some(_)) => {
                return Err("AGENTPORT_TLS_KEY_FILE is set without AGENTPORT_TLS_CERT_FILE: set both or neither".into());
            }
        };
        Ok(Some(crate::server::TlsFiles {
            cert,
            key,
            client_ca: self.tls_client_ca_file.clone(),
            reload_interval: Duration::from_millis(self.tls_reload_interval_ms.max(10)),
        }))
    }

    pub fn engine(&self) -> crate::engine::EngineSettings {
        crate::engine::EngineSettings {
            workers: self.job_workers,
            poll_interval: Duration::from_millis(self.job_poll_interval_ms.max(10)),
            lease: Duration::from_millis(self.job_lease_ms.max(100)),
            max_attempts: self.job_max_attempts.max(1),
            retention: Duration::from_secs(self.job_retention_hours * 3600),
            upload_grace: Duration::from_secs(self.blob_upload_grace_minutes * 60),
        }
    }

    pub fn pool(&self) -> crate::store::PoolSettings {
        crate::store::PoolSettings {
            max_connections: (self.database_max_connections > 0).then_some(self.database_max_connections),
            acquire_timeout: Duration::from_millis(self.database_acquire_timeout_ms.max(10)),
        }
    }

    /// The pool size actually used (the backend's default when unset).
    fn pool_size(&self) -> usize {
        match self.database_max_connections {
            0 if self.database_url.starts_with("postgres") => 16,
            0 => 8,
            n => n as usize,
        }
    }

    pub fn limits(&self) -> crate::limits::LimitSettings {
        crate::limits::LimitSettings {
            principal_rate: self.principal_rate,
            principal_burst: self.principal_burst,
            tenant_rate: self.tenant_rate,
            tenant_burst: self.tenant_burst,
            principal_concurrency: self.principal_concurrency,
            tenant_concurrency: self.tenant_concurrency,
            // Two connections stay free of heavy work for short calls and health checks.
            heavy_calls: if self.heavy_calls > 0 {
                self.heavy_calls
            } else {
                self.pool_size().saturating_sub(2).max(1)
            },
            heavy_calls_per_tenant: self.heavy_calls_per_tenant,
            watches_per_principal: self.watches_per_principal,
        }
    }

    pub fn server(&self) -> crate::server::ServerSettings {
        let ms = Duration::from_millis;
        crate::server::ServerSettings {
            max_connections: self.max_connections.max(1),
            header_read_timeout: ms(self.header_read_timeout_ms.max(1)),
            idle_timeout: ms(self.idle_timeout_ms.max(1)),
            keepalive_interval: ms(self.keepalive_interval_ms.max(1)),
            keepalive_timeout: ms(self.keepalive_timeout_ms.max(1)),
            max_concurrent_streams: self.max_concurrent_streams.max(1),
            shutdown_grace: ms(self.shutdown_grace_ms),
        }
    }

    /// The database URL with any password replaced by `***`.
    pub fn database_url_redacted(&self) -> String {
        redact_password(&self.database_url)
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_once('/').map(|(a, t)| (a, format!("/{t}"))).unwrap_or((rest, String::new()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map(|(u, _)| format!("{u}:***")).unwrap_or_else(|| userinfo.to_owned());
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults_and_passwords_never_print() {
        let mut s = Settings::default();
        s.apply_env(|n| match n {
            "AGENTPORT_LISTEN" => Some("0.0.0.0:9000".into()),
            "AGENTPORT_DATABASE_URL" => Some("postgres://app:hunter2@db:5432/agents".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.database_url_redacted(), "postgres://app:***@db:5432/agents");
        assert!(!format!("{s:?}").contains("hunter2"));
        s.apply_env(|n| (n == "AGENTPORT_MASTER_KEY").then(|| "c2VjcmV0LWtleS1tYXRlcmlhbA==".into())).unwrap();
        assert!(s.master_key.is_some());
        assert!(!format!("{s:?}").contains("c2VjcmV0LWtleS1tYXRlcmlhbA"));
        assert!(s.apply_env(|n| (n == "AGENTPORT_LISTEN").then(|| "nope".into())).is_err());
    }

    #[test]
    fn tls_needs_both_files_and_a_client_ca_counts_as_authentication() {
        let mut s = Settings::default();
        assert!(s.tls().unwrap().is_none());
        s.apply_env(|n| (n == "AGENTPORT_TLS_CERT_FILE").then(|| "server.pem".into())).unwrap();
        assert!(s.tls().unwrap_err().contains("AGENTPORT_TLS_KEY_FILE"));
        s.apply_env(|n| match n {
            "AGENTPORT_TLS_KEY_FILE" => Some("server.key".into()),
            "AGENTPORT_TLS_RELOAD_INTERVAL_MS" => Some("2500".into()),
            _ => None,
        })
        .unwrap();
        let files = s.tls().unwrap().unwrap();
        assert_eq!((files.cert.to_str(), files.key.to_str()), (Some("server.pem"), Some("server.key")));
        assert_eq!(files.reload_interval, Duration::from_millis(2500));
        assert!(!s.auth_configured());
        s.apply_env(|n| (n == "AGENTPORT_TLS_CLIENT_CA_FILE").then(|| "clients.pem".into())).unwrap();
        assert!(s.auth_configured(), "client certificates authenticate");
        let ca_only = Settings { tls_client_ca_file: Some("clients.pem".into()), ..Settings::default() };
        assert!(ca_only.tls().unwrap_err().contains("needs TLS"));
    }

    #[test]
    fn file_values_are_read_and_unknown_keys_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agentport.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:7000\"\n").unwrap();
        assert_eq!(Settings::load(Some(&path)).unwrap().listen.port(), 7000);
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        assert!(matches!(Settings::load(Some(&path)), Err(ConfigError::Parse { .. })));
    }
}
