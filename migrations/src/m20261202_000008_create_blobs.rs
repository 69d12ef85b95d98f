//! The blob store: large content (document bytes, bundles) kept apart from the resource rows,
//! content-addressed per tenant by SHA-256 and stored as ordered chunks of bounded size.
//!
//! - `blob_uploads`: uploads in progress (staging); their chunks are swept after a grace period
//!   when the upload is never finished.
//! - `blobs`: finished blobs, one per tenant and SHA-256, naming the upload whose chunks hold
//!   the bytes.
//! - `blob_chunks`: the bytes, keyed by upload id and position.
//! - `blob_refs`: who uses a blob (a resource, a job); the last reference gone frees the bytes.

use sea_orm_migration::prelude::*;

use crate::text_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BlobUploads {
    Table,
    Tenant,
    Id,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Blobs {
    Table,
    Tenant,
    Sha256,
    Id,
    Size,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BlobChunks {
    Table,
    Tenant,
    BlobId,
    Seq,
    Data,
}

#[derive(DeriveIden)]
enum BlobRefs {
    Table,
    Tenant,
    OwnerKind,
    OwnerId,
    Sha256,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BlobUploads::Table)
                    .col(text_key(manager, ColumnDef::new(BlobUploads::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(BlobUploads::Id).string_len(36).not_null()))
                    .col(ColumnDef::new(BlobUploads::CreatedAt).big_integer().not_null())
                    .primary_key(Index::create().col(BlobUploads::Tenant).col(BlobUploads::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("blob_uploads_created")
                    .table(BlobUploads::Table)
                    .col(BlobUploads::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Blobs::Table)
                    .col(text_key(manager, ColumnDef::new(Blobs::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(Blobs::Sha256).string_len(64).not_null()))
                    .col(text_key(manager, ColumnDef::new(Blobs::Id).string_len(36).not_null()))
                    .col(ColumnDef::new(Blobs::Size).big_integer().not_null())
                    .col(ColumnDef::new(Blobs::CreatedAt).big_integer().not_null())
                    .primary_key(Index::create().col(Blobs::Tenant).col(Blobs::Sha256))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BlobChunks::Table)
                    .col(text_key(manager, ColumnDef::new(BlobChunks::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(BlobChunks::BlobId).string_len(36).not_null()))
                    .col(ColumnDef::new(BlobChunks::Seq).integer().not_null())
                    .col(ColumnDef::new(BlobChunks::Data).blob().not_null())
                    .primary_key(Index::create().col(BlobChunks::Tenant).col(BlobChunks::BlobId).col(BlobChunks::Seq))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BlobRefs::Table)
                    .col(text_key(manager, ColumnDef::new(BlobRefs::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(BlobRefs::OwnerKind).string_len(16).not_null()))
                    .col(text_key(manager, ColumnDef::new(BlobRefs::OwnerId).string_len(400).not_null()))
                    .col(text_key(manager, ColumnDef::new(BlobRefs::Sha256).string_len(64).not_null()))
                    .primary_key(
                        Index::create()
                            .col(BlobRefs::Tenant)
                            .col(BlobRefs::OwnerKind)
                            .col(BlobRefs::OwnerId)
                            .col(BlobRefs::Sha256),
                    )
                    .to_owned(),
            )
            .await?;
        // Freeing asks whether any reference to a blob is left.
        manager
            .create_index(
                Index::create()
                    .name("blob_refs_blob")
                    .table(BlobRefs::Table)
                    .col(BlobRefs::Tenant)
                    .col(BlobRefs::Sha256)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            BlobRefs::Table.into_iden(),
            BlobChunks::Table.into_iden(),
            Blobs::Table.into_iden(),
            BlobUploads::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
