//! Secrets encrypted at rest: the raw tables of both stores hold no planted credential, every
//! credential opens again (also after a master key rotation), a wrong or missing master key
//! stops the start with a clear message, and plaintext of an earlier release is sealed.

use std::collections::BTreeSet;

use agentport::config::Settings;
use agentport::crypto::{MasterKey, MasterKeys};
use agentport::domain::names::ResourceName;
use agentport::domain::reflect::POOL;
use agentport::domain::reflect::to_dynamic;
use agentport::domain::secrets::{find_secrets, is_secret};
use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::proto::template_service_client::TemplateServiceClient;
use agentport::proto::*;
use agentport::startup::Application;
use agentport::store::Store;
use prost_reflect::{DynamicMessage, Value};
use prost_types::FieldMask;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use secrecy::SecretString;
use tonic::transport::Channel;

use crate::helpers::{TestDatabase, connect_serving, expect_error, spawn_app_with};

/// Two master keys (base64 of 32 bytes), neither the harness's.
const KEY_A: &str = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
const KEY_B: &str = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=";

fn key(text: &str) -> MasterKey {
    MasterKey::from_base64(&SecretString::from(text), "test key").unwrap()
}

fn with_key(text: &'static str) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| s.master_key = Some(text.into())
}

/// Unique credential values, remembered so the raw tables can be searched for them.
#[derive(Default)]
struct Planter {
    values: Vec<String>,
}

impl Planter {
    fn next(&mut self) -> String {
        let value = format!("planted-{}-{}", self.values.len(), uuid::Uuid::new_v4().simple());
        self.values.push(value.clone());
        value
    }

    fn map(&mut self) -> std::collections::HashMap<String, String> {
        [("x-one".to_owned(), self.next()), ("x-two".to_owned(), self.next())].into()
    }

    fn slack(&mut self) -> SlackCredentials {
        SlackCredentials {
            authed_user_id: self.next(),
            access_token: self.next(),
            client_id: self.next(),
            client_secret: self.next(),
            verification_token: self.next(),
            signing_secret: self.next(),
            app_configuration_token: self.next(),
            app_configuration_refresh_token: self.next(),
        }
    }

    fn mcp_settings(&mut self) -> McpSettings {
        McpSettings {
            r#type: "remote".into(),
            url: "https://mcp.example.com".into(),
            api_key: self.next(),
            client_secret: self.next(),
            headers: self.map(),
            env_vars: self.map(),
            ..Default::default()
        }
    }

