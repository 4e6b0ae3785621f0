//! Property: no data makes the conversions panic. Arbitrary `AttributeValue` maps (any type at
//! any depth, random number texts, huge exponents) are read into a realistic item type and
//! through the serde bridge; what is read is written back, and what is written reads back.
//!
//! 100,000 cases by default; `PROPTEST_CASES=1000000 cargo test --test no_panic` for more.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use dynamodb_mapper::value::{AttributeType, SetType, via_serde};
use dynamodb_mapper::{Attributes, Item, ItemMap};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Attributes, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Line {
    sku: String,
    quantity: u16,
    unit_price: f64,
    gift: Option<bool>,
    labels: BTreeSet<String>,
}

#[derive(Attributes, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[item(rename_all = "kebab-case")]
enum State {
    Open,
    OnHold,
    Closed,
}

#[derive(Attributes, Debug, Clone, PartialEq, Default)]
#[item(rename_all = "camelCase")]
struct Audit {
    created_by: String,
    revision: u32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Payment {
    method: String,
    amount: f64,
    installments: Option<u8>,
    notes: Vec<String>,
    split: BTreeMap<String, i64>,
}

/// The schema of a struct of this file stored as a nested map, by its name (the attribute
/// types record the nested struct's name).
fn nested_schema(type_name: &str) -> &'static dynamodb_mapper::schema::ItemSchema {
    match type_name {
        "Line" => Line::SCHEMA,
        "Audit" => Audit::SCHEMA,
        other => panic!("no nested struct `{other}` in this test"),
    }
}

#[derive(Item, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Order {
    #[partition_key]
    customer: String,
    #[sort_key]
    number: u64,
    #[version]
    version: Option<u64>,
    total: f64,
    ratio: f32,
    small: i8,
    wide: i128,
    huge: u128,
    paid: bool,
    note: Option<String>,
    lines: Vec<Line>,
    queue: VecDeque<Option<i32>>,
    attributes: HashMap<String, String>,
    ordered: BTreeMap<String, Vec<u8>>,
    labels: HashSet<String>,
    ranks: BTreeSet<i64>,
    digests: BTreeSet<Vec<u8>>,
    states: BTreeSet<State>,
    state: State,
    #[attribute(default)]
    counts: HashMap<String, u32>,
    #[attribute(flatten)]
    audit: Audit,
    placed: DateTime<Utc>,
    shipped: Option<DateTime<Utc>>,
    id: Uuid,
    payload: Vec<u8>,
    raw: Bytes,
    #[ttl]
    expires: Option<DateTime<Utc>>,
    #[attribute(with = dynamodb_mapper::value::epoch_seconds)]
    started: Option<i64>,
    #[attribute(serde)]
    payment: Option<Payment>,
    #[attribute(serde)]
    extra: Option<serde_json::Value>,
}

/// Decodes values from a sequence of random words, as a fuzzer does: proptest generates (and
/// shrinks) the words, this turns them into attribute values. Much cheaper per case than
/// composing strategies, which is what lets the test run 100,000 cases in a debug build.
struct Source {
    words: std::vec::IntoIter<u64>,
    state: u64,
}

impl Source {
    fn new(words: Vec<u64>) -> Self {
        Source {
            words: words.into_iter(),
            state: 0x9e37_79b9_7f4a_7c15,
        }
    }

    /// The next word; after the last one, a cheap generator seeded from what came before.
    fn next(&mut self) -> u64 {
        match self.words.next() {
            Some(word) => {
                self.state ^= word.rotate_left(17);
                word
            }
            None => {
                self.state ^= self.state << 13;
                self.state ^= self.state >> 7;
                self.state ^= self.state << 17;
                // Exhausted input leans towards small, shallow values.
                self.state & 0xff
            }
        }
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, in_eight: u64) -> bool {
        self.below(8) < in_eight
    }

    fn digits(&mut self, out: &mut String, max: u64) {
        let count = self.below(max + 1);
        for _ in 0..count {
            // Zeros are frequent: leading and trailing zeros matter to the number checks.
            let d = self.below(14);
            out.push(char::from(b'0' + if d >= 10 { 0 } else { d as u8 }));
        }
    }

