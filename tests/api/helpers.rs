//! Test harness: every test gets its own running server on 127.0.0.1:0 with a fresh database
//! (a temp SQLite file, or a new PostgreSQL database when AGENTPORT_TEST_DATABASE_URL is set)
//! and ready tonic clients.

use std::net::SocketAddr;
use std::sync::Once;

use agentport::config::Settings;
use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::startup::Application;
use sea_orm::{ConnectionTrait, Database};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, ClientTlsConfig};
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

pub struct TestApp {
    pub addr: SocketAddr,
    /// The operations listener (`/metrics`, `/healthz`, `/readyz`), when configured.
    pub metrics_addr: Option<SocketAddr>,
    pub channel: Channel,
    pub agents: AgentServiceClient<Channel>,
    pub health: HealthClient<Channel>,
    pub database: TestDatabase,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// Stops the server gracefully and returns how serving ended.
    pub async fn stop(mut self) -> std::io::Result<()> {
        let _ = self.shutdown.take().unwrap().send(());
        self.server.take().unwrap().await.expect("server task completes")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A database that lives as long as the test.
pub enum TestDatabase {
    Sqlite { url: String, _dir: tempfile::TempDir },
    Postgres { url: String, admin_url: String, name: String },
}

impl TestDatabase {
    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }

    pub async fn create() -> Self {
        match std::env::var("AGENTPORT_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("agentport_t_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url).await.expect("AGENTPORT_TEST_DATABASE_URL is reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("test database can be created");
                let _ = admin.close().await;
                let base = admin_url.rsplit_once('/').expect("database URL has a path").0;
                let url = format!("{base}/{name}");
                if let Ok(log) = std::env::var("AGENTPORT_TEST_BACKEND_LOG") {
                    use std::io::Write;
                    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
                    writeln!(file, "postgres {name}").unwrap();
                }
                TestDatabase::Postgres { url, admin_url, name }
            }
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("agentport.db").display());
                TestDatabase::Sqlite { url, _dir: dir }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name, .. } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; a plain thread with its own runtime can block.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            let _ = agentport::telemetry::init(&Settings::default());
        }
    });
}

/// The master key of servers on PostgreSQL (base64 of 32 bytes).
pub const TEST_MASTER_KEY: &str = "dGVzdC1tYXN0ZXIta2V5LW9mLXRoZS1oYXJuZXNzLTM=";

/// The master key a server on `database` gets: SQLite servers generate a key file beside the
/// database; on PostgreSQL, [`TEST_MASTER_KEY`].
pub fn master_key_for(database: &TestDatabase) -> Option<secrecy::SecretString> {
    matches!(database, TestDatabase::Postgres { .. }).then(|| TEST_MASTER_KEY.into())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server whose settings `adjust` may change first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(TestDatabase::create().await, adjust).await
}

/// Starts a server on a database the test prepared.
pub async fn spawn_app_on(database: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(database, adjust, None).await
}

/// Starts a server whose `adjust` configures TLS, with clients that connect to
/// `https://localhost:<port>` with `tls`.
pub async fn spawn_tls_app(adjust: impl FnOnce(&mut Settings), tls: ClientTlsConfig) -> TestApp {
    spawn(TestDatabase::create().await, adjust, Some(tls)).await
}

async fn spawn(database: TestDatabase, adjust: impl FnOnce(&mut Settings), tls: Option<ClientTlsConfig>) -> TestApp {
    init_logs();
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database.url().to_owned(),
        health_check_interval_ms: 100,
        master_key: master_key_for(&database),
        ..Settings::default()
    };
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("application builds");
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let endpoint = match tls {
        Some(tls) => {
            Channel::from_shared(format!("https://localhost:{}", addr.port())).unwrap().tls_config(tls).unwrap()
        }
        None => Channel::from_shared(format!("http://{addr}")).unwrap(),
    };
    let channel = endpoint.connect().await.expect("server accepts connections");
    wait_until_serving(&mut HealthClient::new(channel.clone())).await;
    TestApp {
        addr,
        metrics_addr,
        agents: AgentServiceClient::new(channel.clone()),
        health: HealthClient::new(channel.clone()),
        channel,
        database,
        shutdown: Some(tx),
        server: Some(server),
    }
}

/// Connects to a server starting at `address` (`http://...`), retrying for up to 30 s, and
/// waits until it reports SERVING.
pub async fn connect_serving(address: &str) -> Channel {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let channel = loop {
        if let Ok(channel) = Channel::from_shared(address.to_owned()).unwrap().connect().await {
            break channel;
        }
        assert!(tokio::time::Instant::now() < deadline, "{address} did not accept connections within 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    wait_until_serving(&mut HealthClient::new(channel.clone())).await;
    channel
}

/// Waits (up to 30 s) until health reports SERVING: the replica has checked its migrations.
pub async fn wait_until_serving(health: &mut HealthClient<Channel>) {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let status = health.check(HealthCheckRequest { service: String::new() }).await.map(|r| r.into_inner().status);
        if status.ok() == Some(ServingStatus::Serving as i32) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the server did not report SERVING within 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

impl TestApp {
    /// Rows of a table, counted straight in the database.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let db = Database::connect(self.database.url()).await.unwrap();
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        let n = row.unwrap().try_get::<i64>("", "n").unwrap();
        let _ = db.close().await;
        n
    }
}

/// The ErrorInfo reason of a failed call.
pub fn reason(status: &tonic::Status) -> String {
    status.get_details_error_info().map(|i| i.reason).unwrap_or_default()
}

/// The fields named by the BadRequest detail of a failed call.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// Asserts a call failed with `code` and `reason`, returning the status.
#[track_caller]
pub fn expect_error<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: tonic::Code,
    reason_text: &str,
) -> tonic::Status {
    let status = result.expect_err("the call must fail");
    assert_eq!(status.code(), code, "unexpected status: {status:?}");
    assert_eq!(reason(&status), reason_text, "unexpected reason: {status:?}");
    status
}
