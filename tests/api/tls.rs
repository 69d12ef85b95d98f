//! TLS on the one listener: gRPC, REST and grpc-web over TLS with a CA the test makes, plain
//! text refused, client certificates as principals (CN, O tenant, OU scopes), certificate
//! reload without restart, the start refusing half a configuration, and the CLI over https.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agentport::config::Settings;
use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::proto::*;
use agentport::startup::Application;
use prost::Message;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

use crate::auth::{Claims, HS_SECRET, bearer};
use crate::cli::{agentport, stderr};
use crate::crud::sample_agent;
use crate::fixtures::{counts, seed_source};
use crate::helpers::{TestApp, TestDatabase, reason, spawn_tls_app};

const READ: &str = "ai.agent_read";
const MANAGE: &str = "ai.agent_manage";

/// A certificate authority made for one test.
struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, in PEM.
struct Pair {
    cert: String,
    key: String,
}

impl Pki {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.distinguished_name.push(DnType::CommonName, name);
        Self { ca: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap() }
    }

    fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// For `localhost` and 127.0.0.1.
    fn server(&self) -> Pair {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(params)
    }

    /// A client certificate with subject CN `name`, O `tenant` (when given) and up to two OUs.
    fn client(&self, name: &str, tenant: Option<&str>, units: &[&str]) -> Pair {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let dn = &mut params.distinguished_name;
        dn.push(DnType::CommonName, name);
        if let Some(tenant) = tenant {
            dn.push(DnType::OrganizationName, tenant);
        }
        // rcgen keeps one value per attribute type; the same OU OID as a custom type adds a
        // second organizational unit, as `openssl req -subj '/OU=a/OU=b'` would.
        let types = [DnType::OrganizationalUnitName, DnType::CustomDnType(vec![2, 5, 4, 11])];
        for (unit, ty) in units.iter().zip(types) {
            dn.push(ty, *unit);
        }
        self.sign(params)
    }

    fn sign(&self, params: CertificateParams) -> Pair {
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        Pair { cert: cert.pem(), key: key.serialize_pem() }
    }
}

/// The server's PEM files in a directory that lives as long as the test.
struct ServerFiles {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    client_ca: PathBuf,
}

impl ServerFiles {
    fn new(pair: &Pair) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let files = Self {
            cert: dir.path().join("server.pem"),
            key: dir.path().join("server.key"),
            client_ca: dir.path().join("clients-ca.pem"),
            _dir: dir,
        };
        files.replace(pair);
        files
    }

    fn replace(&self, pair: &Pair) {
        std::fs::write(&self.key, &pair.key).unwrap();
        std::fs::write(&self.cert, &pair.cert).unwrap();
    }

    /// Settings serving TLS with these files (no client certificates).
    fn apply(&self, settings: &mut Settings) {
        settings.tls_cert_file = Some(self.cert.clone());
        settings.tls_key_file = Some(self.key.clone());
    }

    /// Also asks for client certificates signed by `clients`.
    fn apply_with_clients(&self, settings: &mut Settings, clients: &Pki) {
        std::fs::write(&self.client_ca, clients.ca_pem()).unwrap();
        self.apply(settings);
        settings.tls_client_ca_file = Some(self.client_ca.clone());
    }
}

fn trusting(pki: &Pki) -> ClientTlsConfig {
    ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pki.ca_pem())).domain_name("localhost")
}

fn presenting(pki: &Pki, client: &Pair) -> ClientTlsConfig {
    trusting(pki).identity(Identity::from_pem(&client.cert, &client.key))
}

fn https(app: &TestApp) -> String {
    format!("https://localhost:{}", app.addr.port())
}

/// A new connection (never a pooled one) to `app` over TLS.
async fn connect(app: &TestApp, tls: ClientTlsConfig) -> Result<Channel, tonic::transport::Error> {
    Channel::from_shared(https(app)).unwrap().tls_config(tls).unwrap().connect().await
}

async fn agents(app: &TestApp, tls: ClientTlsConfig) -> AgentServiceClient<Channel> {
    AgentServiceClient::new(connect(app, tls).await.expect("a TLS connection"))
}

async fn serving(channel: Channel) -> Result<i32, tonic::Status> {
    let request = HealthCheckRequest { service: String::new() };
    Ok(HealthClient::new(channel).check(request).await?.into_inner().status)
}

