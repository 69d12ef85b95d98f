//! OpenTelemetry traces: a call continues the caller's W3C trace, and a background import run
//! later by a worker joins the trace of the call that queued it, down to its statements.
//!
//! A binary of its own: `tracing` keeps one callsite-interest cache per process, and tests on
//! other threads that hit the same callsites with no subscriber can leave them disabled for
//! this test's thread-local subscriber.

// The shared harness, of which this test uses a part.
#![allow(dead_code)]

#[path = "api/fixtures.rs"]
mod fixtures;
#[path = "api/helpers.rs"]
mod helpers;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::trace::v1::Span;
use tokio_stream::wrappers::TcpListenerStream;
use tracing_subscriber::layer::SubscriberExt;

use crate::fixtures::{export, import_request, seed_source, wait_finished};
use crate::helpers::spawn_app_with;

/// An OTLP collector that keeps every span it is sent.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

async fn start_collector() -> (SocketAddr, Collector) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let collector = Collector::default();
    let service = TraceServiceServer::new(collector.clone());
    tokio::spawn(
        tonic::transport::Server::builder().add_service(service).serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (addr, collector)
}

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";
const REST_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_background_import_is_traced_from_the_call_to_the_worker() {
    let (collector_addr, collector) = start_collector().await;
    let provider = agentport::telemetry::tracer_provider(&format!("http://{collector_addr}")).unwrap();
    // This test's runtime runs on this thread only, server and workers included, so a
    // thread-local subscriber sees every span without touching other tests.
    let subscriber = tracing_subscriber::registry().with(agentport::telemetry::otel_layer(&provider));
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut app = spawn_app_with(|s| s.job_poll_interval_ms = 50).await;
    seed_source(&mut app, "source").await;
    let bundle = export(&mut app, "source", &["support"]).await;
    let mut request =
        tonic::Request::new(ImportAgentsRequest { background: true, ..import_request("target", &bundle) });
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    request.metadata_mut().insert("traceparent", traceparent.parse().unwrap());
    let job = app.agents.import_agents(request).await.unwrap().into_inner().job.unwrap();
    let mut jobs = JobServiceClient::new(app.channel.clone());
    assert_eq!(wait_finished(&mut jobs, &job.name).await.status(), JobStatus::Success);

    // The job reads `success` as soon as its transaction commits; the worker's span closes
    // just after. Flush until it has arrived (flushing waits on the exporter, which needs
    // this thread's runtime: wait elsewhere).
    let mut spans = Vec::new();
    for _ in 0..50 {
        let flushing = provider.clone();
        tokio::task::spawn_blocking(move || flushing.force_flush()).await.unwrap().unwrap();
        spans = collector.spans.lock().unwrap().clone();
        if spans.iter().any(|s| s.name == "agentport.job/import") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let in_trace: Vec<&Span> = spans.iter().filter(|s| hex(&s.trace_id) == CALLER_TRACE).collect();
    let by_name = |name: &str| in_trace.iter().copied().find(|s| s.name == name);
    let call = by_name("agentport.v1.AgentService/ImportAgents").expect("the import call continues the caller's trace");
    assert_eq!(hex(&call.parent_span_id), CALLER_SPAN, "the call's parent is the caller's span");
    let run = by_name("agentport.job/import").expect("the worker's run joins the same trace");
    assert_eq!(run.parent_span_id, call.span_id, "the run's parent is the call that queued it");
    assert!(
        in_trace.iter().any(|s| s.name.starts_with("db.") && s.parent_span_id == run.span_id),
        "the run's statements are its children: {:?}",
        in_trace.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    assert!(
        in_trace.iter().any(|s| s.name == "db.insert" && s.parent_span_id == call.span_id),
        "the call's own writes"
    );

    // REST calls are named after the method they call, continue a caller's trace the same way,
    // and start traces of their own without one.
    let http = reqwest::Client::new();
    let jobs_route = format!("http://{}/ai-service/target/jobs", app.addr);
    let rest_traceparent = format!("00-{REST_TRACE}-{CALLER_SPAN}-01");
    let traced = http.get(&jobs_route).header("traceparent", rest_traceparent).send().await.unwrap();
    assert_eq!(traced.status(), 200);
    let rest = http.get(&jobs_route).send().await.unwrap();
    assert_eq!(rest.status(), 200);
    drop(app);
    let flushing = provider.clone();
    tokio::task::spawn_blocking(move || flushing.force_flush()).await.unwrap().unwrap();
    let spans = collector.spans.lock().unwrap().clone();
    let lists: Vec<&Span> = spans.iter().filter(|s| s.name == "agentport.v1.JobService/ListJobs").collect();
    assert_eq!(lists.len(), 2, "a REST route's span takes the name of the method it calls");
    let (continued, own): (Vec<&Span>, Vec<&Span>) = lists.into_iter().partition(|s| hex(&s.trace_id) == REST_TRACE);
    assert_eq!(continued.len(), 1, "the REST call with a traceparent continues that trace");
    assert_eq!(hex(&continued[0].parent_span_id), CALLER_SPAN);
    assert!(own[0].parent_span_id.is_empty(), "a call without traceparent starts a trace");
    let route = own[0].attributes.iter().find(|a| a.key == "http.route").and_then(|a| a.value.clone());
    assert!(format!("{route:?}").contains("/ai-service/{tenant}/jobs"), "{route:?}");
    assert!(
        spans.iter().any(|s| s.name == "db.select" && s.parent_span_id == continued[0].span_id),
        "the REST call's queries are its children"
    );
}
