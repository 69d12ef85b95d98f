//! The layer every call passes first: it gives the call its deadline (the client's
//! `grpc-timeout` capped by the server's maximum; a default for REST and for gRPC clients that
//! send none), runs it in a [`CallScope`], answers DEADLINE_EXCEEDED (504 in REST) when the
//! deadline passes, and records calls whose client went away as CANCELLED (499). Until the
//! replica is ready (migrations checked) every call but health and reflection is UNAVAILABLE.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use tower::{Layer, Service};

use crate::call_scope::CallScope;
use crate::error::{Error, ErrorCode};

/// Renders an error raised around a REST handler, in the dialect of the request's path.
pub type RestRenderer = fn(&str, Error) -> Response<Body>;

/// Paths served before the replica is ready.
const ALWAYS_SERVED: &[&str] = &["/grpc.health.", "/grpc.reflection."];

pub struct CallPolicy {
    /// Deadline of REST calls and of gRPC calls without `grpc-timeout`.
    pub default_timeout: Duration,
    /// Longest deadline any call gets.
    pub max_timeout: Duration,
    /// False until this replica may serve calls.
    pub ready: Arc<AtomicBool>,
    pub render_rest: RestRenderer,
}

#[derive(Clone)]
pub struct DeadlineLayer {
    policy: Arc<CallPolicy>,
}

impl DeadlineLayer {
    pub fn new(policy: CallPolicy) -> Self {
        Self { policy: Arc::new(policy) }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Calls<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Calls { inner, policy: self.policy.clone() }
    }
}

#[derive(Clone)]
pub struct Calls<S> {
    inner: S,
    policy: Arc<CallPolicy>,
}

impl<S> Service<Request<Body>> for Calls<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let policy = self.policy.clone();
        let grpc = is_grpc(&request);
        let path = request.uri().path().to_owned();
        if !policy.ready.load(Ordering::Acquire) && !ALWAYS_SERVED.iter().any(|p| path.starts_with(p)) {
            let err = Error::new(ErrorCode::Unavailable, "the server is starting; retry shortly");
            return Box::pin(std::future::ready(Ok(render(&policy, grpc, &path, err))));
        }
        let asked = if grpc { grpc_timeout(request.headers()) } else { None };
        let timeout = asked.unwrap_or(policy.default_timeout).min(policy.max_timeout);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let scope = CallScope::new(timeout);
            let mut watch = Abandoned { path: &path, answered: false };
            let answer = tokio::time::timeout(timeout, scope.clone().run(inner.call(request))).await;
            watch.answered = true;
            let mut response = match answer {
                Ok(response) => response?,
                Err(_) => {
                    tracing::info!(path, timeout_ms = timeout.as_millis() as u64, "call deadline exceeded");
                    let err = Error::new(ErrorCode::DeadlineExceeded, "the call's deadline passed before it finished");
                    render(&policy, grpc, &path, err)
                }
            };
            if let Some(after) = scope.retry_advice() {
                let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            }
            Ok(response)
        })
    }
}

/// Logs a call whose client went away before it was answered.
struct Abandoned<'a> {
    path: &'a str,
    answered: bool,
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if !self.answered {
            tracing::info!(path = self.path, code = "CANCELLED", http = 499, "call cancelled by its client");
        }
    }
}

fn is_grpc<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

fn render(policy: &CallPolicy, grpc: bool, path: &str, err: Error) -> Response<Body> {
    if grpc {
        let (parts, body) = tonic::Status::from(err).into_http::<Body>().into_parts();
        let mut response = Response::from_parts(parts, body);
        *response.status_mut() = StatusCode::OK;
        return response;
    }
    (policy.render_rest)(path, err)
}

/// The `grpc-timeout` header: up to eight digits and a unit (H, M, S, m, u, n).
pub fn grpc_timeout(headers: &axum::http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_grpc_timeouts() {
        let mut headers = axum::http::HeaderMap::new();
        assert_eq!(grpc_timeout(&headers), None);
        for (text, expected) in [
            ("5S", Duration::from_secs(5)),
            ("250m", Duration::from_millis(250)),
            ("2M", Duration::from_secs(120)),
            ("99999999n", Duration::from_nanos(99_999_999)),
        ] {
            headers.insert("grpc-timeout", text.parse().unwrap());
            assert_eq!(grpc_timeout(&headers), Some(expected), "{text}");
        }
        for bad in ["S", "123456789S", "5x", "-1S"] {
            headers.insert("grpc-timeout", bad.parse().unwrap());
            assert_eq!(grpc_timeout(&headers), None, "{bad}");
        }
    }
}
