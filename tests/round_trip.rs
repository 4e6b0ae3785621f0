//! Every supported type survives `from_item(to_item(x))`, with the stored form pinned where
//! it matters (sets, binary, timestamps, omitted values), including edge values.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use dynamodb_mapper::value::{FromAttributeValue, ToAttributeValue};
use dynamodb_mapper::{Attributes, ConvertErrorKind, Item, ItemMap};
use uuid::Uuid;

/// Round-trips a value through the conversion traits and returns what was stored.
fn round_trip<T>(value: &T) -> Option<AttributeValue>
where
    T: ToAttributeValue + FromAttributeValue + PartialEq + std::fmt::Debug,
{
    let stored = value.to_attribute_value().expect("writes");
    let back = match stored.clone() {
        Some(v) => T::from_attribute_value(v).expect("reads"),
        None => T::from_missing().expect("reads absent"),
    };
    assert_eq!(&back, value);
    stored
}

fn n(text: &str) -> Option<AttributeValue> {
    Some(AttributeValue::N(text.to_owned()))
}

#[test]
fn integers_at_their_limits() {
    assert_eq!(round_trip(&i8::MIN), n("-128"));
    assert_eq!(round_trip(&i8::MAX), n("127"));
    assert_eq!(round_trip(&u8::MAX), n("255"));
    round_trip(&i16::MIN);
    round_trip(&u16::MAX);
    round_trip(&i32::MIN);
    round_trip(&u32::MAX);
    assert_eq!(round_trip(&i64::MIN), n("-9223372036854775808"));
    assert_eq!(round_trip(&u64::MAX), n("18446744073709551615"));
    round_trip(&isize::MIN);
    round_trip(&usize::MAX);
    round_trip(&0u128);
    // The widest values DynamoDB stores exactly: 38 significant digits.
    let widest = 10i128.pow(38) - 1;
    assert_eq!(round_trip(&widest), n("99999999999999999999999999999999999999"));
    round_trip(&-widest);
    round_trip(&(10u128.pow(38) - 1));
    // Trailing zeros are not significant digits.
    round_trip(&(17 * 10i128.pow(37)));
}

#[test]
fn integers_beyond_dynamodb_precision_are_refused_not_sent() {
    // i128::MIN, i128::MAX and u128::MAX have 39 significant digits: DynamoDB would reject
    // the request, so the conversion refuses to build it.
    for err in [
        i128::MIN.to_attribute_value().unwrap_err(),
        i128::MAX.to_attribute_value().unwrap_err(),
        u128::MAX.to_attribute_value().unwrap_err(),
    ] {
        assert!(matches!(err.kind(), ConvertErrorKind::OutOfRange { .. }), "{err}");
        assert!(err.to_string().contains("38 significant digits"), "{err}");
    }
}

#[test]
fn floats() {
    assert_eq!(round_trip(&0.0f64), n("0.0"));
    assert_eq!(round_trip(&0.1f64), n("0.1"));
    round_trip(&-1.5e125f64);
    round_trip(&1.0000000000000002f64);
    round_trip(&1e-130f64);
    round_trip(&f32::MAX);
    round_trip(&f32::MIN_POSITIVE);
    assert_eq!(round_trip(&0.1f32), n("0.1"));
    for bad in [f64::NAN, f64::INFINITY, f64::MIN_POSITIVE, f64::MAX] {
        assert!(bad.to_attribute_value().is_err(), "{bad} must be refused");
    }
    assert!(f32::NAN.to_attribute_value().is_err());
}

#[test]
fn scalars() {
    assert_eq!(round_trip(&true), Some(AttributeValue::Bool(true)));
    round_trip(&false);
    assert_eq!(round_trip(&String::new()), Some(AttributeValue::S(String::new())));
    let unicode = "Grüße, 世界! 🦀 \u{0} \u{10FFFF}".to_owned();
    assert_eq!(round_trip(&unicode), Some(AttributeValue::S(unicode.clone())));
    assert_eq!(
        "borrowed".to_attribute_value().unwrap(),
        Some(AttributeValue::S("borrowed".into()))
    );
    round_trip(&Box::new(7u8));
}

