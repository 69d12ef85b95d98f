//! Schema migrations, applied in order by `agentport migrate` and at `serve` start.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_resources;
mod m20261122_000002_create_jobs;
mod m20261122_000003_index_resources_by_id;
mod m20261122_000004_create_api_keys;
mod m20261123_000005_add_job_trace_parent;
mod m20261202_000006_notify_job_changes;
pub mod m20261202_000007_create_resource_refs;
mod m20261202_000008_create_blobs;
mod m20261202_000009_documents_into_blobs;
mod m20261215_000010_create_data_keys;
mod m20261220_000011_create_signing;
pub mod m20261230_000013_refs_follow_graph_functions;
mod m20261231_000014_create_counts;
pub mod m20270101_000015_unique_agent_names;
pub mod m20270102_000016_index_resource_lookups;
mod m20270103_000017_blob_chunks_uncompressed;

pub struct Migrator;

/// Text keys compare and sort by bytes on every backend: PostgreSQL gets `COLLATE "C"` (SQLite's
/// default order), so queries, sorting and paging give identical results on both.
pub(crate) fn text_key<'a>(manager: &SchemaManager, column: &'a mut ColumnDef) -> &'a mut ColumnDef {
    if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
        column.extra("COLLATE \"C\"");
    }
    column
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_resources::Migration),
            Box::new(m20261122_000002_create_jobs::Migration),
            Box::new(m20261122_000003_index_resources_by_id::Migration),
            Box::new(m20261122_000004_create_api_keys::Migration),
            Box::new(m20261123_000005_add_job_trace_parent::Migration),
            Box::new(m20261202_000006_notify_job_changes::Migration),
            Box::new(m20261202_000007_create_resource_refs::Migration),
            Box::new(m20261202_000008_create_blobs::Migration),
            Box::new(m20261202_000009_documents_into_blobs::Migration),
            Box::new(m20261215_000010_create_data_keys::Migration),
            Box::new(m20261220_000011_create_signing::Migration),
            Box::new(m20261230_000013_refs_follow_graph_functions::Migration),
            Box::new(m20261231_000014_create_counts::Migration),
            Box::new(m20270101_000015_unique_agent_names::Migration),
            Box::new(m20270102_000016_index_resource_lookups::Migration),
            Box::new(m20270103_000017_blob_chunks_uncompressed::Migration),
        ]
    }
}
