//! Fault injection (`dynamodb_mapper::testing::Faults`) against a fresh in-process server per
//! test: each fault is produced as configured, never forwarded when it answers by itself,
//! unprocessed items are really not stored, and the mapper's single-item operations surface
//! throttling and server errors as retryable errors. Request counts are HTTP attempts; the
//! clients here either disable the SDK's retries or count its attempts explicitly.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, KeysAndAttributes, Put, PutRequest, TransactWriteItem, WriteRequest,
};
use dynamodb_mapper::testing::{self, Faults, InjectedFault, LocalDynamoDb, StrictChecks, Throttle, Times};
use dynamodb_mapper::{Error, Item, Mapper, RefusalKind, Table};

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "things")]
struct Thing {
    #[partition_key]
    id: String,
    n: i64,
}

fn thing(id: &str) -> Thing {
    Thing { id: id.into(), n: 1 }
}

/// A fresh server, a table on it, and a mapper whose client injects `faults` with no retries.
async fn setup(faults: &Faults) -> (LocalDynamoDb, Table<Thing>, Client) {
    let local = LocalDynamoDb::start();
    let table = testing::create_table::<Thing>(&local.mapper()).await.unwrap();
    let client = local
        .client_builder()
        .faults(faults)
        .retry_config(testing::no_retries())
        .build();
    let faulty = Mapper::new(client.clone()).table_named::<Thing>(table.name()).unwrap();
    (local, faulty, client)
}

/// The ids stored, read with a plain client (no faults).
async fn stored_ids(local: &LocalDynamoDb, table: &str) -> Vec<String> {
    let items = local
        .client()
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let mut ids: Vec<String> = items.iter().map(|i| i["id"].as_s().unwrap().clone()).collect();
    ids.sort();
    ids
}

fn sdk_code(error: &Error) -> Option<&str> {
    match error {
        Error::Sdk { source, .. } => source.code(),
        _ => None,
    }
}

#[tokio::test]
async fn a_throttled_put_is_retryable_and_never_forwarded() {
    let faults = Faults::new();
    let (local, things, _) = setup(&faults).await;
    faults.on("PutItem").throttle(1);
    let error = things.put(&thing("a")).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert_eq!(sdk_code(&error), Some("ProvisionedThroughputExceededException"));
    let puts = faults.requests_of("PutItem");
    assert_eq!(puts.len(), 1);
    assert!(!puts[0].forwarded);
    assert_eq!(
        puts[0].fault,
        Some(InjectedFault::Throttled(Throttle::ProvisionedThroughputExceeded))
    );
    assert!(stored_ids(&local, things.name()).await.is_empty());
    // The fault is used up: the next put goes through.
    things.put(&thing("a")).await.unwrap();
    assert_eq!(stored_ids(&local, things.name()).await, ["a"]);
    assert_eq!(faults.requests_of("PutItem").len(), 2);
}

#[tokio::test]
async fn each_throttling_error_is_retryable_on_get_update_and_delete() {
    let faults = Faults::new();
    let (_local, things, _) = setup(&faults).await;
    things.put(&thing("a")).await.unwrap();
    faults.on("GetItem").throttle_with(Throttle::Throttling, 1);
    faults.on("UpdateItem").throttle_with(Throttle::RequestLimitExceeded, 1);
    faults.on("DeleteItem").throttle(1);
    let get = things.get("a").await.unwrap_err();
    let update = things.update(&thing("a")).await.unwrap_err();
    let delete = things.delete("a").await.unwrap_err();
    for (error, code) in [
        (&get, "ThrottlingException"),
        (&update, "RequestLimitExceeded"),
        (&delete, "ProvisionedThroughputExceededException"),
    ] {
        assert!(error.is_retryable(), "{error}");
        assert_eq!(sdk_code(error), Some(code));
    }
    assert_eq!(things.get("a").await.unwrap(), Some(thing("a")));
    let counts: Vec<usize> = ["GetItem", "UpdateItem", "DeleteItem"]
        .iter()
        .map(|o| faults.requests_of(o).len())
        .collect();
    assert_eq!(counts, [2, 1, 1]);
}

#[tokio::test]
async fn the_testing_clients_retries_absorb_two_throttles_but_not_three() {
    let faults = Faults::new();
    let local = LocalDynamoDb::start();
    let table = testing::create_table::<Thing>(&local.mapper()).await.unwrap();
    // The default retry configuration: 3 attempts, short backoff.
    let client = local.client_builder().faults(&faults).build();
    let things = Mapper::new(client).table_named::<Thing>(table.name()).unwrap();

    faults.on("PutItem").throttle(2);
    things.put(&thing("a")).await.unwrap();
    let attempts: Vec<(u32, bool)> = faults
        .requests_of("PutItem")
        .iter()
        .map(|r| (r.attempt, r.forwarded))
        .collect();
    assert_eq!(attempts, [(1, false), (2, false), (3, true)]);

    faults.clear_requests();
    faults.on("PutItem").throttle(3);
    let error = things.put(&thing("b")).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    let attempts: Vec<u32> = faults.requests_of("PutItem").iter().map(|r| r.attempt).collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert_eq!(stored_ids(&local, table.name()).await, ["a"]);
}

