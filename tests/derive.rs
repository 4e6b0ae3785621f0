//! The derives beside other derives: serde's and `Default` on the same struct, structs emitted
//! by `macro_rules!` macros, and `rename_all` giving exactly serde's names.

use std::collections::BTreeSet;

use dynamodb_mapper::value::{AttributeType, FromAttributeValue, ToAttributeValue};
use dynamodb_mapper::{Attributes, Item, Versioned};
use serde::{Deserialize, Serialize};

#[derive(Attributes, Default, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
struct Audit {
    created_by: String,
    #[attribute(default)]
    #[serde(default)]
    revision: u32,
}

#[derive(Attributes, Default, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[item(rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Tier {
    #[default]
    Free,
    ProPlus,
}

/// Every attribute that other derives also use, in its `#[attribute(...)]` spelling, beside
/// `Default` and serde with serde's own `default`, `skip` and `flatten`.
#[derive(Item, Default, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[item(table = "customers", rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
struct Customer {
    #[partition_key]
    customer_id: String,
    #[version]
    #[serde(default)]
    version: Option<u64>,
    #[attribute(default)]
    #[serde(default)]
    nick_names: Vec<String>,
    #[attribute(skip)]
    #[serde(skip)]
    cache: Option<String>,
    #[attribute(flatten)]
    #[serde(flatten)]
    audit: Audit,
    tier: Tier,
}

#[test]
fn item_default_and_serde_derive_on_one_struct() {
    let customer = Customer {
        customer_id: "c1".into(),
        version: Some(3),
        nick_names: vec!["ana".into()],
        cache: Some("not stored".into()),
        audit: Audit {
            created_by: "ops".into(),
            revision: 2,
        },
        tier: Tier::ProPlus,
    };
    let item = customer.to_item().unwrap();
    let json = serde_json::to_value(&customer).unwrap();
    // Both store the same names: the flattened fields beside the item's own, no cache.
    let item_names: BTreeSet<&str> = item.keys().map(String::as_str).collect();
    let json_names: BTreeSet<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(item_names, json_names);
    assert_eq!(item["tier"].as_s().unwrap(), "PRO_PLUS");
    assert_eq!(json["tier"], "PRO_PLUS");

    let read = Customer::from_item(item).unwrap();
    assert_eq!(read.cache, None);
    assert_eq!(
        read,
        Customer {
            cache: None,
            ..customer
        }
    );

    // `#[attribute(default)]` and `#[serde(default)]` both read an absent attribute as empty.
    let mut sparse = read.to_item().unwrap();
    sparse.remove("nickNames");
    sparse.remove("revision");
    let sparse = Customer::from_item(sparse).unwrap();
    assert!(sparse.nick_names.is_empty());
    assert_eq!(sparse.audit.revision, 0);
    assert_eq!(Customer::default().tier, Tier::Free);

    fn versioned<T: Versioned>() {}
    versioned::<Customer>();
}

/// A struct emitted by a `macro_rules!` macro, with field types from the macro's caller
/// (`$ty`) and written in the macro's own body.
macro_rules! define_record {
    ($name:ident, $key:ty, $($field:ident: $ty:ty),* $(,)?) => {
        #[derive(Item, Debug, Clone, PartialEq)]
        #[item(table = "records", rename_all = "camelCase")]
        struct $name {
            #[partition_key]
            record_id: $key,
            #[sort_key]
            created: u64,
            #[version]
            version: Option<u64>,
            #[index_partition_key("by_owner")]
            owner: Option<String>,
            $($field: $ty,)*
            #[attribute(default)]
            notes: Vec<String>,
            #[attribute(skip)]
            cache: Option<String>,
            #[attribute(flatten)]
            audit: Audit,
            #[attribute(serde)]
            extra: Option<(String, u32)>,
        }
    };
}

define_record!(Record, String, title: String, tier: Tier);

macro_rules! define_literal {
    () => {
        #[derive(Attributes, Debug, Clone, Copy, PartialEq)]
        enum Color {
            Red,
            DarkBlue,
        }

        #[derive(Item, Debug, Clone, PartialEq)]
        struct Literal {
            #[partition_key]
            id: u32,
            color: Color,
            counts: Vec<u8>,
        }
    };
}

define_literal!();

