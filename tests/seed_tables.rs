//! The tables the seed examples create have the schemas their seeds describe: the saga store's
//! keys, correlation index and TTL (`examples/saga_store.rs`), and the audit store's tables
//! with their names and provisioned capacity (`examples/audit_lock.rs`).

use aws_sdk_dynamodb::types::{
    BillingMode, KeyType, ProjectionType, ScalarAttributeType, TableDescription, TimeToLiveStatus,
};
use dynamodb_mapper::{Item, Mapper};
use dynamodb_mapper_workspace::local;

#[path = "../examples/saga_store.rs"]
#[allow(dead_code)]
mod saga_store;

#[path = "../examples/audit_lock.rs"]
#[allow(dead_code)]
mod audit_lock;

use audit_lock::{AuditStore, AuditStoreConfig};
use saga_store::{SagaStore, SagaStoreConfig};

/// `(attribute, key type)` of a key schema, in order.
fn keys(schema: &[aws_sdk_dynamodb::types::KeySchemaElement]) -> Vec<(&str, KeyType)> {
    schema
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect()
}

/// `(attribute, type)` of the table's attribute definitions, sorted by name.
fn definitions(table: &TableDescription) -> Vec<(&str, ScalarAttributeType)> {
    let mut found: Vec<_> = table
        .attribute_definitions()
        .iter()
        .map(|d| (d.attribute_name(), d.attribute_type().clone()))
        .collect();
    found.sort_by_key(|(name, _)| *name);
    found
}

/// The table's provisioned `(read, write)` units.
fn capacity(table: &TableDescription) -> (Option<i64>, Option<i64>) {
    let throughput = table.provisioned_throughput().expect("a provisioned table");
    (throughput.read_capacity_units(), throughput.write_capacity_units())
}

#[tokio::test]
async fn saga_table_has_the_seed_keys_index_and_ttl() {
    let mapper = Mapper::new(local::client());
    let config = SagaStoreConfig {
        table_name: local::unique_table_name("sagas"),
        ..SagaStoreConfig::default()
    };
    assert_eq!(SagaStoreConfig::default().table_name, "sagas");
    assert_eq!(SagaStoreConfig::default().ttl_days, 30);
    let store = SagaStore::new(&mapper, &config).unwrap();
    assert!(store.create_table_if_missing().await.unwrap(), "created");
    assert!(!store.create_table_if_missing().await.unwrap(), "created only once");

    let table = store.table().describe_table().await.unwrap();
    assert_eq!(
        keys(table.key_schema()),
        [("sagaName", KeyType::Hash), ("sagaId", KeyType::Range)]
    );
    assert_eq!(
        definitions(&table),
        [
            ("correlationId", ScalarAttributeType::S),
            ("sagaId", ScalarAttributeType::S),
            ("sagaName", ScalarAttributeType::S),
        ]
    );
    assert_eq!(
        table.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    let [index] = table.global_secondary_indexes() else {
        panic!("one global index: {:?}", table.global_secondary_indexes());
    };
    assert_eq!(index.index_name(), Some("correlationIndex"));
    assert_eq!(
        keys(index.key_schema()),
        [("sagaName", KeyType::Hash), ("correlationId", KeyType::Range)]
    );
    assert_eq!(
        index.projection().and_then(|p| p.projection_type()),
        Some(&ProjectionType::All)
    );
    assert!(table.local_secondary_indexes().is_empty());

    let ttl = mapper
        .client()
        .describe_time_to_live()
        .table_name(store.table().name())
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .expect("a TTL description");
    assert_eq!(ttl.attribute_name(), Some("ttl"));
    // DynamoDB may report `ENABLING` for up to an hour after time to live is turned on; the
    // local server turns it on at once.
    let status = ttl.time_to_live_status();
    if local::is_local() {
        assert_eq!(status, Some(&TimeToLiveStatus::Enabled));
    } else {
        assert!(
            matches!(status, Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)),
            "{status:?}"
        );
    }
}

#[tokio::test]
async fn audit_store_defaults_are_the_seed_defaults() {
    let config = AuditStoreConfig::default();
    assert_eq!(config.audit_repository_name, "flamingockAuditLog");
    assert_eq!(config.lock_repository_name, "flamingockLock");
    assert_eq!((config.read_capacity_units, config.write_capacity_units), (5, 5));

    let mapper = Mapper::new(local::client());
    let config = config
        .with_audit_repository_name(local::unique_table_name("flamingockAuditLog"))
        .with_lock_repository_name(local::unique_table_name("flamingockLock"));
    let store = AuditStore::new(&mapper, config.clone()).unwrap();
    assert_eq!(
        store.create_tables_if_missing().await.unwrap(),
        [
            config.audit_repository_name.clone(),
            config.lock_repository_name.clone()
        ]
    );
    assert!(
        store.create_tables_if_missing().await.unwrap().is_empty(),
        "created only once"
    );

    let audit = store.audit_log().describe_table().await.unwrap();
    assert_eq!(audit.table_name(), Some(config.audit_repository_name.as_str()));
    assert_eq!(
        keys(audit.key_schema()),
        [("executionId", KeyType::Hash), ("sequence", KeyType::Range)]
    );
    assert_eq!(
        definitions(&audit),
        [
            ("executionId", ScalarAttributeType::S),
            ("sequence", ScalarAttributeType::N),
        ]
    );
    assert_eq!(capacity(&audit), (Some(5), Some(5)));

    let lock = store.locks().describe_table().await.unwrap();
    assert_eq!(lock.table_name(), Some(config.lock_repository_name.as_str()));
    assert_eq!(keys(lock.key_schema()), [("lockKey", KeyType::Hash)]);
    assert_eq!(definitions(&lock), [("lockKey", ScalarAttributeType::S)]);
    assert_eq!(capacity(&lock), (Some(5), Some(5)));
    for table in [&audit, &lock] {
        assert!(table.global_secondary_indexes().is_empty());
        assert_ne!(
            table.billing_mode_summary().and_then(|b| b.billing_mode()),
            Some(&BillingMode::PayPerRequest)
        );
    }
}

