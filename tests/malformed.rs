//! Malformed items give the right error, naming the attribute and the type, and never panic.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use dynamodb_mapper::stream::ChangeDecoder;
use dynamodb_mapper::{Attributes, ConvertErrorKind, Error, Item, ItemMap};
use proptest::prelude::*;

#[path = "support/lambda_record.rs"]
mod lambda_record;
use uuid::Uuid;

#[derive(Attributes, Debug, Clone, PartialEq)]
struct Address {
    city: String,
    zip: u32,
}

#[derive(Attributes, Debug, Clone, Copy, PartialEq)]
enum Plan {
    Free,
    Pro,
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Account {
    #[partition_key]
    id: Uuid,
    age: u8,
    balance: i64,
    rate: f32,
    active: bool,
    created: DateTime<Utc>,
    plan: Plan,
    addresses: Vec<Address>,
    tags: HashSet<String>,
    limits: HashMap<String, u16>,
    nickname: Option<String>,
}

fn valid() -> ItemMap {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let n = |v: &str| AttributeValue::N(v.to_owned());
    HashMap::from([
        ("id".to_owned(), s("4f5e1c2a-7b3d-4e8f-9a0b-1c2d3e4f5a6b")),
        ("age".to_owned(), n("42")),
        ("balance".to_owned(), n("-100")),
        ("rate".to_owned(), n("0.5")),
        ("active".to_owned(), AttributeValue::Bool(true)),
        ("created".to_owned(), s("2024-01-01T00:00:00.000000000Z")),
        ("plan".to_owned(), s("Pro")),
        (
            "addresses".to_owned(),
            AttributeValue::L(vec![AttributeValue::M(HashMap::from([
                ("city".to_owned(), s("Lisbon")),
                ("zip".to_owned(), n("1000")),
            ]))]),
        ),
        ("tags".to_owned(), AttributeValue::Ss(vec!["a".into()])),
        (
            "limits".to_owned(),
            AttributeValue::M(HashMap::from([("daily".to_owned(), n("5"))])),
        ),
    ])
}

/// `valid()` with one attribute replaced (or removed, for `None`), then read.
fn read_with(name: &str, value: Option<AttributeValue>) -> dynamodb_mapper::ConvertError {
    let mut item = valid();
    match value {
        Some(value) => item.insert(name.to_owned(), value),
        None => item.remove(name),
    };
    Account::from_item(item).expect_err("malformed item must not convert")
}

fn s(v: &str) -> Option<AttributeValue> {
    Some(AttributeValue::S(v.to_owned()))
}

fn n(v: &str) -> Option<AttributeValue> {
    Some(AttributeValue::N(v.to_owned()))
}

#[test]
fn the_valid_item_converts() {
    let account = Account::from_item(valid()).unwrap();
    assert_eq!(account.addresses[0].zip, 1000);
    assert_eq!(account.nickname, None);
}

#[test]
fn missing_attributes() {
    let err = read_with("age", None);
    assert_eq!(err.kind(), &ConvertErrorKind::Missing { rust_type: "u8" });
    assert_eq!(
        err.to_string(),
        "attribute `age` of `Account`: missing, expected a value of type u8"
    );
    let err = read_with("id", None);
    assert_eq!(err.path(), "id");
    assert_eq!(
        err.to_string(),
        "attribute `id` of `Account`: missing, expected a value of type Uuid"
    );
    // Absent optional values and sets are fine.
    let mut item = valid();
    item.remove("tags");
    assert!(Account::from_item(item).unwrap().tags.is_empty());
}

#[test]
fn a_failed_read_stops_at_the_first_bad_attribute_and_leaves_the_key() {
    // Two bad attributes: the first one read (in declaration order) is reported; the
    // attributes after it, the key among them (read last), stay in the item, so that a page
    // or a batch can still name the item by its key.
    let mut item = valid();
    item.insert("balance".to_owned(), AttributeValue::S("a lot".into()));
    item.insert("plan".to_owned(), AttributeValue::S("Enterprise".into()));
    let err = Account::read_attributes(&mut item).unwrap_err();
    assert_eq!(err.path(), "balance", "{err}");
    assert!(!item.contains_key("age"), "read before the failure: consumed");
    for kept in ["id", "rate", "plan", "limits"] {
        assert!(item.contains_key(kept), "`{kept}` was read after the failure");
    }
    // The key alone failing is reported too, once every other attribute is read.
    let mut item = valid();
    item.insert("id".to_owned(), AttributeValue::S("not a uuid".into()));
    let err = Account::read_attributes(&mut item).unwrap_err();
    assert_eq!(err.path(), "id", "{err}");
}

#[test]
fn wrong_dynamodb_types() {
    let err = read_with("age", s("42"));
    assert_eq!(
        err.to_string(),
        "attribute `age` of `Account`: expected N for u8, found S"
    );
    let err = read_with("active", n("1"));
    assert_eq!(
        err.to_string(),
        "attribute `active` of `Account`: expected BOOL for bool, found N"
    );
    let err = read_with("tags", Some(AttributeValue::L(vec![])));
    assert_eq!(
        err.to_string(),
        "attribute `tags` of `Account`: expected SS for HashSet<String>, found L"
    );
    let err = read_with("addresses", Some(AttributeValue::M(HashMap::new())));
    assert_eq!(
        err.to_string(),
        "attribute `addresses` of `Account`: expected L for Vec<Address>, found M"
    );
    let err = read_with("age", Some(AttributeValue::Null(true)));
    assert_eq!(
        err.to_string(),
        "attribute `age` of `Account`: expected N for u8, found NULL"
    );
    let err = read_with("nickname", Some(AttributeValue::Bool(false)));
    assert_eq!(err.path(), "nickname");
}

#[test]
fn nested_errors_name_the_whole_path() {
    let bad_address = AttributeValue::L(vec![
        AttributeValue::M(HashMap::from([
            ("city".to_owned(), AttributeValue::S("Porto".into())),
            ("zip".to_owned(), AttributeValue::N("4000".into())),
        ])),
        AttributeValue::M(HashMap::from([("city".to_owned(), AttributeValue::N("7".into()))])),
    ]);
    let err = read_with("addresses", Some(bad_address));
    assert_eq!(err.path(), "addresses[1].city");
    assert_eq!(err.item_type(), Some("Account"));
    assert_eq!(
        err.to_string(),
        "attribute `addresses[1].city` of `Account`: expected S for String, found N"
    );

    let err = read_with(
        "limits",
        Some(AttributeValue::M(HashMap::from([(
            "weekly".to_owned(),
            AttributeValue::N("70000".into()),
        )]))),
    );
    assert_eq!(
        err.to_string(),
        "attribute `limits.weekly` of `Account`: number 70000 is out of range for u16"
    );
}

#[test]
fn numbers_out_of_range_or_not_numbers() {
    for (text, expected) in [
        ("256", "number 256 is out of range for u8"),
        ("-1", "number -1 is out of range for u8"),
        (
            "99999999999999999999999999999999999999",
            "number 99999999999999999999999999999999999999 is out of range for u8",
        ),
        ("4.5", "`4.5` is not a valid u8"),
        ("2.56E+2", "number 2.56E+2 is out of range for u8"),
        ("1.25E+1", "`1.25E+1` is not a valid u8"),
        ("", "`` is not a valid u8"),
        ("forty", "`forty` is not a valid u8"),
    ] {
        let err = read_with("age", n(text));
        assert_eq!(err.to_string(), format!("attribute `age` of `Account`: {expected}"));
    }
    let err = read_with("balance", n("9223372036854775808"));
    assert!(matches!(err.kind(), ConvertErrorKind::OutOfRange { target: "i64", .. }));
    let err = read_with("rate", n("1e39"));
    assert_eq!(
        err.to_string(),
        "attribute `rate` of `Account`: number 1e39 is out of range for f32"
    );
    let err = read_with("rate", n("NaN-ish"));
    assert!(matches!(err.kind(), ConvertErrorKind::InvalidNumber { .. }));
}

#[test]
fn garbage_timestamps_uuids_and_variants() {
    for garbage in [
        "",
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-01-01",
        "2024-01-01T00:00:00",
    ] {
        let err = read_with("created", s(garbage));
        assert!(
            matches!(err.kind(), ConvertErrorKind::InvalidTimestamp { .. }),
            "{garbage}: {err}"
        );
        assert!(err.to_string().starts_with(&format!(
            "attribute `created` of `Account`: `{garbage}` is not a valid timestamp: "
        )));
    }
    for garbage in [
        "",
        "not-a-uuid",
        "4f5e1c2a-7b3d-4e8f-9a0b-1c2d3e4f5a6",
        "zzzzzzzz-7b3d-4e8f-9a0b-1c2d3e4f5a6b",
    ] {
        let err = read_with("id", s(garbage));
        assert!(
            matches!(err.kind(), ConvertErrorKind::InvalidUuid { .. }),
            "{garbage}: {err}"
        );
    }
    let err = read_with("plan", s("Enterprise"));
    assert_eq!(
        err.to_string(),
        "attribute `plan` of `Account`: `Enterprise` is not one of `Free`, `Pro`"
    );
}

#[test]
fn the_serde_bridge_refuses_numbers_dynamodb_cannot_store() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Stats {
        scores: Vec<f64>,
        total: f64,
    }
    #[derive(Item, Debug, PartialEq)]
    struct Report {
        #[partition_key]
        id: String,
        #[attribute(serde)]
        stats: Stats,
    }
    let report = |scores: Vec<f64>, total: f64| Report {
        id: "r".into(),
        stats: Stats { scores, total },
    };
    assert!(report(vec![1.5], 7.0).to_item().is_ok());
    let err = report(vec![1.5, f64::NAN], 7.0).to_item().unwrap_err();
    assert_eq!(err.path(), "stats.scores[1]");
    assert!(matches!(err.kind(), ConvertErrorKind::InvalidNumber { .. }), "{err}");
    let err = report(vec![], 1e200).to_item().unwrap_err();
    assert_eq!(err.path(), "stats.total");
    assert!(matches!(err.kind(), ConvertErrorKind::OutOfRange { .. }), "{err}");
}

