//! [`Faults`]: throttling, unprocessed batch items, transaction conflicts, server errors,
//! timeouts, dropped connections and latency, injected between the SDK and any DynamoDB
//! endpoint, with a record of every request.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_sdk_dynamodb::config::http::{HttpRequest, HttpResponse};
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use serde_json::{Map, Value, json};

use super::strict::operation_of;

/// Faults to inject into the requests of the clients it is installed on, and the record of
/// every request those clients sent.
///
/// Configure faults per operation with [`on`](Self::on); install with
/// [`ClientBuilder::faults`](super::ClientBuilder::faults), or on a config of your own with
/// [`install`](Self::install). Clones share the same faults and record, so a test keeps one
/// and hands a clone to the client.
///
/// ```
/// use std::time::Duration;
/// use dynamodb_mapper::testing::{Faults, Lost, Throttle, Times};
///
/// let faults = Faults::new();
/// faults.on("PutItem").throttle(2);                              // the next 2 puts
/// faults.on("GetItem").throttle_with(Throttle::Throttling, Times::Always);
/// faults.on("BatchWriteItem").unprocessed(3, 2);                 // 3 items left over, twice
/// faults.on("TransactWriteItems").cancel_transaction_at(1, 1);   // action 1 conflicts, once
/// faults.on("Query").server_error(1).latency(Duration::from_millis(20), Times::Always);
/// faults.on("TransactWriteItems").timeout(Lost::AfterApplied, 1); // applied, answer lost
/// assert!(faults.requests().is_empty());
/// ```
///
/// # What a request meets
///
/// The faults of one operation form a queue in the order they were added: each request of the
/// operation uses one round of the first fault that has rounds left. Latency is apart from the
/// queue: each request also waits for the first latency that has rounds left, whatever else
/// happens to it. A request no fault applies to is forwarded untouched.
///
/// - A **throttle**, **transaction conflict** or **server error** is answered here, as
///   DynamoDB would answer it, and never forwarded: nothing is written.
/// - A **timeout** or a **dropped connection** fails the attempt with the error the SDK's HTTP
///   client gives for one (a timeout, or an I/O error: the connection was reset), which the
///   SDK's retries treat as an unknown outcome. [`Lost::BeforeApplied`] fails it without
///   forwarding: nothing is written. [`Lost::AfterApplied`] forwards it, lets the endpoint
///   apply it, and discards the response: written, but the caller does not know.
/// - **Unprocessed** items (`BatchWriteItem`) or keys (`BatchGetItem`) are the *last* `count`
///   writes or keys of the request (tables in name order). They are removed from the request
///   before it is forwarded, so they are really not written or read, and added to the
///   response's `UnprocessedItems`/`UnprocessedKeys`. When that leaves nothing to forward, the
///   answer comes from here.
///
/// # Retries and counts
///
/// Faults act on HTTP attempts, below the SDK's retry loop: a throttled request that the SDK
/// retries is two requests here, and each uses one round of a fault. Each
/// [`RecordedRequest`] carries the SDK's attempt number, so `attempt == 1` counts operations
/// (including each round of the mapper's own retries of leftovers, which are new operations)
/// and all records count attempts. See [`default_retry_config`](super::default_retry_config)
/// for the retries of the testing client.
///
/// Items are removed from a request after the SDK built it and before it is signed, so the
/// signature stays valid against any endpoint.
#[derive(Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    requests: Vec<RecordedRequest>,
}

struct Rule {
    operation: String,
    fault: Planned,
    remaining: Times,
}

#[derive(Clone, Copy)]
enum Planned {
    Throttle(Throttle),
    Unprocessed(usize),
    Conflict(usize),
    ServerError,
    Timeout(Lost),
    Dropped(Lost),
    Latency(Duration),
}

/// When a request's answer is lost to a timeout or a dropped connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lost {
    /// Before the endpoint received the request: nothing was applied.
    BeforeApplied,
    /// After the endpoint applied the request: its answer never arrives.
    AfterApplied,
}

