//! Requests no route takes: HTTP clients get 404 (unknown path) or 405 (another method) in the
//! error body of the path's dialect; gRPC clients still get UNIMPLEMENTED for unknown methods.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::spawn_app;

async fn send(base: &str, method: Method, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .header("x-agentport-tenant", "acme")
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

#[tokio::test]
async fn unknown_paths_are_404_in_the_dialect_of_the_path() {
    let app = spawn_app().await;
    let base = format!("http://{}", app.addr);
    for path in ["/v1/toolkits", "/v1/agents/", "/v1/agentz", "/v1", "/nothing"] {
        let (status, headers, text) = send(&base, Method::GET, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {text}");
        assert!(headers.get("grpc-status").is_none(), "{path}");
        assert_eq!(json(&text), serde_json::json!({"detail": "Not Found"}), "{path}");
    }
    for path in ["/ai-service/acme/nothing", "/ai-service/acme/agentic/agents/", "/ai-service"] {
        let (status, headers, text) = send(&base, Method::GET, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {text}");
        assert!(headers.get("grpc-status").is_none(), "{path}");
        let body = json(&text);
        assert_eq!((body["code"].as_u64(), body["status"].as_str()), (Some(404), Some("Not Found")), "{body}");
        assert_eq!(body["type"], "NOT_FOUND");
        assert!(body["message"].as_str().unwrap().contains(path), "{body}");
    }
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_in_its_dialect() {
    let app = spawn_app().await;
    let base = format!("http://{}", app.addr);
    let (status, headers, text) = send(&base, Method::DELETE, "/v1/agents").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{text}");
    assert_eq!(json(&text), serde_json::json!({"detail": "Method Not Allowed"}));
    let allow = headers.get("allow").expect("an Allow header").to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");

    let (status, _, text) = send(&base, Method::PUT, "/ai-service/acme/agentic/agents/export").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{text}");
    let body = json(&text);
    assert_eq!((body["code"].as_u64(), body["type"].as_str()), (Some(405), Some("METHOD_NOT_ALLOWED")), "{body}");
}

#[tokio::test]
async fn grpc_calls_to_unknown_methods_are_still_unimplemented() {
    let app = spawn_app().await;
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/agentport.v1.AgentService/NoSuchMethod");
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let status = grpc.unary(tonic::Request::new(()), path, codec).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unimplemented);
}
