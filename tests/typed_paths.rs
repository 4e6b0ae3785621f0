//! Typed field paths (`Type::fields()`) against the local server, every outcome checked in the
//! raw stored items (read behind the mapper's back, sets compared without their order):
//!
//! - every condition operator (`eq` .. `ge`, `between`, `is_in`, `exists` / `not_exists`,
//!   `begins_with`, `contains`, `size()`, the `*_field` comparisons, `and` / `or` / `not` / `!`,
//!   beside untyped conditions) on conditional puts, updates, patches and deletes, and the
//!   conditions refused before sending;
//! - renamed attributes (`rename_all`, `rename`, also inside nested structs) matched and
//!   written by their stored names;
//! - values compared and written in their converters' stored forms: `#[ttl]`, `with = module`
//!   (on a plain and an `Option` field), `UnixMillis`, `UnixSeconds`, `PynamoDateTime`,
//!   `JavaInstant`, `DateTime<Utc>`;
//! - nested struct, map entry, list element and flattened paths, in conditions and in patches;
//! - every patch action, a patch leaving the rest of the item untouched, patches of missing
//!   items (single and in a transaction), upserts refused when incomplete and readable when
//!   complete, stale versions, the extensions' versions, counters and timestamps on patches;
//! - typed conditions on transaction actions and condition checks, typed filters on queries and
//!   scans.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use dynamodb_mapper::expr::{Condition, Path, TypedCondition, UpdateExpression, UpdateValue};
use dynamodb_mapper::extension::{AtomicCounters, Extension, VersionedRecords};
use dynamodb_mapper::ops::CancellationCode;
use dynamodb_mapper::value::{JavaInstant, PynamoDateTime, UnixMillis, UnixSeconds};
use dynamodb_mapper::{Attributes, Error, Item, ItemMap, KeyFrom, Mapper, RefusalKind, Table};
use dynamodb_mapper_workspace::clock::{at, stepping_clock};
use dynamodb_mapper_workspace::local::{self, Need};

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A struct stored as a nested map.
#[derive(Attributes, Debug, Clone, PartialEq)]
struct Address {
    city: String,
    zip: String,
}

/// An order with an attribute of every kind a path can reach, stored under camelCase names
/// (and one renamed field, `total_cents`, stored as `amt`).
#[derive(Item, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Order {
    #[partition_key]
    customer_id: String,
    #[sort_key]
    order_no: u32,
    status: String,
    #[attribute(rename = "amt")]
    total_cents: i64,
    paid_cents: i64,
    subtotal: i64,
    shipping: i64,
    note: Option<String>,
    tags: HashSet<String>,
    lines: Vec<String>,
    attrs: HashMap<String, String>,
    address: Address,
    payload: Vec<u8>,
    #[attribute(default)]
    priority: u8,
    /// Written by the conditional puts that probe a condition, nothing else.
    last_check: Option<String>,
}

const C1: &str = "c1";

fn order(order_no: u32) -> Order {
    Order {
        customer_id: C1.into(),
        order_no,
        status: "open".into(),
        total_cents: 1500,
        paid_cents: 1500,
        subtotal: 1200,
        shipping: 300,
        note: Some("leave at the door".into()),
        tags: HashSet::from(["gift".to_owned(), "fragile".to_owned()]),
        lines: vec!["apple".into(), "pear".into(), "plum".into()],
        attrs: HashMap::from([
            ("color".to_owned(), "red".to_owned()),
            ("size".to_owned(), "L".to_owned()),
        ]),
        address: Address {
            city: "Porto".into(),
            zip: "4000".into(),
        },
        payload: vec![1, 2, 3, 4],
        priority: 2,
        last_check: None,
    }
}

/// A converter of the test's own: the text stored reversed, so that a value compared without
/// the converter would not match.
mod reversed {
    use aws_sdk_dynamodb::types::AttributeValue;
    use dynamodb_mapper::ConvertError;

    pub fn to_attribute_value(value: &str) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(Some(AttributeValue::S(value.chars().rev().collect())))
    }

    pub fn from_attribute_value(value: Option<AttributeValue>) -> Result<String, ConvertError> {
        match value {
            Some(AttributeValue::S(text)) => Ok(text.chars().rev().collect()),
            _ => Err(ConvertError::custom("expected reversed text")),
        }
    }
}

/// Attributes stored by converters: epoch seconds (`#[ttl]`), a module, epoch milliseconds and
/// RFC 3339 text.
#[derive(Item, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Reminder {
    #[partition_key]
    id: String,
    #[ttl]
    expires_at: Option<DateTime<Utc>>,
    #[attribute(with = reversed)]
    code: String,
    sent_at: UnixMillis,
    created: DateTime<Utc>,
}

/// An item with every lifecycle attribute a patch goes through the extensions for.
#[derive(Item, Debug, Clone, PartialEq)]
struct Doc {
    #[partition_key]
    id: String,
    title: String,
    body: Option<String>,
    #[version]
    version: Option<u64>,
    #[atomic_counter(start = 10, inc = 5)]
    edits: i64,
    #[auto_timestamp]
    updated_at: Option<DateTime<Utc>>,
    #[auto_timestamp]
    #[update_behavior(write_if_not_exists)]
    created_at: Option<DateTime<Utc>>,
}

fn doc(id: &str, title: &str) -> Doc {
    Doc {
        id: id.into(),
        title: title.into(),
        body: None,
        version: None,
        edits: 0,
        updated_at: None,
        created_at: None,
    }
}

/// A struct flattened into its item.
#[derive(Attributes, Debug, Clone, PartialEq)]
struct Audit {
    created_by: String,
    reviewed_by: Option<String>,
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Page {
    #[partition_key]
    id: String,
    #[attribute(flatten)]
    audit: Audit,
    #[attribute(skip)]
    cache: Option<String>,
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.into())
}

fn list(items: &[&str]) -> AttributeValue {
    AttributeValue::L(items.iter().map(|i| s(i)).collect())
}

fn map(entries: &[(&str, AttributeValue)]) -> AttributeValue {
    AttributeValue::M(entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
}

/// The elements of a raw string set, in order.
fn string_set(value: &AttributeValue) -> Vec<String> {
    let mut elements = value
        .as_ss()
        .unwrap_or_else(|_| panic!("a string set: {value:?}"))
        .clone();
    elements.sort();
    elements
}

/// The stepping clock's reading `minute`, as a `DateTime<Utc>` attribute is stored.
fn time(minute: i64) -> AttributeValue {
    s(&at(minute).unwrap().to_rfc3339_opts(SecondsFormat::Nanos, true))
}

fn utc(year: i32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, second).unwrap()
}

/// `item` with the elements of every set sorted: DynamoDB keeps no order in a set (nor does a
/// `HashSet`), so whole items are compared in this form.
fn canonical(item: &ItemMap) -> ItemMap {
    item.iter().map(|(k, v)| (k.clone(), canonical_value(v))).collect()
}

fn canonical_value(value: &AttributeValue) -> AttributeValue {
    match value {
        AttributeValue::Ss(elements) => {
            let mut elements = elements.clone();
            elements.sort();
            AttributeValue::Ss(elements)
        }
        AttributeValue::Ns(elements) => {
            let mut elements = elements.clone();
            elements.sort();
            AttributeValue::Ns(elements)
        }
        AttributeValue::Bs(elements) => {
            let mut elements = elements.clone();
            elements.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
            AttributeValue::Bs(elements)
        }
        AttributeValue::L(elements) => AttributeValue::L(elements.iter().map(canonical_value).collect()),
        AttributeValue::M(entries) => AttributeValue::M(canonical(entries)),
        other => other.clone(),
    }
}

/// The item stored under `key`, read behind the mapper's back, in [`canonical`] form; empty
/// when there is none.
async fn stored<T: Item + KeyFrom<K>, K>(table: &Table<T>, key: K) -> ItemMap {
    canonical(&local::raw_item(table, key).await)
}

/// Every item stored in `table`, read behind the mapper's back, in [`canonical`] form and in
/// the order of their keys.
async fn snapshot<T: Item>(table: &Table<T>) -> Vec<ItemMap> {
    let mut items: Vec<ItemMap> = local::raw_items(table).await.iter().map(canonical).collect();
    items.sort_by_key(|item| {
        ["id", "customerId", "orderNo"]
            .map(|name| format!("{:?}", item.get(name)))
            .join("/")
    });
    items
}

async fn table<T: Item + 'static>(mapper: &Mapper, prefix: &str) -> Table<T> {
    let table = mapper.table_named::<T>(&local::unique_table_name(prefix)).unwrap();
    table.create_table().await.unwrap();
    table
}

/// The orders' table, holding `order(1)`.
async fn orders() -> Table<Order> {
    let orders = table::<Order>(&Mapper::new(local::client()), "typed-orders").await;
    orders.put(&order(1)).await.unwrap();
    orders
}

/// A mapper with the version, counter and (stepping) timestamp extensions.
fn lifecycle_mapper() -> Mapper {
    let extensions: Vec<Arc<dyn Extension>> = vec![
        Arc::new(VersionedRecords),
        Arc::new(AtomicCounters),
        Arc::new(stepping_clock()),
    ];
    Mapper::builder(local::client()).extensions(extensions).build()
}