    /// An agent with every credential an agent can carry inline.
    fn agent(&mut self) -> Agent {
        Agent {
            display_name: [("en".to_owned(), "visible-marker-agent".to_owned())].into(),
            llm: Some(LlmConfig {
                provider: "openai".into(),
                model: "gpt-4o".into(),
                api_key: self.next(),
                extra_headers: self.map(),
                credentials: Some(LlmCredentials { name: "key".into(), value: self.next(), ..Default::default() }),
                ..Default::default()
            }),
            graph: vec![GraphItem {
                item_id: "search".into(),
                r#type: "mcp".into(),
                settings: Some(GraphItemSettings { mcp: Some(self.mcp_settings()), ..Default::default() }),
                ..Default::default()
            }],
            connectivity: Some(ConnectivityDetails {
                custom_headers: self.map(),
                auth_type: "bearer".into(),
                auth_value: self.next(),
                curl_command: self.next(),
                present: true,
                ..Default::default()
            }),
            notifications: Some(NotificationSettings {
                on_success: vec![Notification {
                    channel: "webhook".into(),
                    url: "https://hooks.example.com".into(),
                    headers: self.map(),
                    slack_credentials: Some(self.slack()),
                    ..Default::default()
                }],
                present: true,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn mcp_server(&mut self, token: &str) -> McpServer {
        McpServer {
            display_name: "visible-marker-mcp".into(),
            url: "https://mcp.example.com".into(),
            authorization_header_token_id: token.into(),
            api_key: self.next(),
            client_secret: self.next(),
            headers: self.map(),
            env_vars: self.map(),
            ..Default::default()
        }
    }

    fn slack_tool(&mut self) -> Tool {
        Tool {
            display_name: "Slack".into(),
            r#type: "slack".into(),
            config: Some(tool::Config::Slack(SlackToolConfig {
                team_id: "T1".into(),
                bot_token: self.next(),
                ..Default::default()
            })),
            ..Default::default()
        }
    }

    fn connector_tool(&mut self) -> Tool {
        Tool {
            display_name: "Connector".into(),
            r#type: "connector".into(),
            config: Some(tool::Config::Connector(ConnectorToolConfig {
                general_params: vec![GeneralParam {
                    name: "api_key".into(),
                    location: "header".into(),
                    value: self.next(),
                    ..Default::default()
                }],
                ..Default::default()
            })),
            ..Default::default()
        }
    }

    fn secret(&mut self) -> Secret {
        Secret { display_name: "visible-marker-secret".into(), value: self.next(), ..Default::default() }
    }
}

/// Full names of the secret-marked fields set in `message`, at any depth.
fn secret_fields(message: &DynamicMessage, out: &mut BTreeSet<String>) {
    for (field, value) in message.fields() {
        if is_secret(&field) {
            out.insert(field.full_name().to_owned());
        }
        let mut nested = |v: &Value| {
            if let Value::Message(m) = v {
                secret_fields(m, out);
            }
        };
        match value {
            Value::List(items) => items.iter().for_each(&mut nested),
            Value::Map(map) => map.values().for_each(&mut nested),
            other => nested(other),
        }
    }
}

/// Every value of every column of every table, as bytes, by `table.column`.
async fn raw_tables(url: &str) -> Vec<(String, Vec<u8>)> {
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let query = |sql: String| Statement::from_string(backend, sql);
    let columns: Vec<(String, String, bool)> = match backend {
        DatabaseBackend::Postgres => db
            .query_all_raw(query(
                "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS d \
                 FROM information_schema.columns WHERE table_schema = 'public'"
                    .into(),
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                let d: String = r.try_get("", "d").unwrap();
                (r.try_get("", "t").unwrap(), r.try_get("", "c").unwrap(), d == "bytea")
            })
            .collect(),
        _ => {
            let tables =
                db.query_all_raw(query("SELECT name FROM sqlite_master WHERE type = 'table'".into())).await.unwrap();
            let mut out = Vec::new();
            for table in tables {
                let table: String = table.try_get("", "name").unwrap();
                let info = db.query_all_raw(query(format!("PRAGMA table_info(\"{table}\")"))).await.unwrap();
                for column in info {
                    out.push((table.clone(), column.try_get("", "name").unwrap(), false));
                }
            }
            out
        }
    };
    assert!(columns.iter().any(|(t, _, _)| t == "data_keys"), "the scan sees every table");
    let mut values = Vec::new();
    for (table, column, bytea) in columns {
        let read = match (backend, bytea) {
            (DatabaseBackend::Postgres, true) => format!("\"{column}\""),
            (DatabaseBackend::Postgres, false) => format!("convert_to(\"{column}\"::text, 'UTF8')"),
            _ => format!("CAST(\"{column}\" AS BLOB)"),
        };
        let rows = db.query_all_raw(query(format!("SELECT {read} AS v FROM \"{table}\""))).await.unwrap();
        for row in rows {
            if let Some(bytes) = row.try_get::<Option<Vec<u8>>>("", "v").unwrap() {
                values.push((format!("{table}.{column}"), bytes));
            }
        }
    }
    let _ = db.close().await;
    values
}

/// Where in the raw tables `needle` occurs.
fn found_in(tables: &[(String, Vec<u8>)], needle: &str) -> Vec<String> {
    tables
        .iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|(at, _)| at.clone())
        .collect()
}

/// The secret values of a stored resource, opened with `keys` through the store.
async fn opened<R: agentport::domain::resource::Resource>(url: &str, keys: MasterKeys, name: &str) -> BTreeSet<String> {
    let store = Store::connect(url).await.unwrap().with_master_keys(Some(keys));
    let stored = store.get(&ResourceName::parse(R::KIND, name, "name").unwrap()).await.unwrap();
    let resource: R = agentport::service::sealing::open(&store, &stored).await.unwrap();
    store.close().await;
    find_secrets(&resource).into_iter().map(|(_, v)| v).collect()
}

fn values(message: &impl agentport::domain::resource::Resource) -> BTreeSet<String> {
    find_secrets(message).into_iter().map(|(_, v)| v).collect()
}

/// What one tenant holds after planting: resources by name, with their secret values.
struct Planted {
    agent: (String, Agent),
    server: (String, McpServer),
    tools: Vec<(String, Tool)>,
    secret: (String, Secret),
}

async fn plant(agents: &mut AgentServiceClient<Channel>, planter: &mut Planter, tenant: &str) -> Planted {
    let parent = format!("tenants/{tenant}");
    let secret = planter.secret();
    let created_secret = agents
        .create_secret(CreateSecretRequest {
            parent: parent.clone(),
            secret_id: "token".into(),
            secret: Some(secret.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    let agent = planter.agent();
    let created_agent = agents
        .create_agent(CreateAgentRequest {
            parent: parent.clone(),
            agent_id: "planted".into(),
            agent: Some(agent.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    let server = planter.mcp_server("token");
    let created_server = agents
        .create_mcp_server(CreateMcpServerRequest {
            parent: parent.clone(),
            mcp_server_id: "planted".into(),
            mcp_server: Some(server.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    let mut tools = Vec::new();
    for (id, tool) in [("slack", planter.slack_tool()), ("connector", planter.connector_tool())] {
        let created = agents
            .create_tool(CreateToolRequest { parent: parent.clone(), tool_id: id.into(), tool: Some(tool.clone()) })
            .await
            .unwrap()
            .into_inner();
        tools.push((created.name, tool));
    }
    Planted {
        agent: (created_agent.name, agent),
        server: (created_server.name, server),
        tools,
        secret: (created_secret.name, secret),
    }
}

/// Every secret-marked field of the contracts is planted at least once.
fn assert_every_marked_field_planted(planted: &Planted) {
    let mut set = BTreeSet::new();
    secret_fields(&to_dynamic(&planted.agent.1), &mut set);
    secret_fields(&to_dynamic(&planted.server.1), &mut set);
    for (_, tool) in &planted.tools {
        secret_fields(&to_dynamic(tool), &mut set);
    }
    secret_fields(&to_dynamic(&planted.secret.1), &mut set);
    let marked: BTreeSet<String> = POOL
        .all_messages()
        .filter(|m| m.package_name() == "agentport.v1")
        .flat_map(|m| m.fields().collect::<Vec<_>>())
        .filter(is_secret)
        .map(|f| f.full_name().to_owned())
        .collect();
    assert_eq!(set, marked, "plant every secret-marked field of the contracts");
}

#[tokio::test]
async fn raw_tables_hold_no_planted_secret_and_every_secret_opens() {
    let mut app = spawn_app_with(with_key(KEY_A)).await;
    let mut planter = Planter::default();
    let mut acme = plant(&mut app.agents, &mut planter, "acme").await;
    assert_every_marked_field_planted(&acme);

    // Updates: a new value replaces the old one, untouched ones stay sealed as they were.
    let mut llm = acme.agent.1.llm.clone().unwrap();
    llm.api_key = planter.next();
    acme.agent.1.llm = Some(llm.clone());
    app.agents
        .update_agent(UpdateAgentRequest {
            agent: Some(Agent { name: acme.agent.0.clone(), llm: Some(llm), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["llm".into()] }),
        })
        .await
        .unwrap();
    acme.secret.1.value = planter.next();
    app.agents
        .update_secret(UpdateSecretRequest {
            secret: Some(Secret {
                name: acme.secret.0.clone(),
                value: acme.secret.1.value.clone(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask { paths: vec!["value".into()] }),
        })
        .await
        .unwrap();
    // A rename keeps the sealed value as it is.
    app.agents
        .update_mcp_server(UpdateMcpServerRequest {
            mcp_server: Some(McpServer {
                name: acme.server.0.clone(),
                display_name: "visible-marker-renamed".into(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask { paths: vec!["display_name".into()] }),
        })
        .await
        .unwrap();

    // Another tenant; then its token is deleted with force, which rewrites the MCP server.
    let globex = plant(&mut app.agents, &mut planter, "globex").await;
    app.agents
        .delete_secret(DeleteSecretRequest { name: globex.secret.0.clone(), etag: String::new(), force: true })
        .await
        .unwrap();

    // Exports, imports and templates move no credential.
    let export = app
        .agents
        .export_agents(ExportAgentsRequest { parent: "tenants/acme".into(), agent_ids: vec!["planted".into()] })
        .await
        .unwrap()
        .into_inner();
    app.agents
        .import_agents(ImportAgentsRequest {
            parent: "tenants/initech".into(),
            data: export.data.clone(),
            checksum: export.checksum.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut templates = TemplateServiceClient::new(app.channel.clone());
    let template = templates
        .export_agent_template(ExportAgentTemplateRequest {
            agent: acme.agent.0.clone(),
            display_name: "visible-marker-template".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    templates
        .import_agent_template(ImportAgentTemplateRequest {
            parent: "tenants/hooli".into(),
            template_id: template.name.rsplit('/').next().unwrap().into(),
            display_name: "Imported".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    let tables = raw_tables(app.database.url()).await;
    for value in &planter.values {
        assert_eq!(found_in(&tables, value), Vec::<String>::new(), "planted {value} is stored in plaintext");
    }
    // The scan finds what is stored in plaintext: the labels beside the sealed values.
    assert!(found_in(&tables, "visible-marker-renamed").contains(&"resources.body".to_owned()));
    assert!(!found_in(&tables, "enc:v1:").is_empty(), "sealed values are stored");

    // Every credential opens to the value last written, through the store and the key.
    let keys = || MasterKeys::new(key(KEY_A), None);
    let url = app.database.url();
    assert_eq!(opened::<Agent>(url, keys(), &acme.agent.0).await, values(&acme.agent.1));
    assert_eq!(opened::<Secret>(url, keys(), &acme.secret.0).await, values(&acme.secret.1));
    assert_eq!(opened::<McpServer>(url, keys(), &acme.server.0).await, values(&acme.server.1));
    for (name, tool) in &acme.tools {
        assert_eq!(opened::<Tool>(url, keys(), name).await, values(tool));
    }
    let mut released = globex.server.1.clone();
    released.authorization_header_token_id.clear();
    assert_eq!(opened::<McpServer>(url, keys(), &globex.server.0).await, values(&released), "rewritten by the delete");
    let check =
        agentport::service::sealing::check_all(&Store::connect(url).await.unwrap().with_master_keys(Some(keys())))
            .await
            .unwrap();
    let stored = values(&acme.agent.1).len()
        + values(&acme.secret.1).len()
        + values(&acme.server.1).len()
        + acme.tools.iter().chain(&globex.tools).map(|(_, t)| values(t).len()).sum::<usize>()
        + values(&globex.agent.1).len()
        + values(&released).len();
    assert_eq!((check.opened, check.plaintext), (stored as u64, 0), "{check:?}");
}
