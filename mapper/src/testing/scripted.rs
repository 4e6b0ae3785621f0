//! [`ScriptedStream`]: a DynamoDB Streams endpoint answered from an in-memory model of
//! shards, for what no local server produces: several shards with parent/child lineage, a
//! split while reading, closed shards, expired iterators, trimmed records, throttling, a shard
//! listing over several pages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use aws_sdk_dynamodb::config::RuntimeComponents;
use aws_sdk_dynamodb::config::http::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};

use super::strict::operation_of;

/// A scripted DynamoDB Streams endpoint: shards and their records held in memory, answered
/// through an `aws_sdk_dynamodbstreams::Client` ([`client`](Self::client)) by each request's
/// operation, with faults on demand and a record of every request. Clones share the model.
///
/// Sequence numbers are given in the order records are added (21 digits). Shards are open
/// unless [closed](Self::close); an open shard at its end answers an empty page with a next
/// iterator, as DynamoDB does.
///
/// ```
/// use dynamodb_mapper::testing::ScriptedStream;
/// use serde_json::json;
///
/// let stream = ScriptedStream::new();
/// stream.shard("shard-a", None).close("shard-a");
/// stream.insert("shard-a", json!({"id": {"S": "1"}}), json!({"id": {"S": "1"}, "n": {"N": "1"}}));
/// stream.shard("shard-b", Some("shard-a"));
/// stream.shards_per_page(1).throttle("DescribeStream", 1);
/// let client = stream.client();
/// # let _ = client;
/// assert_eq!(stream.requests_of("GetRecords", None), 0);
/// ```
#[derive(Clone, Default)]
pub struct ScriptedStream {
    model: Arc<Mutex<Model>>,
}

impl std::fmt::Debug for ScriptedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedStream").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Model {
    shards: Vec<ScriptedShard>,
    next_sequence: u64,
    shards_per_page: Option<usize>,
    records_per_page: Option<usize>,
    throttles: HashMap<String, u32>,
    requests: Vec<ScriptedRequest>,
}

struct ScriptedShard {
    id: String,
    parent: Option<String>,
    records: Vec<Value>,
    closed: bool,
    /// Hidden until its parent, read to its end, closes (a split).
    hidden: bool,
    /// Closes (revealing its hidden children) when read to its end.
    splits: bool,
    trimmed: usize,
    /// `GetRecords` pages after which the iterator expires once.
    expire_after: Option<u32>,
    pages: u32,
}

/// One request the scripted endpoint answered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ScriptedRequest {
    /// The operation: `DescribeStream`, `GetShardIterator`, `GetRecords`, `ListStreams`.
    pub operation: String,
    /// The shard it was for (the iterator's shard for `GetRecords`).
    pub shard_id: Option<String>,
    /// When it arrived.
    pub at: Instant,
    /// Whether it was answered with an error.
    pub failed: bool,
}

/// The stream's ARN.
pub const SCRIPTED_STREAM_ARN: &str =
    "arn:aws:dynamodb:us-east-1:000000000000:table/scripted/stream/2024-01-01T00:00:00.000";

impl ScriptedStream {
    /// An empty stream.
    pub fn new() -> Self {
        ScriptedStream::default()
    }

    fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds an open shard, child of `parent`.
    pub fn shard(&self, id: &str, parent: Option<&str>) -> &Self {
        self.model().shards.push(ScriptedShard {
            id: id.into(),
            parent: parent.map(str::to_owned),
            records: Vec::new(),
            closed: false,
            hidden: false,
            splits: false,
            trimmed: 0,
            expire_after: None,
            pages: 0,
        });
        self
    }

    fn with_shard(&self, id: &str, f: impl FnOnce(&mut ScriptedShard)) -> &Self {
        if let Some(shard) = self.model().shards.iter_mut().find(|s| s.id == id) {
            f(shard);
        }
        self
    }

    /// Closes the shard: its last record read, `GetRecords` gives no next iterator.
    pub fn close(&self, id: &str) -> &Self {
        self.with_shard(id, |s| s.closed = true)
    }

    /// Splits the open shard `parent` into `children` (added as shards here) when a reader
    /// reaches its end: until then the children are not listed; then the parent closes.
    pub fn split_when_read(&self, parent: &str, children: &[&str]) -> &Self {
        self.with_shard(parent, |s| s.splits = true);
        for child in children {
            self.shard(child, Some(parent));
            self.with_shard(child, |s| s.hidden = true);
        }
        self
    }

