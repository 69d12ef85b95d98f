//! What every xpander route shares: the caller's tenant, bodies and parameters read so that
//! every problem becomes a FastAPI-style 422, gRPC failures in the dialect's error shapes, and
//! the `page` / `per_page` envelopes over the service's token pages.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::dto::{ErrorDetail, HttpValidationError, LocItem, ValidationError};
use super::wire::{Expect, Field, Origins};
use crate::domain::names::check_tenant;
use crate::domain::page::MAX_SKIP;
use crate::error::{FieldViolation, ViolationKind};
use crate::rest::RestState;
use crate::rest::call::{Failure, grpc_request};

/// agentport extension: the tenant of a call whose credentials name none (authentication off).
pub const TENANT_HEADER: &str = "x-agentport-tenant";

/// Who is calling and for which tenant. The tenant is the one the credentials are bound to;
/// without one (authentication off), the `x-agentport-tenant` header, else the configured
/// default.
pub struct Caller {
    headers: HeaderMap,
    pub tenant: String,
    /// `scheme://host` the caller reached, for derived URLs.
    pub origin: String,
}

impl FromRequestParts<RestState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &RestState) -> Result<Self, ApiError> {
        let headers = parts.headers.clone();
        let probe = grpc_request(&headers, ());
        let bound = state.auth.principal_tenant(&probe).await.map_err(ApiError::plain)?;
        let tenant = match (bound, headers.get(TENANT_HEADER)) {
            (Some(tenant), _) => tenant,
            (None, Some(value)) => {
                let text = value.to_str().unwrap_or_default();
                check_tenant(text, TENANT_HEADER).map_err(|v| ApiError::invalid_at("header", &[v]))?
            }
            (None, None) => state.default_tenant.clone(),
        };
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| parts.uri.authority().map(|a| a.to_string()))
            .unwrap_or_else(|| "localhost".to_owned());
        // The scheme the caller used: a TLS-terminating proxy says so, else the listener's.
        let listener = if parts.extensions.get::<crate::server::OverTls>().is_some() { "https" } else { "http" };
        let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or(listener);
        let origin = format!("{scheme}://{host}");
        Ok(Self { headers, tenant, origin })
    }
}

impl Caller {
    /// The message as a gRPC client would send it, with the caller's credentials.
    pub fn request<M>(&self, message: M) -> tonic::Request<M> {
        grpc_request(&self.headers, message)
    }

    /// `tenants/{tenant}`.
    pub fn parent(&self) -> String {
        format!("tenants/{}", self.tenant)
    }

    /// `tenants/{tenant}/{collection}/{id}`.
    pub fn name(&self, collection: &str, id: &str) -> String {
        format!("tenants/{}/{collection}/{id}", self.tenant)
    }
}

/// Which resource a call is about, so that failures name the dialect's fields.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Agent,
    Template,
    KnowledgeBase,
    Document,
}

/// A failure in the dialect's shapes: 422 `HTTPValidationError`, or `{"detail": "..."}`.
#[derive(Debug)]
pub enum ApiError {
    Invalid(Vec<ValidationError>),
    Plain(StatusCode, String),
}

impl ApiError {
    /// A failed gRPC call: INVALID_ARGUMENT is a 422 naming each field the dialect's way.
    pub fn status(scope: Scope) -> impl Fn(tonic::Status) -> ApiError {
        Self::status_from(scope, Origins::default())
    }

    /// A failed gRPC call on a message read from a body: a refused field is named where
    /// `origins` says the body gave it.
    pub fn status_from(scope: Scope, origins: Origins) -> impl Fn(tonic::Status) -> ApiError {
        move |status| {
            let failure = Failure::from(status);
            if failure.code != tonic::Code::InvalidArgument {
                return ApiError::Plain(failure.http, failure.message);
            }
            if failure.violations.is_empty() {
                let why = FieldViolation::new("", failure.message);
                return ApiError::Invalid(vec![detail(vec![LocItem::from("body")], &why)]);
            }
            let details = failure.violations.iter().map(|(field, why)| {
                // gRPC carries no kind: what the service refuses breaks a rule of its own.
                detail(loc(field, scope, &origins), &FieldViolation::new(field, why))
            });
            ApiError::Invalid(details.collect())
        }
    }

    /// A failure that is not about a field (e.g. authentication).
    pub fn plain(status: tonic::Status) -> ApiError {
        let failure = Failure::from(status);
        ApiError::Plain(failure.http, failure.message)
    }

    /// Problems found while reading the request, at `location` (`body`, `query`, ...).
    pub fn invalid_at(location: &str, violations: &[FieldViolation]) -> ApiError {
        ApiError::Invalid(
            violations
                .iter()
                .map(|v| {
                    let mut at = vec![LocItem::from(location)];
                    at.extend(split_path(&v.field));
                    detail(at, v)
                })
                .collect(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Invalid(detail) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(HttpValidationError { detail })).into_response()
            }
            ApiError::Plain(status, detail) => (status, Json(ErrorDetail { detail })).into_response(),
        }
    }
}

