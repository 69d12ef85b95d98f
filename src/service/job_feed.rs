//! One change feed for every `WatchJob` of this replica. Watchers subscribe to a job's latest
//! state; one reader reads all watched jobs of a tenant in one query (however many watchers
//! there are) and publishes what changed. On PostgreSQL it reads a tenant when the database
//! announces a change of its jobs (LISTEN/NOTIFY, from any replica), plus everything now and
//! then in case an announcement was lost; on SQLite it reads every interval. A watcher whose client went away drops
//! its receiver; the feed stops reading a job nobody watches. Finished jobs are published once
//! more and then closed, which ends their streams.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::watch;
use tokio_stream::Stream;
use tokio_stream::wrappers::WatchStream;

use super::job_view::to_proto;
use crate::domain::job::JobRecord;
use crate::limits::Slot;
use crate::proto::Job;
use crate::store::{JobChanges, Store};

type Key = (String, String);

/// The shared feed; cheap to clone.
#[derive(Clone)]
pub struct JobFeed {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    every: Duration,
    jobs: Mutex<HashMap<Key, watch::Sender<JobRecord>>>,
}

impl JobFeed {
    /// Starts the poller; it ends when `stop` turns true, which also ends every watch.
    pub fn start(store: Store, every: Duration, stop: watch::Receiver<bool>) -> Self {
        let feed = Self { inner: Arc::new(Inner { store, every, jobs: Mutex::new(HashMap::new()) }) };
        tokio::spawn(feed.clone().poll(stop));
        feed
    }

    /// The job now, then each change, ending once it is finished. `slot` (the caller's place
    /// among its open watches) is given back when the stream is dropped.
    pub fn watch(&self, current: JobRecord, slot: Slot) -> JobStream {
        let receiver = if current.state.is_finished() {
            // Nothing will change: a closed channel yields the one state and ends.
            watch::channel(current).1
        } else {
            let key = (current.tenant.clone(), current.id.clone());
            let mut jobs = self.inner.jobs.lock().expect("feed lock");
            match jobs.get(&key) {
                Some(sender) => sender.subscribe(),
                None => {
                    let (sender, receiver) = watch::channel(current);
                    jobs.insert(key, sender);
                    receiver
                }
            }
        };
        JobStream { inner: WatchStream::new(receiver), finished: false, _slot: slot }
    }

    /// How many jobs the feed reads per interval (for tests and metrics).
    pub fn watched_jobs(&self) -> usize {
        self.inner.jobs.lock().expect("feed lock").len()
    }

    async fn poll(self, mut stop: watch::Receiver<bool>) {
        let mut changes = match self.inner.store.listen_job_changes().await {
            Ok(changes) => changes,
            Err(e) => {
                tracing::warn!(error = %e, "no job change announcements; the feed polls");
                None
            }
        };
        // With announcements, a full read is only the safety net.
        let every = if changes.is_some() { self.inner.every * 40 } else { self.inner.every };
        let mut next_full = tokio::time::Instant::now() + every;
        loop {
            let changed = tokio::select! {
                _ = tokio::time::sleep_until(next_full) => None,
                tenant = next_change(&mut changes) => Some(tenant),
                _ = stop.changed() => {
                    self.inner.jobs.lock().expect("feed lock").clear();
                    return;
                }
            };
            let mut tenants = self.watched();
            match changed {
                None => next_full = tokio::time::Instant::now() + every,
                Some(Err(e)) => {
                    // Reconnecting: read everything once, without spinning while it is down.
                    tracing::warn!(error = %e, "job change announcements interrupted");
                    tokio::time::sleep(self.inner.every).await;
                    next_full = tokio::time::Instant::now() + every;
                }
                Some(Ok(first)) => {
                    // A burst of announcements becomes one read per tenant.
                    let mut dirty = std::collections::HashSet::from([first]);
                    let gather = tokio::time::sleep(Duration::from_millis(20));
                    tokio::pin!(gather);
                    loop {
                        tokio::select! {
                            _ = &mut gather => break,
                            tenant = next_change(&mut changes) => match tenant {
                                Ok(tenant) => { dirty.insert(tenant); }
                                Err(_) => break,
                            },
                        }
                    }
                    tenants.retain(|tenant, _| dirty.contains(tenant));
                }
            }
            for (tenant, ids) in tenants {
                match self.inner.store.jobs_by_ids(&tenant, &ids).await {
                    Ok(found) => self.publish(&tenant, &ids, found),
                    Err(e) => tracing::warn!(tenant, error = %e, "job feed could not read watched jobs"),
                }
            }
        }
    }

    /// Watched job ids by tenant; jobs nobody watches any more are dropped first.
    fn watched(&self) -> HashMap<String, Vec<String>> {
        let mut jobs = self.inner.jobs.lock().expect("feed lock");
        jobs.retain(|_, sender| sender.receiver_count() > 0);
        let mut by_tenant: HashMap<String, Vec<String>> = HashMap::new();
        for (tenant, id) in jobs.keys() {
            by_tenant.entry(tenant.clone()).or_default().push(id.clone());
        }
        by_tenant
    }

    fn publish(&self, tenant: &str, ids: &[String], found: Vec<JobRecord>) {
        let mut jobs = self.inner.jobs.lock().expect("feed lock");
        let mut seen: HashMap<String, JobRecord> = found.into_iter().map(|j| (j.id.clone(), j)).collect();
        for id in ids {
            let key = (tenant.to_owned(), id.clone());
            let Some(sender) = jobs.get(&key) else { continue };
            match seen.remove(id) {
                // Deleted (purged) while watched: the watch ends.
                None => {
                    jobs.remove(&key);
                }
                Some(job) => {
                    let finished = job.state.is_finished();
                    sender.send_if_modified(|last| {
                        let changed = last.version != job.version;
                        if changed {
                            *last = job;
                        }
                        changed
                    });
                    if finished {
                        jobs.remove(&key);
                    }
                }
            }
        }
    }
}

/// The next announced tenant; never completes without announcements.
async fn next_change(changes: &mut Option<JobChanges>) -> crate::error::Result<String> {
    match changes {
        Some(changes) => changes.next().await,
        None => std::future::pending().await,
    }
}

/// A watch as a stream of jobs; if the feed closes before the job finished (the server is
/// stopping), it ends with UNAVAILABLE so the client knows to watch again.
pub struct JobStream {
    inner: WatchStream<JobRecord>,
    finished: bool,
    _slot: Slot,
}

impl Stream for JobStream {
    type Item = Result<Job, tonic::Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.finished {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(job)) => {
                self.finished = job.state.is_finished();
                Poll::Ready(Some(to_proto(&job).map_err(Into::into)))
            }
            Poll::Ready(None) => {
                self.finished = true;
                Poll::Ready(Some(Err(tonic::Status::unavailable("the watch was interrupted; watch the job again"))))
            }
        }
    }
}
