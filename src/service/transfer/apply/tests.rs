//! An import's statements do not grow with the number of entities it writes.

use std::sync::atomic::Ordering;

use super::*;
use crate::domain::bundle::{BundledKnowledgeBase, Entry};
use crate::domain::limits::DocumentLimits;
use crate::proto::{
    Agent, Collaboration, Document, KnowledgeBase, KnowledgeBaseAttachment, LlmConfig, McpServerAttachment, Secret,
    ToolAttachment,
};
use crate::service::documents::content::stage_text;
use crate::store::Store;
use crate::store::testing::{count_statements, on_each_backend};

/// `n` agents in a chain of collaborations, each with its own tool, MCP server and knowledge
/// base (one document with content), all using one secret that exists and one that does not.
fn bundle(n: usize) -> Bundle {
    let mut bundle = Bundle::default();
    for i in 0..n {
        bundle.tools.push(Entry {
            id: format!("tool-{i}"),
            value: Tool { display_name: format!("Tool {i}"), r#type: "http".into(), ..Default::default() },
        });
        bundle.mcp_servers.push(Entry {
            id: format!("mcp-{i}"),
            value: McpServer {
                display_name: format!("MCP {i}"),
                authorization_header_token_id: "missing-token".into(),
                ..Default::default()
            },
        });
        bundle.knowledge_bases.push(BundledKnowledgeBase {
            id: format!("kb-{i}"),
            knowledge_base: KnowledgeBase { display_name: format!("KB {i}"), ..Default::default() },
            documents: vec![Entry {
                id: "doc".into(),
                value: Document { display_name: format!("Doc {i}"), ..Default::default() },
            }],
        });
        let next = format!("agent-{}", (i + 1) % n);
        bundle.agents.push(Entry {
            id: format!("agent-{i}"),
            value: Agent {
                display_name: [("en".to_owned(), format!("Agent {i}"))].into(),
                llm: Some(LlmConfig { token_id: "llm-token".into(), ..Default::default() }),
                tools: vec![ToolAttachment { tool_id: format!("tool-{i}"), ..Default::default() }],
                mcp_servers: vec![McpServerAttachment { mcp_server_id: format!("mcp-{i}"), ..Default::default() }],
                knowledge_bases: vec![KnowledgeBaseAttachment {
                    knowledge_base_id: format!("kb-{i}"),
                    ..Default::default()
                }],
                collaborations: vec![Collaboration { agent_id: next, description: "next".into() }],
                ..Default::default()
            },
        });
    }
    bundle
}

/// Imports `bundle` into `tenant` (committed) and returns the report and the statements it ran.
async fn import(
    store: &Store,
    counter: &std::sync::atomic::AtomicUsize,
    tenant: &str,
    bundle: &Bundle,
) -> (Applied, usize) {
    let mut contents = StagedContents::new();
    for kb in &bundle.knowledge_bases {
        let text = format!("content of {}", kb.id);
        let staged = stage_text(store, tenant, &text, &DocumentLimits::default(), "content").await.unwrap();
        contents.insert((kb.id.clone(), "doc".to_owned()), staged);
    }
    let sealer = store.keyring().sealer(tenant, false).await.unwrap();
    let tx = store.begin().await.unwrap();
    let ctx = ImportContext {
        tx: &tx,
        sealer: &sealer,
        tenant,
        policy: ConflictPolicy::Rename,
        now: 1_700_000_000_000_000,
        rename_millis: 1_700_000_000_000,
        dry_run: false,
        fault_after_writes: None,
        contents: &contents,
        mappings: &Default::default(),
        settings: &Default::default(),
        plan: None,
    };
    let before = counter.load(Ordering::Relaxed);
    let applied = apply(&ctx, bundle).await.unwrap();
    let statements = counter.load(Ordering::Relaxed) - before;
    tx.commit().await.unwrap();
    (applied, statements)
}

#[tokio::test]
async fn statements_do_not_grow_with_the_bundle() {
    on_each_backend(statements_are_constant).await;
}

async fn statements_are_constant(mut store: Store) {
    let counter = count_statements(&mut store);
    let secret = ResourceName::new(&Parent::tenant("acme"), ResourceKind::Secret, "llm-token");
    let value = Secret { display_name: "llm".into(), value: "v".into(), ..Default::default() };
    store.insert(&secret, "llm", &crate::domain::json::to_json(&value), 1).await.unwrap();

    let mut figures = Vec::new();
    for n in [5, 200] {
        let tenant = "acme";
        let (first, fresh) = import(&store, &counter, tenant, &bundle(n)).await;
        assert_eq!(first.message, format!("Successfully imported {n} agents, {n} tools, and {n} MCP servers."));
        // The same bundle again: every agent id is taken and renamed, the rest is skipped.
        let (again, renamed) = import(&store, &counter, tenant, &bundle(n)).await;
        assert!(again.summary.agents.iter().all(|a| a.source_id.starts_with("agent-") && a.id.contains("--import-")));
        figures.push((n, fresh, renamed));
        // Clean slate for the next size.
        for kind in [ResourceKind::Agent, ResourceKind::Tool, ResourceKind::McpServer, ResourceKind::KnowledgeBase] {
            for row in store.list_all(kind, &Parent::tenant(tenant)).await.unwrap() {
                store.delete(&row.name, None).await.unwrap();
            }
        }
    }
    println!("{:?}: statements per import (n agents, fresh, all renamed): {figures:?}", store.backend());
    println!("  (entities per agent: agent, tool, MCP server, knowledge base, document + content)");
    let (small, large) = (figures[0], figures[1]);
    assert_eq!(small.1, large.1, "a fresh import runs as many statements for 200 agents as for 5");
    assert_eq!(small.2, large.2, "so does one that renames every agent");
}
