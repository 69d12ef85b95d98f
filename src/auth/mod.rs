//! Authentication and authorization, the same for every transport: a principal is a tenant and
//! scopes, from a bearer JWT, an `x-api-key` or the connection's verified client certificate.
//! Credentials sent in headers win over the certificate, so a client with a certificate can
//! still act as another principal for a call; the certificate applies when none are sent. Each call is checked against its method's scope
//! and the tenant it addresses before anything is read, so a refusal never reveals existence.
//! Mutations leave one audit line each. Credentials are never logged.

pub mod api_keys;
mod certificate;
mod jwt;
pub mod policy;
mod tenant;

use std::collections::BTreeSet;
use std::sync::Arc;

use tonic::{Request, Status};

use crate::config::Settings;
use crate::domain::text::{NulFree, refuse_nul};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{Admission, Slot, Ticket};
use crate::store::Store;

pub use certificate::ClientCertificate;
pub use jwt::{JwtSettings, JwtVerifier};
pub use tenant::{Addressed, tenant_of};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `jwt:<sub>`, `key:<id>`, `cert:<CN>` or `anonymous`; for audit lines.
    pub subject: String,
    /// The tenant the credentials are for; `None` for the unrestricted local principal.
    pub tenant: Option<String>,
    pub scopes: BTreeSet<String>,
}

impl Principal {
    /// The principal of a service without configured authentication (loopback only).
    fn local() -> Self {
        Self { subject: "anonymous".into(), tenant: None, scopes: BTreeSet::new() }
    }

    fn may(&self, scope: &str, tenant: Option<&str>) -> bool {
        if self.tenant.is_none() {
            return true;
        }
        let tenant_ok = match tenant {
            Some(t) => self.tenant.as_deref() == Some(t),
            None => true,
        };
        tenant_ok && self.scopes.contains(scope)
    }
}