    /// Number texts: well-formed ones of every size, exponents up to i64's limits and
    /// beyond, and malformed ones.
    fn number_text(&mut self) -> String {
        let mut text = String::new();
        match self.below(8) {
            0 => text = (self.next() as i64).to_string(),
            1 => text = f64::from_bits(self.next()).to_string(),
            2 => {
                const PIECES: &[&str] = &["-", "+", ".", "e", "E", "0", "1", "9", "x", "NaN", "inf", " "];
                for _ in 0..self.below(6) {
                    text.push_str(PIECES[self.below(PIECES.len() as u64) as usize]);
                }
            }
            _ => {
                match self.below(4) {
                    0 => text.push('-'),
                    1 => text.push('+'),
                    _ => {}
                }
                self.digits(&mut text, 45);
                if self.chance(3) {
                    text.push('.');
                    self.digits(&mut text, 45);
                }
                if self.chance(4) {
                    text.push(if self.chance(4) { 'e' } else { 'E' });
                    let exponent = match self.below(6) {
                        0 => (self.next() as i64).to_string(),
                        1 => i64::MAX.to_string(),
                        2 => i64::MIN.to_string(),
                        3 => "9223372036854775808".to_owned(),
                        _ => (self.below(801) as i64 - 400).to_string(),
                    };
                    text.push_str(&exponent);
                }
            }
        }
        text
    }

    /// Strings that are sometimes what a field expects (a variant, a time, a UUID).
    fn text(&mut self) -> String {
        match self.below(6) {
            0 => ["open", "on-hold", "closed", "Open", ""][self.below(5) as usize].to_owned(),
            1 => {
                let zone = ["Z", "+02:00", "+0000", "", "z"][self.below(5) as usize];
                format!(
                    "{:04}-{:02}-{:02}T{:02}:00:00.{}{zone}",
                    self.below(10001),
                    self.below(14),
                    self.below(32),
                    self.below(25),
                    self.next() >> self.below(64),
                )
            }
            2 => uuid::Uuid::from_u64_pair(self.next(), self.next()).to_string(),
            _ => (0..self.below(6))
                .map(|_| char::from_u32(self.next() as u32 % 0x11_0000).unwrap_or('x'))
                .collect(),
        }
    }

    fn bytes(&mut self) -> Blob {
        let len = self.below(8) as usize;
        Blob::new(self.next().to_le_bytes()[..len].to_vec())
    }

    /// Map keys: the names our types use, and anything else.
    fn key(&mut self) -> String {
        const NAMES: &[&str] = &[
            "sku",
            "quantity",
            "unitPrice",
            "gift",
            "labels",
            "method",
            "amount",
            "installments",
            "notes",
            "split",
        ];
        if self.chance(6) {
            NAMES[self.below(NAMES.len() as u64) as usize].to_owned()
        } else {
            self.text()
        }
    }

    /// Any `AttributeValue`, nested up to `depth` levels.
    fn any_value(&mut self, depth: u32) -> AttributeValue {
        let kinds = if depth == 0 { 8 } else { 10 };
        match self.below(kinds) {
            0 => AttributeValue::S(self.text()),
            1 => AttributeValue::N(self.number_text()),
            2 => AttributeValue::B(self.bytes()),
            3 => AttributeValue::Bool(self.chance(4)),
            4 => AttributeValue::Null(self.chance(6)),
            5 => AttributeValue::Ss((0..self.below(3)).map(|_| self.text()).collect()),
            6 => AttributeValue::Ns((0..self.below(3)).map(|_| self.number_text()).collect()),
            7 => AttributeValue::Bs((0..self.below(3)).map(|_| self.bytes()).collect()),
            8 => AttributeValue::L((0..self.below(4)).map(|_| self.any_value(depth - 1)).collect()),
            _ => AttributeValue::M(self.any_map(depth - 1, 4)),
        }
    }

    fn any_map(&mut self, depth: u32, max: u64) -> ItemMap {
        (0..self.below(max))
            .map(|_| (self.key(), self.any_value(depth)))
            .collect()
    }

    /// Number text for a field of the Rust type `hint`: mostly one it reads, now and then
    /// anything.
    fn number_for(&mut self, hint: &str) -> String {
        match self.below(8) {
            0 => self.number_text(),
            _ if hint.contains("f32") || hint.contains("f64") => (self.next() as i32 as f64 / 7.0).to_string(),
            _ => self.below(128).to_string(),
        }
    }

