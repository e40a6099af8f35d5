//! What the storefront's `/slots` shows of how full each pickup slot is, kept a few seconds per
//! tenant and range, so that anonymous visitors cannot reach the database faster than once per
//! tenant, day and [`FRESH_FOR`] (however many ask at once: the first reads, the others wait for
//! its answer). A placement or a cancellation through this instance forgets the tenant's counts
//! at once; one through another instance shows within [`FRESH_FOR`]. Placing never reads from
//! here: it counts afresh, under the slot's lock.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chameleon_core::tenant::TenantId;
use jiff::Timestamp;
use tokio::sync::OnceCell;

/// How long counts are shown without being read again.
pub const FRESH_FOR: Duration = Duration::from_secs(5);

/// Entries kept at most; past it, stale ones go first, then everything (a burst of distinct
/// days across many tenants costs reads, never memory).
const MAX_ENTRIES: usize = 20_000;

type Counts = Vec<(Timestamp, u64)>;
type Key = (TenantId, (Timestamp, Timestamp));
/// When an entry was made, and its counts once read (readers of one entry wait for one read).
type Entry = (Instant, Arc<OnceCell<Counts>>);

#[derive(Debug, Default, Clone)]
pub struct SlotCounts {
    entries: Arc<Mutex<HashMap<Key, Entry>>>,
}

impl SlotCounts {
    /// The counts of `tenant`'s slots in `range`, read with `read` when none fresh are held.
    pub async fn get_or_read(
        &self,
        tenant: TenantId,
        range: (Timestamp, Timestamp),
        read: impl Future<Output = anyhow::Result<Counts>>,
    ) -> anyhow::Result<Counts> {
        let cell = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, (at, _)| now.duration_since(*at) < FRESH_FOR);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            let entry = entries
                .entry((tenant, range))
                .or_insert_with(|| (now, Arc::new(OnceCell::new())));
            if now.duration_since(entry.0) >= FRESH_FOR {
                *entry = (now, Arc::new(OnceCell::new()));
            }
            Arc::clone(&entry.1)
        };
        // A failed read leaves the cell empty: the next caller reads again.
        cell.get_or_try_init(|| read).await.cloned()
    }

    /// Forgets every count held of `tenant` (an order took or gave back a place).
    pub fn forget(&self, tenant: TenantId) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(id, _), _| *id != tenant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_read_serves_everyone_until_forgotten() {
        let counts = SlotCounts::default();
        let tenant = TenantId::from_uuid(uuid::Uuid::from_u128(1));
        let range = (Timestamp::UNIX_EPOCH, Timestamp::UNIX_EPOCH);
        let reads = AtomicUsize::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(vec![(Timestamp::UNIX_EPOCH, 3)])
        };
        let answers = futures_util::future::join_all(
            (0..10).map(|_| counts.get_or_read(tenant, range, read())),
        )
        .await;
        assert!(answers.iter().all(|a| a.as_ref().unwrap()[0].1 == 3));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        counts.forget(tenant);
        counts.get_or_read(tenant, range, read()).await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }
}