/// How many requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Times {
    /// This many requests (`Times::from(2)`, or just `2` where `impl Into<Times>` is taken).
    Count(u32),
    /// Every request, forever.
    Always,
}

impl From<u32> for Times {
    fn from(count: u32) -> Self {
        Times::Count(count)
    }
}

impl Times {
    /// Uses one round; false if none was left.
    fn take(&mut self) -> bool {
        match self {
            Times::Always => true,
            Times::Count(0) => false,
            Times::Count(n) => {
                *n -= 1;
                true
            }
        }
    }
}

/// The error a throttled request gets (HTTP 400). The SDK and
/// [`Error::is_retryable`](crate::Error::is_retryable) treat all of them as retryable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Throttle {
    /// `ProvisionedThroughputExceededException`: a provisioned table's capacity is used up.
    ProvisionedThroughputExceeded,
    /// `ThrottlingException`: requests arrive too fast (control plane, on-demand bursts).
    Throttling,
    /// `RequestLimitExceeded`: the account's throughput limit is reached.
    RequestLimitExceeded,
}

impl Throttle {
    /// The error code DynamoDB sends.
    pub fn code(self) -> &'static str {
        match self {
            Throttle::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
            Throttle::Throttling => "ThrottlingException",
            Throttle::RequestLimitExceeded => "RequestLimitExceeded",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Throttle::ProvisionedThroughputExceeded => {
                "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
            }
            Throttle::Throttling => "Rate of requests exceeds the allowed throughput.",
            Throttle::RequestLimitExceeded => {
                "Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase"
            }
        }
    }
}

/// A fault that was injected into one request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InjectedFault {
    /// Answered with this throttling error; not forwarded.
    Throttled(Throttle),
    /// These writes or keys were withheld and returned as unprocessed: the value of
    /// `UnprocessedItems` (`BatchWriteItem`) or `UnprocessedKeys` (`BatchGetItem`).
    Unprocessed(Value),
    /// Answered with `TransactionCanceledException`, the action at this index giving
    /// `TransactionConflict`; not forwarded.
    TransactionConflict(usize),
    /// Answered with HTTP 500 `InternalServerError`; not forwarded.
    ServerError,
    /// Failed as a timeout: forwarded and applied with [`Lost::AfterApplied`], its answer
    /// discarded.
    Timeout(Lost),
    /// Failed as a connection reset: forwarded and applied with [`Lost::AfterApplied`], its
    /// answer discarded.
    ConnectionDropped(Lost),
}

/// One HTTP request a client with [`Faults`] sent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The operation: `"PutItem"`, `"BatchWriteItem"`, ...
    pub operation: String,
    /// The SDK's attempt number for this operation, from 1 (its `amz-sdk-request` header).
    pub attempt: u32,
    /// The request's JSON as the SDK built it, before any item was withheld.
    pub body: Value,
    /// Whether it reached the endpoint (possibly with items withheld).
    pub forwarded: bool,
    /// The fault injected, if any.
    pub fault: Option<InjectedFault>,
    /// The latency injected, if any.
    pub latency: Option<Duration>,
}

/// The faults of one operation, added with [`Faults::on`].
pub struct OnOperation<'a> {
    faults: &'a Faults,
    operation: &'static str,
}

impl std::fmt::Debug for OnOperation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnOperation")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

/// The operations faults can be set on.
const OPERATIONS: &[&str] = &[
    "BatchExecuteStatement",
    "BatchGetItem",
    "BatchWriteItem",
    "CreateTable",
    "DeleteItem",
    "DeleteTable",
    "DescribeTable",
    "DescribeTimeToLive",
    "ExecuteStatement",
    "ExecuteTransaction",
    "GetItem",
    "ListTables",
    "PutItem",
    "Query",
    "Scan",
    "TransactGetItems",
    "TransactWriteItems",
    "UpdateItem",
    "UpdateTable",
    "UpdateTimeToLive",
];