/// Whether `condition` holds on the stored `order(order_no)`, told by a conditional put of the
/// same order with `lastCheck` set to `mark`. Checked in the raw item either way: when the
/// condition holds, the stored item is the one before with the mark; when it does not, the
/// stored item is untouched and is the one the error carries.
async fn holds(orders: &Table<Order>, order_no: u32, condition: TypedCondition<Order>, mark: &str) -> bool {
    let before = stored(orders, (C1, order_no)).await;
    let mut next = Order::from_item(before.clone()).unwrap();
    next.last_check = Some(mark.to_owned());
    match orders.put(&next).condition(condition).await {
        Ok(()) => {
            let mut expected = before;
            expected.insert("lastCheck".into(), s(mark));
            assert_eq!(stored(orders, (C1, order_no)).await, expected, "{mark}");
            true
        }
        Err(Error::ConditionFailed(failed)) => {
            assert_eq!(
                failed.item_map().map(canonical),
                Some(before.clone()),
                "{mark}: the error carries the stored item"
            );
            assert_eq!(
                stored(orders, (C1, order_no)).await,
                before,
                "{mark}: a failed condition writes nothing"
            );
            false
        }
        Err(other) => panic!("{mark}: {other:?}"),
    }
}

/// Asserts each case's condition holds (or not) on `order(order_no)`, as `holds` tells.
async fn assert_cases(orders: &Table<Order>, order_no: u32, cases: Vec<(&str, TypedCondition<Order>, bool)>) {
    for (name, condition, expected) in cases {
        assert_eq!(holds(orders, order_no, condition, name).await, expected, "{name}");
    }
}

fn canceled(error: Error) -> Box<dynamodb_mapper::ops::TransactionCanceled> {
    match error {
        Error::TransactionCanceled(canceled) => canceled,
        other => panic!("expected a cancelled transaction, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Paths

#[test]
fn paths_print_their_stored_names() {
    let f = Order::fields();
    assert_eq!(f.customer_id.path().to_string(), "customerId");
    assert_eq!(f.order_no.path().to_string(), "orderNo");
    assert_eq!(f.total_cents.path().to_string(), "amt");
    assert_eq!(f.paid_cents.path().root(), "paidCents");
    assert_eq!(f.address.nested(|a| a.city).path().to_string(), "address.city");
    assert_eq!(f.address.then(Address::fields().zip).path().to_string(), "address.zip");
    assert_eq!(f.address.nested(|a| a.city).path().root(), "address");
    assert_eq!(f.lines.at(0).path().to_string(), "lines[0]");
    assert_eq!(f.lines.at(2).path().root(), "lines");
    assert_eq!(f.attrs.key("color").path().to_string(), "attrs.color");
    let p = Page::fields();
    assert_eq!(p.audit.nested(|a| a.created_by).path().to_string(), "created_by");
    assert_eq!(p.audit.then(Audit::fields().reviewed_by).path().root(), "reviewed_by");
    let r = Reminder::fields();
    assert_eq!(r.expires_at.path().to_string(), "expiresAt");
    assert_eq!(r.sent_at.path().to_string(), "sentAt");
}

#[tokio::test]
async fn stored_items_carry_the_renamed_attribute_names() {
    let orders = orders().await;
    let raw = stored(&orders, (C1, 1u32)).await;
    let mut names: Vec<&str> = raw.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "address",
            "amt",
            "attrs",
            "customerId",
            "lines",
            "note",
            "orderNo",
            "paidCents",
            "payload",
            "priority",
            "shipping",
            "status",
            "subtotal",
            "tags"
        ]
    );
    assert_eq!(raw["amt"], n("1500"));
    assert_eq!(raw["customerId"], s(C1));
    assert_eq!(raw["orderNo"], n("1"));
    assert_eq!(raw["address"], map(&[("city", s("Porto")), ("zip", s("4000"))]));
    assert_eq!(raw["lines"], list(&["apple", "pear", "plum"]));
    assert_eq!(raw["payload"], AttributeValue::B(vec![1, 2, 3, 4].into()));
}

// ---------------------------------------------------------------------------------------------
// Every condition operator, on conditional puts

#[tokio::test]
async fn comparisons_hold_or_fail_as_the_stored_values_say() {
    let orders = orders().await;
    let f = Order::fields();
    let closed = String::from("closed");
    let cases = vec![
        ("eq holds", f.total_cents.eq(1500), true),
        ("eq fails", f.total_cents.eq(1499), false),
        ("ne holds", f.total_cents.ne(1499), true),
        ("ne fails", f.total_cents.ne(1500), false),
        ("lt holds", f.total_cents.lt(1501), true),
        ("lt fails on equal", f.total_cents.lt(1500), false),
        ("le holds on equal", f.total_cents.le(1500), true),
        ("le fails", f.total_cents.le(1499), false),
        ("gt holds", f.total_cents.gt(1499), true),
        ("gt fails on equal", f.total_cents.gt(1500), false),
        ("ge holds on equal", f.total_cents.ge(1500), true),
        ("ge fails", f.total_cents.ge(1501), false),
        ("between holds on a bound", f.total_cents.between(1000, 1500), true),
        ("between fails", f.total_cents.between(1501, 2000), false),
        ("is_in holds", f.total_cents.is_in([1, 1500, 7]), true),
        ("is_in fails", f.total_cents.is_in([1, 2]), false),
        // Strings, given borrowed and owned.
        ("string eq by &str", f.status.eq("open"), true),
        ("string eq by String", f.status.eq(String::from("open")), true),
        ("string eq by &String", f.status.eq(&closed), false),
        ("string lt", f.status.lt("p"), true),
        ("string ge", f.status.ge("p"), false),
        ("string between", f.status.between("a", "op"), false),
        ("string is_in", f.status.is_in([closed.as_str(), "open"]), true),
        // The sort key and the partition key are attributes too.
        ("sort key gt", f.order_no.gt(0), true),
        ("partition key eq", f.customer_id.eq("c2"), false),
    ];
    assert_cases(&orders, 1, cases).await;
}

#[tokio::test]
async fn functions_and_sizes_hold_or_fail_as_the_stored_values_say() {
    let orders = orders().await;
    let f = Order::fields();
    let mut cases = vec![
        // First: `lastCheck` is absent until a probe holds.
        ("exists fails", f.last_check.exists(), false),
        ("exists holds", f.note.exists(), true),
        ("exists holds on the mark just written", f.last_check.exists(), true),
        ("not_exists fails", f.note.not_exists(), false),
        ("begins_with string holds", f.status.begins_with("op"), true),
        ("begins_with string fails", f.status.begins_with("cl"), false),
        ("begins_with binary holds", f.payload.begins_with(&[1u8, 2][..]), true),
        ("begins_with binary fails", f.payload.begins_with(vec![2u8]), false),
        ("contains substring holds", f.note.contains("the door"), true),
        ("contains substring fails", f.note.contains("window"), false),
        ("contains set element holds", f.tags.contains("gift"), true),
        ("contains set element fails", f.tags.contains("cheap"), false),
        ("contains list element holds", f.lines.contains("pear"), true),
        ("contains list element fails", f.lines.contains("kiwi"), false),
        ("size of a string eq", f.status.size().eq(4), true),
        ("size of a string ne", f.status.size().ne(4), false),
        ("size of a list lt", f.lines.size().lt(4), true),
        ("size of a list lt fails", f.lines.size().lt(3), false),
        ("size of a set le", f.tags.size().le(2), true),
        ("size of a set gt", f.tags.size().gt(2), false),
        ("size of a map ge", f.attrs.size().ge(2), true),
        ("size of a map between", f.attrs.size().between(3, 10), false),
        ("size of binary between", f.payload.size().between(4, 4), true),
        ("size of binary gt", f.payload.size().gt(3), true),
    ];
    cases.retain(|(name, ..)| *name != "begins_with binary holds" || local::can_check(Need::BinaryBeginsWith, name));
    assert_cases(&orders, 1, cases).await;

    // On an order without a note: `not_exists` holds, and `ne` holds on the absent attribute.
    let mut bare = order(2);
    bare.note = None;
    orders.put(&bare).await.unwrap();
    assert!(!stored(&orders, (C1, 2u32)).await.contains_key("note"));
    let cases = vec![
        ("not_exists holds", f.note.not_exists(), true),
        ("exists fails on absent", f.note.exists(), false),
        ("ne holds on absent", f.note.ne("anything"), true),
        ("eq fails on absent", f.note.eq("leave at the door"), false),
    ];
    assert_cases(&orders, 2, cases).await;
}

#[tokio::test]
async fn attribute_to_attribute_comparisons_compare_two_stored_attributes() {
    let orders = orders().await;
    let f = Order::fields();
    // amt = 1500, paidCents = 1500, subtotal = 1200, shipping = 300.
    let cases = vec![
        ("eq_field holds", f.paid_cents.eq_field(&f.total_cents), true),
        ("eq_field fails", f.subtotal.eq_field(&f.total_cents), false),
        ("ne_field holds", f.subtotal.ne_field(f.shipping.clone()), true),
        ("ne_field fails", f.total_cents.ne_field(&f.paid_cents), false),
        ("lt_field holds", f.subtotal.lt_field(&f.total_cents), true),
        ("lt_field fails", f.total_cents.lt_field(&f.subtotal), false),
        ("le_field holds on equal", f.total_cents.le_field(&f.paid_cents), true),
        ("le_field fails", f.total_cents.le_field(&f.shipping), false),
        ("gt_field holds", f.total_cents.gt_field(&f.subtotal), true),
        ("gt_field fails on equal", f.total_cents.gt_field(&f.paid_cents), false),
        ("ge_field holds on equal", f.paid_cents.ge_field(&f.total_cents), true),
        ("ge_field fails", f.shipping.ge_field(&f.subtotal), false),
        // Strings: "open" against a nested "Porto".
        ("string gt_field", f.status.gt_field(f.address.nested(|a| a.city)), true),
    ];
    assert_cases(&orders, 1, cases).await;
}

#[tokio::test]
async fn and_or_not_combine_typed_and_untyped_conditions() {
    let orders = orders().await;
    let f = Order::fields();
    let yes = || f.status.eq("open");
    let no = || f.status.eq("closed");
    let cases = vec![
        ("and of two that hold", yes().and(f.total_cents.gt(1000)), true),
        ("and with one that fails", yes().and(no()), false),
        ("or with one that holds", no().or(yes()), true),
        ("or of two that fail", no().or(f.total_cents.lt(0)), false),
        ("not of one that fails", no().not(), true),
        ("! of one that holds", !yes(), false),
        (
            "nested combination",
            (!no().or(f.tags.contains("cheap"))).and(yes()),
            true,
        ),
        // The untyped condition is accepted beside the typed one.
        ("typed and untyped", yes().and(Condition::attr("amt").eq(1500i64)), true),
        ("typed or untyped", no().or(Condition::attr("amt").eq(1i64)), false),
    ];
    assert_cases(&orders, 1, cases).await;
    // The untyped condition alone still works where a typed one does.
    let mut next = order(1);
    next.last_check = Some("untyped".into());
    let err = orders
        .put(&next)
        .condition(Condition::attr("status").eq("closed"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConditionFailed(_)), "{err:?}");
    orders
        .put(&next)
        .condition(Condition::attr("status").eq("open"))
        .await
        .unwrap();
    assert_eq!(stored(&orders, (C1, 1u32)).await["lastCheck"], s("untyped"));
}

#[tokio::test]
async fn typed_conditions_guard_updates_patches_and_deletes() {
    let orders = orders().await;
    let f = Order::fields();
    let before = stored(&orders, (C1, 1u32)).await;

    // Update: a failed condition writes nothing; a holding one writes.
    let mut updated = order(1);
    updated.status = "paid".into();
    let err = orders
        .update(&updated)
        .condition(f.paid_cents.lt(1000))
        .await
        .unwrap_err();
    assert!(err.as_condition_failed().is_some(), "{err:?}");
    assert_eq!(stored(&orders, (C1, 1u32)).await, before);
    orders
        .update(&updated)
        .condition(f.paid_cents.ge_field(&f.total_cents))
        .await
        .unwrap();
    assert_eq!(stored(&orders, (C1, 1u32)).await["status"], s("paid"));

    // Patch.
    let err = orders
        .patch((C1, 1u32))
        .set(&f.status, "shipped")
        .condition(f.status.eq("open"))
        .await
        .unwrap_err();
    let failed = err.as_condition_failed().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(failed.item::<Order>().unwrap().unwrap().status, "paid");
    assert_eq!(stored(&orders, (C1, 1u32)).await["status"], s("paid"));
    orders
        .patch((C1, 1u32))
        .set(&f.status, "shipped")
        .condition(f.status.eq("paid"))
        .await
        .unwrap();
    assert_eq!(stored(&orders, (C1, 1u32)).await["status"], s("shipped"));

    // Delete.
    let err = orders
        .delete((C1, 1u32))
        .condition(f.status.ne("shipped"))
        .await
        .unwrap_err();
    assert!(err.as_condition_failed().is_some(), "{err:?}");
    assert!(!stored(&orders, (C1, 1u32)).await.is_empty(), "still stored");
    orders
        .delete((C1, 1u32))
        .condition(f.status.eq("shipped").and(f.tags.contains("gift")))
        .await
        .unwrap();
    assert!(stored(&orders, (C1, 1u32)).await.is_empty(), "deleted");
}

#[tokio::test]
async fn conditions_and_patch_values_that_cannot_be_sent_are_refused_before_sending() {
    let orders = orders().await;
    let f = Order::fields();
    let before = snapshot(&orders).await;
    let mut next = order(1);
    next.last_check = Some("refused".into());
    // `IN` takes 1 to 100 values.
    let err = orders
        .put(&next)
        .condition(f.total_cents.is_in(Vec::<i64>::new()))
        .await
        .unwrap_err();
    assert_eq!(
        err.as_refusal().map(|r| r.kind()),
        Some(RefusalKind::InvalidArgument),
        "{err:?}"
    );
    let err = orders
        .put(&next)
        .condition(f.total_cents.is_in(0..101))
        .await
        .unwrap_err();
    assert_eq!(
        err.as_refusal().map(|r| r.kind()),
        Some(RefusalKind::TooManyValues),
        "{err:?}"
    );
    // An empty set has no stored form, to compare or to write.
    let err = orders
        .put(&next)
        .condition(f.tags.eq(HashSet::new()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Convert(_)), "{err:?}");
    assert!(err.to_string().contains("tags"), "the error names the field: {err}");
    let err = orders
        .patch((C1, 1u32))
        .set(&f.status, "paid")
        .set(&f.tags, HashSet::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Convert(_)), "{err:?}");
    assert!(err.to_string().contains("tags"), "the error names the field: {err}");
    // A query's filter cannot name a key.
    let err = orders.query(C1).filter(f.order_no.gt(0)).all().await.unwrap_err();
    assert_eq!(
        err.as_refusal().map(|r| r.kind()),
        Some(RefusalKind::FilterOnKey),
        "{err:?}"
    );
    assert_eq!(snapshot(&orders).await, before, "nothing written");
    // 100 values are fine.
    assert!(holds(&orders, 1, f.total_cents.is_in(1401..=1500), "100 values").await);
}

