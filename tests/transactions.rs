//! Transactions against the local server: the extensions' transaction column (raw stored items
//! checked), what a commit returns, typed cancellation reasons in the order the actions were
//! added, version conflicts told apart from failed conditions, refusals before sending,
//! transactional gets, and the transactional read-modify-write loop under concurrency.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use dynamodb_mapper::expr::{Condition, UpdateExpression};
use dynamodb_mapper::extension::{AtomicCounters, AutoUuids, BeforeWrite, Extension, Operation, VersionedRecords};
use dynamodb_mapper::ops::{CancellationCode, ModifyError, WrittenItem};
use dynamodb_mapper::schema::Tag;
use dynamodb_mapper::testing::{self, Faults, InjectedFault, Lost, RecordedRequest};
use dynamodb_mapper::{Error, Item, Mapper, RefusalKind, RetryPolicy, Table};
use dynamodb_mapper_workspace::clock::{at, stepping_clock};
use dynamodb_mapper_workspace::local::{self, Need};

// ---------------------------------------------------------------------------------------------
// Fixtures

/// Every lifecycle attribute at once.
#[derive(Item, Debug, Clone, PartialEq)]
struct Profile {
    #[partition_key]
    id: String,
    name: String,
    nickname: Option<String>,
    #[version]
    version: Option<u64>,
    #[atomic_counter(start = 10, inc = 5)]
    visits: i64,
    #[auto_timestamp]
    updated_at: Option<DateTime<Utc>>,
    #[auto_timestamp]
    #[update_behavior(write_if_not_exists)]
    created_at: Option<DateTime<Utc>>,
    #[auto_uuid]
    token: Option<String>,
}

fn profile(id: &str, name: &str) -> Profile {
    Profile {
        id: id.into(),
        name: name.into(),
        nickname: None,
        version: None,
        visits: 999,
        updated_at: None,
        created_at: None,
        token: None,
    }
}

/// A versioned account.
#[derive(Item, Debug, Clone, PartialEq)]
struct Account {
    #[partition_key]
    id: String,
    balance: i64,
    #[version]
    version: Option<u64>,
}

fn account(id: &str, balance: i64) -> Account {
    Account {
        id: id.into(),
        balance,
        version: None,
    }
}

/// An item without lifecycle attributes, with a sort key, in another table.
#[derive(Item, Debug, Clone, PartialEq)]
struct Entry {
    #[partition_key]
    ledger: String,
    #[sort_key]
    seq: u32,
    note: String,
}

fn all_extensions() -> Mapper {
    let extensions: Vec<Arc<dyn Extension>> = vec![
        Arc::new(VersionedRecords),
        Arc::new(AtomicCounters),
        Arc::new(stepping_clock()),
        Arc::new(AutoUuids),
    ];
    Mapper::builder(local::client()).extensions(extensions).build()
}

async fn table<T: Item + 'static>(mapper: &Mapper, prefix: &str) -> Table<T> {
    let table = mapper.table_named::<T>(&local::unique_table_name(prefix)).unwrap();
    table.create_table().await.unwrap();
    table
}

/// The stored attributes, read behind the mapper's back.
async fn raw<T: Item + 'static>(
    table: &Table<T>,
    key: &[(&str, AttributeValue)],
) -> Option<HashMap<String, AttributeValue>> {
    let key: HashMap<String, AttributeValue> = key.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    table
        .mapper()
        .client()
        .get_item()
        .table_name(table.name())
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

async fn raw_id<T: Item + 'static>(table: &Table<T>, id: &str) -> Option<HashMap<String, AttributeValue>> {
    raw(table, &[("id", s(id))]).await
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: &str) -> AttributeValue {
    AttributeValue::N(value.into())
}

