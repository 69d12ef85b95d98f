//! The plan id: an etag over a plan and the target state it was computed against. Two plans
//! have the same id exactly when the same bundle, under the same options, meets target
//! entities at the same revisions and every entity gets the same action, target id, state and
//! warnings. The id also carries the instant renamed ids are stamped with, so that applying
//! a plan renames to the ids it showed.

use std::collections::BTreeMap;

use prost::Message;
use sha2::{Digest, Sha256};

use crate::domain::page::hex;
use crate::proto::{PlannedEntity, SecretRequirement};

/// What a plan id is computed from.
pub struct PlanInputs<'a> {
    pub bundle_sha256: &'a str,
    pub policy: i32,
    pub mappings: &'a BTreeMap<String, String>,
    /// Milliseconds since the epoch that renamed ids carry; 0 when the plan renames nothing.
    pub rename_millis: i64,
    /// `{kind}/{id}` -> revision, of every target entity the import looks at.
    pub revisions: &'a BTreeMap<String, i64>,
    pub entities: &'a [PlannedEntity],
    pub requirements: &'a [SecretRequirement],
}

/// `{rename millis}.{lowercase hex SHA-256}`.
pub fn plan_id(inputs: &PlanInputs<'_>) -> String {
    let mut hash = Sha256::new();
    let mut part = |bytes: &[u8]| {
        // Length-prefixed, so no two different inputs hash the same bytes.
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(bytes);
    };
    part(b"agentport-plan-1");
    part(inputs.bundle_sha256.as_bytes());
    part(&inputs.policy.to_be_bytes());
    part(&inputs.rename_millis.to_be_bytes());
    for (required, secret) in inputs.mappings {
        part(required.as_bytes());
        part(secret.as_bytes());
    }
    for (key, revision) in inputs.revisions {
        part(key.as_bytes());
        part(&revision.to_be_bytes());
    }
    for entity in inputs.entities {
        // The patch follows from the revisions; the rest of the entity is what is decided.
        part(&PlannedEntity { patch: Vec::new(), ..entity.clone() }.encode_to_vec());
    }
    for requirement in inputs.requirements {
        part(&requirement.encode_to_vec());
    }
    format!("{}.{}", inputs.rename_millis, hex(&hash.finalize()))
}

/// The rename instant a plan id carries, or `None` when it is not a plan id.
pub fn rename_millis(plan_id: &str) -> Option<i64> {
    let (millis, digest) = plan_id.split_once('.')?;
    let valid = digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| millis.parse().ok()).flatten().filter(|m| *m >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(revisions: &'a BTreeMap<String, i64>, mappings: &'a BTreeMap<String, String>) -> PlanInputs<'a> {
        PlanInputs {
            bundle_sha256: "ab",
            policy: 3,
            mappings,
            rename_millis: 1_700_000_000_000,
            revisions,
            entities: &[],
            requirements: &[],
        }
    }

    #[test]
    fn the_id_changes_with_a_target_revision_and_carries_its_instant() {
        let mappings = BTreeMap::new();
        let before = BTreeMap::from([("agents/a".to_owned(), 1)]);
        let after = BTreeMap::from([("agents/a".to_owned(), 2)]);
        let id = plan_id(&inputs(&before, &mappings));
        assert_eq!(id, plan_id(&inputs(&before, &mappings)));
        assert_ne!(id, plan_id(&inputs(&after, &mappings)));
        assert_eq!(rename_millis(&id), Some(1_700_000_000_000));
        assert_eq!(rename_millis("12.xyz"), None);
    }
}
