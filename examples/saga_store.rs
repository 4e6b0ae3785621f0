//! A saga store: the state of long-running workflows (an order: capture the payment, reserve
//! the stock, then done), one item per saga instance.
//!
//! - The table is keyed `(sagaName, sagaId)`, with a global index `correlationIndex` on
//!   `(sagaName, correlationId)`, so that a message handler finds its saga from the id the
//!   message carries. `create_table` makes both, on-demand, with time to live on `ttl`.
//! - Handlers advance a saga concurrently: every write is conditional on the version that was
//!   read, and a handler that loses the race re-applies its event to the saga stored now
//!   (`Table::read_modify_write`).
//! - A completed saga gets a `ttl` (epoch seconds) `ttl_days` after completion, and DynamoDB
//!   deletes it some time after that.
//!
//! Configured through plain `aws_config`: a region and credentials as usual, or a local server
//! with `AWS_ENDPOINT_URL_DYNAMODB`. `SAGA_TABLE` names the table (`sagas`), `SAGA_TTL_DAYS`
//! sets the retention (30 days; 0 against a local endpoint, so that the local server's TTL
//! sweep can be watched). Locally:
//!
//! ```sh
//! scripts/with-local-dynamodb cargo run --example saga_store
//! ```
//!
//! Against a local endpoint the program waits up to five seconds for the completed saga to
//! expire. A server that sweeps expired items (announced by `LOCAL_TTL_SWEEP=1`) must have
//! deleted it by then, or the program fails; on one that never deletes expired items it says
//! so and carries on.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};
use dynamodb_mapper::ops::ModifyError;
use dynamodb_mapper::{Attributes, Error, Item, Mapper, RetryPolicy, Table};

/// Where a saga is in its life.
#[derive(Attributes, Debug, Clone, Copy, PartialEq, Eq)]
#[item(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SagaStatus {
    Running,
    Completed,
}

/// One instance of a saga, as stored.
#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "sagas", rename_all = "camelCase")]
pub struct SagaState {
    #[partition_key]
    #[index_partition_key("correlationIndex")]
    pub saga_name: String,
    #[sort_key]
    pub saga_id: String,
    #[index_sort_key("correlationIndex")]
    pub correlation_id: String,
    pub status: SagaStatus,
    pub payment_captured: bool,
    pub stock_reserved: bool,
    /// The events applied, in order.
    pub history: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Optimistic concurrency: every write is conditional on the version that was read.
    #[version]
    pub version: Option<u64>,
    /// When DynamoDB may delete the saga: set on completion.
    #[ttl]
    pub ttl: Option<DateTime<Utc>>,
}

/// A message a handler applies to a saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SagaEvent {
    PaymentCaptured,
    StockReserved,
}

impl SagaState {
    /// A new order saga.
    pub fn start(saga_id: &str, correlation_id: &str, now: DateTime<Utc>) -> Self {
        SagaState {
            saga_name: ORDER_SAGA.into(),
            saga_id: saga_id.into(),
            correlation_id: correlation_id.into(),
            status: SagaStatus::Running,
            payment_captured: false,
            stock_reserved: false,
            history: Vec::new(),
            started_at: now,
            completed_at: None,
            version: None,
            ttl: None,
        }
    }

    /// Applies `event`; once the payment is captured and the stock reserved, the saga is
    /// complete and expires `ttl_days` later. Messages may be delivered more than once: an
    /// event already applied changes nothing.
    /// Applies `event`; `false` if it was applied before (a redelivery), changing nothing.
    pub fn apply(&mut self, event: SagaEvent, now: DateTime<Utc>, ttl_days: u32) -> bool {
        let name = format!("{event:?}");
        if self.history.contains(&name) {
            return false;
        }
        match event {
            SagaEvent::PaymentCaptured => self.payment_captured = true,
            SagaEvent::StockReserved => self.stock_reserved = true,
        }
        self.history.push(name);
        if self.status == SagaStatus::Running && self.payment_captured && self.stock_reserved {
            self.status = SagaStatus::Completed;
            self.completed_at = Some(now);
            self.ttl = Some(expiry(now, ttl_days));
        }
        true
    }
}

