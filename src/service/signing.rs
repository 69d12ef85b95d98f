//! Signing keys, trusted publisher keys and the signing policy of a tenant, and approval of the
//! imports that policy held. Private keys are sealed like every secret before they are stored
//! and opened only to sign ([`signing_key`]).

use ed25519_dalek::SigningKey;
use secrecy::ExposeSecret;

use crate::crypto::signing as ed25519;
use crate::domain::clock::now_micros;
use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::names::{Parent, ResourceKind, ResourceName, check_id};
use crate::domain::signing::SigningPolicy;
use crate::error::{Error, ErrorCode, FieldViolation, Result};
use crate::store::{SigningKeyRecord, Store};

#[derive(Clone)]
pub struct SigningService {
    store: Store,
}

impl SigningService {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Makes a key pair; the tenant trusts it. The private key is sealed before it is stored.
    pub async fn create_key(&self, parent: &str, key_id: &str) -> Result<SigningKeyRecord> {
        let mut violations = Vec::new();
        let parent = Parent::parse(ResourceKind::SigningKey, parent, "parent").map_err(|v| violations.push(v)).ok();
        let id = check_id(key_id, "signing_key_id").map_err(|v| violations.push(v)).ok();
        let (Some(parent), Some(id), true) = (parent, id, violations.is_empty()) else {
            return Err(Error::invalid(violations));
        };
        let key = ed25519::generate();
        let name = crate::store::signing_key_name(&parent.tenant, &id);
        let sealer = self.store.keyring().sealer(&parent.tenant, true).await?;
        let sealed = sealer
            .seal(&name, ed25519::private_pem(&key).expose_secret())?
            .ok_or_else(|| Error::internal("seal a signing key", "the sealer kept the key as it is"))?;
        let now = now_micros();
        let record = SigningKeyRecord {
            tenant: parent.tenant,
            id,
            public_key: ed25519::public_pem(&key.verifying_key()),
            private_key: Some(sealed),
            trusted: true,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_signing_key(&record).await?;
        tracing::info!(tenant = %record.tenant, key = %record.id, "signing key created");
        Ok(record)
    }

    pub async fn get_key(&self, name: &str) -> Result<SigningKeyRecord> {
        let name = key_name(name)?;
        self.store.get_signing_key(&name.tenant, &name.id).await
    }

    pub async fn list_keys(&self, parent: &str) -> Result<Vec<SigningKeyRecord>> {
        let parent = Parent::parse(ResourceKind::SigningKey, parent, "parent").map_err(|v| Error::invalid(vec![v]))?;
        self.store.list_signing_keys(&parent.tenant).await
    }

    /// Trusts a publisher's key, or a known key again. A key id never changes its public key.
    pub async fn trust(&self, name: &str, public_key_pem: &str) -> Result<SigningKeyRecord> {
        let name = key_name(name)?;
        let now = now_micros();
        let existing = self.store.find_signing_key(&name.tenant, &name.id).await?;
        if public_key_pem.trim().is_empty() {
            return self.store.set_signing_key_trust(&name.tenant, &name.id, true, now).await;
        }
        let key = ed25519::parse_public_pem(public_key_pem)
            .map_err(|e| Error::invalid_field("public_key_pem", e.to_string()))?;
        let public_key = ed25519::public_pem(&key);
        match existing {
            Some(known) if known.public_key == public_key => {
                self.store.set_signing_key_trust(&name.tenant, &name.id, true, now).await
            }
            Some(known) => Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("{} holds another public key; trust the new key under a new key id", known.name()),
            )
            .with_meta("resource", known.name())),
            None => {
                let record = SigningKeyRecord {
                    tenant: name.tenant,
                    id: name.id,
                    public_key,
                    private_key: None,
                    trusted: true,
                    created_at: now,
                    updated_at: now,
                };
                self.store.insert_signing_key(&record).await?;
                tracing::info!(tenant = %record.tenant, key = %record.id, "publisher key trusted");
                Ok(record)
            }
        }
    }

    pub async fn untrust(&self, name: &str) -> Result<SigningKeyRecord> {
        let name = key_name(name)?;
        self.store.set_signing_key_trust(&name.tenant, &name.id, false, now_micros()).await
    }

    /// The tenant named by `tenants/{tenant}/signingPolicy`, and its policy.
    pub async fn policy(&self, name: &str) -> Result<(String, SigningPolicy)> {
        let tenant = policy_tenant(name, "name")?;
        let policy = self.store.signing_policy(&tenant).await?;
        Ok((tenant, policy))
    }

    pub async fn set_policy(&self, name: &str, mut policy: SigningPolicy) -> Result<(String, SigningPolicy)> {
        let tenant = policy_tenant(name, "signing_policy.name")?;
        policy.updated_at = now_micros();
        self.store.put_signing_policy(&tenant, &policy).await?;
        tracing::info!(
            tenant,
            require_signed = policy.require_signed,
            trusted_only = policy.trusted_only,
            action = policy.action.as_str(),
            "signing policy set"
        );
        Ok((tenant, policy))
    }

    /// Queues an import held for review on the job engine.
    pub async fn approve_import(&self, name: &str) -> Result<JobRecord> {
        let name = ResourceName::parse(ResourceKind::Job, name, "name").map_err(|v| Error::invalid(vec![v]))?;
        let mut job = self.store.get_job(&name.tenant, &name.id).await?;
        if job.kind != JobKind::Import || job.state != JobState::NeedsReview {
            return Err(Error::new(
                ErrorCode::FailedPrecondition,
                format!("{name} is not an import held for review (its status is {})", job.state.as_str()),
            )
            .with_meta("resource", name.to_string()));
        }
        let version = job.version;
        job.state = JobState::InProgress;
        job.background = true;
        job.message = None;
        job.modified_at = now_micros();
        self.store.update_job(&job, version).await?;
        tracing::info!(tenant = %job.tenant, job = %job.id, "held import approved");
        self.store.get_job(&name.tenant, &name.id).await
    }
}

fn key_name(name: &str) -> Result<ResourceName> {
    ResourceName::parse(ResourceKind::SigningKey, name, "name").map_err(|v| Error::invalid(vec![v]))
}

fn policy_tenant(name: &str, field: &str) -> Result<String> {
    let tenant = name.strip_prefix("tenants/").and_then(|rest| rest.strip_suffix("/signingPolicy"));
    let parent = tenant.and_then(|t| Parent::parse(ResourceKind::SigningKey, &format!("tenants/{t}"), field).ok());
    parent.map(|p| p.tenant).ok_or_else(|| {
        Error::invalid(vec![FieldViolation::new(field, "must have the form `tenants/{tenant}/signingPolicy`")])
    })
}

/// The tenant's signing key `key_id`, opened: NOT_FOUND when it has none, FAILED_PRECONDITION
/// when it holds only a publisher's public key under that id.
pub(crate) async fn signing_key(store: &Store, tenant: &str, key_id: &str) -> Result<SigningKey> {
    let record = store.get_signing_key(tenant, key_id).await?;
    let Some(sealed) = &record.private_key else {
        return Err(Error::new(
            ErrorCode::FailedPrecondition,
            format!("{} is a publisher's public key; only the tenant's own keys sign", record.name()),
        )
        .with_meta("resource", record.name()));
    };
    let ids: Vec<String> = crate::crypto::sealed::key_id(sealed).map(str::to_owned).into_iter().collect();
    let pem = store.keyring().opener(tenant, &ids).await?.open(&record.name(), sealed)?;
    ed25519::from_private_pem(&pem).map_err(|e| Error::internal("open a signing key", e))
}
