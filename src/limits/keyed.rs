//! Per-key counters and semaphores that forget a key once nobody holds it, so a stream of
//! distinct callers does not grow them without bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// At most `limit` holders per key; refuses the one over.
pub struct KeyedCounter {
    limit: usize,
    held: Arc<Mutex<HashMap<String, usize>>>,
}

/// One unit of a [`KeyedCounter`], given back on drop.
pub struct Slot {
    key: String,
    held: Arc<Mutex<HashMap<String, usize>>>,
}

impl KeyedCounter {
    pub fn new(limit: usize) -> Self {
        Self { limit, held: Arc::new(Mutex::new(HashMap::new())) }
    }

    pub fn try_take(&self, key: &str) -> Option<Slot> {
        let mut held = self.held.lock().expect("keyed counter lock");
        let count = held.entry(key.to_owned()).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Slot { key: key.to_owned(), held: self.held.clone() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// A semaphore of `permits` per key; callers over it wait their turn.
pub struct KeyedSemaphore {
    permits: usize,
    semaphores: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

/// A permit of a [`KeyedSemaphore`]; the key's semaphore is dropped with its last user.
pub struct KeyedPermit {
    permit: Option<OwnedSemaphorePermit>,
    key: String,
    semaphores: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl KeyedSemaphore {
    pub fn new(permits: usize) -> Self {
        Self { permits: permits.max(1), semaphores: Arc::new(Mutex::new(HashMap::new())) }
    }

    pub async fn acquire(&self, key: &str) -> KeyedPermit {
        let semaphore = {
            let mut map = self.semaphores.lock().expect("keyed semaphore lock");
            map.entry(key.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.permits))).clone()
        };
        // Held by the map: closing never happens.
        let permit = semaphore.acquire_owned().await.expect("keyed semaphores are never closed");
        KeyedPermit { permit: Some(permit), key: key.to_owned(), semaphores: self.semaphores.clone() }
    }
}

impl Drop for KeyedPermit {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut map = self.semaphores.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map still refers to it: nobody holds or waits for a permit of this key.
        if map.get(&self.key).is_some_and(|s| Arc::strong_count(s) == 1) {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_refuse_the_one_over_and_forget_idle_keys() {
        let counter = KeyedCounter::new(2);
        let a = counter.try_take("a").unwrap();
        let _b = counter.try_take("a").unwrap();
        assert!(counter.try_take("a").is_none());
        assert!(counter.try_take("other").is_some());
        drop(a);
        assert!(counter.try_take("a").is_some());
        drop(_b);
        assert!(counter.held.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn semaphores_queue_per_key_and_forget_idle_keys() {
        let semaphores = KeyedSemaphore::new(1);
        let first = semaphores.acquire("t").await;
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), semaphores.acquire("t")).await;
        assert!(waiting.is_err(), "the second holder of one key waits");
        let _other = semaphores.acquire("u").await;
        drop(first);
        drop(semaphores.acquire("t").await);
        assert_eq!(semaphores.semaphores.lock().unwrap().len(), 1, "only `u` is still held");
    }
}
