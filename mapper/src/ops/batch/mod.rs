//! Batches: writes and gets of any number of items across tables, in requests of DynamoDB's
//! sizes, with what DynamoDB leaves undone sent again in rounds and what is left handed back.
//!
//! What batch writes and batch gets share is here: the identity of a key (to find a leftover
//! among the requests sent, and to refuse duplicates), the rounds that send and resend the
//! requests, and the options of a batch.

mod get;
mod write;

pub use get::{BatchGet, BatchGetOutput, Fetched, GetAll, GetAllOutput, GetHandle};
pub use write::{
    BatchWrite, BatchWriteOutput, DeleteHandle, DeleteItemHandle, PutHandle, WriteAll, WriteAllOutput, WriteHandle,
};

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use futures_util::stream::{self, StreamExt};
use tracing::Instrument;

use crate::error::{Error, RefusalKind};
use crate::item::ItemMap;
use crate::ops::CapacityMeter;
use crate::retry::RetryPolicy;
use crate::schema::TableSchema;
use crate::target::Config;

/// How many requests of a batch are in flight at once, unless set.
pub(crate) const DEFAULT_CONCURRENCY: usize = 8;

/// The typed outcomes of each call of a batch, kept for the handles that call returned.
/// (Public only in name, for [`WriteHandle`]'s hidden method: its module is private.)
#[doc(hidden)]
#[derive(Debug)]
pub struct Groups {
    batch: u64,
    groups: Vec<Option<Box<dyn Any + Send>>>,
}

impl Groups {
    pub(crate) fn new(batch: u64, groups: Vec<Box<dyn Any + Send>>) -> Self {
        Groups {
            batch,
            groups: groups.into_iter().map(Some).collect(),
        }
    }

    /// The outcomes of the call `group` of batch `batch` (a handle's position), taken out:
    /// refused for a handle of another batch, empty when taken before.
    pub(crate) fn take<V: Any + Default>(&mut self, (batch, group): (u64, usize)) -> Result<V, Error> {
        let foreign = || {
            Error::refused(
                RefusalKind::ForeignHandle,
                "this handle belongs to another batch: a result answers only its own batch's handles",
            )
        };
        if batch != self.batch {
            return Err(foreign());
        }
        match self.groups.get_mut(group).ok_or_else(foreign)?.take() {
            None => Ok(V::default()),
            Some(values) => values.downcast::<V>().map(|v| *v).map_err(|_| foreign()),
        }
    }
}

/// A number identifying one batch, so that a handle cannot be used with another batch's result.
pub(crate) fn next_batch_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The options every batch has.
#[derive(Debug, Clone)]
pub(crate) struct BatchOptions {
    pub(crate) retry: RetryPolicy,
    pub(crate) concurrency: usize,
    pub(crate) meter: Option<CapacityMeter>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            retry: RetryPolicy::default(),
            concurrency: DEFAULT_CONCURRENCY,
            meter: None,
        }
    }
}

/// The options every batch builder has, on a builder with a `fn batch_options(&mut self) ->
/// &mut BatchOptions`: written once for [`BatchWrite`], [`BatchGet`], [`WriteAll`] and
/// [`GetAll`].
macro_rules! batch_options {
    ($($builder:ident $(<$($param:ident),*>)?),*) => {$(
        impl$(<$($param),*>)? $builder$(<$($param),*>)? {
            /// How the rounds of what DynamoDB leaves undone are retried: their number
            /// ([`RetryPolicy::max_rounds`](crate::RetryPolicy::max_rounds), no limit by
            /// default), the rounds in a row without progress (3 by default), the backoff
            /// between them and the deadline (see [`BatchWrite`](crate::ops::BatchWrite)).
            pub fn retry(mut self, policy: crate::RetryPolicy) -> Self {
                self.batch_options().retry = policy;
                self
            }

            /// How many requests are in flight at once (8 by default; 0 is refused when
            /// sending).
            pub fn concurrency(mut self, requests: usize) -> Self {
                self.batch_options().concurrency = requests;
                self
            }

            /// Adds the capacity every request consumes to `meter`.
            pub fn capacity(mut self, meter: &crate::ops::CapacityMeter) -> Self {
                self.batch_options().meter = Some(meter.clone());
                self
            }
        }
    )*};
}

batch_options!(BatchWrite, BatchGet, WriteAll<H>, GetAll<T, O>);

/// Refuses a concurrency of 0.
pub(crate) fn check_concurrency(concurrency: usize) -> Result<(), Error> {
    if concurrency == 0 {
        return Err(Error::refused(
            RefusalKind::InvalidArgument,
            "`concurrency(0)`: a batch sends at least one request at a time",
        ));
    }
    Ok(())
}

/// A key as bytes that compare equal exactly when DynamoDB would address the same item: the
/// table, then each key attribute's type and value (numbers normalized, as DynamoDB compares
/// them by value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct KeyId(Vec<u8>);

