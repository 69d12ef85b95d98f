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
            instructions: Some(Instructions { general: "Answer questions.".into(), ..Default::default() }),
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
    assert!(columns.iter().any(|(t, _, _)| t == "resources"), "the scan sees the tables");
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
            ..Default::default()
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
        .export_agents(ExportAgentsRequest {
            parent: "tenants/acme".into(),
            agent_ids: vec!["planted".into()],
            ..Default::default()
        })
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

/// A server on a database the test holds, stopped on drop.
struct Replica {
    agents: AgentServiceClient<Channel>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Replica {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.server.take().unwrap().await.unwrap().unwrap();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(url: &str, adjust: impl FnOnce(&mut Settings)) -> Result<Replica, String> {
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: url.to_owned(),
        health_check_interval_ms: 100,
        ..Settings::default()
    };
    adjust(&mut settings);
    let app = Application::build(settings).await.map_err(|e| e.to_string())?;
    let addr = app.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let channel = connect_serving(&format!("http://{addr}")).await;
    Ok(Replica { agents: AgentServiceClient::new(channel), stop: Some(tx), server: Some(server) })
}

async fn create_secret(
    agents: &mut AgentServiceClient<Channel>,
    tenant: &str,
    value: &str,
) -> Result<Secret, tonic::Status> {
    agents
        .create_secret(CreateSecretRequest {
            parent: format!("tenants/{tenant}"),
            secret_id: "token".into(),
            secret: Some(Secret { display_name: "Token".into(), value: value.into(), ..Default::default() }),
        })
        .await
        .map(|r| r.into_inner())
}

async fn set_value(agents: &mut AgentServiceClient<Channel>, name: &str, value: &str) {
    agents
        .update_secret(UpdateSecretRequest {
            secret: Some(Secret { name: name.into(), value: value.into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["value".into()] }),
        })
        .await
        .unwrap();
}

async fn data_keys_by_master(url: &str) -> Vec<(String, u64)> {
    let store = Store::connect(url).await.unwrap();
    let census = store.keyring().census().await.unwrap();
    store.close().await;
    census.by_master_key
}

/// Runs the binary with `args` and `env`, unaffected by the caller's AGENTPORT_* variables.
async fn agentport(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_agentport"));
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("AGENTPORT_")) {
        command.env_remove(name);
    }
    command.args(args).envs(env.iter().copied()).kill_on_drop(true).output().await.unwrap()
}

#[tokio::test]
async fn rotation_rewraps_every_data_key_while_replicas_serve() {
    let database = TestDatabase::create().await;
    let url = database.url().to_owned();
    let mut old = start(&url, with_key(KEY_A)).await.unwrap();
    let acme = create_secret(&mut old.agents, "acme", "acme-before-rotation").await.unwrap();
    let globex = create_secret(&mut old.agents, "globex", "globex-before-rotation").await.unwrap();
    assert_eq!(data_keys_by_master(&url).await, vec![(key(KEY_A).id().to_owned(), 2)]);

    // A new key file; replicas restarted with it accept the old key as the previous one.
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("new.key");
    let generated = agentport(&["keys", "generate", "--out", key_file.to_str().unwrap()], &[]).await;
    assert!(generated.status.success(), "{generated:?}");
    let new_key = MasterKey::from_file(&key_file).unwrap();
    let new_key_text = std::fs::read_to_string(&key_file).unwrap();
    let both = |s: &mut Settings| {
        s.master_key_file = Some(key_file.clone());
        s.master_key_previous = Some(KEY_A.into());
    };
    let mut new = start(&url, both).await.unwrap();
    set_value(&mut new.agents, &globex.name, "globex-during-rotation").await;

    let rotated = agentport(
        &["keys", "rotate", "--database-url", &url],
        &[("AGENTPORT_MASTER_KEY_FILE", key_file.to_str().unwrap()), ("AGENTPORT_MASTER_KEY_PREVIOUS", KEY_A)],
    )
    .await;
    let said = String::from_utf8_lossy(&rotated.stderr);
    assert!(rotated.status.success(), "{said}");
    assert!(said.contains(&format!("re-wrapped 2 data keys with master key {}", new_key.id())), "{said}");
    assert!(said.contains("2 stored credentials open"), "{said}");
    assert_eq!(data_keys_by_master(&url).await, vec![(new_key.id().to_owned(), 2)]);

    // No downtime: both replicas keep writing credentials of the rotated tenants.
    set_value(&mut old.agents, &acme.name, "acme-after-rotation").await;
    set_value(&mut new.agents, &globex.name, "globex-after-rotation").await;
    create_secret(&mut new.agents, "initech", "initech-after-rotation").await.unwrap();
    old.stop().await;
    new.stop().await;

    // The new key alone opens everything; the old one alone no longer starts.
    let only_new = || MasterKeys::new(MasterKey::from_file(&key_file).unwrap(), None);
    for (name, value) in [(&acme.name, "acme-after-rotation"), (&globex.name, "globex-after-rotation")] {
        assert_eq!(opened::<Secret>(&url, only_new(), name).await, BTreeSet::from([value.to_owned()]));
    }
    let refused = start(&url, with_key(KEY_A)).await.err().expect("the old key alone is refused");
    assert!(refused.contains("wrong master key") && refused.contains(new_key.id()), "{refused}");
    let mut after = start(&url, |s| s.master_key = Some(new_key_text.clone().into())).await.unwrap();
    set_value(&mut after.agents, &acme.name, "acme-with-the-new-key-only").await;
    after.stop().await;
    assert_eq!(
        opened::<Secret>(&url, only_new(), &acme.name).await,
        BTreeSet::from(["acme-with-the-new-key-only".to_owned()])
    );
}

