//! Ties each PostgreSQL connection to the call that holds it, without a round trip of its own
//! in the usual case.
//!
//! What the pool promises a call: its statements stop by its deadline (`statement_timeout`),
//! and when it is dropped early the statement it left running is cancelled on exactly its own
//! backend (`pg_cancel_backend`), so the connection is free at once and is never handed to the
//! next call while that cancel may still land. Kept without extra round trips:
//! - `statement_timeout` is a session setting, so each connection remembers the value it has.
//!   A checkout sets it again only when that value could let a statement outlive the call, or
//!   stop it more than 1/16 of the call's remaining time early. The value set is the remaining
//!   time rounded down to a power-of-two step of at most 1/16 of it, so the next calls of the
//!   same deadline find it already set. The price: a statement may be stopped up to 1/16 of its
//!   call's remaining time before the deadline (the call then fails DEADLINE_EXCEEDED, see
//!   [`may_stop_early`]); never after it.
//! - The backend pid that a cancel names is learned once, in the connection's first round trip.
//! - Only a connection given back after a dropped call is drained of its stopped statement's
//!   error before it rejoins the pool; after a normal call there is nothing to read.
//!
//! So a normal call costs its own statements' round trips, plus the ping sqlx itself sends for
//! every connection given back (sqlx 0.9 cannot be told not to; it runs after the call's
//! answer, off its path).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use sqlx::postgres::{PgConnection, PgPool};

use crate::call_scope::CallScope;

/// At most this share (1/N) of a call's remaining time may be cut off its statements.
const EARLY_STOP_FRACTION: u64 = 16;
/// Connections remembered before the record of closed ones is dropped (the open ones then
/// learn their backend again, one round trip each).
const SESSIONS_KEPT: usize = 1024;

/// Which call holds each PostgreSQL backend, and what each open connection has set.
#[derive(Clone)]
pub(super) struct Bindings {
    state: Arc<Mutex<State>>,
    /// A separate small pool for the cancel requests: the main one may be full.
    control: PgPool,
    /// Statements the binding itself sent (learning the pid, setting the timeout).
    round_trips: Arc<AtomicUsize>,
}

#[derive(Default)]
struct State {
    /// Each open connection, by [`connection_key`].
    sessions: HashMap<usize, Session>,
    /// Which call holds each backend, by pid.
    owners: HashMap<i32, Owner>,
}

#[derive(Debug, Clone, Copy)]
struct Session {
    pid: i32,
    /// The `statement_timeout` the backend has, in ms (0: none).
    timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Call(u64),
    /// A cancel request for this backend is on its way; it must not take new work yet.
    Cancelling,
}

