//! Logs and traces. Logs are structured `tracing` lines filtered by `RUST_LOG` (default
//! `info`). Spans go to an OTLP/gRPC collector when an endpoint is configured; nothing leaves
//! the process when none is. W3C trace context (`traceparent`) continues a caller's trace, and
//! background jobs carry the context of the call that queued them.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Span;
use tracing_opentelemetry::{OpenTelemetryLayer, OpenTelemetrySpanExt};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{Filtered, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, Settings};

/// The name spans are recorded under.
const TRACER: &str = "agentport";
/// Longest statement text attached to a query span.
const MAX_STATEMENT_CHARS: usize = 2000;

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] flushes what is buffered.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            eprintln!("agentport: flushing traces failed: {e}");
        }
    }
}

/// Installs the process-wide subscriber: logs, plus trace export when `otlp_endpoint` is set.
pub fn init(settings: &Settings) -> Result<Telemetry, String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt::layer().with_ansi(std::io::stderr().is_terminal()).with_writer(std::io::stderr);
    let logs = match settings.log_format {
        LogFormat::Text => logs.fmt_fields(crate::log_fields::escaped()).boxed(),
        LogFormat::Json => logs.json().boxed(),
    };
    let provider = settings.otlp_endpoint.as_deref().map(tracer_provider).transpose()?;
    let traces = provider.as_ref().map(otel_layer);
    let _ = tracing_subscriber::registry().with(filter).with(logs).with(traces).try_init();
    Ok(Telemetry { provider })
}

/// A provider that batches spans to the OTLP/gRPC collector at `endpoint` (e.g.
/// `http://127.0.0.1:4317`), also made the global one so query spans reach it. Needs a Tokio
/// runtime. `OTEL_SERVICE_NAME` overrides the service name `agentport`.
pub fn tracer_provider(endpoint: &str) -> Result<SdkTracerProvider, String> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| format!("OTLP exporter for {endpoint}: {e}"))?;
    let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "agentport".to_owned());
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service).build())
        .build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    Ok(provider)
}

/// The layer that turns `tracing` spans into OpenTelemetry spans of `provider`: info and
/// above, i.e. calls and jobs (statements come as spans of their own, see [`query_span`]), not
/// the debug and trace spans of the HTTP/2 and database drivers, whatever `RUST_LOG` says.
pub fn otel_layer<S>(provider: &SdkTracerProvider) -> Filtered<OpenTelemetryLayer<S, SdkTracer>, LevelFilter, S>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer(TRACER)).with_filter(LevelFilter::INFO)
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Makes `span` a child of the caller's span when the request carries a `traceparent`.
pub fn continue_trace(span: &Span, headers: &HeaderMap) {
    set_parent(span, TraceContextPropagator::new().extract(&Headers(headers)));
}

/// Makes `span` a child of the span a stored `traceparent` names.
pub fn continue_traceparent(span: &Span, traceparent: &str) {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    set_parent(span, TraceContextPropagator::new().extract(&carrier));
}

fn set_parent(span: &Span, parent: Context) {
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Renames the current span (as exported), e.g. a REST route's span after the method it calls.
pub fn rename_current_span(name: &'static str) {
    Span::current().context().span().update_name(name);
}

/// The W3C `traceparent` of the current span, for work that outlives the call (a background
/// job); `None` when no trace is being recorded.
pub fn current_traceparent() -> Option<String> {
    let cx = Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove("traceparent")
}

/// A finished database statement as a child span of the current span. The statement text
/// has placeholders, never values.
pub fn query_span(system: &'static str, operation: &'static str, sql: &str, elapsed: Duration, failed: bool) {
    let parent = Span::current().context();
    if !parent.span().span_context().is_valid() {
        return;
    }
    let tracer = opentelemetry::global::tracer(TRACER);
    let end = SystemTime::now();
    let text: String = sql.chars().take(MAX_STATEMENT_CHARS).collect();
    let mut span = tracer
        .span_builder(format!("db.{operation}"))
        .with_kind(SpanKind::Client)
        .with_start_time(end.checked_sub(elapsed).unwrap_or(end))
        .with_attributes([
            KeyValue::new("db.system.name", system),
            KeyValue::new("db.operation.name", operation),
            KeyValue::new("db.query.text", text),
        ])
        .start_with_context(&tracer, &parent);
    if failed {
        span.set_status(Status::error("statement failed"));
    }
    span.end_with_timestamp(end);
}