    /// Adds a record of `event_name` (`INSERT`, `MODIFY`, `REMOVE`) to the shard, with the
    /// item's key and images in DynamoDB's JSON, on a `NEW_AND_OLD_IMAGES` stream. Returns
    /// its sequence number.
    pub fn record(&self, shard: &str, event_name: &str, keys: Value, old: Option<Value>, new: Option<Value>) -> String {
        let mut model = self.model();
        model.next_sequence += 1;
        let sequence = format!("{:021}", model.next_sequence);
        let mut change = json!({
            "Keys": keys, "SequenceNumber": sequence, "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES", "ApproximateCreationDateTime": 1_700_000_000,
        });
        if let Some(old) = old {
            change["OldImage"] = old;
        }
        if let Some(new) = new {
            change["NewImage"] = new;
        }
        let record = json!({
            "eventID": format!("event-{sequence}"), "eventName": event_name, "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": change,
        });
        if let Some(s) = model.shards.iter_mut().find(|s| s.id == shard) {
            s.records.push(record);
        }
        sequence
    }

    /// Adds an `INSERT` of `new` (key `keys`) to the shard; returns its sequence number.
    pub fn insert(&self, shard: &str, keys: Value, new: Value) -> String {
        self.record(shard, "INSERT", keys, None, Some(new))
    }

    /// Trims the shard's first `count` records: reading at or before them answers
    /// `TrimmedDataAccessException`, `TRIM_HORIZON` starts after them.
    pub fn trim(&self, shard: &str, count: usize) -> &Self {
        self.with_shard(shard, |s| s.trimmed = count)
    }

    /// The `GetRecords` after the shard's first `pages` pages answers
    /// `ExpiredIteratorException`, once.
    pub fn expire_iterator_after(&self, shard: &str, pages: u32) -> &Self {
        self.with_shard(shard, |s| s.expire_after = Some(pages))
    }

    /// At most `n` shards per `DescribeStream` page (all on one page by default).
    pub fn shards_per_page(&self, n: usize) -> &Self {
        self.model().shards_per_page = Some(n.max(1));
        self
    }

    /// At most `n` records per `GetRecords` page (all that are left by default).
    pub fn records_per_page(&self, n: usize) -> &Self {
        self.model().records_per_page = Some(n.max(1));
        self
    }

    /// The next `times` requests of `operation` answer `LimitExceededException`.
    pub fn throttle(&self, operation: &str, times: u32) -> &Self {
        self.model().throttles.insert(operation.into(), times);
        self
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<ScriptedRequest> {
        self.model().requests.clone()
    }

    /// How many requests of `operation` (for `shard`, when given) were answered.
    pub fn requests_of(&self, operation: &str, shard: Option<&str>) -> usize {
        self.model()
            .requests
            .iter()
            .filter(|r| r.operation == operation && (shard.is_none() || r.shard_id.as_deref() == shard))
            .count()
    }

    /// A DynamoDB Streams client answered by this model: no retries of its own (so every
    /// fault reaches the code under test), test credentials.
    pub fn client(&self) -> aws_sdk_dynamodbstreams::Client {
        use aws_sdk_dynamodbstreams::config;
        let mut builder = config::Builder::new()
            .behavior_version(config::BehaviorVersion::latest())
            .region(config::Region::new("us-east-1"))
            .credentials_provider(config::Credentials::new("test", "test", None, None, "scripted"))
            .endpoint_url("http://scripted.invalid")
            .retry_config(config::retry::RetryConfig::disabled())
            .http_client(SharedHttpClient::new(Scripted(self.clone())));
        if let Some(sleep) = aws_smithy_async::rt::sleep::default_async_sleep() {
            builder = builder.sleep_impl(sleep);
        }
        aws_sdk_dynamodbstreams::Client::from_conf(builder.build())
    }

    fn answer(&self, operation: &str, body: &Value) -> (u16, Value) {
        let mut model = self.model();
        let shard_of_request = match operation {
            "GetRecords" => body["ShardIterator"]
                .as_str()
                .and_then(|i| i.split('|').next())
                .map(str::to_owned),
            _ => body["ShardId"].as_str().map(str::to_owned),
        };
        let throttled = match model.throttles.get_mut(operation) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        };
        let answer = if throttled {
            error("LimitExceededException", "Rate exceeded for the shard")
        } else {
            match operation {
                "DescribeStream" => Ok(model.describe(body)),
                "GetShardIterator" => model.iterator(body),
                "GetRecords" => model.records(body),
                "ListStreams" => Ok(json!({"Streams": [{"StreamArn": SCRIPTED_STREAM_ARN, "TableName": "scripted"}]})),
                other => error("UnknownOperationException", &format!("{other} is not scripted")),
            }
        };
        model.requests.push(ScriptedRequest {
            operation: operation.into(),
            shard_id: shard_of_request,
            at: Instant::now(),
            failed: answer.is_err(),
        });
        match answer {
            Ok(body) => (200, body),
            Err(body) => (400, body),
        }
    }
}

