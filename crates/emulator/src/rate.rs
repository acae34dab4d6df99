//! The per-account leaky bucket (API reference §3): `capacity` requests may burst; the bucket
//! refills continuously at `refill_per_second`.

use std::time::Instant;

use crate::config::RateLimit;

#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    tokens: f64,
    last_refill: Instant,
}

impl Bucket {
    pub(crate) fn full(limit: Option<RateLimit>) -> Self {
        Self {
            tokens: limit.map_or(0.0, |limit| f64::from(limit.capacity)),
            last_refill: Instant::now(),
        }
    }

    /// Takes one token, or says how many whole seconds to wait (at least 1) for the next one.
    pub(crate) fn take(&mut self, limit: RateLimit, now: Instant) -> Result<(), u64> {
        let capacity = f64::from(limit.capacity);
        let refill = f64::from(limit.refill_per_second);
        let elapsed = now.saturating_duration_since(self.last_refill).as_secs_f64();
        self.tokens = (self.tokens + elapsed * refill).min(capacity);
        self.last_refill = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait_seconds = if refill > 0.0 { (1.0 - self.tokens) / refill } else { 1.0 };
        Err((wait_seconds.ceil() as u64).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_a_burst_then_refills_over_time() {
        let limit = RateLimit { capacity: 3, refill_per_second: 2 };
        let start = Instant::now();
        let mut bucket = Bucket::full(Some(limit));
        assert!((0..3).all(|_| bucket.take(limit, start).is_ok()));
        assert_eq!(bucket.take(limit, start), Err(1));
        assert_eq!(bucket.take(limit, start + Duration::from_millis(500)), Ok(()));
        assert_eq!(bucket.take(limit, start + Duration::from_millis(500)), Err(1));
        // Refill never exceeds the capacity.
        let later = start + Duration::from_secs(60);
        assert!((0..3).all(|_| bucket.take(limit, later).is_ok()));
        assert!(bucket.take(limit, later).is_err());
    }

    #[test]
    fn retry_after_covers_a_slow_refill() {
        let limit = RateLimit { capacity: 1, refill_per_second: 1 };
        let now = Instant::now();
        let mut bucket = Bucket::full(Some(limit));
        assert_eq!(bucket.take(limit, now), Ok(()));
        assert_eq!(bucket.take(limit, now), Err(1));
    }
}
