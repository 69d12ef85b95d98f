//! API keys: each bound to one tenant and a set of scopes; only the secret's hash is kept.

use sea_orm_migration::prelude::*;

use crate::text_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Tenant,
    Id,
    KeyHash,
    Scopes,
    Description,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(text_key(manager, ColumnDef::new(ApiKeys::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(ApiKeys::Id).string_len(32).not_null()))
                    .col(ColumnDef::new(ApiKeys::KeyHash).string_len(64).not_null())
                    .col(ColumnDef::new(ApiKeys::Scopes).text().not_null())
                    .col(ColumnDef::new(ApiKeys::Description).text().not_null())
                    .col(ColumnDef::new(ApiKeys::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(ApiKeys::RevokedAt).big_integer().null())
                    .primary_key(Index::create().col(ApiKeys::Tenant).col(ApiKeys::Id))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ApiKeys::Table).to_owned()).await
    }
}
