//! The tolerant reader: foreign definitions (no extension), every problem reported with its
//! path, limits.

use serde_json::{Value, json};

use super::*;
use crate::proto::AgentStatus;
use crate::proto::tool::Config;

fn fields(value: Value) -> Vec<String> {
    let mut found: Vec<String> = decode_definition(&value).unwrap_err().into_iter().map(|v| v.field).collect();
    found.sort();
    found
}

/// A definition with the required keys and the given sub-agents.
fn node(id: &str, subs: Vec<Value>) -> Value {
    json!({"id": id, "name": id, "custom_functions": [], "connectors": [], "sub_agents": subs})
}

#[test]
fn a_foreign_definition_reads_with_the_links_its_nesting_implies() {
    let docs = json!({"name": "Docs", "description": "d", "documents": [{"name": "a", "url": "u", "content": "c"}]});
    let value = json!({
        "id": "r", "name": "Support", "description": "Helps", "type": "manager", "status": "DRAFT",
        "model_provider": "openai", "model_name": "gpt-4.1", "unknown": {"deep": [1]},
        "instructions": {"role": ["r"], "goal": ["g"], "general": "be nice"},
        "attached_tools": [{"id": "c1", "operation_ids": ["op"]}],
        "oas": "{\"openapi\": \"3.1.0\"}",
        "graph": [
            {"item_id": "s1", "type": "agent", "targets": []},
            {"item_id": "f1", "type": "tool", "sub_type": "custom_function", "targets": ["s1"],
             "settings": {"mcp_settings": {"url": "u", "headers": {"x": 1, "y": "z"}}, "a2a_options": null}}
        ],
        "custom_functions": [{"id": "f1", "name": "F", "input_schema": {"type": "object"}, "status": "ready", "source_code": "pass"}],
        "connectors": [{"id": "c1", "open_api_spec_id": "spec", "general_params": [{"name": "k", "description": "d", "location": "header", "value": "v"}]}],
        "sub_agents": [
            {"id": "s1", "name": "One", "custom_functions": [], "connectors": [],
             "knowledge_bases": [{"name": "Docs", "description": "other"}]},
            {"id": "s2", "name": "Two", "description": "second", "custom_functions": [], "connectors": [], "knowledge_bases": [docs]}
        ],
        "knowledge_bases": [docs]
    });
    let t = decode_definition(&value).unwrap();
    assert_eq!(t.root, "r");
    let root = &t.agents["r"];
    assert_eq!(root.display_name["en"], "Support");
    assert_eq!(root.status, AgentStatus::Draft as i32);
    assert_eq!(root.kind, "manager");
    assert_eq!(root.oas_json, r#"{"openapi":"3.1.0"}"#);
    assert_eq!((root.tools[0].tool_id.as_str(), &root.tools[0].operations[..]), ("c1", &["op".to_owned()][..]));
    // s1 is named by a graph item; s2 only by nesting, so it becomes a collaboration.
    assert_eq!(root.collaborations.len(), 1);
    assert_eq!(
        (root.collaborations[0].agent_id.as_str(), root.collaborations[0].description.as_str()),
        ("s2", "second")
    );
    // One knowledge base per distinct copy, attached where listed.
    assert_eq!(t.knowledge_bases.keys().collect::<Vec<_>>(), ["knowledge-base-1", "knowledge-base-2"]);
    assert_eq!(t.agents["s1"].knowledge_bases[0].knowledge_base_id, "knowledge-base-2");
    let kb = &t.knowledge_bases["knowledge-base-1"];
    assert_eq!((kb.knowledge_base.display_name.as_str(), kb.documents[0].id.as_str()), ("Docs", "document-1"));
    assert_eq!(kb.documents[0].value.content, "c");
    for agent in [root, &t.agents["s2"]] {
        let attachment = &agent.knowledge_bases[0];
        assert_eq!(
            (attachment.knowledge_base_id.as_str(), attachment.strategy.as_str()),
            ("knowledge-base-1", "vanilla")
        );
    }
    let Some(Config::CustomFunction(f)) = &t.tools["f1"].config else { panic!("custom function expected") };
    assert_eq!(
        (t.tools["f1"].r#type.as_str(), f.input_schema_json.as_str()),
        ("custom_function", r#"{"type":"object"}"#)
    );
    let Some(Config::Connector(c)) = &t.tools["c1"].config else { panic!("connector expected") };
    assert_eq!(c.general_params[0].value, "v", "an import may carry credentials");
    let settings = root.graph[1].settings.as_ref().unwrap();
    assert_eq!(settings.present, ["mcp_settings"]);
    let mcp = settings.mcp.as_ref().unwrap();
    assert_eq!((mcp.headers["x"].as_str(), mcp.headers["y"].as_str()), ("1", "z"));
}

#[test]
fn every_problem_is_reported_with_its_path() {
    assert_eq!(fields(json!([])), [""]);
    let value = json!({
        "name": 5,
        "custom_functions": [{"id": "f", "name": "F", "status": "ready", "source_code": "", "input_schema": "{not json"}],
        "connectors": {},
        "oas": "[1]",
        "status": "LIVE",
        "attached_tools": [{"id": "t"}],
        "knowledge_bases": [{"documents": [{"name": 1}]}],
        "sub_agents": [
            node("s0", vec![]),
            {"id": "s1", "name": "S", "custom_functions": [], "connectors": [{"id": "c"}],
             "graph": [{"type": "tool", "targets": "x"}],
             "agentport": {"set": {"displayName": 3}, "clear": ["nope"]}},
            {"id": "s2", "name": "S"}
        ]
    });
    let mut expected = [
        "id",
        "name",
        "custom_functions[0].input_schema",
        "connectors",
        "oas",
        "status",
        "attached_tools[0].operation_ids",
        "knowledge_bases[0].name",
        "knowledge_bases[0].documents[0].name",
        "sub_agents[1].connectors[0].open_api_spec_id",
        "sub_agents[1].graph[0].item_id",
        "sub_agents[1].graph[0].targets",
        "sub_agents[1].agentport.set",
        "sub_agents[1].agentport.clear[0]",
        "sub_agents[2].custom_functions",
        "sub_agents[2].connectors",
    ];
    expected.sort();
    assert_eq!(fields(value), expected);
}

#[test]
fn the_same_id_must_define_the_same_agent() {
    let mut second = node("s", vec![]);
    second["name"] = json!("other");
    let value = node("r", vec![node("s", vec![]), node("s", vec![]), second]);
    let errs = decode_definition(&value).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].field, "sub_agents[2]");
    assert!(errs[0].description.contains("sub_agents[0]"), "{}", errs[0].description);
}

#[test]
fn nesting_depth_is_limited() {
    let chain = |levels: usize| (0..levels).fold(node("leaf", vec![]), |inner, i| node(&format!("n{i}"), vec![inner]));
    assert!(decode_definition(&chain(MAX_DEPTH)).is_ok());
    let errs = decode_definition(&chain(MAX_DEPTH + 1)).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].field, format!("{}sub_agents", "sub_agents[0].".repeat(MAX_DEPTH)));
    assert!(errs[0].description.contains("32"));
    // As deep as a parsed body can be: read whole into the DTO first, still one problem.
    let errs = decode_definition(&chain(120)).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
}

