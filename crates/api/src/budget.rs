//! The per-account request budget: a token bucket under the server's leaky bucket, additive
//! increase / multiplicative decrease after 429s, a bound on requests in flight, and counters.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::{RateLimit, Sleeper};

/// Requests sent, by method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MethodCounts {
    /// GET requests.
    pub get: u64,
    /// POST requests.
    pub post: u64,
    /// PUT requests.
    pub put: u64,
    /// PATCH requests.
    pub patch: u64,
    /// DELETE requests.
    pub delete: u64,
}

impl MethodCounts {
    /// All methods together.
    pub fn total(&self) -> u64 {
        self.get + self.post + self.put + self.patch + self.delete
    }
}

/// A snapshot of the budget's counters (every client sharing the budget adds to them).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RequestStats {
    /// Requests actually sent (every attempt counts), by method.
    pub sent: MethodCounts,
    /// Attempts that were retries of an earlier attempt (after 429, 5xx, timeout, …).
    pub retries: u64,
    /// 429 responses received.
    pub rate_limited: u64,
    /// 5xx responses received.
    pub server_errors: u64,
    /// Timeouts and connection failures.
    pub transport_failures: u64,
    /// Creates whose response was lost and whose resource was found and returned.
    pub recovered_creates: u64,
    /// List pages received and used. `sent.get - pages` (less retries) is the number of
    /// speculative page requests that turned out to lie past the end of a list.
    pub pages: u64,
    /// The rate currently allowed, per second (lower than configured after 429s).
    pub current_rate_per_second: f64,
}

impl RequestStats {
    /// Every request sent.
    pub fn requests(&self) -> u64 {
        self.sent.total()
    }
}

#[derive(Debug, Default)]
struct Counters {
    get: AtomicU64,
    post: AtomicU64,
    put: AtomicU64,
    patch: AtomicU64,
    delete: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    server_errors: AtomicU64,
    transport_failures: AtomicU64,
    recovered_creates: AtomicU64,
    pages: AtomicU64,
}

/// Which counter to bump.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    Retry,
    RateLimited,
    ServerError,
    TransportFailure,
    RecoveredCreate,
    Page,
}

#[derive(Debug)]
struct Bucket {
    capacity: f64,
    max_rate: f64,
    min_rate: f64,
    rate: f64,
    tokens: f64,
    last_refill: Instant,
    paused_until: Instant,
    hold_until: Instant,
    last_increase: Instant,
    last_decrease: Option<Instant>,
    hold_after_429: Duration,
    recovery_fraction_per_second: f64,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last_refill).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last_refill = now;
        if self.rate < self.max_rate && now > self.hold_until {
            let since = now.saturating_duration_since(self.last_increase.max(self.hold_until));
            self.rate = (self.rate
                + self.max_rate * self.recovery_fraction_per_second * since.as_secs_f64())
            .min(self.max_rate);
        }
        self.last_increase = now;
    }

    /// Gives back the token of a request that was withdrawn before it was sent.
    fn refund(&mut self) {
        self.tokens = (self.tokens + 1.0).min(self.capacity);
    }

    /// Takes one token (possibly going into debt) and says how long to wait before sending.
    fn reserve(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        let mut wait = if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        };
        wait = wait.max(self.paused_until.saturating_duration_since(now));
        wait
    }
}

/// The request budget of one account: share it (it is behind an `Arc` in every client) between
/// all tasks and clients that talk to the same account in this process.
#[derive(Debug)]
pub struct RateBudget {
    bucket: Mutex<Bucket>,
    in_flight: Arc<Semaphore>,
    counters: Counters,
}

/// Lets whoever started requests withdraw the ones not sent yet (speculative list pages past
/// the end): a request still waiting for its send permit when the withdrawal comes gives its
/// rate token back and is never sent nor counted. A request already sent is not affected.
#[derive(Debug, Default)]
pub(crate) struct Withdrawal {
    withdrawn: AtomicBool,
    notify: Notify,
}

