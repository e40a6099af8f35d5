//! Percentiles, and provisioning times cut into buckets of tenants.

use crate::summary::{ProvisionBucket, round};

/// One provisioning, timed from the client.
#[derive(Debug, Clone, Copy)]
pub struct ProvisionTiming {
    /// The tenant's number: tenants `1..tenant` were there already.
    pub tenant: usize,
    pub ms: f64,
}

/// The `p`th percentile of `sorted` (nearest rank); 0 when it is empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// p50 and p99 of `timings`.
pub fn provision_percentiles(timings: &[ProvisionTiming]) -> (f64, f64) {
    let mut ms: Vec<f64> = timings.iter().map(|t| t.ms).collect();
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 50.0), percentile(&ms, 99.0))
}

/// `timings`, in the order the tenants were provisioned, cut into `buckets` runs of (nearly)
/// equal size, each with its p50 and p99.
pub fn provision_buckets(timings: &[ProvisionTiming], buckets: usize) -> Vec<ProvisionBucket> {
    let size = timings.len().div_ceil(buckets).max(1);
    timings
        .chunks(size)
        .map(|chunk| {
            let (p50, p99) = provision_percentiles(chunk);
            ProvisionBucket {
                from: chunk[0].tenant,
                to: chunk[chunk.len() - 1].tenant,
                p50_ms: round(p50, 2),
                p99_ms: round(p99, 2),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), 50.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn buckets_cover_every_tenant_in_order() {
        let timings: Vec<ProvisionTiming> = (1..=10)
            .map(|tenant| ProvisionTiming {
                tenant,
                ms: tenant as f64,
            })
            .collect();
        let buckets = provision_buckets(&timings, 3);
        let ranges: Vec<(usize, usize)> = buckets.iter().map(|b| (b.from, b.to)).collect();
        assert_eq!(ranges, [(1, 4), (5, 8), (9, 10)]);
        assert_eq!(buckets[1].p50_ms, 6.0);
        assert_eq!(buckets[1].p99_ms, 8.0);
    }
}