#[test]
fn binary() {
    assert_eq!(
        round_trip(&vec![0u8, 255, 7]),
        Some(AttributeValue::B(Blob::new(vec![0u8, 255, 7])))
    );
    assert_eq!(
        round_trip(&Vec::<u8>::new()),
        Some(AttributeValue::B(Blob::new(Vec::new())))
    );
    assert_eq!(
        round_trip(&VecDeque::from(vec![1u8, 2])),
        Some(AttributeValue::B(Blob::new(vec![1u8, 2])))
    );
    let bytes = Bytes::from_static(b"\x00\x01binary");
    assert_eq!(
        round_trip(&bytes),
        Some(AttributeValue::B(Blob::new(b"\x00\x01binary".to_vec())))
    );
}

#[test]
fn lists_and_maps() {
    assert_eq!(round_trip(&Vec::<String>::new()), Some(AttributeValue::L(vec![])));
    round_trip(&vec!["a".to_owned(), String::new(), "ü".to_owned()]);
    round_trip(&VecDeque::from(vec![1i64, -2]));
    round_trip(&vec![vec![1u16, 2], vec![], vec![3]]);
    round_trip(&vec![Some(1.5f64), None]);
    round_trip(&vec![HashSet::from([1u32]), HashSet::new()]);
    round_trip(&vec![vec![1u8, 2], vec![]]); // a list of binaries
    assert_eq!(
        round_trip(&HashMap::<String, u8>::new()),
        Some(AttributeValue::M(HashMap::new()))
    );
    round_trip(&HashMap::from([("k".to_owned(), vec![true]), (String::new(), vec![])]));
    round_trip(&BTreeMap::from([
        ("a.b".to_owned(), Some("x".to_owned())),
        ("#c".to_owned(), None),
    ]));
}

#[test]
fn sets() {
    let strings = HashSet::from(["a".to_owned(), "b".to_owned()]);
    match round_trip(&strings) {
        Some(AttributeValue::Ss(mut members)) => {
            members.sort();
            assert_eq!(members, ["a", "b"]);
        }
        other => panic!("expected SS, got {other:?}"),
    }
    assert!(matches!(
        round_trip(&BTreeSet::from([-1i64, 10])),
        Some(AttributeValue::Ns(_))
    ));
    assert!(matches!(
        round_trip(&BTreeSet::from([u128::from(u64::MAX) * 4])),
        Some(AttributeValue::Ns(_))
    ));
    assert!(matches!(
        round_trip(&HashSet::from([vec![1u8], vec![]])),
        Some(AttributeValue::Bs(_))
    ));
    assert!(matches!(
        round_trip(&BTreeSet::from([Bytes::from_static(b"x")])),
        Some(AttributeValue::Bs(_))
    ));
    assert!(matches!(
        round_trip(&BTreeSet::from([Uuid::nil()])),
        Some(AttributeValue::Ss(_))
    ));
    // DynamoDB has no empty set: an empty set is not written and reads back empty.
    assert_eq!(round_trip(&HashSet::<String>::new()), None);
    assert_eq!(round_trip(&BTreeSet::<u8>::new()), None);
    assert_eq!(round_trip(&HashSet::<Vec<u8>>::new()), None);
}

#[test]
fn options() {
    assert_eq!(round_trip(&Option::<String>::None), None);
    round_trip(&Some(String::new()));
    round_trip(&Some(vec![Some(1u8)]));
    assert_eq!(
        Option::<u8>::from_attribute_value(AttributeValue::Null(true)).unwrap(),
        None
    );
}

#[test]
fn timestamps_and_uuids() {
    let t = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap() + chrono::Duration::nanoseconds(123_456_789);
    assert_eq!(
        round_trip(&t),
        Some(AttributeValue::S("2024-02-29T23:59:59.123456789Z".into()))
    );
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    assert_eq!(
        round_trip(&epoch),
        Some(AttributeValue::S("1970-01-01T00:00:00.000000000Z".into()))
    );
    round_trip(&Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap());
    round_trip(&Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap());
    let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
    assert_eq!(
        round_trip(&id),
        Some(AttributeValue::S("01234567-89ab-cdef-0123-456789abcdef".into()))
    );
    round_trip(&Uuid::max());
}

#[derive(Attributes, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[item(rename_all = "SCREAMING-KEBAB-CASE")]
enum Status {
    Pending,
    InProgress,
    #[attribute(rename = "done!")]
    Done,
}

#[test]
fn unit_enums() {
    assert_eq!(
        round_trip(&Status::InProgress),
        Some(AttributeValue::S("IN-PROGRESS".into()))
    );
    assert_eq!(round_trip(&Status::Done), Some(AttributeValue::S("done!".into())));
    round_trip(&Status::Pending);
    assert!(matches!(
        round_trip(&BTreeSet::from([Status::Done, Status::Pending])),
        Some(AttributeValue::Ss(_))
    ));
}