#[tokio::test]
async fn a_wrong_weak_or_missing_master_key_stops_the_start() {
    let database = TestDatabase::create().await;
    let url = database.url().to_owned();
    let mut first = start(&url, with_key(KEY_A)).await.unwrap();
    create_secret(&mut first.agents, "acme", "sk-stored-under-key-a").await.unwrap();
    first.stop().await;

    let wrong = start(&url, with_key(KEY_B)).await.err().expect("a wrong key is refused");
    assert!(
        wrong.starts_with("master key: wrong master key: 1 stored data keys were wrapped by master key")
            && wrong.contains(key(KEY_A).id())
            && wrong.contains(key(KEY_B).id()),
        "{wrong}"
    );
    let short = start(&url, |s| s.master_key = Some("c2hvcnQta2V5".into())).await.err().expect("refused");
    assert!(short.contains("AGENTPORT_MASTER_KEY must be 32 bytes"), "{short}");
    let both = start(&url, |s| {
        s.master_key = Some(KEY_A.into());
        s.master_key_file = Some("/nonexistent".into());
    })
    .await
    .err()
    .expect("refused");
    assert!(both.contains("set AGENTPORT_MASTER_KEY or AGENTPORT_MASTER_KEY_FILE, not both"), "{both}");
    let missing = start(&url, |_| {}).await.err().expect("a missing key is refused");
    match &database {
        TestDatabase::Postgres { .. } => {
            assert!(missing.contains("the database holds 1 data keys but no master key is configured"), "{missing}")
        }
        _ => assert!(missing.contains(".master-key is missing"), "{missing}"),
    }
    let mut again = start(&url, with_key(KEY_A)).await.expect("the right key starts");
    set_value(&mut again.agents, "tenants/acme/secrets/token", "sk-replaced").await;
}

