//! Exact totals without counting: `resource_counts` holds how many resources each collection
//! (tenant, kind, parent) has, `job_counts` how many jobs each tenant has per type and status.
//! Triggers keep them in the writing transaction itself, so every path that inserts, deletes or
//! changes a job's status (single writes, batched imports, forced deletes with their children,
//! the retention sweep) moves the count with the rows, and a reader sees the count of the rows
//! it sees. The backfill runs in the migration's transaction after the triggers exist.
//!
//! PostgreSQL counts per statement (transition tables: one upsert per collection a statement
//! touches, however many rows it writes), in key order so concurrent writers lock counter rows
//! in the same order; SQLite, one writer at a time, per row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::text_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ResourceCounts {
    Table,
    Tenant,
    Kind,
    Parent,
    N,
}

#[derive(DeriveIden)]
enum JobCounts {
    Table,
    Tenant,
    Type,
    Status,
    N,
}

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER resources_count_insert AFTER INSERT ON resources BEGIN \
     INSERT INTO resource_counts (tenant, kind, parent, n) VALUES (NEW.tenant, NEW.kind, NEW.parent, 1) \
     ON CONFLICT (tenant, kind, parent) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER resources_count_delete AFTER DELETE ON resources BEGIN \
     UPDATE resource_counts SET n = n - 1 \
     WHERE tenant = OLD.tenant AND kind = OLD.kind AND parent = OLD.parent; END",
    "CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN \
     INSERT INTO job_counts (tenant, type, status, n) VALUES (NEW.tenant, NEW.type, NEW.status, 1) \
     ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + 1; END",
    "CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN \
     UPDATE job_counts SET n = n - 1 WHERE tenant = OLD.tenant AND type = OLD.type AND status = OLD.status; END",
    "CREATE TRIGGER jobs_count_update AFTER UPDATE OF status ON jobs WHEN OLD.status <> NEW.status BEGIN \
     UPDATE job_counts SET n = n - 1 WHERE tenant = OLD.tenant AND type = OLD.type AND status = OLD.status; \
     INSERT INTO job_counts (tenant, type, status, n) VALUES (NEW.tenant, NEW.type, NEW.status, 1) \
     ON CONFLICT (tenant, type, status) DO UPDATE SET n = n + 1; END",
];

/// `counts` gains `sign` times the rows of `rows` (a transition table) per key.
fn pg_apply(counts: &str, keys: &str, rows: &str, sign: &str) -> String {
    format!(
        "INSERT INTO {counts} ({keys}, n) SELECT {keys}, {sign} count(*) FROM {rows} GROUP BY {keys} ORDER BY {keys} \
         ON CONFLICT ({keys}) DO UPDATE SET n = {counts}.n + EXCLUDED.n;"
    )
}

fn pg_triggers() -> Vec<String> {
    let mut statements = Vec::new();
    for (table, counts, keys) in
        [("resources", "resource_counts", "tenant, kind, parent"), ("jobs", "job_counts", "tenant, type, status")]
    {
        let function = |event: &str, body: String| {
            format!(
                "CREATE OR REPLACE FUNCTION {counts}_{event}() RETURNS trigger AS $$ \
                 BEGIN {body} RETURN NULL; END; $$ LANGUAGE plpgsql"
            )
        };
        let trigger = |event: &str, when: &str, referencing: &str| {
            format!(
                "CREATE TRIGGER {table}_count_{event} AFTER {when} ON {table} REFERENCING {referencing} \
                 FOR EACH STATEMENT EXECUTE FUNCTION {counts}_{event}()"
            )
        };
        statements.push(function("insert", pg_apply(counts, keys, "new_rows", "")));
        statements.push(trigger("insert", "INSERT", "NEW TABLE AS new_rows"));
        statements.push(function("delete", pg_apply(counts, keys, "old_rows", "-")));
        statements.push(trigger("delete", "DELETE", "OLD TABLE AS old_rows"));
    }
    // A job changes status (never tenant or type) one row at a time, and only forward, so two
    // transactions never take the two counter rows in opposite orders.
    statements.push(
        "CREATE OR REPLACE FUNCTION job_counts_update() RETURNS trigger AS $$ BEGIN \
         UPDATE job_counts SET n = n - 1 WHERE tenant = OLD.tenant AND type = OLD.type AND status = OLD.status; \
         INSERT INTO job_counts (tenant, type, status, n) VALUES (NEW.tenant, NEW.type, NEW.status, 1) \
         ON CONFLICT (tenant, type, status) DO UPDATE SET n = job_counts.n + 1; \
         RETURN NULL; END; $$ LANGUAGE plpgsql"
            .to_owned(),
    );
    statements.push(
        "CREATE TRIGGER jobs_count_update AFTER UPDATE OF status ON jobs FOR EACH ROW \
         WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION job_counts_update()"
            .to_owned(),
    );
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResourceCounts::Table)
                    .col(text_key(manager, ColumnDef::new(ResourceCounts::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(ResourceCounts::Kind).string_len(32).not_null()))
                    .col(text_key(manager, ColumnDef::new(ResourceCounts::Parent).string_len(128).not_null()))
                    .col(ColumnDef::new(ResourceCounts::N).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(ResourceCounts::Tenant)
                            .col(ResourceCounts::Kind)
                            .col(ResourceCounts::Parent),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobCounts::Table)
                    .col(text_key(manager, ColumnDef::new(JobCounts::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(JobCounts::Type).string_len(16).not_null()))
                    .col(text_key(manager, ColumnDef::new(JobCounts::Status).string_len(16).not_null()))
                    .col(ColumnDef::new(JobCounts::N).big_integer().not_null())
                    .primary_key(Index::create().col(JobCounts::Tenant).col(JobCounts::Type).col(JobCounts::Status))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let triggers: Vec<String> = match manager.get_database_backend() {
            DatabaseBackend::Postgres => pg_triggers(),
            _ => SQLITE_TRIGGERS.iter().map(|s| (*s).to_owned()).collect(),
        };
        for statement in triggers {
            db.execute_unprepared(&statement).await?;
        }
        // After the triggers, in the same transaction: no write falls between backfill and trigger.
        db.execute_unprepared(
            "INSERT INTO resource_counts (tenant, kind, parent, n) \
             SELECT tenant, kind, parent, count(*) FROM resources GROUP BY tenant, kind, parent",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO job_counts (tenant, type, status, n) \
             SELECT tenant, type, status, count(*) FROM jobs GROUP BY tenant, type, status",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for trigger in [
            "resources_count_insert ON resources",
            "resources_count_delete ON resources",
            "jobs_count_insert ON jobs",
            "jobs_count_delete ON jobs",
            "jobs_count_update ON jobs",
        ] {
            let statement = match manager.get_database_backend() {
                DatabaseBackend::Postgres => format!("DROP TRIGGER IF EXISTS {trigger}"),
                _ => format!("DROP TRIGGER IF EXISTS {}", trigger.split(' ').next().unwrap_or_default()),
            };
            db.execute_unprepared(&statement).await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for function in ["insert", "delete"]
                .map(|e| format!("resource_counts_{e}"))
                .into_iter()
                .chain(["insert", "delete", "update"].map(|e| format!("job_counts_{e}")))
            {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()")).await?;
            }
        }
        manager.drop_table(Table::drop().table(JobCounts::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ResourceCounts::Table).to_owned()).await
    }
}
