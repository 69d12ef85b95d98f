//! Signing a bundle or template as an export stores it, and checking an imported one's
//! signature before anything of it is parsed. Both read the bytes from the blob store (where
//! exports and imports put them anyway) piece by piece, so a bundle of any size is signed in
//! constant memory. The payload type says what was signed (DSSE binds it into the signature),
//! so a bundle's signature never passes for a template's.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::crypto::signing::{self as ed25519, Verifier};
use crate::domain::signing::Verdict;
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{BundleSignature, DsseSignature, Signer};
use crate::store::{Staged, Store};

/// Most signatures one envelope may carry.
const MAX_SIGNATURES: usize = 8;

/// The envelope of `staged` (the bytes as just stored, of `payload_type`) signed by `key`,
/// named `key_id`.
pub(crate) async fn sign_staged(
    store: &Store,
    (key, key_id): (SigningKey, &str),
    payload_type: &'static str,
    staged: &Staged,
) -> Result<BundleSignature> {
    let (store, staged) = (store.clone(), staged.clone());
    let handle = tokio::runtime::Handle::current();
    // Ed25519 hashes the message twice: each pass reads the stored bytes again, and must find
    // exactly the bytes the upload hashed.
    let signature = tokio::task::spawn_blocking(move || {
        ed25519::sign_by_update(&key, payload_type, staged.blob.size, |digest| {
            handle.block_on(async {
                let mut check = Sha256::new();
                let mut pieces = std::pin::pin!(store.read_staged(&staged));
                while let Some(piece) = pieces.next().await {
                    let piece = piece?;
                    check.update(&piece);
                    digest.update(&piece);
                }
                if hex(&check.finalize()) != staged.blob.sha256 {
                    return Err(Error::internal("sign a bundle", "the stored bundle read back changed"));
                }
                Ok(())
            })
        })
    })
    .await
    .map_err(|e| Error::internal("sign a bundle", e))??;
    Ok(BundleSignature {
        payload_type: payload_type.to_owned(),
        signatures: vec![DsseSignature { keyid: key_id.to_owned(), sig: STANDARD.encode(signature) }],
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether an envelope says anything: an empty one (as a client that does not sign sends) is
/// no signature.
pub(crate) fn is_signed(envelope: Option<&BundleSignature>) -> bool {
    envelope.is_some_and(|e| !e.payload_type.is_empty() || !e.signatures.is_empty())
}

/// Checks the signature of `staged` (bytes of `payload_type`) against the tenant's keys: `None`
/// when they are not signed, the signer otherwise. Any signature by a known key that does not
/// verify, and any malformed envelope, is SIGNATURE_INVALID.
pub(crate) async fn verify_staged(
    store: &Store,
    tenant: &str,
    envelope: Option<&BundleSignature>,
    (payload_type, staged): (&str, &Staged),
) -> Result<Option<Signer>> {
    let Some(envelope) = envelope.filter(|e| is_signed(Some(e))) else {
        return Ok(None);
    };
    if envelope.payload_type != payload_type {
        return Err(invalid(format!("the payload type is `{}`, not `{payload_type}`", envelope.payload_type)));
    }
    if envelope.signatures.is_empty() || envelope.signatures.len() > MAX_SIGNATURES {
        return Err(invalid(format!("an envelope carries 1..{MAX_SIGNATURES} signatures")));
    }
    let mut checks = Vec::new();
    let mut signers = Vec::new();
    for entry in &envelope.signatures {
        let sig = STANDARD
            .decode(entry.sig.trim())
            .map_err(|_| invalid(format!("the signature of key `{}` is not base64", entry.keyid)))?;
        let known = match store.find_signing_key(tenant, &entry.keyid).await? {
            Some(key) => Some(key),
            None if entry.keyid.is_empty() => return Err(invalid("a signature names no keyid".to_owned())),
            None => None,
        };
        if let Some(key) = &known {
            let public =
                ed25519::parse_public_pem(&key.public_key).map_err(|e| Error::internal("read a signing key", e))?;
            let verifier = Verifier::new(&public, payload_type, staged.blob.size, &sig).ok_or_else(|| {
                invalid(format!("the signature of key `{}` is not an Ed25519 signature", entry.keyid))
            })?;
            checks.push((entry.keyid.clone(), verifier));
        }
        let (verified, trusted) = (known.is_some(), known.is_some_and(|k| k.trusted));
        signers.push(Signer { key_id: entry.keyid.clone(), verified, trusted });
    }
    if !checks.is_empty() {
        let mut pieces = std::pin::pin!(store.read_staged(staged));
        while let Some(piece) = pieces.next().await {
            let piece = piece?;
            checks.iter_mut().for_each(|(_, verifier)| verifier.update(&piece));
        }
        for (key_id, verifier) in checks {
            if !verifier.verifies() {
                return Err(invalid(format!(
                    "the signature of key `{key_id}` does not verify: the bundle or its signature was changed"
                )));
            }
        }
    }
    // The signer relied on: a trusted one, else a known one, else the first.
    signers.sort_by_key(|s| (!s.trusted, !s.verified));
    Ok(signers.into_iter().next())
}

fn invalid(why: String) -> Error {
    Error::new(ErrorCode::SignatureInvalid, format!("the signature is invalid: {why}"))
}

/// The error for a refused verdict, or `None` for the others.
pub(crate) fn refusal(verdict: &Verdict) -> Option<Error> {
    match verdict {
        Verdict::Refuse { code, why } => Some(Error::new(*code, format!("the import was refused: {why}"))),
        _ => None,
    }
}
