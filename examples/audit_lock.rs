//! An audit store for a migration runner: an audit-log table that records every step a runner
//! takes, and a distributed-lock table so that only one runner works at a time.
//!
//! Both tables are provisioned, with names and capacities configurable as in Flamingock's
//! DynamoDB audit store (defaults `flamingockAuditLog`, `flamingockLock`, 5 read and 5 write
//! units; override with `AUDIT_REPOSITORY_NAME`, `LOCK_REPOSITORY_NAME`, `READ_CAPACITY_UNITS`,
//! `WRITE_CAPACITY_UNITS`).
//!
//! The lock is a lease, measured in the item (`leaseUntil`, epoch milliseconds) against the
//! writer's clock:
//! - acquired by a conditional put: no lock is stored, or its lease has run out;
//! - renewed by its owner with a conditional patch of the lease alone, while it still runs;
//! - released by a conditional delete, only by its owner.
//!
//! Runner A takes the lock and renews it; runner B is refused; A stalls past its lease; B takes
//! the expired lease; A's renewal and release are then refused, and B releases. Every attempt
//! is written to the audit log, which is read back at the end.
//!
//! Configured through plain `aws_config` (`AWS_ENDPOINT_URL_DYNAMODB` for a local server):
//!
//! ```sh
//! scripts/with-local-dynamodb cargo run --example audit_lock
//! ```

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use dynamodb_mapper::{Attributes, Error, Item, Mapper, Table};

/// Table names and provisioned capacity of both tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditStoreConfig {
    pub audit_repository_name: String,
    pub lock_repository_name: String,
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
}

impl Default for AuditStoreConfig {
    fn default() -> Self {
        AuditStoreConfig {
            audit_repository_name: "flamingockAuditLog".into(),
            lock_repository_name: "flamingockLock".into(),
            read_capacity_units: 5,
            write_capacity_units: 5,
        }
    }
}

impl AuditStoreConfig {
    pub fn with_read_capacity_units(mut self, units: i64) -> Self {
        self.read_capacity_units = units;
        self
    }

    pub fn with_write_capacity_units(mut self, units: i64) -> Self {
        self.write_capacity_units = units;
        self
    }

    pub fn with_audit_repository_name(mut self, name: impl Into<String>) -> Self {
        self.audit_repository_name = name.into();
        self
    }

    pub fn with_lock_repository_name(mut self, name: impl Into<String>) -> Self {
        self.lock_repository_name = name.into();
        self
    }

    /// The defaults, overridden by the environment variables named after the fields in
    /// upper case.
    pub fn from_env() -> Result<Self, Box<dyn std::error::Error>> {
        let mut config = AuditStoreConfig::default();
        if let Ok(name) = std::env::var("AUDIT_REPOSITORY_NAME") {
            config = config.with_audit_repository_name(name);
        }
        if let Ok(name) = std::env::var("LOCK_REPOSITORY_NAME") {
            config = config.with_lock_repository_name(name);
        }
        if let Ok(units) = std::env::var("READ_CAPACITY_UNITS") {
            config = config.with_read_capacity_units(units.parse()?);
        }
        if let Ok(units) = std::env::var("WRITE_CAPACITY_UNITS") {
            config = config.with_write_capacity_units(units.parse()?);
        }
        Ok(config)
    }
}

/// What a runner tried to do with the lock.
#[derive(Attributes, Debug, Clone, Copy, PartialEq, Eq)]
#[item(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LockStep {
    Acquire,
    Renew,
    Release,
}

/// Whether it worked.
#[derive(Attributes, Debug, Clone, Copy, PartialEq, Eq)]
#[item(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Granted,
    Refused,
}

/// One line of the audit log: a runner's execution, numbered in order.
#[derive(Item, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
pub struct AuditEntry {
    #[partition_key]
    pub execution_id: String,
    #[sort_key]
    pub sequence: u32,
    pub runner: String,
    pub lock_key: String,
    pub step: LockStep,
    pub outcome: Outcome,
    pub detail: String,
    pub recorded_at: DateTime<Utc>,
}

