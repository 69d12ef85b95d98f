//! Browser clients: gRPC-web over HTTP/1.1 on the API listener, and CORS for allowed origins.

use agentport::proto::agent_service_client::AgentServiceClient;
use agentport::proto::*;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tonic_web::GrpcWebClientLayer;

use agentport::observability::metrics::REQUESTS;

use crate::crud::sample_agent;
use crate::helpers::spawn_app_with;
use crate::operations::{scrape, value, with_metrics};

#[tokio::test]
async fn grpc_web_calls_over_http1_reach_the_service() {
    let app = spawn_app_with(with_metrics).await;
    let before = scrape(app.metrics_addr.unwrap()).await;
    // HTTP/1.1 only, as browsers speak gRPC-web: no h2, no trailers.
    let http1 = Client::builder(TokioExecutor::new()).build_http();
    let web = tower::ServiceBuilder::new().layer(GrpcWebClientLayer::new()).service(http1);
    let mut client = AgentServiceClient::with_origin(web, format!("http://{}", app.addr).parse().unwrap());

    let request =
        CreateAgentRequest { parent: "tenants/acme".into(), agent_id: "web".into(), agent: Some(sample_agent()) };
    let created = client.create_agent(request).await.expect("grpc-web create").into_inner();
    assert_eq!(created.name, "tenants/acme/agents/web");
    let got = client.get_agent(GetAgentRequest { name: created.name.clone() }).await.unwrap().into_inner();
    assert_eq!(got, created);

    // Errors keep their code and reason through the grpc-web framing.
    let missing = client.get_agent(GetAgentRequest { name: "tenants/acme/agents/nope".into() }).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert_eq!(crate::helpers::reason(&missing), "RESOURCE_NOT_FOUND");

    // Counted as grpc-web, with the status that travelled inside the grpc-web body.
    let after = scrape(app.metrics_addr.unwrap()).await;
    let labels = [("transport", "grpc-web"), ("method", "agentport.v1.AgentService/GetAgent"), ("code", "NotFound")];
    assert!(value(&after, REQUESTS, &labels) - value(&before, REQUESTS, &labels) >= 1.0);
    let labels = [("transport", "grpc-web"), ("method", "agentport.v1.AgentService/CreateAgent"), ("code", "Ok")];
    assert!(value(&after, REQUESTS, &labels) - value(&before, REQUESTS, &labels) >= 1.0);
}

#[tokio::test]
async fn cors_answers_allowed_origins_only() {
    let app = spawn_app_with(|s| s.cors_allowed_origins = vec!["https://console.example".into()]).await;
    let http = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, format!("http://{}/agentport.v1.AgentService/GetAgent", app.addr))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-grpc-web,authorization")
            .send()
    };
    let allowed = preflight("https://console.example").await.unwrap();
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], "https://console.example");
    let allow_headers = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allow_headers.contains("x-grpc-web") && allow_headers.contains("authorization"), "{allow_headers}");

    let other = preflight("https://elsewhere.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none(), "other origins get no grant");

    // The browser reads the gRPC status of a real call.
    let call = http
        .get(format!("http://{}/ai-service/acme/jobs", app.addr))
        .header("origin", "https://console.example")
        .send()
        .await
        .unwrap();
    assert_eq!(call.headers()["access-control-allow-origin"], "https://console.example");
    let exposed = call.headers()["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.contains("grpc-status"), "{exposed}");
}

#[tokio::test]
async fn no_cors_headers_unless_origins_are_configured() {
    let app = spawn_app_with(|_| {}).await;
    let call = reqwest::Client::new()
        .get(format!("http://{}/ai-service/acme/jobs", app.addr))
        .header("origin", "https://console.example")
        .send()
        .await
        .unwrap();
    assert!(call.headers().get("access-control-allow-origin").is_none());
}
