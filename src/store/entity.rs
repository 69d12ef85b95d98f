//! The `resources` table: one JSON document per resource, keyed tenant-first.

pub mod resource {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "resources")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub parent: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub revision: i64,
        pub create_time: i64,
        pub update_time: i64,
        #[sea_orm(column_type = "Text")]
        pub display_name: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod job {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// `IMPORT`, `EXPORT`, `AGENT_CHAT`.
        pub r#type: String,
        /// `in_progress`, `success`, `failure`, `skipped`.
        pub status: String,
        pub agent_type: Option<String>,
        pub agent_id: Option<String>,
        pub session_id: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub message: Option<String>,
        pub commerce_event: Option<String>,
        pub background: bool,
        pub attempts: i32,
        pub version: i64,
        /// Microseconds since the Unix epoch.
        pub created_at: i64,
        pub modified_at: i64,
        /// Proto3 JSON of `ExportResult`.
        #[sea_orm(column_type = "Text", nullable)]
        pub export_result: Option<String>,
        /// Proto3 JSON of `ImportResult`.
        #[sea_orm(column_type = "Text", nullable)]
        pub import_result: Option<String>,
        pub request_id: Option<String>,
        /// Input of a background job, as JSON.
        #[sea_orm(column_type = "Text", nullable)]
        pub payload: Option<String>,
        pub lease_owner: Option<String>,
        pub lease_expires_at: Option<i64>,
        pub finished_at: Option<i64>,
        /// W3C `traceparent` of the call that queued a background job.
        pub trace_parent: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Hex SHA-256 of the key's secret part.
        pub key_hash: String,
        /// Space-separated scopes.
        #[sea_orm(column_type = "Text")]
        pub scopes: String,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub created_at: i64,
        pub revoked_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod resource_ref {
    use sea_orm::entity::prelude::*;

    /// One reference of a resource (`from`) to another of the same tenant (`to`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "resource_refs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub from_kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub from_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub to_kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub to_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod data_key {
    use sea_orm::entity::prelude::*;

    /// A tenant's data key, wrapped by the master key `master_key_id` names.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "data_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// 1 for a tenant's first key; unique per tenant.
        pub generation: i32,
        pub master_key_id: String,
        /// Base64 of `nonce || ciphertext`.
        #[sea_orm(column_type = "Text")]
        pub wrapped: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod store_task {
    use sea_orm::entity::prelude::*;

    /// One-time work on the stored data, recorded once finished.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "store_tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub finished_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod signing_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// SPKI PEM.
        #[sea_orm(column_type = "Text")]
        pub public_key: String,
        /// Sealed PKCS#8 PEM of the tenant's own keys; `None` for a publisher's key.
        #[sea_orm(column_type = "Text", nullable)]
        pub private_key: Option<String>,
        pub trusted: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod signing_policy {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_policies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        pub require_signed: bool,
        pub trusted_only: bool,
        /// `refuse` or `hold`.
        pub action: String,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
