//! Bundle codec: the Emporix example, lossless round trips of fully populated resources,
//! secrets, determinism and the tolerant reader's reports.

use serde_json::{Value, json};

use super::extension::clear_identity;
use super::populate::Filler;
use super::*;
use crate::domain::secrets::scrub;
use crate::proto::{Instructions, LlmConfig, Trigger, tool};

/// The decoded `data` of Emporix's export example (reference §12.1), as Jackson prints it.
const EMPORIX_EXAMPLE: &str = include_str!("../../../tests/fixtures/emporix/example_export.json");

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn filled<M: prost::Message + prost::Name + Default>(case: usize) -> M {
    let mut value: M = Filler::new(false, case).fill();
    clear_identity(&mut value);
    value
}

fn entry<T>(id: &str, value: T) -> Entry<T> {
    Entry { id: id.to_owned(), value }
}

/// Every canonical field set, in every section, every tool config case.
fn full_bundle() -> Bundle {
    let cases =
        crate::domain::reflect::descriptor::<Tool>().oneofs().find(|o| o.name() == "config").unwrap().fields().count();
    Bundle {
        agents: vec![entry("a1", filled(0)), entry("a2", filled(0))],
        tools: (0..cases).map(|case| entry(&format!("t{case}"), filled(case))).collect(),
        mcp_servers: vec![entry("m1", filled(0))],
        knowledge_bases: vec![BundledKnowledgeBase {
            id: "kb1".into(),
            knowledge_base: filled(0),
            documents: vec![entry("d1", filled(0)), entry("d2", filled(0))],
        }],
        warnings: Vec::new(),
    }
}

/// What a bundle keeps of the input: everything but agent status, which it does not carry.
fn bundled(bundle: &Bundle) -> Bundle {
    let mut kept = bundle.clone();
    kept.agents.iter_mut().for_each(|a| a.value.status = 0);
    kept
}

fn round_trip(bundle: &Bundle) {
    let bytes = encode(bundle);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert_eq!(decode(&bytes), Ok(bundled(bundle)), "{text}");
    assert_eq!(encode(bundle), bytes, "encoding is deterministic");
}