/// A recursive structure: a chain of maps, each with a list of maps.
#[derive(Attributes, Debug, Clone, PartialEq)]
struct Node {
    depth: u32,
    label: String,
    next: Option<Box<Node>>,
    children: Vec<Node>,
}

fn chain(depth: u32) -> Node {
    (0..depth).rev().fold(
        Node {
            depth,
            label: "leaf ✓".into(),
            next: None,
            children: vec![],
        },
        |next, d| Node {
            depth: d,
            label: format!("level {d}"),
            children: vec![Node {
                depth: d,
                label: String::new(),
                next: None,
                children: vec![],
            }],
            next: Some(Box::new(next)),
        },
    )
}

#[test]
fn deep_nesting() {
    let stored = round_trip(&chain(12));
    let Some(AttributeValue::M(top)) = stored else {
        panic!("a struct is a map")
    };
    assert_eq!(top["depth"], AttributeValue::N("0".into()));
    assert!(matches!(top["next"], AttributeValue::M(_)));
    round_trip(&chain(64));
}

#[derive(Attributes, Debug, Clone, PartialEq, Default)]
struct Audit {
    #[attribute(rename = "createdBy")]
    created_by: String,
    revision: u32,
}

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "everything", rename_all = "camelCase")]
struct Everything {
    #[partition_key]
    id: Uuid,
    #[sort_key]
    created_at: DateTime<Utc>,
    small: i8,
    big: i128,
    unsigned: u64,
    ratio: f64,
    flag: bool,
    name: String,
    blob: Vec<u8>,
    shared: Bytes,
    list: Vec<String>,
    queue: VecDeque<i32>,
    map: HashMap<String, f32>,
    sorted: BTreeMap<String, Vec<u8>>,
    tags: HashSet<String>,
    scores: BTreeSet<i64>,
    keys: HashSet<Vec<u8>>,
    maybe: Option<String>,
    status: Status,
    audit: Option<Audit>,
    #[attribute(flatten)]
    flat: Audit,
    #[ttl]
    expires_at: Option<DateTime<Utc>>,
    #[attribute(with = dynamodb_mapper::value::epoch_seconds)]
    seen: DateTime<Utc>,
    #[attribute(serde)]
    extra: serde_json::Value,
    #[attribute(skip)]
    cache: Option<String>,
    #[attribute(default)]
    notes: Vec<String>,
    r#type: String,
}

fn everything() -> Everything {
    let t = Utc.with_ymd_and_hms(2025, 6, 1, 8, 30, 0).unwrap();
    Everything {
        id: Uuid::from_u128(42),
        created_at: t + chrono::Duration::microseconds(5),
        small: -8,
        big: -(10i128.pow(37)),
        unsigned: u64::MAX,
        ratio: -0.25,
        flag: true,
        name: "Zoë".into(),
        blob: vec![9, 8, 7],
        shared: Bytes::from_static(b"xyz"),
        list: vec!["a".into(), "".into()],
        queue: VecDeque::from([3, 2, 1]),
        map: HashMap::from([("ratio".to_owned(), 2.5)]),
        sorted: BTreeMap::from([("k".to_owned(), vec![1])]),
        tags: HashSet::from(["vip".to_owned()]),
        scores: BTreeSet::from([1, -1]),
        keys: HashSet::from([vec![0u8]]),
        maybe: None,
        status: Status::InProgress,
        audit: Some(Audit {
            created_by: "nested".into(),
            revision: 1,
        }),
        flat: Audit {
            created_by: "flat".into(),
            revision: 2,
        },
        expires_at: Some(t + chrono::Duration::days(30)),
        seen: t,
        extra: serde_json::json!({"nested": [1, "two", null, {"x": true}]}),
        cache: None,
        notes: vec![],
        r#type: "raw".into(),
    }
}

