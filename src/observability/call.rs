//! The layers every call passes through: one span and one set of metrics per call, whatever the
//! transport. A gRPC status often travels in trailers, after the last message, so a call is
//! counted when its response body ends (or is dropped because the caller went away).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tracing::Span;
use tracing::field::Empty;

use super::{metrics, rpc};

/// Outermost layer: opens the call's span (continuing the caller's W3C trace), counts it in
/// flight, and records its code and latency when the response ends.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallLayer;

/// Inner layer of the gRPC routes, inside the grpc-web translation: reads the gRPC status from
/// the response headers or trailers for [`CallLayer`], which sees grpc-web's framing instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcStatusLayer;

/// Where the gRPC status of a call lands once the response shows it.
#[derive(Debug, Clone, Default)]
struct StatusSlot(Arc<OnceLock<tonic::Code>>);

impl StatusSlot {
    fn fill_from(&self, headers: &HeaderMap) -> bool {
        let code = headers.get("grpc-status").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i32>().ok());
        code.map(|c| self.0.set(tonic::Code::from_i32(c))).is_some()
    }
}

impl<S> Layer<S> for CallLayer {
    type Service = CallService<S>;
    fn layer(&self, inner: S) -> CallService<S> {
        CallService { inner }
    }
}

impl<S> Layer<S> for GrpcStatusLayer {
    type Service = GrpcStatusService<S>;
    fn layer(&self, inner: S) -> GrpcStatusService<S> {
        GrpcStatusService { inner }
    }
}

#[derive(Debug, Clone)]
pub struct CallService<S> {
    inner: S,
}

#[derive(Debug, Clone)]
pub struct GrpcStatusService<S> {
    inner: S,
}

impl<S, B, RB> Service<Request<B>> for CallService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    RB: Body,
{
    type Response = Response<Observed<RB>>;
    type Error = S::Error;
    type Future = CallFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let call = Call::start(&request);
        if let Some(slot) = &call.grpc_status {
            request.extensions_mut().insert(slot.clone());
        }
        let inner = {
            let _entered = call.span.enter();
            self.inner.call(request)
        };
        CallFuture { inner, call: Some(call) }
    }
}

impl<S, B, RB> Service<Request<B>> for GrpcStatusService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    RB: Body,
{
    type Response = Response<Observed<RB>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let slot = request.extensions().get::<StatusSlot>().cloned();
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            let Some(slot) = slot else {
                return Ok(response.map(|body| Observed::new(body, Box::new(|_| {}))));
            };
            // A trailers-only response (an error before any message) carries the status in headers.
            let known = slot.fill_from(response.headers());
            Ok(response.map(|body| {
                Observed::new(
                    body,
                    Box::new(move |end| {
                        if let (false, End::Trailers(trailers)) = (known, end) {
                            slot.fill_from(trailers);
                        }
                    }),
                )
            }))
        })
    }
}

/// What is known about a call until it ends; recorded once, when it ends or is dropped.
struct Call {
    transport: &'static str,
    method: String,
    /// Filled by [`GrpcStatusLayer`]; `None` for REST calls.
    grpc_status: Option<StatusSlot>,
    /// The HTTP status of a REST call, once answered.
    http_status: Option<u16>,
    span: Span,
    started: Instant,
    recorded: bool,
}

impl Call {
    fn start<B>(request: &Request<B>) -> Self {
        let headers = request.headers();
        let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let grpc = content_type.starts_with("application/grpc");
        let transport = match content_type {
            t if t.starts_with("application/grpc-web") => "grpc-web",
            _ if grpc => "grpc",
            _ => "rest",
        };
        let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str());
        let name = match (grpc, route) {
            (true, _) => rpc::from_path(request.uri().path()).unwrap_or("unknown").to_owned(),
            (false, Some(route)) => format!("{} {route}", request.method()),
            (false, None) => "unmatched".to_owned(),
        };
        // `:tenant` rather than `{tenant}` in labels: braces inside label values trip up some
        // Prometheus text parsers.
        let method = name.replace('{', ":").replace('}', "");
        let span = tracing::info_span!(
            "call",
            otel.name = %name,
            otel.kind = "server",
            otel.status_code = Empty,
            rpc.system = Empty,
            transport,
            http.request.method = %request.method(),
            http.route = route,
            rpc.grpc.status_code = Empty,
            http.response.status_code = Empty,
        );
        if grpc {
            span.record("rpc.system", "grpc");
        }
        crate::telemetry::continue_trace(&span, headers);
        metrics::call_started(transport);
        Self {
            transport,
            method,
            grpc_status: grpc.then(StatusSlot::default),
            http_status: None,
            span,
            started: Instant::now(),
            recorded: false,
        }
    }

    fn record(&mut self, end: End<'_>) {
        if std::mem::replace(&mut self.recorded, true) {
            return;
        }
        let (code, failed) = match (&self.grpc_status, self.http_status) {
            (Some(slot), _) => {
                let code = slot.0.get().copied().unwrap_or(match end {
                    End::Dropped => tonic::Code::Cancelled,
                    _ => tonic::Code::Unknown,
                });
                self.span.record("rpc.grpc.status_code", code as i32);
                let failed = matches!(
                    code,
                    tonic::Code::Unknown | tonic::Code::Internal | tonic::Code::Unavailable | tonic::Code::DataLoss
                );
                (format!("{code:?}"), failed)
            }
            (None, Some(status)) => {
                self.span.record("http.response.status_code", status);
                (status.to_string(), status >= 500)
            }
            (None, None) => ("cancelled".to_owned(), false),
        };
        if failed {
            self.span.record("otel.status_code", "ERROR");
        }
        metrics::call_finished(self.transport, &self.method, &code, self.started.elapsed());
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.record(End::Dropped);
    }
}

pin_project! {
    pub struct CallFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }
}

impl<F, RB, E> Future for CallFuture<F>
where
    F: Future<Output = Result<Response<RB>, E>>,
    RB: Body,
{
    type Output = Result<Response<Observed<RB>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = {
            let _entered = this.call.as_ref().map(|c| c.span.enter());
            this.inner.poll(cx)
        };
        let result = std::task::ready!(polled);
        let mut call = this.call.take().expect("polled after completion");
        Poll::Ready(result.map(|response| {
            call.http_status = Some(response.status().as_u16()).filter(|_| call.grpc_status.is_none());
            response.map(|body| Observed::new(body, Box::new(move |end| call.record(end))))
        }))
    }
}

/// How a response body ended.
enum End<'a> {
    Trailers(&'a HeaderMap),
    Complete,
    Failed,
    Dropped,
}

type OnEnd = Box<dyn FnOnce(End<'_>) + Send>;

pin_project! {
    /// A response body that reports how it ended, once.
    pub struct Observed<B> {
        #[pin]
        inner: B,
        on_end: Option<OnEnd>,
    }

    impl<B> PinnedDrop for Observed<B> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(on_end) = this.project().on_end.take() {
                on_end(End::Dropped);
            }
        }
    }
}

impl<B> Observed<B> {
    fn new(inner: B, on_end: OnEnd) -> Self {
        Self { inner, on_end: Some(on_end) }
    }
}

impl<B: Body> Body for Observed<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let polled = std::task::ready!(this.inner.poll_frame(cx));
        let end = match &polled {
            Some(Ok(frame)) => frame.trailers_ref().map(End::Trailers),
            Some(Err(_)) => Some(End::Failed),
            None => Some(End::Complete),
        };
        if let Some(end) = end
            && let Some(on_end) = this.on_end.take()
        {
            on_end(end);
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
