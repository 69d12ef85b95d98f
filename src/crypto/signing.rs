//! Ed25519 signing keys of bundles and templates: made here, kept as PKCS#8 PEM (sealed by the
//! tenant's data key before it is stored), published as SPKI PEM (`-----BEGIN PUBLIC KEY-----`),
//! which `openssl` and Python's `cryptography` read as they are.
//!
//! Signatures are DSSE ([`super::dsse`]) over a body that may be read twice from the blob store
//! rather than held in memory: [`sign_by_update`] and [`Verifier`] take it piece by piece.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use secrecy::SecretString;
use sha2::Sha512;

use super::CryptoError;
use super::dsse::{pae, pae_prefix};

/// Length of an Ed25519 signature, in bytes.
pub const SIGNATURE_BYTES: usize = 64;

/// A new random signing key.
pub fn generate() -> SigningKey {
    SigningKey::from_bytes(&super::random_key())
}

/// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`): what is sealed and stored.
pub fn private_pem(key: &SigningKey) -> SecretString {
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("an Ed25519 key encodes as PKCS#8");
    SecretString::from(pem.as_str())
}

pub fn from_private_pem(pem: &str) -> Result<SigningKey, CryptoError> {
    SigningKey::from_pkcs8_pem(pem)
        .map_err(|_| CryptoError::BadKey("a stored signing key is not PKCS#8 Ed25519".into()))
}

/// The public key as SPKI PEM.
pub fn public_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF).expect("an Ed25519 key encodes as SPKI")
}

/// An Ed25519 public key from SPKI PEM; anything else (another algorithm, a private key, a
/// certificate) is refused.
pub fn parse_public_pem(pem: &str) -> Result<VerifyingKey, CryptoError> {
    VerifyingKey::from_public_key_pem(pem.trim())
        .map_err(|e| CryptoError::BadKey(format!("not an Ed25519 public key in PEM (SPKI): {e}")))
}

/// The DSSE signature of `body` (whole in memory).
pub fn sign(key: &SigningKey, payload_type: &str, body: &[u8]) -> [u8; SIGNATURE_BYTES] {
    use ed25519_dalek::Signer;
    key.sign(&pae(payload_type, body)).to_bytes()
}

/// The DSSE signature of a body of `body_len` bytes that `feed` hashes, piece by piece, into
/// the digest it is given. Ed25519 reads its message twice, so `feed` is called twice; it must
/// give the same bytes both times, or fail (two signatures whose passes differ would reveal the
/// key), which it can check against a digest of the body known beforehand.
pub fn sign_by_update<F, E>(
    key: &SigningKey,
    payload_type: &str,
    body_len: u64,
    feed: F,
) -> Result<[u8; SIGNATURE_BYTES], E>
where
    F: Fn(&mut Sha512) -> Result<(), E>,
{
    use ed25519_dalek::hazmat::{ExpandedSecretKey, raw_sign_byupdate};
    use sha2::Digest;
    let prefix = pae_prefix(payload_type, body_len);
    let failed = std::cell::RefCell::new(None);
    let expanded = ExpandedSecretKey::from(key.as_bytes());
    let signature = raw_sign_byupdate::<Sha512, _>(
        &expanded,
        |digest| {
            digest.update(&prefix);
            feed(digest).map_err(|e| {
                failed.replace(Some(e));
                ed25519_dalek::SignatureError::new()
            })
        },
        &key.verifying_key(),
    );
    match (signature, failed.into_inner()) {
        (_, Some(e)) => Err(e),
        (Ok(signature), None) => Ok(signature.to_bytes()),
        (Err(_), None) => unreachable!("raw_sign_byupdate fails only when the message does"),
    }
}

/// Checks a DSSE signature over a body given piece by piece.
pub struct Verifier(ed25519_dalek::StreamVerifier);

impl Verifier {
    /// `None` when `signature` is not 64 bytes or not a well-formed Ed25519 signature.
    pub fn new(key: &VerifyingKey, payload_type: &str, body_len: u64, signature: &[u8]) -> Option<Self> {
        let signature = Signature::from_slice(signature).ok()?;
        let mut inner = key.verify_stream(&signature).ok()?;
        inner.update(pae_prefix(payload_type, body_len));
        Some(Self(inner))
    }

    pub fn update(&mut self, piece: &[u8]) {
        self.0.update(piece);
    }

    pub fn verifies(self) -> bool {
        self.0.finalize_and_verify().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::dsse::BUNDLE_PAYLOAD_TYPE;
    use secrecy::ExposeSecret;

    #[test]
    fn a_signature_made_in_pieces_is_the_signature_of_the_whole() {
        let key = generate();
        let body = b"{\"agents\":[]}".repeat(100);
        let whole = sign(&key, BUNDLE_PAYLOAD_TYPE, &body);
        let pieces = sign_by_update(&key, BUNDLE_PAYLOAD_TYPE, body.len() as u64, |digest| {
            use sha2::Digest;
            body.chunks(7).for_each(|piece| digest.update(piece));
            Ok::<(), ()>(())
        })
        .unwrap_or_else(|()| unreachable!());
        assert_eq!(whole, pieces, "Ed25519 is deterministic");

        let verify = |body: &[u8], signature: &[u8]| {
            let mut verifier =
                Verifier::new(&key.verifying_key(), BUNDLE_PAYLOAD_TYPE, body.len() as u64, signature).unwrap();
            body.chunks(5).for_each(|piece| verifier.update(piece));
            verifier.verifies()
        };
        assert!(verify(&body, &whole));
        let mut tampered = body.clone();
        tampered[3] ^= 1;
        assert!(!verify(&tampered, &whole));
        assert!(!verify(&body[1..], &whole));
        assert!(Verifier::new(&key.verifying_key(), BUNDLE_PAYLOAD_TYPE, 1, &[0u8; 10]).is_none());
    }

    #[test]
    fn keys_round_trip_through_pem() {
        let key = generate();
        let private = private_pem(&key);
        assert!(private.expose_secret().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(from_private_pem(private.expose_secret()).unwrap().to_bytes(), key.to_bytes());
        let public = public_pem(&key.verifying_key());
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(parse_public_pem(&public).unwrap(), key.verifying_key());
        assert!(parse_public_pem(private.expose_secret()).is_err(), "a private key is not a public key");
        assert!(parse_public_pem("hello").is_err());
    }
}