impl Withdrawal {
    /// Withdraws every request of this group that has not been sent yet.
    pub(crate) fn withdraw(&self) {
        self.withdrawn.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub(crate) fn is_withdrawn(&self) -> bool {
        self.withdrawn.load(Ordering::SeqCst)
    }

    /// Completes once the group is withdrawn.
    pub(crate) async fn withdrawn(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        // Registered before the check, so a withdrawal between the two is not missed.
        notified.as_mut().enable();
        if self.is_withdrawn() {
            return;
        }
        notified.await;
    }
}

/// Completes when `withdrawal` (if any) is withdrawn; never without one.
pub(crate) async fn withdrawn(withdrawal: Option<&Withdrawal>) {
    match withdrawal {
        Some(withdrawal) => withdrawal.withdrawn().await,
        None => std::future::pending().await,
    }
}

/// Permission to send one request; hold it until the response is read.
#[derive(Debug)]
pub(crate) struct SendPermit {
    _in_flight: OwnedSemaphorePermit,
    pub(crate) sent_at: Instant,
}

impl RateBudget {
    /// A budget with a full bucket.
    pub fn new(rate: RateLimit, max_in_flight: usize) -> RateBudget {
        let now = Instant::now();
        let max_rate = rate.per_second.max(0.001);
        let capacity = f64::from(rate.burst.max(1));
        RateBudget {
            bucket: Mutex::new(Bucket {
                capacity,
                max_rate,
                min_rate: rate.min_per_second.clamp(0.001, max_rate),
                rate: max_rate,
                tokens: capacity,
                last_refill: now,
                paused_until: now,
                hold_until: now,
                last_increase: now,
                last_decrease: None,
                hold_after_429: rate.hold_after_429,
                recovery_fraction_per_second: rate.recovery_fraction_per_second.max(0.0),
            }),
            in_flight: Arc::new(Semaphore::new(max_in_flight.max(1))),
            counters: Counters::default(),
        }
    }

    fn bucket(&self) -> std::sync::MutexGuard<'_, Bucket> {
        // A panic while holding this lock cannot leave the bucket inconsistent (every update is
        // a plain assignment), so a poisoned lock is still usable.
        self.bucket.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for a free in-flight slot and then for the rate, and counts the request.
    #[cfg(test)]
    pub(crate) async fn acquire(&self, method: &Method, sleeper: &dyn Sleeper) -> SendPermit {
        self.acquire_unless(method, sleeper, None)
            .await
            .expect("a request that cannot be withdrawn always gets its permit")
    }