// ---------------------------------------------------------------------------------------------
// Renamed attributes

#[tokio::test]
async fn renamed_fields_are_matched_and_written_by_their_stored_names() {
    let orders = orders().await;
    let f = Order::fields();
    // `total_cents` is stored as `amt`, `paid_cents` as `paidCents`: the conditions find them.
    let cases = vec![
        ("renamed eq", f.total_cents.eq(1500), true),
        ("renamed ne", f.total_cents.ne(1500), false),
        ("rename_all eq", f.paid_cents.eq(1500), true),
        ("rename_all exists", f.paid_cents.exists(), true),
        ("renamed exists", f.total_cents.exists(), true),
        ("rename_all key", f.customer_id.eq(C1).and(f.order_no.eq(1)), true),
    ];
    assert_cases(&orders, 1, cases).await;
    // A patch writes them under the stored names, creating no attribute under the Rust names.
    orders
        .patch((C1, 1u32))
        .add(&f.total_cents, 5)
        .set(&f.paid_cents, 1505)
        .await
        .unwrap();
    let raw = stored(&orders, (C1, 1u32)).await;
    assert_eq!(raw["amt"], n("1505"));
    assert_eq!(raw["paidCents"], n("1505"));
    for name in ["total_cents", "totalCents", "paid_cents", "customer_id"] {
        assert!(!raw.contains_key(name), "no `{name}` attribute: {raw:?}");
    }
    // A filter finds them too.
    let found = orders
        .query(C1)
        .consistent_read()
        .filter(f.total_cents.eq(1505))
        .all()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].total_cents, 1505);
    assert!(
        orders
            .query(C1)
            .consistent_read()
            .filter(f.total_cents.eq(1500))
            .all()
            .await
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// Converters

async fn reminders() -> Table<Reminder> {
    let reminders = table::<Reminder>(&Mapper::new(local::client()), "typed-reminders").await;
    let base = utc(2030, 1, 1, 0, 0, 0);
    let made = [
        Reminder {
            id: "r1".into(),
            expires_at: Some(utc(2040, 1, 1, 0, 0, 0)),
            code: "abc".into(),
            sent_at: UnixMillis::from(base + chrono::Duration::milliseconds(1)),
            created: base - chrono::Duration::milliseconds(500),
        },
        Reminder {
            id: "r2".into(),
            expires_at: Some(utc(2041, 1, 1, 0, 0, 0)),
            code: "xyz".into(),
            sent_at: UnixMillis::from(base + chrono::Duration::milliseconds(999)),
            created: base,
        },
        Reminder {
            id: "r3".into(),
            expires_at: None,
            code: "xy".into(),
            sent_at: UnixMillis::from(base + chrono::Duration::seconds(5)),
            created: base + chrono::Duration::nanoseconds(1),
        },
    ];
    for reminder in &made {
        reminders.put(reminder).await.unwrap();
    }
    reminders
}

/// The ids of the reminders `filter` keeps, sorted.
async fn reminder_ids(reminders: &Table<Reminder>, filter: TypedCondition<Reminder>) -> Vec<String> {
    let mut ids: Vec<String> = reminders
        .scan()
        .consistent_read()
        .filter(filter)
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn converters_store_their_own_forms() {
    let reminders = reminders().await;
    let r1 = stored(&reminders, "r1").await;
    assert_eq!(r1["expiresAt"], n(&utc(2040, 1, 1, 0, 0, 0).timestamp().to_string()));
    assert_eq!(r1["code"], s("cba"));
    assert_eq!(r1["sentAt"], n("1893456000001"));
    assert_eq!(r1["created"], s("2029-12-31T23:59:59.500000000Z"));
    let r3 = stored(&reminders, "r3").await;
    assert!(!r3.contains_key("expiresAt"));
    assert_eq!(r3["created"], s("2030-01-01T00:00:00.000000001Z"));
}

#[tokio::test]
async fn a_ttl_time_is_compared_as_epoch_seconds() {
    let reminders = reminders().await;
    let f = Reminder::fields();
    let cut = utc(2040, 6, 1, 0, 0, 0);
    // Cross-checked against the raw numbers.
    let raw_before: Vec<String> = {
        let mut ids: Vec<String> = snapshot(&reminders)
            .await
            .into_iter()
            .filter(|item| {
                item.get("expiresAt")
                    .is_some_and(|v| v.as_n().unwrap().parse::<i64>().unwrap() < cut.timestamp())
            })
            .map(|item| item["id"].as_s().unwrap().clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(raw_before, ["r1"]);
    assert_eq!(reminder_ids(&reminders, f.expires_at.lt(cut)).await, raw_before);
    assert_eq!(reminder_ids(&reminders, f.expires_at.gt(cut)).await, ["r2"]);
    assert_eq!(
        reminder_ids(&reminders, f.expires_at.ge(utc(2040, 1, 1, 0, 0, 0))).await,
        ["r1", "r2"]
    );
    assert_eq!(reminder_ids(&reminders, f.expires_at.not_exists()).await, ["r3"]);
    // On a write's condition too.
    let err = reminders
        .patch("r2")
        .set(&f.code, "new")
        .condition(f.expires_at.lt(cut))
        .await
        .unwrap_err();
    assert!(err.as_condition_failed().is_some(), "{err:?}");
    assert_eq!(stored(&reminders, "r2").await["code"], s("zyx"));
    reminders
        .patch("r2")
        .set(&f.code, "new")
        .condition(f.expires_at.gt(cut))
        .await
        .unwrap();
    assert_eq!(stored(&reminders, "r2").await["code"], s("wen"));
}

#[tokio::test]
async fn a_with_module_field_is_compared_in_its_stored_form() {
    let reminders = reminders().await;
    let f = Reminder::fields();
    // Stored "cba": the value is encoded by the module before it is compared.
    assert_eq!(stored(&reminders, "r1").await["code"], s("cba"));
    assert_eq!(reminder_ids(&reminders, f.code.eq("abc")).await, ["r1"]);
    assert!(reminder_ids(&reminders, f.code.eq("cba")).await.is_empty());
    assert_eq!(reminder_ids(&reminders, f.code.ne("abc")).await, ["r2", "r3"]);
    assert_eq!(reminder_ids(&reminders, f.code.is_in(["xy", "nope"])).await, ["r3"]);
    assert_eq!(reminder_ids(&reminders, f.code.exists()).await, ["r1", "r2", "r3"]);
    // A conditional delete by the module's value.
    let err = reminders.delete("r1").condition(f.code.eq("cba")).await.unwrap_err();
    assert!(err.as_condition_failed().is_some(), "{err:?}");
    assert!(!stored(&reminders, "r1").await.is_empty());
    reminders.delete("r1").condition(f.code.eq("abc")).await.unwrap();
    assert!(stored(&reminders, "r1").await.is_empty());
}

#[tokio::test]
async fn unix_millis_between_compares_milliseconds() {
    let reminders = reminders().await;
    let f = Reminder::fields();
    let base = utc(2030, 1, 1, 0, 0, 0);
    let ms = |m: i64| UnixMillis::from(base + chrono::Duration::milliseconds(m));
    // sentAt: r1 = base + 1 ms, r2 = base + 999 ms, r3 = base + 5 s.
    assert_eq!(stored(&reminders, "r2").await["sentAt"], n("1893456000999"));
    assert_eq!(
        reminder_ids(&reminders, f.sent_at.between(ms(1), ms(999))).await,
        ["r1", "r2"]
    );
    assert_eq!(
        reminder_ids(&reminders, f.sent_at.between(ms(2), ms(999))).await,
        ["r2"]
    );
    assert_eq!(
        reminder_ids(&reminders, f.sent_at.between(ms(0), ms(0))).await,
        Vec::<String>::new()
    );
    assert_eq!(
        reminder_ids(&reminders, f.sent_at.between(ms(1000), ms(5000))).await,
        ["r3"]
    );
}

#[tokio::test]
async fn a_datetime_is_compared_as_fixed_width_rfc3339_text() {
    let reminders = reminders().await;
    let f = Reminder::fields();
    let base = utc(2030, 1, 1, 0, 0, 0);
    // created: r1 = base - 0.5 s, r2 = base exactly, r3 = base + 1 ns.
    assert_eq!(
        stored(&reminders, "r2").await["created"],
        s("2030-01-01T00:00:00.000000000Z")
    );
    assert_eq!(reminder_ids(&reminders, f.created.lt(base)).await, ["r1"]);
    assert_eq!(reminder_ids(&reminders, f.created.le(base)).await, ["r1", "r2"]);
    assert_eq!(reminder_ids(&reminders, f.created.gt(base)).await, ["r3"]);
    assert_eq!(reminder_ids(&reminders, f.created.eq(base)).await, ["r2"]);
    // On a write's condition.
    let err = reminders
        .patch("r2")
        .set(&f.code, "later")
        .condition(f.created.lt(base))
        .await
        .unwrap_err();
    assert!(err.as_condition_failed().is_some(), "{err:?}");
    assert_eq!(stored(&reminders, "r2").await["code"], s("zyx"));
}

#[tokio::test]
async fn patches_write_converter_fields_in_their_stored_forms() {
    let reminders = reminders().await;
    let f = Reminder::fields();
    let before = stored(&reminders, "r3").await;
    let expires = utc(2042, 3, 4, 5, 6, 7);
    let sent = utc(2031, 1, 1, 0, 0, 0) + chrono::Duration::milliseconds(42);
    let patched = reminders
        .patch("r3")
        .set(&f.expires_at, expires)
        .set(&f.code, "hello")
        .set(&f.sent_at, UnixMillis::from(sent))
        .set(&f.created, expires)
        .await
        .unwrap();
    assert_eq!(patched.expires_at, Some(expires));
    assert_eq!(patched.code, "hello");
    let raw = stored(&reminders, "r3").await;
    let mut expected = before;
    expected.insert("expiresAt".into(), n(&expires.timestamp().to_string()));
    expected.insert("code".into(), s("olleh"));
    expected.insert("sentAt".into(), n(&sent.timestamp_millis().to_string()));
    expected.insert("created".into(), s("2042-03-04T05:06:07.000000000Z"));
    assert_eq!(raw, expected);
    // The TTL can be removed: it is an `Option`.
    reminders.patch("r3").remove(&f.expires_at).await.unwrap();
    assert!(!stored(&reminders, "r3").await.contains_key("expiresAt"));
}

/// The other time types, each in its own stored form.
#[derive(Item, Debug, Clone, PartialEq)]
struct Reading {
    #[partition_key]
    id: String,
    secs: UnixSeconds,
    pynamo: PynamoDateTime,
    java: JavaInstant,
    #[ttl]
    expires: UnixMillis,
}

#[tokio::test]
async fn other_time_types_are_compared_in_their_stored_forms() {
    let readings = table::<Reading>(&Mapper::new(local::client()), "typed-readings").await;
    let f = Reading::fields();
    let base = utc(2030, 1, 1, 0, 0, 0);
    let micros = |m: i64| base + chrono::Duration::microseconds(m);
    for (i, offset) in [0, 500, 1_000, 1_500_000].into_iter().enumerate() {
        let t = micros(offset);
        let reading = Reading {
            id: format!("r{i}"),
            secs: t.into(),
            pynamo: t.into(),
            java: t.into(),
            expires: t.into(),
        };
        readings.put(&reading).await.unwrap();
    }
    let r2 = stored(&readings, "r2").await;
    assert_eq!(r2["secs"], n("1893456000"));
    assert_eq!(r2["pynamo"], s("2030-01-01T00:00:00.001000+0000"));
    assert_eq!(r2["java"], s("2030-01-01T00:00:00.001Z"));
    assert_eq!(r2["expires"], n("1893456000"), "a `#[ttl]` is stored in epoch seconds");
    let ids = |found: Vec<Reading>| {
        let mut ids: Vec<String> = found.into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    let filter = |condition: TypedCondition<Reading>| readings.scan().consistent_read().filter(condition).all();
    let second = UnixSeconds::from(micros(1_000_000));
    assert_eq!(ids(filter(f.secs.lt(second)).await.unwrap()), ["r0", "r1", "r2"]);
    let milli = PynamoDateTime::from(micros(1_000));
    assert_eq!(ids(filter(f.pynamo.lt(milli)).await.unwrap()), ["r0", "r1"]);
    assert_eq!(ids(filter(f.pynamo.le(milli)).await.unwrap()), ["r0", "r1", "r2"]);
    // `JavaInstant` text drops trailing zeros: compared for equality only, in the same form.
    assert_eq!(
        ids(filter(f.java.eq(JavaInstant::from(micros(1_000)))).await.unwrap()),
        ["r2"]
    );
    assert_eq!(ids(filter(f.java.eq(JavaInstant::from(base))).await.unwrap()), ["r0"]);
    // A `#[ttl]` `UnixMillis` compares as seconds, as it is stored.
    assert_eq!(ids(filter(f.expires.gt(UnixMillis::from(base))).await.unwrap()), ["r3"]);
    assert_eq!(
        ids(filter(
            f.expires
                .between(UnixMillis::from(base), UnixMillis::from(micros(999_999)))
        )
        .await
        .unwrap()),
        ["r0", "r1", "r2"]
    );
}

// ---------------------------------------------------------------------------------------------
// Nested, map-entry, list-element and flattened paths

#[tokio::test]
async fn nested_map_and_list_element_paths_in_conditions() {
    let orders = orders().await;
    let f = Order::fields();
    let city = f.address.nested(|a| a.city);
    let zip = f.address.then(Address::fields().zip);
    let cases = vec![
        ("nested eq", city.eq("Porto"), true),
        ("nested eq fails", city.eq("Lisboa"), false),
        ("nested by then", zip.begins_with("40"), true),
        ("nested exists", city.exists(), true),
        ("nested not_exists", f.address.nested(|a| a.zip).not_exists(), false),
        ("list element eq", f.lines.at(1).eq("pear"), true),
        ("list element eq fails", f.lines.at(0).eq("pear"), false),
        ("list element past the end", f.lines.at(3).exists(), false),
        ("list element lt", f.lines.at(2).lt("z"), true),
        ("map entry eq", f.attrs.key("color").eq("red"), true),
        ("map entry ne", f.attrs.key("size").ne("L"), false),
        ("missing map entry", f.attrs.key("weight").not_exists(), true),
        ("map entry in", f.attrs.key("size").is_in(["S", "M", "L"]), true),
        ("list element vs nested", f.lines.at(0).lt_field(&city), false),
    ];
    assert_cases(&orders, 1, cases).await;
}

#[tokio::test]
async fn nested_map_and_list_element_paths_in_patches() {
    let orders = orders().await;
    let f = Order::fields();
    let before = stored(&orders, (C1, 1u32)).await;
    let patched = orders
        .patch((C1, 1u32))
        .set(f.address.nested(|a| a.city), "Lisboa")
        .set(f.lines.at(0), "fig")
        .remove(f.lines.at(2))
        .set(f.attrs.key("color"), "blue")
        .remove(f.attrs.key("size"))
        .set(f.attrs.key("weight"), "2kg")
        .condition(f.address.nested(|a| a.city).eq("Porto").and(f.lines.at(2).eq("plum")))
        .await
        .unwrap();
    assert_eq!(patched.address.city, "Lisboa");
    assert_eq!(patched.lines, ["fig", "pear"]);
    let raw = stored(&orders, (C1, 1u32)).await;
    let mut expected = before;
    expected.insert("address".into(), map(&[("city", s("Lisboa")), ("zip", s("4000"))]));
    expected.insert("lines".into(), list(&["fig", "pear"]));
    expected.insert("attrs".into(), map(&[("color", s("blue")), ("weight", s("2kg"))]));
    assert_eq!(raw, expected);
}

#[tokio::test]
async fn flattened_fields_are_top_level_attributes() {
    let pages = table::<Page>(&Mapper::new(local::client()), "typed-pages").await;
    let page = Page {
        id: "p1".into(),
        audit: Audit {
            created_by: "ana".into(),
            reviewed_by: None,
        },
        cache: Some("not stored".into()),
    };
    pages.put(&page).await.unwrap();
    let f = Page::fields();
    let reviewed_by = f.audit.then(Audit::fields().reviewed_by);
    let err = pages
        .patch("p1")
        .set(&reviewed_by, "bea")
        .condition(f.audit.nested(|a| a.created_by).eq("bea"))
        .await
        .unwrap_err();
    assert!(err.as_condition_failed().is_some(), "{err:?}");
    pages
        .patch("p1")
        .set(&reviewed_by, "bea")
        .condition(f.audit.nested(|a| a.created_by).eq("ana"))
        .await
        .unwrap();
    let raw = stored(&pages, "p1").await;
    assert_eq!(
        raw,
        ItemMap::from([
            ("id".to_owned(), s("p1")),
            ("created_by".to_owned(), s("ana")),
            ("reviewed_by".to_owned(), s("bea")),
        ])
    );
    let found = pages
        .scan()
        .consistent_read()
        .filter(reviewed_by.eq("bea"))
        .all()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].audit.reviewed_by.as_deref(), Some("bea"));
}

/// A struct renamed inside, stored in a map, in a list and in a map's entries.
#[derive(Attributes, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Stop {
    zip_code: String,
    #[attribute(rename = "town")]
    city_name: String,
}

/// A converter of an `Option` field: it takes the `Option` (the path's values are `String`).
mod reversed_option {
    use aws_sdk_dynamodb::types::AttributeValue;
    use dynamodb_mapper::ConvertError;

    pub fn to_attribute_value(value: &Option<String>) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(value.as_ref().map(|v| AttributeValue::S(v.chars().rev().collect())))
    }

    pub fn from_attribute_value(value: Option<AttributeValue>) -> Result<Option<String>, ConvertError> {
        match value {
            None => Ok(None),
            Some(value) => super::reversed::from_attribute_value(Some(value)).map(Some),
        }
    }
}

#[derive(Item, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Trip {
    #[partition_key]
    id: String,
    #[attribute(with = reversed_option)]
    alias: Option<String>,
    home_stop: Stop,
    stops: Vec<Stop>,
    by_name: HashMap<String, Stop>,
    log: Option<Vec<String>>,
}

