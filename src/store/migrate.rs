//! Schema migrations, one replica at a time: replicas started together on a fresh database
//! would otherwise all try to create the same tables. PostgreSQL serializes them with an
//! advisory lock held by one session; SQLite with an exclusive lock on a file beside the
//! database (not the database file itself: closing any descriptor of it would drop SQLite's
//! own POSIX locks). Whoever waits finds the migrations applied and has nothing left to do.

use std::path::PathBuf;

use migrations::MigratorTrait;
use sea_orm::DatabaseBackend;

use super::Store;
use crate::error::{Error, Result};

/// The advisory lock key of migrations (any fixed 64-bit number; "agentprt" in ASCII).
const MIGRATION_LOCK: i64 = 0x6167_656e_7470_7274;

impl Store {
    /// Applies every pending migration while holding the migration lock.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend() {
            DatabaseBackend::Postgres => self.migrate_postgres().await,
            _ => self.migrate_sqlite().await,
        }
    }

    async fn migrate_postgres(&self) -> Result<()> {
        use sqlx::Connection;
        // A session of its own, outside the pool: the migrations need the pool's connections.
        let options = self.db.get_postgres_connection_pool().connect_options();
        let mut session =
            sqlx::PgConnection::connect_with(&options).await.map_err(|e| Error::unavailable("migration lock", e))?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut session)
            .await
            .map_err(|e| Error::unavailable("migration lock", e))?;
        let result = self.run_migrations().await;
        // Closing the session releases the lock.
        if let Err(e) = session.close().await {
            tracing::warn!(error = %e, "closing the migration lock session");
        }
        result
    }

    async fn migrate_sqlite(&self) -> Result<()> {
        let Some(path) = self.lock_file() else {
            return self.run_migrations().await;
        };
        let lock = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(|e| Error::internal("migration lock", e))?
        .map_err(|e| Error::internal("migration lock", e))?;
        let result = self.run_migrations().await;
        drop(lock);
        result
    }

    /// Applies what is pending. When the references table is new, or what counts as a
    /// reference grew, fills it from the documents already stored (under the same lock, so
    /// exactly one replica does it).
    async fn run_migrations(&self) -> Result<()> {
        use migrations::MigrationName;
        let pending =
            migrations::Migrator::get_pending_migrations(&self.db).await.map_err(|e| Error::internal("migrate", e))?;
        let refill = [
            migrations::m20261202_000007_create_resource_refs::Migration.name().to_owned(),
            migrations::m20261230_000013_refs_follow_graph_functions::Migration.name().to_owned(),
        ];
        let new_refs = pending.iter().any(|m| refill.iter().any(|name| name == m.name()));
        migrations::Migrator::up(&self.db, None).await.map_err(|e| Error::internal("migrate", e))?;
        if new_refs {
            let filled = super::refs::backfill(&self.db).await?;
            tracing::info!(resources = filled, "resource references filled in");
        }
        Ok(())
    }

    /// `<database>.migrate-lock` beside a SQLite file; none for an in-memory database.
    fn lock_file(&self) -> Option<PathBuf> {
        self.sqlite_file_beside(".migrate-lock")
    }
}