/// A macro that adds the derive to a struct its caller writes: the derive runs in the macro's
/// context, the fields come from the caller's.
macro_rules! with_item_derive {
    ($(#[$meta:meta])* struct $name:ident { $($body:tt)* }) => {
        #[derive(Item, Debug, Clone, PartialEq)]
        $(#[$meta])*
        struct $name { $($body)* }
    };
}

with_item_derive! {
    #[item(table = "wrapped", index(name = "by_count", projection = "keys_only"))]
    struct Wrapped {
        #[partition_key]
        id: String,
        #[sort_key]
        at: u64,
        #[index_partition_key("by_count")]
        count: u32,
        #[attribute(default)]
        tags: Vec<String>,
        #[attribute(flatten)]
        audit: Audit,
        #[ttl]
        expires: Option<i64>,
    }
}

#[test]
fn structs_emitted_by_macro_rules_derive() {
    let record = Record {
        record_id: "r1".into(),
        created: 7,
        version: None,
        owner: Some("ana".into()),
        title: "first".into(),
        tier: Tier::Free,
        notes: vec![],
        cache: None,
        audit: Audit::default(),
        extra: Some(("x".into(), 1)),
    };
    let item = record.to_item().unwrap();
    assert_eq!(item["recordId"].as_s().unwrap(), "r1");
    assert_eq!(Record::from_item(item).unwrap(), record);
    assert_eq!(record.key(), ("r1".to_string(), 7));
    assert_eq!(Record::TABLE.index("by_owner").unwrap().partition_keys[0].name, "owner");

    let literal = Literal {
        id: 1,
        color: Color::DarkBlue,
        counts: vec![1, 2],
    };
    let item = literal.to_item().unwrap();
    assert_eq!(item["color"].as_s().unwrap(), "DarkBlue");
    assert_eq!(Literal::from_item(item).unwrap(), literal);
    assert_eq!(Literal::key_from(1u32).unwrap()["id"].as_n().unwrap(), "1");

    let wrapped = Wrapped {
        id: "w".into(),
        at: 1,
        count: 2,
        tags: vec!["a".into()],
        audit: Audit::default(),
        expires: Some(1_700_000_000),
    };
    let item = wrapped.to_item().unwrap();
    assert_eq!(item["expires"].as_n().unwrap(), "1700000000");
    assert_eq!(Wrapped::from_item(item).unwrap(), wrapped);
    assert_eq!(wrapped.key(), ("w".to_string(), 1));
}

/// For one `rename_all` rule: a struct and an enum deriving both ours and serde's, with
/// names that split differently under each rule.
macro_rules! rename_rule {
    ($module:ident, $rule:tt) => {
        mod $module {
            use super::*;

            #[allow(non_snake_case)]
            #[derive(Item, Serialize, Default)]
            #[item(rename_all = $rule)]
            #[serde(rename_all = $rule)]
            pub struct Fields {
                #[partition_key]
                pub user_id: String,
                pub http_error_code: u8,
                pub address_line2: u8,
                pub _leading: u8,
                pub trailing_: u8,
                pub double__underscore: u8,
                pub x: u8,
                pub r#type: u8,
                pub naïve_size: u8,
                pub v2_api: u8,
                pub already_Mixed: u8,
            }

            #[allow(clippy::upper_case_acronyms, non_camel_case_types)]
            #[derive(Attributes, Serialize, Clone, Copy)]
            #[item(rename_all = $rule)]
            #[serde(rename_all = $rule)]
            pub enum Variants {
                Active,
                InReview,
                HTTPError,
                V2Api,
                A,
                CaféMenu,
                Already_Snake,
            }

            pub const VARIANTS: [Variants; 7] = [
                Variants::Active,
                Variants::InReview,
                Variants::HTTPError,
                Variants::V2Api,
                Variants::A,
                Variants::CaféMenu,
                Variants::Already_Snake,
            ];
        }

        #[test]
        fn $module() {
            use $module::{Fields, VARIANTS};
            let ours: BTreeSet<String> = Fields::SCHEMA
                .attributes
                .iter()
                .map(|a| a.name.to_owned())
                .collect();
            let theirs: BTreeSet<String> = serde_json::to_value(Fields::default())
                .unwrap()
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            assert_eq!(ours, theirs, "fields under {}", $rule);
            // The item writes the same names.
            let written: BTreeSet<String> = Fields::default().to_item().unwrap().into_keys().collect();
            assert_eq!(written, theirs);

            for variant in VARIANTS {
                let ours = variant.to_attribute_value().unwrap().unwrap();
                let theirs = serde_json::to_value(variant).unwrap();
                assert_eq!(
                    ours.as_s().unwrap(),
                    theirs.as_str().unwrap(),
                    "variant under {}",
                    $rule
                );
                // And reads back.
                assert!($module::Variants::from_attribute_value(ours).is_ok());
            }
        }
    };
}

rename_rule!(lowercase, "lowercase");
rename_rule!(uppercase, "UPPERCASE");
rename_rule!(pascal_case, "PascalCase");
rename_rule!(camel_case, "camelCase");
rename_rule!(snake_case, "snake_case");
rename_rule!(screaming_snake_case, "SCREAMING_SNAKE_CASE");
rename_rule!(kebab_case, "kebab-case");
rename_rule!(screaming_kebab_case, "SCREAMING-KEBAB-CASE");

#[test]
fn serde_keeps_the_names_that_differed_before() {
    // `lowercase` leaves snake_case fields alone; `SCREAMING_SNAKE_CASE` splits every capital.
    let names: Vec<&str> = lowercase::Fields::SCHEMA.attributes.iter().map(|a| a.name).collect();
    assert!(names.contains(&"user_id"));
    let error = screaming_snake_case::Variants::HTTPError
        .to_attribute_value()
        .unwrap()
        .unwrap();
    assert_eq!(error.as_s().unwrap(), "H_T_T_P_ERROR");
}

#[test]
fn attribute_types_are_recorded_per_field() {
    let schema = Record::SCHEMA;
    let ty = |name: &str| {
        *schema
            .attributes
            .iter()
            .find(|a| a.name == name)
            .unwrap()
            .attribute_type
    };
    assert_eq!(ty("recordId"), AttributeType::S);
    assert_eq!(ty("created"), AttributeType::N);
    assert_eq!(ty("notes"), AttributeType::L(&AttributeType::S));
    assert_eq!(ty("tier"), AttributeType::S);
    assert_eq!(ty("extra"), AttributeType::Dynamic);
    let version = schema.attributes.iter().find(|a| a.name == "version").unwrap();
    assert_eq!(version.rust_type, "Option<u64>");
    match <Vec<Audit> as ToAttributeValue>::ATTRIBUTE_TYPE {
        AttributeType::L(AttributeType::Struct(nested)) => assert_eq!(nested.type_name(), "Audit"),
        other => panic!("{other:?}"),
    }
}
