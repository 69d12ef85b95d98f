//! Resources as stored: every `(agentport.v1.secret)` text sealed by the tenant's data key
//! (see [`crate::crypto`]). Every write of a resource document renders it with [`to_body`];
//! reads decode it as stored and hand it out scrubbed, so sealed values never need opening on
//! the request path. [`open`] gives the plaintext back for checks and maintenance only.
//!
//! The plaintext credentials a release before encryption at rest stored are sealed once, at
//! the start of the service ([`seal_plaintext`]), before it reports SERVING.

use crate::crypto::sealed;
use crate::domain::json;
use crate::domain::names::{ResourceKind, ResourceName};
use crate::domain::resource::Resource;
use crate::domain::secrets::SecretTexts;
use crate::error::{Error, Result};
use crate::proto::{Agent, Document, KnowledgeBase, McpServer, Secret, Tool};
use crate::store::{Sealer, Store, StoredDocument, SweepCursor};

/// What seals the secrets of `resources` of `tenant`, making the tenant's data key when one
/// of them holds a secret text and the tenant has none. Call it before any transaction.
pub(crate) async fn sealer_for<'a, R: Resource>(
    store: &Store,
    tenant: &str,
    resources: impl IntoIterator<Item = &'a R>,
) -> Result<Sealer> {
    let create = resources.into_iter().any(has_secret_text);
    store.keyring().sealer(tenant, create).await
}

/// Whether any secret text of `resource` is set.
pub(crate) fn has_secret_text<R: Resource>(resource: &R) -> bool {
    let mut copy = resource.clone();
    let mut any = false;
    copy.for_each_secret(&mut |text| any |= !text.is_empty());
    any
}

/// The stored document of `resource` at `name`: a copy with every secret text sealed (values
/// read from the store stay as they are).
pub(crate) fn to_body<R: Resource>(sealer: &Sealer, name: &ResourceName, resource: &R) -> Result<String> {
    let mut copy = resource.clone();
    seal_in_place(sealer, &name.to_string(), &mut copy)?;
    Ok(json::to_json(&copy))
}

fn seal_in_place(sealer: &Sealer, owner: &str, message: &mut impl SecretTexts) -> Result<()> {
    let mut failed = None;
    message.for_each_secret(&mut |text| {
        if failed.is_some() {
            return;
        }
        match sealer.seal(owner, text) {
            Ok(Some(sealed)) => *text = sealed,
            Ok(None) => {}
            Err(e) => failed = Some(e),
        }
    });
    failed.map_or(Ok(()), Err)
}

