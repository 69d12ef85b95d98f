//! The output against the export spec's JSON Schema (tests/fixtures, generated from the YAML of
//! shared/spec/xpander-export-agent-api.md), and the enumerations against the schema's.

use serde_json::{Value, json};

use super::enums;
use super::tests::{plain, rich, with_secrets};
use super::{TemplateTree, encode_definition};
use crate::proto::Agent;

const SCHEMA: &str = include_str!("../../../tests/fixtures/xpander_agent_definition.schema.json");

fn schema() -> Value {
    serde_json::from_str(SCHEMA).unwrap()
}

fn problems(instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    validator.iter_errors(instance).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

#[test]
fn encoded_trees_validate() {
    let single =
        TemplateTree { root: "x".into(), agents: [("x".into(), Agent::default())].into(), ..Default::default() };
    for tree in [rich(), plain(), with_secrets(), single] {
        let value = encode_definition(&tree);
        assert_eq!(problems(&value), Vec::<String>::new());
    }
}

#[test]
fn the_schema_rejects_a_dropped_required_key() {
    let value = encode_definition(&rich());
    let broken: [fn(&mut Value); 4] = [
        |v| drop(v["sub_agents"][1].as_object_mut().unwrap().remove("connectors")),
        |v| drop(v["graph"][0].as_object_mut().unwrap().remove("item_id")),
        |v| drop(v["connectors"][0].as_object_mut().unwrap().remove("open_api_spec_id")),
        |v| v["sub_agents"][0]["custom_functions"][0]["status"] = json!("running"),
    ];
    for (i, breaking) in broken.into_iter().enumerate() {
        let mut copy = value.clone();
        breaking(&mut copy);
        assert!(!problems(&copy).is_empty(), "change {i} was accepted");
    }
}

#[test]
fn enumerations_match_the_schema() {
    let schema = schema();
    let defs = &schema["$defs"];
    let cases: [(&Value, &[&str]); 13] = [
        (&defs["AgentType"]["enum"], enums::AGENT_TYPES),
        (&defs["AIAgentAccessScope"]["enum"], enums::ACCESS_SCOPES),
        (&defs["LLMModelProvider"]["enum"], enums::MODEL_PROVIDERS),
        (&defs["SourceNodeType"]["enum"], enums::SOURCE_NODE_TYPES),
        (&defs["AIAgentGraphItemType"]["enum"], enums::GRAPH_ITEM_TYPES),
        (&defs["AIAgentGraphItemSubType"]["enum"], enums::GRAPH_ITEM_SUB_TYPES),
        (&defs["MCPServerType"]["enum"], enums::MCP_TYPES),
        (&defs["MCPServerTransport"]["enum"], enums::MCP_TRANSPORTS),
        (&defs["MCPServerAuthType"]["enum"], enums::MCP_AUTH_TYPES),
        (&defs["AIAgentHITLType"]["enum"], enums::HITL_TYPES),
        (&defs["CustomFunctionStatus"]["enum"], enums::CUSTOM_FUNCTION_STATUSES),
        (&defs["GeneralParam"]["properties"]["location"]["enum"], enums::PARAM_LOCATIONS),
        (
            &json!([defs["AIAgentGraphItemCodingAgentSettings"]["properties"]["type"]["anyOf"][0]["const"]]),
            enums::CODING_AGENT_TYPES,
        ),
    ];
    for (documented, ours) in cases {
        assert_eq!(documented, &json!(ours));
    }
    assert_eq!(defs["AgentStatus"]["enum"], json!(["DRAFT", "ACTIVE", "INACTIVE"]));
}
