//! A small time-bounded cache for the read paths every storefront request takes.
//!
//! Entries are fresh for the time they are filled with, which bounds how stale an answer can be
//! when a change reaches no invalidation (see [`crate::invalidation`]: changes through any
//! instance invalidate every instance's entry at once).
//!
//! An entry past its time is not dropped at once: for as long again it is still served to
//! everyone, and one caller is told to refresh it ([`Lookup::Refresh`]), which the directory and
//! the menu do in the background. So a warm read never waits for the database, and when a
//! popular entry expires one read goes to the database instead of all of them at once. A refresh
//! that fails leaves the stale value in place for the next caller to try again.
//!
//! Nothing here scans the whole cache: a full cache makes room by evicting a few entries in the
//! map's own (hash, so effectively random) order, a constant amount of work per insert.
//!
//! A fill that raced with an invalidation must not store what it read before the change: a
//! reader takes a [`Ticket`] *before* it reads the database and its fill is dropped if any
//! invalidation happened since. Invalidations are rare (manager writes), so one counter for the
//! whole cache is enough.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry<V> {
    value: V,
    fresh_until: Instant,
    /// Served stale (while one caller refreshes) until then; a miss after.
    usable_until: Instant,
    refreshing: AtomicBool,
}

/// Proof of when a read started; see the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

/// What the cache knows about a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<V> {
    /// Fresh, or stale while someone else refreshes it: use it.
    Hit(V),
    /// Stale, and the caller is the one to refresh it: read the source, then
    /// [`TtlCache::fill`] (or [`TtlCache::abandon_refresh`] on failure, using this value).
    Refresh(V),
    /// Nothing usable: read the source.
    Miss,
}

/// `chameleon_cache_lookups_total{cache, result}`: the counters of one cache, registered once
/// (with the recorder installed when the cache is made), so a lookup costs an atomic add.
#[derive(Debug)]
struct LookupCounters {
    hit: metrics::Counter,
    stale: metrics::Counter,
    miss: metrics::Counter,
}

impl LookupCounters {
    fn new(cache: &'static str) -> Self {
        let counter = |result: &'static str| metrics::counter!("chameleon_cache_lookups_total", "cache" => cache, "result" => result);
        Self {
            hit: counter("hit"),
            stale: counter("stale"),
            miss: counter("miss"),
        }
    }
}