fn stop(zip_code: &str, city_name: &str) -> Stop {
    Stop {
        zip_code: zip_code.into(),
        city_name: city_name.into(),
    }
}

fn raw_stop(zip_code: &str, town: &str) -> AttributeValue {
    map(&[("zipCode", s(zip_code)), ("town", s(town))])
}

async fn trips() -> Table<Trip> {
    let trips = table::<Trip>(&Mapper::new(local::client()), "typed-trips").await;
    trips
        .put(&Trip {
            id: "t1".into(),
            alias: Some("abc".into()),
            home_stop: stop("4000", "Porto"),
            stops: vec![stop("4000", "Porto"), stop("1000", "Lisboa")],
            by_name: HashMap::from([("work".to_owned(), stop("4700", "Braga"))]),
            log: None,
        })
        .await
        .unwrap();
    trips
}

#[tokio::test]
async fn deep_paths_go_through_lists_and_maps_to_renamed_nested_fields() {
    let trips = trips().await;
    let f = Trip::fields();
    let second_town = f.stops.at(1).nested(|s| s.city_name);
    let work_zip = f.by_name.key("work").then(Stop::fields().zip_code);
    assert_eq!(
        f.home_stop.nested(|s| s.zip_code).path().to_string(),
        "homeStop.zipCode"
    );
    assert_eq!(second_town.path().to_string(), "stops[1].town");
    assert_eq!(work_zip.path().to_string(), "byName.work.zipCode");
    let before = stored(&trips, "t1").await;
    assert_eq!(
        before["stops"],
        AttributeValue::L(vec![raw_stop("4000", "Porto"), raw_stop("1000", "Lisboa")])
    );
    assert_eq!(before["byName"], map(&[("work", raw_stop("4700", "Braga"))]));

    // Conditions and filters reach them.
    let found = trips
        .scan()
        .consistent_read()
        .filter(second_town.eq("Lisboa").and(work_zip.begins_with("47")))
        .all()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert!(
        trips
            .scan()
            .consistent_read()
            .filter(second_town.eq("Porto"))
            .all()
            .await
            .unwrap()
            .is_empty()
    );
    let err = trips
        .patch("t1")
        .set(&second_town, "Faro")
        .condition(work_zip.eq("0000"))
        .await
        .unwrap_err();
    assert!(err.as_condition_failed().is_some(), "{err:?}");
    assert_eq!(stored(&trips, "t1").await, before, "nothing written");

    // Patches write them, and nothing else.
    trips
        .patch("t1")
        .set(&second_town, "Faro")
        .set(&work_zip, "4710")
        .set(f.home_stop.nested(|s| s.city_name), "Gaia")
        .condition(work_zip.eq("4700").and(f.stops.at(0).nested(|s| s.zip_code).eq("4000")))
        .await
        .unwrap();
    let mut expected = before;
    expected.insert(
        "stops".into(),
        AttributeValue::L(vec![raw_stop("4000", "Porto"), raw_stop("1000", "Faro")]),
    );
    expected.insert("byName".into(), map(&[("work", raw_stop("4710", "Braga"))]));
    expected.insert("homeStop".into(), raw_stop("4000", "Gaia"));
    assert_eq!(stored(&trips, "t1").await, expected);
}

