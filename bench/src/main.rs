//! agentport's benchmark harness: every figure beside its anchor, measured in the same run, on
//! SQLite and (when an admin URL is given) PostgreSQL, against agentport's release build.
//!
//! ```sh
//! cargo run --release -p agentport-bench                        # SQLite only
//! AGENTPORT_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo run --release -p agentport-bench -- --out bench.json  # SQLite, then PostgreSQL
//! cargo run --release -p agentport-bench -- --only get,lists --stores sqlite --quick
//! ```
//!
//! The processes under test are this same executable: `agentport-bench agentport serve ...` runs
//! agentport's own entry point (`agentport::run`), `agentport-bench baseline ...` the anchor
//! servers. So the server measured is the one compiled in this build, with the harness's
//! profile, and a rerun builds nothing that has not changed.
//!
//! Prints one table (store, scenario, case, metric, value, anchor, ratio, other load, target)
//! and writes it as JSON with the machine it ran on (`--out`, default `bench-results.json`).

mod baseline;
mod drive;
mod load;
mod report;
mod scenarios;
mod seed;
mod server;

use report::{Machine, Report, print_header};
use scenarios::{ALL, Ctx};
use server::Scratch;

struct Args {
    only: Vec<String>,
    stores: Vec<String>,
    out: String,
    quick: bool,
    smoke: bool,
}

fn args() -> Args {
    let mut args =
        Args { only: Vec::new(), stores: Vec::new(), out: "bench-results.json".into(), quick: false, smoke: false };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--only" => args.only = it.next().unwrap_or_default().split(',').map(str::to_owned).collect(),
            "--stores" => args.stores = it.next().unwrap_or_default().split(',').map(str::to_owned).collect(),
            "--out" => args.out = it.next().expect("--out PATH"),
            "--quick" => args.quick = true,
            // Smaller collections: with a debug build, checks the harness and measures nothing.
            "--smoke" => (args.quick, args.smoke) = (true, true),
            other => {
                eprintln!("unknown argument {other}; use --only a,b --stores sqlite,postgres --out PATH --quick");
                std::process::exit(2);
            }
        }
    }
    args
}

fn machine() -> Machine {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let memory_kb: u64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    Machine {
        nproc: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        memory_mib: memory_kb / 1024,
        load_average: read("/proc/loadavg").trim().to_owned(),
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        started_at: agentport::domain::clock::iso8601(agentport::domain::clock::now_micros()),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let command_line: Vec<String> = std::env::args().collect();
    match command_line.get(1).map(String::as_str) {
        Some(server::AGENTPORT) => {
            use clap::Parser;
            agentport::run::run(agentport::cli::Cli::parse_from(&command_line[1..])).await
        }
        Some("drive") => {
            drive::run(&command_line[2..]).await;
            std::process::ExitCode::SUCCESS
        }
        Some(server::BASELINE) => {
            baseline::serve(&command_line[2..]).await;
            std::process::ExitCode::SUCCESS
        }
        _ => {
            harness().await;
            std::process::ExitCode::SUCCESS
        }
    }
}

async fn harness() {
    let args = args();
    if cfg!(debug_assertions) && !args.smoke {
        println!("note: a debug build; its figures mean nothing (use `cargo run --release`).\n");
    }
    let machine = machine();
    println!(
        "machine: {} cores, {} MiB, load average {} (kernel {})\n",
        machine.nproc, machine.memory_mib, machine.load_average, machine.kernel
    );
    let admin = ["AGENTPORT_BENCH_DATABASE_URL", "AGENTPORT_TEST_DATABASE_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|u| !u.is_empty()));
    if admin.is_none() {
        println!("PostgreSQL skipped: set AGENTPORT_BENCH_DATABASE_URL to an admin URL to include it.\n");
    }
    print_header();
    let mut rows = Vec::new();
    for store in ["sqlite", "postgres"] {
        if !args.stores.is_empty() && !args.stores.iter().any(|s| s == store) {
            continue;
        }
        let scratch = match (store, &admin) {
            ("sqlite", _) => Scratch::sqlite(),
            (_, Some(admin)) => Scratch::postgres(admin).await,
            _ => continue,
        };
        let server = server::agentport(&scratch.url);
        let db = sea_orm::Database::connect(&scratch.url).await.expect("bench database connects");
        let mut ctx = Ctx {
            store: store.to_owned(),
            server,
            db,
            db_url: scratch.url.clone(),
            work: tempfile::tempdir().expect("work dir"),
            quick: args.quick,
            rows: Vec::new(),
        };
        for (name, run) in ALL {
            if args.only.is_empty() || args.only.iter().any(|o| o == name) {
                run(&mut ctx).await;
            }
        }
        rows.append(&mut ctx.rows);
        let _ = ctx.db.close().await;
        drop(ctx.server);
        scratch.drop_database().await;
    }
    let report = Report { machine, rows };
    let json = serde_json::to_string_pretty(&report).expect("report serializes");
    std::fs::write(&args.out, json).expect("write the JSON report");
    let missed = report.rows.iter().filter(|r| r.met == Some(false)).count();
    println!("\n{} rows written to {}; {missed} target(s) missed", report.rows.len(), args.out);
}
