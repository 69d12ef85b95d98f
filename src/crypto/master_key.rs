//! The master key: 32 bytes from configuration (a file or an environment variable, as base64),
//! held as a secret and never written anywhere but a generated key file.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};

use super::{CryptoError, KEY_BYTES};

pub struct MasterKey {
    id: String,
    key: SecretBox<[u8; KEY_BYTES]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl MasterKey {
    fn new(key: Box<[u8; KEY_BYTES]>) -> Self {
        // A hash of the key names it: stored beside each wrapped data key, it tells which key
        // is needed without saying anything about the key.
        let digest = Sha256::new().chain_update(b"agentport master key id\0").chain_update(key.as_slice()).finalize();
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self { id, key: SecretBox::new(key) }
    }

    /// A new random key.
    pub fn generate() -> Self {
        Self::new(super::random_key())
    }

    /// The key from its base64 text (standard alphabet, padding optional, surrounding
    /// whitespace ignored); it must decode to exactly 32 bytes.
    pub fn from_base64(text: &SecretString, source: &str) -> Result<Self, CryptoError> {
        let text = text.expose_secret().trim();
        let engine = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        let bytes = secrecy::zeroize::Zeroizing::new(engine.decode(text).map_err(|_| {
            CryptoError::BadKey(format!("{source} is not base64 (expected 32 random bytes as base64)"))
        })?);
        let key: [u8; KEY_BYTES] = bytes.as_slice().try_into().map_err(|_| {
            CryptoError::BadKey(format!(
                "{source} must be 32 bytes (base64 of 32 random bytes, e.g. `openssl rand -base64 32`), not {}",
                bytes.len()
            ))
        })?;
        Ok(Self::new(Box::new(key)))
    }

    /// The key from a file holding its base64 text.
    pub fn from_file(path: &Path) -> Result<Self, CryptoError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CryptoError::BadKey(format!("cannot read the master key file {}: {e}", path.display())))?;
        Self::from_base64(&SecretString::from(text), &format!("the master key file {}", path.display()))
    }

    /// The key as base64 text, for a key file.
    pub fn to_base64(&self) -> SecretString {
        SecretString::from(STANDARD.encode(self.key.expose_secret()))
    }

    /// A short public name of the key (hex of a hash of it).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn cipher(&self) -> aes_gcm::Aes256Gcm {
        use aes_gcm::KeyInit;
        aes_gcm::Aes256Gcm::new(self.key.expose_secret().into())
    }
}

/// The master keys a process accepts: the current one wraps new data keys; while a rotation
/// is under way, the previous one still unwraps data keys it wrapped.
#[derive(Debug)]
pub struct MasterKeys {
    pub current: MasterKey,
    pub previous: Option<MasterKey>,
}

impl MasterKeys {
    pub fn new(current: MasterKey, previous: Option<MasterKey>) -> Self {
        // The same key given twice is one key.
        let previous = previous.filter(|p| p.id() != current.id());
        Self { current, previous }
    }

    /// The key named `id`, if it is one of these.
    pub fn by_id(&self, id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref()).find(|k| k.id() == id)
    }

    /// The ids accepted, current first.
    pub fn ids(&self) -> Vec<&str> {
        std::iter::once(&self.current).chain(self.previous.as_ref()).map(MasterKey::id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_32_bytes_of_base64() {
        let key = MasterKey::generate();
        let again = MasterKey::from_base64(&key.to_base64(), "test").unwrap();
        assert_eq!(again.id(), key.id());
        assert_eq!(key.id().len(), 16);
        assert_ne!(MasterKey::generate().id(), key.id());

        let short = MasterKey::from_base64(&SecretString::from(STANDARD.encode([7u8; 16])), "AGENTPORT_MASTER_KEY");
        assert_eq!(
            short.unwrap_err().to_string(),
            "AGENTPORT_MASTER_KEY must be 32 bytes (base64 of 32 random bytes, e.g. `openssl rand -base64 32`), not 16"
        );
        let not_base64 = MasterKey::from_base64(&SecretString::from("not base64!"), "AGENTPORT_MASTER_KEY");
        assert!(not_base64.unwrap_err().to_string().contains("is not base64"));
        let unpadded = STANDARD.encode([1u8; 32]).trim_end_matches('=').to_owned();
        assert!(MasterKey::from_base64(&SecretString::from(format!("  {unpadded}\n")), "k").is_ok());
    }

    #[test]
    fn debug_shows_only_the_id() {
        let key = MasterKey::generate();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.id()));
        assert!(!shown.contains(key.to_base64().expose_secret()));
    }
}