#[tokio::test]
async fn an_optional_with_module_field_is_compared_and_written_in_its_stored_form() {
    let trips = trips().await;
    let f = Trip::fields();
    assert_eq!(stored(&trips, "t1").await["alias"], s("cba"));
    assert_eq!(
        trips
            .scan()
            .consistent_read()
            .filter(f.alias.eq("abc"))
            .all()
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        trips
            .scan()
            .consistent_read()
            .filter(f.alias.eq("cba"))
            .all()
            .await
            .unwrap()
            .is_empty()
    );
    let patched = trips
        .patch("t1")
        .set(&f.alias, "xyz")
        .condition(f.alias.is_in(["abc"]))
        .await
        .unwrap();
    assert_eq!(patched.alias.as_deref(), Some("xyz"));
    assert_eq!(stored(&trips, "t1").await["alias"], s("zyx"));
    trips
        .patch("t1")
        .remove(&f.alias)
        .condition(f.alias.ne("zyx"))
        .await
        .unwrap();
    assert!(!stored(&trips, "t1").await.contains_key("alias"));
}

// ---------------------------------------------------------------------------------------------
// Every patch action

/// Patches `order(1)` and returns the raw item before and after.
async fn raw_around(orders: &Table<Order>, patch: dynamodb_mapper::ops::Patch<Order>) -> (ItemMap, ItemMap) {
    let before = stored(orders, (C1, 1u32)).await;
    patch.await.unwrap();
    (before, stored(orders, (C1, 1u32)).await)
}