fn error(code: &str, message: &str) -> Result<Value, Value> {
    Err(json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{code}"), "message": message}))
}

impl Model {
    fn describe(&self, body: &Value) -> Value {
        let visible: Vec<&ScriptedShard> = self.shards.iter().filter(|s| !s.hidden).collect();
        let from = match body["ExclusiveStartShardId"].as_str() {
            Some(last) => visible
                .iter()
                .position(|s| s.id == last)
                .map_or(visible.len(), |i| i + 1),
            None => 0,
        };
        let per_page = self.shards_per_page.unwrap_or(usize::MAX);
        let page: Vec<&&ScriptedShard> = visible.iter().skip(from).take(per_page).collect();
        let shards: Vec<Value> = page
            .iter()
            .map(|s| {
                let mut range = json!({"StartingSequenceNumber": "000000000000000000000"});
                if s.closed {
                    range["EndingSequenceNumber"] = json!("999999999999999999999");
                }
                let mut shard = json!({"ShardId": s.id, "SequenceNumberRange": range});
                if let Some(parent) = &s.parent {
                    shard["ParentShardId"] = json!(parent);
                }
                shard
            })
            .collect();
        let mut description = json!({
            "StreamArn": SCRIPTED_STREAM_ARN, "StreamStatus": "ENABLED",
            "StreamViewType": "NEW_AND_OLD_IMAGES", "TableName": "scripted", "Shards": shards,
        });
        if from + page.len() < visible.len()
            && let Some(last) = page.last()
        {
            description["LastEvaluatedShardId"] = json!(last.id);
        }
        json!({"StreamDescription": description})
    }

    fn iterator(&self, body: &Value) -> Result<Value, Value> {
        let id = body["ShardId"].as_str().unwrap_or_default();
        let Some(shard) = self.shards.iter().find(|s| s.id == id && !s.hidden) else {
            return error("ResourceNotFoundException", &format!("no shard {id}"));
        };
        let position = match body["ShardIteratorType"].as_str() {
            Some("TRIM_HORIZON") => shard.trimmed,
            Some("LATEST") => shard.records.len(),
            Some(kind @ ("AFTER_SEQUENCE_NUMBER" | "AT_SEQUENCE_NUMBER")) => {
                let sequence = body["SequenceNumber"].as_str().unwrap_or_default();
                let at = shard
                    .records
                    .iter()
                    .position(|r| r["dynamodb"]["SequenceNumber"].as_str() == Some(sequence));
                let Some(at) = at else {
                    return error("ValidationException", &format!("no record {sequence} in shard {id}"));
                };
                let position = if kind == "AT_SEQUENCE_NUMBER" { at } else { at + 1 };
                if position < shard.trimmed {
                    return error(
                        "TrimmedDataAccessException",
                        "The operation attempted to read past the oldest stream record in a shard.",
                    );
                }
                position
            }
            other => return error("ValidationException", &format!("iterator type {other:?}")),
        };
        Ok(json!({"ShardIterator": format!("{id}|{position}")}))
    }

    fn records(&mut self, body: &Value) -> Result<Value, Value> {
        let iterator = body["ShardIterator"].as_str().unwrap_or_default();
        let (id, position) = iterator.split_once('|').unwrap_or((iterator, "0"));
        let position: usize = position.parse().unwrap_or(0);
        let limit = body["Limit"].as_u64().map_or(usize::MAX, |l| l as usize);
        let per_page = self.records_per_page.unwrap_or(usize::MAX).min(limit);
        let Some(index) = self.shards.iter().position(|s| s.id == id) else {
            return error("ResourceNotFoundException", &format!("no shard {id}"));
        };
        let shard = &mut self.shards[index];
        if shard.expire_after == Some(shard.pages) {
            shard.expire_after = None;
            return error("ExpiredIteratorException", "Iterator expired");
        }
        if position < shard.trimmed {
            return error(
                "TrimmedDataAccessException",
                "The operation attempted to read past the oldest stream record in a shard.",
            );
        }
        shard.pages += 1;
        let end = position.saturating_add(per_page).min(shard.records.len());
        let records: Vec<Value> = shard.records.get(position..end).unwrap_or_default().to_vec();
        if records.is_empty() && end >= shard.records.len() && shard.splits && !shard.closed {
            shard.closed = true;
            let parent = shard.id.clone();
            for child in self.shards.iter_mut().filter(|s| s.parent.as_deref() == Some(&parent)) {
                child.hidden = false;
            }
        }
        let shard = &self.shards[index];
        let mut answer = json!({"Records": records});
        if !(shard.closed && end >= shard.records.len()) {
            answer["NextShardIterator"] = json!(format!("{id}|{end}"));
        }
        Ok(answer)
    }
}

#[derive(Debug)]
struct Scripted(ScriptedStream);

impl HttpClient for Scripted {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(Scripted(self.0.clone()))
    }
}

impl HttpConnector for Scripted {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = operation_of(request.headers().get("x-amz-target"))
            .unwrap_or("")
            .to_owned();
        let body: Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let (status, answer) = self.0.answer(&operation, &body);
        let bytes = answer.to_string().into_bytes();
        let mut response = HttpResponse::new(
            StatusCode::try_from(status).unwrap_or_else(|_| StatusCode::try_from(500).expect("500")),
            SdkBody::from(bytes.clone()),
        );
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        response.headers_mut().insert("content-length", bytes.len().to_string());
        HttpConnectorFuture::ready(Ok(response))
    }
}