/// A stored resource with every secret text opened. Not for anything a caller sees.
pub async fn open<R: Resource>(store: &Store, stored: &StoredDocument) -> Result<R> {
    let mut resource: R =
        json::from_json(&stored.body).map_err(|e| Error::internal(&format!("decode stored {}", stored.name), e))?;
    let mut ids = Vec::new();
    resource.for_each_secret(&mut |text| {
        if let Some(id) = sealed::key_id(text).filter(|id| !ids.iter().any(|known: &String| known == id)) {
            ids.push(id.to_owned());
        }
    });
    if !ids.is_empty() {
        let keys = store.keyring().opener(&stored.name.tenant, &ids).await?;
        let owner = stored.name.to_string();
        let mut failed = None;
        resource.for_each_secret(&mut |text| {
            if failed.is_none() && !text.is_empty() {
                match keys.open(&owner, text) {
                    Ok(plain) => *text = plain,
                    Err(e) => failed = Some(e),
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
    }
    resource.set_identity(&stored.name, &stored.meta);
    Ok(resource)
}

/// The kinds of resource that hold secret texts, or may (every stored kind but templates,
/// which are made from scrubbed copies).
pub const SEALED_KINDS: &[ResourceKind] = &[
    ResourceKind::Agent,
    ResourceKind::Tool,
    ResourceKind::McpServer,
    ResourceKind::KnowledgeBase,
    ResourceKind::Document,
    ResourceKind::Secret,
];

/// The task recorded once every plaintext credential is sealed.
const SEAL_PLAINTEXT_TASK: &str = "seal-plaintext-secrets";
/// Resources a pass reads at a time.
const SWEEP_BATCH: u64 = 500;

/// What a pass over the stored resources found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub resources: u64,
    /// Resources holding at least one secret text.
    pub with_secrets: u64,
    /// Secret texts sealed now (plaintext of an earlier release).
    pub sealed_now: u64,
    /// Secret texts opened (a check pass).
    pub opened: u64,
    /// Secret texts still in plaintext (of an earlier release), found by a check pass.
    pub plaintext: u64,
}

/// Seals every plaintext secret text left by a release before encryption at rest, once: a
/// finished pass is recorded and not run again. Safe to run on several replicas at once
/// (each rewrite is conditional on the revision it read; a resource changed meanwhile was
/// sealed by that change).
pub async fn seal_plaintext(store: &Store) -> Result<Option<SweepReport>> {
    if store.task_finished(SEAL_PLAINTEXT_TASK).await? {
        return Ok(None);
    }
    let report = sweep(store, Pass::Seal).await?;
    store.finish_task(SEAL_PLAINTEXT_TASK, crate::domain::clock::now_micros()).await?;
    Ok(Some(report))
}

/// Opens every secret text of every stored resource (after a rotation, say): fails on the
/// first that does not open. Plaintext of an earlier release counts as opened.
pub async fn check_all(store: &Store) -> Result<SweepReport> {
    sweep(store, Pass::Check).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Seal,
    Check,
}

async fn sweep(store: &Store, pass: Pass) -> Result<SweepReport> {
    let mut report = SweepReport::default();
    let mut cursor = SweepCursor::default();
    loop {
        let before = cursor.clone();
        let rows = store.sweep_resources(SEALED_KINDS, &mut cursor, SWEEP_BATCH).await?;
        for row in &rows {
            report.resources += 1;
            match row.name.kind {
                ResourceKind::Agent => visit::<Agent>(store, row, pass, &mut report).await?,
                ResourceKind::Tool => visit::<Tool>(store, row, pass, &mut report).await?,
                ResourceKind::McpServer => visit::<McpServer>(store, row, pass, &mut report).await?,
                ResourceKind::KnowledgeBase => visit::<KnowledgeBase>(store, row, pass, &mut report).await?,
                ResourceKind::Document => visit::<Document>(store, row, pass, &mut report).await?,
                ResourceKind::Secret => visit::<Secret>(store, row, pass, &mut report).await?,
                _ => {}
            }
        }
        if cursor == before {
            return Ok(report);
        }
    }
}

async fn visit<R: Resource>(store: &Store, row: &StoredDocument, pass: Pass, report: &mut SweepReport) -> Result<()> {
    let mut resource: R =
        json::from_json(&row.body).map_err(|e| Error::internal(&format!("decode stored {}", row.name), e))?;
    let (mut texts, mut plaintext) = (0u64, 0u64);
    resource.for_each_secret(&mut |text| {
        if !text.is_empty() {
            texts += 1;
            plaintext += u64::from(!sealed::is_sealed(text));
        }
    });
    if texts == 0 {
        return Ok(());
    }
    report.with_secrets += 1;
    match pass {
        Pass::Check => {
            open::<R>(store, row).await?;
            report.opened += texts - plaintext;
            report.plaintext += plaintext;
        }
        Pass::Seal if plaintext > 0 => {
            let sealer = store.keyring().sealer(&row.name.tenant, true).await?;
            seal_in_place(&sealer, &row.name.to_string(), &mut resource)?;
            if store.reseal(&row.name, row.meta.revision, &json::to_json(&resource)).await? {
                report.sealed_now += plaintext;
            }
        }
        Pass::Seal => {}
    }
    Ok(())
}