/// FastAPI's `type` of each kind of problem.
fn fastapi_type(kind: ViolationKind) -> &'static str {
    match kind {
        ViolationKind::Invalid => "value_error",
        ViolationKind::Missing => "missing",
        ViolationKind::NotString => "string_type",
        ViolationKind::NotBool => "bool_type",
        ViolationKind::NotInteger => "int_type",
        ViolationKind::NotNumber => "float_type",
        ViolationKind::NotObject => "dict_type",
        ViolationKind::NotArray => "list_type",
        ViolationKind::NotInEnum => "enum",
        ViolationKind::TooShort => "string_too_short",
    }
}

fn detail(loc: Vec<LocItem>, violation: &FieldViolation) -> ValidationError {
    let msg = match violation.kind {
        ViolationKind::Missing => "Field required".to_owned(),
        _ => violation.description.clone(),
    };
    ValidationError { loc, msg, kind: fastapi_type(violation.kind).to_owned() }
}

/// `graph[0].settings` -> `graph`, `0`, `settings`; quoted keys (`display_name["en"]`) unquoted.
fn split_path(path: &str) -> Vec<LocItem> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(LocItem::from(&rest[..open]));
            }
            rest = &rest[open..];
            while let Some(inner) = rest.strip_prefix('[') {
                let Some(close) = inner.find(']') else { break };
                let index = &inner[..close];
                out.push(match index.parse::<u64>() {
                    Ok(i) => LocItem::Index(i),
                    Err(_) => LocItem::from(index.trim_matches('"')),
                });
                rest = &inner[close + 1..];
            }
        } else {
            out.push(LocItem::from(rest));
        }
    }
    out
}

/// Where a field the service names is in the dialect: location, then the dialect's field path
/// (where `origins` says the body gave it, else the service's).
fn loc(field: &str, scope: Scope, origins: &Origins) -> Vec<LocItem> {
    let path_param = |name: &str| vec![LocItem::from("path"), LocItem::from(name)];
    let own = match scope {
        Scope::Agent => "agent",
        Scope::Template => "template",
        Scope::KnowledgeBase => "knowledge_base",
        Scope::Document => "document",
    };
    match (scope, field) {
        (_, "parent") if scope == Scope::Document => return path_param("kb_id"),
        (_, "parent") => return vec![LocItem::from("header"), LocItem::from(TENANT_HEADER)],
        (_, "page_size" | "page_token") => return vec![LocItem::from("query"), LocItem::from(field)],
        (Scope::Template, "name" | "template_id") => return path_param("template_id"),
        (Scope::Template, "agent") => return path_param("agent_id"),
        (Scope::Agent, "name" | "agent.name") => return path_param("agent_id"),
        (Scope::KnowledgeBase, "name" | "knowledge_base.name") => return path_param("kb_id"),
        (Scope::Document, "name" | "document.name") => return path_param("document_id"),
        _ => {}
    }
    let field = field.strip_prefix(own).and_then(|f| f.strip_prefix('.')).unwrap_or(field);
    let field = origins.wire(field).unwrap_or_else(|| field.to_owned());
    let mut out = vec![LocItem::from("body")];
    out.extend(split_path(&field));
    out
}

/// A JSON body read into its DTO: malformed or missing JSON is a 422 like any other problem
/// with the body, and so is JSON that is not the DTO's kind (an object).
pub struct Wire<T>(pub T);

impl<T: DeserializeOwned + Expect, S: Send + Sync> FromRequest<S> for Wire<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| ApiError::Plain(e.status(), e.body_text()))?;
        decode(&bytes).map(Wire)
    }
}

/// The DTO of a body's bytes, as [`Wire`] reads it.
pub fn decode<T: DeserializeOwned + Expect>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_at("body", &[FieldViolation::missing("")]));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let offset = byte_offset(bytes, e.line(), e.column());
        ApiError::Invalid(vec![ValidationError {
            loc: vec![LocItem::from("body"), LocItem::Index(offset as u64)],
            msg: format!("JSON decode error: {e}"),
            kind: "json_invalid".to_owned(),
        }])
    })?;
    match Field::<T>::read(value) {
        Field::Given(dto) => Ok(dto),
        _ => Err(ApiError::invalid_at("body", &[FieldViolation::of_kind(T::KIND, "", T::expected())])),
    }
}

fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start: usize = bytes.split(|b| *b == b'\n').take(line.saturating_sub(1)).map(|l| l.len() + 1).sum();
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

/// The problems of a body as a 422, or nothing.
pub fn body_problems(errs: Vec<FieldViolation>) -> Result<(), ApiError> {
    if errs.is_empty() { Ok(()) } else { Err(ApiError::invalid_at("body", &errs)) }
}

/// Path parameters; a malformed one is a 422 at `path`.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Params(value)),
            Err(e) => Err(ApiError::invalid_at("path", &[FieldViolation::new("", e.body_text())])),
        }
    }
}

/// The query parameters; malformed encoding is a 422 at `query`.
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<HashMap<String, String>>::from_request_parts(parts, state).await {
            Ok(Query(map)) => Ok(QueryMap(map)),
            Err(e) => Err(ApiError::invalid_at("query", &[FieldViolation::new("", e.body_text())])),
        }
    }
}