fn time(minute: i64) -> AttributeValue {
    s(&at(minute).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
}

fn canceled(error: Error) -> Box<dynamodb_mapper::ops::TransactionCanceled> {
    match error {
        Error::TransactionCanceled(canceled) => canceled,
        other => panic!("expected a cancelled transaction, got {other:?}"),
    }
}

fn sorted(names: &[String]) -> Vec<&str> {
    let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
    names.sort_unstable();
    names
}

fn refusal(error: Error) -> RefusalKind {
    error
        .as_refusal()
        .unwrap_or_else(|| panic!("expected a refusal, got {error:?}"))
        .kind()
}

// ---------------------------------------------------------------------------------------------
// The extensions' transaction column

#[tokio::test]
async fn put_of_a_new_item_applies_every_extension_and_returns_the_item_as_written() {
    let mapper = all_extensions();
    let profiles = table::<Profile>(&mapper, "tx-ext").await;
    let mut tx = mapper.transact_write();
    let put = tx.put(&profiles, &profile("p", "Ana")).handle();
    let committed = tx.send().await.unwrap();
    let written = committed
        .item(put)
        .unwrap()
        .known()
        .expect("a put stores what it sends");

    let stored = raw_id(&profiles, "p").await.unwrap();
    assert_eq!(stored["version"], n("0"));
    assert_eq!(stored["visits"], n("10"), "a put writes the counter's start");
    assert_eq!(stored["updated_at"], time(0));
    assert_eq!(stored["created_at"], time(0));
    let token = stored["token"].as_s().unwrap().clone();
    assert!(uuid::Uuid::parse_str(&token).is_ok());
    assert!(!stored.contains_key("nickname"));
    // What the commit returns is what is stored: no re-read needed.
    assert_eq!(written, Profile::from_item(stored).unwrap());
    assert_eq!(written.version, Some(0));
    assert_eq!(written.visits, 10);
    assert_eq!(written.token.as_deref(), Some(token.as_str()));
    assert_eq!(committed.len(), 1);
    assert_eq!(committed.client_request_token().len(), 32);

    // A second new item with the same key is a version conflict.
    let mut tx = mapper.transact_write();
    let again = tx.put(&profiles, &profile("p", "Bea")).handle();
    let canceled = canceled(tx.send().await.unwrap_err());
    let reason = canceled.reason(again).unwrap();
    assert_eq!(reason.code(), &CancellationCode::ConditionalCheckFailed);
    assert!(reason.is_version_conflict());
    assert!(!reason.is_condition_failure());
    assert_eq!(canceled.item(again).unwrap().unwrap(), written);
    assert_eq!(raw_id(&profiles, "p").await.unwrap()["name"], s("Ana"));
}

#[tokio::test]
async fn update_of_a_read_item_applies_every_extension_and_returns_what_is_known() {
    let mapper = all_extensions();
    let profiles = table::<Profile>(&mapper, "tx-ext").await;
    profiles.put(&profile("p", "Ana")).await.unwrap(); // clock minute 0
    let mut read = profiles.get("p").consistent_read().await.unwrap().unwrap();
    let token = read.token.clone();
    read.name = "Ana Silva".into();
    read.nickname = Some("ana".into());
    // The counter is left as read: the server counts, and the known value is computed from
    // the value read.

    let mut tx = mapper.transact_write();
    let update = tx.update(&profiles, &read).handle();
    let committed = tx.send().await.unwrap();

    let stored = raw_id(&profiles, "p").await.unwrap();
    assert_eq!(stored["version"], n("1"));
    assert_eq!(
        stored["visits"],
        n("15"),
        "if_not_exists(visits, 5) + 5 on the stored 10"
    );
    assert_eq!(stored["updated_at"], time(1));
    assert_eq!(
        stored["created_at"],
        time(0),
        "write_if_not_exists keeps the stored value"
    );
    assert_eq!(
        stored["token"],
        s(token.as_deref().unwrap()),
        "a set uuid is written as is"
    );
    assert_eq!(stored["name"], s("Ana Silva"));
    assert_eq!(stored["nickname"], s("ana"));

    // What is known without a re-read: the new version, the timestamp, the values sent. The
    // counter and the created-at were decided by the server, and say so.
    let WrittenItem::Partial(written) = committed.item(update).unwrap() else {
        panic!("the server decided the counter")
    };
    assert_eq!(written.known["version"], n("1"));
    assert_eq!(written.known["updated_at"], time(1));
    assert_eq!(written.known["name"], s("Ana Silva"));
    assert_eq!(written.known["token"], s(token.as_deref().unwrap()));
    assert_eq!(sorted(&written.decided_by_server), ["created_at", "visits"]);
    assert!(!written.others_kept && written.removed.is_empty());
    let read_again = profiles.get("p").consistent_read().await.unwrap().unwrap();

    // An update removes what the item no longer has.
    let mut read = read_again;
    read.nickname = None;
    let mut tx = mapper.transact_write();
    tx.update(&profiles, &read);
    tx.send().await.unwrap();
    let stored = raw_id(&profiles, "p").await.unwrap();
    assert!(!stored.contains_key("nickname"));
    assert_eq!(stored["version"], n("2"));
    assert_eq!(stored["visits"], n("20"));

    // An unset uuid on an update is `if_not_exists`: the stored one stays; the outcome says
    // the server decided it.
    let mut read = profiles.get("p").consistent_read().await.unwrap().unwrap();
    read.token = None;
    let mut tx = mapper.transact_write();
    let handle = tx.update(&profiles, &read).handle();
    let committed = tx.send().await.unwrap();
    let stored = raw_id(&profiles, "p").await.unwrap();
    assert_eq!(stored["token"], s(token.as_deref().unwrap()));
    assert_eq!(stored["version"], n("3"));
    let WrittenItem::Partial(written) = committed.item(handle).unwrap() else {
        panic!("the server decided the token")
    };
    assert!(written.decided_by_server.contains(&"token".to_owned()));
    assert!(!written.known.contains_key("token"));
}

#[tokio::test]
async fn committed_says_what_the_server_decided_and_never_guesses_it() {
    let mapper = all_extensions();
    let profiles = table::<Profile>(&mapper, "tx-ext").await;
    profiles.put(&profile("p", "Ana")).await.unwrap(); // visits 10, created at minute 0
    let mut read = profiles.get("p").consistent_read().await.unwrap().unwrap();
    // The struct's counter is not what is stored, the created-at and the id are unset: the
    // server decides all three (`if_not_exists(visits, 5) + 5`, `if_not_exists(created_at,
    // ..)`, `if_not_exists(token, ..)`).
    read.visits = 999;
    read.created_at = None;
    read.token = None;
    let stored_token = profiles.get("p").consistent_read().await.unwrap().unwrap().token;
    let mut tx = mapper.transact_write();
    let update = tx.update(&profiles, &read).handle();
    let committed = tx.send().await.unwrap();

    let stored = raw_id(&profiles, "p").await.unwrap();
    assert_eq!(stored["visits"], n("15"), "the stored 10 plus 5, not 999 plus 5");
    assert_eq!(stored["created_at"], time(0), "the stored created-at is kept");
    assert_eq!(
        stored["token"],
        s(stored_token.as_deref().unwrap()),
        "the stored id is kept"
    );
    assert_eq!(stored["version"], n("1"));

    let WrittenItem::Partial(written) = committed.item(update).unwrap() else {
        panic!("the server decided three attributes")
    };
    assert_eq!(sorted(&written.decided_by_server), ["created_at", "token", "visits"]);
    for name in ["visits", "created_at", "token"] {
        assert!(!written.known.contains_key(name), "{name} is not reported with a guess");
    }
    // Everything reported as known is what is stored.
    for (name, value) in &written.known {
        assert_eq!(&stored[name], value, "{name}");
    }
    assert_eq!(committed.item_map(update).unwrap(), Some(&written.known));
}

/// A version of the caller's own on the attribute tagged `#[tag("revision")]`, instead of
/// `VersionedRecords`: it writes the next revision on condition that the one read is stored,
/// and records what it expects, so that the mapper tells its conflicts apart without knowing
/// its rule.
struct Revisions;

impl Extension for Revisions {
    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        let Some(name) = cx
            .schema()
            .item
            .tagged(|t| *t == Tag::User("revision"))
            .next()
            .map(|a| a.name)
        else {
            return Ok(());
        };
        if !matches!(cx.operation(), Operation::Put | Operation::Update) {
            return Ok(());
        }
        let read = cx.item().get(name).cloned();
        let next = match &read {
            Some(AttributeValue::N(read)) => read.parse::<u64>().unwrap() + 1,
            _ => 1,
        };
        cx.item_mut().insert(name.to_owned(), n(&next.to_string()));
        let condition = match &read {
            Some(read) => Condition::attr(name).eq(read.clone()),
            None => Condition::attr(name).not_exists(),
        };
        cx.add_condition(condition);
        cx.expect(name, read);
        Ok(())
    }
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Note {
    #[partition_key]
    id: String,
    body: String,
    #[tag("revision")]
    revision: Option<u64>,
}

#[tokio::test]
async fn a_users_own_version_extension_is_read_from_its_record() {
    let mapper = Mapper::builder(local::client())
        .extensions([Arc::new(Revisions) as Arc<dyn Extension>])
        .build();
    let notes = table::<Note>(&mapper, "tx-notes").await;
    let note = |body: &str, revision| Note {
        id: "n".into(),
        body: body.into(),
        revision,
    };
    notes.put(&note("first", None)).await.unwrap();
    let read = notes.get("n").consistent_read().await.unwrap().unwrap();
    assert_eq!(read.revision, Some(1));
    // Another writer moves the revision on.
    notes.update(&read).await.unwrap();
    assert_eq!(raw_id(&notes, "n").await.unwrap()["revision"], n("2"));

    // A transaction from the stale read: a conflict, told apart by the extension's record.
    let mut tx = mapper.transact_write();
    let stale = tx.update(&notes, &note("stale", Some(1))).handle();
    let cancellation = canceled(tx.send().await.unwrap_err());
    let reason = cancellation.reason(stale).unwrap();
    assert!(reason.is_version_conflict() && !reason.is_condition_failure());
    assert_eq!(reason.expected_version(), Some(&n("1")));
    assert!(cancellation.is_conflict(), "a read-modify-write would read again");
    assert_eq!(raw_id(&notes, "n").await.unwrap()["body"], s("first"));

    // From the stored revision, with a condition of the caller's that fails: not a conflict.
    let mut tx = mapper.transact_write();
    let guarded = tx
        .update(&notes, &note("guarded", Some(2)))
        .condition(Condition::attr("body").eq("something else"))
        .handle();
    let cancellation = canceled(tx.send().await.unwrap_err());
    assert!(cancellation.reason(guarded).unwrap().is_condition_failure());
    assert!(!cancellation.is_conflict());

    // And it commits: the outcome is the item with the extension's new revision, known whole.
    let mut tx = mapper.transact_write();
    let fresh = tx.update(&notes, &note("fresh", Some(2))).handle();
    let committed = tx.send().await.unwrap();
    let written = committed.item(fresh).unwrap().known().expect("every value was sent");
    assert_eq!(written, note("fresh", Some(3)));
    assert_eq!(raw_id(&notes, "n").await.unwrap()["revision"], n("3"));
}

#[test]
fn builders_and_results_are_send_and_static() {
    fn check<T: Send + 'static>() {}
    check::<dynamodb_mapper::ops::TransactWrite>();
    check::<dynamodb_mapper::ops::TransactGet>();
    check::<dynamodb_mapper::ops::Committed>();
    check::<dynamodb_mapper::ops::TransactGetOutput>();
    check::<dynamodb_mapper::ops::TransactionCanceled>();
}

#[tokio::test]
async fn update_of_a_new_item_starts_version_and_counter_and_generates_ids() {
    let mapper = all_extensions();
    let profiles = table::<Profile>(&mapper, "tx-ext").await;
    let mut tx = mapper.transact_write();
    let created = tx.update(&profiles, &profile("n", "New")).handle();
    let committed = tx.send().await.unwrap();
    let stored = raw_id(&profiles, "n").await.unwrap();
    assert_eq!(stored["version"], n("0"));
    assert_eq!(stored["visits"], n("10"), "if_not_exists(visits, 5) + 5 on a new item");
    assert_eq!(stored["updated_at"], time(0));
    assert_eq!(stored["created_at"], time(0));
    assert!(
        uuid::Uuid::parse_str(stored["token"].as_s().unwrap()).is_ok(),
        "if_not_exists(token, :new)"
    );
    let WrittenItem::Partial(written) = committed.item(created).unwrap() else {
        panic!("the server decided the counter")
    };
    assert_eq!(
        (&written.known["version"], &written.known["updated_at"]),
        (&n("0"), &time(0))
    );
    assert_eq!(sorted(&written.decided_by_server), ["created_at", "token", "visits"]);
}

#[tokio::test]
async fn patch_with_and_without_the_expected_version() {
    let mapper = all_extensions();
    let profiles = table::<Profile>(&mapper, "tx-ext").await;
    profiles.put(&profile("p", "Ana")).await.unwrap(); // version 0, visits 10, minute 0

    let f = Profile::fields();
    let mut tx = mapper.transact_write();
    let patch = tx
        .patch(&profiles, "p")
        .set(&f.name, "Patched")
        .expect_version(0u64)
        .handle();
    let committed = tx.send().await.unwrap();
    let stored = raw_id(&profiles, "p").await.unwrap();
    assert_eq!(stored["name"], s("Patched"));
    assert_eq!(stored["version"], n("1"));
    assert_eq!(stored["visits"], n("15"));
    assert_eq!(stored["updated_at"], time(1));
    assert_eq!(stored["created_at"], time(0));
    let known = committed.item_map(patch).unwrap().unwrap();
    assert_eq!(known["version"], n("1"));
    assert_eq!(known["id"], s("p"));

    // A stale expected version is a version conflict.
    let mut tx = mapper.transact_write();
    let stale = tx
        .patch(&profiles, "p")
        .set(&f.name, "Stale")
        .expect_version(0u64)
        .handle();
    let canceled = canceled(tx.send().await.unwrap_err());
    assert!(canceled.reason(stale).unwrap().is_version_conflict());
    assert_eq!(canceled.reason(stale).unwrap().expected_version(), Some(&n("0")));
    assert_eq!(canceled.item(stale).unwrap().unwrap().version, Some(1));

    // Without it: no check, but the version still moves on. A counter is the extension's to
    // write; the untyped escape hatch can still reach it, and the caller's action wins.
    let mut visits = UpdateExpression::new();
    visits.add("visits", AttributeValue::N("100".into()));
    let mut tx = mapper.transact_write();
    tx.patch(&profiles, "p").actions(visits);
    tx.send().await.unwrap();
    let stored = raw_id(&profiles, "p").await.unwrap();
    assert_eq!(stored["version"], n("2"));
    assert_eq!(stored["visits"], n("115"), "the caller's own counter action wins");

    // A patch of an item that is not stored is a missing item, not a version conflict, and
    // cancels the transaction: nothing is written.
    let mut tx = mapper.transact_write();
    let missing = tx
        .patch(&profiles, "nobody")
        .set(&f.name, "Ghost")
        .expect_version(0u64)
        .handle();
    let refused = crate::canceled(tx.send().await.unwrap_err());
    let reason = refused.reason(missing).unwrap();
    assert!(reason.is_item_missing(), "{reason:?}");
    assert!(!reason.is_version_conflict() && !reason.is_condition_failure());
    assert!(refused.has_item_missing());
    assert!(raw_id(&profiles, "nobody").await.is_none(), "no half item");
}

#[tokio::test]
async fn deletes_by_key_and_of_a_read_item() {
    let mapper = all_extensions();
    let profiles = table::<Profile>(&mapper, "tx-ext").await;
    profiles.put(&profile("a", "A")).await.unwrap();
    profiles.put(&profile("b", "B")).await.unwrap();
    let read = profiles.get("a").consistent_read().await.unwrap().unwrap();
    let mut newer = read.clone();
    newer.name = "A2".into();
    profiles.update(&newer).await.unwrap();

    // A delete of a read item checks its version: stale, so a version conflict.
    let mut tx = mapper.transact_write();
    let stale = tx.delete_item(&profiles, &read).handle();
    let canceled = canceled(tx.send().await.unwrap_err());
    assert!(canceled.reason(stale).unwrap().is_version_conflict());
    assert!(raw_id(&profiles, "a").await.is_some());

    // With the current version it deletes; a delete by key has no version condition.
    let current = profiles.get("a").consistent_read().await.unwrap().unwrap();
    let mut tx = mapper.transact_write();
    let deleted = tx.delete_item(&profiles, &current).handle();
    tx.delete(&profiles, "b");
    let committed = tx.send().await.unwrap();
    assert!(raw_id(&profiles, "a").await.is_none());
    assert!(raw_id(&profiles, "b").await.is_none());
    assert!(committed.item_map(deleted).unwrap().is_none());
    assert_eq!(
        refusal(committed.item(deleted).unwrap_err()),
        RefusalKind::InvalidArgument
    );
}

#[tokio::test]
async fn a_condition_check_runs_only_the_callers_condition() {
    let mapper = all_extensions();
    let profiles = table::<Profile>(&mapper, "tx-ext").await;
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    profiles.put(&profile("p", "Ana")).await.unwrap();

    // The check passes on the name alone (no version condition, nothing written to `p`).
    let mut tx = mapper.transact_write();
    tx.condition_check(&profiles, "p", Condition::attr("name").eq("Ana"));
    tx.put(&accounts, &account("acc", 10));
    tx.send().await.unwrap();
    let stored = raw_id(&profiles, "p").await.unwrap();
    assert_eq!(
        (stored["version"].clone(), stored["updated_at"].clone()),
        (n("0"), time(0))
    );
    assert_eq!(raw_id(&accounts, "acc").await.unwrap()["balance"], n("10"));

    // A failed check cancels the other action, and returns the checked item.
    let mut tx = mapper.transact_write();
    let check = tx
        .condition_check(&profiles, "p", Condition::attr("name").eq("Bea"))
        .handle();
    tx.put(&accounts, &account("other", 5));
    let canceled = canceled(tx.send().await.unwrap_err());
    assert!(canceled.reason(check).unwrap().is_condition_failure());
    assert_eq!(canceled.item(check).unwrap().unwrap().name, "Ana");
    assert!(raw_id(&accounts, "other").await.is_none());
}

// ---------------------------------------------------------------------------------------------
// Cancellation reasons

#[tokio::test]
async fn reasons_come_in_the_order_the_actions_were_added_with_typed_items() {
    let mapper = Mapper::new(local::client());
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    let entries = mapper
        .table_named::<Entry>(&local::unique_table_name("tx-entries"))
        .unwrap();
    entries.create_table().await.unwrap();
    accounts.put(&account("a", 100)).await.unwrap();
    let entry = Entry {
        ledger: "l".into(),
        seq: 7,
        note: "kept".into(),
    };
    entries.put(&entry).await.unwrap();

    // Condition checks first, deletes, puts and updates: reasons must not be regrouped.
    let mut tx = mapper.transact_write();
    let put = tx.put(&accounts, &account("new", 1)).handle();
    let balance = Account::fields().balance;
    let update = tx
        .patch(&accounts, "a")
        .add(&balance, -500)
        .condition(balance.ge(500))
        .handle();
    let delete = tx
        .delete(&entries, ("l", 7u32))
        .condition(Condition::attr("note").eq("other"))
        .handle();
    let check = tx
        .condition_check(&accounts, "absent", Condition::attr("id").not_exists())
        .handle();
    let canceled = canceled(tx.send().await.unwrap_err());

    let reasons = canceled.reasons();
    assert_eq!(reasons.len(), 4);
    for (i, reason) in reasons.iter().enumerate() {
        assert_eq!(reason.index(), i);
    }
    assert_eq!(
        [put.index(), update.index(), delete.index(), check.index()],
        [0, 1, 2, 3]
    );
    let codes: Vec<&CancellationCode> = reasons.iter().map(|r| r.code()).collect();
    assert_eq!(
        codes,
        [
            &CancellationCode::None,
            &CancellationCode::ConditionalCheckFailed,
            &CancellationCode::ConditionalCheckFailed,
            &CancellationCode::None
        ]
    );
    assert_eq!(canceled.failed().map(|r| r.index()).collect::<Vec<_>>(), [1, 2]);
    // Tables and keys.
    assert_eq!(reasons[1].table(), accounts.name());
    assert_eq!(reasons[1].key(), &HashMap::from([("id".to_owned(), s("a"))]));
    assert_eq!(reasons[2].table(), entries.name());
    assert_eq!(
        reasons[2].key(),
        &HashMap::from([("ledger".to_owned(), s("l")), ("seq".to_owned(), n("7"))])
    );
    // Each stored item decodes as its own action's type.
    let stored_account: Account = canceled.item(update).unwrap().unwrap();
    assert_eq!((stored_account.balance, stored_account.version), (100, Some(0)));
    let stored_entry: Entry = canceled.item(delete).unwrap().unwrap();
    assert_eq!(stored_entry, entry);
    assert!(canceled.item(put).unwrap().is_none());
    // User conditions, not version conflicts: nothing to retry.
    assert!(reasons[1].is_condition_failure() && reasons[2].is_condition_failure());
    assert!(!canceled.has_version_conflict());
    assert!(!canceled.is_conflict() && !canceled.is_retryable());
    let text = canceled.to_string();
    assert!(text.contains("action 1") && text.contains("action 2"), "{text}");
    // Nothing was written.
    assert!(raw_id(&accounts, "new").await.is_none());
    assert_eq!(raw_id(&accounts, "a").await.unwrap()["balance"], n("100"));
}

#[tokio::test]
async fn a_version_conflict_is_told_apart_from_a_failed_user_condition() {
    let mapper = Mapper::new(local::client());
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    accounts.put(&account("a", 100)).await.unwrap();
    let read = accounts.get("a").consistent_read().await.unwrap().unwrap();
    let guard = || Condition::attr("balance").ge(50);

    // Current version, failing condition: the user's condition.
    let mut spend = read.clone();
    spend.balance -= 200;
    let mut tx = mapper.transact_write();
    let action = tx
        .update(&accounts, &spend)
        .condition(Condition::attr("balance").ge(200))
        .handle();
    let canceled_by_condition = canceled(tx.send().await.unwrap_err());
    let reason = canceled_by_condition.reason(action).unwrap();
    assert!(reason.is_condition_failure() && !reason.is_version_conflict());
    assert_eq!(reason.expected_version(), Some(&n("0")));
    assert!(canceled_by_condition.has_condition_failure());

    // Another writer moves the version on; the same (stale) update, with a condition that
    // holds, is a version conflict.
    let mut other = read.clone();
    other.balance += 1;
    accounts.update(&other).await.unwrap();
    let mut stale = read.clone();
    stale.balance -= 10;
    let mut tx = mapper.transact_write();
    let action = tx.update(&accounts, &stale).condition(guard()).handle();
    let canceled_by_version = canceled(tx.send().await.unwrap_err());
    let reason = canceled_by_version.reason(action).unwrap();
    assert!(reason.is_version_conflict() && !reason.is_condition_failure());
    assert!(canceled_by_version.is_conflict());
    assert!(
        !canceled_by_version.is_retryable(),
        "a version conflict needs a re-read"
    );
    let stored: Account = canceled_by_version.item(action).unwrap().unwrap();
    assert_eq!((stored.balance, stored.version), (101, Some(1)));
    // Typed through the error, as a program matches it.
    let error = Error::TransactionCanceled(canceled_by_version);
    assert!(error.as_transaction_canceled().unwrap().has_version_conflict());
}

// ---------------------------------------------------------------------------------------------
// Refused before sending

#[tokio::test]
async fn limits_are_refused_before_sending() {
    let mapper = Mapper::new(local::client());
    // A table that does not exist: anything sent would fail with TableNotFound instead.
    let missing = mapper
        .table_named::<Account>(&local::unique_table_name("tx-none"))
        .unwrap();

    assert_eq!(
        refusal(mapper.transact_write().send().await.unwrap_err()),
        RefusalKind::NothingToWrite
    );

    let mut tx = mapper.transact_write();
    for i in 0..101 {
        tx.put(&missing, &account(&format!("a{i}"), 1));
    }
    assert_eq!(tx.len(), 101);
    assert_eq!(refusal(tx.send().await.unwrap_err()), RefusalKind::TooManyActions);

    let mut tx = mapper.transact_write();
    tx.put(&missing, &account("same", 1));
    tx.condition_check(&missing, "other", Condition::attr("id").exists());
    tx.delete(&missing, "same");
    let error = tx.send().await.unwrap_err();
    assert_eq!(refusal(error), RefusalKind::SameItemTwice);

    let mut tx = mapper.transact_write();
    tx.put(&missing, &account("a", 1));
    let tx = tx.client_request_token("x".repeat(37));
    assert_eq!(refusal(tx.send().await.unwrap_err()), RefusalKind::InvalidToken);

    // Eleven items of 390 KB: each under the item limit, together over 4 MB, whether put or
    // updated whole (an update counts its item as a put does).
    for update in [false, true] {
        let mut tx = mapper.transact_write();
        let entries = mapper.table_named::<Entry>(missing.name()).unwrap();
        for i in 0..11 {
            let big = Entry {
                ledger: "big".into(),
                seq: i,
                note: "x".repeat(390 * 1024),
            };
            if update {
                tx.update(&entries, &big);
            } else {
                tx.put(&entries, &big);
            }
        }
        assert_eq!(refusal(tx.send().await.unwrap_err()), RefusalKind::TransactionTooLarge);
    }

    // A token of 36 characters is sent (and then fails on the missing table).
    let faults = Faults::new();
    let recorded = faulty(&faults, false);
    let mut tx = recorded.transact_write();
    tx.put(
        &recorded.table_named::<Account>(missing.name()).unwrap(),
        &account("a", 1),
    );
    let tx = tx.client_request_token("x".repeat(36));
    let error = tx.send().await.unwrap_err();
    assert!(error.as_refusal().is_none(), "{error:?}");
    let sent = faults.requests_of("TransactWriteItems");
    assert_eq!(sent.len(), 1);
    assert_eq!(token_of(&sent[0]), "x".repeat(36));
}

#[tokio::test]
async fn ignore_nulls_applies_to_updates_only() {
    let mapper = Mapper::new(local::client());
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    let mut tx = mapper.transact_write();
    tx.put(&accounts, &account("a", 1)).ignore_nulls();
    assert_eq!(refusal(tx.send().await.unwrap_err()), RefusalKind::InvalidArgument);
}

#[tokio::test]
async fn a_callers_token_is_sent_and_a_replay_applies_once() {
    if local::skip_unless(Need::ClientRequestTokens) {
        return;
    }
    let mapper = Mapper::new(local::client());
    let entries = table::<Entry>(&mapper, "tx-entries").await;
    let entry = Entry {
        ledger: "l".into(),
        seq: 1,
        note: "n".into(),
    };
    // Unique to this run: DynamoDB keeps a token for ten minutes, and refuses it then for any
    // other request (this table's name is new each run).
    let token: &str = &format!("order-42-{}", fastrand::u64(..));
    let faults = Faults::new();
    let recorded = faulty(&faults, false);
    let entries_recorded = recorded.table_named::<Entry>(entries.name()).unwrap();
    let send = || {
        let mut tx = recorded.transact_write();
        tx.put(&entries_recorded, &entry)
            .condition(Condition::attr("seq").not_exists());
        let tx = tx.client_request_token(token);
        tx.send()
    };
    let committed = send().await.unwrap();
    assert_eq!(committed.client_request_token(), token);
    assert!(raw(&entries, &[("ledger", s("l")), ("seq", n("1"))]).await.is_some());
    // The same transaction with the same token: DynamoDB answers it as already done, where a
    // second application would fail its `not_exists` condition.
    let replayed = send().await.unwrap();
    assert_eq!(replayed.client_request_token(), token);
    let sent: Vec<String> = faults.requests_of("TransactWriteItems").iter().map(token_of).collect();
    assert_eq!(sent, [token, token], "the caller's token went over the wire both times");
    let stored = entries.scan().consistent_read().all().await.unwrap();
    assert_eq!(stored, [entry]);
}

#[tokio::test]
async fn a_token_reused_for_other_actions_is_its_own_error_and_writes_nothing() {
    if local::skip_unless(Need::ClientRequestTokens) {
        return;
    }
    let mapper = Mapper::new(local::client());
    let entries = table::<Entry>(&mapper, "tx-entries").await;
    let entry = |seq: u32| Entry {
        ledger: "l".into(),
        seq,
        note: "n".into(),
    };
    // A token unique to this test run: DynamoDB keeps a token for ten minutes.
    let token = format!("reuse-{}", fastrand::u64(..));
    let mut first = mapper.transact_write();
    first.put(&entries, &entry(1));
    let first = first.client_request_token(&token);
    first.send().await.unwrap();

    let mut other = mapper.transact_write();
    other.put(&entries, &entry(2));
    let other = other.client_request_token(&token);
    let error = other.send().await.unwrap_err();
    assert!(matches!(error, Error::TokenReused { .. }), "{error:?}");
    assert!(!error.is_retryable(), "resending the same request cannot succeed");
    assert!(error.to_string().contains("client request token"), "{error}");
    assert!(raw(&entries, &[("ledger", s("l")), ("seq", n("2"))]).await.is_none());
    assert!(raw(&entries, &[("ledger", s("l")), ("seq", n("1"))]).await.is_some());
}

// ---------------------------------------------------------------------------------------------
// Transactional gets

#[tokio::test]
async fn transact_get_reads_typed_items_in_order_across_tables() {
    let mapper = all_extensions();
    let profiles = table::<Profile>(&mapper, "tx-ext").await;
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    let written = profiles.put(&profile("p", "Ana")).return_item().await.unwrap();
    accounts.put(&account("a", 7)).await.unwrap();

    let mut tx = mapper.transact_get();
    let missing = tx.get(&accounts, "missing");
    let p = tx.get(&profiles, "p");
    let a = tx.get(&accounts, "a");
    assert_eq!(tx.len(), 3);
    let mut fetched = tx.send().await.unwrap();
    assert_eq!(fetched.len(), 3);
    assert!(fetched.get(missing).unwrap().is_none());
    assert_eq!(fetched.get(p).unwrap(), Some(&written));
    assert_eq!(fetched.get_mut(a).unwrap().map(|a| a.balance), Some(7));
    let a_item = fetched.take(a).unwrap().unwrap();
    assert_eq!((a_item.id.as_str(), a_item.version), ("a", Some(0)));
    assert!(fetched.take(p).unwrap().is_some());
    // A missing item stays missing however often it is read; a taken one is refused after,
    // and every read of it says so, unlike a missing one.
    assert!(fetched.take(missing).unwrap().is_none());
    assert!(fetched.take(missing).unwrap().is_none());
    for error in [
        fetched.take(a).unwrap_err(),
        fetched.get(a).unwrap_err(),
        fetched.get_mut(p).unwrap_err(),
    ] {
        assert_eq!(error.as_refusal().unwrap().kind(), RefusalKind::AlreadyTaken, "{error}");
    }

    let mut tx = mapper.transact_get();
    tx.get(&accounts, "a");
    tx.get(&accounts, "a");
    assert_eq!(refusal(tx.send().await.unwrap_err()), RefusalKind::SameItemTwice);
    let mut tx = mapper.transact_get();
    for i in 0..101 {
        tx.get(&accounts, format!("a{i}"));
    }
    assert_eq!(refusal(tx.send().await.unwrap_err()), RefusalKind::TooManyActions);
}

// ---------------------------------------------------------------------------------------------
// The transactional read-modify-write loop

#[derive(Debug, PartialEq)]
enum TransferRefused {
    NoSuchAccount,
    InsufficientFunds,
}

/// Moves `amount` from `from` to `to` in one transaction, retried on conflicts.
async fn transfer(
    mapper: &Mapper,
    accounts: &Table<Account>,
    from: &str,
    to: &str,
    amount: i64,
) -> Result<(), ModifyError<TransferRefused>> {
    let mut reads = mapper.transact_get();
    let from_handle = reads.get(accounts, from);
    let to_handle = reads.get(accounts, to);
    mapper
        .transact_read_modify_write(reads, |items, tx| {
            let (Some(mut a), Some(mut b)) = (items.take(from_handle).unwrap(), items.take(to_handle).unwrap()) else {
                return Err(TransferRefused::NoSuchAccount);
            };
            if a.balance < amount {
                return Err(TransferRefused::InsufficientFunds);
            }
            a.balance -= amount;
            b.balance += amount;
            tx.update(accounts, &a).condition(Condition::attr("balance").ge(amount));
            tx.update(accounts, &b);
            Ok(())
        })
        .retry(
            RetryPolicy::default()
                .max_attempts(200)
                .base_delay(std::time::Duration::from_millis(2))
                .max_delay(std::time::Duration::from_millis(50)),
        )
        .await
        .map(drop)
}

#[tokio::test]
async fn the_loop_commits_refuses_and_stops_on_a_failed_user_condition() {
    let mapper = Mapper::new(local::client());
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    accounts.put(&account("a", 100)).await.unwrap();
    accounts.put(&account("b", 0)).await.unwrap();

    transfer(&mapper, &accounts, "a", "b", 30).await.unwrap();
    let (a, b) = (
        raw_id(&accounts, "a").await.unwrap(),
        raw_id(&accounts, "b").await.unwrap(),
    );
    assert_eq!((a["balance"].clone(), a["version"].clone()), (n("70"), n("1")));
    assert_eq!((b["balance"].clone(), b["version"].clone()), (n("30"), n("1")));

    match transfer(&mapper, &accounts, "a", "b", 1000).await {
        Err(ModifyError::Refused(TransferRefused::InsufficientFunds)) => {}
        other => panic!("{other:?}"),
    }
    match transfer(&mapper, &accounts, "a", "nobody", 1).await {
        Err(ModifyError::Refused(TransferRefused::NoSuchAccount)) => {}
        other => panic!("{other:?}"),
    }

    // A caller's condition that fails stops the loop at once, typed.
    let mut reads = mapper.transact_get();
    let a_handle = reads.get(&accounts, "a");
    let mut runs = 0;
    let result = mapper
        .transact_read_modify_write(reads, |items, tx| {
            runs += 1;
            let a = items.take(a_handle).unwrap().unwrap();
            tx.update(&accounts, &a)
                .condition(Condition::attr("balance").gt(1_000_000));
        })
        .await;
    let error = match result {
        Err(ModifyError::Failed(error)) => error,
        other => panic!("{other:?}"),
    };
    let canceled = error.as_transaction_canceled().expect("cancelled");
    assert!(canceled.has_condition_failure());
    assert_eq!(runs, 1);

    // A change that writes nothing sends nothing.
    let reads = mapper.transact_get();
    let committed = mapper.transact_read_modify_write(reads, |_, _| ()).await.unwrap();
    assert!(committed.is_empty());
    let (a, b) = (
        raw_id(&accounts, "a").await.unwrap(),
        raw_id(&accounts, "b").await.unwrap(),
    );
    assert_eq!((a["balance"].clone(), b["balance"].clone()), (n("70"), n("30")));
}

#[tokio::test]
async fn the_loop_retries_a_version_conflict_from_a_fresh_read() {
    let mapper = Mapper::new(local::client());
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    accounts.put(&account("a", 100)).await.unwrap();

    let mut reads = mapper.transact_get();
    let handle = reads.get(&accounts, "a");
    let mut runs = 0;
    let name = accounts.name().to_owned();
    let committed = mapper
        .transact_read_modify_write(reads, |items, tx| {
            runs += 1;
            let mut a = items.take(handle).unwrap().unwrap();
            if runs == 1 {
                // Another writer commits between our read and our write.
                raise_elsewhere(&name, &a, 1000);
            }
            a.balance -= 1;
            tx.update(&accounts, &a);
        })
        .await
        .unwrap();
    assert_eq!(committed.len(), 1);
    assert_eq!(runs, 2);
    let stored = raw_id(&accounts, "a").await.unwrap();
    assert_eq!(
        (stored["balance"].clone(), stored["version"].clone()),
        (n("1099"), n("2"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transfers_keep_the_total_and_no_balance_goes_negative() {
    // Eight transfers at once: only conditions checked atomically with their writes keep the
    // total.
    if local::skip_unless(Need::AtomicWrites) {
        return;
    }
    let mapper = Mapper::new(local::client());
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    let ids: Vec<String> = (0..5).map(|i| format!("acc-{i}")).collect();
    for id in &ids {
        accounts.put(&account(id, 100)).await.unwrap();
    }
    let mut tasks = Vec::new();
    for task in 0..8u64 {
        let (mapper, accounts, ids) = (mapper.clone(), accounts.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(task);
            let (mut moved, mut refused) = (0, 0);
            for _ in 0..25 {
                let from = rng.usize(0..ids.len());
                let to = (from + rng.usize(1..ids.len())) % ids.len();
                let amount = rng.i64(1..=60);
                match transfer(&mapper, &accounts, &ids[from], &ids[to], amount).await {
                    Ok(()) => moved += 1,
                    Err(ModifyError::Refused(TransferRefused::InsufficientFunds)) => refused += 1,
                    Err(e) => panic!("transfer failed: {e:?}"),
                }
            }
            (moved, refused)
        }));
    }
    let mut moved = 0;
    for task in tasks {
        moved += task.await.unwrap().0;
    }
    assert!(moved > 0);
    let mut total = 0;
    let mut versions = 0;
    for id in &ids {
        let stored = raw_id(&accounts, id).await.unwrap();
        let balance: i64 = stored["balance"].as_n().unwrap().parse().unwrap();
        assert!(balance >= 0, "{id} went negative: {balance}");
        total += balance;
        versions += stored["version"].as_n().unwrap().parse::<i64>().unwrap();
    }
    assert_eq!(total, 500);
    // Every committed transfer moved two versions on.
    assert_eq!(versions, 2 * moved);
}

// ---------------------------------------------------------------------------------------------
// Injected faults: conflicts, server errors, throttling; the requests as sent

/// A mapper whose client injects `faults` and records every request; `retries: false` turns
/// off the SDK's own retries, so that every resend seen is the mapper's.
fn faulty(faults: &Faults, retries: bool) -> Mapper {
    let mut builder = local::client_builder().faults(faults);
    if !retries {
        builder = builder.retry_config(testing::no_retries());
    }
    Mapper::new(builder.build())
}

fn token_of(request: &RecordedRequest) -> String {
    request.body["ClientRequestToken"]
        .as_str()
        .expect("a token on every transaction")
        .to_owned()
}

#[tokio::test]
async fn an_injected_conflict_at_action_i_is_reason_i() {
    let faults = Faults::new();
    let mapper = faulty(&faults, true);
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    faults.on("TransactWriteItems").cancel_transaction_at(1, 1);
    let mut tx = mapper.transact_write();
    let first = tx.put(&accounts, &account("a", 1)).handle();
    let second = tx.put(&accounts, &account("b", 2)).handle();
    let third = tx.put(&accounts, &account("c", 3)).handle();
    let canceled = canceled(tx.send().await.unwrap_err());
    assert_eq!(canceled.reason(first).unwrap().code(), &CancellationCode::None);
    assert_eq!(
        canceled.reason(second).unwrap().code(),
        &CancellationCode::TransactionConflict
    );
    assert_eq!(canceled.reason(third).unwrap().code(), &CancellationCode::None);
    assert_eq!(
        canceled.reason(second).unwrap().key(),
        &HashMap::from([("id".to_owned(), s("b"))])
    );
    assert!(!canceled.reason(second).unwrap().is_version_conflict());
    assert!(canceled.is_retryable() && canceled.is_conflict());
    assert!(Error::TransactionCanceled(canceled).is_retryable());
    // Not forwarded: nothing written, and the SDK did not retry a cancellation.
    assert!(raw_id(&accounts, "a").await.is_none());
    assert_eq!(faults.requests_of("TransactWriteItems").len(), 1);
}

#[tokio::test]
async fn the_loop_retries_injected_conflicts_with_a_fresh_read_and_a_new_token() {
    let faults = Faults::new();
    let mapper = faulty(&faults, true);
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    accounts.put(&account("a", 100)).await.unwrap();
    accounts.put(&account("b", 0)).await.unwrap();
    faults.clear_requests();
    faults.on("TransactWriteItems").cancel_transaction_at(1, 2);

    transfer(&mapper, &accounts, "a", "b", 40).await.unwrap();

    let writes = faults.requests_of("TransactWriteItems");
    let injected: Vec<Option<InjectedFault>> = writes.iter().map(|r| r.fault.clone()).collect();
    assert_eq!(
        injected,
        [
            Some(InjectedFault::TransactionConflict(1)),
            Some(InjectedFault::TransactionConflict(1)),
            None
        ]
    );
    assert_eq!(
        faults.requests_of("TransactGetItems").len(),
        3,
        "a fresh read per attempt"
    );
    let tokens: Vec<String> = writes.iter().map(token_of).collect();
    assert!(
        tokens[0] != tokens[1] && tokens[1] != tokens[2],
        "a rebuilt transaction gets a new token: {tokens:?}"
    );
    let (a, b) = (
        raw_id(&accounts, "a").await.unwrap(),
        raw_id(&accounts, "b").await.unwrap(),
    );
    assert_eq!((a["balance"].clone(), a["version"].clone()), (n("60"), n("1")));
    assert_eq!((b["balance"].clone(), b["version"].clone()), (n("40"), n("1")));
}

#[tokio::test]
async fn the_token_is_kept_on_an_identical_resend_after_a_server_error() {
    let faults = Faults::new();
    let mapper = faulty(&faults, false);
    let accounts = table::<Account>(&mapper, "tx-acc").await;

    faults.on("TransactWriteItems").server_error(1);
    let mut tx = mapper.transact_write();
    let handle = tx.put(&accounts, &account("a", 5)).handle();
    let committed = tx.send().await.unwrap();
    let sent = faults.requests_of("TransactWriteItems");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].fault, Some(InjectedFault::ServerError));
    assert!(!sent[0].forwarded && sent[1].forwarded);
    // The client's retries are off: the transaction's own policy resends it, as the SDK's
    // second attempt of one identical request.
    assert_eq!(sent.iter().map(|r| r.attempt).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(sent[0].body, sent[1].body, "identical, token included");
    assert_eq!(token_of(&sent[0]), committed.client_request_token());
    assert_eq!(committed.item(handle).unwrap().known().unwrap().version, Some(0));
    assert_eq!(raw_id(&accounts, "a").await.unwrap()["version"], n("0"));

    // The caller's own token is kept too; throttling is resent the same way.
    faults.clear_requests();
    faults.on("TransactWriteItems").throttle(2);
    let mut tx = mapper.transact_write();
    tx.put(&accounts, &account("b", 5));
    // Unique to this run, as DynamoDB keeps a token for ten minutes.
    let token: &str = &format!("payment-{}", fastrand::u64(..));
    let tx = tx.client_request_token(token);
    tx.send().await.unwrap();
    let tokens: Vec<String> = faults.requests_of("TransactWriteItems").iter().map(token_of).collect();
    assert_eq!(tokens, [token; 3]);

    // Without retries the server error reaches the caller, retryable, after one request.
    faults.clear_requests();
    faults.on("TransactWriteItems").server_error(1);
    let mut tx = mapper.transact_write();
    tx.put(&accounts, &account("c", 5));
    let tx = tx.retry(RetryPolicy::never());
    let error = tx.send().await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(faults.requests_of("TransactWriteItems").len(), 1);
    assert!(raw_id(&accounts, "c").await.is_none());
}

#[tokio::test]
async fn a_rebuilt_transaction_after_a_version_conflict_gets_a_new_token() {
    let faults = Faults::new();
    let mapper = faulty(&faults, false);
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    accounts.put(&account("a", 100)).await.unwrap();
    let name = accounts.name().to_owned();
    let mut reads = mapper.transact_get();
    let handle = reads.get(&accounts, "a");
    let mut runs = 0;
    mapper
        .transact_read_modify_write(reads, |items, tx| {
            runs += 1;
            let mut a = items.take(handle).unwrap().unwrap();
            if runs == 1 {
                raise_elsewhere(&name, &a, 1000);
            }
            a.balance -= 1;
            tx.update(&accounts, &a);
        })
        .await
        .unwrap();
    let sent = faults.requests_of("TransactWriteItems");
    assert_eq!(sent.len(), 2);
    // The version the condition expects: `#nX = :vY` where `#nX` names `version`.
    let expected_version = |r: &RecordedRequest| {
        let update = &r.body["TransactItems"][0]["Update"];
        let names = update["ExpressionAttributeNames"].as_object().unwrap();
        let name = names.iter().find(|(_, v)| *v == "version").unwrap().0;
        let condition = update["ConditionExpression"].as_str().unwrap();
        let after = &condition[condition.find(&format!("{name} = ")).unwrap() + name.len() + 3..];
        let value = after.split([' ', ')']).next().unwrap();
        update["ExpressionAttributeValues"][value]["N"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(
        expected_version(&sent[1]),
        expected_version(&sent[0]) + 1,
        "the rebuilt request expects the version the other writer left"
    );
    assert_eq!(runs, 2);
    assert_ne!(token_of(&sent[0]), token_of(&sent[1]), "and a new token");
    assert_eq!(raw_id(&accounts, "a").await.unwrap()["balance"], n("1099"));
}

#[tokio::test]
async fn refusals_send_nothing() {
    let faults = Faults::new();
    let mapper = faulty(&faults, true);
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    let mut tx = mapper.transact_write();
    for i in 0..101 {
        tx.put(&accounts, &account(&format!("a{i}"), 1));
    }
    assert_eq!(refusal(tx.send().await.unwrap_err()), RefusalKind::TooManyActions);
    let mut tx = mapper.transact_write();
    tx.update(&accounts, &account("same", 1));
    tx.delete(&accounts, "same");
    assert_eq!(refusal(tx.send().await.unwrap_err()), RefusalKind::SameItemTwice);
    assert!(faults.requests_of("TransactWriteItems").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Handles answer only their own transaction

/// Another writer adds `amount` to the balance of `account` in table `name`, and commits:
/// on a thread of its own, with a client and runtime of its own (a read-modify-write's change
/// is not async).
fn raise_elsewhere(name: &str, account: &Account, amount: i64) {
    let mut other = account.clone();
    other.balance += amount;
    local::block_on_elsewhere(async {
        let accounts = Mapper::new(local::client()).table_named::<Account>(name).unwrap();
        accounts.update(&other).await.unwrap()
    });
}

fn entry(note: &str) -> Entry {
    Entry {
        ledger: "l".into(),
        seq: 1,
        note: note.into(),
    }
}

fn foreign(error: Error) {
    assert_eq!(
        error.as_refusal().map(|r| r.kind()),
        Some(RefusalKind::ForeignHandle),
        "{error}"
    );
}

#[tokio::test]
async fn a_write_handle_of_another_transaction_is_refused_on_its_result() {
    let mapper = Mapper::new(local::client());
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    let entries = table::<Entry>(&mapper, "tx-entries").await;
    accounts.put(&account("a", 10)).await.unwrap();

    // Transaction one: two actions. Transaction two: one action, on another item type.
    let mut one = mapper.transact_write();
    let first = one.put(&accounts, &account("b", 1)).handle();
    let second = one.put(&accounts, &account("c", 2)).handle();
    let one = one.send().await.unwrap();
    let mut two = mapper.transact_write();
    let other = two.put(&entries, &entry("Ana")).handle();
    let two = two.send().await.unwrap();

    // Each result reads its own handles ...
    assert_eq!(one.item(second).unwrap().known().unwrap().id, "c");
    assert_eq!(two.item(other).unwrap().known().unwrap().note, "Ana");
    // ... and refuses the other's, at the same position (which would read another item as
    // the wrong type) and past its end alike.
    foreign(two.item(first).unwrap_err());
    foreign(two.item(second).unwrap_err());
    foreign(two.item_map(second).unwrap_err());
    foreign(one.item(other).unwrap_err());

    // A cancellation answers only its own transaction's handles too: `reason` refuses where
    // it used to panic.
    let mut three = mapper.transact_write();
    let stale = three.update(&accounts, &account("a", 99)).handle(); // version None: stale
    let canceled = three.send().await.unwrap_err();
    let canceled = canceled.as_transaction_canceled().expect("cancelled");
    assert!(canceled.reason(stale).unwrap().is_version_conflict());
    assert_eq!(canceled.item(stale).unwrap().unwrap().balance, 10);
    foreign(canceled.reason(second).unwrap_err());
    foreign(canceled.reason(first).unwrap_err());
    foreign(canceled.item(other).unwrap_err());
    // And a handle of the canceled transaction reads nothing from a committed one.
    foreign(one.item(stale).unwrap_err());
}

#[tokio::test]
async fn a_get_handle_of_another_transaction_is_refused_on_its_output() {
    let mapper = Mapper::new(local::client());
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    let entries = table::<Entry>(&mapper, "tx-entries").await;
    accounts.put(&account("a", 10)).await.unwrap();
    entries.put(&entry("Ana")).await.unwrap();

    let mut one = mapper.transact_get();
    let a = one.get(&accounts, "a");
    let mut one = one.send().await.unwrap();
    let mut two = mapper.transact_get();
    let p = two.get(&entries, ("l", 1u32));
    let nobody = two.get(&accounts, "nobody");
    let mut two = two.send().await.unwrap();

    // Three cases told apart: an item, no such item, and a handle of another transaction.
    assert_eq!(one.get(a).unwrap().unwrap().balance, 10);
    assert!(two.get(nobody).unwrap().is_none());
    foreign(two.get(a).unwrap_err());
    foreign(two.get_mut(a).unwrap_err());
    foreign(two.take(a).unwrap_err());
    foreign(one.take(p).unwrap_err());
    foreign(one.take(nobody).unwrap_err());
    // The refusals took nothing out.
    assert_eq!(two.take(p).unwrap().unwrap().note, "Ana");
    assert_eq!(one.take(a).unwrap().unwrap().id, "a");
}

#[tokio::test]
async fn handles_of_a_superseded_attempt_are_refused_and_the_committed_ones_read() {
    let mapper = Mapper::new(local::client());
    let accounts = table::<Account>(&mapper, "tx-acc").await;
    accounts.put(&account("a", 100)).await.unwrap();
    let name = accounts.name().to_owned();
    let mut reads = mapper.transact_get();
    let read = reads.get(&accounts, "a");
    let mut handles = Vec::new();
    let committed = mapper
        .transact_read_modify_write(reads, |items, tx| {
            // The reads' handle reads every attempt's snapshot.
            let mut a = items.take(read).unwrap().unwrap();
            if handles.is_empty() {
                // Another writer commits between the first read and its write.
                raise_elsewhere(&name, &a, 1000);
            }
            a.balance -= 1;
            handles.push(tx.update(&accounts, &a).handle());
        })
        .await
        .unwrap();
    assert_eq!(handles.len(), 2, "a conflict, then a commit");
    foreign(committed.item(handles[0]).unwrap_err());
    foreign(committed.item_map(handles[0]).unwrap_err());
    let written = committed.item_map(handles[1]).unwrap().unwrap();
    assert_eq!(written["balance"], n("1099"));
    assert_eq!(raw_id(&accounts, "a").await.unwrap()["balance"], n("1099"));
}

// ---------------------------------------------------------------------------------------------
// Answers lost to a timeout or a dropped connection

#[tokio::test]
async fn a_transaction_whose_answer_is_lost_is_resent_identically_and_applies_once() {
    let cases = [
        (InjectedFault::Timeout(Lost::BeforeApplied), "timeout before"),
        (InjectedFault::Timeout(Lost::AfterApplied), "timeout after"),
        (InjectedFault::ConnectionDropped(Lost::BeforeApplied), "dropped before"),
        (InjectedFault::ConnectionDropped(Lost::AfterApplied), "dropped after"),
    ];
    for (fault, case) in cases {
        // After the endpoint applied it, only the token keeps the resend from applying again.
        let after = matches!(
            fault,
            InjectedFault::Timeout(Lost::AfterApplied) | InjectedFault::ConnectionDropped(Lost::AfterApplied)
        );
        if after && !local::can_check(Need::ClientRequestTokens, case) {
            continue;
        }
        let faults = Faults::new();
        let mapper = faulty(&faults, false);
        let accounts = table::<Account>(&mapper, "tx-lost").await;
        let entries = table::<Entry>(&mapper, "tx-lost-entries").await;
        accounts.put(&account("a", 100)).await.unwrap();
        faults.clear_requests();
        match fault {
            InjectedFault::Timeout(when) => faults.on("TransactWriteItems").timeout(when, 1),
            InjectedFault::ConnectionDropped(when) => faults.on("TransactWriteItems").drop_connection(when, 1),
            _ => unreachable!("the cases above"),
        };
        // Neither action may apply twice: `add` is not idempotent, and the put is conditional
        // on the entry not being stored yet.
        let f = Account::fields();
        let mut tx = mapper.transact_write();
        tx.patch(&accounts, "a").add(&f.balance, 10);
        tx.put(&entries, &entry("paid"))
            .condition(Entry::fields().seq.not_exists());
        let committed = tx.send().await.unwrap_or_else(|e| panic!("{case}: {e:?}"));

        let sent = faults.requests_of("TransactWriteItems");
        assert_eq!(sent.len(), 2, "{case}: the lost attempt and one resend");
        assert_eq!(sent[0].fault.as_ref(), Some(&fault), "{case}");
        let applied_first = matches!(
            fault,
            InjectedFault::Timeout(Lost::AfterApplied) | InjectedFault::ConnectionDropped(Lost::AfterApplied)
        );
        assert_eq!(sent[0].forwarded, applied_first, "{case}");
        assert!(sent[1].forwarded && sent[1].fault.is_none(), "{case}");
        assert_eq!(sent[0].body, sent[1].body, "{case}: identical, token included");
        assert_eq!(token_of(&sent[1]), committed.client_request_token(), "{case}");

        // Applied exactly once.
        let stored = raw_id(&accounts, "a").await.unwrap();
        assert_eq!(
            (stored["balance"].clone(), stored["version"].clone()),
            (n("110"), n("1")),
            "{case}"
        );
        assert_eq!(local::raw_items(&entries).await.len(), 1, "{case}");
    }
}

#[tokio::test]
async fn a_lost_answer_without_resends_is_a_retryable_error_and_the_outcome_unknown() {
    let faults = Faults::new();
    let mapper = faulty(&faults, false);
    let accounts = table::<Account>(&mapper, "tx-lost").await;
    accounts.put(&account("a", 100)).await.unwrap();
    faults.clear_requests();
    faults.on("TransactWriteItems").timeout(Lost::AfterApplied, 1);
    let f = Account::fields();
    let mut tx = mapper.transact_write();
    tx.patch(&accounts, "a").add(&f.balance, 10);
    let error = tx.retry(RetryPolicy::never()).send().await.unwrap_err();
    // The caller cannot tell whether it applied: here it did. Resending it with the same
    // token (`client_request_token`) within ten minutes is how to find out safely.
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(faults.requests_of("TransactWriteItems").len(), 1);
    assert_eq!(raw_id(&accounts, "a").await.unwrap()["balance"], n("110"));
}
