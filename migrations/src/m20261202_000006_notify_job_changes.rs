//! PostgreSQL announces every job change on the `agentport_jobs` channel (payload: the tenant),
//! so `WatchJob` feeds on any replica read only when something changed. SQLite has no such
//! channel; its feed polls.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE OR REPLACE FUNCTION agentport_jobs_notify() RETURNS trigger AS $$ \
             BEGIN PERFORM pg_notify('agentport_jobs', NEW.tenant); RETURN NEW; END; $$ LANGUAGE plpgsql",
        )
        .await?;
        db.execute_unprepared(
            "CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE ON jobs \
             FOR EACH ROW EXECUTE FUNCTION agentport_jobs_notify()",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER IF EXISTS jobs_notify ON jobs").await?;
        db.execute_unprepared("DROP FUNCTION IF EXISTS agentport_jobs_notify()").await?;
        Ok(())
    }
}
