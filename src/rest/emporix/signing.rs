//! agentport's signing endpoints in the Emporix dialect (all `x-agentport-extension`), onto
//! `SigningService`: keys under `/agentic/signing-keys`, trust as a sub-resource of a key, the
//! policy at `/agentic/signing-policy`, and approval of a held import under its job.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Body, ErrorMessage, ErrorMessageFault, Ids};
use super::jobs::Job;
use super::{RestState, iso8601, parent};
use crate::proto;
use crate::proto::signing_service_server::SigningService as _;
use crate::rest::call::grpc_request;

/// A DSSE envelope without its payload (the payload is the bundle's `data`): Ed25519 over
/// `"DSSEv1" SP len(payloadType) SP payloadType SP len(bytes) SP bytes` of the decoded `data`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BundleSignature {
    /// `application/vnd.agentport.bundle+json`.
    pub payload_type: String,
    pub signatures: Vec<DsseSignature>,
}

/// One DSSE signature.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DsseSignature {
    /// The signing key's id.
    pub keyid: String,
    /// Base64 of the 64-byte Ed25519 signature.
    pub sig: String,
}

/// Who signed an imported bundle.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Signer {
    pub key_id: String,
    /// The signature verified with the tenant's public key of that id.
    pub verified: bool,
    /// The tenant trusts that key.
    pub trusted: bool,
}

impl From<proto::Signer> for Signer {
    fn from(s: proto::Signer) -> Self {
        Self { key_id: s.key_id, verified: s.verified, trusted: s.trusted }
    }
}

/// A signing key (never its private part).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKey {
    /// The key id, as signatures name it (`keyid`).
    pub id: String,
    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key: String,
    /// True for the tenant's own keys, which sign exports.
    pub can_sign: bool,
    pub trusted: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub modified_at: String,
}

impl From<proto::SigningKey> for SigningKey {
    fn from(key: proto::SigningKey) -> Self {
        Self {
            id: super::id_of(&key.name).to_owned(),
            public_key: key.public_key_pem,
            can_sign: key.can_sign,
            trusted: key.trusted,
            created_at: key.create_time.as_ref().map(iso8601).unwrap_or_default(),
            modified_at: key.update_time.as_ref().map(iso8601).unwrap_or_default(),
        }
    }
}

/// Creating a signing key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateSigningKeyRequest {
    /// 1..128 characters of `[A-Za-z0-9._-]`, starting with a letter or digit.
    pub key_id: String,
}

/// Trusting a publisher's key.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrustRequest {
    /// The publisher's Ed25519 public key, PEM (SPKI). Absent: trust again a known key.
    #[serde(default)]
    pub public_key: Option<String>,
}

/// The tenant's signing policy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningPolicy {
    /// Imports need a signature that verifies with a key the tenant knows.
    #[serde(default)]
    pub require_signed: bool,
    /// Imports need a signature that verifies with a key the tenant trusts.
    #[serde(default)]
    pub trusted_only: bool,
    /// `REFUSE` (default) or `HOLD` (the import's job waits in `needs_review` for an approval).
    #[serde(default)]
    #[schema(example = "REFUSE")]
    pub action: Option<String>,
}

impl From<proto::SigningPolicy> for SigningPolicy {
    fn from(p: proto::SigningPolicy) -> Self {
        let action = match p.action() {
            proto::SigningPolicyAction::Hold => "HOLD",
            _ => "REFUSE",
        };
        Self { require_signed: p.require_signed, trusted_only: p.trusted_only, action: Some(action.to_owned()) }
    }
}

fn key_name(tenant: &str, id: &str) -> String {
    format!("tenants/{tenant}/signingKeys/{id}")
}

/// Creating a signing key; answers with its public key.
#[utoipa::path(post, path = "/ai-service/{tenant}/agentic/signing-keys", operation_id = "POST-ai-create-signing-key",
    tag = "Signing", request_body = CreateSigningKeyRequest,
    params(("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase.")),
    responses(
        (status = 201, description = "The new key; its private part never leaves the service.", body = SigningKey),
        (status = 400, description = "Invalid key id.", body = ErrorMessage),
        (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
        (status = 409, description = "The key id is taken.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_manage"])), extensions(("x-agentport-extension" = json!(true))))]
pub async fn create_key(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids(tenant): Ids<String>,
    Body(body): Body<CreateSigningKeyRequest>,
) -> Result<(StatusCode, Json<SigningKey>), ApiError> {
    let request = proto::CreateSigningKeyRequest { parent: parent(&tenant), signing_key_id: body.key_id };
    let key = state.signing.create_signing_key(grpc_request(&headers, request)).await?.into_inner();
    Ok((StatusCode::CREATED, Json(key.into())))
}

/// The tenant's keys, its own and the publishers'.
#[utoipa::path(get, path = "/ai-service/{tenant}/agentic/signing-keys", operation_id = "GET-ai-list-signing-keys",
    tag = "Signing", params(("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase.")),
    responses(
        (status = 200, description = "Every key, in id order.", body = Vec<SigningKey>),
        (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
    ),
    security(("OAuth2" = ["ai.agent_manage"])), extensions(("x-agentport-extension" = json!(true))))]
pub async fn list_keys(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids(tenant): Ids<String>,
) -> Result<Json<Vec<SigningKey>>, ApiError> {
    let request = proto::ListSigningKeysRequest { parent: parent(&tenant) };
    let keys = state.signing.list_signing_keys(grpc_request(&headers, request)).await?.into_inner();
    Ok(Json(keys.signing_keys.into_iter().map(SigningKey::from).collect()))
}