#[derive(Debug)]
pub struct TtlCache<K, V> {
    entries: RwLock<HashMap<K, Entry<V>>>,
    invalidations: AtomicU64,
    capacity: usize,
    counters: LookupCounters,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// An empty cache; `name` labels its lookups in the metrics.
    pub fn new(name: &'static str, capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            invalidations: AtomicU64::new(0),
            capacity,
            counters: LookupCounters::new(name),
        }
    }

    /// Looks `key` up, electing at most one refresher per stale entry.
    pub fn lookup(&self, key: &K) -> Lookup<V> {
        self.lookup_at(key, Instant::now())
    }

    /// [`TtlCache::lookup`] as of `now` (tests pass their own instants: no test waits for time
    /// to pass).
    fn lookup_at(&self, key: &K, now: Instant) -> Lookup<V> {
        let found = self.find(key, now);
        match &found {
            Lookup::Hit(_) => self.counters.hit.increment(1),
            Lookup::Refresh(_) => self.counters.stale.increment(1),
            Lookup::Miss => self.counters.miss.increment(1),
        }
        found
    }

    fn find(&self, key: &K, now: Instant) -> Lookup<V> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = entries.get(key) else {
            return Lookup::Miss;
        };
        if now < entry.fresh_until {
            Lookup::Hit(entry.value.clone())
        } else if now >= entry.usable_until {
            Lookup::Miss
        } else if entry.refreshing.swap(true, Ordering::AcqRel) {
            Lookup::Hit(entry.value.clone())
        } else {
            Lookup::Refresh(entry.value.clone())
        }
    }

    /// The fresh value, if any: for callers that must not see a stale one.
    pub fn get_fresh(&self, key: &K) -> Option<V> {
        self.get_fresh_at(key, Instant::now())
    }

    fn get_fresh_at(&self, key: &K, now: Instant) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|entry| now < entry.fresh_until)
            .map(|entry| entry.value.clone())
    }

    /// A refresh that failed: let the next caller try.
    pub fn abandon_refresh(&self, key: &K) {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get(key) {
            entry.refreshing.store(false, Ordering::Release);
        }
    }

    /// Take this before reading what a later [`TtlCache::fill`] will store.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.invalidations.load(Ordering::Acquire))
    }

    /// Stores `value`, fresh for `ttl`, unless an invalidation happened after `ticket` was taken.
    pub fn fill(&self, ticket: Ticket, key: K, value: V, ttl: Duration)
    where
        K: Clone,
    {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        // Checked under the write lock: `invalidate` bumps the counter under the same lock.
        if self.invalidations.load(Ordering::Acquire) == ticket.0 {
            self.insert(&mut entries, key, value, ttl, Instant::now());
        }
    }

    /// Stores `value` regardless of tickets: for facts this process just wrote itself.
    pub fn put(&self, key: K, value: V, ttl: Duration)
    where
        K: Clone,
    {
        self.put_at(key, value, ttl, Instant::now());
    }

    fn put_at(&self, key: K, value: V, ttl: Duration, now: Instant)
    where
        K: Clone,
    {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.insert(&mut entries, key, value, ttl, now);
    }

    fn insert(
        &self,
        entries: &mut HashMap<K, Entry<V>>,
        key: K,
        value: V,
        ttl: Duration,
        now: Instant,
    ) where
        K: Clone,
    {
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            // Random eviction of a small batch: no recency to track on every read, no scan.
            let batch = (self.capacity / 64).max(1);
            let victims: Vec<K> = entries.keys().take(batch).cloned().collect();
            for victim in &victims {
                entries.remove(victim);
            }
        }
        entries.insert(
            key,
            Entry {
                value,
                fresh_until: now + ttl,
                usable_until: now + ttl + ttl,
                refreshing: AtomicBool::new(false),
            },
        );
    }

    /// Forgets everything and voids every fill whose read started before now.
    pub fn forget_all(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.invalidations.fetch_add(1, Ordering::AcqRel);
        // Dropped outside the lock: freeing many entries is not the readers' wait.
        let old = std::mem::take(&mut *entries);
        drop(entries);
        drop(old);
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
    /// Every instant is given, not waited for: a descheduled test thread changes nothing.
    const TTL: Duration = Duration::from_secs(30);

    #[test]
    fn a_filled_entry_is_a_hit_while_fresh() {
        let cache = TtlCache::new("test", 10);
        cache.fill(cache.ticket(), "a", 1, LONG);
        assert_eq!(cache.lookup(&"a"), Lookup::Hit(1));
        assert_eq!(cache.get_fresh(&"a"), Some(1));
        assert_eq!(cache.lookup(&"b"), Lookup::Miss);
    }

    #[test]
    fn a_stale_entry_elects_one_refresher_and_serves_the_others() {
        let cache = TtlCache::new("test", 10);
        let t0 = Instant::now();
        cache.put_at("a", 1, TTL, t0);
        let stale = t0 + TTL;
        assert_eq!(
            cache.get_fresh_at(&"a", stale - Duration::from_nanos(1)),
            Some(1)
        );
        assert_eq!(cache.get_fresh_at(&"a", stale), None);
        assert_eq!(cache.lookup_at(&"a", stale), Lookup::Refresh(1));
        assert_eq!(
            cache.lookup_at(&"a", stale),
            Lookup::Hit(1),
            "one refresher at a time"
        );
        cache.fill(cache.ticket(), "a", 2, LONG);
        assert_eq!(cache.lookup(&"a"), Lookup::Hit(2));
    }

    #[test]
    fn an_abandoned_refresh_can_be_taken_up_again() {
        let cache = TtlCache::new("test", 10);
        let t0 = Instant::now();
        cache.put_at("a", 1, TTL, t0);
        assert_eq!(cache.lookup_at(&"a", t0 + TTL), Lookup::Refresh(1));
        cache.abandon_refresh(&"a");
        assert_eq!(cache.lookup_at(&"a", t0 + TTL), Lookup::Refresh(1));
    }

    #[test]
    fn an_entry_past_twice_its_time_is_a_miss() {
        let cache = TtlCache::new("test", 10);
        let t0 = Instant::now();
        cache.put_at("a", 1, TTL, t0);
        let gone = t0 + TTL * 2;
        assert_eq!(
            cache.lookup_at(&"a", gone - Duration::from_nanos(1)),
            Lookup::Refresh(1)
        );
        assert_eq!(cache.lookup_at(&"a", gone), Lookup::Miss);
    }

    #[test]
    fn a_fill_that_raced_an_invalidation_is_dropped() {
        let cache = TtlCache::new("test", 10);
        let ticket = cache.ticket();
        cache.invalidate(&"a");
        cache.fill(ticket, "a", 1, LONG);
        assert_eq!(cache.lookup(&"a"), Lookup::Miss);
        cache.fill(cache.ticket(), "a", 2, LONG);
        assert_eq!(cache.lookup(&"a"), Lookup::Hit(2));
    }

    #[test]
    fn invalidation_forgets_the_entry() {
        let cache = TtlCache::new("test", 10);
        cache.put("a", 1, LONG);
        cache.invalidate(&"a");
        assert_eq!(cache.lookup(&"a"), Lookup::Miss);
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let cache = TtlCache::new("test", 3);
        for n in 0..10 {
            cache.put(n, n, LONG);
            assert!(cache.len() <= 3);
            assert_eq!(cache.lookup(&n), Lookup::Hit(n), "the newest entry is kept");
        }
    }

    #[test]
    fn a_full_cache_evicts_a_small_batch_not_everything() {
        let cache = TtlCache::new("test", 640);
        for n in 0..640 {
            cache.put(n, n, LONG);
        }
        cache.put(640, 640, LONG);
        assert_eq!(
            cache.len(),
            640 - 10 + 1,
            "a batch of capacity / 64 made room"
        );
        assert_eq!(cache.lookup(&640), Lookup::Hit(640));
    }

    #[test]
    fn forgetting_everything_voids_fills_in_flight() {
        let cache = TtlCache::new("test", 10);
        cache.put("a", 1, LONG);
        let ticket = cache.ticket();
        cache.forget_all();
        assert!(cache.is_empty());
        cache.fill(ticket, "b", 2, LONG);
        assert_eq!(
            cache.lookup(&"b"),
            Lookup::Miss,
            "read before the forgetting"
        );
    }
}
