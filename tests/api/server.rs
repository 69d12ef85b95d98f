//! The server around the API: health, reflection, graceful shutdown.

use std::time::Duration;

use agentport::proto::*;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::crud::sample_agent;
use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_serving_for_the_server_and_its_service() {
    let mut app = spawn_app().await;
    for service in ["", "agentport.v1.AgentService"] {
        let status =
            app.health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown = app.health.check(HealthCheckRequest { service: "nope.Service".into() }).await.unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn reflection_lists_the_services() {
    let app = spawn_app().await;
    let mut client = ServerReflectionClient::new(app.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
    let response = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected {response:?}")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in ["agentport.v1.AgentService", "grpc.health.v1.Health"] {
        assert!(names.contains(&expected.to_owned()), "{names:?}");
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_and_stops_serving() {
    let mut app = spawn_app().await;
    app.agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: "before-stop".into(),
            agent: Some(sample_agent()),
        })
        .await
        .unwrap();
    let addr = app.addr;
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("stops in time")
        .expect("serving ended cleanly");
    let reconnect = tonic::transport::Channel::from_shared(format!("http://{addr}")).unwrap().connect().await;
    assert!(reconnect.is_err(), "nothing listens after shutdown");
}

#[tokio::test]
async fn data_survives_a_restart_on_the_same_database() {
    let mut app = spawn_app().await;
    let created = app
        .agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: "durable".into(),
            agent: Some(sample_agent()),
        })
        .await
        .unwrap()
        .into_inner();
    let url = app.database.url().to_owned();
    // The first server keeps running; a second one on the same database sees its data.
    let second = agentport::startup::Application::build(agentport::config::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: url,
        ..Default::default()
    })
    .await
    .expect("migrations are idempotent on restart");
    let addr = second.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(second.run_until_stopped(async {
        let _ = rx.await;
    }));
    let channel = crate::helpers::connect_serving(&format!("http://{addr}")).await;
    let mut client = agent_service_client::AgentServiceClient::new(channel);
    let got = client.get_agent(GetAgentRequest { name: created.name.clone() }).await.unwrap().into_inner();
    assert_eq!(got, created);
    let _ = tx.send(());
    handle.await.unwrap().unwrap();
    drop(app);
}

#[tokio::test]
async fn health_reports_not_serving_while_the_database_is_unreachable() {
    let mut app = spawn_app().await;
    let crate::helpers::TestDatabase::Postgres { admin_url, name, .. } = &app.database else {
        eprintln!("skipped on SQLite: an open SQLite file cannot become unreachable; the PostgreSQL suite runs this");
        return;
    };
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    admin.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
    let mut status = ServingStatus::Serving as i32;
    for _ in 0..100 {
        status = app.health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
        if status == ServingStatus::NotServing as i32 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, ServingStatus::NotServing as i32, "the database went away");
    // A new, empty database answers but is not ready until it is migrated.
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let store = agentport::store::Store::connect(app.database.url()).await.unwrap();
    store.migrate().await.unwrap();
    for _ in 0..100 {
        status = app.health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
        if status == ServingStatus::Serving as i32 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, ServingStatus::Serving as i32, "serving again once the database answers");
    let _ = admin.close().await;
}

/// What a reflection client gets for one request.
async fn reflect(app: &crate::helpers::TestApp, request: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(app.channel.clone());
    let request = ServerReflectionRequest { host: String::new(), message_request: Some(request) };
    let mut stream = client.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
    stream.message().await.unwrap().unwrap().message_response.expect("an answer")
}

#[tokio::test]
async fn reflection_serves_the_error_detail_types() {
    use prost::Message;
    let app = spawn_app().await;
    for file in ["google/rpc/error_details.proto", "google/rpc/status.proto"] {
        let MessageResponse::FileDescriptorResponse(found) =
            reflect(&app, MessageRequest::FileByFilename(file.into())).await
        else {
            panic!("{file} is not served")
        };
        let names: Vec<String> = found
            .file_descriptor_proto
            .iter()
            .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap().name().to_owned())
            .collect();
        assert!(names.contains(&file.to_owned()), "{names:?}");
    }
    // What grpcurl asks when it meets an `Any` detail in an error.
    for symbol in ["google.rpc.ErrorInfo", "google.rpc.BadRequest"] {
        let answer = reflect(&app, MessageRequest::FileContainingSymbol(symbol.into())).await;
        assert!(matches!(answer, MessageResponse::FileDescriptorResponse(_)), "{symbol}: {answer:?}");
    }
}