/// The lock, while someone holds it.
#[derive(Item, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
pub struct LockEntry {
    #[partition_key]
    pub lock_key: String,
    pub owner: String,
    /// The lease runs until this time, in epoch milliseconds.
    pub lease_until: i64,
    pub acquired_at: DateTime<Utc>,
}

impl LockEntry {
    pub fn lease_until(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.lease_until).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// Why the lock service refused.
#[derive(Debug)]
pub enum LockError {
    /// Someone else holds the lock, or held it when the write was made.
    Held { owner: String, until: DateTime<Utc> },
    /// The caller no longer holds the lock: it expired, was taken over, or was released.
    NotOwner { holder: Option<LockEntry> },
    /// The store failed.
    Store(Error),
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Held { owner, until } => write!(f, "held by {owner} until {until}"),
            LockError::NotOwner { holder: Some(h) } => {
                write!(f, "not the owner: held by {} until {}", h.owner, h.lease_until())
            }
            LockError::NotOwner { holder: None } => write!(f, "not the owner: the lock is free"),
            LockError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LockError {}

impl From<Error> for LockError {
    fn from(e: Error) -> Self {
        LockError::Store(e)
    }
}

/// Both tables.
#[derive(Debug, Clone)]
pub struct AuditStore {
    audit: Table<AuditEntry>,
    locks: Table<LockEntry>,
    config: AuditStoreConfig,
}

impl AuditStore {
    pub fn new(mapper: &Mapper, config: AuditStoreConfig) -> Result<Self, Error> {
        Ok(AuditStore {
            audit: mapper.table_named(&config.audit_repository_name)?,
            locks: mapper.table_named(&config.lock_repository_name)?,
            config,
        })
    }

    pub fn audit_log(&self) -> &Table<AuditEntry> {
        &self.audit
    }

    pub fn locks(&self) -> &Table<LockEntry> {
        &self.locks
    }

    /// Creates whichever table is missing, with the configured capacity. Returns the names
    /// of the tables created.
    pub async fn create_tables_if_missing(&self) -> Result<Vec<String>, Error> {
        let (read, write) = (self.config.read_capacity_units, self.config.write_capacity_units);
        let mut created = Vec::new();
        if !self.audit.exists().await? {
            self.audit.create_table().provisioned(read, write).await?;
            created.push(self.audit.name().to_owned());
        }
        if !self.locks.exists().await? {
            self.locks.create_table().provisioned(read, write).await?;
            created.push(self.locks.name().to_owned());
        }
        Ok(created)
    }

    /// A runner: one process taking part, with its own execution in the audit log.
    pub fn runner(&self, name: &str) -> Runner {
        let run = uuid::Uuid::new_v4().simple().to_string();
        Runner {
            store: self.clone(),
            owner: format!("{name}@{}", &run[..8]),
            execution_id: format!("exec-{run}"),
            sequence: 0,
        }
    }
}

/// One runner's view of the lock, writing an audit entry for every attempt.
#[derive(Debug)]
pub struct Runner {
    store: AuditStore,
    owner: String,
    execution_id: String,
    sequence: u32,
}

impl Runner {
    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn execution_id(&self) -> &str {
        &self.execution_id
    }

    /// Takes the lock for `lease` if it is free or its lease has run out.
    pub async fn acquire(&mut self, lock_key: &str, lease: TimeDelta) -> Result<LockEntry, LockError> {
        let now = Utc::now();
        let entry = LockEntry {
            lock_key: lock_key.into(),
            owner: self.owner.clone(),
            lease_until: (now + lease).timestamp_millis(),
            acquired_at: now,
        };
        let f = LockEntry::fields();
        let free = f.lock_key.not_exists().or(f.lease_until.lt(now.timestamp_millis()));
        // The replaced item, if any, is an expired lease: say whose in the audit log.
        let (result, detail) = match self.store.locks.put(&entry).condition(free).return_old().await {
            Ok(None) => (Ok(entry), "the lock was free".to_owned()),
            Ok(Some(expired)) => {
                let detail = format!(
                    "took over the lease {} let expire at {}",
                    expired.owner,
                    expired.lease_until()
                );
                (Ok(entry), detail)
            }
            Err(Error::ConditionFailed(failed)) => match failed.item::<LockEntry>() {
                Ok(Some(held)) => (
                    Err(LockError::Held {
                        until: held.lease_until(),
                        owner: held.owner,
                    }),
                    String::new(),
                ),
                Err(e) => (Err(LockError::Store(e.into())), String::new()),
                Ok(None) => (Err(LockError::Store(Error::ConditionFailed(failed))), String::new()),
            },
            Err(e) => (Err(e.into()), String::new()),
        };
        self.audit(lock_key, LockStep::Acquire, &result, detail).await?;
        result
    }

