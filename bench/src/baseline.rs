//! The anchor servers: `GetAgent` answered with one pre-built `Agent` (the same bytes agentport
//! returns) by a minimal tonic server, and the same REST path answered with the same JSON bytes
//! by axum, on one listener as agentport serves them.
//!
//! `agentport-bench baseline LISTEN AGENT_PB AGENT_JSON REST_PATH` (the harness starts it).

use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status};

mod pb {
    tonic::include_proto!("agentport.v1");
}

use pb::agent_service_server::{AgentService, AgentServiceServer};

struct FromMemory(Arc<pb::Agent>);

#[tonic::async_trait]
impl AgentService for FromMemory {
    async fn get_agent(&self, _: Request<pb::GetAgentRequest>) -> Result<Response<pb::Agent>, Status> {
        Ok(Response::new((*self.0).clone()))
    }
}

/// Serves until killed; `args` are the command line after `baseline`.
pub async fn serve(args: &[String]) {
    let [listen, agent_pb, agent_json, rest_path] = args else {
        eprintln!("usage: agentport-bench baseline LISTEN AGENT_PB AGENT_JSON REST_PATH");
        std::process::exit(2);
    };
    let agent = pb::Agent::decode(std::fs::read(agent_pb).expect("agent bytes").as_slice()).expect("an Agent");
    let json = axum::body::Bytes::from(std::fs::read(agent_json).expect("agent JSON"));
    let grpc = AgentServiceServer::new(FromMemory(Arc::new(agent)));
    let rest = axum::Router::new().route(
        rest_path,
        axum::routing::get(move || {
            let json = json.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], json) }
        }),
    );
    let router = tonic::service::Routes::new(grpc).prepare().into_axum_router().merge(rest);
    let listener = tokio::net::TcpListener::bind(listen).await.expect("listen");
    use axum::serve::ListenerExt;
    axum::serve(listener.tap_io(|tcp| drop(tcp.set_nodelay(true))), router).await.expect("serve");
}