#[test]
fn write_errors_name_the_attribute_too() {
    let mut account = Account::from_item(valid()).unwrap();
    account.rate = f32::NAN;
    let err = account.to_item().unwrap_err();
    assert_eq!(
        err.to_string(),
        "attribute `rate` of `Account`: f32 is NaN or infinite, which DynamoDB cannot store"
    );
}

/// Any attribute value, nested a few levels.
fn any_attribute_value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        any::<String>().prop_map(AttributeValue::S),
        prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| v.to_string()),
            "[0-9eE.+-]{0,45}",
        ]
        .prop_map(AttributeValue::N),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null(true)),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| AttributeValue::B(b.into())),
        proptest::collection::vec(any::<String>(), 0..3).prop_map(AttributeValue::Ss),
        proptest::collection::vec("-?[0-9]{1,40}", 0..3).prop_map(AttributeValue::Ns),
        Just(AttributeValue::S("4f5e1c2a-7b3d-4e8f-9a0b-1c2d3e4f5a6b".into())),
        Just(AttributeValue::S("2024-01-01T00:00:00Z".into())),
        Just(AttributeValue::S("Free".into())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
            proptest::collection::hash_map(
                prop_oneof![Just("city".to_owned()), Just("zip".to_owned()), any::<String>()],
                inner,
                0..4
            )
            .prop_map(AttributeValue::M),
        ]
    })
}

