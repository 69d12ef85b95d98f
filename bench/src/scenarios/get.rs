//! Fixed cost per call: unary `GetAgent` and the Emporix REST GET at concurrency 1, 16 and 64,
//! beside a minimal tonic server and an axum route answering the same bytes from memory; with
//! server CPU per request and agentport's RSS idle, under load and after.

use std::time::Duration;

use agentport::proto::GetAgentRequest;
use agentport::proto::agent_service_client::AgentServiceClient;
use prost::Message;
use tonic::transport::Channel;

use super::Ctx;
use crate::load::{Load, closed_loop};
use crate::server::{OtherLoad, Process, RssSampler, baseline};

pub const TENANT: &str = "bench";
pub const AGENT: &str = "agent-0000001";
pub const REST_PATH: &str = "/ai-service/bench/agentic/agents/agent-0000001";

pub async fn run(ctx: &mut Ctx) {
    crate::seed::agents(&ctx.db, TENANT, 1, 1).await;
    let name = format!("tenants/{TENANT}/agents/{AGENT}");
    let mut client = AgentServiceClient::connect(ctx.grpc_url()).await.expect("connect");
    let agent = client.get_agent(GetAgentRequest { name: name.clone() }).await.expect("GetAgent").into_inner();
    let json = reqwest::get(ctx.http_url(REST_PATH)).await.expect("REST GET").bytes().await.expect("body");
    let (pb_path, json_path) = (ctx.work.path().join("agent.pb"), ctx.work.path().join("agent.json"));
    std::fs::write(&pb_path, agent.encode_to_vec()).expect("write agent");
    std::fs::write(&json_path, &json).expect("write JSON");
    let anchor = baseline(&pb_path, &json_path, REST_PATH);
    let (warmup, duration) = if ctx.quick { (0.2, 1.0) } else { (1.0, 5.0) };
    let (warmup, duration) = (Duration::from_secs_f64(warmup), Duration::from_secs_f64(duration));
    let idle_rss = ctx.server.rss_mib();
    let size = format!("{} B proto, {} B JSON", agent.encoded_len(), json.len());

    for concurrency in [1, 16, 64] {
        let sampler = (concurrency == 64).then(|| RssSampler::start(ctx.server.pid()));
        let ours = measure(&ctx.server, &[&anchor], concurrency, warmup, duration, Call::Grpc(name.clone())).await;
        let peak_rss = sampler.map(RssSampler::stop);
        let theirs = measure(&anchor, &[&ctx.server], concurrency, warmup, duration, Call::Grpc(name.clone())).await;
        push(ctx, "GetAgent", &format!("c={concurrency} ({size})"), concurrency, ours, theirs, 0.5);
        if let Some(peak) = peak_rss {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let case = "agentport RSS under GetAgent c=64";
            ctx.push(ctx.row("rss", "idle (after seeding)", "MiB", idle_rss));
            ctx.push(ctx.row("rss", case, "peak MiB", peak));
            ctx.push(ctx.row("rss", "2 s after that load", "MiB", ctx.server.rss_mib()));
        }
    }
    for concurrency in [1, 16, 64] {
        let url = |p: &Process| format!("http://{}{REST_PATH}", p.addr);
        let ours = measure(&ctx.server, &[&anchor], concurrency, warmup, duration, Call::Rest(url(&ctx.server))).await;
        let theirs = measure(&anchor, &[&ctx.server], concurrency, warmup, duration, Call::Rest(url(&anchor))).await;
        push(ctx, "REST GET", &format!("Emporix agent c={concurrency}"), concurrency, ours, theirs, 0.25);
    }
}

#[derive(Clone)]
enum Call {
    Grpc(String),
    Rest(String),
}

struct Measured {
    load: Load,
    cpu_us_per_request: f64,
    other_pct: f64,
}

/// Load on `target` (the other processes idle), with its CPU time per request.
async fn measure(
    target: &Process,
    others: &[&Process],
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    call: Call,
) -> Measured {
    let addr = format!("http://{}", target.addr);
    let other = OtherLoad::start(&[target, others[0]]);
    let cpu_before = target.cpu_seconds();
    let load = closed_loop(concurrency, warmup, duration, |_| worker(&addr, call.clone())).await;
    let cpu = target.cpu_seconds() - cpu_before;
    let other_pct = other.finish(&[target, others[0]]);
    // CPU of the warm-up counts too; spread it over every call made in it.
    let calls = load.requests as f64 * (warmup + duration).as_secs_f64() / duration.as_secs_f64();
    Measured { load, cpu_us_per_request: cpu / calls.max(1.0) * 1e6, other_pct }
}

fn worker(
    addr: &str,
    call: Call,
) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + 'static {
    let channel = Channel::from_shared(addr.to_owned()).expect("url").connect_lazy();
    let grpc = AgentServiceClient::new(channel);
    let http = reqwest::Client::new();
    move || {
        let (mut grpc, http, call) = (grpc.clone(), http.clone(), call.clone());
        Box::pin(async move {
            match call {
                Call::Grpc(name) => {
                    grpc.get_agent(GetAgentRequest { name }).await.expect("GetAgent");
                }
                Call::Rest(url) => {
                    let response = http.get(url).send().await.expect("GET");
                    assert!(response.status().is_success());
                    response.bytes().await.expect("body");
                }
            }
        })
    }
}

use std::future::Future;

fn push(ctx: &mut Ctx, what: &str, case: &str, concurrency: usize, ours: Measured, theirs: Measured, target: f64) {
    let scenario = if what == "GetAgent" { "get_agent" } else { "rest_get" };
    let mut rate =
        ctx.row(scenario, format!("{what} {case}"), "req/s", ours.load.per_second).against(theirs.load.per_second);
    if concurrency == 64 {
        let met = rate.ratio.unwrap_or(0.0) >= target;
        rate = rate.target(&format!(">= {target}x baseline"), met);
    }
    let other = ours.other_pct.max(theirs.other_pct);
    ctx.push(rate.load(other));
    ctx.push(ctx.row(scenario, format!("{what} {case}"), "p50 ms", ours.load.p50_ms).slower_than(theirs.load.p50_ms));
    ctx.push(ctx.row(scenario, format!("{what} {case}"), "p99 ms", ours.load.p99_ms).slower_than(theirs.load.p99_ms));
    ctx.push(
        ctx.row(scenario, format!("{what} {case}"), "server CPU us/req", ours.cpu_us_per_request)
            .slower_than(theirs.cpu_us_per_request),
    );
}
