//! References now include the custom functions an agent's graph calls (`{type: tool, sub_type:
//! custom_function, item_id}`), attached or not, so that deleting such a function is refused
//! while an agent calls it, and `force` removes the graph item. The schema does not change: once
//! this migration is applied, the service fills in the references of the documents already
//! stored (as after `create_resource_refs`), under the migration lock.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
