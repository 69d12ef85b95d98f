//! Fixed load for a profiler: `agentport-bench drive DATABASE_URL ADDR CALLS CONCURRENCY
//! grpc|rest` seeds the GetAgent scenario's agent into agentport's database (when missing) and
//! makes `CALLS` calls at `CONCURRENCY`, then prints the time taken. Run agentport under
//! `valgrind --tool=callgrind` and zero its counters between a warm-up drive and the measured
//! one (`callgrind_control -z`, then `-d`): instructions per call are the dump's total / CALLS.

use std::time::Instant;

use agentport::proto::GetAgentRequest;
use agentport::proto::agent_service_client::AgentServiceClient;
use sea_orm::{ConnectionTrait, Database};

pub async fn run(args: &[String]) {
    let [database_url, addr, calls, concurrency, transport] = args else {
        eprintln!("usage: agentport-bench drive DATABASE_URL ADDR CALLS CONCURRENCY grpc|rest");
        std::process::exit(2);
    };
    let (calls, concurrency): (usize, usize) =
        (calls.parse().expect("CALLS"), concurrency.parse().expect("CONCURRENCY"));
    let db = Database::connect(database_url).await.expect("database");
    let present = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM resources WHERE tenant = 'bench' AND kind = 'agent'".to_owned(),
        ))
        .await
        .expect("query")
        .is_some();
    if !present {
        crate::seed::agents(&db, crate::scenarios::get::TENANT, 1, 1).await;
    }
    let name = format!("tenants/{}/agents/{}", crate::scenarios::get::TENANT, crate::scenarios::get::AGENT);
    let url = format!("http://{addr}{}", crate::scenarios::get::REST_PATH);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..concurrency {
        let share = calls / concurrency + usize::from(w < calls % concurrency);
        let (name, url, transport) = (name.clone(), url.clone(), transport.clone());
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}")).expect("addr").connect_lazy();
        workers.spawn(async move {
            let (mut grpc, http) = (AgentServiceClient::new(channel), reqwest::Client::new());
            for _ in 0..share {
                match transport.as_str() {
                    "rest" => assert!(http.get(&url).send().await.expect("GET").status().is_success()),
                    _ => drop(grpc.get_agent(GetAgentRequest { name: name.clone() }).await.expect("GetAgent")),
                }
            }
        });
    }
    workers.join_all().await;
    println!("{calls} {transport} calls at concurrency {concurrency} in {:.3} s", started.elapsed().as_secs_f64());
}
