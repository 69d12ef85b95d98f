//! Import of 100 and 1000 agents into an empty tenant (`ImportAgents`), beside the database
//! inserting the same documents in one multi-row statement in one transaction.

use std::time::{Duration, Instant};

use agentport::domain::bundle::{Bundle, Entry};
use agentport::domain::{bundle, checksum, json};
use agentport::proto::ImportAgentsRequest;
use agentport::proto::agent_service_client::AgentServiceClient;
use base64::Engine;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait, Value};

use super::Ctx;
use crate::seed::{insert_sql, realistic_agent};

const ROUNDS: usize = 5;

pub async fn run(ctx: &mut Ctx) {
    let mut import_p50 = Vec::new();
    for count in [100, 1000] {
        let agents: Vec<_> = (0..count)
            .map(|i| {
                let mut agent = realistic_agent(i);
                // Self-contained: no references to resources outside the bundle.
                agent.tools.clear();
                agent.collaborations.clear();
                agent.llm.as_mut().unwrap().token_id.clear();
                Entry { id: format!("imported-{i:05}"), value: agent }
            })
            .collect();
        let bytes = bundle::encode(&Bundle { agents: agents.clone(), ..Default::default() });
        let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let sum = checksum::checksum(&bytes, None);
        let mut client = AgentServiceClient::connect(ctx.grpc_url())
            .await
            .expect("connect")
            .max_encoding_message_size(64 << 20)
            .max_decoding_message_size(64 << 20);
        let mut imports = Vec::new();
        for round in 0..ROUNDS {
            let request = ImportAgentsRequest {
                parent: format!("tenants/import-{count}-{round}"),
                data: data.clone(),
                checksum: sum.clone(),
                ..Default::default()
            };
            let begun = Instant::now();
            let response = client.import_agents(request).await.expect("ImportAgents").into_inner();
            imports.push(begun.elapsed());
            assert_eq!(response.summary.map(|s| s.agents.len()), Some(count), "every agent imported");
        }
        let bodies: Vec<String> = agents.iter().map(|e| json::to_json(&e.value)).collect();
        let mut anchors = Vec::new();
        for round in 0..ROUNDS {
            anchors.push(Duration::from_secs_f64(
                insert_once(ctx, &format!("anchor-{count}-{round}"), &bodies).await / 1000.0,
            ));
        }
        let (ours, theirs) = (median(imports), median(anchors));
        let case = format!("ImportAgents {count} agents ({} KB bundle)", bytes.len() / 1024);
        let mut row = ctx.row("import", &case, "ms", ours).slower_than(theirs);
        if count == 100 {
            let met = row.ratio.unwrap_or(f64::MAX) <= 5.0;
            row = row.target("<= 5x the database's insert", met);
        } else if let Some(hundred) = import_p50.first() {
            let met = ours <= 10.0 * hundred;
            row = row.target(&format!("<= 10x import of 100 ({:.0} ms)", 10.0 * hundred), met);
        }
        ctx.push(row);
        ctx.push(
            ctx.row("import", &case, "entities/s", count as f64 / ours * 1000.0)
                .against(count as f64 / theirs * 1000.0),
        );
        import_p50.push(ours);
    }
}

/// The same documents written by one multi-row INSERT in one transaction, in ms.
async fn insert_once(ctx: &Ctx, tenant: &str, bodies: &[String]) -> f64 {
    let backend = ctx.db.get_database_backend();
    let now = agentport::domain::clock::now_micros();
    let mut values: Vec<Value> = Vec::with_capacity(bodies.len() * 9);
    for (i, body) in bodies.iter().enumerate() {
        values.extend([
            tenant.into(),
            "agent".into(),
            "".into(),
            format!("imported-{i:05}").into(),
            1i64.into(),
            now.into(),
            now.into(),
            format!("Support agent {i}").into(),
            body.clone().into(),
        ]);
    }
    let sql = insert_sql(
        backend,
        "resources (tenant, kind, parent, id, revision, create_time, update_time, display_name, body)",
        9,
        bodies.len(),
    );
    let begun = Instant::now();
    let txn = ctx.db.begin().await.expect("begin");
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.expect("insert");
    txn.commit().await.expect("commit");
    begun.elapsed().as_secs_f64() * 1000.0
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}
