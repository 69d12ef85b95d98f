//! Bridging HTTP to the gRPC adapters: credentials into request metadata (and the
//! connection's client certificate into its extensions), failures back into their parts for
//! each dialect's error body.

use std::collections::HashMap;

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tonic_types::StatusExt;

use crate::auth::ClientCertificate;

/// Headers a gRPC client would send that carry meaning for the service.
const FORWARDED: &[&str] = &["authorization", "x-api-key"];

tokio::task_local! {
    /// The client certificate of the connection the running REST handler serves. Handlers
    /// hand [`grpc_request`] only their headers; this carries the rest of who is calling.
    static CLIENT_CERTIFICATE: Option<ClientCertificate>;
}

/// Middleware of the REST routes: runs the handler with its request's client certificate at
/// hand for [`grpc_request`].
pub async fn with_client_certificate(request: Request, next: Next) -> Response {
    let certificate = request.extensions().get::<ClientCertificate>().cloned();
    CLIENT_CERTIFICATE.scope(certificate, next.run(request)).await
}

/// The tonic request a gRPC client would send: the message plus the caller's credentials,
/// with the connection's client certificate as the gRPC transport carries it.
pub fn grpc_request<M>(headers: &HeaderMap, message: M) -> tonic::Request<M> {
    let mut request = tonic::Request::new(message);
    if let Ok(Some(certificate)) = CLIENT_CERTIFICATE.try_with(Clone::clone) {
        request.extensions_mut().insert(certificate);
    }
    for name in FORWARDED {
        if let Some(value) = headers.get(*name).and_then(|v| v.to_str().ok())
            && let Ok(value) = value.parse()
        {
            request.metadata_mut().insert(*name, value);
        }
    }
    request
}

/// A failed call, ready to be rendered in a dialect.
#[derive(Debug, Clone)]
pub struct Failure {
    pub http: StatusCode,
    pub code: tonic::Code,
    /// The stable `google.rpc.ErrorInfo` reason, e.g. `RESOURCE_NOT_FOUND`.
    pub reason: String,
    pub message: String,
    /// `(field, description)` of each BadRequest violation.
    pub violations: Vec<(String, String)>,
    pub metadata: HashMap<String, String>,
}

impl Failure {
    /// A failure raised by the shim itself (e.g. an undecodable body).
    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            http: StatusCode::BAD_REQUEST,
            code: tonic::Code::InvalidArgument,
            reason: "INVALID_ARGUMENT".into(),
            violations: vec![(field.to_owned(), message.clone())],
            message,
            metadata: HashMap::new(),
        }
    }
}

/// HTTP status of a gRPC code (the grpc-gateway table).
pub fn http_status(code: tonic::Code) -> StatusCode {
    use tonic::Code::*;
    match code {
        Ok => StatusCode::OK,
        Cancelled => StatusCode::from_u16(499).unwrap(),
        InvalidArgument | FailedPrecondition | OutOfRange => StatusCode::BAD_REQUEST,
        DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        NotFound => StatusCode::NOT_FOUND,
        AlreadyExists | Aborted => StatusCode::CONFLICT,
        PermissionDenied => StatusCode::FORBIDDEN,
        Unauthenticated => StatusCode::UNAUTHORIZED,
        ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Unknown | Internal | DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<tonic::Status> for Failure {
    fn from(status: tonic::Status) -> Self {
        let info = status.get_details_error_info();
        let violations = status
            .get_details_bad_request()
            .map(|b| b.field_violations.into_iter().map(|v| (v.field, v.description)).collect())
            .unwrap_or_default();
        Self {
            http: http_status(status.code()),
            code: status.code(),
            reason: info.as_ref().map(|i| i.reason.clone()).unwrap_or_default(),
            metadata: info.map(|i| i.metadata).unwrap_or_default(),
            message: status.message().to_owned(),
            violations,
        }
    }
}