    /// Extends the lease of a lock this runner holds, while the lease still runs.
    pub async fn renew(&mut self, held: &LockEntry, lease: TimeDelta) -> Result<LockEntry, LockError> {
        let now = Utc::now();
        let lease_until = (now + lease).timestamp_millis();
        let f = LockEntry::fields();
        let mine = f.owner.eq(&self.owner).and(f.lease_until.ge(now.timestamp_millis()));
        // Only the lease moves: a patch by key, not the whole entry. A patch updates a stored
        // entry: a released lock is not created again.
        let renewal = self
            .store
            .locks
            .patch(held.lock_key.as_str())
            .set(&f.lease_until, lease_until)
            .condition(mine);
        let result = match renewal.await {
            Ok(stored) => Ok(stored),
            Err(Error::ItemNotFound { .. }) => Err(LockError::NotOwner { holder: None }),
            Err(Error::ConditionFailed(failed)) => not_owner(failed.item::<LockEntry>()),
            Err(e) => Err(e.into()),
        };
        let detail = match &result {
            Ok(renewed) => format!("the lease runs until {}", renewed.lease_until()),
            Err(_) => String::new(),
        };
        self.audit(&held.lock_key, LockStep::Renew, &result, detail).await?;
        result
    }

    /// Gives the lock up, if this runner still holds it.
    pub async fn release(&mut self, held: &LockEntry) -> Result<(), LockError> {
        let mine = LockEntry::fields().owner.eq(&self.owner);
        let result = match self.store.locks.delete(held.lock_key.as_str()).condition(mine).await {
            Ok(()) => Ok(()),
            Err(Error::ConditionFailed(failed)) => not_owner(failed.item::<LockEntry>()),
            Err(e) => Err(e.into()),
        };
        self.audit(&held.lock_key, LockStep::Release, &result, String::new())
            .await?;
        result
    }

    /// Appends an entry to this runner's execution in the audit log (`detail` says more about
    /// a granted step; a refusal says why itself). An entry is never overwritten.
    async fn audit<T>(
        &mut self,
        lock_key: &str,
        step: LockStep,
        result: &Result<T, LockError>,
        detail: String,
    ) -> Result<(), Error> {
        let (outcome, detail) = match result {
            Ok(_) => (Outcome::Granted, detail),
            // The store itself failed: the caller gets that error, and there is nothing to record.
            Err(LockError::Store(_)) => return Ok(()),
            Err(refused) => (Outcome::Refused, refused.to_string()),
        };
        self.sequence += 1;
        let entry = AuditEntry {
            execution_id: self.execution_id.clone(),
            sequence: self.sequence,
            runner: self.owner.clone(),
            lock_key: lock_key.into(),
            step,
            outcome,
            detail,
            recorded_at: Utc::now(),
        };
        self.store
            .audit
            .put(&entry)
            .condition(AuditEntry::fields().execution_id.not_exists())
            .await
    }