#[test]
fn emporix_example_decodes_and_reencodes_to_the_same_bytes() {
    let bundle = decode(EMPORIX_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(bundle.agents.len(), 1);
    assert!(bundle.tools.is_empty() && bundle.mcp_servers.is_empty());
    let Entry { id, value: agent } = &bundle.agents[0];
    assert_eq!(id, "product-created");
    assert_eq!(agent.display_name["en"], "product-created");
    assert_eq!(agent.description["en"], "product-created");
    assert!(agent.required_scopes.is_empty());
    let prompt = &agent.instructions.as_ref().unwrap().general;
    assert!(prompt.starts_with("You are an agent which handle product creation process.\n"));
    assert_eq!(agent.triggers.len(), 1);
    assert_eq!(agent.triggers[0].r#type, "endpoint");
    assert!(!agent.triggers[0].null_config);
    let llm = agent.llm.as_ref().unwrap();
    assert_eq!(llm.model, "claude-3-5-haiku-20241022");
    assert_eq!(llm.temperature, Some(0.1));
    assert_eq!(llm.max_tokens, Some(4000));
    assert_eq!(llm.provider, "anthropic");
    assert_eq!(llm.token_id, "anthropic-token");
    assert_eq!(agent.mcp_servers.len(), 1);
    assert_eq!(agent.mcp_servers[0].r#type, "predefined");
    assert_eq!(agent.mcp_servers[0].domain, "product");
    assert_eq!(agent.mcp_servers[0].tools, ["get-product"]);
    assert!(agent.tools.is_empty() && agent.collaborations.is_empty() && agent.tags.is_empty());
    assert_eq!(agent.max_recursion_limit, Some(20));
    assert_eq!(agent.enable_memory, Some(true));
    assert_eq!(agent.icon, "robot");
    assert_eq!(agent.category, "generic");
    assert_eq!(agent.status, 0);
    assert!(agent.extra_json.is_empty());

    // The same bytes, plus the format version Emporix's own export does not write.
    let stamped = format!(
        "{},\n  \"agentport\" : {{\n    \"formatVersion\" : \"1.0\"\n  }}\n}}",
        EMPORIX_EXAMPLE.trim_end().trim_end_matches('}').trim_end()
    );
    assert_eq!(String::from_utf8(encode(&bundle)).unwrap(), stamped);
}

#[test]
fn fully_populated_resources_round_trip() {
    let bundle = full_bundle();
    round_trip(&bundle);
    // Mapped fields are written under their Emporix keys, not only in the extension.
    let doc = json_of(&encode(&bundle));
    let agent = &doc["agents"][0];
    assert!(agent["userPrompt"].is_string());
    assert!(agent["llmConfig"]["selfHostedParams"]["oauth"]["id"].is_string());
    assert!(agent["triggers"][0]["config"]["filter"]["k"].is_number());
    assert!(agent["llmConfig"].get("additionalParams").is_none());
    let rest = &agent[extension::KEY];
    for key in ["displayName", "triggers", "icon", "tags", "category", "templatePrompt"] {
        assert!(rest.get(key).is_none(), "{key} is mapped, yet in the extension");
    }
    // Only the unmapped parts of partly mapped messages stay.
    assert!(rest["instructions"]["role"].is_array());
    assert!(rest["instructions"].get("general").is_none());
    assert!(rest["llm"]["apiBase"].is_string() && rest["llm"].get("model").is_none());
    assert!(rest["graph"].is_array() && rest["flags"].is_object());
    assert_eq!(
        doc["mcpServers"][0]["config"]["authorizationHeaderToken"]["id"],
        json!(bundle.mcp_servers[0].value.authorization_header_token_id)
    );
    assert!(doc["knowledgeBases"][0]["documents"][1][extension::KEY]["content"].is_string());
}

#[test]
fn each_tool_config_case_round_trips_with_its_emporix_type() {
    let cases: [(usize, &str, &[&str]); 6] = [
        (0, "slack", &["teamId", "defaultInboundAgentId", "allowedOperations"]),
        (1, "teams", &["teamId", "tenantId", "defaultInboundAgentId"]),
        (2, "rag_custom", &["prompt", "maxResults", "databaseConfig", "embeddingConfig"]),
        (3, "rag_emporix", &["prompt", "entityType", "indexedFields", "filterFields"]),
        (4, "connector", &[]),
        (5, "custom_function", &[]),
    ];
    for (case, tool_type, keys) in cases {
        let mut tool: Tool = filled(case);
        tool.r#type = tool_type.into();
        let bundle = Bundle { tools: vec![entry("t", tool)], ..Default::default() };
        round_trip(&bundle);
        let doc = json_of(&encode(&bundle));
        let written = &doc["tools"][0];
        assert_eq!(written["type"], tool_type);
        for key in keys {
            assert!(written["config"].get(key).is_some(), "{tool_type}: {key}");
        }
        if keys.is_empty() {
            assert!(written.get("config").is_none(), "{tool_type}");
        } else {
            // `type` names the case, so the extension needs no marker for it.
            let rest = &written[extension::KEY];
            assert!(rest.as_object().unwrap().keys().all(|k| k == "description" || k == "extraJson"), "{rest}");
        }
    }
}

#[test]
fn presence_and_verbatim_text_round_trip() {
    let agent = Agent {
        instructions: Some(Instructions::default()),
        llm: Some(LlmConfig { self_hosted: Some(Default::default()), ..Default::default() }),
        status: crate::proto::AgentStatus::Draft as i32,
        triggers: vec![
            Trigger { r#type: "slack".into(), null_config: true, ..Default::default() },
            Trigger { filter_json: "{ \"op\" : \"$and\" }".into(), ..Default::default() },
            Trigger { filter_json: "not json".into(), null_config: true, ..Default::default() },
        ],
        extra_json: r#"{"a":1,"llmConfig.additionalParams":{"x":[1,2]}}"#.into(),
        ..Default::default()
    };
    let mut active = agent.clone();
    active.status = crate::proto::AgentStatus::Active as i32;
    active.extra_json = r#"{"llmConfig.additionalParams":{"x":1}}"#.into();
    let bundle = Bundle {
        agents: vec![entry("a", agent), entry("b", active), entry("c", Agent::default())],
        ..Default::default()
    };
    round_trip(&bundle);
    let doc = json_of(&encode(&bundle));
    let (a, b) = (&doc["agents"][0], &doc["agents"][1]);
    assert_eq!(a["userPrompt"], "");
    assert_eq!(a["llmConfig"]["selfHostedParams"], json!({}));
    assert_eq!(a["llmConfig"]["additionalParams"], json!({"x": [1, 2]}));
    assert!(a.get("enabled").is_none() && a[extension::KEY].get("status").is_none(), "no status in a bundle: {a}");
    assert_eq!(a["triggers"][0]["config"], Value::Null);
    assert_eq!(a["triggers"][1]["config"]["filter"], json!({"op": "$and"}));
    assert!(b.get("enabled").is_none(), "{b}");
    // The Emporix key rebuilds this extra_json exactly, so the extension does not repeat it.
    assert!(b.get(extension::KEY).is_none(), "{b}");
}

#[test]
fn output_is_sorted_and_independent_of_input_order() {
    let mut bundle = full_bundle();
    let bytes = encode(&bundle);
    bundle.agents.reverse();
    bundle.tools.reverse();
    bundle.knowledge_bases[0].documents.reverse();
    assert_eq!(encode(&bundle), bytes);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.find("\"id\" : \"a1\"").unwrap() < text.find("\"id\" : \"a2\"").unwrap());
    assert!(!text.ends_with('\n'));
    assert_eq!(
        String::from_utf8(encode(&Bundle::default())).unwrap(),
        "{\n  \"agents\" : [ ],\n  \"agentport\" : {\n    \"formatVersion\" : \"1.0\"\n  }\n}"
    );
}

#[test]
fn secrets_never_reach_the_bytes() {
    let mut filler = Filler::new(true, 0);
    let mut bundle = Bundle {
        agents: vec![entry("a", filler.fill())],
        tools: vec![entry("t", filler.fill())],
        mcp_servers: vec![entry("m", filler.fill())],
        knowledge_bases: vec![BundledKnowledgeBase {
            id: "kb".into(),
            knowledge_base: filler.fill(),
            documents: vec![entry("d", filler.fill())],
        }],
        warnings: Vec::new(),
    };
    let mut secrets = Vec::new();
    secrets.extend(find_secrets(&bundle.agents[0].value));
    secrets.extend(find_secrets(&bundle.tools[0].value));
    secrets.extend(find_secrets(&bundle.mcp_servers[0].value));
    assert!(secrets.len() > 20, "the filler sets secrets: {secrets:?}");
    let original = bundle.clone();
    let bytes = encode(&bundle);
    assert_eq!(bundle, original, "encode works on a copy");
    let text = String::from_utf8(bytes.clone()).unwrap();
    for (path, value) in &secrets {
        assert!(!text.contains(value.as_str()), "{path} leaked");
    }
    assert!(!text.contains("SECRET-"));

    // Every case of the tool config, too (Slack's bot token, connector parameter values).
    for case in 0..6 {
        let tool: Tool = Filler::new(true, case).fill();
        let bundle = Bundle { tools: vec![entry("t", tool)], ..Default::default() };
        let text = String::from_utf8(encode(&bundle)).unwrap();
        assert!(!text.contains("SECRET-"), "case {case}");
    }

    // What comes back is the scrubbed resource (without the status a bundle does not carry).
    for e in &mut bundle.agents {
        scrub(&mut e.value);
        clear_identity(&mut e.value);
        e.value.status = 0;
    }
    let decoded = decode(&bytes).unwrap();
    assert_eq!(decoded.agents, bundle.agents);
}

#[test]
fn tolerant_reader_accepts_emporix_variants() {
    let data = json!({
        "exportedBy": "someone",
        "agents": [{
            "id": "a",
            "unknown": {"deep": [1]},
            "enabledMemory": true,
            "triggers": [
                {"type": "slack", "config": null},
                {"type": "commerce_events", "config": {"events": "product.product-created", "filter": {"op": "$exists", "left": "payload.x"}}},
                {"type": "commerce_events", "config": {"events": ["a", "b"]}}
            ],
            "llmConfig": {"model": "m", "additionalParams": {"top_p": 1}, "apiKey": "ignored"},
            "mcpServers": [{"type": "custom", "mcpServer": {"id": "m1", "name": "expanded"}}],
            "nativeTools": [{"id": "t1", "allowedOperations": ["sendMessage"]}],
            "agentCollaborations": [{"agentId": "b", "description": "when"}],
            "description": null
        }],
        "tools": [{"id": "t1", "type": "slack", "config": {"teamId": "T1", "botToken": "xoxb-1"}}],
        "mcpServers": null
    });
    let bundle = decode(data.to_string().as_bytes()).unwrap();
    let agent = &bundle.agents[0].value;
    assert_eq!(agent.enable_memory, Some(true));
    assert!(agent.triggers[0].null_config);
    assert_eq!(agent.triggers[1].events, ["product.product-created"]);
    assert_eq!(
        serde_json::from_str::<Value>(&agent.triggers[1].filter_json).unwrap(),
        json!({"op": "$exists", "left": "payload.x"})
    );
    assert_eq!(agent.triggers[2].events, ["a", "b"]);
    assert_eq!(agent.extra_json, r#"{"llmConfig.additionalParams":{"top_p":1}}"#);
    assert_eq!(agent.llm.as_ref().unwrap().api_key, "");
    assert_eq!(agent.mcp_servers[0].mcp_server_id, "m1");
    assert_eq!(agent.tools[0].operations, ["sendMessage"]);
    assert_eq!(agent.collaborations[0].agent_id, "b");
    let Some(tool::Config::Slack(slack)) = &bundle.tools[0].value.config else {
        panic!("slack config expected");
    };
    assert_eq!((slack.team_id.as_str(), slack.bot_token.as_str()), ("T1", ""));
    assert!(bundle.mcp_servers.is_empty());

    // `enableMemory` wins over the alias.
    let data = json!({"agents": [{"id": "a", "enableMemory": false, "enabledMemory": true}]});
    let bundle = decode(data.to_string().as_bytes()).unwrap();
    assert_eq!(bundle.agents[0].value.enable_memory, Some(false));
}

fn violations(data: &[u8]) -> Vec<(String, String)> {
    decode(data).unwrap_err().into_iter().map(|v| (v.field, v.description)).collect()
}

fn fields(data: Value) -> Vec<String> {
    violations(data.to_string().as_bytes()).into_iter().map(|(field, _)| field).collect()
}

#[test]
fn reader_reports_every_problem_with_its_path() {
    assert_eq!(fields(json!([])), ["data"]);
    assert_eq!(violations(b"{\"agents\": [")[0].0, "data");
    assert!(violations(b"\xff\xfe")[0].1.contains("UTF-8"));
    assert_eq!(fields(json!({"agents": {}})), ["agents"]);

    let data = json!({
        "agents": [
            {"id": "a", "llmConfig": {"temperature": "hot", "maxTokens": 1.5}, "tags": ["x", 3]},
            {"name": {"en": 1}},
            {"id": "a", "triggers": [{"config": 7}, 3], "enableMemory": "yes"},
            "agent"
        ],
        "tools": [{"id": "t1"}, {"id": "t2", "config": []}, {"id": 3}],
        "mcpServers": [{"id": "m", "tools": [{"config": {"invocation": {"method": 1}}}], "agentport": {"displayName": 5}}],
        "knowledgeBases": [{"id": "kb", "documents": [{"id": "d"}, {"id": "d"}]}]
    });
    let found = fields(data);
    let expected = [
        "agents[0].llmConfig.temperature",
        "agents[0].llmConfig.maxTokens",
        "agents[0].tags[1]",
        "agents[1].id",
        "agents[1].name.en",
        "agents[2].id",
        "agents[2].triggers[0].config",
        "agents[2].triggers[1]",
        "agents[2].enableMemory",
        "agents[3]",
        "tools[1].config",
        "tools[2].id",
        "mcpServers[0].agentport",
        "mcpServers[0].tools[0].config.invocation.method",
        "knowledgeBases[0].documents[1].id",
    ];
    let mut sorted_found = found.clone();
    sorted_found.sort();
    let mut sorted_expected = expected.map(str::to_owned).to_vec();
    sorted_expected.sort();
    assert_eq!(sorted_found, sorted_expected, "{found:?}");
}

#[test]
fn sections_are_limited() {
    let agents: Vec<Value> = (0..=MAX_SECTION_ENTITIES).map(|i| json!({"id": format!("a{i}")})).collect();
    let found = violations(json!({ "agents": agents }).to_string().as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "agents");
    assert!(found[0].1.contains("1000"), "{}", found[0].1);
}
