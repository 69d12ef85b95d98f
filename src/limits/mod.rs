//! Fair sharing between callers, decided once a call is authenticated (so the same rules hold
//! for gRPC and REST): a rate (GCRA, `governor`) and a number of calls in flight per principal
//! and per tenant, refused with RESOURCE_EXHAUSTED and a retry delay; and a budget of heavy
//! calls (exports, imports, lists and searches, which may scan) per tenant and in all, which
//! waits its turn within the call's deadline. The heavy budget stays below the connection pool,
//! so short reads and health checks always find a connection.

mod keyed;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use keyed::Slot;
use keyed::{KeyedCounter, KeyedPermit, KeyedSemaphore};

use crate::call_scope::CallScope;
use crate::error::{Error, Result};
use crate::observability::metrics;

/// The limits, from the settings.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// Calls per second per principal (sustained), and the burst above it.
    pub principal_rate: u32,
    pub principal_burst: u32,
    /// Calls per second per tenant, and the burst above it.
    pub tenant_rate: u32,
    pub tenant_burst: u32,
    /// Calls in flight per principal and per tenant.
    pub principal_concurrency: usize,
    pub tenant_concurrency: usize,
    /// Heavy calls running at once, in all and per tenant; more wait.
    pub heavy_calls: usize,
    pub heavy_calls_per_tenant: usize,
    /// Open `WatchJob` streams per principal.
    pub watches_per_principal: usize,
}

/// Decides whether a call may start.
pub struct Admission {
    principal_rate: DefaultKeyedRateLimiter<String>,
    tenant_rate: DefaultKeyedRateLimiter<String>,
    principals: KeyedCounter,
    tenants: KeyedCounter,
    heavy: Arc<Semaphore>,
    heavy_per_tenant: KeyedSemaphore,
    watches: KeyedCounter,
    checks: AtomicU64,
}

/// What an admitted call holds until it ends.
pub struct Ticket {
    _principal: Slot,
    _tenant: Option<Slot>,
    _heavy: Option<(KeyedPermit, OwnedSemaphorePermit)>,
}

/// Methods that may read much: they share the heavy budget.
pub fn is_heavy(method: &str) -> bool {
    ["Export", "Import", "List", "Search"].iter().any(|p| method.starts_with(p)) && !method.ends_with("ApiKeys")
}

impl Admission {
    pub fn new(settings: &LimitSettings) -> Self {
        let quota = |rate: u32, burst: u32| {
            let rate = NonZeroU32::new(rate.max(1)).expect("at least 1");
            Quota::per_second(rate).allow_burst(NonZeroU32::new(burst.max(1)).expect("at least 1"))
        };
        Self {
            principal_rate: RateLimiter::keyed(quota(settings.principal_rate, settings.principal_burst)),
            tenant_rate: RateLimiter::keyed(quota(settings.tenant_rate, settings.tenant_burst)),
            principals: KeyedCounter::new(settings.principal_concurrency.max(1)),
            tenants: KeyedCounter::new(settings.tenant_concurrency.max(1)),
            heavy: Arc::new(Semaphore::new(settings.heavy_calls.max(1))),
            heavy_per_tenant: KeyedSemaphore::new(settings.heavy_calls_per_tenant),
            watches: KeyedCounter::new(settings.watches_per_principal.max(1)),
            checks: AtomicU64::new(0),
        }
    }

    /// Admits a call of `principal` to `tenant`, or refuses it with when to retry.
    pub async fn admit(&self, principal: &str, tenant: Option<&str>, method: &str) -> Result<Ticket> {
        self.forget_idle_callers();
        self.check_rate(&self.principal_rate, principal, "principal_rate")?;
        if let Some(tenant) = tenant {
            self.check_rate(&self.tenant_rate, tenant, "tenant_rate")?;
        }
        let busy =
            |limit: &'static str| refuse(format!("too many calls in flight ({limit})"), limit, Duration::from_secs(1));
        let principal_slot = self.principals.try_take(principal).ok_or_else(|| busy("principal_concurrency"))?;
        let tenant_slot = match tenant {
            Some(t) => Some(self.tenants.try_take(t).ok_or_else(|| busy("tenant_concurrency"))?),
            None => None,
        };
        let heavy = if is_heavy(method) {
            let mine = self.heavy_per_tenant.acquire(tenant.unwrap_or(principal)).await;
            let global = self.heavy.clone().acquire_owned().await.expect("the heavy budget is never closed");
            Some((mine, global))
        } else {
            None
        };
        Ok(Ticket { _principal: principal_slot, _tenant: tenant_slot, _heavy: heavy })
    }

    /// A place for one more open watch of `principal`.
    pub fn open_watch(&self, principal: &str) -> Result<Slot> {
        self.watches
            .try_take(principal)
            .ok_or_else(|| refuse("too many open watches".into(), "watches_per_principal", Duration::from_secs(1)))
    }

    fn check_rate(&self, limiter: &DefaultKeyedRateLimiter<String>, key: &str, limit: &'static str) -> Result<()> {
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            refuse(format!("rate limit exceeded ({limit})"), limit, wait)
        })
    }

    /// Rate state of callers not seen lately is dropped now and then.
    fn forget_idle_callers(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.principal_rate.retain_recent();
            self.tenant_rate.retain_recent();
        }
    }
}

/// The refusal of a call over `limit`, counted in the metrics by the limit's name.
fn refuse(message: String, limit: &'static str, wait: Duration) -> Error {
    metrics::rate_limited(limit);
    if let Some(scope) = CallScope::current() {
        scope.advise_retry(wait);
    }
    Error::exhausted(message, limit, wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LimitSettings {
        LimitSettings {
            principal_rate: 1,
            principal_burst: 2,
            tenant_rate: 100,
            tenant_burst: 100,
            principal_concurrency: 10,
            tenant_concurrency: 10,
            heavy_calls: 2,
            heavy_calls_per_tenant: 1,
            watches_per_principal: 1,
        }
    }

    #[tokio::test]
    async fn the_call_over_the_burst_is_told_when_to_retry() {
        let admission = Admission::new(&settings());
        admission.admit("p", Some("t"), "GetAgent").await.unwrap();
        admission.admit("p", Some("t"), "GetAgent").await.unwrap();
        let err = admission.admit("p", Some("t"), "GetAgent").await.err().expect("over the burst");
        assert_eq!(err.code, crate::error::ErrorCode::ResourceExhausted);
        assert!(err.retry_after.unwrap() <= Duration::from_secs(1));
        assert_eq!(err.metadata["limit"], "principal_rate");
        admission.admit("q", Some("t"), "GetAgent").await.expect("another principal is not affected");
    }

    #[test]
    fn heavy_methods() {
        assert!(is_heavy("ExportAgents") && is_heavy("SearchJobs") && is_heavy("ListDocuments"));
        assert!(!is_heavy("GetAgent") && !is_heavy("UpdateTool") && !is_heavy("ListApiKeys"));
    }

    #[test]
    fn one_watch_too_many_is_refused() {
        let admission = Admission::new(&settings());
        let first = admission.open_watch("p").unwrap();
        assert!(admission.open_watch("p").is_err());
        drop(first);
        assert!(admission.open_watch("p").is_ok());
    }
}
