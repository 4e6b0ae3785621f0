//! Typed change records: the local server's real stream read with the streams client (each
//! view type, a time-to-live removal, a record that does not decode, an extension refusing an
//! image), the same records decoded from all three sources, and Lambda's partial-batch
//! response.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_lambda_events::event::dynamodb::Event;
use aws_sdk_dynamodb::types::{AttributeValue, StreamViewType};
use aws_sdk_dynamodbstreams::types as streams;
use dynamodb_mapper::extension::{AfterRead, Extension};
use dynamodb_mapper::stream::{Change, ChangeDecoder, ChangeKind, RawRecord};
use dynamodb_mapper::{Attributes, Error, Item, Mapper, Table};
use dynamodb_mapper_workspace::local::{self, Need};

/// Why the tests reading the server's stream need the local server.
const STREAM_READ_ONCE: &str = "the stream is read once, right after the writes; DynamoDB delivers records within seconds and splits shards, which this read does not wait for (the reader is for that)";
use serde_json::{Value, json};

#[derive(Item, Debug, Clone, PartialEq)]
struct Product {
    #[partition_key]
    id: String,
    name: String,
    price: u32,
}

fn product(id: &str, name: &str, price: u32) -> Product {
    Product {
        id: id.into(),
        name: name.into(),
        price,
    }
}

async fn table_with_stream<T: Item + 'static>(mapper: &Mapper, view: StreamViewType) -> Table<T> {
    let table = mapper.table_named::<T>(&local::unique_table_name("stream")).unwrap();
    table.create_table().stream(view).await.unwrap();
    table
}

/// Inserts, modifies and removes one product, and returns the stream's records.
async fn insert_modify_remove(table: &Table<Product>) -> Vec<(String, aws_sdk_dynamodbstreams::types::Record)> {
    table.put(&product("p1", "lamp", 10)).await.unwrap();
    table.put(&product("p1", "lamp", 12)).await.unwrap();
    table.delete("p1").await.unwrap();
    local::stream_records(&local::streams_client(), table).await
}

// ---------------------------------------------------------------------------------------------
// View types, on the local server's stream

async fn check_view(view: StreamViewType, images: [(bool, bool); 3]) {
    if local::skip_unless(Need::LocalServer(STREAM_READ_ONCE)) {
        return;
    }
    let mapper = Mapper::builder(local::client()).extensions([]).build();
    let table = table_with_stream::<Product>(&mapper, view.clone()).await;
    let records = insert_modify_remove(&table).await;
    assert_eq!(records.len(), 3, "{view:?}: one record per write");
    let decoder = ChangeDecoder::new(&table);
    let kinds = [ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Remove];
    let before = [None, Some(product("p1", "lamp", 10)), Some(product("p1", "lamp", 12))];
    let after = [Some(product("p1", "lamp", 10)), Some(product("p1", "lamp", 12)), None];
    for (i, (shard_id, record)) in records.iter().enumerate() {
        let change = decoder.decode_record(record, Some(shard_id)).unwrap();
        let raw = record.dynamodb().unwrap();
        let (old, new) = images[i];
        assert_eq!(change.kind, kinds[i], "{view:?} record {i}");
        assert_eq!(change.key, "p1");
        assert_eq!(change.view.as_ref(), Some(&view));
        // The raw record carries exactly the images the view type promises, and so does the
        // change.
        assert_eq!(raw.old_image().is_some(), old, "{view:?} record {i}: raw old image");
        assert_eq!(raw.new_image().is_some(), new, "{view:?} record {i}: raw new image");
        assert_eq!(
            change.old,
            if old { before[i].clone() } else { None },
            "{view:?} record {i}"
        );
        assert_eq!(
            change.new,
            if new { after[i].clone() } else { None },
            "{view:?} record {i}"
        );
        assert_eq!(change.sequence_number, raw.sequence_number().unwrap());
        assert_eq!(change.event_id, record.event_id().unwrap());
        assert_eq!(change.shard_id.as_deref(), Some(shard_id.as_str()));
        assert_eq!(change.size_bytes, raw.size_bytes().map(|s| s as u64));
        assert!(
            change
                .approximate_creation_time
                .is_some_and(|t| t > SystemTime::UNIX_EPOCH)
        );
        assert!(!change.ttl_expired);
    }
}

#[tokio::test]
async fn keys_only_streams_give_the_key_only() {
    check_view(StreamViewType::KeysOnly, [(false, false); 3]).await;
}