impl Faults {
    /// No faults yet, and an empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// The faults of `operation` (`"PutItem"`, `"BatchWriteItem"`, ... as DynamoDB's API names
    /// them).
    ///
    /// # Panics
    /// On a name that is not a DynamoDB data or table operation, so that a typo cannot leave a
    /// test without its fault.
    #[must_use = "a fault is added by calling one of its methods"]
    pub fn on(&self, operation: &str) -> OnOperation<'_> {
        let operation = OPERATIONS.iter().copied().find(|o| *o == operation).unwrap_or_else(|| {
            panic!("`{operation}` is not a DynamoDB operation faults can be set on: {OPERATIONS:?}")
        });
        OnOperation {
            faults: self,
            operation,
        }
    }

    /// Every request seen so far, in the order they were sent.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// The requests of `operation` seen so far: every attempt, retries included.
    pub fn requests_of(&self, operation: &str) -> Vec<RecordedRequest> {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.operation == operation)
            .cloned()
            .collect()
    }

    /// Forgets the requests seen so far (the faults left stay).
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Removes every fault not used up yet (the record stays).
    pub fn clear_faults(&self) {
        self.lock().rules.clear();
    }

    /// Installs these faults on a client configuration, around `inner` (the HTTP client that
    /// reaches the endpoint; `None`: the SDK's default HTTPS client, which also speaks plain
    /// HTTP). Adds an interceptor (which withholds unprocessed items before signing) and sets
    /// the HTTP client (which answers injected errors and records requests).
    pub fn install(
        &self,
        config: aws_sdk_dynamodb::config::Builder,
        inner: Option<SharedHttpClient>,
    ) -> aws_sdk_dynamodb::config::Builder {
        let inner = inner.unwrap_or_else(default_http_client);
        config.interceptor(self.clone()).http_client(FaultClient {
            inner,
            faults: self.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn add(&self, operation: &'static str, fault: Planned, times: Times) {
        self.lock().rules.push(Rule {
            operation: operation.to_owned(),
            fault,
            remaining: times,
        });
    }

    /// Uses the faults a new request of `operation` meets: its fault and its latency.
    fn take(&self, operation: &str) -> (Option<Planned>, Option<Duration>) {
        let mut state = self.lock();
        let mut fault = None;
        let mut latency = None;
        for rule in state.rules.iter_mut().filter(|r| r.operation == operation) {
            let slot = match rule.fault {
                Planned::Latency(delay) => latency.is_none().then_some((&mut latency, Planned::Latency(delay))),
                planned => fault.is_none().then_some((&mut fault, planned)),
            };
            if let Some((slot, planned)) = slot
                && rule.remaining.take()
            {
                *slot = Some(planned);
            }
        }
        let latency = match latency {
            Some(Planned::Latency(delay)) => Some(delay),
            _ => None,
        };
        (fault, latency)
    }

    fn record(&self, request: RecordedRequest) {
        self.lock().requests.push(request);
    }
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Faults")
            .field(
                "pending",
                &state.rules.iter().filter(|r| r.remaining != Times::Count(0)).count(),
            )
            .field("requests", &state.requests.len())
            .finish()
    }
}

impl OnOperation<'_> {
    /// Answers `times` requests with `ProvisionedThroughputExceededException`.
    pub fn throttle(self, times: impl Into<Times>) -> Self {
        self.throttle_with(Throttle::ProvisionedThroughputExceeded, times)
    }

    /// Answers `times` requests with the throttling error `kind`.
    pub fn throttle_with(self, kind: Throttle, times: impl Into<Times>) -> Self {
        self.faults.add(self.operation, Planned::Throttle(kind), times.into());
        self
    }

    /// Leaves the last `count` writes (`BatchWriteItem`) or keys (`BatchGetItem`) of `rounds`
    /// requests unprocessed: withheld from the request and returned as unprocessed.
    ///
    /// # Panics
    /// On another operation.
    pub fn unprocessed(self, count: usize, rounds: impl Into<Times>) -> Self {
        assert!(
            matches!(self.operation, "BatchWriteItem" | "BatchGetItem"),
            "unprocessed items are for BatchWriteItem and BatchGetItem, not {}",
            self.operation
        );
        self.faults
            .add(self.operation, Planned::Unprocessed(count), rounds.into());
        self
    }

    /// Cancels `times` transactions with `TransactionCanceledException`, the action at `index`
    /// (from 0; past the last action: the last one) giving `TransactionConflict` and every other
    /// `None`, as when another transaction holds that item.
    ///
    /// # Panics
    /// On an operation other than `TransactWriteItems` and `TransactGetItems`.
    pub fn cancel_transaction_at(self, index: usize, times: impl Into<Times>) -> Self {
        assert!(
            matches!(self.operation, "TransactWriteItems" | "TransactGetItems"),
            "transaction conflicts are for TransactWriteItems and TransactGetItems, not {}",
            self.operation
        );
        self.faults.add(self.operation, Planned::Conflict(index), times.into());
        self
    }

    /// Answers `times` requests with HTTP 500 `InternalServerError`.
    pub fn server_error(self, times: impl Into<Times>) -> Self {
        self.faults.add(self.operation, Planned::ServerError, times.into());
        self
    }

    /// Fails `times` requests as timed out, before the endpoint got them or after it applied
    /// them ([`Lost`]).
    pub fn timeout(self, when: Lost, times: impl Into<Times>) -> Self {
        self.faults.add(self.operation, Planned::Timeout(when), times.into());
        self
    }

    /// Fails `times` requests with a reset connection, before the endpoint got them or after
    /// it applied them ([`Lost`]).
    pub fn drop_connection(self, when: Lost, times: impl Into<Times>) -> Self {
        self.faults.add(self.operation, Planned::Dropped(when), times.into());
        self
    }

    /// Delays `times` requests by `delay` before they are answered or forwarded.
    pub fn latency(self, delay: Duration, times: impl Into<Times>) -> Self {
        self.faults.add(self.operation, Planned::Latency(delay), times.into());
        self
    }
}

