//! An incoming bundle is stored as it arrives (a staged upload), its checksum computed as the
//! bytes pass, so that it can be verified before anything of it is parsed.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::domain::checksum::Hasher;
use crate::error::{Error, Result};
use crate::proto::BundleSignature;
use crate::store::{Staged, Store};

/// A piece of an import stream: the bundle's bytes, or its checksum or signature (which may
/// come last).
#[derive(Debug, Clone)]
pub enum ImportPart {
    Bytes(Bytes),
    Checksum(String),
    Signature(BundleSignature),
    /// The `secretMappings` of a REST import body.
    Mappings(BTreeMap<String, String>),
}

/// A stored bundle and the two checksums: the one computed and the one the caller gave.
pub struct Spooled {
    pub staged: Staged,
    pub computed: String,
    pub given: String,
    /// The signature a part of the stream carried, if any.
    pub signature: Option<BundleSignature>,
    /// Mappings that came with the bytes (REST bodies).
    pub mappings: Option<BTreeMap<String, String>>,
}

/// Stores the bundle's bytes (at most `max_bytes`) under a staged upload of `tenant`.
pub async fn spool<S>(
    store: &Store,
    tenant: &str,
    parts: S,
    key: Option<&str>,
    max_bytes: u64,
    mut given: String,
) -> Result<Spooled>
where
    S: Stream<Item = Result<ImportPart>>,
{
    let mut parts = std::pin::pin!(parts);
    let mut upload = store.begin_upload(tenant).await?.behind();
    let mut hasher = Hasher::new(key);
    let mut signature = None;
    let mut mappings = None;
    let outcome: Result<()> = async {
        while let Some(part) = parts.next().await {
            match part? {
                ImportPart::Bytes(bytes) => {
                    if upload.size() + bytes.len() as u64 > max_bytes {
                        return Err(Error::invalid_field(
                            "data",
                            format!("the bundle is larger than {max_bytes} bytes (the configured bundle size)"),
                        ));
                    }
                    hasher.update(&bytes);
                    upload.write(bytes).await?;
                }
                ImportPart::Checksum(checksum) => given = checksum,
                ImportPart::Signature(envelope) => signature = Some(envelope),
                ImportPart::Mappings(found) => mappings = Some(found),
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        upload.abort().await;
        return Err(e);
    }
    Ok(Spooled { staged: upload.finish().await?, computed: hasher.finish(), given, signature, mappings })
}
