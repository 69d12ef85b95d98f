//! Indexes for the lookups a large collection makes common:
//! - `uniqueName` of an agent: every xpander create draws a name and checks it is free, and
//!   `filter=uniqueName=...` finds one agent. The store writes the JSON path of a proto field
//!   as a literal (`json_extract(body, '$.uniqueName')`, `body::jsonb ->> 'uniqueName'`), the
//!   same expression as here, so both databases can use the index. (The partial unique index
//!   of migration 15 enforces the rule; its `WHERE` on a literal kind is not provable from a
//!   query that binds the kind, so it does not serve lookups.)
//! - Emporix `sort=metadata.createdAt` / `metadata.modifiedAt` (either direction, then id):
//!   a page walks the index instead of sorting the whole collection.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index names, which tests look for in query plans.
pub const UNIQUE_NAME: &str = "resources_unique_name";
pub const CREATED: &str = "resources_created";
pub const MODIFIED: &str = "resources_modified";

const SQLITE_UNIQUE_NAME: &str =
    "CREATE INDEX resources_unique_name ON resources (tenant, kind, parent, json_extract(body, '$.uniqueName'))";
const POSTGRES_UNIQUE_NAME: &str =
    "CREATE INDEX resources_unique_name ON resources (tenant, kind, parent, (body::jsonb ->> 'uniqueName'))";
const BY_TIME: &[&str] = &[
    "CREATE INDEX resources_created ON resources (tenant, kind, parent, create_time, id)",
    "CREATE INDEX resources_modified ON resources (tenant, kind, parent, update_time, id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let unique_name = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_UNIQUE_NAME,
            _ => SQLITE_UNIQUE_NAME,
        };
        for statement in std::iter::once(&unique_name).chain(BY_TIME) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in [UNIQUE_NAME, CREATED, MODIFIED] {
            manager.get_connection().execute_unprepared(&format!("DROP INDEX {index}")).await?;
        }
        Ok(())
    }
}
