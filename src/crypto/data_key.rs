//! A tenant's data key: seals that tenant's secret values; stored wrapped by a master key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox};

use super::{CryptoError, KEY_BYTES, MasterKey};

pub struct DataKey {
    id: String,
    tenant: String,
    key: SecretBox<[u8; KEY_BYTES]>,
    cipher: aes_gcm::Aes256Gcm,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey").field("id", &self.id).field("tenant", &self.tenant).finish_non_exhaustive()
    }
}

/// What a wrapped data key is bound to: its tenant and id.
fn wrap_aad(tenant: &str, id: &str) -> Vec<u8> {
    format!("agentport data key v1\0{tenant}\0{id}").into_bytes()
}

impl DataKey {
    fn new(tenant: &str, id: String, key: Box<[u8; KEY_BYTES]>) -> Self {
        use aes_gcm::KeyInit;
        let cipher = aes_gcm::Aes256Gcm::new(key.as_slice().into());
        Self { id, tenant: tenant.to_owned(), key: SecretBox::new(key), cipher }
    }

    /// A new random key for `tenant`, with a new id.
    pub fn generate(tenant: &str) -> Self {
        Self::new(tenant, uuid::Uuid::now_v7().simple().to_string(), super::random_key())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The key encrypted under `master`, as base64 of `nonce || ciphertext`.
    pub fn wrap(&self, master: &MasterKey) -> String {
        STANDARD.encode(super::encrypt(&master.cipher(), self.key.expose_secret(), &wrap_aad(&self.tenant, &self.id)))
    }

    /// The key `wrap` made, if `master` is the key that wrapped it for this tenant and id.
    pub fn unwrap(master: &MasterKey, tenant: &str, id: &str, wrapped: &str) -> Result<Self, CryptoError> {
        let failed =
            || CryptoError::Unwrap { tenant: tenant.into(), key_id: id.into(), master_key_id: master.id().into() };
        let sealed = STANDARD.decode(wrapped).map_err(|_| failed())?;
        let plain = secrecy::zeroize::Zeroizing::new(
            super::decrypt(&master.cipher(), &sealed, &wrap_aad(tenant, id)).ok_or_else(failed)?,
        );
        let key: [u8; KEY_BYTES] = plain.as_slice().try_into().map_err(|_| failed())?;
        Ok(Self::new(tenant, id.to_owned(), Box::new(key)))
    }

    pub(super) fn cipher(&self) -> &aes_gcm::Aes256Gcm {
        &self.cipher
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_key_unwraps_with_its_master_key_tenant_and_id_only() {
        let (master, other) = (MasterKey::generate(), MasterKey::generate());
        let key = DataKey::generate("acme");
        let wrapped = key.wrap(&master);
        let back = DataKey::unwrap(&master, "acme", key.id(), &wrapped).unwrap();
        assert_eq!(back.key.expose_secret(), key.key.expose_secret());
        let wrong = DataKey::unwrap(&other, "acme", key.id(), &wrapped).unwrap_err();
        assert_eq!(
            wrong,
            CryptoError::Unwrap { tenant: "acme".into(), key_id: key.id().into(), master_key_id: other.id().into() }
        );
        assert!(DataKey::unwrap(&master, "globex", key.id(), &wrapped).is_err(), "bound to its tenant");
        assert!(DataKey::unwrap(&master, "acme", "another-id", &wrapped).is_err(), "bound to its id");
        assert!(DataKey::unwrap(&master, "acme", key.id(), "!!").is_err());
        assert_ne!(key.wrap(&master), wrapped, "a fresh nonce each time");
    }
}
