//! The rounds of a batch: each sends what is pending, several requests at a time, and what
//! DynamoDB leaves undone goes to the next, after a backoff, until the caller's policy stops
//! them. One driver for batch writes and batch gets.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use futures_util::stream::{self, StreamExt};
use tracing::Instrument;

use super::{BatchOptions, check_concurrency};
use crate::error::Error;
use crate::ops::CapacityMeter;
use crate::retry::RetryPolicy;
use crate::target::Config;

/// The rounds of a batch: when to stop, how long to wait before the next one.
pub(crate) struct Rounds {
    policy: RetryPolicy,
    started: Instant,
    round: u32,
    idle: u32,
}

/// Why the rounds of a batch stopped with work left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// `max_rounds_without_progress` rounds in a row did nothing.
    NoProgress,
    /// `max_rounds` rounds were sent.
    Rounds,
    /// The next round would start after the deadline.
    Deadline,
}

impl Rounds {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        Rounds {
            policy,
            started: Instant::now(),
            round: 0,
            idle: 0,
        }
    }

    /// Starts a round; returns its number, from 1.
    pub(crate) fn start(&mut self) -> u32 {
        self.round += 1;
        self.round
    }

    /// The rounds started so far.
    pub(crate) fn count(&self) -> u32 {
        self.round
    }

    /// After a round that left work: the wait before the next round, or why to stop.
    pub(crate) fn next(&mut self, progressed: bool) -> Result<Duration, Stop> {
        if progressed {
            self.idle = 0;
        } else {
            self.idle += 1;
        }
        if self.idle >= self.policy.rounds_without_progress() {
            return Err(Stop::NoProgress);
        }
        if self.round >= self.policy.rounds() {
            return Err(Stop::Rounds);
        }
        let delay = self.policy.delay(self.round.saturating_sub(1));
        if let Some(deadline) = self.policy.time_limit()
            && self.started.elapsed() + delay > deadline
        {
            return Err(Stop::Deadline);
        }
        Ok(delay)
    }
}

/// One kind of batch request (`BatchWriteItem`, `BatchGetItem`) as [`run`] drives it. The
/// entries of a batch are numbered from 0; a round sends the pending ones in chunks, and each
/// answer says which entries are done, which go to the next round, and which failed.
pub(crate) trait Batch {
    /// The operation's name, for the spans.
    const OPERATION: &'static str;

    /// A request's answer.
    type Answer: Send + 'static;

    /// How many entries the batch has.
    fn len(&self) -> usize;

    /// Splits the pending entries (in order) into requests.
    fn chunks(&self, pending: &[usize]) -> Vec<Vec<usize>>;

    /// The request of the entries `chunk`, ready to send with `sender`.
    fn request(
        &mut self,
        sender: &Sender,
        chunk: &[usize],
    ) -> impl Future<Output = Result<Self::Answer, Error>> + Send + use<Self>;

    /// Takes in the outcome of the request of `chunk`.
    fn settle(&mut self, chunk: Vec<usize>, outcome: Result<Self::Answer, Error>, round: &mut Round);
}

/// What the answers of one round said.
#[derive(Default)]
pub(crate) struct Round {
    left: Vec<usize>,
    progressed: bool,
    retryable: Option<Error>,
    errors: Vec<Error>,
    consumed: Option<f64>,
}

impl Round {
    /// An entry is done (written, found, or known to be missing).
    pub(crate) fn done(&mut self) {
        self.progressed = true;
    }

    /// An entry goes to the next round.
    pub(crate) fn again(&mut self, at: usize) {
        self.left.push(at);
    }

    /// A request failed with `error`, which is transient, and its entries went to the next
    /// round ([`again`](Self::again)). If the rounds stop there, the error is reported.
    pub(crate) fn retryable(&mut self, error: Error) {
        self.retryable = Some(error);
    }

    /// A request, or the preparation of an entry, failed for good.
    pub(crate) fn failed(&mut self, error: Error) {
        self.errors.push(error);
    }

    /// Adds a request's consumed capacity.
    pub(crate) fn consumed(&mut self, units: Option<f64>) {
        add_capacity(&mut self.consumed, units);
    }
}

fn add_capacity(total: &mut Option<f64>, units: Option<f64>) {
    if let Some(units) = units {
        *total = Some(total.unwrap_or(0.0) + units);
    }
}

/// What every request of a batch is sent with.
pub(crate) struct Sender {
    pub(crate) client: Client,
    pub(crate) capacity: Option<ReturnConsumedCapacity>,
    pub(crate) meter: Option<CapacityMeter>,
}

