//! What answers a request no route takes: gRPC calls to an unknown method get gRPC's
//! UNIMPLEMENTED (as tonic would answer them), HTTP requests a 404 for an unknown path and a
//! 405 for a known path with another method, each in the error body of the dialect the path
//! belongs to. HTTP clients never see a 200 carrying `grpc-status: 12`.

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

/// An HTTP request for a path no route serves, or a gRPC call to an unknown method.
pub async fn not_found(request: Request) -> Response {
    if is_grpc(request.headers()) {
        let (parts, ()) = tonic::Status::unimplemented("").into_http::<()>().into_parts();
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    let path = request.uri().path();
    let message = format!("no route for {} {path}", request.method());
    render(path, StatusCode::NOT_FOUND, message)
}

/// A known path asked with a method it does not serve (axum adds the `Allow` header).
pub async fn method_not_allowed(request: Request) -> Response {
    let path = request.uri().path();
    let message = format!("{} is not allowed on {path}", request.method());
    render(path, StatusCode::METHOD_NOT_ALLOWED, message)
}

/// gRPC and gRPC-web requests say so in their content type.
fn is_grpc(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/grpc"))
}

fn render(path: &str, status: StatusCode, message: String) -> Response {
    if path == "/ai-service" || path.starts_with("/ai-service/") {
        // `NOT_FOUND`, `METHOD_NOT_ALLOWED`: routing reasons, not resource ones.
        let reason = status.canonical_reason().unwrap_or("Error").to_uppercase().replace(' ', "_");
        return super::emporix::status_response(status, &reason, message);
    }
    // The xpander dialect, and every other path, answer as FastAPI does: the reason phrase.
    super::xpander::status_response(status, status.canonical_reason().unwrap_or("Error"))
}
