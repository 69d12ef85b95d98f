//! Which master keys a process holds, and the `agentport keys` commands.
//!
//! The keys come from the settings (`AGENTPORT_MASTER_KEY_FILE` or `AGENTPORT_MASTER_KEY`, and
//! during a rotation `AGENTPORT_MASTER_KEY_PREVIOUS_FILE` or `..._PREVIOUS`). With none
//! configured, a SQLite database file gets a key file beside it (`<database>.master-key`,
//! mode 0600), generated on first start, so the embedded default stores no plaintext without
//! any setup; PostgreSQL then runs without a key and refuses to store credentials.

mod command;
mod key_file;

pub use command::{Rotated, keys_command, rotate};

use crate::config::Settings;
use crate::crypto::{MasterKey, MasterKeys};
use crate::store::Store;

/// Suffix of the key file generated beside a SQLite database.
pub const KEY_FILE_SUFFIX: &str = ".master-key";

/// One configured key: the value or the file, not both.
fn configured(
    value: &Option<secrecy::SecretString>,
    file: &Option<std::path::PathBuf>,
    name: &str,
) -> Result<Option<MasterKey>, String> {
    match (value, file) {
        (Some(_), Some(_)) => Err(format!("set {name} or {name}_FILE, not both")),
        (Some(value), None) => MasterKey::from_base64(value, name).map(Some).map_err(|e| e.to_string()),
        (None, Some(path)) => {
            key_file::warn_if_readable_by_others(path);
            MasterKey::from_file(path).map(Some).map_err(|e| e.to_string())
        }
        (None, None) => Ok(None),
    }
}

/// The keys configured in `settings`, if any (no default key file).
pub fn configured_keys(settings: &Settings) -> Result<Option<MasterKeys>, String> {
    let current = configured(&settings.master_key, &settings.master_key_file, "AGENTPORT_MASTER_KEY")?;
    let previous =
        configured(&settings.master_key_previous, &settings.master_key_previous_file, "AGENTPORT_MASTER_KEY_PREVIOUS")?;
    match (current, previous) {
        (Some(current), previous) => Ok(Some(MasterKeys::new(current, previous))),
        (None, Some(_)) => {
            Err("AGENTPORT_MASTER_KEY_PREVIOUS needs the new key as AGENTPORT_MASTER_KEY (or _FILE)".into())
        }
        (None, None) => Ok(None),
    }
}

/// The master keys for `store`: the configured ones, or for a SQLite database the key file
/// beside it (generated when missing, unless the database already holds data keys, which
/// only the lost key could open).
pub async fn master_keys(settings: &Settings, store: &Store) -> Result<Option<MasterKeys>, String> {
    if let Some(keys) = configured_keys(settings)? {
        return Ok(Some(keys));
    }
    if let Some(path) = store.sqlite_file_beside(KEY_FILE_SUFFIX) {
        if path.exists() {
            key_file::warn_if_readable_by_others(&path);
            return MasterKey::from_file(&path).map(|k| Some(MasterKeys::new(k, None))).map_err(|e| e.to_string());
        }
        let census = store.keyring().census().await.map_err(|e| e.to_string())?;
        if census.total() > 0 {
            return Err(format!(
                "the database holds {} data keys, but no master key is configured and the key file {} \
                 is missing: restore it, or set AGENTPORT_MASTER_KEY_FILE to the key that wrapped them",
                census.total(),
                path.display()
            ));
        }
        let key = key_file::create_or_read(&path)?;
        return Ok(Some(MasterKeys::new(key, None)));
    }
    if store.backend() == sea_orm::DatabaseBackend::Sqlite {
        // An in-memory database ends with the process; so may its key.
        return Ok(Some(MasterKeys::new(MasterKey::generate(), None)));
    }
    tracing::warn!("no master key configured (AGENTPORT_MASTER_KEY_FILE): credentials cannot be stored until one is");
    Ok(None)
}
