//! Invalid input is refused with the offending field named; stale etags and taken ids too.

use agentport::proto::*;
use prost_types::FieldMask;
use tonic::Code;

use crate::crud::sample_agent;
use crate::helpers::{expect_error, spawn_app, violated_fields};

#[tokio::test]
async fn taken_id_is_refused() {
    let mut app = spawn_app().await;
    let request =
        CreateAgentRequest { parent: "tenants/acme".into(), agent_id: "dup".into(), agent: Some(sample_agent()) };
    app.agents.create_agent(request.clone()).await.unwrap();
    let status = expect_error(app.agents.create_agent(request).await, Code::AlreadyExists, "RESOURCE_ALREADY_EXISTS");
    assert!(status.message().contains("tenants/acme/agents/dup"));
}

#[tokio::test]
async fn stale_etag_is_refused_on_update_and_delete() {
    let mut app = spawn_app().await;
    let created = app
        .agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: "e".into(),
            agent: Some(sample_agent()),
        })
        .await
        .unwrap()
        .into_inner();
    let change = |etag: &str, icon: &str| UpdateAgentRequest {
        agent: Some(Agent { name: created.name.clone(), icon: icon.into(), etag: etag.into(), ..Default::default() }),
        update_mask: Some(FieldMask { paths: vec!["icon".into()] }),
    };
    let first = app.agents.update_agent(change(&created.etag, "one")).await.unwrap().into_inner();
    expect_error(app.agents.update_agent(change(&created.etag, "two")).await, Code::Aborted, "ETAG_MISMATCH");
    expect_error(
        app.agents
            .delete_agent(DeleteAgentRequest { name: created.name.clone(), etag: created.etag.clone(), force: false })
            .await,
        Code::Aborted,
        "ETAG_MISMATCH",
    );
    let current = app.agents.get_agent(GetAgentRequest { name: created.name.clone() }).await.unwrap().into_inner();
    assert_eq!(current, first, "refused changes wrote nothing");
    app.agents.update_agent(change(&first.etag, "two")).await.unwrap();
}

#[tokio::test]
async fn invalid_names_and_ids_name_the_field() {
    let mut app = spawn_app().await;
    let cases: Vec<(CreateAgentRequest, &str)> = vec![
        (
            CreateAgentRequest {
                parent: "tenants/acme".into(),
                agent_id: "bad id!".into(),
                agent: Some(sample_agent()),
            },
            "agent_id",
        ),
        (
            CreateAgentRequest {
                parent: "tenants/acme".into(),
                agent_id: "-starts-with-dash".into(),
                agent: Some(sample_agent()),
            },
            "agent_id",
        ),
        (
            CreateAgentRequest {
                parent: "tenants/acme".into(),
                agent_id: "x".repeat(129),
                agent: Some(sample_agent()),
            },
            "agent_id",
        ),
        (
            CreateAgentRequest { parent: "tenants/ACME".into(), agent_id: "ok".into(), agent: Some(sample_agent()) },
            "parent",
        ),
        (
            CreateAgentRequest { parent: "orgs/acme".into(), agent_id: "ok".into(), agent: Some(sample_agent()) },
            "parent",
        ),
        (CreateAgentRequest { parent: "tenants/acme".into(), agent_id: "ok".into(), agent: None }, "agent"),
    ];
    for (request, field) in cases {
        let status = expect_error(app.agents.create_agent(request).await, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert!(violated_fields(&status).contains(&field.to_owned()), "{field}: {status:?}");
    }
    for (name, field) in [("tenants/acme/tools/x", "name"), ("tenants/acme/agents/a/b", "name"), ("", "name")] {
        let status = expect_error(
            app.agents.get_agent(GetAgentRequest { name: name.into() }).await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(violated_fields(&status), vec![field.to_owned()]);
    }
    let status = expect_error(
        app.agents
            .update_agent(UpdateAgentRequest {
                agent: Some(Agent { name: "nope".into(), ..Default::default() }),
                update_mask: None,
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), vec!["agent.name".to_owned()]);
    expect_error(
        app.agents
            .create_document(CreateDocumentRequest {
                parent: "tenants/acme/agents/x".into(),
                document_id: "d".into(),
                document: Some(Document { display_name: "d".into(), ..Default::default() }),
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
}

#[tokio::test]
async fn invalid_content_reports_every_field_path() {
    let mut app = spawn_app().await;
    let mut agent = sample_agent();
    agent.display_name.clear();
    agent.max_recursion_limit = Some(51);
    agent.tools = vec![
        ToolAttachment { tool_id: "ok".into(), ..Default::default() },
        ToolAttachment { tool_id: "bad/id".into(), ..Default::default() },
    ];
    agent.output_schema_json = "{not json".into();
    agent.llm.as_mut().unwrap().temperature = Some(3.0);
    let status = expect_error(
        app.agents
            .create_agent(CreateAgentRequest {
                parent: "tenants/acme".into(),
                agent_id: "v".into(),
                agent: Some(agent),
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    let fields = violated_fields(&status);
    for expected in [
        "agent.display_name",
        "agent.max_recursion_limit",
        "agent.tools[1].tool_id",
        "agent.output_schema_json",
        "agent.llm.temperature",
    ] {
        assert!(fields.contains(&expected.to_owned()), "{expected} missing from {fields:?}");
    }
    let status = expect_error(
        app.agents
            .create_secret(CreateSecretRequest {
                parent: "tenants/acme".into(),
                secret_id: "s".into(),
                secret: Some(Secret { display_name: "s".into(), ..Default::default() }),
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), vec!["secret.value".to_owned()]);
    let status = expect_error(
        app.agents
            .create_tool(CreateToolRequest {
                parent: "tenants/acme".into(),
                tool_id: "t".into(),
                tool: Some(Tool {
                    display_name: "t".into(),
                    r#type: "teams".into(),
                    config: Some(tool::Config::Slack(SlackToolConfig::default())),
                    ..Default::default()
                }),
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), vec!["tool.type".to_owned()]);

    // Nothing was written by any refused call.
    let listed = app
        .agents
        .list_agents(ListAgentsRequest { parent: "tenants/acme".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.agents.is_empty());
}

#[tokio::test]
async fn unknown_update_mask_paths_are_named() {
    let mut app = spawn_app().await;
    let created = app
        .agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: "m".into(),
            agent: Some(sample_agent()),
        })
        .await
        .unwrap()
        .into_inner();
    let status = expect_error(
        app.agents
            .update_agent(UpdateAgentRequest {
                agent: Some(Agent { name: created.name, ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["icon".into(), "colour".into(), "llm.model".into()] }),
            })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), vec!["update_mask.paths[1]".to_owned(), "update_mask.paths[2]".to_owned()]);
}