/// A boolean query parameter, false when absent; FastAPI's spellings are accepted.
pub fn bool_query(query: &HashMap<String, String>, key: &str) -> Result<bool, ApiError> {
    match query.get(key).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("false" | "0" | "no" | "off" | "f" | "n") => Ok(false),
        Some("true" | "1" | "yes" | "on" | "t" | "y") => Ok(true),
        Some(_) => Err(ApiError::Invalid(vec![ValidationError {
            loc: vec![LocItem::from("query"), LocItem::from(key)],
            msg: "Input should be a valid boolean, unable to interpret input".to_owned(),
            kind: "bool_parsing".to_owned(),
        }])),
    }
}

/// `page` (from 1, default 1) and `per_page` (1..50, default 20) of list endpoints.
pub struct PageQuery {
    pub page: u64,
    pub per_page: u64,
}

impl<S: Send + Sync> FromRequestParts<S> for PageQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let QueryMap(query) = QueryMap::from_request_parts(parts, state).await?;
        let mut errs = Vec::new();
        // FastAPI's `int = Query(ge=1, le=max)`: a non-integer is a parsing error, an integer
        // out of range a range error.
        let mut number = |key: &str, default: u64, max: u64| -> u64 {
            let Some(text) = query.get(key) else { return default };
            let problem = |msg: String, kind: &str| ValidationError {
                loc: vec![LocItem::from("query"), LocItem::from(key)],
                msg,
                kind: kind.to_owned(),
            };
            match text.trim().parse::<i64>() {
                Ok(n) if n < 1 => {
                    errs.push(problem("Input should be greater than or equal to 1".into(), "greater_than_equal"))
                }
                Ok(n) if n as u64 > max => {
                    errs.push(problem(format!("Input should be less than or equal to {max}"), "less_than_equal"))
                }
                Ok(n) => return n as u64,
                Err(_) => errs.push(problem(
                    "Input should be a valid integer, unable to parse string as an integer".into(),
                    "int_parsing",
                )),
            }
            default
        };
        let page = number("page", 1, i64::MAX as u64);
        let per_page = number("per_page", 20, 50);
        if errs.is_empty() { Ok(PageQuery { page, per_page }) } else { Err(ApiError::Invalid(errs)) }
    }
}

/// The List request of a [`PageQuery`]'s page, with the total of every item counted (the
/// envelope shows it): `list_request!(ListAgentsRequest { parent: p }, query)`.
macro_rules! list_request {
    ($ty:ident { $($field:ident: $value:expr),* $(,)? }, $query:expr) => {
        $ty {
            $($field: $value,)*
            page_size: $query.size(),
            skip: $query.skip()?,
            include_total: true,
            ..Default::default()
        }
    };
}
pub(crate) use list_request;

impl PageQuery {
    /// Items before this page: what the List request skips. A page past the service's
    /// largest skip is a 422 at `query.page`.
    pub fn skip(&self) -> Result<i32, ApiError> {
        let skip = (self.page - 1).saturating_mul(self.per_page);
        if skip > MAX_SKIP {
            let why = format!("must be less than or equal to {}", MAX_SKIP / self.per_page + 1);
            return Err(ApiError::invalid_at("query", &[FieldViolation::new("page", why)]));
        }
        Ok(skip as i32)
    }

    pub fn size(&self) -> i32 {
        self.per_page as i32
    }
}

/// The last segment of a resource name: the dialect's `id`.
pub fn id_of(name: &str) -> String {
    name.rsplit('/').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(loc: Vec<LocItem>) -> Vec<String> {
        loc.into_iter()
            .map(|l| match l {
                LocItem::Key(k) => k,
                LocItem::Index(i) => i.to_string(),
            })
            .collect()
    }

    #[test]
    fn service_fields_become_dialect_locations() {
        let cases = [
            (Scope::Agent, "agent.display_name", "body name"),
            (Scope::Agent, "agent.display_name[\"en\"]", "body name"),
            (Scope::Agent, "agent.tools[2].tool_id", "body attached_tools 2 id"),
            (Scope::Agent, "agent.llm.provider", "body model_provider"),
            (Scope::Agent, "agent.revision", "body revision"),
            (Scope::Agent, "name", "path agent_id"),
            (Scope::Agent, "parent", "header x-agentport-tenant"),
            (Scope::Template, "agent", "path agent_id"),
            (Scope::Document, "parent", "path kb_id"),
        ];
        let origins = Origins::new(&[
            ("display_name", "name"),
            ("tools[2].tool_id", "attached_tools[2].id"),
            ("llm.provider", "model_provider"),
        ]);
        for (scope, field, expected) in cases {
            assert_eq!(texts(loc(field, scope, &origins)).join(" "), expected, "{field}");
        }
    }

    #[test]
    fn offsets_count_bytes_across_lines() {
        assert_eq!(byte_offset(b"{\n  \"a\": x}", 2, 8), 9);
    }
}