/// The names of a table's key attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyNames {
    pub(crate) partition: &'static str,
    pub(crate) sort: Option<&'static str>,
}

impl KeyNames {
    pub(crate) fn of(schema: &'static TableSchema) -> Self {
        KeyNames {
            partition: schema.partition_key.name,
            sort: schema.sort_key.map(|k| k.name),
        }
    }

    /// The identity of the key `item` carries (an item or a key); `None` if an attribute is
    /// missing or not a key type.
    pub(crate) fn key_id(&self, table: &str, item: &ItemMap) -> Option<KeyId> {
        let mut out = Vec::with_capacity(table.len() + 48);
        push_part(&mut out, table.as_bytes());
        for name in std::iter::once(self.partition).chain(self.sort) {
            match item.get(name)? {
                AttributeValue::S(s) => {
                    out.push(b'S');
                    push_part(&mut out, s.as_bytes());
                }
                AttributeValue::N(n) => {
                    out.push(b'N');
                    push_part(&mut out, normalize_number(n).as_bytes());
                }
                AttributeValue::B(b) => {
                    out.push(b'B');
                    push_part(&mut out, b.as_ref());
                }
                _ => return None,
            }
        }
        Some(KeyId(out))
    }
}

fn push_part(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(&(part.len() as u64).to_le_bytes());
    out.extend_from_slice(part);
}

/// A number's value as text: sign, significant digits and the power of ten of the last digit,
/// so that `1`, `1.0`, `01` and `1E0` compare equal.
pub(crate) fn normalize_number(text: &str) -> String {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], rest[at + 1..].parse::<i64>().unwrap_or(0)),
        None => (rest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = whole.chars().chain(fraction.chars()).collect();
    let mut exponent = exponent - fraction.len() as i64;
    let trimmed = digits.trim_start_matches('0');
    let significant = trimmed.trim_end_matches('0');
    if significant.is_empty() {
        return "0".to_owned();
    }
    exponent += (trimmed.len() - significant.len()) as i64;
    format!("{}{significant}e{exponent}", if negative { "-" } else { "" })
}

/// Which key attribute names each table of a batch has: two item types written to one table
/// must agree on them.
#[derive(Default)]
pub(crate) struct TableKeys {
    tables: HashMap<Arc<str>, KeyNames>,
}

impl TableKeys {
    pub(crate) fn register(&mut self, table: &Arc<str>, schema: &'static TableSchema) -> Result<KeyNames, Error> {
        let names = KeyNames::of(schema);
        match self.tables.get(table) {
            Some(known) if *known != names => Err(Error::refused(
                RefusalKind::InvalidKey,
                format!(
                    "table `{table}` is given items of two types with different keys \
                     ({known:?} and {names:?}, the latter from `{}`)",
                    schema.item.type_name
                ),
            )),
            Some(known) => Ok(*known),
            None => {
                self.tables.insert(table.clone(), names);
                Ok(names)
            }
        }
    }

    pub(crate) fn get(&self, table: &str) -> Option<KeyNames> {
        self.tables.get(table).copied()
    }
}

/// A refusal of a duplicate key, naming the table and both positions.
pub(crate) fn duplicate(table: &str, what: &str, first: &str) -> Error {
    Error::refused(
        RefusalKind::DuplicateKey,
        format!(
            "{what} has the same key as {first} in table `{table}`: one batch request cannot \
             touch an item twice"
        ),
    )
}

/// Adds a position to a refusal's message; other errors pass unchanged.
pub(crate) fn locate(error: Error, position: &str) -> Error {
    match error {
        Error::Refused(refusal) => Error::refused(refusal.kind(), format!("{position}: {}", refusal.message())),
        other => other,
    }
}

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

/// Sends the `total` entries of `batch` in rounds: each round sends what is pending, up to
/// `options.concurrency` requests at a time, in a `dynamodb_batch_round` span; what the
/// answers leave goes to the next round after the policy's delay, until nothing is left or
/// the policy stops the rounds.
pub(crate) async fn run<B: Batch>(batch: &mut B, config: &Config, options: &BatchOptions, total: usize) -> Ran {
    let sender = Sender {
        client: config.client.clone(),
        capacity: (options.meter.is_some() || config.consumed_capacity).then_some(ReturnConsumedCapacity::Total),
        meter: options.meter.clone(),
    };
    let mut ran = Ran::default();
    let mut pending: Vec<usize> = (0..total).collect();
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
    fn numbers_compare_by_value() {
        for (a, b) in [
            ("1", "1.0"),
            ("01", "1"),
            ("1E2", "100"),
            ("-0.50", "-5e-1"),
            ("0", "-0.000"),
        ] {
            assert_eq!(normalize_number(a), normalize_number(b), "{a} {b}");
        }
        for (a, b) in [("1", "10"), ("1", "-1"), ("0.1", "1")] {
            assert_ne!(normalize_number(a), normalize_number(b), "{a} {b}");
        }
    }

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
