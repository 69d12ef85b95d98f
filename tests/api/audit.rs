//! The logs of a full scenario never hold a token, key or secret value, and every mutation
//! leaves one audit line.

use std::process::Stdio;

use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;

use crate::auth::{Claims, HS_SECRET, bearer, with};
use crate::crud::sample_agent;

const SECRET_VALUE: &str = "sk-audit-secret-value-4711";
const INLINE_CREDENTIAL: &str = "inline-llm-credential-0815";

#[tokio::test]
async fn logs_of_a_full_scenario_hold_no_credential_and_audit_every_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("audit.db").display());
    let binary = env!("CARGO_BIN_EXE_agentport");

    // An API key made with the CLI; its secret goes only to standard output.
    let created = tokio::process::Command::new(binary)
        .args(["api-key", "create", "--tenant", "acme", "--scope", "ai.agent_read", "--scope", "ai.agent_manage"])
        .args(["--scope", "ai.agentexecution_manage", "--description", "audit test", "--database-url", &database])
        .env("RUST_LOG", "debug")
        .output()
        .await
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let api_key = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let cli_log = String::from_utf8(created.stderr).unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log_path = dir.path().join("server.log");
    let mut server = tokio::process::Command::new(binary)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &database])
        .env("RUST_LOG", "debug")
        .env("AGENTPORT_JWT_HS256_SECRET", HS_SECRET)
        .env("AGENTPORT_AUTH_API_KEYS", "true")
        .stdin(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let address = format!("http://127.0.0.1:{port}");
    let channel = crate::helpers::connect_serving(&address).await;
    let mut agents = AgentServiceClient::new(channel.clone());
    let mut jobs = JobServiceClient::new(channel);
    let token = Claims::new("acme", &["ai.agent_read", "ai.agent_manage"]).hs256(HS_SECRET);
    macro_rules! key {
        ($message:expr) => {
            with($message, "x-api-key", &api_key)
        };
    }

    agents
        .create_secret(bearer(
            CreateSecretRequest {
                parent: "tenants/acme".into(),
                secret_id: "openai".into(),
                secret: Some(Secret {
                    display_name: "openai".into(),
                    value: SECRET_VALUE.into(),
                    ..Default::default()
                }),
            },
            &token,
        ))
        .await
        .unwrap();
    let mut agent = sample_agent();
    agent.llm.as_mut().unwrap().credentials =
        Some(LlmCredentials { name: "k".into(), value: INLINE_CREDENTIAL.into(), ..Default::default() });
    agents
        .create_agent(key!(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: "audited".into(),
            agent: Some(agent)
        }))
        .await
        .unwrap();
    agents
        .list_agents(bearer(ListAgentsRequest { parent: "tenants/acme".into(), ..Default::default() }, &token))
        .await
        .unwrap();
    let bundle = agents
        .export_agents(key!(ExportAgentsRequest {
            parent: "tenants/acme".into(),
            agent_ids: vec!["audited".into()],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    agents
        .import_agents(bearer(
            ImportAgentsRequest {
                parent: "tenants/acme".into(),
                data: bundle.data,
                checksum: bundle.checksum,
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap();
    jobs.record_job(key!(RecordJobRequest {
        parent: "tenants/acme".into(),
        job_id: "chat".into(),
        job: Some(Job::default())
    }))
    .await
    .unwrap();
    let denied = agents
        .delete_agent(bearer(
            DeleteAgentRequest { name: "tenants/other/agents/x".into(), etag: String::new(), force: false },
            &token,
        ))
        .await;
    assert_eq!(denied.unwrap_err().code(), tonic::Code::PermissionDenied);
    // A subject that tries to write an audit line of its own.
    let forger = Claims {
        subject: "eve\nFORGED agentport::audit: audit principal=\"jwt:admin\" outcome=\"ok\"\r\u{1b}[2K",
        ..Claims::new("acme", &["ai.agent_read", "ai.agent_manage"])
    }
    .hs256(HS_SECRET);
    agents
        .create_agent(bearer(
            CreateAgentRequest {
                parent: "tenants/acme".into(),
                agent_id: "forger".into(),
                agent: Some(sample_agent()),
            },
            &forger,
        ))
        .await
        .unwrap();
    let forged = agents
        .get_agent(bearer(GetAgentRequest { name: "tenants/acme/agents/audited".into() }, &format!("{token}x")))
        .await;
    assert_eq!(forged.unwrap_err().code(), tonic::Code::Unauthenticated);
    agents
        .delete_agent(key!(DeleteAgentRequest {
            name: "tenants/acme/agents/audited".into(),
            etag: String::new(),
            force: false
        }))
        .await
        .unwrap();

    let _ = server.start_kill();
    let _ = server.wait().await;
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.lines().count() > 20, "the scenario was logged at debug level");
    let key_secret = api_key.rsplit('.').next().unwrap();
    for (what, value) in [
        ("bearer token", token.as_str()),
        ("token signature", token.rsplit('.').next().unwrap()),
        ("JWT signing secret", HS_SECRET),
        ("API key", api_key.as_str()),
        ("API key secret", key_secret),
        ("secret value", SECRET_VALUE),
        ("inline credential", INLINE_CREDENTIAL),
    ] {
        assert!(!log.contains(value), "the server log holds the {what}");
        assert!(!cli_log.contains(value), "the CLI log holds the {what}");
    }

    let audit: Vec<&str> = log.lines().filter(|l| l.contains("agentport::audit")).collect();
    let expect = |method: &str, principal: &str, outcome: &str| {
        assert!(
            audit.iter().any(|l| l.contains(&format!("method=\"{method}\""))
                && l.contains(principal)
                && l.contains(&format!("outcome=\"{outcome}\""))),
            "no audit line for {method} by {principal} with {outcome}:\n{}",
            audit.join("\n")
        );
    };
    let key_id = api_key.split('.').nth(2).unwrap();
    expect("CreateSecret", "jwt:tester", "ok");
    expect("CreateAgent", &format!("key:{key_id}"), "ok");
    expect("ImportAgents", "jwt:tester", "ok");
    expect("RecordJob", &format!("key:{key_id}"), "ok");
    expect("DeleteAgent", "jwt:tester", "denied");
    expect("DeleteAgent", &format!("key:{key_id}"), "ok");
    assert!(audit.iter().all(|l| l.contains("tenant=")), "every audit line names the tenant");
    assert!(!log.lines().any(|l| l.starts_with("FORGED")), "a caller's newline never starts a line");
    assert!(!log.contains('\r') && !log.contains('\u{1b}'), "control characters are escaped");
    expect("CreateAgent", r#"jwt:eve\nFORGED"#, "ok");
    assert!(!audit.iter().any(|l| l.contains("ListAgents")), "reads are not audited");
}
