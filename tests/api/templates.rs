//! Agent templates: snapshot a tree, instantiate it anywhere, leak nothing.

use std::collections::BTreeSet;

use agentport::proto::template_service_client::TemplateServiceClient;
use agentport::proto::*;
use prost_types::FieldMask;
use tonic::Code;
use tonic::transport::Channel;

use crate::crud::sample_agent;
use crate::fixtures::document_texts;
use crate::helpers::{TestApp, expect_error, spawn_app};

const CREDENTIALS: &[&str] = &[
    "tpl-llm-credential-SECRET-1",
    "tpl-mcp-api-key-SECRET-2",
    "tpl-mcp-client-secret-SECRET-3",
    "tpl-mcp-header-SECRET-4",
    "tpl-mcp-env-SECRET-5",
    "tpl-connector-param-SECRET-6",
    "tpl-slack-credential-SECRET-7",
    "tpl-connectivity-auth-SECRET-8",
    "tpl-token-value-SECRET-9",
];

fn named(name: &str) -> Agent {
    let mut agent = sample_agent();
    agent.display_name = [("en".to_owned(), name.to_owned())].into();
    agent.kind = "regular".into();
    agent
}

fn sub_agent_item(id: &str) -> GraphItem {
    GraphItem { item_id: id.into(), r#type: "agent".into(), targets: vec![], ..Default::default() }
}

/// concierge -> (orders via collaboration, returns via graph) -> ledger (shared by both).
pub(crate) async fn seed_tree(app: &mut TestApp, tenant: &str) {
    let parent = format!("tenants/{tenant}");
    app.agents
        .create_secret(CreateSecretRequest {
            parent: parent.clone(),
            secret_id: "openai".into(),
            secret: Some(Secret { display_name: "openai".into(), value: CREDENTIALS[8].into(), ..Default::default() }),
        })
        .await
        .unwrap();
    let tools = [
        (
            "crm",
            Tool {
                display_name: "CRM".into(),
                config: Some(tool::Config::Connector(ConnectorToolConfig {
                    open_api_spec_id: "crm-spec".into(),
                    operation_ids: vec!["get-customer".into()],
                    general_params: vec![GeneralParam {
                        name: "x-key".into(),
                        description: "key".into(),
                        location: "header".into(),
                        value: CREDENTIALS[5].into(),
                    }],
                    ..Default::default()
                })),
                ..Default::default()
            },
        ),
        (
            "refund-fn",
            Tool {
                display_name: "Refund".into(),
                config: Some(tool::Config::CustomFunction(CustomFunctionToolConfig {
                    input_schema_json: r#"{"type":"object"}"#.into(),
                    status: "ready".into(),
                    source_code: "def run(x): return x".into(),
                    ..Default::default()
                })),
                ..Default::default()
            },
        ),
    ];
    for (id, tool) in tools {
        app.agents
            .create_tool(CreateToolRequest { parent: parent.clone(), tool_id: id.into(), tool: Some(tool) })
            .await
            .unwrap();
    }
    app.agents
        .create_mcp_server(CreateMcpServerRequest {
            parent: parent.clone(),
            mcp_server_id: "catalog-mcp".into(),
            mcp_server: Some(McpServer {
                display_name: "Catalog".into(),
                url: "https://mcp.example.com".into(),
                api_key: CREDENTIALS[1].into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    app.agents
        .create_knowledge_base(CreateKnowledgeBaseRequest {
            parent: parent.clone(),
            knowledge_base_id: "policies".into(),
            knowledge_base: Some(KnowledgeBase { display_name: "Policies".into(), ..Default::default() }),
        })
        .await
        .unwrap();
    for i in 0..2 {
        app.agents
            .create_document(CreateDocumentRequest {
                parent: format!("{parent}/knowledgeBases/policies"),
                document_id: format!("p{i}"),
                document: Some(Document {
                    display_name: format!("Policy {i}"),
                    url: format!("https://example.com/p{i}"),
                    content: format!("Policy text {i}"),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }

    let mut concierge = named("Concierge");
    concierge.collaborations = vec![Collaboration { agent_id: "orders".into(), description: "orders".into() }];
    concierge.graph = vec![
        sub_agent_item("returns"),
        GraphItem {
            item_id: "inline-mcp".into(),
            r#type: "mcp".into(),
            settings: Some(GraphItemSettings {
                mcp: Some(McpSettings {
                    url: "https://inline.example.com".into(),
                    api_key: CREDENTIALS[1].into(),
                    client_secret: CREDENTIALS[2].into(),
                    headers: [("Authorization".to_owned(), CREDENTIALS[3].to_owned())].into(),
                    env_vars: [("TOKEN".to_owned(), CREDENTIALS[4].to_owned())].into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
    ];
    concierge.tools = vec![ToolAttachment { tool_id: "crm".into(), operations: vec!["get-customer".into()] }];
    concierge.mcp_servers = vec![McpServerAttachment {
        r#type: "custom".into(),
        mcp_server_id: "catalog-mcp".into(),
        ..Default::default()
    }];
    concierge.llm.as_mut().unwrap().credentials =
        Some(LlmCredentials { name: "key".into(), value: CREDENTIALS[0].into(), ..Default::default() });
    concierge.llm.as_mut().unwrap().token_id = "openai".into();
    concierge.notifications = Some(NotificationSettings {
        on_error: vec![Notification {
            channel: "slack".into(),
            channels: vec!["#ops".into()],
            slack_credentials: Some(SlackCredentials { access_token: CREDENTIALS[6].into(), ..Default::default() }),
            ..Default::default()
        }],
        present: true,
        ..Default::default()
    });
    concierge.connectivity = Some(ConnectivityDetails {
        auth_type: "bearer".into(),
        auth_value: CREDENTIALS[7].into(),
        present: true,
        ..Default::default()
    });
    let mut orders = named("Orders");
    orders.collaborations = vec![Collaboration { agent_id: "ledger".into(), description: "books".into() }];
    orders.knowledge_bases = vec![KnowledgeBaseAttachment {
        knowledge_base_id: "policies".into(),
        strategy: "vanilla".into(),
        ..Default::default()
    }];
    let mut returns = named("Returns");
    returns.graph = vec![sub_agent_item("ledger")];
    returns.tools = vec![ToolAttachment { tool_id: "refund-fn".into(), ..Default::default() }];
    for (id, agent) in [("concierge", concierge), ("orders", orders), ("returns", returns), ("ledger", named("Ledger"))]
    {
        app.agents
            .create_agent(CreateAgentRequest { parent: parent.clone(), agent_id: id.into(), agent: Some(agent) })
            .await
            .unwrap();
    }
}

fn client(app: &TestApp) -> TemplateServiceClient<Channel> {
    TemplateServiceClient::new(app.channel.clone())
}

async fn export(app: &TestApp, agent: &str, with_kbs: Option<bool>) -> Template {
    client(app)
        .export_agent_template(ExportAgentTemplateRequest {
            agent: agent.into(),
            display_name: "Concierge template".into(),
            description: "A concierge".into(),
            icon: "🎧".into(),
            with_knowledge_bases: with_kbs,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

async fn import(app: &TestApp, tenant: &str, template: &Template, with_kbs: Option<bool>) -> Agent {
    client(app)
        .import_agent_template(ImportAgentTemplateRequest {
            parent: format!("tenants/{tenant}"),
            template_id: template.name.rsplit('/').next().unwrap().into(),
            display_name: "My concierge".into(),
            description: String::new(),
            icon: String::new(),
            with_knowledge_bases: with_kbs,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

/// The `google.protobuf.Struct` as plain JSON.
fn to_json(value: &prost_types::Value) -> serde_json::Value {
    use prost_types::value::Kind;
    match &value.kind {
        Some(Kind::NullValue(_)) | None => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => (*b).into(),
        Some(Kind::NumberValue(n)) if n.fract() == 0.0 && n.abs() < 1e15 => (*n as i64).into(),
        Some(Kind::NumberValue(n)) => (*n).into(),
        Some(Kind::StringValue(s)) => s.clone().into(),
        Some(Kind::ListValue(l)) => l.values.iter().map(to_json).collect::<Vec<_>>().into(),
        Some(Kind::StructValue(s)) => struct_json(s),
    }
}

pub(crate) fn struct_json(s: &prost_types::Struct) -> serde_json::Value {
    serde_json::Value::Object(s.fields.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
}

async fn agents_of(app: &mut TestApp, tenant: &str) -> Vec<Agent> {
    app.agents
        .list_agents(ListAgentsRequest { parent: format!("tenants/{tenant}"), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .agents
}

#[tokio::test]
async fn a_three_level_tree_is_instantiated_with_new_ids_and_resolving_references() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    let template = export(&app, "tenants/source/agents/concierge", None).await;
    assert_eq!((template.organization_id.as_str(), template.with_knowledge_bases), ("source", true));
    let definition = struct_json(template.agent_definition.as_ref().unwrap());
    assert_eq!(definition["id"], "concierge");
    assert_eq!(definition["sub_agents"].as_array().unwrap().len(), 2, "orders and returns nest under the root");

    let root = import(&app, "target", &template, None).await;
    let template_id = template.name.rsplit('/').next().unwrap();
    assert_eq!(root.origin_template, template_id);
    assert_eq!(root.display_name.get("en").map(String::as_str), Some("My concierge"));
    // Its LLM secret is a requirement this import did not map: the root comes in disabled
    // (safe_imports.rs shows mapped imports coming up active).
    assert_eq!(root.status(), AgentStatus::Inactive);
    assert_eq!(root.llm.as_ref().unwrap().token_id, "", "never bound to the importer's secret by name");

    let agents = agents_of(&mut app, "target").await;
    assert_eq!(agents.len(), 4, "root, two sub-agents and the shared grandchild (once)");
    let ids: BTreeSet<String> = agents.iter().map(|a| a.name.rsplit('/').next().unwrap().to_owned()).collect();
    for original in ["concierge", "orders", "returns", "ledger"] {
        assert!(!ids.contains(original), "{original} kept its id");
    }
    let by_name =
        |n: &str| agents.iter().find(|a| a.display_name.get("en").map(String::as_str) == Some(n)).unwrap().clone();
    let id_of = |a: &Agent| a.name.rsplit('/').next().unwrap().to_owned();
    let (orders, returns, ledger) = (by_name("Orders"), by_name("Returns"), by_name("Ledger"));
    assert_eq!(root.collaborations[0].agent_id, id_of(&orders));
    assert_eq!(root.graph.iter().find(|g| g.r#type == "agent").unwrap().item_id, id_of(&returns));
    assert_eq!(orders.collaborations[0].agent_id, id_of(&ledger));
    assert_eq!(returns.graph[0].item_id, id_of(&ledger));

    // Components are new, configured, without credentials; documents were copied.
    let tool = app
        .agents
        .get_tool(GetToolRequest { name: format!("tenants/target/tools/{}", root.tools[0].tool_id) })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(root.tools[0].tool_id, "crm");
    let Some(tool::Config::Connector(connector)) = tool.config else { panic!("connector expected") };
    assert_eq!((connector.open_api_spec_id.as_str(), connector.general_params[0].value.as_str()), ("crm-spec", ""));
    let kb_id = &orders.knowledge_bases[0].knowledge_base_id;
    let docs = app
        .agents
        .list_documents(ListDocumentsRequest {
            parent: format!("tenants/target/knowledgeBases/{kb_id}"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(document_texts(&mut app, &docs.documents).await, ["Policy text 0", "Policy text 1"]);

    // Without knowledge bases: none copied, on export or on import.
    let bare = import(&app, "bare", &template, Some(false)).await;
    assert!(bare.knowledge_bases.is_empty());
    let kbs = app
        .agents
        .list_knowledge_bases(ListKnowledgeBasesRequest { parent: "tenants/bare".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(kbs.knowledge_bases.is_empty());
    let lean = export(&app, "tenants/source/agents/concierge", Some(false)).await;
    let lean_definition = struct_json(lean.agent_definition.as_ref().unwrap());
    assert!(!lean_definition.to_string().contains("Policy text"), "no documents in a template without knowledge bases");
    import(&app, "lean", &lean, None).await;
    let kbs = app
        .agents
        .list_knowledge_bases(ListKnowledgeBasesRequest { parent: "tenants/lean".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(kbs.knowledge_bases.is_empty());
}

#[tokio::test]
async fn no_credential_reaches_a_template_or_any_response() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    let template = export(&app, "tenants/source/agents/concierge", None).await;
    let fetched =
        client(&app).get_template(GetTemplateRequest { name: template.name.clone() }).await.unwrap().into_inner();
    let listed = client(&app)
        .list_templates(ListTemplatesRequest { parent: "tenants/source".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let root = import(&app, "target", &template, None).await;
    let imported = agents_of(&mut app, "target").await;
    let store = agentport::store::Store::connect(app.database.url()).await.unwrap();
    let name = agentport::domain::names::ResourceName::parse(
        agentport::domain::names::ResourceKind::Template,
        &template.name,
        "name",
    )
    .unwrap();
    let stored = store.get(&name).await.unwrap().body;
    let texts = [
        format!("{template:?}"),
        format!("{fetched:?}"),
        format!("{listed:?}"),
        format!("{root:?}"),
        format!("{imported:?}"),
        stored,
    ];
    for value in CREDENTIALS {
        for text in &texts {
            assert!(!text.contains(value), "{value} leaked");
        }
    }
}

#[tokio::test]
async fn the_agent_definition_validates_against_the_documented_schema() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    let template = export(&app, "tenants/source/agents/concierge", None).await;
    let definition = struct_json(template.agent_definition.as_ref().unwrap());
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/xpander_agent_definition.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(&definition).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The check is real: a definition without a required key fails.
    let mut broken = definition.clone();
    broken.as_object_mut().unwrap().remove("connectors");
    assert!(!validator.is_valid(&broken));
}

#[tokio::test]
async fn cycles_are_refused_and_depth_is_limited() {
    let mut app = spawn_app().await;
    let mut a = named("A");
    a.collaborations = vec![Collaboration { agent_id: "b".into(), ..Default::default() }];
    let mut b = named("B");
    b.graph = vec![sub_agent_item("c")];
    let mut c = named("C");
    c.collaborations = vec![Collaboration { agent_id: "a".into(), ..Default::default() }];
    for (id, agent) in [("a", a), ("b", b), ("c", c)] {
        app.agents
            .create_agent(CreateAgentRequest { parent: "tenants/t".into(), agent_id: id.into(), agent: Some(agent) })
            .await
            .unwrap();
    }
    let request = ExportAgentTemplateRequest {
        agent: "tenants/t/agents/a".into(),
        display_name: "x".into(),
        ..Default::default()
    };
    let status =
        expect_error(client(&app).export_agent_template(request).await, Code::FailedPrecondition, "SUB_AGENT_CYCLE");
    assert!(status.message().contains("a -> b -> c -> a"), "{}", status.message());

    // A chain of 12 exceeds the default depth limit of 10.
    for i in 0..12 {
        let mut agent = named(&format!("n{i}"));
        agent.collaborations = vec![Collaboration { agent_id: format!("n{}", i + 1), ..Default::default() }];
        app.agents
            .create_agent(CreateAgentRequest {
                parent: "tenants/deep".into(),
                agent_id: format!("n{i}"),
                agent: Some(agent),
            })
            .await
            .unwrap();
    }
    app.agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/deep".into(),
            agent_id: "n12".into(),
            agent: Some(named("end")),
        })
        .await
        .unwrap();
    let request = ExportAgentTemplateRequest {
        agent: "tenants/deep/agents/n0".into(),
        display_name: "x".into(),
        ..Default::default()
    };
    expect_error(
        client(&app).export_agent_template(request).await,
        Code::FailedPrecondition,
        "SUB_AGENT_DEPTH_EXCEEDED",
    );
    let request = ExportAgentTemplateRequest {
        agent: "tenants/deep/agents/n3".into(),
        display_name: "x".into(),
        ..Default::default()
    };
    client(&app).export_agent_template(request).await.expect("9 levels are within the limit");
}

#[tokio::test]
async fn only_the_owner_reads_lists_and_deletes_and_anyone_imports() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "owner").await;
    let template = export(&app, "tenants/owner/agents/concierge", None).await;
    let id = template.name.rsplit('/').next().unwrap().to_owned();
    let elsewhere = format!("tenants/stranger/templates/{id}");
    expect_error(
        client(&app).get_template(GetTemplateRequest { name: elsewhere.clone() }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
    expect_error(
        client(&app).delete_template(DeleteTemplateRequest { name: elsewhere }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
    let listed = client(&app)
        .list_templates(ListTemplatesRequest { parent: "tenants/stranger".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.templates.is_empty());
    import(&app, "stranger", &template, None).await;
    assert_eq!(agents_of(&mut app, "stranger").await.len(), 4, "cross-tenant import by id");

    client(&app).delete_template(DeleteTemplateRequest { name: template.name.clone() }).await.unwrap();
    let request = ImportAgentTemplateRequest {
        parent: "tenants/late".into(),
        template_id: id,
        display_name: "x".into(),
        ..Default::default()
    };
    expect_error(client(&app).import_agent_template(request).await, Code::NotFound, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn templates_are_snapshots_and_imports_are_independent() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    let template = export(&app, "tenants/source/agents/concierge", None).await;
    let before =
        client(&app).get_template(GetTemplateRequest { name: template.name.clone() }).await.unwrap().into_inner();

    app.agents
        .update_agent(UpdateAgentRequest {
            agent: Some(Agent {
                name: "tenants/source/agents/orders".into(),
                icon: "changed".into(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask { paths: vec!["icon".into()] }),
        })
        .await
        .unwrap();
    app.agents
        .delete_agent(DeleteAgentRequest {
            name: "tenants/source/agents/ledger".into(),
            etag: String::new(),
            // Others use it; force lets go of those references in the source too.
            force: true,
        })
        .await
        .unwrap();
    let root = import(&app, "target", &template, None).await;
    app.agents
        .update_agent(UpdateAgentRequest {
            agent: Some(Agent { name: root.name.clone(), icon: "mine".into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["icon".into()] }),
        })
        .await
        .unwrap();

    let after =
        client(&app).get_template(GetTemplateRequest { name: template.name.clone() }).await.unwrap().into_inner();
    assert_eq!(after, before, "changes to the source or the import never reach the template");
    let source = app
        .agents
        .get_agent(GetAgentRequest { name: "tenants/source/agents/concierge".into() })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(source.icon, "mine", "the import is independent of the source");
    assert_eq!(agents_of(&mut app, "target").await.len(), 4, "the deleted ledger still came from the snapshot");

    // Export and import are in the jobs history.
    let mut jobs = agentport::proto::job_service_client::JobServiceClient::new(app.channel.clone());
    let exports = jobs
        .search_jobs(SearchJobsRequest {
            parent: "tenants/source".into(),
            q: "type:TEMPLATE_EXPORT agentId:concierge".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exports.jobs.len(), 1);
    let imports = jobs
        .search_jobs(SearchJobsRequest {
            parent: "tenants/target".into(),
            q: "type:IMPORT status:success".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imports.jobs.len(), 1);
    assert_eq!(imports.jobs[0].import_result.as_ref().unwrap().summary.as_ref().unwrap().agents.len(), 4);
}

#[tokio::test]
async fn template_definitions_carry_the_current_format_version() {
    let mut app = spawn_app().await;
    seed_tree(&mut app, "source").await;
    let template = export(&app, "tenants/source/agents/concierge", None).await;
    let definition = struct_json(template.agent_definition.as_ref().unwrap());
    assert_eq!(definition["agentport"]["formatVersion"], "1.0", "{definition}");
}
