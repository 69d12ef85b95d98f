//! PostgreSQL stores blob chunks out of line without compressing them (`STORAGE EXTERNAL`).
//! Its default (`EXTENDED`) runs pglz over every 1 MiB chunk written and read back, which cost
//! more than the rest of a transfer (a 1 GB bundle streamed at 24 MB/s) and gains nothing on
//! what is already compressed (PDFs, images, archives). Text documents take more disk in
//! exchange. Only chunks written from now on are affected; SQLite never compresses.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTENDED").await?;
        }
        Ok(())
    }
}
