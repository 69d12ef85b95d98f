//! List page latency at 1k, 10k and 100k agents: the first page and page 150 (50 per page) in
//! gRPC (keyset token, and `skip`), Emporix (`pageNumber`, with `X-Total-Count`) and xpander
//! (`page`, whose envelope always counts). A bounded design costs the same at every size.

use agentport::proto::ListAgentsRequest;
use agentport::proto::agent_service_client::AgentServiceClient;
use tonic::transport::Channel;

use super::Ctx;
use crate::load::{percentile, sequential};

const PAGE: i32 = 50;
const DEEP: i32 = 150;

pub async fn run(ctx: &mut Ctx) {
    let sizes: &[usize] = if ctx.quick { &[1_000, 10_000] } else { &[1_000, 10_000, 100_000] };
    let mut first_size: Vec<(String, f64)> = Vec::new();
    for &size in sizes {
        let tenant = format!("list{}k", size / 1000);
        crate::seed::agents(&ctx.db, &tenant, 0, size).await;
        let client = AgentServiceClient::connect(ctx.grpc_url()).await.expect("connect");
        let http = reqwest::Client::new();
        let mut cases: Vec<(String, f64)> = Vec::new();
        for (label, skip) in [("first page", 0), ("page 150", (DEEP - 1) * PAGE)] {
            let p50 = grpc(&client, &tenant, skip, String::new()).await;
            cases.push((format!("gRPC ListAgents {label} (skip)"), p50));
        }
        let token = deep_token(&client, &tenant).await;
        cases.push(("gRPC ListAgents page 150 (page token)".into(), grpc(&client, &tenant, 0, token).await));
        for number in [1, DEEP] {
            let path = format!("/ai-service/{tenant}/agentic/agents?pageSize={PAGE}&pageNumber={number}");
            let p50 = rest(&http, &ctx.http_url(&path), &[("x-total-count", "true")]).await;
            cases.push((format!("Emporix pageNumber={number} + X-Total-Count"), p50));
        }
        for number in [1, DEEP] {
            let path = format!("/v1/agents?per_page={PAGE}&page={number}");
            let p50 = rest(&http, &ctx.http_url(&path), &[("x-agentport-tenant", &tenant)]).await;
            cases.push((format!("xpander page={number}"), p50));
        }
        for (case, p50) in cases {
            let mut row = ctx.row("lists", format!("{case} @ {}k", size / 1000), "p50 ms", p50);
            match first_size.iter().find(|(c, _)| *c == case) {
                None => first_size.push((case, p50)),
                Some((_, small)) => {
                    row = row.slower_than(*small);
                    if size == 100_000 {
                        let met = p50 <= 2.0 * small;
                        row = row.target("<= 2x the same page at 1k", met);
                    }
                }
            }
            ctx.push(row);
        }
    }
}

async fn grpc(client: &AgentServiceClient<Channel>, tenant: &str, skip: i32, page_token: String) -> f64 {
    let times = sequential(3, 30, |_| {
        let mut client = client.clone();
        let request = ListAgentsRequest {
            parent: format!("tenants/{tenant}"),
            page_size: PAGE,
            skip,
            page_token: page_token.clone(),
            ..Default::default()
        };
        async move {
            client.list_agents(request).await.expect("ListAgents");
        }
    })
    .await;
    percentile(&times, 0.5)
}

/// The token that continues after item 7450: what a client paging with tokens holds at page 150.
async fn deep_token(client: &AgentServiceClient<Channel>, tenant: &str) -> String {
    let request = ListAgentsRequest {
        parent: format!("tenants/{tenant}"),
        page_size: 1,
        skip: (DEEP - 1) * PAGE - 1,
        ..Default::default()
    };
    client.clone().list_agents(request).await.expect("ListAgents").into_inner().next_page_token
}

async fn rest(http: &reqwest::Client, url: &str, headers: &[(&str, &str)]) -> f64 {
    let times = sequential(3, 30, |_| {
        let mut request = http.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        async move {
            let response = request.send().await.expect("GET");
            assert!(response.status().is_success(), "{}", response.status());
            response.bytes().await.expect("body");
        }
    })
    .await;
    percentile(&times, 0.5)
}
