//! Envelope encryption of credentials at rest, on plain bytes and text (no proto, no SQL);
//! [`signing`] and [`dsse`] sign bundles and templates.
//!
//! Three layers, each AES-256-GCM with a random 96-bit nonce:
//! - a master key (32 bytes) from configuration, never stored; its id is a hash of the key,
//!   so a stored data key names the master key that wrapped it without revealing it;
//! - a data key per tenant, stored wrapped by the master key ([`DataKey::wrap`]);
//! - each secret value, sealed by its tenant's data key into a text that names the data key
//!   ([`sealed`]), kept in place of the plaintext.
//!
//! Every ciphertext is bound (as associated data) to what it belongs to: a wrapped data key to
//! its tenant and id, a sealed value to its tenant and data key, so neither can be moved to
//! another tenant and opened there.

mod data_key;
pub mod dsse;
mod master_key;
pub mod sealed;
pub mod signing;

pub use data_key::DataKey;
pub use master_key::{MasterKey, MasterKeys};

/// Why a key or a sealed value could not be used. Messages name no key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("{0}")]
    BadKey(String),
    #[error("the data key {key_id} of tenant {tenant} does not unwrap with master key {master_key_id}")]
    Unwrap { tenant: String, key_id: String, master_key_id: String },
    #[error("a sealed value of tenant {tenant} does not open with data key {key_id}")]
    Open { tenant: String, key_id: String },
    #[error("a sealed value is malformed")]
    Malformed,
}

/// Length of every key, in bytes (AES-256).
pub const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// `nonce || ciphertext` of `plaintext` under `key`, bound to `aad`.
fn encrypt(cipher: &aes_gcm::Aes256Gcm, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload};
    let nonce = aes_gcm::Aes256Gcm::generate_nonce(&mut OsRng);
    let sealed = cipher.encrypt(&nonce, Payload { msg: plaintext, aad }).expect("AES-GCM encrypts any length we hold");
    let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// The plaintext of `nonce || ciphertext`, if it was made under `key` with `aad`.
fn decrypt(cipher: &aes_gcm::Aes256Gcm, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    use aes_gcm::aead::{Aead, Payload};
    if sealed.len() < NONCE_BYTES {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
    cipher.decrypt(&nonce.into(), Payload { msg: ciphertext, aad }).ok()
}

/// 32 random bytes from the operating system.
fn random_key() -> Box<[u8; KEY_BYTES]> {
    use aes_gcm::aead::OsRng;
    use aes_gcm::aead::rand_core::RngCore;
    let mut key = Box::new([0u8; KEY_BYTES]);
    OsRng.fill_bytes(key.as_mut_slice());
    key
}