fn rest_client(pki: &Pki, identity: Option<&Pair>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem().as_bytes()).unwrap());
    if let Some(pair) = identity {
        let pem = format!("{}{}", pair.cert, pair.key);
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

fn create(parent: &str, id: &str) -> CreateAgentRequest {
    CreateAgentRequest { parent: parent.into(), agent_id: id.into(), agent: Some(sample_agent()) }
}

fn get(name: &str) -> GetAgentRequest {
    GetAgentRequest { name: name.into() }
}

#[tokio::test]
async fn grpc_rest_and_grpc_web_travel_over_tls_and_plain_text_is_refused() {
    let pki = Pki::new("server CA");
    let files = ServerFiles::new(&pki.server());
    let mut app = spawn_tls_app(|s| files.apply(s), trusting(&pki)).await;

    // gRPC (HTTP/2 by ALPN).
    let created = app.agents.create_agent(create("tenants/acme", "secure")).await.expect("create over TLS");
    assert_eq!(created.into_inner().name, "tenants/acme/agents/secure");

    // REST: the client negotiates HTTP/2 by ALPN, as browsers do.
    let rest = rest_client(&pki, None);
    let response =
        rest.get(format!("{}/ai-service/acme/agentic/agents/secure", https(&app))).send().await.expect("REST over TLS");
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["id"], "secure", "{body}");
    // Derived URLs follow the listener: an xpander webhook over TLS is https.
    let url = format!("{}/v1/agents/secure", https(&app));
    let agent: serde_json::Value =
        rest.get(url).header("x-agentport-tenant", "acme").send().await.unwrap().json().await.unwrap();
    let webhook = agent["webhook_url"].as_str().unwrap_or_default();
    assert!(webhook.starts_with("https://") && webhook.ends_with("/v1/agents/secure/invoke"), "{agent}");

    // grpc-web over HTTP/1.1 (ALPN http/1.1): a health check, framed by hand.
    let web = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem().as_bytes()).unwrap())
        .http1_only()
        .build()
        .unwrap();
    let message = HealthCheckRequest { service: String::new() }.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(&message);
    let response = web
        .post(format!("{}/grpc.health.v1.Health/Check", https(&app)))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(frame)
        .send()
        .await
        .expect("grpc-web over TLS");
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    let body = response.bytes().await.unwrap();
    assert_eq!(body[0], 0, "a data frame first: {body:?}");
    let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
    let health = HealthCheckResponse::decode(&body[5..5 + len]).unwrap();
    assert_eq!(health.status, 1, "SERVING");
    let trailers = String::from_utf8_lossy(&body[5 + len + 5..]).to_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");

    // Plain text gets no answer: the bytes fail the TLS handshake and the connection closes.
    let plain = Channel::from_shared(format!("http://{}", app.addr)).unwrap();
    let refused = match plain.connect().await {
        Ok(channel) => serving(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a plain-text gRPC client must not be served");
    let plain_rest = reqwest::Client::new().get(format!("http://{}/ai-service/acme/agentic/agents", app.addr)).send();
    assert!(plain_rest.await.is_err(), "a plain-text REST client must not be served");

    // A client that does not trust the server's CA does not connect.
    let stranger = Pki::new("another CA");
    let untrusted = match connect(&app, trusting(&stranger)).await {
        Ok(channel) => serving(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(untrusted, "a certificate from an untrusted CA must fail the handshake");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pki = Pki::new("server CA");
    let files = ServerFiles::new(&pki.server());
    let app = spawn_tls_app(
        |s| {
            files.apply(s);
            s.header_read_timeout_ms = 200;
        },
        trusting(&pki),
    )
    .await;
    // Idle connections are closed after 60 s; this one must go at the handshake bound.
    let mut silent = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut partial = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    partial.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]).await.unwrap(); // a ClientHello's record header only
    for stream in [&mut silent, &mut partial] {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the server must close the connection: {read:?}");
    }
}

#[tokio::test]
async fn client_certificates_authenticate_their_subject_and_headers_win() {
    let (server_pki, client_pki) = (Pki::new("server CA"), Pki::new("client CA"));
    let files = ServerFiles::new(&server_pki.server());
    let writer = client_pki.client("deployer", Some("acme"), &[MANAGE, READ]);
    let app = spawn_tls_app(
        |s| {
            files.apply_with_clients(s, &client_pki);
            s.jwt_hs256_secret = Some(HS_SECRET.into());
            s.jwt_issuer = Some(crate::auth::ISSUER.into());
            s.jwt_audience = Some(crate::auth::AUDIENCE.into());
        },
        presenting(&server_pki, &writer),
    )
    .await;

    // The writer's certificate (O=acme, OU=manage+read) creates in tenant acme.
    let mut as_writer = app.agents.clone();
    as_writer.create_agent(create("tenants/acme", "bot")).await.expect("the writer certificate creates");

    // The reader's (O=acme, OU=read) reads acme, writes nothing, reads no other tenant.
    let reader = client_pki.client("auditor", Some("acme"), &[READ, "team-blue"]);
    let mut as_reader = agents(&app, presenting(&server_pki, &reader)).await;
    let got = as_reader.get_agent(get("tenants/acme/agents/bot")).await.expect("the reader reads its tenant");
    assert_eq!(got.into_inner().name, "tenants/acme/agents/bot");
    let write = as_reader.create_agent(create("tenants/acme", "nope")).await.unwrap_err();
    assert_eq!(write.code(), Code::PermissionDenied, "{write:?}");
    let other = as_reader.get_agent(get("tenants/other/agents/bot")).await.unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied, "{other:?}");

    // Credentials in headers win over the certificate: a token for tenant `other`.
    let token = Claims::new("other", &[MANAGE, READ]).hs256(HS_SECRET);
    as_reader.create_agent(bearer(create("tenants/other", "by-token"), &token)).await.expect("the token's tenant");
    let denied = as_reader.get_agent(bearer(get("tenants/acme/agents/bot"), &token)).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "the token, not the certificate, decides: {denied:?}");

    // Without a certificate the connection is accepted, and its calls need headers.
    let mut anonymous = agents(&app, trusting(&server_pki)).await;
    let missing = anonymous.get_agent(get("tenants/acme/agents/bot")).await.unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated, "{missing:?}");
    assert_eq!(reason(&missing), "UNAUTHENTICATED");
    anonymous.get_agent(bearer(get("tenants/other/agents/by-token"), &token)).await.expect("a token alone works");

    // A certificate without a tenant authenticates nobody (it would otherwise be unrestricted).
    let tenantless = client_pki.client("nobody", None, &[READ]);
    let mut as_tenantless = agents(&app, presenting(&server_pki, &tenantless)).await;
    let refused = as_tenantless.get_agent(get("tenants/acme/agents/bot")).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");

    // A certificate from another CA fails the handshake.
    let forged = Pki::new("forger").client("deployer", Some("acme"), &[MANAGE, READ]);
    let forged = match connect(&app, presenting(&server_pki, &forged)).await {
        Ok(channel) => AgentServiceClient::new(channel).get_agent(get("tenants/acme/agents/bot")).await.is_err(),
        Err(_) => true,
    };
    assert!(forged, "a client certificate from an unknown CA must not be accepted");

    // REST carries the certificate too, in both dialects.
    let rest = rest_client(&server_pki, Some(&reader));
    let url = format!("{}/ai-service/acme/agentic/agents/bot", https(&app));
    assert_eq!(rest.get(&url).send().await.unwrap().status(), 200);
    assert_eq!(rest.delete(&url).send().await.unwrap().status(), 403);
    let other_url = format!("{}/ai-service/other/agentic/agents/by-token", https(&app));
    assert_eq!(rest.get(&other_url).send().await.unwrap().status(), 403);
    let listed: serde_json::Value =
        rest.get(format!("{}/v1/agents", https(&app))).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["total"], 1, "xpander lists the certificate's tenant: {listed}");
    assert_eq!(listed["items"][0]["organization_id"], "acme", "{listed}");
    let anonymous_rest = rest_client(&server_pki, None);
    assert_eq!(anonymous_rest.get(&url).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn changed_certificate_files_are_served_to_new_connections_and_old_ones_keep_working() {
    let (first, second) = (Pki::new("first CA"), Pki::new("second CA"));
    let files = ServerFiles::new(&first.server());
    let app = spawn_tls_app(
        |s| {
            files.apply(s);
            s.tls_reload_interval_ms = 20;
        },
        trusting(&first),
    )
    .await;
    let old = app.channel.clone();
    assert_eq!(serving(old.clone()).await.unwrap(), 1);

    files.replace(&second.server());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(channel) = connect(&app, trusting(&second)).await
            && serving(channel).await.is_ok()
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the new certificate was not served within 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // New connections get the new certificate only...
    let stale = match connect(&app, trusting(&first)).await {
        Ok(channel) => serving(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(stale, "a new connection must see the new certificate");
    // ...while the connection opened before keeps working (a reconnect would fail: it trusts
    // only the first CA).
    assert_eq!(serving(old.clone()).await.expect("the old connection still serves"), 1);

    // A broken pair is refused and the one in use kept; the next good one is picked up.
    std::fs::write(&files.cert, "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let kept = connect(&app, trusting(&second)).await.expect("the last good certificate stays in use");
    assert_eq!(serving(kept).await.unwrap(), 1);
    files.replace(&first.server());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while connect(&app, trusting(&first)).await.is_err() {
        assert!(tokio::time::Instant::now() < deadline, "reloading stopped after a broken pair");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_changed_client_ca_authenticates_new_connections_with_its_certificates() {
    let (server_pki, old_clients, new_clients) =
        (Pki::new("server CA"), Pki::new("old clients"), Pki::new("new clients"));
    let files = ServerFiles::new(&server_pki.server());
    let app = spawn_tls_app(
        |s| {
            files.apply_with_clients(s, &old_clients);
            s.jwt_hs256_secret = Some(HS_SECRET.into());
            s.tls_reload_interval_ms = 20;
        },
        trusting(&server_pki),
    )
    .await;
    let newcomer = new_clients.client("deployer", Some("acme"), &[MANAGE, READ]);
    let refused = match connect(&app, presenting(&server_pki, &newcomer)).await {
        Ok(channel) => serving(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(refused, "a certificate of a CA the server does not trust yet is refused");

    std::fs::write(&files.client_ca, new_clients.ca_pem()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut as_newcomer = loop {
        if let Ok(channel) = connect(&app, presenting(&server_pki, &newcomer)).await
            && serving(channel.clone()).await.is_ok()
        {
            break AgentServiceClient::new(channel);
        }
        assert!(tokio::time::Instant::now() < deadline, "the new client CA was not used within 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let created = as_newcomer.create_agent(create("tenants/acme", "bot")).await.expect("the certificate authenticates");
    assert_eq!(created.into_inner().name, "tenants/acme/agents/bot");
    let old = old_clients.client("deployer", Some("acme"), &[MANAGE, READ]);
    let dropped = match connect(&app, presenting(&server_pki, &old)).await {
        Ok(channel) => serving(channel).await.is_err(),
        Err(_) => true,
    };
    assert!(dropped, "certificates of the replaced CA are refused on new connections");
}

/// The start's error with `adjust` applied, as its message.
async fn start_error(adjust: impl FnOnce(&mut Settings)) -> String {
    let database = TestDatabase::create().await;
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database.url().to_owned(),
        ..Settings::default()
    };
    adjust(&mut settings);
    match Application::build(settings).await {
        Ok(_) => panic!("the start must fail"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn half_configured_or_unreadable_tls_stops_the_start() {
    let pki = Pki::new("server CA");
    let files = ServerFiles::new(&pki.server());
    let cert_only = start_error(|s| s.tls_cert_file = Some(files.cert.clone())).await;
    assert!(cert_only.contains("AGENTPORT_TLS_KEY_FILE"), "{cert_only}");
    let key_only = start_error(|s| s.tls_key_file = Some(files.key.clone())).await;
    assert!(key_only.contains("AGENTPORT_TLS_CERT_FILE"), "{key_only}");
    let ca_only = start_error(|s| s.tls_client_ca_file = Some(files.cert.clone())).await;
    assert!(ca_only.contains("needs TLS"), "{ca_only}");

    let missing = Path::new("/nonexistent/agentport/server.pem").to_path_buf();
    let unreadable = start_error(|s| {
        files.apply(s);
        s.tls_cert_file = Some(missing.clone());
    })
    .await;
    assert!(unreadable.contains("/nonexistent/agentport/server.pem"), "{unreadable}");
    let swapped = start_error(|s| {
        files.apply(s);
        s.tls_key_file = Some(files.cert.clone());
    })
    .await;
    assert!(swapped.contains("private key"), "{swapped}");
    let other_key = pki.server();
    std::fs::write(files.client_ca.with_extension("key"), &other_key.key).unwrap();
    let mismatched = start_error(|s| {
        files.apply(s);
        s.tls_key_file = Some(files.client_ca.with_extension("key"));
    })
    .await;
    assert!(mismatched.contains("not a usable certificate and key"), "{mismatched}");
    let bad_ca = start_error(|s| {
        files.apply(s);
        s.tls_client_ca_file = Some(files.key.clone());
    })
    .await;
    assert!(bad_ca.contains("server.key"), "{bad_ca}");
}

#[tokio::test]
async fn the_cli_exports_and_imports_over_https_with_a_ca_file_and_a_client_certificate() {
    let (server_pki, client_pki) = (Pki::new("server CA"), Pki::new("client CA"));
    let files = ServerFiles::new(&server_pki.server());
    let mut app = spawn_tls_app(|s| files.apply(s), trusting(&server_pki)).await;
    seed_source(&mut app, "source").await;
    let dir = tempfile::tempdir().unwrap();
    let (ca_file, bundle) = (dir.path().join("ca.pem"), dir.path().join("bundle.json"));
    std::fs::write(&ca_file, server_pki.ca_pem()).unwrap();
    let (server, ca, out) = (https(&app), ca_file.to_str().unwrap(), bundle.to_str().unwrap());

    let export =
        ["export", "--server", &server, "--ca-file", ca, "--tenant", "source", "--agent", "support", "--out", out];
    let exported = agentport(&export, &[], None).await;
    assert_eq!(exported.status.code(), Some(0), "{exported:?}");
    let import = ["import", "--server", &server, "--tenant", "target", "--file", out];
    let imported = agentport(&import, &[("AGENTPORT_CA_FILE", ca)], None).await;
    assert_eq!(imported.status.code(), Some(0), "{imported:?}");
    assert_eq!(counts(&mut app, "target").await[0], 4);

    // Without the CA the server's certificate is not trusted; a CA file needs https.
    let untrusted = agentport(&import, &[], None).await;
    assert_eq!(untrusted.status.code(), Some(1), "{untrusted:?}");
    let plain = format!("http://{}", app.addr);
    let misuse = ["import", "--server", &plain, "--ca-file", ca, "--tenant", "t", "--file", out];
    let misused = agentport(&misuse, &[], None).await;
    assert_eq!(misused.status.code(), Some(2), "{misused:?}");
    assert!(stderr(&misused).contains("https://"), "{}", stderr(&misused));
    drop(app);

    // Against a server that authenticates by client certificate only.
    let files = ServerFiles::new(&server_pki.server());
    let reader = client_pki.client("exporter", Some("source"), &[READ]);
    let mut app = spawn_tls_app(|s| files.apply_with_clients(s, &client_pki), presenting(&server_pki, &reader)).await;
    let writer = client_pki.client("seeder", Some("source"), &[MANAGE, READ]);
    app.agents = agents(&app, presenting(&server_pki, &writer)).await;
    seed_source(&mut app, "source").await;
    let (cert_file, key_file) = (dir.path().join("client.pem"), dir.path().join("client.key"));
    std::fs::write(&cert_file, &reader.cert).unwrap();
    std::fs::write(&key_file, &reader.key).unwrap();
    let server = https(&app);
    let (cert, key) = (cert_file.to_str().unwrap(), key_file.to_str().unwrap());
    let mut export = vec!["export", "--server", &server, "--ca-file", ca, "--tenant", "source", "--agent", "support"];
    let without = agentport(&export, &[], None).await;
    assert_eq!(without.status.code(), Some(1), "{without:?}");
    assert!(stderr(&without).contains("UNAUTHENTICATED"), "{}", stderr(&without));
    export.extend(["--client-cert", cert, "--client-key", key, "--out", out]);
    let with = agentport(&export, &[], None).await;
    assert_eq!(with.status.code(), Some(0), "{with:?}");
}