#[tokio::test]
async fn a_patch_of_one_field_leaves_every_other_attribute_untouched() {
    let orders = orders().await;
    let f = Order::fields();
    let (before, after) = raw_around(&orders, orders.patch((C1, 1u32)).set(&f.status, "shipped")).await;
    let mut expected = before.clone();
    expected.insert("status".into(), s("shipped"));
    assert_eq!(after, expected);
    assert_eq!(after.len(), before.len());
}

#[tokio::test]
async fn set_writes_a_value_and_set_if_not_exists_only_an_absent_one() {
    let orders = orders().await;
    let f = Order::fields();
    let (before, after) = raw_around(
        &orders,
        orders
            .patch((C1, 1u32))
            .set(&f.status, String::from("paid"))
            .set_if_not_exists(&f.note, "ignored: a note is stored")
            .set_if_not_exists(&f.last_check, "written: none was stored"),
    )
    .await;
    let mut expected = before;
    expected.insert("status".into(), s("paid"));
    expected.insert("lastCheck".into(), s("written: none was stored"));
    assert_eq!(after, expected);
    assert_eq!(after["note"], s("leave at the door"));
}

#[tokio::test]
async fn set_to_writes_the_sum_or_difference_of_attributes() {
    let orders = orders().await;
    let f = Order::fields();
    // amt = subtotal + 5; shipping = shipping - 100.
    let patched = orders
        .patch((C1, 1u32))
        .set_to(&f.total_cents, f.subtotal.plus(5))
        .set_to(&f.shipping, f.shipping.minus(100))
        .await
        .unwrap();
    assert_eq!((patched.total_cents, patched.shipping), (1205, 200));
    let raw = stored(&orders, (C1, 1u32)).await;
    assert_eq!(raw["amt"], n("1205"));
    assert_eq!(raw["shipping"], n("200"));
    assert_eq!(raw["subtotal"], n("1200"), "the operand is read, not written");
}

#[tokio::test]
async fn add_and_subtract_change_numbers() {
    let orders = orders().await;
    let f = Order::fields();
    let (before, after) = raw_around(
        &orders,
        orders
            .patch((C1, 1u32))
            .add(&f.total_cents, 5)
            .subtract(&f.paid_cents, 2)
            .add(f.priority.clone(), 3),
    )
    .await;
    let mut expected = before;
    expected.insert("amt".into(), n("1505"));
    expected.insert("paidCents".into(), n("1498"));
    expected.insert("priority".into(), n("5"));
    assert_eq!(after, expected);
    // An absent number counts as zero for both.
    orders.patch((C1, 1u32)).remove(&f.priority).await.unwrap();
    assert!(!stored(&orders, (C1, 1u32)).await.contains_key("priority"));
    orders.patch((C1, 1u32)).subtract(&f.priority, 0).await.unwrap();
    assert_eq!(stored(&orders, (C1, 1u32)).await["priority"], n("0"));
    orders.patch((C1, 1u32)).remove(&f.priority).await.unwrap();
    orders.patch((C1, 1u32)).add(&f.priority, 7).await.unwrap();
    assert_eq!(stored(&orders, (C1, 1u32)).await["priority"], n("7"));
}

#[tokio::test]
async fn add_and_delete_change_set_elements() {
    let orders = orders().await;
    let f = Order::fields();
    orders
        .patch((C1, 1u32))
        .add(&f.tags, HashSet::from(["new".to_owned(), "gift".to_owned()]))
        .await
        .unwrap();
    assert_eq!(
        string_set(&stored(&orders, (C1, 1u32)).await["tags"]),
        ["fragile", "gift", "new"]
    );
    let (before, after) = raw_around(
        &orders,
        orders
            .patch((C1, 1u32))
            .delete(&f.tags, HashSet::from(["gift".to_owned(), "absent".to_owned()])),
    )
    .await;
    assert_eq!(string_set(&after["tags"]), ["fragile", "new"]);
    let mut rest = after.clone();
    rest.remove("tags");
    let mut rest_before = before;
    rest_before.remove("tags");
    assert_eq!(rest, rest_before);
}

#[tokio::test]
async fn remove_drops_optional_and_defaulted_attributes() {
    let orders = orders().await;
    let f = Order::fields();
    let (before, after) = raw_around(&orders, orders.patch((C1, 1u32)).remove(&f.note).remove(&f.priority)).await;
    let mut expected = before;
    expected.remove("note");
    expected.remove("priority");
    assert_eq!(after, expected);
    let read = orders.get((C1, 1u32)).consistent_read().await.unwrap().unwrap();
    assert_eq!(
        (read.note, read.priority),
        (None, 0),
        "read back as absent and defaulted"
    );
}

#[tokio::test]
async fn append_and_prepend_extend_lists() {
    let orders = orders().await;
    let f = Order::fields();
    orders
        .patch((C1, 1u32))
        .append(&f.lines, vec!["kiwi".to_owned(), "lime".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        stored(&orders, (C1, 1u32)).await["lines"],
        list(&["apple", "pear", "plum", "kiwi", "lime"])
    );
    let patched = orders
        .patch((C1, 1u32))
        .prepend(&f.lines, vec!["fig".to_owned()])
        .await
        .unwrap();
    assert_eq!(patched.lines, ["fig", "apple", "pear", "plum", "kiwi", "lime"]);
    assert_eq!(
        stored(&orders, (C1, 1u32)).await["lines"],
        list(&["fig", "apple", "pear", "plum", "kiwi", "lime"])
    );
}

#[tokio::test]
async fn append_and_prepend_start_an_absent_list() {
    let trips = trips().await;
    let f = Trip::fields();
    assert!(!stored(&trips, "t1").await.contains_key("log"));
    trips.patch("t1").append(&f.log, vec!["b".to_owned()]).await.unwrap();
    assert_eq!(stored(&trips, "t1").await["log"], list(&["b"]));
    trips.patch("t1").remove(&f.log).await.unwrap();
    assert!(!stored(&trips, "t1").await.contains_key("log"));
    let patched = trips
        .patch("t1")
        .prepend(&f.log, vec!["a".to_owned(), "b".to_owned()])
        .await
        .unwrap();
    assert_eq!(patched.log.as_deref(), Some(&["a".to_owned(), "b".to_owned()][..]));
    assert_eq!(stored(&trips, "t1").await["log"], list(&["a", "b"]));
}

#[tokio::test]
async fn untyped_actions_reach_any_attribute_beside_typed_ones() {
    let orders = orders().await;
    let f = Order::fields();
    let mut untyped = UpdateExpression::new();
    untyped.set(Path::attr("legacyFlag"), UpdateValue::value(true).unwrap());
    let (before, after) = raw_around(
        &orders,
        orders.patch((C1, 1u32)).set(&f.status, "paid").actions(untyped),
    )
    .await;
    let mut expected = before;
    expected.insert("status".into(), s("paid"));
    expected.insert("legacyFlag".into(), AttributeValue::Bool(true));
    assert_eq!(after, expected);
}

// ---------------------------------------------------------------------------------------------
// Missing items and upserts

#[tokio::test]
async fn a_patch_of_a_missing_item_fails_and_writes_nothing() {
    let orders = orders().await;
    let f = Order::fields();
    let before = snapshot(&orders).await;
    let err = orders
        .patch((C1, 99u32))
        .set(&f.status, "paid")
        .add(&f.total_cents, 1)
        .await
        .unwrap_err();
    match &err {
        Error::ItemNotFound { table } => assert_eq!(table, orders.name()),
        other => panic!("expected ItemNotFound, got {other:?}"),
    }
    assert!(stored(&orders, (C1, 99u32)).await.is_empty(), "no half item");
    assert_eq!(snapshot(&orders).await, before);
    // With a condition of the caller's that would hold on an absent item: still missing.
    let err = orders
        .patch((C1, 99u32))
        .set(&f.status, "paid")
        .condition(f.status.not_exists())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ItemNotFound { .. }), "{err:?}");
    assert!(stored(&orders, (C1, 99u32)).await.is_empty());
}

#[tokio::test]
async fn a_versioned_patch_of_a_missing_item_fails_as_missing() {
    let docs = table::<Doc>(&lifecycle_mapper(), "typed-docs").await;
    let f = Doc::fields();
    let err = docs
        .patch("nobody")
        .set(&f.title, "t")
        .expect_version(3u64)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ItemNotFound { .. }), "{err:?}");
    assert!(snapshot(&docs).await.is_empty());
}