#[tokio::test]
async fn new_image_streams_give_the_new_image() {
    check_view(StreamViewType::NewImage, [(false, true), (false, true), (false, false)]).await;
}

#[tokio::test]
async fn old_image_streams_give_the_old_image() {
    check_view(StreamViewType::OldImage, [(false, false), (true, false), (true, false)]).await;
}

#[tokio::test]
async fn new_and_old_image_streams_give_both() {
    check_view(
        StreamViewType::NewAndOldImages,
        [(false, true), (true, true), (true, false)],
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Time to live

#[derive(Item, Debug, Clone, PartialEq)]
struct Session {
    #[partition_key]
    id: String,
    #[ttl]
    expires: Option<u64>,
}

#[tokio::test]
async fn a_removal_by_time_to_live_is_told_from_a_delete() {
    if local::skip_unless(Need::LocalServer(STREAM_READ_ONCE)) {
        return;
    }
    let mapper = Mapper::builder(local::client()).extensions([]).build();
    let table = table_with_stream::<Session>(&mapper, StreamViewType::NewAndOldImages).await;
    let an_hour_ago = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    let expired = Session {
        id: "expired".into(),
        expires: Some(an_hour_ago),
    };
    let deleted = Session {
        id: "deleted".into(),
        expires: None,
    };
    table.put(&expired).await.unwrap();
    table.put(&deleted).await.unwrap();
    table.delete("deleted").await.unwrap();
    local::expire_ttl().expect("the local server expires items on demand");
    let records = local::stream_records(&local::streams_client(), &table).await;
    let decoder = ChangeDecoder::new(&table);
    let removes: Vec<(Change<Session>, &streams::Record)> = records
        .iter()
        .map(|(shard, record)| (decoder.decode_record(record, Some(shard)).unwrap(), record))
        .filter(|(change, _)| change.kind == ChangeKind::Remove)
        .collect();
    assert_eq!(removes.len(), 2);
    let (by_request, request_record) = &removes[0];
    assert_eq!(by_request.key, "deleted");
    assert!(!by_request.ttl_expired);
    assert!(request_record.user_identity().is_none());
    let (by_ttl, ttl_record) = &removes[1];
    assert_eq!(by_ttl.key, "expired");
    assert_eq!(by_ttl.old.as_ref(), Some(&expired));
    // The local server marks the record as the time-to-live process's (`userIdentity`), but
    // in the casing of Lambda's events (`type`, `principalId`) where the Streams API has
    // `Type` and `PrincipalId`: the streams SDK reads an identity without its fields. The
    // flag follows what the SDK read; the three sources are checked on AWS's own record
    // below.
    let identity = ttl_record.user_identity().expect("the TTL record has a user identity");
    let said_service =
        identity.r#type() == Some("Service") && identity.principal_id() == Some("dynamodb.amazonaws.com");
    assert_eq!(by_ttl.ttl_expired, said_service);
}

fn ttl_remove_json(principal: &str) -> Value {
    json!({
        "eventID": "ttl-1",
        "eventName": "REMOVE",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "userIdentity": {"type": "Service", "principalId": principal},
        "dynamodb": {
            "Keys": {"id": {"S": "expired"}},
            "OldImage": {"id": {"S": "expired"}, "expires": {"N": "1700000000"}},
            "SequenceNumber": "900",
            "SizeBytes": 40,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    })
}

#[test]
fn a_removal_by_time_to_live_is_flagged_from_every_source() {
    let decoder = ChangeDecoder::<Session>::with_extensions("sessions", []);
    for (principal, expected) in [("dynamodb.amazonaws.com", true), ("someone.example.com", false)] {
        let json = ttl_remove_json(principal);
        let from_json = decoder.decode_json(&json, None).unwrap();
        let event: Event = serde_json::from_value(json!({"Records": [json.clone()]})).unwrap();
        let from_lambda = decoder.decode_event(&event).remove(0).unwrap();
        let sdk = streams::Record::builder()
            .event_id("ttl-1")
            .event_name(streams::OperationType::Remove)
            .user_identity(
                streams::Identity::builder()
                    .r#type("Service")
                    .principal_id(principal)
                    .build(),
            )
            .dynamodb(
                streams::StreamRecord::builder()
                    .set_keys(Some(sdk_map(&json["dynamodb"]["Keys"])))
                    .set_old_image(Some(sdk_map(&json["dynamodb"]["OldImage"])))
                    .sequence_number("900")
                    .size_bytes(40)
                    .stream_view_type(streams::StreamViewType::NewAndOldImages)
                    .build(),
            )
            .build();
        let from_sdk = decoder.decode_record(&sdk, None).unwrap();
        for change in [&from_json, &from_lambda, &from_sdk] {
            assert_eq!(change.kind, ChangeKind::Remove);
            assert_eq!(change.ttl_expired, expected, "{principal}");
            assert_eq!(
                change.old,
                Some(Session {
                    id: "expired".into(),
                    expires: Some(1_700_000_000)
                })
            );
            assert_eq!(change.new, None);
        }
        assert_eq!(from_lambda, from_json);
        assert_eq!(from_sdk, from_json);
    }
}

// ---------------------------------------------------------------------------------------------
// Failures: kept raw, the next record decodes

#[tokio::test]
async fn a_record_that_does_not_decode_is_kept_raw_and_the_next_one_decodes() {
    if local::skip_unless(Need::LocalServer(STREAM_READ_ONCE)) {
        return;
    }
    let mapper = Mapper::builder(local::client()).extensions([]).build();
    let table = table_with_stream::<Product>(&mapper, StreamViewType::NewAndOldImages).await;
    // Written behind the mapper's back: a price that is not a number.
    mapper
        .client()
        .put_item()
        .table_name(table.name())
        .item("id", AttributeValue::S("bad".into()))
        .item("name", AttributeValue::S("chair".into()))
        .item("price", AttributeValue::S("cheap".into()))
        .send()
        .await
        .unwrap();
    table.put(&product("good", "desk", 90)).await.unwrap();
    let records = local::stream_records(&local::streams_client(), &table).await;
    assert_eq!(records.len(), 2);
    let decoder = ChangeDecoder::new(&table);
    let (shard_id, first) = &records[0];
    let Err(Error::UnreadableChange(unreadable)) = decoder.decode_record(first, Some(shard_id)) else {
        panic!("a price stored as a string does not decode as u32");
    };
    assert_eq!(
        unreadable.sequence_number.as_deref(),
        first.dynamodb().unwrap().sequence_number()
    );
    assert_eq!(unreadable.shard_id.as_deref(), Some(shard_id.as_str()));
    assert_eq!(unreadable.event_id.as_deref(), first.event_id());
    assert_eq!(unreadable.record, RawRecord::Streams(Box::new(first.clone())));
    let Error::Convert(cause) = &unreadable.error else {
        panic!("a conversion error, not {:?}", unreadable.error);
    };
    assert_eq!(cause.path(), "price");
    let message = unreadable.to_string();
    assert!(message.contains("price") && message.contains("u32"), "{message}");
    let next = decoder.decode_record(&records[1].1, Some(shard_id)).unwrap();
    assert_eq!(next.new, Some(product("good", "desk", 90)));
}

/// Refuses items named "forbidden" and records the table names it saw.
#[derive(Default)]
struct Gatekeeper {
    tables: Mutex<Vec<String>>,
}

impl Extension for Gatekeeper {
    fn name(&self) -> &str {
        "gatekeeper"
    }

    fn after_read(&self, cx: &mut AfterRead<'_>) -> Result<(), Error> {
        self.tables.lock().unwrap().push(cx.table_name().to_owned());
        match cx.item().get("name") {
            Some(AttributeValue::S(name)) if name == "forbidden" => {
                Err(Error::extension("gatekeeper", "this item may not be read"))
            }
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn an_extension_refusing_an_image_makes_the_record_unreadable() {
    if local::skip_unless(Need::LocalServer(STREAM_READ_ONCE)) {
        return;
    }
    let gatekeeper = Arc::new(Gatekeeper::default());
    let mapper = Mapper::builder(local::client())
        .extensions([gatekeeper.clone() as Arc<dyn Extension>])
        .build();
    let table = table_with_stream::<Product>(&mapper, StreamViewType::NewAndOldImages).await;
    table.put(&product("p1", "forbidden", 1)).await.unwrap();
    table.put(&product("p2", "allowed", 2)).await.unwrap();
    let records = local::stream_records(&local::streams_client(), &table).await;
    let decoder = ChangeDecoder::new(&table);
    let results = decoder.decode_records(&records.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(), None);
    let Err(Error::UnreadableChange(unreadable)) = &results[0] else {
        panic!("the gatekeeper refuses the first image");
    };
    assert!(
        matches!(&unreadable.error, Error::Extension { extension, .. } if extension == "gatekeeper"),
        "{:?}",
        unreadable.error
    );
    assert_eq!(unreadable.record, RawRecord::Streams(Box::new(records[0].1.clone())));
    assert_eq!(results[1].as_ref().unwrap().new, Some(product("p2", "allowed", 2)));
    // The extension saw the table's name for both images.
    assert_eq!(*gatekeeper.tables.lock().unwrap(), vec![table.name().to_owned(); 2]);
}

// ---------------------------------------------------------------------------------------------
// One record, three sources

#[derive(Attributes, Debug, Clone, PartialEq)]
struct Dimensions {
    width: u32,
    depth: u32,
    labels: HashMap<String, String>,
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Rich {
    #[partition_key]
    id: String,
    #[sort_key]
    rev: u64,
    colors: HashSet<String>,
    sizes: HashSet<i64>,
    photo: Vec<u8>,
    thumbs: HashSet<Vec<u8>>,
    big: i128,
    dims: Dimensions,
    parts: Vec<Dimensions>,
    note: Option<String>,
    discount: Option<u32>,
}

fn image_json(big: &str, discount: Value) -> Value {
    json!({
        "id": {"S": "r1"},
        "rev": {"N": "7"},
        "colors": {"SS": ["red", "blue"]},
        "sizes": {"NS": ["1", "20", "-3"]},
        "photo": {"B": "AAEC/w=="},
        "thumbs": {"BS": ["AQ==", "Ag=="]},
        "big": {"N": big},
        "dims": {"M": {
            "width": {"N": "30"},
            "depth": {"N": "40"},
            "labels": {"M": {"finish": {"S": "oak"}}}
        }},
        "parts": {"L": [{"M": {"width": {"N": "1"}, "depth": {"N": "2"}, "labels": {"M": {}}}}]},
        "discount": discount
    })
}

fn rich(big: i128, discount: Option<u32>) -> Rich {
    Rich {
        id: "r1".into(),
        rev: 7,
        colors: ["red", "blue"].map(String::from).into(),
        sizes: [1, 20, -3].into(),
        photo: vec![0, 1, 2, 255],
        thumbs: [vec![1], vec![2]].into(),
        big,
        dims: Dimensions {
            width: 30,
            depth: 40,
            labels: [("finish".to_string(), "oak".to_string())].into(),
        },
        parts: vec![Dimensions {
            width: 1,
            depth: 2,
            labels: HashMap::new(),
        }],
        note: None,
        discount,
    }
}

const BIG: &str = "12345678901234567890123456789012345678";
const ARN: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/rich-from-arn/stream/2024-01-01T00:00:00.000";

fn record_json() -> Value {
    json!({
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1700000000,
            "Keys": {"id": {"S": "r1"}, "rev": {"N": "7"}},
            "OldImage": image_json("-5", json!({"N": "10"})),
            "NewImage": image_json(BIG, json!({"NULL": true})),
            "SequenceNumber": "4421584500000000017450439091",
            "SizeBytes": 321,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        },
        "eventSourceARN": ARN
    })
}

/// DynamoDB JSON to the streams SDK's attribute value, written here independently of the
/// library's own readers.
fn sdk_value(value: &Value) -> streams::AttributeValue {
    use aws_sdk_dynamodbstreams::primitives::Blob;
    let (tag, inner) = value.as_object().unwrap().iter().next().unwrap();
    let strings = || {
        inner
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let blob = |s: &str| Blob::new(aws_smithy_types::base64::decode(s).unwrap());
    match tag.as_str() {
        "S" => streams::AttributeValue::S(inner.as_str().unwrap().into()),
        "N" => streams::AttributeValue::N(inner.as_str().unwrap().into()),
        "B" => streams::AttributeValue::B(blob(inner.as_str().unwrap())),
        "NULL" => streams::AttributeValue::Null(true),
        "SS" => streams::AttributeValue::Ss(strings()),
        "NS" => streams::AttributeValue::Ns(strings()),
        "BS" => streams::AttributeValue::Bs(strings().iter().map(|s| blob(s)).collect()),
        "L" => streams::AttributeValue::L(inner.as_array().unwrap().iter().map(sdk_value).collect()),
        "M" => streams::AttributeValue::M(sdk_map(inner)),
        other => panic!("{other}"),
    }
}

fn sdk_map(map: &Value) -> HashMap<String, streams::AttributeValue> {
    map.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), sdk_value(v)))
        .collect()
}

fn sdk_record(json: &Value) -> streams::Record {
    let change = &json["dynamodb"];
    streams::Record::builder()
        .event_id(json["eventID"].as_str().unwrap())
        .event_name(streams::OperationType::from(json["eventName"].as_str().unwrap()))
        .event_source("aws:dynamodb")
        .aws_region("us-east-1")
        .dynamodb(
            streams::StreamRecord::builder()
                .approximate_creation_date_time(aws_sdk_dynamodbstreams::primitives::DateTime::from_secs(
                    change["ApproximateCreationDateTime"].as_i64().unwrap(),
                ))
                .set_keys(Some(sdk_map(&change["Keys"])))
                .set_old_image(Some(sdk_map(&change["OldImage"])))
                .set_new_image(Some(sdk_map(&change["NewImage"])))
                .sequence_number(change["SequenceNumber"].as_str().unwrap())
                .size_bytes(change["SizeBytes"].as_i64().unwrap())
                .stream_view_type(streams::StreamViewType::from(
                    change["StreamViewType"].as_str().unwrap(),
                ))
                .build(),
        )
        .build()
}

#[test]
fn the_same_record_decodes_identically_from_all_three_sources() {
    let gatekeeper = Arc::new(Gatekeeper::default());
    let decoder = ChangeDecoder::<Rich>::with_extensions("rich-default", [gatekeeper.clone() as Arc<dyn Extension>]);
    let json = record_json();

    let from_json = decoder.decode_json(&json, None).unwrap();
    let event: Event = serde_json::from_value(json!({"Records": [json.clone()]})).unwrap();
    let from_lambda = decoder.decode_event(&event).remove(0).unwrap();
    let from_sdk = decoder.decode_record(&sdk_record(&json), None).unwrap();

    assert_eq!(from_json.kind, ChangeKind::Modify);
    assert_eq!(from_json.key, ("r1".to_string(), 7));
    assert_eq!(from_json.old, Some(rich(-5, Some(10))));
    assert_eq!(from_json.new, Some(rich(BIG.parse().unwrap(), None)));
    assert_eq!(from_json.view, Some(StreamViewType::NewAndOldImages));
    assert_eq!(from_json.event_id, "c4ca4238a0b923820dcc509a6f75849b");
    assert_eq!(from_json.sequence_number, "4421584500000000017450439091");
    assert_eq!(from_json.size_bytes, Some(321));
    assert_eq!(
        from_json.approximate_creation_time,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
    );
    assert_eq!(from_lambda, from_json);
    assert_eq!(from_sdk, from_json);
    // Records that name their table (Lambda's, and this JSON) give the extensions that name.
    assert_eq!(
        *gatekeeper.tables.lock().unwrap(),
        [
            "rich-from-arn",
            "rich-from-arn",
            "rich-from-arn",
            "rich-from-arn",
            "rich-default",
            "rich-default"
        ]
    );
}

#[test]
fn a_record_missing_an_image_its_view_type_promises_is_malformed() {
    let decoder = ChangeDecoder::<Rich>::with_extensions("rich", []);
    let mut json = record_json();
    json["dynamodb"].as_object_mut().unwrap().remove("OldImage");
    let Err(Error::UnreadableChange(unreadable)) = decoder.decode_json(&json, None) else {
        panic!("a MODIFY of a NEW_AND_OLD_IMAGES stream needs its old image");
    };
    assert!(matches!(&unreadable.error, Error::InvalidRecord { message } if message.contains("old image")));
    assert_eq!(unreadable.record, RawRecord::Json(Box::new(json.clone())));
    // Lambda's events give the absent image as an empty map: the view type still decides.
    let event: Event = serde_json::from_value(json!({"Records": [json]})).unwrap();
    assert!(event.records[0].change.old_image.is_empty());
    let Err(Error::UnreadableChange(unreadable)) = decoder.decode_event(&event).remove(0) else {
        panic!("an empty map is no old image");
    };
    assert!(matches!(&unreadable.error, Error::InvalidRecord { .. }));
    assert!(matches!(unreadable.record, RawRecord::Lambda(_)));
}

#[test]
fn bad_attribute_values_name_the_attribute_and_the_type() {
    let decoder = ChangeDecoder::<Rich>::with_extensions("rich", []);
    let mut json = record_json();
    json["dynamodb"]["NewImage"]["dims"]["M"]["width"] = json!({"X": "1"});
    let Err(Error::UnreadableChange(unreadable)) = decoder.decode_json(&json, None) else {
        panic!("`X` is no DynamoDB type");
    };
    let Error::Convert(cause) = &unreadable.error else {
        panic!("{:?}", unreadable.error)
    };
    assert_eq!(cause.path(), "dims.width");
    assert!(cause.to_string().contains("`X` is not a DynamoDB type"), "{cause}");
    json["dynamodb"]["NewImage"]["dims"]["M"]["width"] = json!({"N": "1"});
    json["dynamodb"]["NewImage"]["photo"] = json!({"B": "not base64!"});
    let Err(Error::UnreadableChange(unreadable)) = decoder.decode_json(&json, None) else {
        panic!("bad base64");
    };
    assert!(unreadable.error.to_string().contains("photo"), "{}", unreadable.error);
    assert!(decoder.decode_json_str("not json").is_err());
    assert!(matches!(
        decoder.decode_json_str("42"),
        Err(Error::InvalidRecord { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Lambda: in order, stopping at the first failure

fn lambda_record(sequence: u32, id: &str, name: &str) -> Value {
    json!({
        "eventID": format!("event-{sequence}"),
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/products/stream/2024-01-01T00:00:00.000",
        "dynamodb": {
            "Keys": {"id": {"S": id}},
            "NewImage": {"id": {"S": id}, "name": {"S": name}, "price": {"N": "5"}},
            "SequenceNumber": format!("{sequence}"),
            "SizeBytes": 50,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    })
}

fn lambda_event() -> Event {
    let records: Vec<Value> = (1..=5)
        .map(|i| lambda_record(100 + i, &format!("p{i}"), "lamp"))
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn a_failure_in_the_middle_of_an_event_is_the_batch_item_failure() {
    let decoder = ChangeDecoder::<Product>::with_extensions("products", []);
    let event = lambda_event();
    let mut seen = Vec::new();
    let outcome = decoder
        .handle_event(&event, |change| {
            let change = change.unwrap();
            seen.push(change.key.clone());
            async move {
                if change.key == "p3" {
                    Err("the warehouse is closed")
                } else {
                    Ok(())
                }
            }
        })
        .await;
    assert_eq!(seen, ["p1", "p2", "p3"], "nothing after the refused record is handled");
    assert_eq!(outcome.handled, 2);
    let failure = outcome.failure.as_ref().unwrap();
    assert_eq!(
        (failure.index, failure.sequence_number.as_deref(), failure.error),
        (2, Some("103"), "the warehouse is closed")
    );
    assert_eq!(
        serde_json::to_value(outcome.response()).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "103"}]})
    );

    let all = decoder.handle_event(&event, |_| async { Ok::<(), Error>(()) }).await;
    assert_eq!(all.handled, 5);
    assert_eq!(
        serde_json::to_value(all.response()).unwrap(),
        json!({"batchItemFailures": []})
    );
}

#[tokio::test]
async fn an_undecodable_record_stops_the_batch_when_the_handler_says_so() {
    let decoder = ChangeDecoder::<Product>::with_extensions("products", []);
    let mut records: Vec<Value> = (1..=3)
        .map(|i| lambda_record(200 + i, &format!("p{i}"), "lamp"))
        .collect();
    records[1]["dynamodb"]["NewImage"]["price"] = json!({"S": "free"});
    let event: Event = serde_json::from_value(json!({ "Records": records })).unwrap();
    let outcome = decoder
        .handle_event(&event, |change| async move { change.map(|_| ()) })
        .await;
    let failure = outcome.failure.as_ref().unwrap();
    assert_eq!(failure.sequence_number.as_deref(), Some("202"));
    let Error::UnreadableChange(unreadable) = &failure.error else {
        panic!("{:?}", failure.error)
    };
    assert_eq!(unreadable.record, RawRecord::Lambda(Box::new(event.records[1].clone())));
    assert_eq!(
        serde_json::to_value(outcome.response()).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "202"}]})
    );
    // The records around it decode on their own.
    let results = decoder.decode_event(&event);
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
}