    /// This runner's audit trail, in order.
    pub async fn trail(&self) -> Result<Vec<AuditEntry>, Error> {
        self.store
            .audit
            .query(self.execution_id.as_str())
            .consistent_read()
            .all()
            .await
    }
}

fn not_owner<T>(stored: Result<Option<LockEntry>, dynamodb_mapper::ConvertError>) -> Result<T, LockError> {
    match stored {
        Ok(holder) => Err(LockError::NotOwner { holder }),
        Err(e) => Err(LockError::Store(e.into())),
    }
}

const LOCK: &str = "migrations";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mapper = Mapper::new(aws_sdk_dynamodb::Client::new(&config));
    let store_config = AuditStoreConfig::from_env()?;
    let store = AuditStore::new(&mapper, store_config.clone())?;
    for table in store.create_tables_if_missing().await? {
        println!(
            "created table {table} ({} read / {} write units)",
            store_config.read_capacity_units, store_config.write_capacity_units
        );
    }

    let lease = TimeDelta::milliseconds(2_000);
    let mut a = store.runner("runner-a");
    let mut b = store.runner("runner-b");

    let held_by_a = a.acquire(LOCK, lease).await?;
    println!("{} acquired `{LOCK}` until {}", a.owner(), held_by_a.lease_until());

    match b.acquire(LOCK, lease).await {
        Err(LockError::Held { owner, until }) => {
            println!("{} was refused: held by {owner} until {until}", b.owner());
            assert_eq!(owner, a.owner());
        }
        other => return Err(format!("expected the held lock to be refused, got {other:?}").into()),
    }

    let held_by_a = a.renew(&held_by_a, lease).await?;
    println!("{} renewed its lease until {}", a.owner(), held_by_a.lease_until());

    // Runner A stalls (a long pause, a network partition) past its lease.
    let stalled = (held_by_a.lease_until() - Utc::now() + TimeDelta::milliseconds(50)).max(TimeDelta::zero());
    println!(
        "{} stalls for {} ms, past its lease",
        a.owner(),
        stalled.num_milliseconds()
    );
    tokio::time::sleep(stalled.to_std()?).await;

    let held_by_b = b.acquire(LOCK, lease).await?;
    println!(
        "{} took over the expired lease until {}",
        b.owner(),
        held_by_b.lease_until()
    );
    assert_eq!(held_by_b.owner, b.owner());

    match a.renew(&held_by_a, lease).await {
        Err(refused @ LockError::NotOwner { .. }) => println!("{}'s renewal was refused: {refused}", a.owner()),
        other => return Err(format!("expected the stale renewal to be refused, got {other:?}").into()),
    }
    match a.release(&held_by_a).await {
        Err(refused @ LockError::NotOwner { .. }) => println!("{}'s release was refused: {refused}", a.owner()),
        other => return Err(format!("expected the stale release to be refused, got {other:?}").into()),
    }
    let stored = store
        .locks()
        .get(LOCK)
        .consistent_read()
        .await?
        .ok_or("the lock is still held")?;
    assert_eq!(stored.owner, b.owner(), "the stale owner changed nothing");

    b.release(&held_by_b).await?;
    println!("{} released `{LOCK}`", b.owner());
    assert!(store.locks().get(LOCK).consistent_read().await?.is_none());

    use LockStep::*;
    use Outcome::*;
    let expected = [
        (
            &a,
            vec![
                (Acquire, Granted),
                (Renew, Granted),
                (Renew, Refused),
                (Release, Refused),
            ],
        ),
        (&b, vec![(Acquire, Refused), (Acquire, Granted), (Release, Granted)]),
    ];
    let mut trails = Vec::new();
    for (runner, steps) in expected {
        let trail = runner.trail().await?;
        println!("audit log of {} ({}):", runner.owner(), runner.execution_id());
        for entry in &trail {
            println!(
                "  #{} {:?} {:?} {}",
                entry.sequence, entry.step, entry.outcome, entry.detail
            );
        }
        let found: Vec<(LockStep, Outcome)> = trail.iter().map(|e| (e.step, e.outcome)).collect();
        assert_eq!(found, steps, "the audit log of {}", runner.owner());
        assert!(trail.iter().all(|e| e.runner == runner.owner() && e.lock_key == LOCK));
        trails.push(trail);
    }
    // B's takeover names the owner whose lease expired.
    assert!(
        trails[1][1]
            .detail
            .contains(&format!("took over the lease {}", a.owner()))
    );
    Ok(())
}
