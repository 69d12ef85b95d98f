//! Browser access: gRPC-web on the API listener (the grpc-web translation is a layer of the
//! gRPC routes), and CORS for the origins the operator allows.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Request headers a browser client may send: gRPC-web's own, credentials, trace context.
const ALLOWED_HEADERS: &[&str] = &[
    "content-type",
    "x-grpc-web",
    "x-user-agent",
    "grpc-timeout",
    "authorization",
    "x-api-key",
    "traceparent",
    "tracestate",
];
/// Response headers a browser client must be able to read: the gRPC status and its details.
const EXPOSED_HEADERS: &[&str] = &["grpc-status", "grpc-message", "grpc-status-details-bin", "x-total-count"];
/// How long browsers may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// CORS for `origins` (`*` allows any); `None` when no origin is allowed, so no CORS header is
/// ever sent and browsers keep to the same-origin rule.
pub fn cors(origins: &[String]) -> Result<Option<CorsLayer>, String> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let list = origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| format!("`{o}` is not a valid origin")))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(list)
    };
    let headers = |names: &[&'static str]| names.iter().map(|n| HeaderName::from_static(n)).collect::<Vec<_>>();
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
            .allow_headers(headers(ALLOWED_HEADERS))
            .expose_headers(headers(EXPOSED_HEADERS))
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}