/// What the interceptor decided for one attempt, carried to the HTTP client on the request.
#[derive(Clone)]
struct Decision {
    body: Value,
    fault: Option<InjectedFault>,
    latency: Option<Duration>,
    /// Every item was withheld: answer here.
    nothing_left: bool,
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "Faults"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let Some(operation) = operation_of(request.headers().get("x-amz-target")).map(str::to_owned) else {
            return Ok(());
        };
        let body: Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let (planned, latency) = self.take(&operation);
        let mut nothing_left = false;
        let fault = match planned {
            None | Some(Planned::Latency(_)) => None,
            Some(Planned::Throttle(kind)) => Some(InjectedFault::Throttled(kind)),
            Some(Planned::ServerError) => Some(InjectedFault::ServerError),
            Some(Planned::Timeout(when)) => Some(InjectedFault::Timeout(when)),
            Some(Planned::Dropped(when)) => Some(InjectedFault::ConnectionDropped(when)),
            Some(Planned::Conflict(index)) => {
                let actions = body.get("TransactItems").and_then(Value::as_array).map_or(1, Vec::len);
                Some(InjectedFault::TransactionConflict(index.min(actions.saturating_sub(1))))
            }
            Some(Planned::Unprocessed(count)) => {
                let mut rewritten = body.clone();
                let (withheld, left) = withhold(&operation, &mut rewritten, count);
                nothing_left = left == 0;
                let bytes = serde_json::to_vec(&rewritten)?;
                request.headers_mut().insert("content-length", bytes.len().to_string());
                *request.body_mut() = SdkBody::from(bytes);
                Some(InjectedFault::Unprocessed(withheld))
            }
        };
        request.add_extension(Decision {
            body,
            fault,
            latency,
            nothing_left,
        });
        Ok(())
    }
}

