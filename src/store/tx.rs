//! Store access shared by the pool and a transaction: the same operations run on either, so
//! a multi-row change (an import) is one transaction built from the ordinary operations.

use sea_orm::DatabaseTransaction;

use super::batch::{self, NewResource};
use super::blobs::{self, Owner, Staged};
use super::errors::{begin_write, db_error};
use super::{Store, jobs, refs, resources};
use crate::domain::filter::Condition;
use crate::domain::job::JobRecord;
use crate::domain::names::{Parent, ResourceKind, ResourceName};
use crate::domain::page::PageRequest;
use crate::domain::resource::Meta;
use crate::error::Result;

use resources::StoredDocument;

/// An open transaction; dropped without `commit`, it rolls back.
pub struct Tx {
    txn: DatabaseTransaction,
}

impl Store {
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx { txn: begin_write(&self.db, "begin").await? })
    }
}

impl Tx {
    /// Waits until no other transaction imports into `tenant`, and holds that until this one
    /// ends, so parallel imports of one bundle each see the others' writes and apply their
    /// conflict policy instead of colliding on ids. PostgreSQL: a transaction-scoped advisory
    /// lock keyed by the tenant; SQLite: write transactions already run one at a time.
    pub async fn lock_tenant_imports(&self, tenant: &str) -> Result<()> {
        use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
        if self.txn.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let statement = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [lock_key("import", tenant).into()],
        );
        self.txn.execute_raw(statement).await.map(|_| ()).map_err(|e| db_error("lock tenant imports", e))
    }

    #[cfg(test)]
    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub async fn commit(self) -> Result<()> {
        self.txn.commit().await.map_err(|e| db_error("commit", e))
    }

    pub async fn insert_job(&self, job: &JobRecord) -> Result<()> {
        jobs::insert_job(&self.txn, job).await
    }

    pub async fn update_job(&self, job: &JobRecord, expected_version: i64) -> Result<()> {
        jobs::update_job(&self.txn, job, expected_version).await
    }

    pub async fn job_by_request(&self, tenant: &str, request_id: &str) -> Result<Option<JobRecord>> {
        jobs::job_by_request(&self.txn, tenant, request_id).await
    }

    /// See [`blobs::attach`].
    pub async fn attach_blob(&self, staged: &Staged, owner: &Owner, now: i64) -> Result<()> {
        blobs::attach(&self.txn, staged, owner, now).await
    }

    /// See [`blobs::attach_many`].
    pub async fn attach_blobs(&self, items: &[(Staged, Owner)], now: i64) -> Result<()> {
        blobs::attach_many(&self.txn, items, now).await
    }

    /// See [`batch::insert`].
    pub async fn insert_many(&self, rows: &[NewResource], now: i64) -> Result<()> {
        batch::insert(&self.txn, rows, now).await
    }

    /// See [`batch::overwrite`].
    pub async fn overwrite_many(&self, rows: &[NewResource], now: i64) -> Result<()> {
        batch::overwrite(&self.txn, rows, now).await
    }

    /// See [`blobs::add_ref`].
    pub async fn add_blob_ref(&self, tenant: &str, sha256: &str, owner: &Owner) -> Result<()> {
        blobs::add_ref(&self.txn, tenant, sha256, owner).await
    }

    /// See [`blobs::copy_ref`].
    pub async fn copy_blob_ref(
        &self,
        from_tenant: &str,
        sha256: &str,
        to_tenant: &str,
        owner: &Owner,
        now: i64,
    ) -> Result<()> {
        blobs::copy_ref(&self.txn, from_tenant, sha256, to_tenant, owner, now).await
    }

    /// See [`blobs::release_ref`].
    pub async fn release_blob_ref(&self, tenant: &str, sha256: &str, owner: &Owner) -> Result<()> {
        blobs::release_ref(&self.txn, tenant, sha256, owner).await
    }

    /// See [`blobs::release_owner`].
    pub async fn release_blobs(&self, tenant: &str, owner: &Owner) -> Result<()> {
        blobs::release_owner(&self.txn, tenant, owner).await
    }

    /// See [`jobs::finish_claimed_job`].
    pub async fn finish_claimed_job(&self, job: &JobRecord, owner: &str, now: i64) -> Result<bool> {
        jobs::finish_claimed_job(&self.txn, job, owner, now).await
    }
}

