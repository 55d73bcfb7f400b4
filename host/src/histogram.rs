//! Integer histograms with atomic buckets, and the bucket bounds of the receipts writer's two:
//! the writer ([`crate::receipts`]) records, `/metrics` ([`crate::metrics`]) renders. A module of
//! its own so neither of those depends on the other for it.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the receipt batch size histogram (receipts per group commit).
pub const BATCH_BUCKETS: [u64; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/// Upper bounds (microseconds) of the receipt write + fsync latency histogram.
pub const FSYNC_BUCKETS_MICROS: [u64; 14] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000,
];

/// A histogram whose observations are integers: per-bucket counts (not cumulative), a sum and a
/// count, all atomic (the receipts writer records, `/metrics` reads).
#[derive(Debug)]
pub struct IntHistogram<const N: usize> {
    bounds: [u64; N],
    buckets: [AtomicU64; N],
    sum: AtomicU64,
    count: AtomicU64,
}

impl<const N: usize> IntHistogram<N> {
    pub fn new(bounds: [u64; N]) -> IntHistogram<N> {
        IntHistogram {
            bounds,
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, v: u64) {
        if let Some(b) = self
            .bounds
            .iter()
            .zip(&self.buckets)
            .find_map(|(le, b)| (v <= *le).then_some(b))
        {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.sum.fetch_add(v, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus histogram lines for `name`; bounds and sum are divided by `scale` (1e6 for
    /// microseconds as seconds).
    pub fn render(&self, out: &mut String, name: &str, help: &str, scale: f64) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0u64;
        for (le, b) in self.bounds.iter().zip(&self.buckets) {
            cumulative += b.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{}\"}} {cumulative}",
                *le as f64 / scale
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum.load(Ordering::Relaxed) as f64 / scale
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_histogram_renders_cumulative_buckets() {
        let h = IntHistogram::new([1, 4, 16]);
        for v in [1, 2, 3, 20] {
            h.observe(v);
        }
        let mut out = String::new();
        h.render(&mut out, "x", "help", 1.0);
        assert!(out.contains("# TYPE x histogram"), "{out}");
        assert!(out.contains("x_bucket{le=\"1\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"4\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"16\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 4\n"), "{out}");
        assert!(out.contains("x_sum 26\n"), "{out}");
        assert!(out.contains("x_count 4\n"), "{out}");
    }
}
