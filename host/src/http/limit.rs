//! Rate limits: Go's one global token bucket (`DATAFOG_RATE_LIMIT_RPS`) and ours, one bucket per
//! client address (`DATAFOG_CLIENT_RATE_LIMIT_RPS`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// One token bucket (Go's, see `docs/divergences-from-go.md`, "Host"):
/// capacity = rate = RPS, starts full.
#[derive(Debug)]
pub struct TokenBucket {
    rps: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rps: u64) -> TokenBucket {
        let rps = rps as f64;
        TokenBucket {
            rps,
            tokens: rps,
            last: Instant::now(),
        }
    }

    /// Full again by now (its client has been idle for a second or more).
    fn refilled(&self) -> bool {
        self.tokens + self.last.elapsed().as_secs_f64() * self.rps >= self.rps
    }

    /// Take a token; `false`: over the rate.
    pub fn take(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rps).min(self.rps);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One token bucket per client IP address (Go's limit is global only: one noisy client starves
/// every other). Bounded: at most [`ClientBuckets::MAX`] addresses are tracked; when the table is
/// full, buckets that have refilled (idle clients) are dropped first, and if every bucket is
/// still in use the table starts over (a flood from that many addresses is then limited by the
/// global bucket only).
#[derive(Debug)]
pub struct ClientBuckets {
    rps: u64,
    buckets: Mutex<HashMap<std::net::IpAddr, TokenBucket>>,
}

impl ClientBuckets {
    pub const MAX: usize = 65_536;

    pub fn new(rps: u64) -> ClientBuckets {
        ClientBuckets {
            rps,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take a token for `ip`; `false`: over its rate.
    pub fn take(&self, ip: std::net::IpAddr) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        if buckets.len() >= Self::MAX && !buckets.contains_key(&ip) {
            buckets.retain(|_, b| !b.refilled());
            if buckets.len() >= Self::MAX {
                buckets.clear();
            }
        }
        buckets
            .entry(ip)
            .or_insert_with(|| TokenBucket::new(self.rps))
            .take()
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each address has its own bucket; the table stays bounded, dropping refilled (idle)
    /// buckets first.
    #[test]
    fn client_buckets_are_per_address_and_bounded() {
        use std::net::{IpAddr, Ipv4Addr};
        let c = ClientBuckets::new(2);
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        assert!(c.take(a) && c.take(a) && !c.take(a));
        assert!(c.take(b) && c.take(b) && !c.take(b));
        // Fill the table with idle clients (their buckets are full): a new address evicts them,
        // and the busy ones (a, b: empty buckets) keep their state.
        {
            let mut t = c.buckets.lock().unwrap();
            for i in 0..(ClientBuckets::MAX - 2) as u32 {
                t.insert(
                    IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i)),
                    TokenBucket::new(2),
                );
            }
        }
        assert_eq!(c.tracked(), ClientBuckets::MAX);
        let n = IpAddr::V4(Ipv4Addr::new(12, 0, 0, 1));
        assert!(c.take(n));
        assert_eq!(c.tracked(), 3);
        assert!(!c.take(a), "a busy client keeps its empty bucket");
    }
}
