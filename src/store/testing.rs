//! Store-level tests run on SQLite always and on PostgreSQL when AGENTPORT_TEST_DATABASE_URL
//! names a server to create a scratch database on.

use std::future::Future;

use sea_orm::{ConnectionTrait, Database};

use super::Store;

/// Runs `check` against a fresh, migrated store of each available backend.
pub async fn on_each_backend<F, Fut>(check: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    check(store).await;

    let admin_url = std::env::var("AGENTPORT_TEST_DATABASE_URL").unwrap_or_default();
    if admin_url.is_empty() {
        return;
    }
    let name = format!("agentport_s_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let url = format!("{}/{name}", admin_url.rsplit_once('/').expect("URL has a path").0);
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    // In a task, so that a failed check still lets the database be dropped below.
    let outcome = tokio::spawn(check(store.clone())).await;
    store.close().await;
    admin.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Counts the statements `store` (and the transactions it begins) runs from now on; BEGIN,
/// SAVEPOINT and COMMIT are not counted. Replaces the store's metrics hook, so call it before
/// cloning the store.
pub fn count_statements(store: &mut Store) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let counter = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = counter.clone();
    store.db.set_metric_callback(move |_| {
        seen.fetch_add(1, Ordering::Relaxed);
    });
    counter
}
