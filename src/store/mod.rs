//! Persistence: SeaORM over SQLite or PostgreSQL. The only module that knows SQL; it speaks
//! domain types (names, metas, conditions) and stores each resource as a JSON document.

mod api_keys;
pub(crate) mod batch;
pub mod blobs;
mod counts;
pub mod doc_query_sql;
pub(crate) mod entity;
mod errors;
mod job_changes;
mod jobs;
mod keyring;
mod migrate;
mod ops;
mod pg_binding;
mod pool;
pub mod query_sql;
mod refs;
mod resources;
mod signing;
mod sweep;
mod tasks;
#[cfg(test)]
pub(crate) mod testing;
mod tx;

pub use api_keys::ApiKeyRecord;
pub use batch::NewResource;
pub use blobs::{CHUNK_BYTES, Owner, Staged, Upload, UploadBehind};
pub use job_changes::JobChanges;
pub use keyring::{KeyCensus, Keyring, Rotation, Sealer, TenantKeys};
pub use pool::PoolSettings;
pub use resources::StoredDocument;
pub use signing::{SigningKeyRecord, key_name as signing_key_name};
pub use sweep::SweepCursor;
pub use tx::Tx;

use std::sync::Arc;

use sea_orm::{DatabaseBackend, DatabaseConnection};

use crate::error::{Error, Result};

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    keyring: Arc<Keyring>,
}

impl Store {
    /// Connects with the default pool; a SQLite file is created when missing.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, PoolSettings::default()).await
    }

    /// Connects; every connection stops its statement when the call that runs it ends.
    pub async fn connect_with(url: &str, settings: PoolSettings) -> Result<Self> {
        let mut db = pool::connect(&sqlite_create_mode(url), settings).await?;
        ops::observe_statements(&mut db);
        let keyring = Arc::new(Keyring::new(db.clone(), None));
        Ok(Self { db, keyring })
    }

    /// This store with the master keys that unwrap its data keys (checked by
    /// [`Keyring::check`], not here).
    pub fn with_master_keys(mut self, keys: Option<crate::crypto::MasterKeys>) -> Self {
        self.keyring = Arc::new(Keyring::new(self.db.clone(), keys));
        self
    }

    /// The tenants' data keys.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Succeeds while the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await.map_err(|e| Error::unavailable("ping", e))
    }

    /// Testing only: runs a statement that takes minutes unless its call's end stops it.
    pub async fn stall(&self) -> Result<()> {
        use sea_orm::ConnectionTrait;
        let sql = match self.backend() {
            DatabaseBackend::Postgres => "SELECT pg_sleep(600)",
            _ => {
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000000) \
                 SELECT count(*) FROM n"
            }
        };
        self.db.execute_unprepared(sql).await.map(|_| ()).map_err(|e| errors::db_error("stall", e))
    }

    /// `<database file><suffix>`, beside a SQLite file; none for an in-memory database or
    /// another backend.
    pub fn sqlite_file_beside(&self, suffix: &str) -> Option<std::path::PathBuf> {
        if self.backend() != DatabaseBackend::Sqlite {
            return None;
        }
        let options = self.db.get_sqlite_connection_pool().connect_options();
        let file = options.get_filename();
        let text = file.to_string_lossy();
        if text.is_empty() || text == ":memory:" {
            return None;
        }
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        Some(std::path::PathBuf::from(name))
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    /// The raw connection, for store-level tests.
    #[cfg(test)]
    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn close(self) {
        let _ = self.db.close().await;
    }
}

/// `sqlite://path` opens read-write and creates the file (`mode=rwc`) unless a mode is given.
fn sqlite_create_mode(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains("mode=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_owned()
    }
}
