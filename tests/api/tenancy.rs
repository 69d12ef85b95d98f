//! The same id in two tenants names two independent resources; nothing addressed under one
//! tenant shows, changes or deletes the other's.

use agentport::proto::*;
use prost_types::FieldMask;
use tonic::Code;

use crate::crud::sample_agent;
use crate::helpers::{expect_error, spawn_app};

#[tokio::test]
async fn tenants_are_isolated() {
    let mut app = spawn_app().await;
    let mut in_a = sample_agent();
    in_a.icon = "a-icon".into();
    let mut in_b = sample_agent();
    in_b.icon = "b-icon".into();
    let a = app
        .agents
        .create_agent(CreateAgentRequest { parent: "tenants/a".into(), agent_id: "shared".into(), agent: Some(in_a) })
        .await
        .unwrap()
        .into_inner();
    let b = app
        .agents
        .create_agent(CreateAgentRequest { parent: "tenants/b".into(), agent_id: "shared".into(), agent: Some(in_b) })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((a.name.as_str(), b.name.as_str()), ("tenants/a/agents/shared", "tenants/b/agents/shared"));

    // Reads see only their own tenant.
    let list_a = app
        .agents
        .list_agents(ListAgentsRequest { parent: "tenants/a".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list_a.agents.iter().map(|x| x.icon.as_str()).collect::<Vec<_>>(), ["a-icon"]);

    // An update in a changes only a.
    app.agents
        .update_agent(UpdateAgentRequest {
            agent: Some(Agent { name: a.name.clone(), icon: "a-changed".into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["icon".into()] }),
        })
        .await
        .unwrap();
    let b_now = app.agents.get_agent(GetAgentRequest { name: b.name.clone() }).await.unwrap().into_inner();
    assert_eq!(b_now, b, "b untouched by a's update");

    // A's etag does not apply to b, and deleting in a leaves b.
    app.agents
        .delete_agent(DeleteAgentRequest { name: a.name.clone(), etag: String::new(), force: false })
        .await
        .unwrap();
    let b_now = app.agents.get_agent(GetAgentRequest { name: b.name.clone() }).await.unwrap().into_inner();
    assert_eq!(b_now, b, "b survives a's delete");
    expect_error(
        app.agents.get_agent(GetAgentRequest { name: a.name.clone() }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
    let list_a = app
        .agents
        .list_agents(ListAgentsRequest { parent: "tenants/a".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(list_a.agents.is_empty());

    // Documents of b's knowledge base are not reachable through a's.
    for tenant in ["a", "b"] {
        app.agents
            .create_knowledge_base(CreateKnowledgeBaseRequest {
                parent: format!("tenants/{tenant}"),
                knowledge_base_id: "kb".into(),
                knowledge_base: Some(KnowledgeBase { display_name: tenant.into(), ..Default::default() }),
            })
            .await
            .unwrap();
    }
    app.agents
        .create_document(CreateDocumentRequest {
            parent: "tenants/b/knowledgeBases/kb".into(),
            document_id: "secret-doc".into(),
            document: Some(Document {
                display_name: "b only".into(),
                content: "b content".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    expect_error(
        app.agents
            .get_document(GetDocumentRequest {
                name: "tenants/a/knowledgeBases/kb/documents/secret-doc".into(),
                ..Default::default()
            })
            .await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
    let docs_a = app
        .agents
        .list_documents(ListDocumentsRequest { parent: "tenants/a/knowledgeBases/kb".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(docs_a.documents.is_empty());
    app.agents
        .delete_knowledge_base(DeleteKnowledgeBaseRequest {
            name: "tenants/a/knowledgeBases/kb".into(),
            etag: String::new(),
            force: false,
        })
        .await
        .unwrap();
    let kb_b = app
        .agents
        .get_knowledge_base(GetKnowledgeBaseRequest { name: "tenants/b/knowledgeBases/kb".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kb_b.total_documents, 1, "deleting a's base does not cascade into b");
    app.agents
        .get_document(GetDocumentRequest {
            name: "tenants/b/knowledgeBases/kb/documents/secret-doc".into(),
            ..Default::default()
        })
        .await
        .unwrap();
}