/// One key.
#[utoipa::path(get, path = "/ai-service/{tenant}/agentic/signing-keys/{keyId}", operation_id = "GET-ai-signing-key",
    tag = "Signing",
    params(("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
        ("keyId" = String, Path, description = "The key id.")),
    responses(
        (status = 200, description = "The key.", body = SigningKey),
        (status = 404, description = "No such key.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_manage"])), extensions(("x-agentport-extension" = json!(true))))]
pub async fn get_key(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids((tenant, id)): Ids<(String, String)>,
) -> Result<Json<SigningKey>, ApiError> {
    let request = proto::GetSigningKeyRequest { name: key_name(&tenant, &id) };
    Ok(Json(state.signing.get_signing_key(grpc_request(&headers, request)).await?.into_inner().into()))
}

/// Trusting a publisher's key (or a known key again).
#[utoipa::path(put, path = "/ai-service/{tenant}/agentic/signing-keys/{keyId}/trust", operation_id = "PUT-ai-trust-signing-key",
    tag = "Signing", request_body = TrustRequest,
    params(("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
        ("keyId" = String, Path, description = "The key id the publisher signs with.")),
    responses(
        (status = 200, description = "The trusted key.", body = SigningKey),
        (status = 400, description = "Not an Ed25519 public key in PEM.", body = ErrorMessage),
        (status = 409, description = "The key id holds another public key.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_manage"])), extensions(("x-agentport-extension" = json!(true))))]
pub async fn trust_key(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids((tenant, id)): Ids<(String, String)>,
    Body(body): Body<TrustRequest>,
) -> Result<Json<SigningKey>, ApiError> {
    let request = proto::TrustSigningKeyRequest {
        name: key_name(&tenant, &id),
        public_key_pem: body.public_key.unwrap_or_default(),
    };
    Ok(Json(state.signing.trust_signing_key(grpc_request(&headers, request)).await?.into_inner().into()))
}

/// No longer trusting a key; it stays known, so its signatures still verify.
#[utoipa::path(delete, path = "/ai-service/{tenant}/agentic/signing-keys/{keyId}/trust", operation_id = "DELETE-ai-trust-signing-key",
    tag = "Signing",
    params(("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
        ("keyId" = String, Path, description = "The key id.")),
    responses(
        (status = 200, description = "The key, no longer trusted.", body = SigningKey),
        (status = 404, description = "No such key.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_manage"])), extensions(("x-agentport-extension" = json!(true))))]
pub async fn untrust_key(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids((tenant, id)): Ids<(String, String)>,
) -> Result<Json<SigningKey>, ApiError> {
    let request = proto::UntrustSigningKeyRequest { name: key_name(&tenant, &id) };
    Ok(Json(state.signing.untrust_signing_key(grpc_request(&headers, request)).await?.into_inner().into()))
}

/// The tenant's signing policy.
#[utoipa::path(get, path = "/ai-service/{tenant}/agentic/signing-policy", operation_id = "GET-ai-signing-policy",
    tag = "Signing", params(("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase.")),
    responses((status = 200, description = "The policy.", body = SigningPolicy)),
    security(("OAuth2" = ["ai.agent_manage"])), extensions(("x-agentport-extension" = json!(true))))]
pub async fn get_policy(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids(tenant): Ids<String>,
) -> Result<Json<SigningPolicy>, ApiError> {
    let request = proto::GetSigningPolicyRequest { name: format!("tenants/{tenant}/signingPolicy") };
    Ok(Json(state.signing.get_signing_policy(grpc_request(&headers, request)).await?.into_inner().into()))
}

/// Replacing the tenant's signing policy.
#[utoipa::path(put, path = "/ai-service/{tenant}/agentic/signing-policy", operation_id = "PUT-ai-signing-policy",
    tag = "Signing", request_body = SigningPolicy,
    params(("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase.")),
    responses(
        (status = 200, description = "The policy now in force.", body = SigningPolicy),
        (status = 400, description = "Invalid action.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_manage"])), extensions(("x-agentport-extension" = json!(true))))]
pub async fn put_policy(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids(tenant): Ids<String>,
    Body(body): Body<SigningPolicy>,
) -> Result<Json<SigningPolicy>, ApiError> {
    let action = match body.action.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("") | Some("REFUSE") => proto::SigningPolicyAction::Refuse,
        Some("HOLD") => proto::SigningPolicyAction::Hold,
        Some(other) => return Err(ApiError::invalid("action", format!("must be REFUSE or HOLD, not `{other}`"))),
    };
    let policy = proto::SigningPolicy {
        name: format!("tenants/{tenant}/signingPolicy"),
        require_signed: body.require_signed,
        trusted_only: body.trusted_only,
        action: action as i32,
        update_time: None,
    };
    let request = proto::UpdateSigningPolicyRequest { signing_policy: Some(policy) };
    Ok(Json(state.signing.update_signing_policy(grpc_request(&headers, request)).await?.into_inner().into()))
}

/// Approving an import the signing policy held: it runs in the background.
#[utoipa::path(post, path = "/ai-service/{tenant}/jobs/{jobId}/approve", operation_id = "POST-ai-approve-import",
    tag = "Signing",
    params(("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
        ("jobId" = String, Path, description = "An IMPORT job in status `needs_review`.")),
    responses(
        (status = 202, description = "The job, queued (`in_progress`).", body = Job),
        (status = 400, description = "The job is not an import held for review.", body = ErrorMessage),
        (status = 404, description = "No such job.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_manage"])), extensions(("x-agentport-extension" = json!(true))))]
pub async fn approve_import(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids((tenant, job_id)): Ids<(String, String)>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let request = proto::ApproveImportRequest { name: format!("tenants/{tenant}/jobs/{job_id}") };
    let job = state.signing.approve_import(grpc_request(&headers, request)).await?.into_inner();
    Ok((StatusCode::ACCEPTED, Json(Job::from(job))))
}
