//! The served OpenAPI document links each operation that makes a resource to the operations on
//! it, so that clients and stateful testers can chain create -> read -> update -> delete.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::rest_xpander::Api;

fn links<'a>(doc: &'a Value, path: &str, method: &str, code: &str) -> &'a serde_json::Map<String, Value> {
    doc["paths"][path][method]["responses"][code]["links"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} {code} has links"))
}

#[tokio::test]
async fn makers_link_to_the_operations_on_what_they_made_and_the_links_work() {
    let app = spawn_app().await;
    let api = Api::new(&app);
    let (status, doc) = api.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);

    // xpander: POST on a collection -> the item, its id from the answer.
    let created = links(&doc, "/v1/agents", "post", "201");
    let get_agent = created.values().find(|l| l["parameters"]["agent_id"] == "$response.body#/id");
    let get_agent = get_agent.expect("a link fills agent_id from the created agent's id");
    let operations: Vec<&str> = created.values().map(|l| l["operationId"].as_str().unwrap()).collect();
    for id in operations.iter() {
        let exists = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .any(|item| item.as_object().unwrap().values().any(|op| op["operationId"].as_str() == Some(*id)));
        assert!(exists, "link to unknown operation {id}");
    }
    assert!(operations.len() >= 3, "read, update and delete: {operations:?}");

    // Emporix: PUT of an item -> read and delete of the same item, parameters from the request.
    let put = links(&doc, "/ai-service/{tenant}/agentic/agents/{agentId}", "put", "201");
    assert!(put.values().all(|l| l["parameters"]["agentId"] == "$request.path.agentId"), "{put:?}");
    assert!(put.values().all(|l| l["parameters"]["tenant"] == "$request.path.tenant"));

    // Following the link from a real answer reaches the resource.
    let (status, agent) = api.tenant("acme").post("/v1/agents", json!({"name": "Linked"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    assert_eq!(get_agent["parameters"]["agent_id"], "$response.body#/id");
    let (status, read) = api.tenant("acme").get(&format!("/v1/agents/{}", agent["id"].as_str().unwrap())).await;
    assert_eq!((status, &read["id"]), (StatusCode::OK, &agent["id"]));
}