/// Removes the last `count` writes or keys from a batch request; returns them in the shape of
/// `UnprocessedItems`/`UnprocessedKeys`, and how many are left in the request.
fn withhold(operation: &str, request: &mut Value, count: usize) -> (Value, usize) {
    let mut withheld = Map::new();
    let Some(tables) = request.get_mut("RequestItems").and_then(Value::as_object_mut) else {
        return (Value::Object(withheld), 0);
    };
    let gets = operation == "BatchGetItem";
    fn list(entry: &mut Value, gets: bool) -> Option<&mut Vec<Value>> {
        if gets {
            entry.get_mut("Keys")?.as_array_mut()
        } else {
            entry.as_array_mut()
        }
    }
    let mut to_take = count;
    let names: Vec<String> = tables.keys().rev().cloned().collect();
    for name in &names {
        let entry = tables.get_mut(name).expect("listed");
        let Some(items) = list(entry, gets) else { continue };
        let take = to_take.min(items.len());
        let taken: Vec<Value> = items.split_off(items.len() - take);
        to_take -= take;
        if !taken.is_empty() {
            let mut shape = if gets { entry.clone() } else { Value::Null };
            match &mut shape {
                Value::Object(fields) => {
                    fields.insert("Keys".to_owned(), Value::Array(taken));
                }
                _ => shape = Value::Array(taken),
            }
            withheld.insert(name.clone(), shape);
        }
        if list(tables.get_mut(name).expect("listed"), gets).is_some_and(|items| items.is_empty()) {
            tables.remove(name);
        }
    }
    let left = tables
        .values_mut()
        .filter_map(|entry| list(entry, gets))
        .map(|items| items.len())
        .sum();
    (Value::Object(withheld), left)
}

#[derive(Debug)]
struct FaultClient {
    inner: SharedHttpClient,
    faults: Faults,
}

impl HttpClient for FaultClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultConnector {
            inner: self.inner.http_connector(settings, components),
            faults: self.faults.clone(),
            sleep: components.sleep_impl(),
        })
    }
}

#[derive(Debug)]
struct FaultConnector {
    inner: SharedHttpConnector,
    faults: Faults,
    sleep: Option<aws_smithy_async::rt::sleep::SharedAsyncSleep>,
}

impl HttpConnector for FaultConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = operation_of(request.headers().get("x-amz-target"))
            .unwrap_or("")
            .to_owned();
        let attempt = request
            .headers()
            .get("amz-sdk-request")
            .and_then(|h| {
                h.split(';')
                    .find_map(|p| p.trim().strip_prefix("attempt=")?.parse().ok())
            })
            .unwrap_or(1);
        let decision = request.extension::<Decision>().cloned().unwrap_or_else(|| Decision {
            body: request
                .body()
                .bytes()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null),
            fault: None,
            latency: None,
            nothing_left: false,
        });
        let answered_here = match &decision.fault {
            Some(InjectedFault::Unprocessed(_)) => decision.nothing_left,
            Some(InjectedFault::Timeout(Lost::AfterApplied) | InjectedFault::ConnectionDropped(Lost::AfterApplied)) => {
                false
            }
            Some(_) => true,
            None => false,
        };
        let faults = self.faults.clone();
        let inner = self.inner.clone();
        let sleep = self.sleep.clone();
        HttpConnectorFuture::new(async move {
            if let Some(delay) = decision.latency {
                match sleep {
                    Some(sleep) => aws_smithy_async::rt::sleep::AsyncSleep::sleep(&sleep, delay).await,
                    None => tokio::time::sleep(delay).await,
                }
            }
            faults.record(RecordedRequest {
                operation: operation.clone(),
                attempt,
                body: decision.body.clone(),
                forwarded: !answered_here,
                fault: decision.fault.clone(),
                latency: decision.latency,
            });
            let lost = match &decision.fault {
                Some(InjectedFault::Timeout(when)) => Some((*when, lost_to_timeout as fn() -> ConnectorError)),
                Some(InjectedFault::ConnectionDropped(when)) => Some((*when, lost_to_reset as fn() -> ConnectorError)),
                _ => None,
            };
            if let Some((when, error)) = lost {
                if when == Lost::AfterApplied {
                    // Applied by the endpoint; the answer is what gets lost.
                    drop(inner.call(request).await?);
                }
                return Err(error());
            }
            if answered_here {
                return Ok(canned(&operation, &decision));
            }
            let response = inner.call(request).await?;
            match decision.fault {
                Some(InjectedFault::Unprocessed(withheld)) => add_unprocessed(response, &operation, withheld).await,
                _ => Ok(response),
            }
        })
    }
}

