//! Who refers to whom within a tenant: one row per reference from an agent, tool or MCP server
//! to another resource, written with the resource in the same transaction. Deleting a resource
//! in use finds its referrers through the `to` index instead of reading every document; rows of
//! resources stored before this table are filled in by the service once, after migrating.

use sea_orm_migration::prelude::*;

use crate::text_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ResourceRefs {
    Table,
    Tenant,
    FromKind,
    FromId,
    ToKind,
    ToId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResourceRefs::Table)
                    .col(text_key(manager, ColumnDef::new(ResourceRefs::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(ResourceRefs::FromKind).string_len(32).not_null()))
                    .col(text_key(manager, ColumnDef::new(ResourceRefs::FromId).string_len(128).not_null()))
                    .col(text_key(manager, ColumnDef::new(ResourceRefs::ToKind).string_len(32).not_null()))
                    .col(text_key(manager, ColumnDef::new(ResourceRefs::ToId).string_len(128).not_null()))
                    .primary_key(
                        Index::create()
                            .col(ResourceRefs::Tenant)
                            .col(ResourceRefs::FromKind)
                            .col(ResourceRefs::FromId)
                            .col(ResourceRefs::ToKind)
                            .col(ResourceRefs::ToId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("resource_refs_to")
                    .table(ResourceRefs::Table)
                    .col(ResourceRefs::Tenant)
                    .col(ResourceRefs::ToKind)
                    .col(ResourceRefs::ToId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ResourceRefs::Table).to_owned()).await
    }
}