    /// A string for a field of the Rust type `hint`: mostly one it reads, now and then
    /// anything.
    fn text_for(&mut self, hint: &str) -> String {
        if self.below(8) == 0 {
            return self.text();
        }
        if hint.contains("DateTime") {
            let zone = ["Z", "+02:00", "-05:30"][self.below(3) as usize];
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:00.{}{zone}",
                self.below(10000),
                1 + self.below(12),
                1 + self.below(28),
                self.below(24),
                self.below(60),
                self.below(1_000_000_000),
            )
        } else if hint.contains("Uuid") {
            uuid::Uuid::from_u64_pair(self.next(), self.next()).to_string()
        } else if hint.contains("State") {
            ["open", "on-hold", "closed"][self.below(3) as usize].to_owned()
        } else {
            self.text()
        }
    }

    /// A value shaped like `ty` (of the Rust type `hint`) most of the time, and anything
    /// otherwise.
    fn shaped(&mut self, ty: &'static AttributeType, hint: &str, depth: u32) -> AttributeValue {
        match self.below(32) {
            0 => return self.any_value(depth.min(2)),
            1 => return AttributeValue::Null(true),
            _ => {}
        }
        match ty {
            AttributeType::S => AttributeValue::S(self.text_for(hint)),
            AttributeType::N => AttributeValue::N(self.number_for(hint)),
            AttributeType::B => AttributeValue::B(self.bytes()),
            AttributeType::Bool => AttributeValue::Bool(self.chance(4)),
            AttributeType::Set(SetType::String) => {
                AttributeValue::Ss((0..self.below(4)).map(|_| self.text_for(hint)).collect())
            }
            AttributeType::Set(SetType::Number) => {
                AttributeValue::Ns((0..self.below(4)).map(|_| self.number_for(hint)).collect())
            }
            AttributeType::Set(SetType::Binary) => {
                AttributeValue::Bs((0..self.below(4)).map(|_| self.bytes()).collect())
            }
            AttributeType::L(inner) if depth > 0 => AttributeValue::L(
                (0..self.below(4))
                    .map(|_| self.shaped(inner, hint, depth - 1))
                    .collect(),
            ),
            AttributeType::M(inner) if depth > 0 => AttributeValue::M(
                (0..self.below(4))
                    .map(|_| (self.key(), self.shaped(inner, hint, depth - 1)))
                    .collect(),
            ),
            AttributeType::Struct(nested) if depth > 0 => {
                AttributeValue::M(self.shaped_item(nested_schema(nested.type_name()), depth - 1))
            }
            // Decided at run time (here, serde fields of `Option`s): often `NULL`.
            _ if self.chance(4) => AttributeValue::Null(true),
            _ => self.any_value(depth.min(2)),
        }
    }

    /// A map with the attributes of `schema` (found through the types the schema records),
    /// each present most of the time and shaped like its type most of the time, plus now and
    /// then an unknown attribute.
    fn shaped_item(&mut self, schema: &'static dynamodb_mapper::schema::ItemSchema, depth: u32) -> ItemMap {
        let mut item = if self.chance(1) {
            self.any_map(depth.min(1), 2)
        } else {
            ItemMap::new()
        };
        for attribute in schema.all_attributes() {
            if self.below(32) != 0 {
                let value = self.shaped(attribute.attribute_type, attribute.rust_type, depth);
                item.insert(attribute.name.to_owned(), value);
            }
        }
        item
    }
}

fn cases() -> Config {
    let mut config = Config {
        failure_persistence: None,
        // A debug build spends most of its time in ChaCha otherwise.
        rng_algorithm: RngAlgorithm::XorShift,
        ..Config::default()
    };
    // `Config::default()` reads `PROPTEST_CASES`; without it, 100,000 cases.
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 100_000;
    }
    config
}

/// Reads an item; whatever reads writes back without panicking, and whatever is written
/// reads back.
fn read_write_read(item: ItemMap) {
    if let Ok(order) = Order::from_item(item)
        && let Ok(written) = order.to_item()
    {
        let again = Order::from_item(written).expect("an item the mapper wrote reads back");
        // Floats and timestamps may have been normalized; the rest is equal.
        assert_eq!(again.customer, order.customer);
        assert_eq!(again.lines.len(), order.lines.len());
    }
}

/// The serde bridge: read anything, and write back what was read.
fn through_serde(value: AttributeValue) {
    if let Ok(payment) = via_serde::from_attribute_value::<Payment>(Some(value.clone())) {
        let _ = via_serde::to_attribute_value(&payment);
    }
    if let Ok(json) = via_serde::from_attribute_value::<serde_json::Value>(Some(value)) {
        let _ = via_serde::to_attribute_value(&json);
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn no_item_map_makes_a_conversion_panic(words in proptest::collection::vec(any::<u64>(), 0..48)) {
        let mut source = Source::new(words);
        let shaped = source.shaped_item(Order::SCHEMA, 2);
        let arbitrary = source.any_map(3, 6);
        through_serde(AttributeValue::M(shaped.clone()));
        through_serde(AttributeValue::M(arbitrary.clone()));
        read_write_read(shaped);
        read_write_read(arbitrary);
    }
}