#[tokio::test]
async fn a_server_error_is_a_retryable_500() {
    let faults = Faults::new();
    let (local, things, _) = setup(&faults).await;
    faults.on("PutItem").server_error(1);
    let error = things.put(&thing("a")).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(matches!(error, Error::Sdk { status: Some(500), .. }), "{error:?}");
    assert!(stored_ids(&local, things.name()).await.is_empty());
    assert_eq!(faults.requests().len(), 1);
}

fn put_request(id: &str) -> WriteRequest {
    let item = HashMap::from([
        ("id".to_owned(), AttributeValue::S(id.into())),
        ("n".to_owned(), AttributeValue::N("1".into())),
    ]);
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
        .build()
}

#[tokio::test]
async fn unprocessed_writes_are_withheld_from_the_request_and_not_stored() {
    let faults = Faults::new();
    let (local, things, client) = setup(&faults).await;
    faults.on("BatchWriteItem").unprocessed(2, 1);
    let writes: Vec<WriteRequest> = ["a", "b", "c", "d", "e"].into_iter().map(put_request).collect();
    let output = client
        .batch_write_item()
        .request_items(things.name(), writes.clone())
        .send()
        .await
        .unwrap();
    let unprocessed = output.unprocessed_items.unwrap_or_default();
    assert_eq!(unprocessed[things.name()], writes[3..]);
    assert_eq!(stored_ids(&local, things.name()).await, ["a", "b", "c"]);
    let batches = faults.requests_of("BatchWriteItem");
    assert_eq!(batches.len(), 1);
    assert!(batches[0].forwarded);
    assert_eq!(
        batches[0].body["RequestItems"][things.name()].as_array().unwrap().len(),
        5
    );

    // The round is used up: resending the leftovers stores them.
    let output = client
        .batch_write_item()
        .set_request_items(Some(unprocessed))
        .send()
        .await
        .unwrap();
    assert!(output.unprocessed_items.unwrap_or_default().is_empty());
    assert_eq!(stored_ids(&local, things.name()).await, ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn a_batch_left_wholly_unprocessed_is_answered_without_forwarding() {
    let faults = Faults::new();
    let (local, things, client) = setup(&faults).await;
    faults.on("BatchWriteItem").unprocessed(25, Times::Always);
    for round in 0..3 {
        let output = client
            .batch_write_item()
            .request_items(things.name(), vec![put_request("a"), put_request("b")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            output.unprocessed_items.unwrap()[things.name()].len(),
            2,
            "round {round}"
        );
    }
    assert!(stored_ids(&local, things.name()).await.is_empty());
    let requests = faults.requests_of("BatchWriteItem");
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| !r.forwarded));
}

#[tokio::test]
async fn unprocessed_keys_are_not_read() {
    let faults = Faults::new();
    let (_local, things, client) = setup(&faults).await;
    for id in ["a", "b", "c"] {
        things.put(&thing(id)).await.unwrap();
    }
    faults.on("BatchGetItem").unprocessed(1, 1);
    let key = |id: &str| HashMap::from([("id".to_owned(), AttributeValue::S(id.into()))]);
    let keys = KeysAndAttributes::builder()
        .set_keys(Some(vec![key("a"), key("b"), key("c")]))
        .projection_expression("#i")
        .expression_attribute_names("#i", "id")
        .build()
        .unwrap();
    let output = client
        .batch_get_item()
        .request_items(things.name(), keys)
        .send()
        .await
        .unwrap();
    let mut read: Vec<String> = output.responses.unwrap()[things.name()]
        .iter()
        .map(|i| i["id"].as_s().unwrap().clone())
        .collect();
    read.sort();
    assert_eq!(read, ["a", "b"]);
    let unprocessed = &output.unprocessed_keys.unwrap()[things.name()];
    assert_eq!(unprocessed.keys(), [key("c")]);
    assert_eq!(unprocessed.projection_expression(), Some("#i"));
}

#[tokio::test]
async fn a_transaction_conflict_cancels_at_the_action_given() {
    let faults = Faults::new();
    let (local, things, client) = setup(&faults).await;
    faults.on("TransactWriteItems").cancel_transaction_at(1, 1);
    let put = |id: &str| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(things.name())
                    .item("id", AttributeValue::S(id.into()))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let check = TransactWriteItem::builder()
        .condition_check(
            ConditionCheck::builder()
                .table_name(things.name())
                .key("id", AttributeValue::S("z".into()))
                .condition_expression("attribute_not_exists(id)")
                .build()
                .unwrap(),
        )
        .build();
    let send = || {
        client
            .transact_write_items()
            .transact_items(put("a"))
            .transact_items(put("b"))
            .transact_items(check.clone())
            .send()
    };
    let error = send().await.unwrap_err().into_service_error();
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
        cancelled,
    ) = error
    else {
        panic!("cancelled: {error:?}")
    };
    let codes: Vec<&str> = cancelled
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap())
        .collect();
    assert_eq!(codes, ["None", "TransactionConflict", "None"]);
    assert!(stored_ids(&local, things.name()).await.is_empty());
    assert_eq!(faults.requests()[0].fault, Some(InjectedFault::TransactionConflict(1)));
    assert!(!faults.requests()[0].forwarded);
    send().await.unwrap();
    assert_eq!(stored_ids(&local, things.name()).await, ["a", "b"]);
}