/// Verifies credentials and decides calls.
#[derive(Clone)]
pub struct Authorizer {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None` when authentication is off.
    jwt: Option<JwtVerifier>,
    enabled: bool,
    api_keys: bool,
    /// Client certificates are asked for (and verified by the listener).
    certificates: bool,
    store: Store,
    admission: Admission,
}

/// A call that passed the checks; `finish` records its outcome.
pub struct Call {
    principal: Principal,
    method: &'static str,
    resource: String,
    mutation: bool,
    _ticket: Ticket,
}

impl Authorizer {
    pub fn new(settings: &Settings, store: Store) -> std::result::Result<Self, String> {
        let enabled = settings.auth_configured();
        let jwt = if settings.jwt_hs256_secret.is_some() || settings.jwks_file.is_some() {
            Some(JwtVerifier::new(JwtSettings {
                hs256_secret: settings.jwt_hs256_secret.as_ref(),
                jwks_file: settings.jwks_file.as_deref(),
                issuer: settings.jwt_issuer.clone(),
                audience: settings.jwt_audience.clone(),
                tenant_claim: settings.jwt_tenant_claim.clone(),
                leeway: std::time::Duration::from_secs(settings.jwt_leeway_secs),
            })?)
        } else {
            None
        };
        let admission = Admission::new(&settings.limits());
        let certificates = settings.tls_client_ca_file.is_some();
        Ok(Self {
            inner: Arc::new(Inner { jwt, enabled, api_keys: settings.auth_api_keys, certificates, store, admission }),
        })
    }

    /// Authenticates the caller, checks the method's scope and the addressed tenant, and
    /// returns the request's message for the service.
    pub async fn check<M: prost::Message + prost::Name + Default + Addressed + NulFree>(
        &self,
        request: Request<M>,
        method: &'static str,
    ) -> std::result::Result<(Call, M), Status> {
        // REST routes reach here too: their span takes the method's name, so a call is named
        // the same whichever transport carried it.
        if let Some(name) = crate::observability::rpc::full_name(method) {
            crate::telemetry::rename_current_span(name);
        }
        let principal = self.authenticate(&request).await.map_err(Status::from)?;
        let message = request.into_inner();
        let policy = policy::policy(method);
        let resource = message.addressed_name().unwrap_or_default().to_owned();
        let tenant = tenant_of(&resource);
        if !principal.may(policy.scope, tenant) {
            let why = if principal.scopes.contains(policy.scope) {
                format!("the credentials are not for tenant `{}`", tenant.unwrap_or_default())
            } else {
                format!("{method} needs the scope `{}`", policy.scope)
            };
            if policy.mutation {
                audit(&principal, method, &resource, "denied");
            }
            return Err(Error::new(ErrorCode::PermissionDenied, why).with_meta("scope", policy.scope).into());
        }
        // PostgreSQL cannot store U+0000; refusing it here keeps both stores alike.
        if let Err(e) = refuse_nul(&message, "") {
            if policy.mutation {
                audit(&principal, method, &resource, e.code.reason());
            }
            return Err(e.into());
        }
        // Limits count per tenant the call is for: the credentials' or, with authentication
        // off, the addressed one.
        let limited_tenant = principal.tenant.as_deref().or(tenant);
        let ticket = self.inner.admission.admit(&principal.subject, limited_tenant, method).await.map_err(|e| {
            if policy.mutation {
                audit(&principal, method, &resource, e.code.reason());
            }
            Status::from(e)
        })?;
        Ok((Call { principal, method, resource, mutation: policy.mutation, _ticket: ticket }, message))
    }

    /// A place for one more open watch of the call's principal.
    pub fn open_watch(&self, call: &Call) -> std::result::Result<Slot, Status> {
        self.inner.admission.open_watch(&call.principal.subject).map_err(Status::from)
    }

    /// The tenant the caller's credentials are bound to (`None` with authentication off).
    pub async fn principal_tenant<T>(&self, request: &Request<T>) -> std::result::Result<Option<String>, Status> {
        Ok(self.authenticate(request).await.map_err(Status::from)?.tenant)
    }

    /// From the headers' credentials, else from the connection's client certificate.
    async fn authenticate<T>(&self, request: &Request<T>) -> Result<Principal> {
        if !self.inner.enabled {
            return Ok(Principal::local());
        }
        let metadata = request.metadata();
        let unauthenticated = |why: &str| Error::new(ErrorCode::Unauthenticated, why.to_owned());
        if let Some(value) = metadata.get("authorization") {
            let value = value.to_str().map_err(|_| unauthenticated("unreadable authorization header"))?;
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or_else(|| unauthenticated("the authorization header must be `Bearer <token>`"))?;
            let verifier = self.inner.jwt.as_ref().ok_or_else(|| unauthenticated("bearer tokens are not accepted"))?;
            return verifier.verify(token.trim()).map_err(unauthenticated);
        }
        if let Some(value) = metadata.get("x-api-key") {
            if !self.inner.api_keys {
                return Err(unauthenticated("API keys are not accepted"));
            }
            let key = value.to_str().map_err(|_| unauthenticated("unreadable x-api-key header"))?;
            return self.verify_key(key.trim()).await;
        }
        if let Some(certificate) = request.extensions().get::<ClientCertificate>() {
            return certificate.principal();
        }
        if self.inner.certificates {
            return Err(unauthenticated(
                "missing credentials: present a client certificate or send `authorization: Bearer <token>` or `x-api-key`",
            ));
        }
        Err(unauthenticated("missing credentials: send `authorization: Bearer <token>` or `x-api-key`"))
    }

    async fn verify_key(&self, key: &str) -> Result<Principal> {
        let refused = || Error::new(ErrorCode::Unauthenticated, "invalid or revoked API key");
        let presented = api_keys::parse(key).ok_or_else(refused)?;
        let stored = match self.inner.store.get_api_key(presented.tenant, presented.id).await {
            Ok(stored) => stored,
            Err(e) if e.code == ErrorCode::NotFound => return Err(refused()),
            Err(e) => return Err(e),
        };
        if stored.revoked_at.is_some() || !api_keys::matches(presented.secret, &stored.key_hash) {
            return Err(refused());
        }
        Ok(Principal {
            subject: format!("key:{}", stored.id),
            tenant: Some(stored.tenant),
            scopes: stored.scopes.into_iter().collect(),
        })
    }
}

impl Call {
    /// Audits a mutation's outcome and turns the result into the transport's.
    pub fn finish<T>(self, result: Result<T>) -> std::result::Result<T, Status> {
        if self.mutation {
            let outcome = match &result {
                Ok(_) => "ok",
                Err(e) => e.code.reason(),
            };
            audit(&self.principal, self.method, &self.resource, outcome);
        }
        result.map_err(Status::from)
    }
}

fn audit(principal: &Principal, method: &str, resource: &str, outcome: &str) {
    tracing::info!(
        target: "agentport::audit",
        principal = %principal.subject,
        tenant = tenant_of(resource).unwrap_or_default(),
        method,
        resource,
        outcome,
        "audit"
    );
}