/// What the SDK's HTTP client reports for a request that timed out.
fn lost_to_timeout() -> ConnectorError {
    ConnectorError::timeout("the request timed out (injected)".into())
}

/// What the SDK's HTTP client reports for a connection reset under a request.
fn lost_to_reset() -> ConnectorError {
    ConnectorError::io(Box::new(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "connection reset by peer (injected)",
    )))
}

/// The answer DynamoDB would give to a request meeting `decision`'s fault.
fn canned(operation: &str, decision: &Decision) -> HttpResponse {
    let error = |status: u16, code: &str, message: &str| {
        (
            status,
            json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{code}"), "message": message}),
        )
    };
    let (status, body) = match &decision.fault {
        Some(InjectedFault::Throttled(kind)) => error(400, kind.code(), kind.message()),
        Some(InjectedFault::ServerError) => error(500, "InternalServerError", "Internal server error"),
        Some(InjectedFault::TransactionConflict(index)) => {
            let actions = decision
                .body
                .get("TransactItems")
                .and_then(Value::as_array)
                .map_or(1, Vec::len);
            let reasons: Vec<Value> = (0..actions.max(1))
                .map(|i| {
                    if i == *index {
                        json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"})
                    } else {
                        json!({"Code": "None"})
                    }
                })
                .collect();
            let codes: Vec<&str> = reasons.iter().map(|r| r["Code"].as_str().unwrap_or("None")).collect();
            (
                400,
                json!({
                    "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                    "Message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
                    "CancellationReasons": reasons,
                }),
            )
        }
        Some(InjectedFault::Unprocessed(withheld)) => {
            let body = if operation == "BatchGetItem" {
                json!({"Responses": {}, "UnprocessedKeys": withheld})
            } else {
                json!({"UnprocessedItems": withheld})
            };
            (200, body)
        }
        // Failed before any answer; never canned.
        Some(InjectedFault::Timeout(_) | InjectedFault::ConnectionDropped(_)) | None => {
            error(500, "InternalServerError", "no fault to answer")
        }
    };
    json_response(status, &body)
}

