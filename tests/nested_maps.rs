//! `None` inside a struct stored as a nested map, against the local server: every write path
//! leaves it out of the map, as at the top level of an item (what PynamoDB's `MapAttribute`
//! writes, and what a Dynamoose schema that types the field accepts); lists and maps of
//! `Option`s keep `NULL`, so positions and keys survive; a stored `NULL` or an absent
//! attribute both read as `None`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use dynamodb_mapper::{Attributes, Item, ItemMap, Mapper, Table};
use dynamodb_mapper_workspace::local::{self, new_table, raw_item};

/// A nested struct, stored as a map.
#[derive(Attributes, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Dimensions {
    width: u32,
    unit: Option<String>,
    depth: Option<u32>,
}

#[derive(Item, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
struct Parcel {
    #[partition_key]
    id: String,
    dimensions: Dimensions,
    parts: Vec<Dimensions>,
    spare: Option<Dimensions>,
    by_name: HashMap<String, Dimensions>,
    /// A list of `Option`s: `None` is kept as `NULL` so that positions survive.
    readings: Vec<Option<u32>>,
    /// A map of `Option`s: `None` is kept as `NULL` so that keys survive.
    labels: HashMap<String, Option<String>>,
    note: Option<String>,
}

fn unitless(width: u32) -> Dimensions {
    Dimensions {
        width,
        unit: None,
        depth: None,
    }
}

fn parcel(id: &str) -> Parcel {
    Parcel {
        id: id.into(),
        dimensions: unitless(1),
        parts: vec![unitless(2), unitless(3)],
        spare: Some(unitless(4)),
        by_name: HashMap::from([("lid".to_owned(), unitless(5))]),
        readings: vec![Some(1), None, Some(3)],
        labels: HashMap::from([("a".to_owned(), Some("x".to_owned())), ("b".to_owned(), None)]),
        note: None,
    }
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(text.into())
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn null() -> AttributeValue {
    AttributeValue::Null(true)
}

/// A nested map holding only `width`: its `None`s are left out, not `NULL`.
#[track_caller]
fn only_width(value: &AttributeValue, width: &str) {
    let map = value.as_m().unwrap_or_else(|_| panic!("a map: {value:?}"));
    assert_eq!(map, &HashMap::from([("width".to_owned(), n(width))]), "{value:?}");
}

/// The stored item of [`parcel`]: every nested `None` absent, list and map `None`s `NULL`.
#[track_caller]
fn assert_stored_shape(item: &ItemMap) {
    only_width(&item["dimensions"], "1");
    let parts = item["parts"].as_l().unwrap();
    only_width(&parts[0], "2");
    only_width(&parts[1], "3");
    only_width(&item["spare"], "4");
    only_width(&item["byName"].as_m().unwrap()["lid"], "5");
    assert_eq!(item["readings"], AttributeValue::L(vec![n("1"), null(), n("3")]));
    assert_eq!(
        item["labels"],
        AttributeValue::M(HashMap::from([("a".to_owned(), s("x")), ("b".to_owned(), null())]))
    );
    assert!(!item.contains_key("note"), "a top-level None is left out too");
}

async fn table() -> Table<Parcel> {
    new_table::<Parcel>(&Mapper::new(local::client()), "nested").await
}

#[tokio::test]
async fn put_leaves_nested_nones_out_and_keeps_list_and_map_nulls() {
    let parcels = table().await;
    parcels.put(&parcel("p")).await.unwrap();
    assert_stored_shape(&raw_item(&parcels, "p").await);
    assert_eq!(parcels.get("p").consistent_read().await.unwrap(), Some(parcel("p")));
}

#[tokio::test]
async fn update_leaves_nested_nones_out() {
    let parcels = table().await;
    let mut first = parcel("p");
    first.dimensions.unit = Some("cm".into());
    parcels.update(&first).await.unwrap();
    assert_eq!(
        raw_item(&parcels, "p").await["dimensions"].as_m().unwrap()["unit"],
        s("cm")
    );
    // The update replaces the map: the unit it no longer has is gone, not `NULL`.
    let updated = parcels.update(&parcel("p")).await.unwrap();
    assert_stored_shape(&raw_item(&parcels, "p").await);
    assert_eq!(updated, parcel("p"));
}

#[tokio::test]
async fn patch_of_a_nested_struct_leaves_its_nones_out() {
    let parcels = table().await;
    parcels.put(&parcel("p")).await.unwrap();
    let f = Parcel::fields();
    let patched = parcels
        .patch("p")
        .set(&f.dimensions, unitless(9))
        .set(&f.spare, unitless(8))
        .await
        .unwrap();
    let item = raw_item(&parcels, "p").await;
    only_width(&item["dimensions"], "9");
    only_width(&item["spare"], "8");
    assert_eq!(patched.dimensions, unitless(9));
}

#[tokio::test]
async fn a_batch_write_leaves_nested_nones_out() {
    let parcels = table().await;
    let written = parcels.put_all([parcel("a"), parcel("b")]).await.unwrap();
    assert!(written.unprocessed.is_empty() && written.errors.is_empty());
    assert_stored_shape(&raw_item(&parcels, "a").await);
    assert_stored_shape(&raw_item(&parcels, "b").await);
}

#[tokio::test]
async fn a_transaction_leaves_nested_nones_out() {
    let mapper = Mapper::new(local::client());
    let parcels = new_table::<Parcel>(&mapper, "nested-tx").await;
    let mut tx = mapper.transact_write();
    tx.put(&parcels, &parcel("a"));
    tx.update(&parcels, &parcel("b"));
    tx.send().await.unwrap();
    assert_stored_shape(&raw_item(&parcels, "a").await);
    assert_stored_shape(&raw_item(&parcels, "b").await);
}

/// An item as a Java service writes it (`ignoreNulls` off): `NULL` inside the nested maps.
#[tokio::test]
async fn a_stored_nested_null_reads_as_none_and_is_left_out_when_written_back() {
    let parcels = table().await;
    let with_nulls = |width: &str| {
        AttributeValue::M(HashMap::from([
            ("width".to_owned(), n(width)),
            ("unit".to_owned(), null()),
            ("depth".to_owned(), null()),
        ]))
    };
    let item = HashMap::from([
        ("id".to_owned(), s("j")),
        ("dimensions".to_owned(), with_nulls("1")),
        (
            "parts".to_owned(),
            AttributeValue::L(vec![with_nulls("2"), with_nulls("3")]),
        ),
        ("spare".to_owned(), with_nulls("4")),
        (
            "byName".to_owned(),
            AttributeValue::M(HashMap::from([("lid".to_owned(), with_nulls("5"))])),
        ),
        ("readings".to_owned(), AttributeValue::L(vec![n("1"), null(), n("3")])),
        (
            "labels".to_owned(),
            AttributeValue::M(HashMap::from([("a".to_owned(), s("x")), ("b".to_owned(), null())])),
        ),
        ("note".to_owned(), null()),
    ]);
    parcels
        .mapper()
        .client()
        .put_item()
        .table_name(parcels.name())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();

    let read = parcels.get("j").consistent_read().await.unwrap().unwrap();
    let mut expected = parcel("j");
    expected.id = "j".into();
    assert_eq!(read, expected, "NULL and absence read alike");

    // Written back, the nested `NULL`s are left out.
    parcels.put(&read).await.unwrap();
    assert_stored_shape(&raw_item(&parcels, "j").await);
}
