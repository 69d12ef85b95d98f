//! A secret value sealed by a data key, kept as text in place of the plaintext:
//! `enc:v1:<data key id>:<base64 of nonce || ciphertext>`.
//!
//! Text, in place, rather than a column: the secrets sit at every depth of a resource's JSON
//! document (inline LLM keys, header maps, MCP credentials, Slack tokens, connector
//! parameters), so sealing each where it is keeps the document's shape, its filters and its
//! references unchanged, and each value names the key that opens it.
//!
//! A sealed value is bound to the resource holding it, so a sealed text is only ever accepted
//! back where it was made: a write keeps a value that opens for its resource as it is (it
//! came from the store) and seals anything else as new plaintext.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{CryptoError, DataKey};

const PREFIX: &str = "enc:v1:";

/// What a sealed value is bound to: its tenant, the resource that holds it (`owner`), and its
/// data key. Copied into another resource, it does not open there.
fn value_aad(tenant: &str, owner: &str, key_id: &str) -> Vec<u8> {
    format!("agentport value v1\0{tenant}\0{owner}\0{key_id}").into_bytes()
}

/// Whether `text` has the sealed form (it may still fail to open).
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(PREFIX)
}

/// The data key id a sealed text names, if it has the sealed form.
pub fn key_id(text: &str) -> Option<&str> {
    text.strip_prefix(PREFIX)?.split_once(':').map(|(id, _)| id)
}

/// `plaintext`, held by `owner`, sealed by `key`.
pub fn seal(key: &DataKey, owner: &str, plaintext: &str) -> String {
    let sealed = super::encrypt(key.cipher(), plaintext.as_bytes(), &value_aad(key.tenant(), owner, key.id()));
    format!("{PREFIX}{}:{}", key.id(), STANDARD.encode(sealed))
}

/// The plaintext of a text `seal` made with `key` for `owner`.
pub fn open(key: &DataKey, owner: &str, text: &str) -> Result<String, CryptoError> {
    let rest = text.strip_prefix(PREFIX).ok_or(CryptoError::Malformed)?;
    let (id, payload) = rest.split_once(':').ok_or(CryptoError::Malformed)?;
    let failed = || CryptoError::Open { tenant: key.tenant().into(), key_id: id.into() };
    if id != key.id() {
        return Err(failed());
    }
    let sealed = STANDARD.decode(payload).map_err(|_| CryptoError::Malformed)?;
    let plain = super::decrypt(key.cipher(), &sealed, &value_aad(key.tenant(), owner, id)).ok_or_else(failed)?;
    String::from_utf8(plain).map_err(|_| failed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;

    #[test]
    fn sealed_values_open_with_their_tenants_key_for_their_owner_only() {
        let key = DataKey::generate("acme");
        let owner = "tenants/acme/agents/a";
        let text = seal(&key, owner, "sk-live-1234 é");
        assert!(is_sealed(&text) && !text.contains("sk-live"));
        assert_eq!(key_id(&text), Some(key.id()));
        assert_eq!(open(&key, owner, &text).unwrap(), "sk-live-1234 é");
        assert_ne!(seal(&key, owner, "sk-live-1234 é"), text, "a fresh nonce each time");
        assert!(open(&key, "tenants/acme/agents/b", &text).is_err(), "bound to its owner");

        let other = DataKey::generate("acme");
        assert!(matches!(open(&other, owner, &text), Err(CryptoError::Open { .. })));
        // The key as stored and read back (wrapped, unwrapped) opens it.
        let master = MasterKey::generate();
        let unwrapped = DataKey::unwrap(&master, "acme", key.id(), &key.wrap(&master)).unwrap();
        assert_eq!(open(&unwrapped, owner, &text).unwrap(), "sk-live-1234 é");
        assert!(open(&DataKey::generate("globex"), owner, &text).is_err());

        let mut tampered = text.clone();
        tampered.pop();
        tampered.push(if text.ends_with('A') { 'B' } else { 'A' });
        assert!(open(&key, owner, &tampered).is_err());
        assert_eq!(open(&key, owner, "plain"), Err(CryptoError::Malformed));
        assert_eq!(open(&key, owner, "enc:v1:nocolon"), Err(CryptoError::Malformed));
    }
}