const NAMES: &[&str] = &[
    "id",
    "age",
    "balance",
    "rate",
    "active",
    "created",
    "plan",
    "addresses",
    "tags",
    "limits",
    "nickname",
];

/// `item` read as the new image of a Lambda stream record, where the decoder reads it in place
/// (the record stays whole): the account, or the conversion error.
fn read_in_place(item: &ItemMap) -> Result<Account, dynamodb_mapper::ConvertError> {
    let keys = HashMap::from([(
        "id".to_owned(),
        AttributeValue::S("4f5e1c2a-7b3d-4e8f-9a0b-1c2d3e4f5a6b".into()),
    )]);
    let record = lambda_record::insert(keys, item.clone());
    let decoder = ChangeDecoder::<Account>::with_extensions("accounts", []);
    match decoder.decode_event_record(&record) {
        Ok(change) => Ok(change.new.expect("a new image")),
        Err(Error::UnreadableChange(unreadable)) => match unreadable.error {
            Error::Convert(error) => Err(error),
            other => panic!("not a conversion error: {other}"),
        },
        Err(other) => panic!("not an unreadable change: {other}"),
    }
}

/// Reading in place gives what consuming the item gives: the same account, or the same error
/// (for `limits`, whose entries come in each map's own order, the same attribute).
fn reads_alike(item: ItemMap) -> Result<(), TestCaseError> {
    let in_place = read_in_place(&item);
    match (Account::from_item(item), in_place) {
        (Ok(consumed), Ok(in_place)) => prop_assert_eq!(consumed, in_place),
        (Err(consumed), Err(in_place)) if consumed.path().starts_with("limits") => {
            prop_assert!(in_place.path().starts_with("limits"), "{in_place}");
        }
        (Err(consumed), Err(in_place)) => prop_assert_eq!(consumed.to_string(), in_place.to_string()),
        (consumed, in_place) => prop_assert!(false, "consumed: {consumed:?}, in place: {in_place:?}"),
    }
    Ok(())
}