#[test]
fn a_struct_with_every_kind_of_field() {
    let value = everything();
    let item = value.to_item().unwrap();
    // Omitted: None, an empty-but-default list is written (lists can be empty), skip.
    assert!(!item.contains_key("maybe"));
    assert!(!item.contains_key("cache"));
    assert_eq!(item["notes"], AttributeValue::L(vec![]));
    // Flattened attributes sit beside the others; nested ones are a map.
    assert_eq!(item["createdBy"], AttributeValue::S("flat".into()));
    assert!(matches!(item["audit"], AttributeValue::M(_)));
    // TTL and `epoch_seconds` are numbers; the key timestamp is sortable text.
    assert_eq!(item["expiresAt"], AttributeValue::N("1751358600".into()));
    assert_eq!(item["seen"], AttributeValue::N("1748766600".into()));
    assert_eq!(
        item["createdAt"],
        AttributeValue::S("2025-06-01T08:30:00.000005000Z".into())
    );
    assert_eq!(item["type"], AttributeValue::S("raw".into()));
    assert_eq!(item.len(), 26);
    assert_eq!(Everything::from_item(item).unwrap(), value);
}

#[test]
fn skip_and_default_fields_read_as_default() {
    let mut value = everything();
    value.cache = Some("not stored".into());
    let mut item = value.to_item().unwrap();
    item.remove("notes");
    let back = Everything::from_item(item).unwrap();
    assert_eq!(back.cache, None);
    assert_eq!(back.notes, Vec::<String>::new());
}

#[test]
fn unknown_attributes_are_ignored() {
    let mut item = everything().to_item().unwrap();
    item.insert("addedByAnotherService".into(), AttributeValue::Bool(true));
    assert_eq!(Everything::from_item(item).unwrap(), everything());
}

#[test]
fn keys() {
    let value = everything();
    let key: ItemMap = value.key_item().unwrap();
    assert_eq!(key.len(), 2);
    assert_eq!(key["id"], AttributeValue::S(Uuid::from_u128(42).to_string()));
    assert_eq!(value.key(), (value.id, value.created_at));
    assert_eq!(Everything::key_to_item(value.key()).unwrap(), key);
    assert_eq!(Everything::key_from((value.id, value.created_at)).unwrap(), key);
}

/// A converter module of the user's: a comma-separated string.
mod comma_separated {
    use aws_sdk_dynamodb::types::AttributeValue;
    use dynamodb_mapper::ConvertError;

    pub fn to_attribute_value(value: &[String]) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(Some(AttributeValue::S(value.join(","))))
    }

    pub fn from_attribute_value(value: Option<AttributeValue>) -> Result<Vec<String>, ConvertError> {
        match value {
            None => Ok(Vec::new()),
            Some(AttributeValue::S(s)) if s.is_empty() => Ok(Vec::new()),
            Some(AttributeValue::S(s)) => Ok(s.split(',').map(str::to_owned).collect()),
            Some(_) => Err(ConvertError::custom("expected a comma-separated string")),
        }
    }
}

#[derive(Item, Debug, PartialEq)]
struct Tagged {
    #[partition_key]
    id: u32,
    #[attribute(with = comma_separated)]
    labels: Vec<String>,
    #[attribute(with = "comma_separated")]
    more: Vec<String>,
}

#[test]
fn user_converters() {
    let value = Tagged {
        id: 1,
        labels: vec!["a".into(), "b".into()],
        more: vec![],
    };
    let item = value.to_item().unwrap();
    assert_eq!(item["labels"], AttributeValue::S("a,b".into()));
    assert_eq!(Tagged::from_item(item).unwrap(), value);
    let bad = HashMap::from([
        ("id".to_owned(), AttributeValue::N("1".into())),
        ("labels".to_owned(), AttributeValue::N("1".into())),
    ]);
    let err = Tagged::from_item(bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attribute `labels` of `Tagged`: expected a comma-separated string"
    );
}

/// Generic items with bounds of their own.
#[derive(Item, Debug, PartialEq)]
#[item(table = "envelopes")]
struct Envelope<K, T: Clone>
where
    T: std::fmt::Debug,
{
    #[partition_key]
    key: K,
    payload: T,
    history: Vec<T>,
}

#[test]
fn generic_items() {
    let value = Envelope {
        key: 7u64,
        payload: Status::Done,
        history: vec![Status::Pending],
    };
    assert_eq!(
        Envelope::<u64, Status>::TABLE.partition_key.scalar_type,
        dynamodb_mapper::value::ScalarType::N
    );
    let item = value.to_item().unwrap();
    assert_eq!(Envelope::from_item(item).unwrap(), value);
    let text_key = Envelope {
        key: "k".to_owned(),
        payload: 1.5f32,
        history: vec![],
    };
    assert_eq!(
        Envelope::<String, f32>::key_from("k").unwrap(),
        text_key.key_item().unwrap()
    );
}
