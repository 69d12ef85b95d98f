//! Persistence: SeaORM over SQLite or PostgreSQL. The only module that knows SQL; it speaks
//! domain types (names, metas, conditions) and stores each resource as a JSON document.

mod api_keys;
pub(crate) mod batch;
pub mod blobs;
pub(crate) mod entity;
mod errors;
mod job_changes;
mod jobs;
mod migrate;
mod ops;
mod pool;
pub mod query_sql;
mod refs;
mod resources;
#[cfg(test)]
pub(crate) mod testing;
mod tx;

pub use api_keys::ApiKeyRecord;
pub use batch::NewResource;
pub use blobs::{CHUNK_BYTES, Owner, Staged, Upload};
pub use job_changes::JobChanges;
pub use pool::PoolSettings;
pub use resources::StoredDocument;
pub use tx::Tx;

use sea_orm::{DatabaseBackend, DatabaseConnection};

use crate::error::{Error, Result};

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
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
        Ok(Self { db })
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