#[test]
fn reading_in_place_reads_what_consuming_reads() {
    reads_alike(valid()).unwrap();
    for (name, value) in [
        ("age", n("300")),
        ("plan", s("Gold")),
        ("created", s("yesterday")),
        ("tags", Some(AttributeValue::Ns(vec!["1".into()]))),
        (
            "addresses",
            Some(AttributeValue::L(vec![AttributeValue::S("x".into())])),
        ),
        ("nickname", Some(AttributeValue::Null(true))),
        ("nickname", None),
    ] {
        let mut item = valid();
        match value {
            Some(value) => item.insert(name.to_owned(), value),
            None => item.remove(name),
        };
        reads_alike(item).unwrap();
    }
    // More attributes than a listing holds: the fields are looked up by name instead.
    let mut item = valid();
    item.extend((0..40).map(|i| (format!("other{i}"), AttributeValue::N(i.to_string()))));
    reads_alike(item.clone()).unwrap();
    item.insert("age".to_owned(), AttributeValue::S("old".into()));
    reads_alike(item).unwrap();
}

proptest! {
    /// Arbitrary maps over the item's attribute names read alike in place and consumed.
    #[test]
    fn in_place_reads_match_consuming_reads(entries in proptest::collection::vec((proptest::sample::select(NAMES), any_attribute_value()), 1..14)) {
        reads_alike(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())?;
    }

    /// Arbitrary maps over the item's attribute names: an item or an error, never a panic.
    #[test]
    fn from_item_never_panics(entries in proptest::collection::vec((proptest::sample::select(NAMES), any_attribute_value()), 0..14)) {
        let item: ItemMap = entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        if let Err(err) = Account::from_item(item) {
            // The error always says where.
            prop_assert!(!err.path().is_empty());
            prop_assert!(!err.to_string().is_empty());
        }
    }

    /// Arbitrary changes to one attribute of a valid item.
    #[test]
    fn one_bad_attribute_is_reported_under_its_name(name in proptest::sample::select(NAMES), value in any_attribute_value()) {
        let mut item = valid();
        item.insert(name.to_owned(), value);
        if let Err(err) = Account::from_item(item) {
            prop_assert!(err.path().starts_with(name), "{} does not start with {}", err.path(), name);
        }
    }
}
