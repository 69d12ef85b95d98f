//! `agentport keys generate | rotate | check`, run against the database directly.

use crate::cli::KeysCommand;
use crate::config::Settings;
use crate::service::sealing::{self, SweepReport};
use crate::store::{KeyCensus, Rotation, Store};

/// What a rotation did, and the check after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotated {
    pub master_key_id: String,
    pub rotation: Rotation,
    pub census: KeyCensus,
    pub check: SweepReport,
}

/// Passes a rotation makes at most: a replica still configured with only the old key may
/// add a data key behind the first pass's position; the next pass takes it.
const ROTATION_PASSES: usize = 3;

/// Re-wraps every data key with the configured (new) master key; the data keys wrapped by the
/// previous one must unwrap with it. Replicas keep serving: each holds its tenants' data keys
/// unwrapped, and new or restarted ones accept both keys. Then opens every stored secret.
pub async fn rotate(settings: &Settings) -> Result<Rotated, String> {
    let keys = super::configured_keys(settings)?.ok_or(
        "set the new master key as AGENTPORT_MASTER_KEY_FILE (or AGENTPORT_MASTER_KEY) and the one it replaces \
         as AGENTPORT_MASTER_KEY_PREVIOUS_FILE (or AGENTPORT_MASTER_KEY_PREVIOUS)",
    )?;
    let master_key_id = keys.current.id().to_owned();
    let store = open_store(settings).await?.with_master_keys(Some(keys));
    store.keyring().check().await?;
    let mut rotation = Rotation::default();
    let mut census = KeyCensus::default();
    for _ in 0..ROTATION_PASSES {
        let pass = store.keyring().rotate().await.map_err(|e| e.to_string())?;
        rotation.rewrapped += pass.rewrapped;
        rotation.already = pass.already;
        census = store.keyring().census().await.map_err(|e| e.to_string())?;
        if census.by_master_key.iter().all(|(id, _)| *id == master_key_id) {
            break;
        }
    }
    if let Some((id, n)) = census.by_master_key.iter().find(|(id, _)| *id != master_key_id) {
        return Err(format!(
            "{n} data keys are still wrapped by master key {id}: a replica with only that key is still \
             running; give every replica the new key (and the old one as previous), then rotate again"
        ));
    }
    let check = sealing::check_all(&store).await.map_err(|e| e.to_string())?;
    store.close().await;
    Ok(Rotated { master_key_id, rotation, census, check })
}

async fn open_store(settings: &Settings) -> Result<Store, String> {
    let store = Store::connect(&settings.database_url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(store)
}

pub async fn keys_command(command: &KeysCommand, settings: &Settings) -> Result<(), String> {
    match command {
        KeysCommand::Generate { out } => {
            let key = super::key_file::create(out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            eprintln!("wrote master key {} to {} (mode 0600)", key.id(), out.display());
        }
        KeysCommand::Rotate { .. } => {
            let done = rotate(settings).await?;
            eprintln!(
                "re-wrapped {} data keys with master key {} ({} already were); {} stored credentials \
                 open ({} resources). Now remove the previous key from every replica's configuration.",
                done.rotation.rewrapped,
                done.master_key_id,
                done.rotation.already,
                done.check.opened,
                done.check.with_secrets
            );
        }
        KeysCommand::Check { .. } => {
            let store = open_store(settings).await?;
            let keys = super::master_keys(settings, &store).await?;
            let store = store.with_master_keys(keys);
            let census = store.keyring().check().await?;
            let report = sealing::check_all(&store).await.map_err(|e| e.to_string())?;
            store.close().await;
            let wrapped: Vec<String> =
                census.by_master_key.iter().map(|(id, n)| format!("{n} by master key {id}")).collect();
            eprintln!(
                "data keys: {} ({}); {} stored credentials in {} resources open; {} plaintext credentials \
                 of an earlier release (sealed at the next start)",
                census.total(),
                if wrapped.is_empty() { "none".to_owned() } else { wrapped.join(", ") },
                report.opened,
                report.with_secrets,
                report.plaintext
            );
        }
    }
    Ok(())
}