fn json_response(status: u16, body: &Value) -> HttpResponse {
    let bytes = body.to_string().into_bytes();
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("a valid status"),
        SdkBody::from(bytes.clone()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.0");
    response.headers_mut().insert("content-length", bytes.len().to_string());
    response
}

/// Adds the withheld writes or keys to a forwarded batch's response.
async fn add_unprocessed(
    mut response: HttpResponse,
    operation: &str,
    withheld: Value,
) -> Result<HttpResponse, ConnectorError> {
    if !response.status().is_success() {
        return Ok(response);
    }
    let bytes = ByteStream::new(response.take_body())
        .collect()
        .await
        .map_err(|e| ConnectorError::io(e.into()))?
        .into_bytes();
    let mut body: Value = serde_json::from_slice(&bytes).map_err(|e| ConnectorError::other(e.into(), None))?;
    let field = if operation == "BatchGetItem" {
        "UnprocessedKeys"
    } else {
        "UnprocessedItems"
    };
    if let (Some(fields), Value::Object(withheld)) = (body.as_object_mut(), withheld) {
        let unprocessed = fields.entry(field).or_insert_with(|| Value::Object(Map::new()));
        if let Some(unprocessed) = unprocessed.as_object_mut() {
            for (table, value) in withheld {
                match (unprocessed.get_mut(&table), value) {
                    (Some(Value::Array(mine)), Value::Array(more)) => mine.extend(more),
                    (Some(Value::Object(mine)), Value::Object(mut more)) => {
                        if let (Some(Value::Array(keys)), Some(Value::Array(extra))) =
                            (mine.get_mut("Keys"), more.remove("Keys"))
                        {
                            keys.extend(extra);
                        }
                    }
                    (_, value) => {
                        unprocessed.insert(table, value);
                    }
                }
            }
        }
    }
    let mut rewritten = json_response(response.status().as_u16(), &body);
    for (name, value) in response.headers() {
        let name = name.to_ascii_lowercase();
        // The body changed: its length and checksum are the new one's (or none).
        if name != "content-length" && name != "x-amz-crc32" {
            rewritten.headers_mut().insert(name, value.to_owned());
        }
    }
    Ok(rewritten)
}

/// The HTTP client of the clients this module makes: plain HTTP (the local server is on
/// loopback), or with the `testing-https` feature the SDK's HTTPS client (rustls on aws-lc),
/// which speaks plain HTTP too.
pub(crate) fn default_http_client() -> SharedHttpClient {
    #[cfg(feature = "testing-https")]
    {
        use aws_smithy_http_client::tls;
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
            .build_https()
    }
    #[cfg(not(feature = "testing-https"))]
    {
        aws_smithy_http_client::Builder::new().build_http()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withholds_the_last_writes_across_tables() {
        let put = |i: u32| json!({"PutRequest": {"Item": {"id": {"N": i.to_string()}}}});
        let mut request = json!({"RequestItems": {"a": [put(1), put(2)], "b": [put(3), put(4)]}});
        let (withheld, left) = withhold("BatchWriteItem", &mut request, 3);
        assert_eq!(left, 1);
        assert_eq!(withheld, json!({"a": [put(2)], "b": [put(3), put(4)]}));
        assert_eq!(request, json!({"RequestItems": {"a": [put(1)]}}));
    }

    #[test]
    fn withholds_keys_with_their_projection() {
        let key = |i: u32| json!({"id": {"N": i.to_string()}});
        let mut request = json!({"RequestItems": {"t": {"Keys": [key(1), key(2)], "ProjectionExpression": "id"}}});
        let (withheld, left) = withhold("BatchGetItem", &mut request, 5);
        assert_eq!(left, 0);
        assert_eq!(
            withheld,
            json!({"t": {"Keys": [key(1), key(2)], "ProjectionExpression": "id"}})
        );
        assert_eq!(request, json!({"RequestItems": {}}));
    }

    #[test]
    fn a_queue_per_operation_and_latency_beside_it() {
        let faults = Faults::new();
        faults
            .on("PutItem")
            .throttle(1)
            .server_error(Times::Count(1))
            .latency(Duration::from_millis(1), 1);
        assert!(matches!(faults.take("PutItem"), (Some(Planned::Throttle(_)), Some(_))));
        assert!(matches!(faults.take("GetItem"), (None, None)));
        assert!(matches!(faults.take("PutItem"), (Some(Planned::ServerError), None)));
        assert!(matches!(faults.take("PutItem"), (None, None)));
    }

    #[test]
    #[should_panic(expected = "not a DynamoDB operation")]
    fn a_misspelled_operation_panics() {
        let _ = Faults::new().on("PutItems");
    }
}