impl Bindings {
    pub(super) fn new(control: PgPool) -> Self {
        Self { state: Arc::default(), control, round_trips: Arc::default() }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new connection: learns its backend and sets its timeout in one round trip, and binds
    /// it to the call that opened it (the pool hands a new connection out without
    /// `before_acquire`).
    pub(super) async fn open(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let scope = CallScope::current();
        let timeout_ms = timeout_to_set(None, scope.as_deref()).unwrap_or(0);
        let pid = self.learn(conn, timeout_ms).await?;
        if !self.own(pid, scope) {
            // The pid of an exited backend whose cancel is still on its way, reused: that
            // cancel could stop this one's first statement. The pool connects again instead.
            return Err(sqlx::Error::Protocol(format!("backend {pid} is still being cancelled")));
        }
        Ok(())
    }

    /// A connection handed out again: binds it to the acquiring call, setting the timeout only
    /// when the one it has does not fit that call. False (discard this connection) while a
    /// cancel for it may still arrive.
    pub(super) async fn bind(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        let scope = CallScope::current();
        let key = connection_key(conn);
        let known = self.state().sessions.get(&key).copied();
        let pid = match known {
            None => {
                let timeout_ms = timeout_to_set(None, scope.as_deref()).unwrap_or(0);
                self.learn(conn, timeout_ms).await?
            }
            Some(session) => {
                if self.state().owners.get(&session.pid) == Some(&Owner::Cancelling) {
                    return Ok(false);
                }
                if let Some(timeout_ms) = timeout_to_set(Some(session.timeout_ms), scope.as_deref()) {
                    self.round_trips.fetch_add(1, Ordering::Relaxed);
                    sqlx::query("SELECT set_config('statement_timeout', $1, false)")
                        .bind(timeout_ms.to_string())
                        .execute(&mut *conn)
                        .await?;
                    self.state().sessions.insert(key, Session { timeout_ms, ..session });
                }
                session.pid
            }
        };
        Ok(self.own(pid, scope))
    }

    /// A connection given back: drains what a dropped call left on it (the stopped statement's
    /// error), so sqlx's own check on release does not see that error and close it. After a
    /// normal call there is nothing to read and nothing is sent. False: close it.
    pub(super) async fn release(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        let cancelled = {
            let state = self.state();
            match state.sessions.get(&connection_key(conn)) {
                Some(session) => state.owners.get(&session.pid) == Some(&Owner::Cancelling),
                None => true,
            }
        };
        if !cancelled {
            return Ok(true);
        }
        use sqlx::Connection;
        for _ in 0..3 {
            if conn.ping().await.is_ok() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Asks the backend its pid and sets its timeout, in one round trip, and records both.
    async fn learn(&self, conn: &mut PgConnection, timeout_ms: u64) -> Result<i32, sqlx::Error> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let (pid, _): (i32, String) =
            sqlx::query_as("SELECT pg_backend_pid(), set_config('statement_timeout', $1, false)")
                .bind(timeout_ms.to_string())
                .fetch_one(&mut *conn)
                .await?;
        let mut state = self.state();
        if state.sessions.len() >= SESSIONS_KEPT {
            state.sessions.clear();
        }
        state.sessions.insert(connection_key(conn), Session { pid, timeout_ms });
        Ok(pid)
    }

    /// Records `scope`'s call as the holder of backend `pid`, to be cancelled if it is dropped.
    /// False while a cancel for the backend may still arrive. One lock for the look and the
    /// record, so a cancel for the previous holder cannot slip in between and hit this call.
    fn own(&self, pid: i32, scope: Option<Arc<CallScope>>) -> bool {
        let mut state = self.state();
        if state.owners.get(&pid) == Some(&Owner::Cancelling) {
            return false;
        }
        let Some(scope) = scope else {
            state.owners.remove(&pid);
            return true;
        };
        state.owners.insert(pid, Owner::Call(scope.id()));
        drop(state);
        let (bindings, call) = (self.clone(), scope.id());
        scope.on_cancel(move || bindings.cancel(pid, call));
        true
    }

    /// Cancels whatever backend `pid` runs if `call` still holds it. A backend that went back
    /// to idle ignores the request (PostgreSQL drops cancels that arrive between commands).
    fn cancel(&self, pid: i32, call: u64) {
        {
            let mut state = self.state();
            if state.owners.get(&pid) != Some(&Owner::Call(call)) {
                return;
            }
            state.owners.insert(pid, Owner::Cancelling);
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let this = self.clone();
        runtime.spawn(async move {
            let sent = sqlx::query("SELECT pg_cancel_backend($1)").bind(pid).execute(&this.control).await;
            if let Err(e) = sent {
                tracing::warn!(pid, error = %e, "could not cancel the statement of a dropped call");
            }
            this.state().owners.remove(&pid);
        });
    }
}

/// The `statement_timeout` (ms) a connection that has `set` (`None`: unknown) needs for the
/// call `scope`: `None` when `set` serves it (never past the call's deadline, at most 1/16 of
/// its remaining time before it), else the value to set.
fn timeout_to_set(set: Option<u64>, scope: Option<&CallScope>) -> Option<u64> {
    let Some(scope) = scope else {
        // 0 disables the timeout: work outside a call is bounded by its own logic.
        return (set != Some(0)).then_some(0);
    };
    // PostgreSQL takes at most i32::MAX ms; lower is always allowed.
    let remaining = u64::try_from(scope.remaining().as_millis()).unwrap_or(u64::MAX).min(i32::MAX as u64);
    match set {
        Some(t) if t != 0 && t <= remaining && remaining - t <= remaining / EARLY_STOP_FRACTION => None,
        _ => Some(rounded_down(remaining)),
    }
}

/// `remaining` rounded down to a power-of-two step of at most 1/16 of it, so that calls whose
/// deadlines differ by little get the same value; at least 1 ms (0 would mean no timeout).
fn rounded_down(remaining_ms: u64) -> u64 {
    let step = match remaining_ms / EARLY_STOP_FRACTION {
        0 => 1,
        n => 1 << n.ilog2(),
    };
    (remaining_ms - remaining_ms % step).max(1)
}

/// Whether a statement of `scope`'s call stopped by PostgreSQL (query_canceled) may have been
/// stopped by the rounded-down `statement_timeout` rather than by a cancel: the call is within
/// the share of its time that the rounding may cut off.
pub(super) fn may_stop_early(scope: &CallScope) -> bool {
    scope.remaining() <= scope.timeout() / EARLY_STOP_FRACTION as u32
}

/// Identifies an open connection for as long as it is open: the address of the block that
/// holds its state. sqlx 0.9 gives a connection no id and keeps its backend pid private, and
/// the `&mut PgConnection` the pool's hooks receive points into the pool's idle queue, so it
/// moves; the block it owns does not.
fn connection_key(conn: &PgConnection) -> usize {
    const _: () = assert!(
        size_of::<PgConnection>() == size_of::<*const u8>(),
        "PgConnection is no longer one boxed pointer: connection_key must change"
    );
    // SAFETY: in sqlx-postgres 0.9 (pinned by Cargo.lock) `PgConnection` is
    // `struct { inner: Box<PgConnectionInner> }`; the assertion above holds only while it is one
    // pointer wide, so its bytes are that box's pointer, which is only read as an address here,
    // never dereferenced. `each_connection_knows_its_own_backend` checks the pids found this way.
    let block: *const u8 = unsafe { std::ptr::read((conn as *const PgConnection).cast::<*const u8>()) };
    block.addr()
}

#[cfg(test)]
impl Bindings {
    fn round_trips(&self) -> usize {
        self.round_trips.load(Ordering::Relaxed)
    }

    fn pid_of(&self, conn: &PgConnection) -> Option<i32> {
        self.state().sessions.get(&connection_key(conn)).map(|s| s.pid)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use sqlx::AssertSqlSafe;
    use sqlx::postgres::PgPoolOptions;

    use super::*;
    use crate::store::pool::postgres_pool;

    #[test]
    fn the_timeout_is_never_past_the_deadline_and_at_most_a_sixteenth_before() {
        for remaining in [0, 1, 2, 15, 16, 17, 31, 100, 299, 300, 1_000, 29_999, 30_000, 120_000, 1 << 40] {
            let t = rounded_down(remaining);
            assert!(t >= 1, "{remaining}: 0 would disable the timeout");
            assert!(t <= remaining.max(1), "{remaining} -> {t}: past the deadline");
            assert!(remaining.saturating_sub(t) <= remaining / 16, "{remaining} -> {t}: too early");
        }
        // Calls of the same deadline, acquiring a few ms apart, share one value.
        assert_eq!(rounded_down(29_999), rounded_down(29_700));
    }

    #[test]
    fn a_connection_keeps_its_timeout_while_it_fits_the_call() {
        let call = CallScope::new(Duration::from_secs(30));
        let set = timeout_to_set(None, Some(&call)).expect("unknown: set");
        assert_eq!(timeout_to_set(Some(set), Some(&call)), None);
        // A shorter call needs a lower value; a longer one a higher value than a short one's.
        let short = CallScope::new(Duration::from_millis(300));
        let lower = timeout_to_set(Some(set), Some(&short)).expect("would outlive the call");
        assert!((300 - 300 / 16..=300).contains(&lower), "{lower}");
        assert!(timeout_to_set(Some(lower), Some(&call)).is_some(), "would stop a 30 s call at 0.3 s");
        // Work outside a call runs without a timeout.
        assert_eq!(timeout_to_set(Some(set), None), Some(0));
        assert_eq!(timeout_to_set(Some(0), None), None);
        assert!(timeout_to_set(Some(0), Some(&call)).is_some());
    }

    /// A pool of `size` connections on a scratch database, or `None` without PostgreSQL.
    async fn scratch_pool(size: u32) -> Option<(PgPool, Bindings, impl AsyncFnOnce())> {
        let admin_url = std::env::var("AGENTPORT_TEST_DATABASE_URL").unwrap_or_default();
        if admin_url.is_empty() {
            return None;
        }
        let admin = PgPoolOptions::new().max_connections(1).connect(&admin_url).await.unwrap();
        let name = format!("agentport_p_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').expect("URL has a path").0);
        let settings = super::super::PoolSettings { max_connections: Some(size), ..Default::default() };
        let (pool, bindings) = postgres_pool(&url, settings).await.unwrap();
        let closing = pool.clone();
        let drop_database = async move || {
            closing.close().await;
            sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(&admin).await.unwrap();
        };
        Some((pool, bindings, drop_database))
    }

    /// Runs `sql` as one call with `timeout`, the way the serving stack runs a request.
    async fn call(pool: &PgPool, timeout: Duration, sql: &'static str) -> Result<(), sqlx::Error> {
        CallScope::new(timeout).run(async { sqlx::query(sql).execute(pool).await.map(|_| ()) }).await
    }

    fn was_stopped(result: Result<(), sqlx::Error>) -> bool {
        let Err(e) = result else { return false };
        e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "57014")
    }

    #[tokio::test]
    async fn each_connection_knows_its_own_backend() {
        let Some((pool, bindings, drop_database)) = scratch_pool(3).await else { return };
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(pool.acquire().await.unwrap());
        }
        for conn in &mut held {
            let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()").fetch_one(&mut **conn).await.unwrap();
            assert_eq!(bindings.pid_of(conn), Some(pid));
        }
        drop(held);
        drop_database().await;
    }

    /// Quick calls of the usual deadline send nothing but their statements, and the timeout
    /// still follows each call: a short call's statement stops at its deadline, and the next
    /// long call's statement is not stopped at the short one's.
    #[tokio::test]
    async fn quick_calls_send_only_their_statements_and_each_keeps_its_deadline() {
        let Some((pool, bindings, drop_database)) = scratch_pool(1).await else { return };
        call(&pool, Duration::from_secs(30), "SELECT 1").await.unwrap();
        let before = bindings.round_trips();
        for _ in 0..50 {
            call(&pool, Duration::from_secs(30), "SELECT 1").await.unwrap();
        }
        assert_eq!(bindings.round_trips() - before, 0, "50 quick calls set the timeout again");

        let started = Instant::now();
        let stopped = call(&pool, Duration::from_millis(300), "SELECT pg_sleep(5)").await;
        assert!(was_stopped(stopped), "the statement ran past its call's deadline");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(300 - 300 / 16) && took < Duration::from_secs(2),
            "stopped after {took:?}"
        );

        call(&pool, Duration::from_secs(30), "SELECT pg_sleep(0.6)").await.expect("a 30 s call runs 0.6 s");
        call(&pool, Duration::from_secs(30), "SELECT 1").await.unwrap();
        drop_database().await;
    }

    /// A call dropped in the middle of its statement: the statement is cancelled at once, the
    /// only connection serves the next call, and that call is not hit by the cancel.
    #[tokio::test]
    async fn a_dropped_call_cancels_its_own_statement_and_leaves_the_connection_clean() {
        let Some((pool, _bindings, drop_database)) = scratch_pool(1).await else { return };
        for _ in 0..5 {
            call(&pool, Duration::from_secs(30), "SELECT 1").await.unwrap();
        }
        let dropped = tokio::time::timeout(
            Duration::from_millis(200),
            call(&pool, Duration::from_secs(30), "SELECT pg_sleep(30)"),
        )
        .await;
        assert!(dropped.is_err(), "the sleeping call was dropped");
        let started = Instant::now();
        for _ in 0..3 {
            call(&pool, Duration::from_secs(30), "SELECT pg_sleep(0.2)").await.expect("not hit by the cancel");
        }
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "the connection was busy with the dropped call: {took:?}");
        drop_database().await;
    }
}
