//! API keys: `ap.<tenant>.<id>.<secret>`, bound to one tenant and a set of scopes. Only a
//! SHA-256 hash of the secret is stored, and hashes are compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::page::hex;

const PREFIX: &str = "ap";

/// The parts of a presented key.
pub struct PresentedKey<'a> {
    pub tenant: &'a str,
    pub id: &'a str,
    pub secret: &'a str,
}

pub fn parse(key: &str) -> Option<PresentedKey<'_>> {
    let mut parts = key.splitn(4, '.');
    let (prefix, tenant, id, secret) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (prefix == PREFIX && !tenant.is_empty() && !id.is_empty() && secret.len() >= 32).then_some(PresentedKey {
        tenant,
        id,
        secret,
    })
}

pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` hashes to `stored`, compared in constant time.
pub fn matches(secret: &str, stored: &str) -> bool {
    hash(secret).as_bytes().ct_eq(stored.as_bytes()).into()
}

/// A new key: its id, the full key to show once, and the hash to store.
pub fn generate(tenant: &str) -> (String, String, String) {
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    // Two v4 UUIDs from the OS random source: 244 random bits.
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let key = format!("{PREFIX}.{tenant}.{id}.{secret}");
    let stored = hash(&secret);
    (id, key, stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_match_only_their_hash() {
        let (id, key, stored) = generate("acme");
        let presented = parse(&key).unwrap();
        assert_eq!((presented.tenant, presented.id), ("acme", id.as_str()));
        assert!(matches(presented.secret, &stored));
        assert!(!matches("x".repeat(64).as_str(), &stored));
        assert!(!key.contains(&stored), "the stored hash is not the key");
        assert!(parse("ap.acme.id.short").is_none());
        assert!(parse("Bearer something").is_none());
    }
}
