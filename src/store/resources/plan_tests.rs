//! The lookups of migration 16 use their indexes: the query plans of both databases name them.
//! PostgreSQL is told to avoid sequential scans and sorts, as it would on a large table (on an
//! empty one any plan is as cheap).

use sea_orm::{ConnectionTrait, QueryTrait, Statement, TransactionTrait};

use super::*;
use crate::domain::query::parse_sort;
use crate::domain::query::resources::{AGENT_FIELDS, specs};
use crate::store::Store;
use crate::store::testing::on_each_backend;
use migrations::m20270101_000015_unique_agent_names;
use migrations::m20270102_000016_index_resource_lookups::{CREATED, MODIFIED, UNIQUE_NAME};

async fn plan(store: &Store, select: sea_orm::Select<Entity>) -> String {
    let backend = store.db.get_database_backend();
    let statement = select.build(backend);
    let values = statement.values.map(|v| v.0).unwrap_or_default();
    let txn = store.db.begin().await.unwrap();
    let (explain, column) = match backend {
        DatabaseBackend::Postgres => {
            for setting in ["enable_seqscan", "enable_sort", "enable_bitmapscan"] {
                txn.execute_unprepared(&format!("SET LOCAL {setting} = off")).await.unwrap();
            }
            ("EXPLAIN", 0)
        }
        _ => ("EXPLAIN QUERY PLAN", 3),
    };
    let sql = format!("{explain} {}", statement.sql);
    let rows = txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap();
    rows.iter().map(|row| row.try_get_by_index::<String>(column).unwrap()).collect::<Vec<_>>().join("\n")
}

fn sorted<'a>(sort: &'a [crate::domain::query::SortKey]) -> DocQuery<'a> {
    DocQuery { fields: AGENT_FIELDS, conditions: &[], sort }
}

#[tokio::test]
async fn unique_name_lookups_and_time_sorted_pages_use_their_indexes() {
    on_each_backend(|store| async move {
        let parent = Parent::tenant("plans");
        let named = matching(
            store.db.get_database_backend(),
            ResourceKind::Agent,
            &parent,
            &[unique_name::condition("emerald-emu")],
            &DocQuery::NONE,
        );
        let shown = plan(&store, named).await;
        // PostgreSQL may also take the partial unique index, when its plan knows the kind.
        assert!(shown.contains(UNIQUE_NAME) || shown.contains(m20270101_000015_unique_agent_names::INDEX), "{shown}");

        let page = PageRequest { size: 10, after: None, skip: 20 };
        for (sort, index) in [
            ("metadata.createdAt", CREATED),
            ("metadata.createdAt:desc", CREATED),
            ("metadata.modifiedAt:desc", MODIFIED),
        ] {
            let keys = parse_sort(sort, &specs(AGENT_FIELDS)).unwrap();
            let backend = store.db.get_database_backend();
            let select = page_select(backend, ResourceKind::Agent, &parent, &[], &sorted(&keys), &page);
            let shown = plan(&store, select).await;
            assert!(shown.contains(index), "{sort}: {shown}");
            assert!(!shown.contains("TEMP B-TREE") && !shown.contains("Sort"), "{sort} sorts: {shown}");
        }
    })
    .await;
}