#[tokio::test]
async fn plaintext_of_an_earlier_release_is_sealed_before_serving() {
    use migrations::MigratorTrait;
    let database = TestDatabase::create().await;
    let url = match &database {
        TestDatabase::Sqlite { url, .. } => format!("{url}?mode=rwc"),
        other => other.url().to_owned(),
    };
    let db = Database::connect(&url).await.unwrap();
    // The schema of the release before encryption at rest: the first nine migrations.
    migrations::Migrator::up(&db, Some(9)).await.unwrap();
    let mut planter = Planter::default();
    let agent = planter.agent();
    let secret = planter.secret();
    for (kind, body) in
        [("agent", agentport::domain::json::to_json(&agent)), ("secret", agentport::domain::json::to_json(&secret))]
    {
        let insert = Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                DatabaseBackend::Postgres => {
                    "INSERT INTO resources (tenant, kind, parent, id, revision, create_time, update_time, \
                     display_name, body) VALUES ('acme', $1, '', 'old', 1, 1, 1, 'old', $2)"
                }
                _ => {
                    "INSERT INTO resources (tenant, kind, parent, id, revision, create_time, update_time, \
                     display_name, body) VALUES ('acme', ?, '', 'old', 1, 1, 1, 'old', ?)"
                }
            },
            [kind.into(), body.into()],
        );
        db.execute_raw(insert).await.unwrap();
    }
    let _ = db.close().await;
    assert!(!found_in(&raw_tables(database.url()).await, &planter.values[0]).is_empty(), "planted in plaintext");

    let mut app = start(database.url(), with_key(KEY_A)).await.unwrap();
    let tables = raw_tables(database.url()).await;
    for value in &planter.values {
        assert_eq!(found_in(&tables, value), Vec::<String>::new(), "{value} is still in plaintext");
    }
    assert_eq!(found_in(&tables, "seal-plaintext-secrets"), vec!["store_tasks.name".to_owned()]);
    let keys = || MasterKeys::new(key(KEY_A), None);
    assert_eq!(opened::<Agent>(database.url(), keys(), "tenants/acme/agents/old").await, values(&agent));
    assert_eq!(opened::<Secret>(database.url(), keys(), "tenants/acme/secrets/old").await, values(&secret));
    // The sealed resources are the same resources: same revision, still usable.
    let got = app.agents.get_secret(GetSecretRequest { name: "tenants/acme/secrets/old".into() }).await.unwrap();
    assert_eq!((got.get_ref().revision, got.get_ref().value.as_str()), (1, ""));
    app.agents
        .update_secret(UpdateSecretRequest {
            secret: Some(Secret {
                name: "tenants/acme/secrets/old".into(),
                display_name: "Renamed".into(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask { paths: vec!["display_name".into()] }),
        })
        .await
        .unwrap();
    assert_eq!(opened::<Secret>(database.url(), keys(), "tenants/acme/secrets/old").await, values(&secret));
}

#[tokio::test]
async fn the_embedded_default_keeps_its_key_in_a_private_file_beside_the_database() {
    let database = TestDatabase::create().await;
    let TestDatabase::Sqlite { url, .. } = &database else {
        return; // PostgreSQL: see the test below.
    };
    let key_file = std::path::PathBuf::from(format!("{}.master-key", url.trim_start_matches("sqlite://")));
    let mut first = start(url, |_| {}).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let secret = create_secret(&mut first.agents, "acme", "sk-under-the-generated-key").await.unwrap();
    first.stop().await;

    let mut second = start(url, |_| {}).await.expect("the key file is read on the next start");
    set_value(&mut second.agents, &secret.name, "sk-second-start").await;
    second.stop().await;
    let from_file = MasterKeys::new(MasterKey::from_file(&key_file).unwrap(), None);
    assert_eq!(opened::<Secret>(url, from_file, &secret.name).await, BTreeSet::from(["sk-second-start".to_owned()]));

    std::fs::remove_file(&key_file).unwrap();
    let refused = start(url, |_| {}).await.err().expect("a lost key file is not replaced");
    assert!(refused.contains(&format!("the key file {} is missing", key_file.display())), "{refused}");
    assert!(!key_file.exists());
}

#[tokio::test]
async fn without_a_master_key_postgres_stores_no_credential() {
    let database = TestDatabase::create().await;
    if !matches!(database, TestDatabase::Postgres { .. }) {
        return; // SQLite always has a key: configured or generated.
    }
    let mut app = start(database.url(), |_| {}).await.unwrap();
    let refused = create_secret(&mut app.agents, "acme", "sk-never-stored").await;
    let status = expect_error(refused, tonic::Code::FailedPrecondition, "FAILED_PRECONDITION");
    assert!(status.message().contains("no master key"), "{status:?}");
    let plain = Agent { display_name: [("en".to_owned(), "No secrets".to_owned())].into(), ..Default::default() };
    app.agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: "plain".into(),
            agent: Some(plain),
        })
        .await
        .expect("resources without credentials need no key");
    assert!(found_in(&raw_tables(database.url()).await, "sk-never-stored").is_empty());
    assert_eq!(data_keys_by_master(database.url()).await, vec![]);
}