    /// Waits for a free in-flight slot and then for the rate, and counts the request; `None`
    /// (nothing counted, the rate token given back) when `withdrawal` comes first.
    pub(crate) async fn acquire_unless(
        &self,
        method: &Method,
        sleeper: &dyn Sleeper,
        withdrawal: Option<&Withdrawal>,
    ) -> Option<SendPermit> {
        let withdrawn = withdrawn(withdrawal);
        tokio::pin!(withdrawn);
        let permit = tokio::select! {
            biased;
            () = &mut withdrawn => return None,
            permit = Arc::clone(&self.in_flight).acquire_owned() => {
                permit.expect("the in-flight semaphore is never closed")
            }
        };
        let wait = self.bucket().reserve(Instant::now());
        if !wait.is_zero() {
            tokio::select! {
                biased;
                () = &mut withdrawn => {
                    self.bucket().refund();
                    return None;
                }
                () = sleeper.sleep(wait) => {}
            }
        }
        if withdrawal.is_some_and(Withdrawal::is_withdrawn) {
            self.bucket().refund();
            return None;
        }
        let counter = match *method {
            Method::GET => &self.counters.get,
            Method::POST => &self.counters.post,
            Method::PUT => &self.counters.put,
            Method::PATCH => &self.counters.patch,
            _ => &self.counters.delete,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Some(SendPermit { _in_flight: permit, sent_at: Instant::now() })
    }

    /// Reacts to a 429 for a request sent at `sent_at`: every task pauses for `pause`, the
    /// bucket is emptied (the server's is), and the rate is halved, once per congestion event
    /// (429s for requests sent before the last decrease do not halve it again).
    pub(crate) fn on_rate_limited(&self, sent_at: Instant, pause: Duration) {
        let now = Instant::now();
        let mut bucket = self.bucket();
        bucket.refill(now);
        bucket.tokens = bucket.tokens.min(0.0);
        bucket.paused_until = bucket.paused_until.max(now + pause);
        if bucket.last_decrease.is_none_or(|last| sent_at >= last) {
            bucket.rate = (bucket.rate / 2.0).max(bucket.min_rate);
            bucket.last_decrease = Some(now);
            tracing::debug!(rate_per_second = bucket.rate, "rate budget lowered after a 429");
        }
        bucket.hold_until = now + pause + bucket.hold_after_429;
    }

    pub(crate) fn record(&self, event: Event) {
        let counter = match event {
            Event::Retry => &self.counters.retries,
            Event::RateLimited => &self.counters.rate_limited,
            Event::ServerError => &self.counters.server_errors,
            Event::TransportFailure => &self.counters.transport_failures,
            Event::RecoveredCreate => &self.counters.recovered_creates,
            Event::Page => &self.counters.pages,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests that could be sent now without waiting for the rate: the whole tokens in the
    /// bucket; none while it is in debt or everyone waits out a 429. The executor runs more
    /// steps at once while there are some to spare.
    pub fn spare(&self) -> usize {
        let now = Instant::now();
        let mut bucket = self.bucket();
        bucket.refill(now);
        if bucket.paused_until > now {
            return 0;
        }
        bucket.tokens.max(0.0).floor() as usize
    }

    /// The rate currently allowed, per second.
    pub fn current_rate(&self) -> f64 {
        let mut bucket = self.bucket();
        bucket.refill(Instant::now());
        bucket.rate
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> RequestStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let counters = &self.counters;
        RequestStats {
            sent: MethodCounts {
                get: load(&counters.get),
                post: load(&counters.post),
                put: load(&counters.put),
                patch: load(&counters.patch),
                delete: load(&counters.delete),
            },
            retries: load(&counters.retries),
            rate_limited: load(&counters.rate_limited),
            server_errors: load(&counters.server_errors),
            transport_failures: load(&counters.transport_failures),
            recovered_creates: load(&counters.recovered_creates),
            pages: load(&counters.pages),
            current_rate_per_second: self.current_rate(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TokioSleeper;

    fn rate(burst: u32, per_second: f64) -> RateLimit {
        RateLimit { burst, per_second, ..RateLimit::default() }
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_bursts_then_paces_at_the_rate() {
        let budget = RateBudget::new(rate(10, 5.0), 100);
        let start = Instant::now();
        for _ in 0..10 {
            drop(budget.acquire(&Method::GET, &TokioSleeper).await);
        }
        assert_eq!(Instant::now() - start, Duration::ZERO, "the burst is free");
        for _ in 0..5 {
            drop(budget.acquire(&Method::GET, &TokioSleeper).await);
        }
        let elapsed = Instant::now() - start;
        assert!(
            elapsed >= Duration::from_millis(999) && elapsed <= Duration::from_millis(1_001),
            "{elapsed:?}"
        );
        assert_eq!(budget.stats().sent.get, 15);
    }

    #[tokio::test(start_paused = true)]
    async fn spare_requests_are_the_whole_tokens_left() {
        let budget = RateBudget::new(rate(10, 5.0), 100);
        assert_eq!(budget.spare(), 10);
        for _ in 0..4 {
            drop(budget.acquire(&Method::GET, &TokioSleeper).await);
        }
        assert_eq!(budget.spare(), 6);
        tokio::time::advance(Duration::from_millis(500)).await;
        assert_eq!(budget.spare(), 8, "2.5 tokens refilled, whole ones count");
        budget.on_rate_limited(Instant::now(), Duration::from_secs(1));
        assert_eq!(budget.spare(), 0, "nothing to spare after a 429");
    }

    #[tokio::test(start_paused = true)]
    async fn sends_never_exceed_burst_plus_rate_times_time() {
        // Many tasks at once: the budget must stay under the leaky bucket it models.
        let budget = Arc::new(RateBudget::new(rate(20, 50.0), 8));
        let start = Instant::now();
        let sent_at = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let budget = Arc::clone(&budget);
            let sent_at = Arc::clone(&sent_at);
            tasks.push(tokio::spawn(async move {
                let permit = budget.acquire(&Method::POST, &TokioSleeper).await;
                sent_at.lock().unwrap().push(permit.sent_at - start);
                tokio::time::sleep(Duration::from_millis(3)).await;
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let times = sent_at.lock().unwrap().clone();
        for (index, at) in times.iter().enumerate() {
            let allowed = 20.0 + 50.0 * at.as_secs_f64() + 1e-6;
            assert!((index + 1) as f64 <= allowed, "request {index} at {at:?} exceeds the budget");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_once_pauses_everyone_and_creeps_back() {
        let budget = RateBudget::new(rate(100, 100.0), 10);
        let sent_before = Instant::now();
        tokio::time::advance(Duration::from_millis(10)).await;
        budget.on_rate_limited(sent_before, Duration::from_secs(2));
        // A second 429 for a request sent before the decrease does not halve again.
        budget.on_rate_limited(sent_before, Duration::from_secs(2));
        assert_eq!(budget.current_rate(), 50.0);
        let start = Instant::now();
        drop(budget.acquire(&Method::GET, &TokioSleeper).await);
        assert!(Instant::now() - start >= Duration::from_secs(2), "everyone waits out Retry-After");
        // A 429 for a request sent after the decrease halves again.
        budget.on_rate_limited(Instant::now(), Duration::from_secs(1));
        assert_eq!(budget.current_rate(), 25.0);
        // Held for pause + 5 s, then +5 % of 100/s per second.
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(budget.current_rate(), 25.0);
        tokio::time::advance(Duration::from_secs(10)).await;
        let rate = budget.current_rate();
        assert!(rate > 70.0 && rate < 80.0, "{rate}");
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(budget.current_rate(), 100.0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_floor_holds() {
        let budget = RateBudget::new(RateLimit { min_per_second: 10.0, ..rate(10, 100.0) }, 1);
        for _ in 0..10 {
            budget.on_rate_limited(Instant::now(), Duration::ZERO);
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        assert_eq!(budget.current_rate(), 10.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_withdrawn_request_is_never_counted_and_gives_its_token_back() {
        let budget = Arc::new(RateBudget::new(rate(2, 1.0), 1));
        let withdrawal = Arc::new(Withdrawal::default());
        let held = budget.acquire(&Method::GET, &TokioSleeper).await;
        // Waiting for the only in-flight slot when the withdrawal comes.
        let waiting = {
            let (budget, withdrawal) = (Arc::clone(&budget), Arc::clone(&withdrawal));
            tokio::spawn(async move {
                budget.acquire_unless(&Method::GET, &TokioSleeper, Some(&withdrawal)).await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        withdrawal.withdraw();
        assert!(waiting.await.unwrap().is_none());
        drop(held);
        // Waiting for the rate (the bucket is empty) when the withdrawal comes: the token it
        // took is given back, so the next request waits only for the one it needs.
        drop(budget.acquire(&Method::GET, &TokioSleeper).await);
        let late = Withdrawal::default();
        let started = Instant::now();
        let (withdrawn, ()) =
            tokio::join!(budget.acquire_unless(&Method::GET, &TokioSleeper, Some(&late)), async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                late.withdraw();
            });
        assert!(withdrawn.is_none());
        assert_eq!(Instant::now() - started, Duration::from_millis(100), "no waiting past it");
        assert_eq!(budget.stats().sent.get, 2, "withdrawn requests are not counted");
        let started = Instant::now();
        drop(budget.acquire(&Method::GET, &TokioSleeper).await);
        let waited = Instant::now() - started;
        // One token owed less what 110 ms refilled: 0.89 s. Without the refund it would be
        // 1.89 s (two tokens owed at 1/s).
        assert_eq!(waited, Duration::from_millis(890));
        // Withdrawn before it asked: refused at once.
        assert!(budget.acquire_unless(&Method::GET, &TokioSleeper, Some(&late)).await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_is_bounded() {
        let budget = Arc::new(RateBudget::new(rate(1_000, 1_000.0), 2));
        let first = budget.acquire(&Method::GET, &TokioSleeper).await;
        let _second = budget.acquire(&Method::GET, &TokioSleeper).await;
        let third = {
            let budget = Arc::clone(&budget);
            tokio::spawn(async move { budget.acquire(&Method::GET, &TokioSleeper).await.sent_at })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!third.is_finished());
        drop(first);
        let sent_at = third.await.unwrap();
        assert!(sent_at >= Instant::now() - Duration::from_millis(1));
    }
}
