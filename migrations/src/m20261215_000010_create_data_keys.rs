//! Data keys for encryption at rest: one per tenant and generation (a tenant's first key is
//! generation 1; the unique index makes replicas that race to create it agree on one), each
//! stored wrapped by a master key and naming it. `store_tasks` records one-time work done on
//! the stored data (sealing the plaintext credentials of earlier releases).

use sea_orm_migration::prelude::*;

use crate::text_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataKeys {
    Table,
    Tenant,
    Id,
    Generation,
    MasterKeyId,
    Wrapped,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StoreTasks {
    Table,
    Name,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataKeys::Table)
                    .col(text_key(manager, ColumnDef::new(DataKeys::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(DataKeys::Id).string_len(32).not_null()))
                    .col(ColumnDef::new(DataKeys::Generation).integer().not_null())
                    .col(ColumnDef::new(DataKeys::MasterKeyId).string_len(16).not_null())
                    .col(ColumnDef::new(DataKeys::Wrapped).text().not_null())
                    .col(ColumnDef::new(DataKeys::CreatedAt).big_integer().not_null())
                    .primary_key(Index::create().col(DataKeys::Tenant).col(DataKeys::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("data_keys_tenant_generation")
                    .table(DataKeys::Table)
                    .col(DataKeys::Tenant)
                    .col(DataKeys::Generation)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StoreTasks::Table)
                    .col(text_key(manager, ColumnDef::new(StoreTasks::Name).string_len(64).not_null()).primary_key())
                    .col(ColumnDef::new(StoreTasks::FinishedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(StoreTasks::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(DataKeys::Table).to_owned()).await
    }
}
