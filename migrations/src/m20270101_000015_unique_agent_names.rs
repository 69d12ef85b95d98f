//! An agent's `uniqueName` is unique among the agents of its organization (tenant and
//! parent): a partial unique index on the JSON path closes the race two creates drawing the
//! same name would otherwise win together (the service's check reads before it writes). The
//! same expression serves the `uniqueName` filter.
//!
//! Rows that already share a name (only that race could make them) keep it on the oldest
//! agent; the others get their id appended, so the index can be built.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index name; the store names the violation after it.
pub const INDEX: &str = "resources_agent_unique_name";

const SQLITE: &[&str] = &[
    "UPDATE resources SET body = json_set(body, '$.uniqueName', json_extract(body, '$.uniqueName') || '-' || id) \
     WHERE kind = 'agent' AND COALESCE(json_extract(body, '$.uniqueName'), '') <> '' AND EXISTS ( \
       SELECT 1 FROM resources AS older WHERE older.kind = 'agent' AND older.tenant = resources.tenant \
       AND older.parent = resources.parent \
       AND json_extract(older.body, '$.uniqueName') = json_extract(resources.body, '$.uniqueName') \
       AND (older.create_time, older.id) < (resources.create_time, resources.id))",
    "CREATE UNIQUE INDEX resources_agent_unique_name ON resources \
     (tenant, parent, json_extract(body, '$.uniqueName')) \
     WHERE kind = 'agent' AND json_extract(body, '$.uniqueName') <> ''",
];

const POSTGRES: &[&str] = &[
    "UPDATE resources SET body = jsonb_set(body::jsonb, '{uniqueName}', \
       to_jsonb((body::jsonb ->> 'uniqueName') || '-' || id))::text \
     WHERE kind = 'agent' AND COALESCE(body::jsonb ->> 'uniqueName', '') <> '' AND EXISTS ( \
       SELECT 1 FROM resources AS older WHERE older.kind = 'agent' AND older.tenant = resources.tenant \
       AND older.parent = resources.parent \
       AND (older.body::jsonb ->> 'uniqueName') = (resources.body::jsonb ->> 'uniqueName') \
       AND (older.create_time, older.id) < (resources.create_time, resources.id))",
    "CREATE UNIQUE INDEX resources_agent_unique_name ON resources \
     (tenant, parent, (body::jsonb ->> 'uniqueName')) \
     WHERE kind = 'agent' AND (body::jsonb ->> 'uniqueName') <> ''",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for statement in statements {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(&format!("DROP INDEX {INDEX}")).await?;
        Ok(())
    }
}
