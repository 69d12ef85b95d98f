//! The processes under test and what the harness reads of them: agentport (this executable in
//! its server role) on a fresh database, the baseline servers, `/proc` figures (CPU time, RSS, other load).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};

/// A free loopback port (bound, then released for the child to take).
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("local addr")
}

/// A child process killed when dropped.
pub struct Process {
    child: Child,
    pub addr: SocketAddr,
}

impl Process {
    pub fn spawn(mut command: Command, addr: SocketAddr) -> Self {
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("process starts");
        let process = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "{addr} never accepted connections");
            std::thread::sleep(Duration::from_millis(50));
        }
        process
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time (user + system) spent so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&format!("/proc/{}/stat", self.pid()))
    }

    /// Resident set size now, in MiB.
    pub fn rss_mib(&self) -> f64 {
        self.status_mib("VmRSS:")
    }

    /// Peak resident set size (VmHWM) since the start or the last [`Process::reset_peak_rss`].
    pub fn peak_rss_mib(&self) -> f64 {
        self.status_mib("VmHWM:")
    }

    /// Sets the peak RSS back to the current RSS (`echo 5 > /proc/PID/clear_refs`); false when
    /// the kernel refused, in which case the peak counts from the process's start.
    pub fn reset_peak_rss(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    fn status_mib(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let out = Command::new("getconf").arg("CLK_TCK").output().ok();
        out.and_then(|o| String::from_utf8(o.stdout).ok()).and_then(|s| s.trim().parse().ok()).unwrap_or(100.0)
    })
}

fn cpu_seconds_of(stat_path: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_path).unwrap_or_default();
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / clock_ticks()
}

/// The harness's own CPU time, in seconds.
pub fn own_cpu_seconds() -> f64 {
    cpu_seconds_of("/proc/self/stat")
}

/// Busy CPU seconds of the whole machine so far (all cores), from `/proc/stat`.
pub fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or_default();
    let values: Vec<f64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    let busy: f64 = values.iter().enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, v)| v).sum();
    busy / clock_ticks()
}

/// Share of the machine's CPU that processes other than `ours` used over a measurement.
pub struct OtherLoad {
    machine: f64,
    ours: f64,
    started: Instant,
}

impl OtherLoad {
    pub fn start(servers: &[&Process]) -> Self {
        let ours = own_cpu_seconds() + servers.iter().map(|s| s.cpu_seconds()).sum::<f64>();
        Self { machine: machine_busy_seconds(), ours, started: Instant::now() }
    }

    /// Percent of all cores' time.
    pub fn finish(self, servers: &[&Process]) -> f64 {
        let ours = own_cpu_seconds() + servers.iter().map(|s| s.cpu_seconds()).sum::<f64>() - self.ours;
        let machine = machine_busy_seconds() - self.machine;
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
        ((machine - ours).max(0.0) / (self.started.elapsed().as_secs_f64() * cores) * 100.0).min(100.0)
    }
}

/// A fresh database for one store's run: a temp SQLite file, or a PostgreSQL database created
/// from an admin URL and dropped at the end.
pub struct Scratch {
    pub url: String,
    admin: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Scratch {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        Self { url, admin: None, _dir: Some(dir) }
    }

    pub async fn postgres(admin_url: &str) -> Self {
        let name = format!("agentport_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await.expect("the admin database URL is reachable");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("bench database");
        let _ = admin.close().await;
        let base = admin_url.rsplit_once('/').expect("database URL has a path").0;
        Self { url: format!("{base}/{name}"), admin: Some((admin_url.to_owned(), name)), _dir: None }
    }

    pub async fn drop_database(self) {
        if let Some((admin_url, name)) = &self.admin {
            if let Ok(admin) = Database::connect(admin_url).await {
                let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                let _ = admin.close().await;
            }
        }
    }
}

/// First argument that makes this executable agentport's own entry point (`agentport::run`).
pub const AGENTPORT: &str = "agentport";
/// First argument that makes this executable the baseline servers.
pub const BASELINE: &str = "baseline";

/// This executable, started in one of its server roles.
fn this_executable(role: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("own path"));
    command.arg(role);
    command
}

/// agentport serving `database_url`, job engine off so nothing else runs; returned once its
/// `/readyz` says the migrations are done (it accepts connections before that, and the
/// scenarios seed its tables directly).
pub fn agentport(database_url: &str) -> Process {
    let (addr, probes) = (free_addr(), free_addr());
    let mut command = this_executable(AGENTPORT);
    command
        .args(["serve", "--listen", &addr.to_string(), "--database-url", database_url])
        .env("AGENTPORT_JOB_WORKERS", "0")
        .env("AGENTPORT_MAX_EXPORT_AGENTS", "1000")
        .env("AGENTPORT_METRICS_LISTEN", probes.to_string())
        // The load client is one principal of one tenant: the fairness limits would measure
        // themselves, not the service.
        .env("AGENTPORT_PRINCIPAL_RATE", "10000000")
        .env("AGENTPORT_PRINCIPAL_BURST", "10000000")
        .env("AGENTPORT_TENANT_RATE", "10000000")
        .env("AGENTPORT_TENANT_BURST", "10000000")
        .env("AGENTPORT_PRINCIPAL_CONCURRENCY", "100000")
        .env("AGENTPORT_TENANT_CONCURRENCY", "100000")
        .env("RUST_LOG", "warn");
    let process = Process::spawn(command, addr);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready(probes) {
        assert!(Instant::now() < deadline, "agentport at {addr} never became ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    process
}

/// Whether `GET /readyz` on `probes` answers 200.
fn ready(probes: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(probes) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

/// The baseline servers answering from memory.
pub fn baseline(agent_pb: &Path, agent_json: &Path, rest_path: &str) -> Process {
    let addr = free_addr();
    let mut command = this_executable(BASELINE);
    command.arg(addr.to_string()).arg(agent_pb).arg(agent_json).arg(rest_path);
    Process::spawn(command, addr)
}

/// Samples a process's RSS every 20 ms; `stop` gives the peak.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    task: std::thread::JoinHandle<f64>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = std::thread::spawn(move || {
            let mut peak: f64 = 0.0;
            while !flag.load(Ordering::Relaxed) {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                if let Some(kb) = status.lines().find_map(|l| l.strip_prefix("VmRSS:")) {
                    peak = peak.max(kb.trim().trim_end_matches("kB").trim().parse::<f64>().unwrap_or(0.0) / 1024.0);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        });
        Self { stop, task }
    }

    pub fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        self.task.join().unwrap_or(0.0)
    }
}
