//! A small time-bounded cache for the read paths every storefront request takes.
//!
//! Entries expire after a fixed time, which bounds how stale an answer can be when the data is
//! changed by anything other than this process (another instance, a manual SQL edit). Changes
//! made through this process invalidate at once.
//!
//! A fill that raced with an invalidation must not store what it read before the change: a
//! reader takes a [`Ticket`] *before* it reads the database and its fill is dropped if any
//! invalidation happened since. Invalidations are rare (manager writes), so one counter for the
//! whole cache is enough.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry<V> {
    value: V,
    expires: Instant,
}

/// Proof of when a read started; see the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

#[derive(Debug)]
pub struct TtlCache<K, V> {
    entries: RwLock<HashMap<K, Entry<V>>>,
    invalidations: AtomicU64,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            invalidations: AtomicU64::new(0),
            capacity,
        }
    }

    /// The cached value, if present and not expired.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|entry| entry.expires > Instant::now())
            .map(|entry| entry.value.clone())
    }

    /// Take this before reading what a later [`TtlCache::fill`] will store.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.invalidations.load(Ordering::Acquire))
    }

    /// Stores `value` for `ttl`, unless an invalidation happened after `ticket` was taken.
    pub fn fill(&self, ticket: Ticket, key: K, value: V, ttl: Duration) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        // Checked under the write lock: `invalidate` bumps the counter under the same lock.
        if self.invalidations.load(Ordering::Acquire) == ticket.0 {
            self.insert(&mut entries, key, value, ttl);
        }
    }

    /// Stores `value` regardless of tickets: for facts this process just wrote itself.
    pub fn put(&self, key: K, value: V, ttl: Duration) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.insert(&mut entries, key, value, ttl);
    }

    fn insert(&self, entries: &mut HashMap<K, Entry<V>>, key: K, value: V, ttl: Duration) {
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            let now = Instant::now();
            entries.retain(|_, entry| entry.expires > now);
            if entries.len() >= self.capacity {
                // Still full of live entries: start over rather than track recency on every
                // read. At the default capacity this only happens with far more tenants than
                // one instance serves, and costs one database read per entry to refill.
                entries.clear();
            }
        }
        let expires = Instant::now() + ttl;
        entries.insert(key, Entry { value, expires });
    }

    /// Forgets `key` and voids every fill whose read started before now.
    pub fn invalidate(&self, key: &K) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.invalidations.fetch_add(1, Ordering::AcqRel);
        entries.remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(60);

    #[test]
    fn a_filled_entry_is_returned_until_it_expires() {
        let cache = TtlCache::new(10);
        cache.fill(cache.ticket(), "a", 1, LONG);
        assert_eq!(cache.get(&"a"), Some(1));
        cache.fill(cache.ticket(), "b", 2, Duration::ZERO);
        assert_eq!(cache.get(&"b"), None);
    }

    #[test]
    fn a_fill_that_raced_an_invalidation_is_dropped() {
        let cache = TtlCache::new(10);
        let ticket = cache.ticket();
        cache.invalidate(&"a");
        cache.fill(ticket, "a", 1, LONG);
        assert_eq!(cache.get(&"a"), None);
        cache.fill(cache.ticket(), "a", 2, LONG);
        assert_eq!(cache.get(&"a"), Some(2));
    }

    #[test]
    fn invalidation_forgets_the_entry() {
        let cache = TtlCache::new(10);
        cache.put("a", 1, LONG);
        cache.invalidate(&"a");
        assert_eq!(cache.get(&"a"), None);
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let cache = TtlCache::new(3);
        for n in 0..10 {
            cache.put(n, n, LONG);
            assert!(cache.len() <= 3);
            assert_eq!(cache.get(&n), Some(n), "the newest entry is kept");
        }
    }

    #[test]
    fn expired_entries_make_room_first() {
        let cache = TtlCache::new(2);
        cache.put(1, 1, Duration::ZERO);
        cache.put(2, 2, LONG);
        cache.put(3, 3, LONG);
        assert_eq!((cache.get(&2), cache.get(&3)), (Some(2), Some(3)));
    }
}