/// The saga's name: the partition of all order sagas.
pub const ORDER_SAGA: &str = "OrderSaga";

/// `ttl_days` after `completed_at`, rounded up to a whole second (TTL is stored in seconds,
/// and rounding down would expire the saga before its retention has passed).
pub fn expiry(completed_at: DateTime<Utc>, ttl_days: u32) -> DateTime<Utc> {
    let at = completed_at + TimeDelta::days(i64::from(ttl_days));
    let seconds = at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0);
    DateTime::from_timestamp(seconds, 0).expect("a time within chrono's range")
}

/// How the store is set up.
#[derive(Debug, Clone)]
pub struct SagaStoreConfig {
    /// The table's name (`sagas`).
    pub table_name: String,
    /// How long a completed saga is kept (30 days).
    pub ttl_days: u32,
}

impl Default for SagaStoreConfig {
    fn default() -> Self {
        SagaStoreConfig {
            table_name: "sagas".into(),
            ttl_days: 30,
        }
    }
}

/// The saga store: a handle on the table, cheap to clone into each handler.
#[derive(Debug, Clone)]
pub struct SagaStore {
    sagas: Table<SagaState>,
    ttl_days: u32,
}

/// What a handler did: the saga as stored after its write, and how many times its write lost
/// the race and was redone on the stored saga.
#[derive(Debug)]
pub struct Handled {
    pub saga: SagaState,
    pub conflicts: u32,
    /// Whether the event was new; a redelivered one is not written again.
    pub applied: bool,
}

impl SagaStore {
    pub fn new(mapper: &Mapper, config: &SagaStoreConfig) -> Result<Self, Error> {
        Ok(SagaStore {
            sagas: mapper.table_named(&config.table_name)?,
            ttl_days: config.ttl_days,
        })
    }

    pub fn table(&self) -> &Table<SagaState> {
        &self.sagas
    }

    /// Creates the table with its index and TTL unless it exists.
    pub async fn create_table_if_missing(&self) -> Result<bool, Error> {
        if self.sagas.exists().await? {
            return Ok(false);
        }
        self.sagas.create_table().await?;
        Ok(true)
    }

    /// Stores a new saga; fails if one with its key exists (a new item is written on
    /// condition that none is stored).
    pub async fn start(&self, saga: &SagaState) -> Result<SagaState, Error> {
        self.sagas.put(saga).return_item().await
    }

    /// The saga a message belongs to, by the correlation id it carries. The index is updated
    /// asynchronously on DynamoDB, so a saga started a moment ago may take a little while to
    /// appear: try a few times.
    pub async fn find_by_correlation(&self, correlation_id: &str) -> Result<Option<SagaState>, Error> {
        for attempt in 0..10 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let found: Vec<SagaState> = self
                .sagas
                .index(SagaState::CORRELATION_INDEX)
                .query(ORDER_SAGA)
                .sort_eq(correlation_id)
                .all()
                .await?;
            if let Some(saga) = found.into_iter().next() {
                return Ok(Some(saga));
            }
        }
        Ok(None)
    }

    /// The completed sagas of one kind: a query of the kind's partition, filtered by the
    /// typed path of the status (the filter runs on the server, after the read).
    pub async fn completed(&self, saga_name: &str) -> Result<Vec<SagaState>, Error> {
        let f = SagaState::fields();
        self.sagas
            .query(saga_name)
            .filter(f.status.eq(SagaStatus::Completed).and(f.ttl.exists()))
            .consistent_read()
            .all()
            .await
    }

    /// Applies `event` to the stored saga, re-applying it to the saga stored now whenever
    /// another handler wrote first (up to 5 writes).
    pub async fn handle(&self, key: (String, String), event: SagaEvent) -> Result<Handled, Error> {
        self.handle_with(key, event, || {}).await
    }

    /// [`handle`](Self::handle), calling `after_first_read` once, between the first read of
    /// the saga and the first write.
    pub async fn handle_with(
        &self,
        key: (String, String),
        event: SagaEvent,
        mut after_first_read: impl FnMut() + Send,
    ) -> Result<Handled, Error> {
        let ttl_days = self.ttl_days;
        let mut attempts = 0;
        let mut seen = None;
        // The closure runs once per attempt: its first call sees the saga as read, each later
        // one the saga a conflicting write left. A redelivered event changes nothing, so the
        // closure declines and nothing is written.
        let result = self
            .sagas
            .read_modify_write(key, |saga| {
                attempts += 1;
                if attempts == 1 {
                    after_first_read();
                }
                if saga.apply(event, Utc::now(), ttl_days) {
                    Ok(())
                } else {
                    seen = Some(saga.clone());
                    Err(AlreadyApplied)
                }
            })
            .retry(RetryPolicy::default().max_attempts(5))
            .await;
        let (saga, applied) = match result {
            Ok(saga) => (saga, true),
            Err(ModifyError::Refused(AlreadyApplied)) => (seen.expect("the closure saw the saga"), false),
            Err(ModifyError::Failed(e)) => return Err(e),
        };
        Ok(Handled {
            saga,
            conflicts: attempts - 1,
            applied,
        })
    }
}

