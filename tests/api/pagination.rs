//! Lists across pages: nothing lost, nothing repeated; tokens bound to their query.

use std::collections::BTreeSet;

use agentport::proto::*;
use tonic::Code;

use crate::crud::sample_agent;
use crate::helpers::{expect_error, spawn_app};

async fn seed(app: &mut crate::helpers::TestApp, tenant: &str, count: usize) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for i in 0..count {
        let mut agent = sample_agent();
        if i % 3 == 0 {
            agent.status = AgentStatus::Active as i32;
        }
        let created = app
            .agents
            .create_agent(CreateAgentRequest {
                parent: format!("tenants/{tenant}"),
                agent_id: format!("agent-{i:03}"),
                agent: Some(agent),
            })
            .await
            .unwrap()
            .into_inner();
        names.insert(created.name);
    }
    names
}

async fn collect(
    app: &mut crate::helpers::TestApp,
    parent: &str,
    page_size: i32,
    filter: &str,
) -> (Vec<String>, usize) {
    let (mut seen, mut pages, mut token) = (Vec::new(), 0, String::new());
    loop {
        let page = app
            .agents
            .list_agents(ListAgentsRequest {
                parent: parent.into(),
                page_size,
                page_token: token.clone(),
                filter: filter.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.agents.len() <= page_size as usize);
        seen.extend(page.agents.into_iter().map(|a| a.name));
        if page.next_page_token.is_empty() {
            return (seen, pages);
        }
        token = page.next_page_token;
    }
}

#[tokio::test]
async fn list_across_pages_loses_and_repeats_nothing() {
    let mut app = spawn_app().await;
    let expected = seed(&mut app, "acme", 23).await;
    seed(&mut app, "other", 4).await;

    let (seen, pages) = collect(&mut app, "tenants/acme", 5, "").await;
    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 23, "no item repeated");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), expected, "no item lost");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "ordered by id");

    // An exact multiple of the page size still ends with an empty token, not an empty page.
    let (seen, pages) = collect(&mut app, "tenants/acme", 23, "").await;
    assert_eq!((seen.len(), pages), (23, 1));
}

#[tokio::test]
async fn filter_applies_across_pages() {
    let mut app = spawn_app().await;
    seed(&mut app, "acme", 12).await;
    let (active, _) = collect(&mut app, "tenants/acme", 2, "status:active category:generic").await;
    assert_eq!(
        active,
        vec![
            "tenants/acme/agents/agent-000",
            "tenants/acme/agents/agent-003",
            "tenants/acme/agents/agent-006",
            "tenants/acme/agents/agent-009"
        ]
    );
    let (inactive, _) = collect(&mut app, "tenants/acme", 50, "status:AGENT_STATUS_INACTIVE").await;
    assert_eq!(inactive.len(), 8);
    let (none, _) = collect(&mut app, "tenants/acme", 50, "category:complaint").await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn bool_filters_match_on_tools() {
    let mut app = spawn_app().await;
    for (id, enabled) in [("t1", true), ("t2", false), ("t3", true)] {
        app.agents
            .create_tool(CreateToolRequest {
                parent: "tenants/acme".into(),
                tool_id: id.into(),
                tool: Some(Tool { display_name: id.into(), r#type: "slack".into(), enabled, ..Default::default() }),
            })
            .await
            .unwrap();
    }
    let enabled = app
        .agents
        .list_tools(ListToolsRequest {
            parent: "tenants/acme".into(),
            filter: "enabled:true".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        enabled.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["tenants/acme/tools/t1", "tenants/acme/tools/t3"]
    );
    let disabled = app
        .agents
        .list_tools(ListToolsRequest {
            parent: "tenants/acme".into(),
            filter: "enabled:false".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(disabled.tools.len(), 1);
}

#[tokio::test]
async fn page_tokens_and_sizes_are_checked() {
    let mut app = spawn_app().await;
    seed(&mut app, "acme", 3).await;
    let first = app
        .agents
        .list_agents(ListAgentsRequest { parent: "tenants/acme".into(), page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    // The token belongs to its query: another filter or parent is refused.
    let status = expect_error(
        app.agents
            .list_agents(ListAgentsRequest {
                parent: "tenants/acme".into(),
                page_size: 1,
                page_token: first.next_page_token.clone(),
                filter: "status:active".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "INVALID_PAGE_TOKEN",
    );
    assert!(status.message().contains("page_token"));
    expect_error(
        app.agents
            .list_agents(ListAgentsRequest {
                parent: "tenants/other".into(),
                page_size: 1,
                page_token: first.next_page_token,
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "INVALID_PAGE_TOKEN",
    );
    expect_error(
        app.agents
            .list_agents(ListAgentsRequest {
                parent: "tenants/acme".into(),
                page_token: "garbage".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "INVALID_PAGE_TOKEN",
    );
    expect_error(
        app.agents
            .list_agents(ListAgentsRequest { parent: "tenants/acme".into(), page_size: 1001, ..Default::default() })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    expect_error(
        app.agents
            .list_agents(ListAgentsRequest { parent: "tenants/acme".into(), page_size: -1, ..Default::default() })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    let status = expect_error(
        app.agents
            .list_agents(ListAgentsRequest {
                parent: "tenants/acme".into(),
                filter: "status:active colour:red".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "INVALID_FILTER",
    );
    assert!(status.message().contains("colour"), "{}", status.message());
}

#[tokio::test]
async fn localized_names_and_regexes_filter_lists() {
    let mut app = spawn_app().await;
    for (id, en, de, icon) in [
        ("complaints", "Complaint agent", "Reklamation", "robot"),
        ("fraud", "Anti fraud", "Betrug", "shield"),
        ("multi", "Complaint\nand more", "Mehr", "robot-2"),
    ] {
        let mut agent = sample_agent();
        agent.display_name = [("en".to_owned(), en.to_owned()), ("de".to_owned(), de.to_owned())].into();
        agent.icon = icon.into();
        app.agents
            .create_agent(CreateAgentRequest { parent: "tenants/acme".into(), agent_id: id.into(), agent: Some(agent) })
            .await
            .unwrap();
    }
    let ids = |filter: &str| {
        let mut client = app.agents.clone();
        let filter = filter.to_owned();
        async move {
            let listed = client
                .list_agents(ListAgentsRequest { parent: "tenants/acme".into(), filter, ..Default::default() })
                .await
                .unwrap()
                .into_inner();
            listed.agents.into_iter().map(|a| a.name.rsplit('/').next().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("displayName:~Complaint").await, ["complaints", "multi"], "a regex over every language");
    assert_eq!(ids("displayName:~^Bet").await, ["fraud"]);
    assert_eq!(ids("displayName:Reklamation").await, ["complaints"], "exact text of any language");
    assert_eq!(ids("displayName:~(Complaint.and)").await, ["multi"], "`.` matches a newline on both stores");
    assert_eq!(ids("icon:~^robot$").await, ["complaints"]);
    assert_eq!(ids("icon:~robot displayName:~agent").await, ["complaints"]);
    let bad = app
        .agents
        .list_agents(ListAgentsRequest {
            parent: "tenants/acme".into(),
            filter: "icon:~(a[".into(),
            ..Default::default()
        })
        .await;
    expect_error(bad, Code::InvalidArgument, "INVALID_FILTER");

    // The Emporix dialect's own example: `q=name:~Complaint` on agents.
    let url = format!("http://{}/ai-service/acme/agentic/agents?q=name:~Complaint", app.addr);
    let found: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let found: Vec<&str> = found.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(found, ["complaints", "multi"]);
}