/// What the rounds of a batch did.
#[derive(Debug, Default)]
pub(crate) struct Ran {
    pub(crate) errors: Vec<Error>,
    pub(crate) consumed_capacity: Option<f64>,
    pub(crate) requests: u32,
    pub(crate) rounds: u32,
    /// How many entries were still pending when the rounds stopped.
    pub(crate) left: usize,
}

/// Checks the options and prepares the batch (an error then means nothing was sent), then
/// sends it in rounds ([`run`]).
pub(crate) async fn send<B: Batch>(
    config: &Config,
    options: &BatchOptions,
    prepare: impl FnOnce() -> Result<B, Error>,
) -> Result<(B, Ran), Error> {
    check_concurrency(options.concurrency)?;
    let mut batch = prepare()?;
    let ran = run(&mut batch, config, options).await;
    Ok((batch, ran))
}

/// Sends the entries of `batch` in rounds: each round sends what is pending, up to
/// `options.concurrency` requests at a time, in a `dynamodb_batch_round` span; what the
/// answers leave goes to the next round after the policy's delay, until nothing is left or
/// the policy stops the rounds.
pub(crate) async fn run<B: Batch>(batch: &mut B, config: &Config, options: &BatchOptions) -> Ran {
    let sender = Sender {
        client: config.client.clone(),
        capacity: (options.meter.is_some() || config.consumed_capacity).then_some(ReturnConsumedCapacity::Total),
        meter: options.meter.clone(),
    };
    let mut ran = Ran::default();
    let mut pending: Vec<usize> = (0..batch.len()).collect();
    let mut rounds = Rounds::new(options.retry);
    while !pending.is_empty() {
        // Counted here, not in the span's fields: those are evaluated only when a subscriber
        // listens, and the rounds must count (and stop) without one.
        let round_number = rounds.start();
        let span = tracing::debug_span!(
            "dynamodb_batch_round",
            operation = B::OPERATION,
            round = round_number,
            pending = pending.len(),
            left = tracing::field::Empty
        );
        let requests: Vec<_> = batch
            .chunks(&pending)
            .into_iter()
            .map(|chunk| {
                let request = batch.request(&sender, &chunk);
                async move { (chunk, request.await) }
            })
            .collect();
        ran.requests += requests.len() as u32;
        let outcomes: Vec<_> = stream::iter(requests)
            .buffer_unordered(options.concurrency)
            .collect()
            .instrument(span.clone())
            .await;
        let mut round = Round::default();
        for (chunk, outcome) in outcomes {
            batch.settle(chunk, outcome, &mut round);
        }
        ran.errors.append(&mut round.errors);
        add_capacity(&mut ran.consumed_capacity, round.consumed);
        span.record("left", round.left.len());
        pending = round.left;
        if pending.is_empty() {
            break;
        }
        pending.sort_unstable();
        match rounds.next(round.progressed) {
            Ok(delay) => {
                // Only fails without an async sleep, which the client needed to send at all.
                if let Err(error) = crate::retry::sleep(config, delay).instrument(span).await {
                    ran.errors.extend(round.retryable);
                    ran.errors.push(error);
                    break;
                }
            }
            Err(stop) => {
                tracing::debug!(parent: &span, ?stop, left = pending.len(), "batch stopped with entries left");
                ran.errors.extend(round.retryable);
                break;
            }
        }
    }
    ran.rounds = rounds.count();
    ran.left = pending.len();
    ran
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_stop_without_progress_and_back_off_under_the_cap() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(4))
            .max_delay(Duration::from_millis(10))
            .max_rounds_without_progress(2);
        let mut rounds = Rounds::new(policy);
        rounds.start();
        assert!(rounds.next(true).unwrap() <= Duration::from_millis(4));
        rounds.start();
        assert!(rounds.next(false).unwrap() <= Duration::from_millis(8));
        rounds.start();
        assert!(rounds.next(true).unwrap() <= Duration::from_millis(10));
        rounds.start();
        assert!(rounds.next(false).is_ok());
        rounds.start();
        assert_eq!(rounds.next(false), Err(Stop::NoProgress));

        let mut capped = Rounds::new(policy.max_rounds(2));
        capped.start();
        assert!(capped.next(true).is_ok());
        capped.start();
        assert_eq!(capped.next(true), Err(Stop::Rounds));

        let mut late = Rounds::new(policy.deadline(Duration::ZERO).base_delay(Duration::from_millis(1)));
        late.start();
        // A zero delay may still fit a zero deadline; any positive one does not.
        let stopped = (0..50).any(|_| late.next(true) == Err(Stop::Deadline));
        assert!(stopped);
    }
}
