//! [`RetryPolicy`]: how often and how long the mapper's own retry loops try again: the
//! attempts of a read-modify-write or of a transaction's identical resend, and the rounds of a
//! batch's leftovers.
//!
//! These loops sit on top of the SDK's own retries, which resend a single request after
//! throttling or a server error (configured on the client, `aws_config::retry`). The mapper
//! retries what the SDK cannot: a write that lost an optimistic-locking race (re-read and apply
//! the change again) and work DynamoDB handed back undone.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::AsyncSleep;

use crate::error::Error;
use crate::target::Config;

/// Attempts, rounds, exponential backoff with full jitter, and an overall deadline.
///
/// Each loop counts what it repeats: a read-modify-write and a transaction's resend count
/// **attempts** ([`max_attempts`](Self::max_attempts), 8 by default), a batch counts
/// **rounds** of what DynamoDB left undone ([`max_rounds`](Self::max_rounds), no limit by
/// default, with [`max_rounds_without_progress`](Self::max_rounds_without_progress) in a row
/// at most, 3 by default). The backoff and the deadline apply to both.
///
/// The wait before retry `n` (counting from 0) is a random duration between zero and
/// `min(max_delay, base_delay × 2ⁿ)` ("full jitter"), so that writers that collided once do
/// not collide again in step.
///
/// ```
/// use std::time::Duration;
/// use dynamodb_mapper::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(10))
///     .max_delay(Duration::from_millis(200))
///     .deadline(Duration::from_secs(2));
/// assert!(policy.delay(10) <= Duration::from_millis(200));
/// assert_eq!(RetryPolicy::never().attempts(), 1);
/// assert_eq!(RetryPolicy::never().rounds(), 1);
/// assert_eq!(RetryPolicy::default().max_rounds(4).rounds(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_rounds: u32,
    base_delay: Duration,
    max_delay: Duration,
    deadline: Option<Duration>,
    max_rounds_without_progress: u32,
}

impl Default for RetryPolicy {
    /// 8 attempts, no limit on rounds that make progress, 3 rounds without progress, 20 ms
    /// base, 1 s cap, no deadline.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            max_rounds: u32::MAX,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(1),
            deadline: None,
            max_rounds_without_progress: 3,
        }
    }
}

impl RetryPolicy {
    /// One attempt, one round: no retry.
    pub fn never() -> Self {
        RetryPolicy::default().max_attempts(1).max_rounds(1)
    }

    /// At most `attempts` attempts in all (at least 1), for the loops that repeat one request:
    /// a read-modify-write, a transaction's identical resend.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// For a batch: at most `rounds` rounds in all (at least 1), the first included. Each round
    /// sends what the previous ones left undone.
    pub fn max_rounds(mut self, rounds: u32) -> Self {
        self.max_rounds = rounds.max(1);
        self
    }

    /// The backoff's first step.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest wait between two attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// No retry starts later than `deadline` after the first attempt.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// For work done in rounds (a batch's leftovers): stop after this many rounds in a row in
    /// which nothing more got done.
    pub fn max_rounds_without_progress(mut self, rounds: u32) -> Self {
        self.max_rounds_without_progress = rounds.max(1);
        self
    }

    /// The most attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The most rounds of a batch.
    pub fn rounds(&self) -> u32 {
        self.max_rounds
    }

    /// The rounds without progress a round-based loop allows.
    pub fn rounds_without_progress(&self) -> u32 {
        self.max_rounds_without_progress
    }

    /// The backoff's first step.
    pub(crate) fn first_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest wait between two attempts.
    pub(crate) fn longest_delay(&self) -> Duration {
        self.max_delay
    }

    /// The deadline, if one is set.
    pub fn time_limit(&self) -> Option<Duration> {
        self.deadline
    }

    /// A random wait before retry `retry` (0 for the first retry): full jitter.
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .checked_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// One run of a retry loop.
pub(crate) struct Retries {
    policy: RetryPolicy,
    started: Instant,
    attempts: u32,
}

impl Retries {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        Retries {
            policy,
            started: Instant::now(),
            attempts: 1,
        }
    }

    /// How many attempts have been made.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Waits before the next attempt and counts it; `false` (without waiting) when the policy
    /// allows no more.
    pub(crate) async fn wait(&mut self, config: &Config) -> Result<bool, Error> {
        if self.attempts >= self.policy.max_attempts {
            return Ok(false);
        }
        let delay = self.policy.delay(self.attempts - 1);
        if let Some(deadline) = self.policy.deadline
            && self.started.elapsed() + delay > deadline
        {
            return Ok(false);
        }
        sleep(config, delay).await?;
        self.attempts += 1;
        Ok(true)
    }
}

/// Sleeps on the mapper's async sleep ([`MapperBuilder::sleep_impl`](crate::MapperBuilder::sleep_impl)),
/// else the client's, else the SDK's default one.
pub(crate) async fn sleep(config: &Config, delay: Duration) -> Result<(), Error> {
    if delay.is_zero() {
        return Ok(());
    }
    let sleep = config
        .sleep
        .clone()
        .or_else(|| config.client.config().sleep_impl())
        .or_else(aws_smithy_async::rt::sleep::default_async_sleep)
        .ok_or_else(|| {
            Error::Configuration(
                "no async sleep to wait with: enable the SDK's `rt-tokio` feature or configure `sleep_impl`".into(),
            )
        })?;
    sleep.sleep(delay).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_jittered_below_an_exponential_ceiling() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(10))
            .max_delay(Duration::from_millis(100));
        for retry in 0..40 {
            let ceiling = Duration::from_millis((10u64 << retry.min(10)).min(100));
            let delays: Vec<Duration> = (0..200).map(|_| policy.delay(retry)).collect();
            assert!(delays.iter().all(|d| *d <= ceiling), "retry {retry}");
            // Full jitter: spread over the whole range, not clustered at the ceiling.
            assert!(delays.iter().any(|d| *d < ceiling / 2), "retry {retry}");
        }
    }
}