#[test]
fn the_number_of_definitions_is_limited() {
    let subs = |n: usize| (0..n).map(|i| node(&format!("s{i}"), vec![])).collect::<Vec<_>>();
    assert!(decode_definition(&node("r", subs(MAX_NODES - 1))).is_ok());
    let errs = decode_definition(&node("r", subs(MAX_NODES))).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].field, format!("sub_agents[{}]", MAX_NODES - 1));
    assert!(errs[0].description.contains("1000"));
}

#[test]
fn violations_say_what_kind_of_problem_they_are() {
    use crate::error::ViolationKind;
    let value = json!({
        "name": 5,
        "custom_functions": [],
        "connectors": {},
        "graph": [{"item_id": "x", "type": "tool", "targets": [], "settings": {"mcp_settings": {"headers": []}}}],
        "agentport": "patch"
    });
    let mut found: Vec<(String, ViolationKind)> =
        decode_definition(&value).unwrap_err().into_iter().map(|v| (v.field, v.kind)).collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        found,
        [
            ("agentport".to_owned(), ViolationKind::NotObject),
            ("connectors".to_owned(), ViolationKind::NotArray),
            ("graph[0].settings.mcp_settings.headers".to_owned(), ViolationKind::NotObject),
            ("id".to_owned(), ViolationKind::Missing),
            ("name".to_owned(), ViolationKind::NotString),
        ]
    );
}