#[tokio::test]
async fn latency_delays_a_request_that_is_still_served() {
    let faults = Faults::new();
    let (_local, things, _) = setup(&faults).await;
    things.put(&thing("a")).await.unwrap();
    faults.on("GetItem").latency(Duration::from_millis(300), 1);
    let started = Instant::now();
    assert_eq!(things.get("a").await.unwrap(), Some(thing("a")));
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    // Once only: the next get is not delayed (told by the record, not by a clock, which a
    // loaded machine could slow for other reasons).
    things.get("a").await.unwrap();
    let gets = faults.requests_of("GetItem");
    assert_eq!(gets.len(), 2);
    assert_eq!(gets[0].latency, Some(Duration::from_millis(300)));
    assert_eq!(gets[1].latency, None);
    assert!(gets.iter().all(|r| r.forwarded && r.fault.is_none()));
}

#[tokio::test]
async fn strict_checks_refuse_an_oversized_batch_before_it_is_sent() {
    let faults = Faults::new();
    let checks = StrictChecks::new();
    let local = LocalDynamoDb::start();
    let table = testing::create_table::<Thing>(&local.mapper()).await.unwrap();
    let client = local.client_builder().faults(&faults).strict_checks(&checks).build();
    let writes: Vec<WriteRequest> = (0..26).map(|i| put_request(&i.to_string())).collect();
    let error = client
        .batch_write_item()
        .request_items(table.name(), writes.clone())
        .send()
        .await
        .unwrap_err();
    let refusal = testing::refusal_in(&error).unwrap_or_else(|| panic!("a refusal: {error:?}"));
    assert_eq!(refusal.kind(), RefusalKind::TooManyValues);
    assert!(refusal.message().contains("at most 25"), "{}", refusal.message());
    assert!(faults.requests().is_empty(), "nothing was sent");
    assert_eq!(checks.checked_requests(), 0);

    // DynamoDB itself (here, the local server) refuses it the same way without the check.
    let unchecked = local.client_builder().without_strict_checks().build();
    let error = unchecked
        .batch_write_item()
        .request_items(table.name(), writes)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ValidationException"));

    // Through the mapper, a key DynamoDB would refuse is refused by the mapper itself: the
    // checks never see it, and `refusal_in` finds the mapper's refusal as well.
    let mapper = Mapper::new(local.client_builder().faults(&faults).strict_checks(&checks).build());
    let things = mapper.table_named::<Thing>(table.name()).unwrap();
    let error = things.get("").await.unwrap_err();
    assert_eq!(
        error.as_refusal().map(|r| r.kind()),
        Some(RefusalKind::EmptyKeyValue),
        "{error:?}"
    );
    assert_eq!(
        testing::refusal_in(&error).map(|r| r.kind()),
        Some(RefusalKind::EmptyKeyValue),
        "{error:?}"
    );
    assert!(faults.requests_of("GetItem").is_empty(), "nothing was sent");
    assert_eq!(checks.checked_requests(), 0);
}

#[tokio::test]
async fn a_dropped_server_stops_serving() {
    let local = LocalDynamoDb::start();
    let client = local.client_builder().retry_config(testing::no_retries()).build();
    client.list_tables().send().await.unwrap();
    drop(local);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fresh = client.list_tables().send().await;
    assert!(fresh.is_err(), "{fresh:?}");
}

#[tokio::test]
async fn expire_ttl_removes_only_expired_items() {
    use chrono::{DateTime, Utc};

    #[derive(Item, Debug, Clone, PartialEq)]
    #[item(table = "leases")]
    struct Lease {
        #[partition_key]
        id: String,
        #[ttl]
        expires_at: Option<DateTime<Utc>>,
    }

    let local = LocalDynamoDb::start();
    let leases = testing::create_table::<Lease>(&local.mapper()).await.unwrap();
    let lease = |id: &str, in_secs: i64| Lease {
        id: id.into(),
        expires_at: Some(Utc::now() + chrono::Duration::seconds(in_secs)),
    };
    leases.put(&lease("past", -10)).await.unwrap();
    leases.put(&lease("hour", 3600)).await.unwrap();
    leases.put(&lease("day", 86_400)).await.unwrap();
    leases
        .put(&Lease {
            id: "never".into(),
            expires_at: None,
        })
        .await
        .unwrap();
    assert_eq!(local.expire_ttl().unwrap(), 1);
    local.advance_clock(Duration::from_secs(7200));
    assert_eq!(local.expire_ttl().unwrap(), 1);
    assert_eq!(stored_ids(&local, leases.name()).await, ["day", "never"]);
}