/// The change a redelivered event asks for is already made.
#[derive(Debug)]
struct AlreadyApplied;

/// How long to wait for a local server to delete the expired saga.
const SWEEP_WAIT: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let local = std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some();
    let store_config = SagaStoreConfig {
        table_name: std::env::var("SAGA_TABLE").unwrap_or_else(|_| "sagas".into()),
        ttl_days: match std::env::var("SAGA_TTL_DAYS") {
            Ok(days) => days.parse()?,
            Err(_) if local => 0,
            Err(_) => SagaStoreConfig::default().ttl_days,
        },
    };
    let mapper = Mapper::new(aws_sdk_dynamodb::Client::new(&config));
    let store = SagaStore::new(&mapper, &store_config)?;
    if store.create_table_if_missing().await? {
        println!(
            "created table {} with index correlationIndex and TTL on `ttl`",
            store.table().name()
        );
    }

    // An order is placed: start its saga.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let saga_id = format!("saga-{}", &run[..12]);
    let correlation_id = format!("order-{}", &run[12..24]);
    let started = store
        .start(&SagaState::start(&saga_id, &correlation_id, Utc::now()))
        .await?;
    println!(
        "started {} / {} for {} at version {:?}",
        started.saga_name, started.saga_id, started.correlation_id, started.version
    );
    assert_eq!(started.version, Some(0));
    let again = SagaState::start(&saga_id, &correlation_id, Utc::now());
    match store.start(&again).await {
        Err(Error::ConditionFailed(_)) => println!("starting it again was refused: the saga exists"),
        other => return Err(format!("expected a second start to be refused, got {other:?}").into()),
    }

    // A message arrives carrying only the correlation id.
    let found = store
        .find_by_correlation(&correlation_id)
        .await?
        .ok_or("the saga is in the correlation index")?;
    println!("found {} by correlation id {correlation_id}", found.saga_id);
    assert_eq!(found.saga_id, saga_id);

    // Two handlers advance the saga at once. To make the race certain, the payment handler
    // pauses after reading the saga until the stock handler has written, so its own write is
    // refused and redone on the saga the stock handler left.
    let (read_tx, read_rx) = tokio::sync::oneshot::channel::<()>();
    let (resume_tx, resume_rx) = std::sync::mpsc::channel::<()>();
    let mut read_tx = Some(read_tx);
    let payment = tokio::spawn({
        let store = store.clone();
        let key = found.key();
        async move {
            store
                .handle_with(key, SagaEvent::PaymentCaptured, move || {
                    if let Some(read) = read_tx.take() {
                        let _ = read.send(());
                        // A blocking wait inside the (synchronous) change: tell Tokio.
                        let _ = tokio::task::block_in_place(|| resume_rx.recv());
                    }
                })
                .await
        }
    });
    read_rx.await?;
    let stock = tokio::spawn({
        let store = store.clone();
        let key = found.key();
        async move { store.handle(key, SagaEvent::StockReserved).await }
    })
    .await??;
    println!(
        "stock handler: reserved at version {:?} ({} conflicts)",
        stock.saga.version, stock.conflicts
    );
    resume_tx.send(())?;
    let payment = payment.await??;
    println!(
        "payment handler: captured at version {:?} after {} conflict(s), retried on the stored saga",
        payment.saga.version, payment.conflicts
    );
    let conflicts = stock.conflicts + payment.conflicts;
    assert_eq!(
        (stock.conflicts, payment.conflicts),
        (0, 1),
        "exactly one write lost the race"
    );
    println!("conflicts counted: {conflicts}, each retried on the stored saga");

    // Both steps are done, so the handler that wrote last completed the saga.
    let done = payment.saga;
    assert_eq!(done.version, Some(2));
    assert_eq!(done.status, SagaStatus::Completed);
    assert_eq!(done.history, ["StockReserved", "PaymentCaptured"]);
    let completed_at = done.completed_at.ok_or("a completed saga has a completion time")?;
    let expires = expiry(completed_at, store_config.ttl_days);
    println!(
        "completed at {completed_at}; expires at {expires} ({} days later)",
        store_config.ttl_days
    );

    let completed = store.completed(ORDER_SAGA).await?;
    assert!(completed.iter().any(|saga| saga.saga_id == saga_id));
    println!("completed {ORDER_SAGA}s: {}", completed.len());

    // The TTL attribute, as DynamoDB stores it: a number of epoch seconds. The raw request
    // names the attributes by their typed paths (`rename_all = "camelCase"` applied).
    let f = SagaState::fields();
    let raw = mapper
        .client()
        .get_item()
        .table_name(store.table().name())
        .key(f.saga_name.path().root(), AttributeValue::S(ORDER_SAGA.into()))
        .key(f.saga_id.path().root(), AttributeValue::S(saga_id.clone()))
        .consistent_read(true)
        .send()
        .await?
        .item
        .ok_or("the completed saga is stored")?;
    let ttl = raw
        .get(f.ttl.path().root())
        .ok_or("the completed saga has a `ttl` attribute")?;
    let status = raw.get(f.status.path().root());
    println!("raw item: ttl = {ttl:?}, status = {status:?}");
    assert_eq!(ttl.as_n().ok(), Some(&expires.timestamp().to_string()));
    assert_eq!(
        status.and_then(|s| s.as_s().ok()).map(String::as_str),
        Some("COMPLETED")
    );

    if !local {
        println!("DynamoDB deletes the saga within a few days after {expires}");
        return Ok(());
    }
    if expires > Utc::now() + SWEEP_WAIT {
        println!("the saga expires after {SWEEP_WAIT:?}: set SAGA_TTL_DAYS=0 to watch it expire");
        return Ok(());
    }
    let sweep_expected = std::env::var("LOCAL_TTL_SWEEP").is_ok_and(|v| v == "1");
    let waiting = Instant::now();
    let mut gone = false;
    while waiting.elapsed() < SWEEP_WAIT {
        if store.table().get(done.key()).consistent_read().await?.is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    if gone {
        println!(
            "the expired saga was deleted by the server's TTL sweep after {:.1} s",
            waiting.elapsed().as_secs_f64()
        );
    } else if sweep_expected {
        return Err(format!("LOCAL_TTL_SWEEP=1, but the expired saga was still stored after {SWEEP_WAIT:?}").into());
    } else {
        println!(
            "the expired saga is still stored after {SWEEP_WAIT:?}: this local server does not delete expired \
             items (DynamoDB does, within days; a server that does announces it with LOCAL_TTL_SWEEP=1)"
        );
    }
    Ok(())
}
