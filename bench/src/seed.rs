//! Realistic tenants, written fast: agent documents inserted with multi-row statements straight
//! into the tables the service reads (the service itself stored the template document), and
//! jobs through the store's batched insert.

use agentport::domain::json;
use agentport::proto::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};

/// An agent as support teams write them: two languages, a long prompt, tools, MCP servers,
/// a collaboration, triggers and model settings (about 3.7 KB encoded).
pub fn realistic_agent(n: usize) -> Agent {
    let prompt = "You help customers with orders, returns and delivery questions. Be brief and exact; \
                  quote order numbers; hand billing questions to the billing agent. "
        .repeat(12);
    Agent {
        display_name: [
            ("en".to_owned(), format!("Support agent {n}")),
            ("de".to_owned(), format!("Support-Agent {n}")),
        ]
        .into(),
        description: [("en".to_owned(), "Answers customer questions about orders and returns.".to_owned())].into(),
        status: AgentStatus::Active as i32,
        category: "support".into(),
        icon: "headset".into(),
        tags: vec!["support".into(), "orders".into(), "returns".into()],
        instructions: Some(Instructions { general: prompt, ..Default::default() }),
        triggers: vec![
            Trigger { r#type: "endpoint".into(), ..Default::default() },
            Trigger {
                r#type: "commerce_events".into(),
                events: vec!["order.created".into(), "order.cancelled".into()],
                filter_json: r#"{"total":{"gt":100}}"#.into(),
                ..Default::default()
            },
        ],
        llm: Some(LlmConfig {
            provider: "openai".into(),
            model: "gpt-4.1-mini".into(),
            temperature: Some(0.2),
            max_tokens: Some(4000),
            token_id: "openai-key".into(),
            ..Default::default()
        }),
        mcp_servers: vec![
            McpServerAttachment { r#type: "predefined".into(), domain: "order".into(), ..Default::default() },
            McpServerAttachment { r#type: "predefined".into(), domain: "customer".into(), ..Default::default() },
        ],
        tools: vec![ToolAttachment { tool_id: "slack".into(), operations: vec!["sendMessage".into()] }],
        collaborations: vec![Collaboration { agent_id: "billing".into(), description: "billing questions".into() }],
        max_recursion_limit: Some(20),
        enable_memory: Some(true),
        required_scopes: vec!["customer".into(), "employee".into()],
        ..Default::default()
    }
}

/// Inserts agents `agent-{first:07}`.. into `tenant` as stored documents, `batch` rows per
/// statement; references (the tool, the collaboration) go to the references table as well.
pub async fn agents(db: &DatabaseConnection, tenant: &str, first: usize, count: usize) {
    const BATCH: usize = 1000;
    let body = json::to_json(&realistic_agent(0));
    let now = agentport::domain::clock::now_micros();
    let backend = db.get_database_backend();
    let mut n = first;
    while n < first + count {
        let rows = BATCH.min(first + count - n);
        let mut values: Vec<Value> = Vec::with_capacity(rows * 9);
        let mut refs: Vec<Value> = Vec::with_capacity(rows * 10);
        for i in n..n + rows {
            let id = format!("agent-{i:07}");
            values.extend([
                tenant.into(),
                "agent".into(),
                "".into(),
                id.clone().into(),
                1i64.into(),
                now.into(),
                now.into(),
                format!("Support agent {i}").into(),
                body.clone().into(),
            ]);
            for (kind, to) in [("tool", "slack"), ("agent", "billing")] {
                refs.extend([tenant.into(), "agent".into(), id.clone().into(), kind.into(), to.into()]);
            }
        }
        let sql = insert_sql(
            backend,
            "resources (tenant, kind, parent, id, revision, create_time, update_time, display_name, body)",
            9,
            rows,
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.expect("seed agents");
        let sql = insert_sql(backend, "resource_refs (tenant, from_kind, from_id, to_kind, to_id)", 5, rows * 2);
        db.execute_raw(Statement::from_sql_and_values(backend, sql, refs)).await.expect("seed refs");
        n += rows;
    }
    // PostgreSQL's autovacuum analyzes a table within a minute of a bulk write; without that,
    // the pages measured next would be planned on the statistics of a table with none of these
    // rows (a sort of the whole collection instead of an index walk). SQLite keeps no
    // statistics unless asked, and the service never asks, so it is left as served.
    if backend == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE resources, resource_refs").await.expect("analyze");
    }
}

/// `INSERT INTO table (...) VALUES (...), (...)` with placeholders for `rows` rows.
pub fn insert_sql(backend: sea_orm::DatabaseBackend, table: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} VALUES ");
    let mut p = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            p += 1;
            match backend {
                sea_orm::DatabaseBackend::Postgres => sql.push_str(&format!("${p}")),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}