/// Resource operations, the same on the pool and in a transaction.
macro_rules! resource_ops {
    ($ty:ty, $field:ident) => {
        impl $ty {
            pub async fn insert(&self, name: &ResourceName, label: &str, body: &str, now: i64) -> Result<Meta> {
                resources::insert(&self.$field, name, label, body, now).await
            }
            pub async fn find_any_tenant(&self, kind: ResourceKind, id: &str) -> Result<Option<StoredDocument>> {
                resources::find_any_tenant(&self.$field, kind, id).await
            }
            /// Which of `ids` name a top-level resource of `kind` in `tenant` (see [`batch::existing`]).
            pub async fn existing(
                &self,
                tenant: &str,
                kind: ResourceKind,
                ids: &[&str],
            ) -> Result<std::collections::HashSet<String>> {
                batch::existing(&self.$field, tenant, kind, ids).await
            }
            pub async fn revisions(
                &self,
                tenant: &str,
                kind: ResourceKind,
                ids: &[&str],
            ) -> Result<std::collections::HashMap<String, i64>> {
                batch::revisions(&self.$field, tenant, kind, ids).await
            }
            pub async fn exists(&self, name: &ResourceName) -> Result<bool> {
                resources::exists(&self.$field, name).await
            }
            pub async fn get(&self, name: &ResourceName) -> Result<StoredDocument> {
                resources::get(&self.$field, name).await
            }
            pub async fn list(
                &self,
                kind: ResourceKind,
                parent: &Parent,
                conditions: &[Condition],
                page: &PageRequest,
            ) -> Result<Vec<StoredDocument>> {
                resources::list(&self.$field, kind, parent, conditions, page).await
            }
            pub async fn get_many(
                &self,
                tenant: &str,
                kind: ResourceKind,
                ids: &[String],
            ) -> Result<Vec<StoredDocument>> {
                resources::get_many(&self.$field, tenant, kind, ids).await
            }
            /// See [`resources::children_page`].
            pub async fn children_page(
                &self,
                tenant: &str,
                kind: ResourceKind,
                parents: &[String],
                after: Option<(String, String)>,
                limit: u64,
            ) -> Result<Vec<StoredDocument>> {
                resources::children_page(&self.$field, tenant, kind, parents, after, limit).await
            }
            /// Up to `limit` resources that refer to `target`, in (kind, id) order after `after`.
            pub async fn referrers(
                &self,
                target: &ResourceName,
                after: Option<(ResourceKind, String)>,
                limit: u64,
            ) -> Result<Vec<(ResourceKind, String)>> {
                refs::referrers(&self.$field, target, after, limit).await
            }
            pub async fn count_referrers(&self, target: &ResourceName) -> Result<u64> {
                refs::count_referrers(&self.$field, target).await
            }
            pub async fn count(&self, kind: ResourceKind, parent: &Parent, conditions: &[Condition]) -> Result<u64> {
                resources::count(&self.$field, kind, parent, conditions).await
            }
            pub async fn list_queried(
                &self,
                kind: ResourceKind,
                parent: &Parent,
                conditions: &[Condition],
                query: &super::doc_query_sql::DocQuery<'_>,
                page: &PageRequest,
            ) -> Result<Vec<StoredDocument>> {
                resources::list_queried(&self.$field, kind, parent, conditions, query, page).await
            }
            pub async fn count_queried(
                &self,
                kind: ResourceKind,
                parent: &Parent,
                conditions: &[Condition],
                query: &super::doc_query_sql::DocQuery<'_>,
            ) -> Result<u64> {
                resources::count_queried(&self.$field, kind, parent, conditions, query).await
            }
            pub async fn list_all(&self, kind: ResourceKind, parent: &Parent) -> Result<Vec<StoredDocument>> {
                resources::list_all(&self.$field, kind, parent).await
            }
            pub async fn count_children_of(
                &self,
                tenant: &str,
                kind: ResourceKind,
                parents: &[String],
            ) -> Result<std::collections::HashMap<String, i64>> {
                resources::count_children_of(&self.$field, tenant, kind, parents).await
            }
            pub async fn count_children(&self, parent: &ResourceName, kind: ResourceKind) -> Result<i64> {
                resources::count_children(&self.$field, parent, kind).await
            }
            pub async fn update(
                &self,
                name: &ResourceName,
                expected_revision: i64,
                label: &str,
                body: &str,
                now: i64,
            ) -> Result<Meta> {
                resources::update(&self.$field, name, expected_revision, label, body, now).await
            }
            pub async fn delete(&self, name: &ResourceName, expected_revision: Option<i64>) -> Result<()> {
                resources::delete(&self.$field, name, expected_revision).await
            }
        }
    };
}

resource_ops!(Store, db);
resource_ops!(Tx, txn);

/// A stable 64-bit advisory lock key for `(purpose, name)`: the first bytes of their SHA-256.
fn lock_key(purpose: &str, name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(purpose).chain_update([0]).chain_update(name).finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}