#[tokio::test]
async fn audit_store_names_and_capacity_are_configurable() {
    let mapper = Mapper::new(local::client());
    let config = AuditStoreConfig::default()
        .with_audit_repository_name(local::unique_table_name("audit"))
        .with_lock_repository_name(local::unique_table_name("lock"))
        .with_read_capacity_units(10)
        .with_write_capacity_units(7);
    let store = AuditStore::new(&mapper, config.clone()).unwrap();
    store.create_tables_if_missing().await.unwrap();
    for table in [
        store.audit_log().describe_table().await.unwrap(),
        store.locks().describe_table().await.unwrap(),
    ] {
        assert_eq!(capacity(&table), (Some(10), Some(7)), "{:?}", table.table_name());
    }
}

/// The saga store's requests, through the client that checks every request's placeholders.
#[tokio::test]
async fn saga_store_requests_pass_the_request_checks() {
    use saga_store::{SagaEvent, SagaState, SagaStatus};

    let mapper = Mapper::new(local::client());
    let config = SagaStoreConfig {
        table_name: local::unique_table_name("sagas"),
        ttl_days: 30,
    };
    let store = SagaStore::new(&mapper, &config).unwrap();
    store.create_table_if_missing().await.unwrap();
    let checked = local::checked_requests();

    let started = store
        .start(&SagaState::start("s-1", "order-1", chrono::Utc::now()))
        .await
        .unwrap();
    let found = store.find_by_correlation("order-1").await.unwrap().unwrap();
    assert_eq!(found, started);
    assert!(store.find_by_correlation("order-2").await.unwrap().is_none());
    let first = store.handle(found.key(), SagaEvent::StockReserved).await.unwrap();
    assert_eq!((first.saga.status, first.conflicts), (SagaStatus::Running, 0));
    let done = store.handle(found.key(), SagaEvent::PaymentCaptured).await.unwrap();
    assert_eq!(done.saga.status, SagaStatus::Completed);
    let completed_at = done.saga.completed_at.unwrap();
    assert_eq!(done.saga.ttl, Some(saga_store::expiry(completed_at, 30)));
    assert!(done.saga.ttl.unwrap() >= completed_at + chrono::TimeDelta::days(30));
    assert!(local::checked_requests() > checked);
}

/// The lock's requests, through the client that checks every request's placeholders, with a
/// short lease.
#[tokio::test]
async fn lock_requests_pass_the_request_checks() {
    use audit_lock::{LockError, LockStep, Outcome};
    use chrono::TimeDelta;

    let mapper = Mapper::new(local::client());
    let config = AuditStoreConfig::default()
        .with_audit_repository_name(local::unique_table_name("audit"))
        .with_lock_repository_name(local::unique_table_name("lock"));
    let store = AuditStore::new(&mapper, config).unwrap();
    store.create_tables_if_missing().await.unwrap();
    let checked = local::checked_requests();

    // Long enough for the requests between taking the lock and the other runner's attempt:
    // round trips to another endpoint take longer than to the in-process server.
    let lease = TimeDelta::milliseconds(if local::is_local() { 300 } else { 3_000 });
    let (mut a, mut b) = (store.runner("a"), store.runner("b"));
    let held = a.acquire("job", lease).await.unwrap();
    assert!(matches!(b.acquire("job", lease).await, Err(LockError::Held { owner, .. }) if owner == a.owner()));
    let held = a.renew(&held, lease).await.unwrap();
    tokio::time::sleep(
        (held.lease_until() - chrono::Utc::now() + TimeDelta::milliseconds(20))
            .to_std()
            .unwrap_or_default(),
    )
    .await;
    let taken = b.acquire("job", lease).await.unwrap();
    assert!(
        matches!(a.renew(&held, lease).await, Err(LockError::NotOwner { holder: Some(h) }) if h.owner == b.owner())
    );
    assert!(matches!(a.release(&held).await, Err(LockError::NotOwner { .. })));
    b.release(&taken).await.unwrap();
    assert!(matches!(
        a.release(&held).await,
        Err(LockError::NotOwner { holder: None })
    ));
    assert!(store.locks().get("job").consistent_read().await.unwrap().is_none());

    let steps = |trail: Vec<audit_lock::AuditEntry>| trail.into_iter().map(|e| (e.step, e.outcome)).collect::<Vec<_>>();
    use LockStep::*;
    use Outcome::*;
    assert_eq!(
        steps(a.trail().await.unwrap()),
        [
            (Acquire, Granted),
            (Renew, Granted),
            (Renew, Refused),
            (Release, Refused),
            (Release, Refused)
        ]
    );
    assert_eq!(
        steps(b.trail().await.unwrap()),
        [(Acquire, Refused), (Acquire, Granted), (Release, Granted)]
    );
    assert!(local::checked_requests() > checked);
}
