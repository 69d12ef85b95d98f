//! The call a piece of work belongs to: its deadline, and whether its caller is still waiting.
//!
//! The serving stack runs every call inside [`CallScope::run`]. The store's connection hooks
//! read the scope of the task that acquires a connection and hand the database a way to stop
//! (SQLite's progress handler, PostgreSQL's `statement_timeout` and a cancel request), so work
//! stops when the deadline passes or the call's future is dropped (the client went away, or the
//! deadline layer gave up on it). Only the running call holds the scope; the hooks hold a
//! [`Weak`] reference, so "the caller is gone" is simply "the scope no longer exists".
//! Work outside any call (background jobs, start-up) has no scope and no deadline.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

tokio::task_local! {
    static CURRENT: Arc<CallScope>;
}

/// One call in flight.
pub struct CallScope {
    id: u64,
    deadline: Instant,
    /// The whole time the call was given.
    timeout: Duration,
    /// Set once the call produced its answer; a scope dropped before that was cancelled.
    completed: AtomicBool,
    /// Run when the scope is dropped before completing (e.g. cancel the database backends it
    /// holds). Registered by the store's hooks.
    on_cancel: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    /// When a refused call may be tried again; the transport sends it as `Retry-After`.
    retry_after: Mutex<Option<Duration>>,
}

impl CallScope {
    pub fn new(timeout: Duration) -> Arc<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Arc::new(Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            deadline: Instant::now() + timeout,
            timeout,
            completed: AtomicBool::new(false),
            on_cancel: Mutex::new(Vec::new()),
            retry_after: Mutex::new(None),
        })
    }

    /// The scope of the running task's call, if it runs one.
    pub fn current() -> Option<Arc<Self>> {
        CURRENT.try_with(Arc::clone).ok()
    }

    /// Runs `work` as this call; its answer marks the call completed.
    pub async fn run<F: Future>(self: Arc<Self>, work: F) -> F::Output {
        let scope = self.clone();
        let output = CURRENT.scope(self, work).await;
        scope.completed.store(true, Ordering::Release);
        output
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The whole time the call was given, from its start to its deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Time left before the deadline (zero once it passed).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Tells the transport when the caller may try again.
    pub fn advise_retry(&self, after: Duration) {
        *self.retry_after.lock().expect("retry_after lock") = Some(after);
    }

    pub fn retry_advice(&self) -> Option<Duration> {
        *self.retry_after.lock().expect("retry_after lock")
    }

    /// Registers work to run if the call is dropped before it completes.
    pub fn on_cancel(&self, action: impl FnOnce() + Send + 'static) {
        self.on_cancel.lock().expect("on_cancel lock").push(Box::new(action));
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        if self.completed.load(Ordering::Acquire) {
            return;
        }
        let actions = std::mem::take(&mut *self.on_cancel.lock().unwrap_or_else(|e| e.into_inner()));
        for action in actions {
            action();
        }
    }
}

/// Whether the call behind `scope` may keep its database work running: it still exists and its
/// deadline has not passed. Work outside a call (`None`) always may.
pub fn may_continue(scope: &Option<Weak<CallScope>>) -> bool {
    match scope {
        None => true,
        Some(weak) => weak.upgrade().is_some_and(|s| !s.expired()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dropped_call_runs_its_cancel_actions_and_a_finished_one_does_not() {
        let fired = Arc::new(AtomicBool::new(false));
        let scope = CallScope::new(Duration::from_secs(5));
        let weak = Some(Arc::downgrade(&scope));
        let f = fired.clone();
        scope.on_cancel(move || f.store(true, Ordering::SeqCst));
        let call = scope.run(std::future::pending::<()>());
        assert!(may_continue(&weak));
        drop(call);
        assert!(fired.load(Ordering::SeqCst), "cancel action ran");
        assert!(!may_continue(&weak), "a dropped call may not continue");

        let fired = Arc::new(AtomicBool::new(false));
        let scope = CallScope::new(Duration::from_secs(5));
        let f = fired.clone();
        scope.on_cancel(move || f.store(true, Ordering::SeqCst));
        assert!(scope.run(async { CallScope::current().is_some() }).await);
        assert!(!fired.load(Ordering::SeqCst), "a completed call is not cancelled");
        assert!(CallScope::current().is_none());
    }

    #[test]
    fn a_passed_deadline_stops_work() {
        let scope = CallScope::new(Duration::ZERO);
        assert!(scope.expired());
        assert!(!may_continue(&Some(Arc::downgrade(&scope))));
        assert!(may_continue(&None));
    }
}