#[tokio::test]
async fn a_patch_of_a_missing_item_cancels_its_transaction() {
    let mapper = lifecycle_mapper();
    let docs = table::<Doc>(&mapper, "typed-docs-tx").await;
    let f = Doc::fields();
    let mut tx = mapper.transact_write();
    let put = tx.put(&docs, &doc("d1", "kept out")).handle();
    let patch = tx.patch(&docs, "missing").set(&f.title, "t").handle();
    let canceled = canceled(tx.send().await.unwrap_err());
    let reason = canceled.reason(patch).unwrap();
    assert_eq!(reason.code(), &CancellationCode::ConditionalCheckFailed);
    assert!(reason.is_item_missing());
    assert!(!reason.is_version_conflict());
    assert!(!reason.is_condition_failure());
    assert!(canceled.has_item_missing());
    assert!(!canceled.has_version_conflict());
    assert!(!canceled.reason(put).unwrap().failed());
    assert!(snapshot(&docs).await.is_empty(), "nothing written");

    // With an expected version: still a missing item, not a version conflict.
    let mut tx = mapper.transact_write();
    let patch = tx
        .patch(&docs, "missing")
        .set(&f.title, "t")
        .expect_version(0u64)
        .handle();
    let canceled = self::canceled(tx.send().await.unwrap_err());
    assert!(canceled.reason(patch).unwrap().is_item_missing());
    assert!(!canceled.reason(patch).unwrap().is_version_conflict());
    assert!(snapshot(&docs).await.is_empty(), "nothing written");
}

#[tokio::test]
async fn an_incomplete_upsert_is_refused_before_sending() {
    let mapper = lifecycle_mapper();
    let docs = table::<Doc>(&mapper, "typed-upsert").await;
    let f = Doc::fields();
    // `title` is required to read a `Doc`: an upsert that does not set it is refused.
    let err = docs.patch("d1").set(&f.body, "text").upsert().await.unwrap_err();
    assert_eq!(
        err.as_refusal().unwrap_or_else(|| panic!("{err:?}")).kind(),
        RefusalKind::IncompleteUpsert
    );
    assert!(err.to_string().contains("title"), "{err}");
    assert!(snapshot(&docs).await.is_empty(), "nothing written");
    // The same in a transaction, refused before sending.
    let mut tx = mapper.transact_write();
    tx.put(&docs, &doc("d2", "kept out"));
    tx.patch(&docs, "d1").set(&f.body, "text").upsert();
    let err = tx.send().await.unwrap_err();
    assert_eq!(
        err.as_refusal().unwrap_or_else(|| panic!("{err:?}")).kind(),
        RefusalKind::IncompleteUpsert
    );
    assert!(snapshot(&docs).await.is_empty(), "nothing written");
}

/// Two required numbers, the second written as a sum of the first.
#[derive(Item, Debug, Clone, PartialEq)]
struct Tally {
    #[partition_key]
    id: String,
    base: i64,
    total: i64,
}

#[tokio::test]
async fn an_upsert_whose_required_attribute_is_a_sum_of_attributes_is_refused() {
    let tallies = table::<Tally>(&Mapper::new(local::client()), "typed-tally").await;
    let f = Tally::fields();
    // On a missing item `base` is absent from the sum (DynamoDB refuses it): `total` would
    // not be written, so the upsert could not create a readable item.
    let err = tallies
        .patch("t")
        .set(&f.base, 1)
        .set_to(&f.total, f.base.plus(1))
        .upsert()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_refusal().unwrap_or_else(|| panic!("{err:?}")).kind(),
        RefusalKind::IncompleteUpsert
    );
    assert!(err.to_string().contains("total"), "{err}");
    assert!(snapshot(&tallies).await.is_empty(), "nothing written");
    // The sum of a value on an existing item is fine.
    tallies
        .patch("t")
        .set(&f.base, 1)
        .set(&f.total, 0)
        .upsert()
        .await
        .unwrap();
    let tally = tallies.patch("t").set_to(&f.total, f.base.plus(41)).await.unwrap();
    assert_eq!(tally.total, 42);
    assert_eq!(stored(&tallies, "t").await["total"], n("42"));
}

#[tokio::test]
async fn a_complete_upsert_creates_a_readable_item() {
    let mapper = lifecycle_mapper();
    let docs = table::<Doc>(&mapper, "typed-upsert").await;
    let f = Doc::fields();
    let created = docs
        .patch("d1")
        .set(&f.title, "hello")
        .set(&f.body, "world")
        .upsert()
        .await
        .unwrap();
    let raw = stored(&docs, "d1").await;
    assert_eq!(
        raw,
        ItemMap::from([
            ("id".to_owned(), s("d1")),
            ("title".to_owned(), s("hello")),
            ("body".to_owned(), s("world")),
            ("version".to_owned(), n("0")),
            ("edits".to_owned(), n("10")),
            ("updated_at".to_owned(), time(0)),
            ("created_at".to_owned(), time(0)),
        ])
    );
    assert_eq!(created, Doc::from_item(raw).unwrap());
    assert_eq!(docs.get("d1").consistent_read().await.unwrap(), Some(created));
    // On a stored item, an upsert updates it like a patch.
    docs.patch("d1").set(&f.title, "again").upsert().await.unwrap();
    let raw = stored(&docs, "d1").await;
    assert_eq!(raw["title"], s("again"));
    assert_eq!(raw["body"], s("world"));
    assert_eq!((&raw["version"], &raw["edits"]), (&n("1"), &n("15")));
    assert_eq!((&raw["updated_at"], &raw["created_at"]), (&time(1), &time(0)));
    // In a transaction.
    let mut tx = mapper.transact_write();
    tx.patch(&docs, "d2").set(&f.title, "tx").upsert();
    tx.send().await.unwrap();
    let raw = stored(&docs, "d2").await;
    assert_eq!(raw["title"], s("tx"));
    assert_eq!((&raw["version"], &raw["edits"]), (&n("0"), &n("10")));
    assert_eq!((&raw["updated_at"], &raw["created_at"]), (&time(2), &time(2)));
    assert!(Doc::from_item(raw).is_ok());
}

// ---------------------------------------------------------------------------------------------
// The extensions on patches

#[tokio::test]
async fn patches_count_version_and_stamp_through_the_extensions() {
    let mapper = lifecycle_mapper();
    let docs = table::<Doc>(&mapper, "typed-ext").await;
    let f = Doc::fields();
    docs.put(&doc("d1", "first")).await.unwrap();
    let raw = stored(&docs, "d1").await;
    assert_eq!(
        (&raw["version"], &raw["edits"]),
        (&n("0"), &n("10")),
        "a put writes the start"
    );
    assert_eq!((&raw["updated_at"], &raw["created_at"]), (&time(0), &time(0)));

    let patched = docs.patch("d1").set(&f.title, "second").await.unwrap();
    assert_eq!((patched.version, patched.edits), (Some(1), 15));
    assert_eq!((patched.updated_at, patched.created_at), (at(1), at(0)));
    assert_eq!(
        stored(&docs, "d1").await,
        ItemMap::from([
            ("id".to_owned(), s("d1")),
            ("title".to_owned(), s("second")),
            ("version".to_owned(), n("1")),
            ("edits".to_owned(), n("15")),
            ("updated_at".to_owned(), time(1)),
            ("created_at".to_owned(), time(0)),
        ])
    );
    docs.patch("d1")
        .set(&f.body, "text")
        .expect_version(1u64)
        .await
        .unwrap();
    let raw = stored(&docs, "d1").await;
    assert_eq!(raw["title"], s("second"), "untouched");
    assert_eq!(raw["body"], s("text"));
    assert_eq!((&raw["version"], &raw["edits"]), (&n("2"), &n("20")));
    assert_eq!((&raw["updated_at"], &raw["created_at"]), (&time(2), &time(0)));

    // The same in a transaction, with the version read.
    let mut tx = mapper.transact_write();
    tx.patch(&docs, "d1").set(&f.title, "third").expect_version(2u64);
    tx.send().await.unwrap();
    let raw = stored(&docs, "d1").await;
    assert_eq!(raw["title"], s("third"));
    assert_eq!(raw["body"], s("text"), "untouched");
    assert_eq!((&raw["version"], &raw["edits"]), (&n("3"), &n("25")));
    assert_eq!((&raw["updated_at"], &raw["created_at"]), (&time(3), &time(0)));
}

#[tokio::test]
async fn a_stale_version_is_refused_with_the_stored_item() {
    let mapper = lifecycle_mapper();
    let docs = table::<Doc>(&mapper, "typed-stale").await;
    let f = Doc::fields();
    docs.put(&doc("d1", "first")).await.unwrap();
    docs.patch("d1").set(&f.title, "second").await.unwrap();
    let before = stored(&docs, "d1").await;
    assert_eq!(before["version"], n("1"));
    let err = docs
        .patch("d1")
        .set(&f.title, "stale")
        .expect_version(0u64)
        .await
        .unwrap_err();
    let failed = err.as_condition_failed().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(failed.item_map().map(canonical), Some(before.clone()));
    assert_eq!(failed.item::<Doc>().unwrap().unwrap().title, "second");
    assert_eq!(stored(&docs, "d1").await, before, "nothing written");
    // In a transaction: a version conflict, not a missing item.
    let mut tx = mapper.transact_write();
    let patch = tx
        .patch(&docs, "d1")
        .set(&f.title, "stale")
        .expect_version(0u64)
        .handle();
    let canceled = canceled(tx.send().await.unwrap_err());
    assert!(canceled.reason(patch).unwrap().is_version_conflict());
    assert!(!canceled.reason(patch).unwrap().is_item_missing());
    assert_eq!(stored(&docs, "d1").await, before, "nothing written");
}

