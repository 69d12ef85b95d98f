//! Bundle signing: a tenant's keys (its own signing keys, whose private key is sealed by the
//! tenant's data key, and publishers' public keys it trusts, or knows without trusting) and
//! its signing policy for imports (one row, absent until set).

use sea_orm_migration::prelude::*;

use crate::text_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Tenant,
    Id,
    PublicKey,
    PrivateKey,
    Trusted,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SigningPolicies {
    Table,
    Tenant,
    RequireSigned,
    TrustedOnly,
    Action,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(text_key(manager, ColumnDef::new(SigningKeys::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(SigningKeys::Id).string_len(128).not_null()))
                    .col(ColumnDef::new(SigningKeys::PublicKey).text().not_null())
                    // Sealed PKCS#8 PEM; null for a publisher's key.
                    .col(ColumnDef::new(SigningKeys::PrivateKey).text().null())
                    .col(ColumnDef::new(SigningKeys::Trusted).boolean().not_null())
                    .col(ColumnDef::new(SigningKeys::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(SigningKeys::UpdatedAt).big_integer().not_null())
                    .primary_key(Index::create().col(SigningKeys::Tenant).col(SigningKeys::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SigningPolicies::Table)
                    .col(
                        text_key(manager, ColumnDef::new(SigningPolicies::Tenant).string_len(63).not_null())
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SigningPolicies::RequireSigned).boolean().not_null())
                    .col(ColumnDef::new(SigningPolicies::TrustedOnly).boolean().not_null())
                    .col(ColumnDef::new(SigningPolicies::Action).string_len(16).not_null())
                    .col(ColumnDef::new(SigningPolicies::UpdatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SigningPolicies::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SigningKeys::Table).to_owned()).await
    }
}
