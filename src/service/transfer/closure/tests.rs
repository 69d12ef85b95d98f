//! Walking a closure reads in batches: its statements do not grow with the agent's references.

use std::sync::atomic::Ordering;

use super::*;
use crate::domain::json;
use crate::proto::{Collaboration, KnowledgeBaseAttachment, ToolAttachment};
use crate::store::NewResource;
use crate::store::testing::{count_statements, on_each_backend};

fn row<R: Resource>(tenant: &str, parent: &str, id: &str, resource: &R) -> NewResource {
    let parent = Parent { tenant: tenant.to_owned(), parent_id: parent.to_owned() };
    NewResource { name: ResourceName::new(&parent, R::KIND, id), label: id.to_owned(), body: json::to_json(resource) }
}

fn agent(collaborators: impl IntoIterator<Item = String>, tool: usize, kb: usize) -> Agent {
    Agent {
        collaborations: collaborators
            .into_iter()
            .map(|agent_id| Collaboration { agent_id, description: "hand over".into() })
            .collect(),
        tools: vec![ToolAttachment { tool_id: format!("tool-{tool}"), ..Default::default() }],
        knowledge_bases: vec![KnowledgeBaseAttachment { knowledge_base_id: format!("kb-{kb}"), ..Default::default() }],
        ..Default::default()
    }
}

/// `root` hands over to `n` agents (and `n` that do not exist); each of those to one of five
/// more; all use seven tools and three knowledge bases of two documents each.
async fn seed(store: &Store, tenant: &str, n: usize) {
    let mut rows = Vec::new();
    let to_all = (0..n).map(|i| format!("c-{i}")).chain((0..n).map(|i| format!("ghost-{i}")));
    rows.push(row(tenant, "", "root", &agent(to_all, 0, 0)));
    for i in 0..n {
        rows.push(row(tenant, "", &format!("c-{i}"), &agent([format!("deep-{}", i % 5)], i % 7, i % 3)));
    }
    for i in 0..5 {
        rows.push(row(tenant, "", &format!("deep-{i}"), &agent([], i, i % 3)));
    }
    for i in 0..7 {
        rows.push(row(
            tenant,
            "",
            &format!("tool-{i}"),
            &Tool { display_name: format!("Tool {i}"), ..Default::default() },
        ));
    }
    for i in 0..3 {
        rows.push(row(tenant, "", &format!("kb-{i}"), &KnowledgeBase::default()));
    }
    let mut documents = Vec::new();
    for i in 0..3 {
        for j in 0..2 {
            documents.push(row(tenant, &format!("kb-{i}"), &format!("doc-{j}"), &Document::default()));
        }
    }
    let tx = store.begin().await.unwrap();
    tx.insert_many(&rows, 1).await.unwrap();
    tx.insert_many(&documents, 1).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn closures_read_in_batches() {
    on_each_backend(walks_cost_the_same).await;
}

async fn walks_cost_the_same(mut store: Store) {
    let counter = count_statements(&mut store);
    let mut figures = Vec::new();
    for n in [10, 3000] {
        let tenant = format!("t{n}");
        seed(&store, &tenant, n).await;

        let before = counter.load(Ordering::Relaxed);
        let bundle = collect(&store, &tenant, &["root".to_owned()], 10).await.unwrap();
        let export = counter.load(Ordering::Relaxed) - before;
        assert_eq!(bundle.agents.len(), 1 + n + 5, "the root, its collaborators and theirs; no ghosts");
        assert_eq!(bundle.tools.len(), 7);
        let documents: Vec<usize> = bundle.knowledge_bases.iter().map(|kb| kb.documents.len()).collect();
        assert_eq!(documents, [2, 2, 2]);

        let before = counter.load(Ordering::Relaxed);
        let tree = crate::service::templates::tree::collect(&store, &tenant, "root", 10, true).await.unwrap();
        let template = counter.load(Ordering::Relaxed) - before;
        assert_eq!((tree.agents.len(), tree.tools.len(), tree.knowledge_bases.len()), (1 + n + 5, 7, 3));
        figures.push((n, export, template));
    }
    println!("{:?}: statements per walk (collaborations, export, template): {figures:?}", store.backend());
    assert_eq!(figures[0].1, figures[1].1, "an export closure reads as often for 3000 collaborations as for 10");
    assert_eq!(figures[0].2, figures[1].2, "so does a template's tree");
}
