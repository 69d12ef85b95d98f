//! Agents and their components share one tenant-first table: every resource is a JSON
//! document keyed by (tenant, kind, parent, id), so the data can later be distributed by tenant.

use sea_orm_migration::prelude::*;

use crate::text_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Resources {
    Table,
    Tenant,
    Kind,
    Parent,
    Id,
    Revision,
    CreateTime,
    UpdateTime,
    DisplayName,
    Body,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Resources::Table)
                    .col(text_key(manager, ColumnDef::new(Resources::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(Resources::Kind).string_len(32).not_null()))
                    .col(text_key(manager, ColumnDef::new(Resources::Parent).string_len(128).not_null()))
                    .col(text_key(manager, ColumnDef::new(Resources::Id).string_len(128).not_null()))
                    .col(ColumnDef::new(Resources::Revision).big_integer().not_null())
                    .col(ColumnDef::new(Resources::CreateTime).big_integer().not_null())
                    .col(ColumnDef::new(Resources::UpdateTime).big_integer().not_null())
                    .col(text_key(manager, ColumnDef::new(Resources::DisplayName).text().not_null()))
                    .col(ColumnDef::new(Resources::Body).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(Resources::Tenant)
                            .col(Resources::Kind)
                            .col(Resources::Parent)
                            .col(Resources::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Resources::Table).to_owned()).await
    }
}
