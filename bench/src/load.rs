//! Closed-loop load: `concurrency` workers call back to back for a fixed time; latencies of
//! every call give p50/p99.

use std::future::Future;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub requests: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Runs `warmup` then `duration` of load; `worker(i)` makes the i-th worker's call function.
pub async fn closed_loop<W, F, Fut>(concurrency: usize, warmup: Duration, duration: Duration, worker: W) -> Load
where
    W: Fn(usize) -> F,
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let started = Instant::now();
    let measure_from = started + warmup;
    let stop = measure_from + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for i in 0..concurrency {
        let mut call = worker(i);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let begun = Instant::now();
                if begun >= stop {
                    return latencies;
                }
                call().await;
                if begun >= measure_from {
                    latencies.push(begun.elapsed());
                }
            }
        }));
    }
    let mut all: Vec<Duration> = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("load worker"));
    }
    summarize(all, duration)
}

fn summarize(mut all: Vec<Duration>, duration: Duration) -> Load {
    all.sort();
    Load {
        requests: all.len() as u64,
        per_second: all.len() as f64 / duration.as_secs_f64(),
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
    }
}

/// Nearest-rank percentile of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// `calls` sequential calls after `warmup` untimed ones; the sorted latencies.
pub async fn sequential<F, Fut>(warmup: usize, calls: usize, mut call: F) -> Vec<Duration>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    for i in 0..warmup {
        call(i).await;
    }
    let mut times = Vec::with_capacity(calls);
    for i in 0..calls {
        let begun = Instant::now();
        call(i).await;
        times.push(begun.elapsed());
    }
    times.sort();
    times
}