// ---------------------------------------------------------------------------------------------
// Transactions

#[tokio::test]
async fn a_failing_typed_condition_check_cancels_the_transaction() {
    let orders = orders().await;
    let mapper = orders.mapper().clone();
    let f = Order::fields();
    let before = snapshot(&orders).await;
    let mut tx = mapper.transact_write();
    let check = tx
        .condition_check(&orders, (C1, 1u32), f.status.eq("closed").or(f.total_cents.gt(2000)))
        .handle();
    let put = tx.put(&orders, &order(2)).handle();
    let canceled = canceled(tx.send().await.unwrap_err());
    let reason = canceled.reason(check).unwrap();
    assert_eq!(reason.code(), &CancellationCode::ConditionalCheckFailed);
    assert!(reason.is_condition_failure());
    assert!(!reason.is_item_missing());
    assert!(!canceled.reason(put).unwrap().failed());
    assert_eq!(snapshot(&orders).await, before, "nothing written");
}

#[tokio::test]
async fn a_holding_typed_condition_check_lets_the_transaction_commit() {
    let orders = orders().await;
    let mapper = orders.mapper().clone();
    let f = Order::fields();
    let mut tx = mapper.transact_write();
    tx.condition_check(
        &orders,
        (C1, 1u32),
        f.status.eq("open").and(f.address.nested(|a| a.city).eq("Porto")),
    );
    tx.put(&orders, &order(2)).condition(f.customer_id.not_exists());
    tx.send().await.unwrap();
    assert_eq!(
        stored(&orders, (C1, 2u32)).await,
        canonical(&order(2).to_item().unwrap())
    );
    assert_eq!(snapshot(&orders).await.len(), 2);
}

#[tokio::test]
async fn typed_conditions_guard_transaction_puts_and_patches() {
    let orders = orders().await;
    orders.put(&order(2)).await.unwrap();
    let mapper = orders.mapper().clone();
    let f = Order::fields();
    let before = snapshot(&orders).await;

    // A put whose condition fails (the order is stored) beside a patch whose condition holds.
    let mut tx = mapper.transact_write();
    let put = tx
        .put(&orders, &order(1))
        .condition(f.customer_id.not_exists())
        .handle();
    let patch = tx
        .patch(&orders, (C1, 2u32))
        .add(&f.total_cents, 1)
        .condition(f.lines.at(0).eq("apple"))
        .handle();
    let canceled = canceled(tx.send().await.unwrap_err());
    assert!(canceled.reason(put).unwrap().is_condition_failure());
    assert!(!canceled.reason(patch).unwrap().failed());
    assert_eq!(snapshot(&orders).await, before, "nothing written");

    // A patch whose condition fails.
    let mut tx = mapper.transact_write();
    let patch = tx
        .patch(&orders, (C1, 2u32))
        .add(&f.total_cents, 1)
        .condition(f.attrs.key("color").eq("green"))
        .handle();
    let canceled = self::canceled(tx.send().await.unwrap_err());
    assert!(canceled.reason(patch).unwrap().is_condition_failure());
    assert!(!canceled.reason(patch).unwrap().is_item_missing());
    assert!(!canceled.reason(patch).unwrap().is_version_conflict());
    assert_eq!(snapshot(&orders).await, before, "nothing written");

    // Both hold: both are written.
    let mut tx = mapper.transact_write();
    let mut third = order(3);
    third.status = "new".into();
    tx.put(&orders, &third).condition(f.customer_id.not_exists());
    tx.patch(&orders, (C1, 2u32))
        .add(&f.total_cents, 1)
        .set(f.attrs.key("color"), "green")
        .condition(f.lines.at(0).eq("apple").and(f.attrs.key("color").eq("red")));
    tx.send().await.unwrap();
    let raw = stored(&orders, (C1, 2u32)).await;
    let mut expected = before.iter().find(|item| item["orderNo"] == n("2")).unwrap().clone();
    expected.insert("amt".into(), n("1501"));
    expected.insert("attrs".into(), map(&[("color", s("green")), ("size", s("L"))]));
    assert_eq!(raw, expected);
    assert_eq!(stored(&orders, (C1, 3u32)).await, canonical(&third.to_item().unwrap()));
}

#[tokio::test]
async fn typed_conditions_guard_transaction_updates_and_deletes() {
    let orders = orders().await;
    orders.put(&order(2)).await.unwrap();
    let mapper = orders.mapper().clone();
    let f = Order::fields();
    let before = snapshot(&orders).await;
    let mut paid = order(1);
    paid.status = "paid".into();

    let mut tx = mapper.transact_write();
    let update = tx.update(&orders, &paid).condition(f.note.contains("door")).handle();
    let delete = tx.delete(&orders, (C1, 2u32)).condition(f.priority.gt(2)).handle();
    let canceled = canceled(tx.send().await.unwrap_err());
    assert!(!canceled.reason(update).unwrap().failed());
    assert!(canceled.reason(delete).unwrap().is_condition_failure());
    assert_eq!(snapshot(&orders).await, before, "nothing written");

    let mut tx = mapper.transact_write();
    tx.update(&orders, &paid).condition(f.note.contains("door"));
    tx.delete(&orders, (C1, 2u32)).condition(f.priority.ge(2));
    tx.send().await.unwrap();
    assert_eq!(stored(&orders, (C1, 1u32)).await["status"], s("paid"));
    assert!(stored(&orders, (C1, 2u32)).await.is_empty(), "deleted");
}

// ---------------------------------------------------------------------------------------------
// Filters

/// Orders 1 to 6 of `c1` (statuses, totals, cities and tags varied) and one of `c2`.
async fn many_orders() -> Table<Order> {
    let orders = table::<Order>(&Mapper::new(local::client()), "typed-filters").await;
    for order_no in 1..=6u32 {
        let mut o = order(order_no);
        o.status = if order_no % 2 == 0 { "open" } else { "closed" }.into();
        o.total_cents = i64::from(order_no) * 500;
        if order_no >= 4 {
            o.address.city = "Lisboa".into();
            o.tags = HashSet::from(["bulk".to_owned()]);
        }
        orders.put(&o).await.unwrap();
    }
    let mut other = order(1);
    other.customer_id = "c2".into();
    orders.put(&other).await.unwrap();
    orders
}

/// The `(customer, order_no)` of the raw items `keep` keeps, sorted.
async fn raw_keys(orders: &Table<Order>, keep: impl Fn(&ItemMap) -> bool) -> Vec<(String, u32)> {
    let mut keys: Vec<(String, u32)> = snapshot(orders)
        .await
        .into_iter()
        .filter(|item| keep(item))
        .map(|item| {
            (
                item["customerId"].as_s().unwrap().clone(),
                item["orderNo"].as_n().unwrap().parse().unwrap(),
            )
        })
        .collect();
    keys.sort();
    keys
}

fn keys_of(found: Vec<Order>) -> Vec<(String, u32)> {
    let mut keys: Vec<(String, u32)> = found.into_iter().map(|o| (o.customer_id, o.order_no)).collect();
    keys.sort();
    keys
}

fn amount(item: &ItemMap) -> i64 {
    item["amt"].as_n().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_query_filter_with_typed_conditions_keeps_the_matching_items() {
    let orders = many_orders().await;
    let f = Order::fields();
    let found = orders
        .query(C1)
        .consistent_read()
        .filter(f.status.eq("open").and(f.total_cents.gt(1000)))
        .all()
        .await
        .unwrap();
    let expected = raw_keys(&orders, |item| {
        item["customerId"] == s(C1) && item["status"] == s("open") && amount(item) > 1000
    })
    .await;
    assert_eq!(expected, [(C1.to_owned(), 4), (C1.to_owned(), 6)]);
    assert_eq!(keys_of(found), expected);
    // A nested path and a size.
    let found = orders
        .query(C1)
        .consistent_read()
        .filter(f.address.nested(|a| a.city).eq("Lisboa").and(f.tags.size().eq(1)))
        .all()
        .await
        .unwrap();
    assert_eq!(
        keys_of(found),
        [(C1.to_owned(), 4), (C1.to_owned(), 5), (C1.to_owned(), 6)]
    );
}

#[tokio::test]
async fn a_scan_filter_with_typed_conditions_keeps_the_matching_items() {
    let orders = many_orders().await;
    let f = Order::fields();
    let found = orders
        .scan()
        .consistent_read()
        .filter(f.tags.contains("gift").and(f.total_cents.between(500, 1500)))
        .all()
        .await
        .unwrap();
    let expected = raw_keys(&orders, |item| {
        item["tags"].as_ss().unwrap().contains(&"gift".to_owned()) && (500..=1500).contains(&amount(item))
    })
    .await;
    assert_eq!(
        expected,
        [
            (C1.to_owned(), 1),
            (C1.to_owned(), 2),
            (C1.to_owned(), 3),
            ("c2".to_owned(), 1)
        ]
    );
    assert_eq!(keys_of(found), expected);
    let found = orders
        .scan()
        .consistent_read()
        .filter((!f.customer_id.eq(C1)).or(f.order_no.is_in([5u32, 6])).not())
        .all()
        .await
        .unwrap();
    assert_eq!(
        keys_of(found),
        [
            (C1.to_owned(), 1),
            (C1.to_owned(), 2),
            (C1.to_owned(), 3),
            (C1.to_owned(), 4)
        ]
    );
}
