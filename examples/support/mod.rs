//! Shared by the soak and fault runs: fresh databases, release servers as child processes on
//! loopback, process measurements (RSS, CPU) and percentiles.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::proto::job_service_client::JobServiceClient;
use sqlx::Connection;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Which store a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

impl StoreKind {
    pub fn parse(text: &str) -> Self {
        match text {
            "sqlite" => StoreKind::Sqlite,
            "postgres" => StoreKind::Postgres,
            other => panic!("unknown store `{other}`: use sqlite or postgres"),
        }
    }
}

/// A database for one run, dropped at the end.
pub struct Database {
    pub url: String,
    admin: Option<(String, String)>,
    pub dir: tempfile::TempDir,
}

impl Database {
    pub async fn fresh(kind: StoreKind) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match kind {
            StoreKind::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("agentport.db").display());
                Self { url, admin: None, dir }
            }
            StoreKind::Postgres => {
                let admin = std::env::var("AGENTPORT_TEST_DATABASE_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
                let name = format!("agentport_r_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL is reachable");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
                let base = admin.rsplit_once('/').unwrap().0;
                Self { url: format!("{base}/{name}"), admin: Some((admin, name)), dir }
            }
        }
    }

    pub async fn drop_now(self) {
        if let Some((admin, name)) = &self.admin
            && let Ok(mut conn) = sqlx::PgConnection::connect(admin).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&mut conn)
                .await;
        }
    }
}

/// The release `agentport` binary beside this example's directory.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("agentport");
    assert!(bin.exists(), "{} is missing: build it first (cargo build --release --bins)", bin.display());
    bin
}

/// A server process on a loopback port.
pub struct Server {
    pub child: tokio::process::Child,
    pub addr: String,
    pub port: u16,
    pub log: PathBuf,
}

impl Server {
    /// Starts `agentport serve` on a free port; does not wait for it.
    pub fn spawn(database_url: &str, log_dir: &Path, name: &str, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = log_dir.join(format!("{name}.log"));
        let mut command = tokio::process::Command::new(binary());
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", database_url])
            .env("RUST_LOG", "agentport=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("the agentport binary starts");
        Self { child, addr: format!("http://127.0.0.1:{port}"), port, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Waits until health reports SERVING; returns a channel.
    pub async fn serving(&mut self, within: Duration) -> Result<Channel, String> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status} before SERVING; see {}", self.log.display()));
            }
            if let Ok(channel) = Channel::from_shared(self.addr.clone()).unwrap().connect().await {
                let mut health = HealthClient::new(channel.clone());
                if let Ok(r) = health.check(HealthCheckRequest { service: String::new() }).await
                    && r.into_inner().status == 1
                {
                    return Ok(channel);
                }
            }
            if Instant::now() > deadline {
                return Err(format!("not SERVING within {within:?}; see {}", self.log.display()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn start(database_url: &str, log_dir: &Path, name: &str, env: &[(&str, &str)]) -> (Self, Channel) {
        let mut server = Self::spawn(database_url, log_dir, name, env);
        let channel = server.serving(Duration::from_secs(30)).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        (server, channel)
    }

    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill").args([&format!("-{signal}"), &self.pid().to_string()]).status();
        assert!(status.map(|s| s.success()).unwrap_or(false), "kill -{signal} failed");
    }

    /// Resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// CPU time used so far (user + system).
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
        let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
            + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        Duration::from_millis(ticks * 10)
    }

    pub fn agents(channel: &Channel) -> AgentServiceClient<Channel> {
        AgentServiceClient::new(channel.clone()).max_decoding_message_size(64 << 20).max_encoding_message_size(64 << 20)
    }

    pub fn jobs(channel: &Channel) -> JobServiceClient<Channel> {
        JobServiceClient::new(channel.clone())
    }
}

/// The `p`-th percentile (0..=100) of `samples`.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// An agent good enough for load: a localized name, an LLM, a tag.
pub fn agent(i: usize) -> agentport::proto::Agent {
    use agentport::proto::*;
    Agent {
        display_name: [("en".to_owned(), format!("Agent {i}"))].into(),
        description: [("en".to_owned(), "Handles things under load".to_owned())].into(),
        category: "generic".into(),
        icon: "robot".into(),
        tags: vec!["load".into()],
        instructions: Some(Instructions { general: "Answer briefly.".into(), ..Default::default() }),
        llm: Some(LlmConfig { provider: "openai".into(), model: "gpt-4o-mini".into(), ..Default::default() }),
        ..Default::default()
    }
}
