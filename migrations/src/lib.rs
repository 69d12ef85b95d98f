//! Schema migrations, applied in order by `agentport migrate` and at `serve` start.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_resources;
mod m20261122_000002_create_jobs;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_resources::Migration),
            Box::new(m20261122_000002_create_jobs::Migration),
        ]
    }
}
