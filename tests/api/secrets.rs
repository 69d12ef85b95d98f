//! Secret values are write-only: no response of any read or write path contains them.

use agentport::proto::*;
use prost::Message;
use prost_types::FieldMask;

use crate::crud::sample_agent;
use crate::helpers::spawn_app;

/// Fails if any of `values` occurs in the encoded message.
fn assert_absent<M: Message>(message: &M, values: &[&str]) {
    let bytes = message.encode_to_vec();
    for value in values {
        assert!(
            !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
            "secret value {value:?} leaked in {}",
            std::any::type_name::<M>()
        );
    }
}

#[tokio::test]
async fn secret_value_is_never_readable_back() {
    let mut app = spawn_app().await;
    let value = "sk-live-7f3a9c1e-never-return";
    let created = app
        .agents
        .create_secret(CreateSecretRequest {
            parent: "tenants/acme".into(),
            secret_id: "anthropic-token".into(),
            secret: Some(Secret { display_name: "Anthropic".into(), value: value.into(), ..Default::default() }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_absent(&created, &[value]);
    let got = app.agents.get_secret(GetSecretRequest { name: created.name.clone() }).await.unwrap().into_inner();
    assert_absent(&got, &[value]);
    let listed = app
        .agents
        .list_secrets(ListSecretsRequest { parent: "tenants/acme".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.secrets.len(), 1);
    assert_absent(&listed, &[value]);

    // Renaming keeps the stored value (it is still required, so the update validates).
    let renamed = app
        .agents
        .update_secret(UpdateSecretRequest {
            secret: Some(Secret { name: created.name.clone(), display_name: "Renamed".into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["display_name".into()] }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_absent(&renamed, &[value]);

    // Rotating replaces the value; the new one is not shown either.
    let rotated = app
        .agents
        .update_secret(UpdateSecretRequest {
            secret: Some(Secret { name: created.name.clone(), value: "sk-rotated-value".into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["value".into()] }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rotated.revision, 3);
    assert_absent(&rotated, &[value, "sk-rotated-value"]);

    // A filter cannot be used to probe the value.
    let probe = app
        .agents
        .list_secrets(ListSecretsRequest {
            parent: "tenants/acme".into(),
            filter: format!("value:{value}"),
            ..Default::default()
        })
        .await
        .expect_err("filtering on a secret field is refused");
    assert!(!probe.message().contains(value));
}

#[tokio::test]
async fn inline_credentials_in_agents_and_components_are_write_only() {
    let mut app = spawn_app().await;
    let values = [
        "mcp-api-key-123",
        "mcp-client-secret-456",
        "header-token-789",
        "llm-cred-abc",
        "slack-xoxb-def",
        "param-key-ghi",
    ];
    let mut agent = sample_agent();
    agent.llm.as_mut().unwrap().credentials =
        Some(LlmCredentials { name: "openai".into(), description: "key".into(), value: values[3].into() });
    agent.graph = vec![GraphItem {
        item_id: "mcp-1".into(),
        r#type: "mcp".into(),
        settings: Some(GraphItemSettings {
            mcp: Some(McpSettings {
                url: "https://mcp.example.com".into(),
                api_key: values[0].into(),
                client_secret: values[1].into(),
                headers: [("Authorization".to_owned(), values[2].to_owned())].into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }];
    let created = app
        .agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: "with-creds".into(),
            agent: Some(agent),
        })
        .await
        .unwrap()
        .into_inner();
    assert_absent(&created, &values);
    let mcp = created.graph[0].settings.as_ref().unwrap().mcp.as_ref().unwrap();
    assert_eq!(mcp.url, "https://mcp.example.com", "non-secret settings are kept");
    assert!(mcp.headers.is_empty());
    let got = app.agents.get_agent(GetAgentRequest { name: created.name.clone() }).await.unwrap().into_inner();
    assert_absent(&got, &values);
    let listed = app
        .agents
        .list_agents(ListAgentsRequest { parent: "tenants/acme".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_absent(&listed, &values);

    let tool = app
        .agents
        .create_tool(CreateToolRequest {
            parent: "tenants/acme".into(),
            tool_id: "slack".into(),
            tool: Some(Tool {
                display_name: "Slack".into(),
                config: Some(tool::Config::Slack(SlackToolConfig {
                    team_id: "T1".into(),
                    bot_token: values[4].into(),
                    ..Default::default()
                })),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_absent(&tool, &values);
    let connector = app
        .agents
        .create_tool(CreateToolRequest {
            parent: "tenants/acme".into(),
            tool_id: "tickets".into(),
            tool: Some(Tool {
                display_name: "Ticket System".into(),
                config: Some(tool::Config::Connector(ConnectorToolConfig {
                    open_api_spec_id: "spec-1".into(),
                    general_params: vec![GeneralParam {
                        name: "x-api-key".into(),
                        location: "header".into(),
                        value: values[5].into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                })),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_absent(&connector, &values);
    let tools = app
        .agents
        .list_tools(ListToolsRequest { parent: "tenants/acme".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tools.tools.len(), 2);
    assert_absent(&tools, &values);
}
