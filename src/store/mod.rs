//! Persistence: SeaORM over SQLite or PostgreSQL. The only module that knows SQL; it speaks
//! domain types (names, metas, conditions) and stores each resource as a JSON document.

mod api_keys;
pub(crate) mod entity;
mod errors;
mod jobs;
pub mod query_sql;
mod refs;
mod resources;
mod tx;

pub use api_keys::ApiKeyRecord;
pub use resources::StoredDocument;
pub use tx::Tx;

use std::time::Duration;

use migrations::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection};

use crate::error::{Error, Result};

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects; a SQLite file is created when missing.
    pub async fn connect(url: &str) -> Result<Self> {
        let url = sqlite_create_mode(url);
        let mut options = ConnectOptions::new(url.clone());
        options.sqlx_logging(false).connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(5));
        if url.starts_with("sqlite:") {
            // One writer at a time is SQLite's rule; a small pool avoids lock churn.
            options.max_connections(4).min_connections(1);
            // `q` regexes compile to `col REGEXP ?`; SQLite needs the function on each connection.
            options.map_sqlx_sqlite_opts(|opts| opts.with_regexp());
        }
        let db = Database::connect(options).await.map_err(|e| Error::unavailable("connect", e))?;
        if db.get_database_backend() == DatabaseBackend::Sqlite {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=5000", "PRAGMA foreign_keys=ON"] {
                db.execute_unprepared(pragma).await.map_err(|e| Error::internal("sqlite pragma", e))?;
            }
        }
        Ok(Self { db })
    }

    /// Applies every pending migration. When the references table is new, fills it from the
    /// documents already stored.
    pub async fn migrate(&self) -> Result<()> {
        use migrations::MigrationName;
        let pending =
            migrations::Migrator::get_pending_migrations(&self.db).await.map_err(|e| Error::internal("migrate", e))?;
        let refs_name = migrations::m20261201_000010_create_resource_refs::Migration.name().to_owned();
        let new_refs = pending.iter().any(|m| m.name() == refs_name);
        migrations::Migrator::up(&self.db, None).await.map_err(|e| Error::internal("migrate", e))?;
        if new_refs {
            let filled = refs::backfill(&self.db).await?;
            tracing::info!(resources = filled, "resource references filled in");
        }
        Ok(())
    }

    /// Succeeds while the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await.map_err(|e| Error::unavailable("ping", e))
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
