//! The jobs table: the searchable history of exports, imports and agent chats, and the queue
//! the job engine claims background work from.

use sea_orm_migration::prelude::*;

use crate::text_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Tenant,
    Id,
    Type,
    Status,
    AgentType,
    AgentId,
    SessionId,
    Message,
    CommerceEvent,
    Background,
    Attempts,
    Version,
    CreatedAt,
    ModifiedAt,
    ExportResult,
    ImportResult,
    RequestId,
    Payload,
    LeaseOwner,
    LeaseExpiresAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(text_key(manager, ColumnDef::new(Jobs::Tenant).string_len(63).not_null()))
                    .col(text_key(manager, ColumnDef::new(Jobs::Id).string_len(128).not_null()))
                    .col(text_key(manager, ColumnDef::new(Jobs::Type).string_len(16).not_null()))
                    .col(text_key(manager, ColumnDef::new(Jobs::Status).string_len(16).not_null()))
                    .col(text_key(manager, ColumnDef::new(Jobs::AgentType).string_len(32).null()))
                    .col(text_key(manager, ColumnDef::new(Jobs::AgentId).string_len(256).null()))
                    .col(text_key(manager, ColumnDef::new(Jobs::SessionId).string_len(256).null()))
                    .col(text_key(manager, ColumnDef::new(Jobs::Message).text().null()))
                    .col(text_key(manager, ColumnDef::new(Jobs::CommerceEvent).string_len(256).null()))
                    .col(ColumnDef::new(Jobs::Background).boolean().not_null())
                    .col(ColumnDef::new(Jobs::Attempts).integer().not_null())
                    .col(ColumnDef::new(Jobs::Version).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::ModifiedAt).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::ExportResult).text().null())
                    .col(ColumnDef::new(Jobs::ImportResult).text().null())
                    .col(text_key(manager, ColumnDef::new(Jobs::RequestId).string_len(128).null()))
                    .col(ColumnDef::new(Jobs::Payload).text().null())
                    .col(ColumnDef::new(Jobs::LeaseOwner).string_len(128).null())
                    .col(ColumnDef::new(Jobs::LeaseExpiresAt).big_integer().null())
                    .col(ColumnDef::new(Jobs::FinishedAt).big_integer().null())
                    .primary_key(Index::create().col(Jobs::Tenant).col(Jobs::Id))
                    .to_owned(),
            )
            .await?;
        // Default listing: newest first per tenant.
        manager
            .create_index(
                Index::create()
                    .name("jobs_tenant_created")
                    .table(Jobs::Table)
                    .col(Jobs::Tenant)
                    .col(Jobs::CreatedAt)
                    .col(Jobs::Id)
                    .to_owned(),
            )
            .await?;
        // The common search: one type and status, newest first.
        manager
            .create_index(
                Index::create()
                    .name("jobs_tenant_type_status_created")
                    .table(Jobs::Table)
                    .col(Jobs::Tenant)
                    .col(Jobs::Type)
                    .col(Jobs::Status)
                    .col(Jobs::CreatedAt)
                    .col(Jobs::Id)
                    .to_owned(),
            )
            .await?;
        // Chat history per agent.
        manager
            .create_index(
                Index::create()
                    .name("jobs_tenant_agent_created")
                    .table(Jobs::Table)
                    .col(Jobs::Tenant)
                    .col(Jobs::AgentId)
                    .col(Jobs::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // The engine's queue scan and the retention sweep.
        manager
            .create_index(
                Index::create()
                    .name("jobs_status_lease")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::Background)
                    .col(Jobs::LeaseExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("jobs_finished").table(Jobs::Table).col(Jobs::FinishedAt).to_owned())
            .await?;
        // Idempotent imports: one job per tenant and request id (NULLs never collide).
        manager
            .create_index(
                Index::create()
                    .name("jobs_tenant_request")
                    .table(Jobs::Table)
                    .col(Jobs::Tenant)
                    .col(Jobs::RequestId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Jobs::Table).to_owned()).await
    }
}
