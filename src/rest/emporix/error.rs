//! Emporix error bodies, and extractors whose rejections are rendered in them: `ErrorMessage`
//! for every failure but 401, which uses the API gateway's `fault` format.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::error::{Error, FieldViolation};
use crate::rest::call::Failure;

/// Emporix `ErrorMessage`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorMessage {
    /// The id of the resource that was not found (404 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub resource_id: Option<String>,
    /// The HTTP status code.
    pub code: u16,
    /// The HTTP reason phrase, e.g. `Bad Request`.
    pub status: String,
    /// The stable reason code, e.g. `RESOURCE_NOT_FOUND`.
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    pub details: Vec<ErrorDetail>,
}

/// One offending field of an `ErrorMessage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Path of the offending field.
    pub field: String,
    /// The stable reason code of the error.
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

/// Emporix `ErrorMessageFault`: the API gateway's 401 body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorMessageFault {
    pub fault: Fault,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Fault {
    /// e.g. `Invalid access token`.
    pub faultstring: String,
    pub detail: FaultDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FaultDetail {
    /// e.g. `oauth.v2.InvalidAccessToken` or `keymanagement.service.access_token_expired`.
    pub errorcode: String,
}

/// A failed request, rendered in the Emporix error formats (boxed: it travels in every `Err`).
#[derive(Debug)]
pub struct ApiError(Box<Failure>);

impl ApiError {
    /// A 400 naming one offending field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::from(Failure::bad_request(field, message))
    }

    /// A 400 listing every violation.
    pub fn violations(violations: Vec<FieldViolation>) -> Self {
        Self::from(Error::invalid(violations))
    }

    /// A rejection of the shim's own extractors, with the status axum chose for it.
    fn rejected(status: StatusCode, field: &str, message: String) -> Self {
        let mut failure = Failure::bad_request(field, message);
        failure.http = status;
        Self::from(failure)
    }

    /// The same error under another HTTP status (where the documented API lists a different one).
    pub fn with_http(mut self, status: StatusCode) -> Self {
        self.0.http = status;
        self
    }

    pub fn is_not_found(&self) -> bool {
        self.0.code == tonic::Code::NotFound
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        Self(Box::new(failure))
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        Self::from(Failure::from(status))
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        Self::from(tonic::Status::from(err))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let failure = *self.0;
        if failure.http == StatusCode::UNAUTHORIZED {
            let expired = failure.message.contains("expired");
            let (faultstring, errorcode) = if expired {
                ("Access Token expired", "keymanagement.service.access_token_expired")
            } else {
                ("Invalid access token", "oauth.v2.InvalidAccessToken")
            };
            let body = ErrorMessageFault {
                fault: Fault { faultstring: faultstring.into(), detail: FaultDetail { errorcode: errorcode.into() } },
            };
            return (failure.http, Json(body)).into_response();
        }
        let resource_id = (failure.http == StatusCode::NOT_FOUND)
            .then(|| failure.metadata.get("resource"))
            .flatten()
            .map(|name| name.rsplit('/').next().unwrap_or(name).to_owned());
        let kind = if failure.reason.is_empty() { format!("{:?}", failure.code) } else { failure.reason.clone() };
        let mut details: Vec<ErrorDetail> = failure
            .violations
            .iter()
            .map(|(field, message)| ErrorDetail { field: field.clone(), kind: kind.clone(), message: message.clone() })
            .collect();
        // Emporix clients retry with `?force=true` when a detail says the operation is forceable.
        if failure.reason == "RESOURCE_IN_USE" {
            details.push(ErrorDetail { field: "force".into(), kind: "force".into(), message: failure.message.clone() });
        }
        let body = ErrorMessage {
            resource_id,
            code: failure.http.as_u16(),
            status: failure.http.canonical_reason().unwrap_or("Error").to_owned(),
            kind,
            message: failure.message,
            details,
        };
        (failure.http, Json(body)).into_response()
    }
}

/// A JSON body. Any content type is accepted, an empty body reads as `{}`, and a body that
/// does not parse is a 400 `ErrorMessage` naming the position.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes =
            Bytes::from_request(req, state).await.map_err(|r| ApiError::rejected(r.status(), "body", r.body_text()))?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        serde_json::from_slice(text)
            .map(Body)
            .map_err(|e| ApiError::invalid("body", format!("the request body is not valid: {e}")))
    }
}

/// Query parameters; a value of the wrong type is a 400 `ErrorMessage`.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Params(v))
            .map_err(|r| ApiError::rejected(StatusCode::BAD_REQUEST, "query", r.body_text()))
    }
}

/// Path parameters; a rejection is a 400 `ErrorMessage`.
pub struct Ids<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Ids(v))
            .map_err(|r| ApiError::rejected(StatusCode::BAD_REQUEST, "path", r.body_text()))
    }
}
