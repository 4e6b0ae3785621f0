//! The mapper's own overhead per operation, on a realistic item (an order with a nested address,
//! a list of line-item maps, a metadata map and a string set; `VersionedOrder` is the same
//! with a `#[version]`): put, versioned put, get, versioned update, versioned patch of two
//! attributes, a 100-item query page, a transaction (an update and a condition check), a
//! 100-key batch get and a 25-item batch write, through the mapper against the same requests
//! built and decoded by hand with the raw SDK. Each raw twin does the work the mapper does for
//! the caller: it decodes what comes back, matches a batch get's items to their keys (per-key
//! outcomes, in order) and refuses duplicate keys, and keeps what a transaction wrote. Both
//! send to an HTTP client that answers at once with a canned response, so no network or
//! server is measured; before timing, each pair's request bodies are checked to be the same
//! JSON.
//!
//! After criterion's groups, a summary prints each operation's median time for both sides,
//! the ratio mapper ÷ raw of those medians, the same ratio measured in interleaved pairs
//! (which cancels the drift of a shared machine between the two groups), and the allocations
//! of one call of each.
//!
//! ```text
//! cargo bench --bench operations
//! ```
//!
//! `OPERATIONS_PAIRED=1` skips criterion (only the paired ratios and allocations), and
//! `OPERATIONS_PROCESSES=5 cargo bench --bench operations` measures the paired ratios in five
//! processes, one after another, and prints each operation's five ratios and their median:
//! a ratio moves by a few hundredths from one process to the next, as each places its heap
//! and stack anew.

use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::{HttpRequest, HttpResponse};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, PutRequest, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    WriteRequest,
};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use criterion::Criterion;
use dynamodb_mapper::expr::Condition;
use dynamodb_mapper::ops::{Committed, Fetched, TxWriteHandle};
use dynamodb_mapper::{Mapper, Table};
use dynamodb_mapper_workspace::bench_support::{self, CountingAllocator, criterion_median};
use dynamodb_mapper_workspace::fixtures::{
    Order, OrderStatus, VersionedOrder, from_item_by_hand, to_item_by_hand, versioned_from_item_by_hand,
    versioned_to_item_by_hand,
};
use serde_json::{Value, json};

type ItemMap = HashMap<String, AttributeValue>;

// ---------------------------------------------------------------------------------------------
// Allocation counting, outside criterion's timing.

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

// ---------------------------------------------------------------------------------------------
// An HTTP client that answers every request at once with a canned body per operation.

#[derive(Debug, Clone, Default)]
struct Canned {
    /// Operation (`PutItem`, ...) → response body.
    responses: Arc<HashMap<&'static str, Vec<u8>>>,
    /// While set, request bodies are kept for comparison.
    recording: Arc<AtomicBool>,
    recorded: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Canned {
    /// The recorded bodies, parsed, with their lengths in bytes.
    fn take_recorded(&self) -> Vec<(Value, usize)> {
        let bodies = std::mem::take(&mut *self.recorded.lock().unwrap());
        bodies
            .iter()
            .map(|b| (serde_json::from_slice(b).expect("a JSON request"), b.len()))
            .collect()
    }
}

impl HttpConnector for Canned {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default();
        if self.recording.load(Ordering::Relaxed) {
            let body = request.body().bytes().unwrap_or_default().to_vec();
            self.recorded.lock().unwrap().push(body);
        }
        let body = self
            .responses
            .get(operation)
            .unwrap_or_else(|| panic!("no canned response for {operation}"))
            .clone();
        let response = HttpResponse::new(200.try_into().expect("a status"), SdkBody::from(body));
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Canned {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

fn client(canned: &Canned) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("bench", "bench", None, None, "bench"))
        .endpoint_url("http://localhost:8000")
        .http_client(canned.clone())
        .build();
    Client::from_conf(config)
}

/// An item in DynamoDB's JSON wire format.
fn wire(item: &ItemMap) -> Value {
    fn value(v: &AttributeValue) -> Value {
        match v {
            AttributeValue::S(s) => json!({ "S": s }),
            AttributeValue::N(n) => json!({ "N": n }),
            AttributeValue::B(b) => json!({ "B": aws_smithy_types::base64::encode(b.as_ref()) }),
            AttributeValue::Bool(b) => json!({ "BOOL": b }),
            AttributeValue::Null(_) => json!({ "NULL": true }),
            AttributeValue::Ss(s) => json!({ "SS": s }),
            AttributeValue::Ns(n) => json!({ "NS": n }),
            AttributeValue::L(l) => json!({ "L": l.iter().map(value).collect::<Vec<_>>() }),
            AttributeValue::M(m) => json!({ "M": wire(m) }),
            other => panic!("not in the fixtures: {other:?}"),
        }
    }
    Value::Object(item.iter().map(|(k, v)| (k.clone(), value(v))).collect())
}

// ---------------------------------------------------------------------------------------------
// The operations, both ways.

struct Fixture {
    runtime: tokio::runtime::Runtime,
    canned: Canned,
    client: Client,
    orders: Table<Order>,
    versioned: Table<VersionedOrder>,
    order: Order,
    versioned_order: VersionedOrder,
    /// The orders a batch reads and writes: the sample with other order ids.
    batch: Vec<Order>,
}

const ORDERS: &str = "bench-orders";
const VERSIONED: &str = "bench-versioned-orders";
/// The client request token both sides of the transaction send, so their bodies compare.
const TOKEN: &str = "bench-transaction-token";
/// The keys a batch get reads, and the items a batch write puts.
const BATCH_GET: usize = 100;
const BATCH_WRITE: usize = 25;

/// `VersionedOrder`'s non-key attributes, in declaration order (how the mapper's update sets
/// them, and the raw twin does too).
const VERSIONED_ATTRIBUTES: [&str; 17] = [
    "status",
    "createdAt",
    "deliveredAt",
    "email",
    "totalCents",
    "loyaltyPoints",
    "itemCount",
    "priority",
    "taxRate",
    "giftWrap",
    "couponCode",
    "shippingAddress",
    "lines",
    "metadata",
    "tags",
    "signature",
    "version",
];

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

fn order_numbered(i: u128) -> Order {
    Order {
        order_id: uuid::Uuid::from_u128(i),
        ..Order::sample()
    }
}

impl Fixture {
    fn new() -> Fixture {
        let order = Order::sample();
        let versioned_order = VersionedOrder::sample(Some(7));
        let mut updated = versioned_to_item_by_hand(&versioned_order);
        updated.insert("version".into(), n(8));
        let batch: Vec<Order> = (0..BATCH_GET as u128).map(order_numbered).collect();
        let page: Vec<Value> = batch.iter().map(|o| wire(&to_item_by_hand(o))).collect();
        let responses: HashMap<&'static str, Vec<u8>> = HashMap::from([
            ("PutItem", b"{}".to_vec()),
            (
                "GetItem",
                serde_json::to_vec(&json!({ "Item": wire(&to_item_by_hand(&order)) })).unwrap(),
            ),
            (
                "UpdateItem",
                serde_json::to_vec(&json!({ "Attributes": wire(&updated) })).unwrap(),
            ),
            (
                "Query",
                serde_json::to_vec(&json!({ "Items": page, "Count": BATCH_GET, "ScannedCount": BATCH_GET })).unwrap(),
            ),
            ("TransactWriteItems", b"{}".to_vec()),
            (
                "BatchGetItem",
                // The items in another order than the keys, as DynamoDB answers.
                serde_json::to_vec(&json!({
                    "Responses": { ORDERS: page.iter().rev().collect::<Vec<_>>() },
                    "UnprocessedKeys": {}
                }))
                .unwrap(),
            ),
            ("BatchWriteItem", br#"{"UnprocessedItems":{}}"#.to_vec()),
        ]);
        let canned = Canned {
            responses: Arc::new(responses),
            ..Canned::default()
        };
        let client = client(&canned);
        let mapper = Mapper::new(client.clone());
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            orders: mapper.table_named(ORDERS).unwrap(),
            versioned: mapper.table_named(VERSIONED).unwrap(),
            canned,
            client,
            order,
            versioned_order,
            batch,
        }
    }

    fn order_key(order: &Order) -> ItemMap {
        HashMap::from([
            ("customerId".to_owned(), s(&order.customer_id)),
            ("orderId".to_owned(), s(&order.order_id.to_string())),
        ])
    }

    async fn mapper_put(&self) {
        self.orders.put(&self.order).await.unwrap();
    }

    async fn raw_put(&self) {
        self.client
            .put_item()
            .table_name(ORDERS)
            .set_item(Some(to_item_by_hand(&self.order)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await
            .unwrap();
    }

    async fn mapper_versioned_put(&self) {
        self.versioned.put(&self.versioned_order).await.unwrap();
    }

    async fn raw_versioned_put(&self) {
        let read = self.versioned_order.version.unwrap();
        let mut item = versioned_to_item_by_hand(&self.versioned_order);
        item.insert("version".into(), n(read + 1));
        self.client
            .put_item()
            .table_name(VERSIONED)
            .set_item(Some(item))
            .condition_expression("#n0 = :v0")
            .expression_attribute_names("#n0", "version")
            .expression_attribute_values(":v0", n(read))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await
            .unwrap();
    }

    async fn mapper_get(&self) -> Order {
        self.orders
            .get((self.order.customer_id.as_str(), self.order.order_id))
            .await
            .unwrap()
            .unwrap()
    }

    async fn raw_get(&self) -> Order {
        let output = self
            .client
            .get_item()
            .table_name(ORDERS)
            .set_key(Some(Self::order_key(&self.order)))
            .consistent_read(false)
            .send()
            .await
            .unwrap();
        from_item_by_hand(output.item.unwrap()).unwrap()
    }

    async fn mapper_update(&self) -> VersionedOrder {
        self.versioned.update(&self.versioned_order).await.unwrap()
    }

    /// The update of the whole versioned order, as one writes it with a loop: `SET` every
    /// attribute in declaration order (`REMOVE` the absent ones) with the next version, on
    /// condition that the version read is stored.
    /// With `keep`, also what the update is known to write: the key and the values set.
    fn raw_update_request(&self, keep: bool) -> (ItemMap, String, String, HashMap<String, String>, ItemMap, ItemMap) {
        let read = self.versioned_order.version.unwrap();
        let mut item = versioned_to_item_by_hand(&self.versioned_order);
        item.insert("version".into(), n(read + 1));
        let key = HashMap::from([
            ("customerId".to_owned(), item.remove("customerId").unwrap()),
            ("orderId".to_owned(), item.remove("orderId").unwrap()),
        ]);
        let mut written = if keep { key.clone() } else { ItemMap::new() };
        let mut names = HashMap::with_capacity(VERSIONED_ATTRIBUTES.len());
        let mut values = HashMap::with_capacity(VERSIONED_ATTRIBUTES.len() + 1);
        let mut set = Vec::new();
        let mut remove = Vec::new();
        for (i, name) in VERSIONED_ATTRIBUTES.iter().enumerate() {
            let placeholder = format!("#n{i}");
            names.insert(placeholder.clone(), (*name).to_owned());
            match item.remove(*name) {
                Some(value) => {
                    let value_placeholder = format!(":v{}", values.len());
                    set.push(format!("{placeholder} = {value_placeholder}"));
                    if keep {
                        written.insert((*name).to_owned(), value.clone());
                    }
                    values.insert(value_placeholder, value);
                }
                None => remove.push(placeholder),
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let version_name = format!("#n{}", VERSIONED_ATTRIBUTES.len() - 1);
        let read_placeholder = format!(":v{}", values.len());
        values.insert(read_placeholder.clone(), n(read));
        let condition = format!("{version_name} = {read_placeholder}");
        (key, expression, condition, names, values, written)
    }

    async fn raw_update(&self) -> VersionedOrder {
        let (key, expression, condition, names, values, _) = self.raw_update_request(false);
        let output = self
            .client
            .update_item()
            .table_name(VERSIONED)
            .set_key(Some(key))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await
            .unwrap();
        versioned_from_item_by_hand(output.attributes.unwrap()).unwrap()
    }

    async fn mapper_patch(&self) -> VersionedOrder {
        let o = &self.versioned_order;
        let f = VersionedOrder::fields();
        self.versioned
            .patch((o.customer_id.as_str(), o.order_id))
            .set(&f.status, OrderStatus::Delivered)
            .set(&f.total_cents, 19_000)
            .expect_version(7u64)
            .await
            .unwrap()
    }

    async fn raw_patch(&self) -> VersionedOrder {
        let o = &self.versioned_order;
        let key = HashMap::from([
            ("customerId".to_owned(), s(&o.customer_id)),
            ("orderId".to_owned(), s(&o.order_id.to_string())),
        ]);
        let output = self
            .client
            .update_item()
            .table_name(VERSIONED)
            .set_key(Some(key))
            .update_expression("SET #n0 = :v0, #n1 = :v1, #n2 = :v2")
            .condition_expression("#n2 = :v3 AND attribute_exists(#n3)")
            .expression_attribute_names("#n0", "status")
            .expression_attribute_names("#n1", "totalCents")
            .expression_attribute_names("#n2", "version")
            .expression_attribute_names("#n3", "customerId")
            .expression_attribute_values(":v0", s("DELIVERED"))
            .expression_attribute_values(":v1", n(19_000))
            .expression_attribute_values(":v2", n(8))
            .expression_attribute_values(":v3", n(7))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await
            .unwrap();
        versioned_from_item_by_hand(output.attributes.unwrap()).unwrap()
    }

    async fn mapper_query(&self) -> Vec<Order> {
        self.orders
            .query(self.order.customer_id.as_str())
            .page()
            .await
            .unwrap()
            .items
    }

    async fn raw_query(&self) -> Vec<Order> {
        let output = self
            .client
            .query()
            .table_name(ORDERS)
            .key_condition_expression("#n0 = :v0")
            .expression_attribute_names("#n0", "customerId")
            .expression_attribute_values(":v0", s(&self.order.customer_id))
            .scan_index_forward(true)
            .consistent_read(false)
            .send()
            .await
            .unwrap();
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item_by_hand(item).unwrap())
            .collect()
    }

    /// An update of the versioned order and a condition check on the order: what the caller
    /// keeps is what the update is known to have written (the outcome and the update's
    /// handle, which give it by reference; [`Fixture::written`] copies it to compare).
    async fn mapper_transaction(&self) -> (Committed, TxWriteHandle<VersionedOrder>) {
        let mut tx = self.mapper().transact_write();
        let update = tx.update(&self.versioned, &self.versioned_order).handle();
        tx.condition_check(
            &self.orders,
            (self.order.customer_id.as_str(), self.order.order_id),
            Condition::attr("status").eq("SHIPPED"),
        );
        let committed = tx.client_request_token(TOKEN).await.unwrap();
        (committed, update)
    }

    /// The attributes a transaction's update is known to have written.
    fn written((committed, update): &(Committed, TxWriteHandle<VersionedOrder>)) -> ItemMap {
        committed.item_map(*update).unwrap().unwrap().clone()
    }

    async fn raw_transaction(&self) -> ItemMap {
        let (key, expression, condition, names, values, written) = self.raw_update_request(true);
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(VERSIONED)
            .set_key(Some(key))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .unwrap();
        let check = aws_sdk_dynamodb::types::ConditionCheck::builder()
            .table_name(ORDERS)
            .set_key(Some(Self::order_key(&self.order)))
            .condition_expression("#n0 = :v0")
            .expression_attribute_names("#n0", "status")
            .expression_attribute_values(":v0", s("SHIPPED"))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .unwrap();
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(TransactWriteItem::builder().condition_check(check).build())
            .client_request_token(TOKEN)
            .send()
            .await
            .unwrap();
        written
    }

    fn mapper(&self) -> Mapper {
        self.orders.mapper()
    }

    async fn mapper_batch_get(&self) -> Vec<Option<Order>> {
        let keys = self.batch.iter().map(|o| (o.customer_id.as_str(), o.order_id));
        let got = self.orders.get_all(keys).await.unwrap();
        got.items.into_iter().map(Fetched::found).collect()
    }

    /// The keys in one request, refusing a repeated one, and each key's item (or `None`) in
    /// the order of the keys.
    async fn raw_batch_get(&self) -> Vec<Option<Order>> {
        let mut index = HashMap::with_capacity(self.batch.len());
        let mut keys = Vec::with_capacity(self.batch.len());
        for (i, order) in self.batch.iter().enumerate() {
            let id = (order.customer_id.clone(), order.order_id.to_string());
            assert!(index.insert(id, i).is_none(), "a key twice");
            keys.push(Self::order_key(order));
        }
        let request = KeysAndAttributes::builder().set_keys(Some(keys)).build().unwrap();
        let output = self
            .client
            .batch_get_item()
            .request_items(ORDERS, request)
            .send()
            .await
            .unwrap();
        let mut found: Vec<Option<Order>> = (0..self.batch.len()).map(|_| None).collect();
        for item in output.responses.unwrap_or_default().remove(ORDERS).unwrap_or_default() {
            let id = (
                item["customerId"].as_s().unwrap().clone(),
                item["orderId"].as_s().unwrap().clone(),
            );
            let at = index[&id];
            found[at] = Some(from_item_by_hand(item).unwrap());
        }
        found
    }

    async fn mapper_batch_write(&self) -> usize {
        let written = self.orders.put_all(self.batch[..BATCH_WRITE].to_vec()).await.unwrap();
        written.unprocessed.len()
    }

    /// The puts in one request, refusing a repeated key; what DynamoDB left unprocessed is
    /// counted back.
    async fn raw_batch_write(&self) -> usize {
        let orders = self.batch[..BATCH_WRITE].to_vec();
        let mut seen = HashSet::with_capacity(orders.len());
        let mut writes = Vec::with_capacity(orders.len());
        for order in &orders {
            assert!(seen.insert((order.customer_id.clone(), order.order_id)), "a key twice");
            let put = PutRequest::builder()
                .set_item(Some(to_item_by_hand(order)))
                .build()
                .unwrap();
            writes.push(WriteRequest::builder().put_request(put).build());
        }
        let output = self
            .client
            .batch_write_item()
            .request_items(ORDERS, writes)
            .send()
            .await
            .unwrap();
        output
            .unprocessed_items
            .unwrap_or_default()
            .values()
            .map(Vec::len)
            .sum()
    }

    /// The request bodies of one call each way, which must be the same JSON.
    fn same_requests<A, B>(&self, operation: &str, mapper: impl Future<Output = A>, raw: impl Future<Output = B>) {
        self.canned.recording.store(true, Ordering::Relaxed);
        self.runtime.block_on(mapper);
        self.runtime.block_on(raw);
        self.canned.recording.store(false, Ordering::Relaxed);
        let bodies = self.canned.take_recorded();
        assert_eq!(bodies.len(), 2, "{operation}: one request each");
        // The same JSON, and the same bytes up to the order of map keys.
        assert_eq!(
            bodies[0], bodies[1],
            "{operation}: the mapper and the raw SDK send the same request"
        );
    }
}

/// The operations, by criterion name.
const OPERATIONS: [&str; 9] = [
    "put",
    "versioned_put",
    "get",
    "versioned_update",
    "patch",
    "query_100",
    "transaction",
    "batch_get_100",
    "batch_write_25",
];

fn run(fixture: &Fixture, operation: &str, mapper: bool) {
    let f = fixture;
    match (operation, mapper) {
        ("put", true) => f.runtime.block_on(f.mapper_put()),
        ("put", false) => f.runtime.block_on(f.raw_put()),
        ("versioned_put", true) => f.runtime.block_on(f.mapper_versioned_put()),
        ("versioned_put", false) => f.runtime.block_on(f.raw_versioned_put()),
        ("get", true) => drop(black_box(f.runtime.block_on(f.mapper_get()))),
        ("get", false) => drop(black_box(f.runtime.block_on(f.raw_get()))),
        ("versioned_update", true) => drop(black_box(f.runtime.block_on(f.mapper_update()))),
        ("versioned_update", false) => drop(black_box(f.runtime.block_on(f.raw_update()))),
        ("patch", true) => drop(black_box(f.runtime.block_on(f.mapper_patch()))),
        ("patch", false) => drop(black_box(f.runtime.block_on(f.raw_patch()))),
        ("query_100", true) => drop(black_box(f.runtime.block_on(f.mapper_query()))),
        ("query_100", false) => drop(black_box(f.runtime.block_on(f.raw_query()))),
        ("transaction", true) => drop(black_box(f.runtime.block_on(f.mapper_transaction()))),
        ("transaction", false) => drop(black_box(f.runtime.block_on(f.raw_transaction()))),
        ("batch_get_100", true) => drop(black_box(f.runtime.block_on(f.mapper_batch_get()))),
        ("batch_get_100", false) => drop(black_box(f.runtime.block_on(f.raw_batch_get()))),
        ("batch_write_25", true) => drop(black_box(f.runtime.block_on(f.mapper_batch_write()))),
        ("batch_write_25", false) => drop(black_box(f.runtime.block_on(f.raw_batch_write()))),
        _ => unreachable!("{operation}"),
    }
}

fn allocations(fixture: &Fixture, operation: &str, mapper: bool) -> usize {
    run(fixture, operation, mapper); // warm
    let before = bench_support::allocations();
    run(fixture, operation, mapper);
    bench_support::allocations() - before
}

/// The ratio mapper ÷ raw measured in pairs (see [`bench_support::paired_ratio`]).
fn paired_ratio(fixture: &Fixture, operation: &str, iterations: usize) -> f64 {
    bench_support::paired_ratio(
        iterations,
        || run(fixture, operation, true),
        || run(fixture, operation, false),
    )
}

/// The raw side's time for one call, in nanoseconds, from a short run.
fn time_once(fixture: &Fixture, operation: &str) -> f64 {
    run(fixture, operation, false);
    let start = Instant::now();
    for _ in 0..20 {
        run(fixture, operation, false);
    }
    start.elapsed().as_nanos() as f64 / 20.0
}

/// Each pair sends the same requests and reads the same values.
fn check_pairs(f: &Fixture) {
    f.same_requests("put", f.mapper_put(), f.raw_put());
    f.same_requests("versioned_put", f.mapper_versioned_put(), f.raw_versioned_put());
    f.same_requests("get", f.mapper_get(), f.raw_get());
    f.same_requests("versioned_update", f.mapper_update(), f.raw_update());
    f.same_requests("patch", f.mapper_patch(), f.raw_patch());
    f.same_requests("query_100", f.mapper_query(), f.raw_query());
    f.same_requests("transaction", f.mapper_transaction(), f.raw_transaction());
    f.same_requests("batch_get_100", f.mapper_batch_get(), f.raw_batch_get());
    f.same_requests("batch_write_25", f.mapper_batch_write(), f.raw_batch_write());
    let rt = &f.runtime;
    assert_eq!(rt.block_on(f.mapper_get()), rt.block_on(f.raw_get()));
    assert_eq!(rt.block_on(f.mapper_update()), rt.block_on(f.raw_update()));
    assert_eq!(rt.block_on(f.mapper_patch()), rt.block_on(f.raw_patch()));
    assert_eq!(rt.block_on(f.mapper_query()), rt.block_on(f.raw_query()));
    assert_eq!(
        Fixture::written(&rt.block_on(f.mapper_transaction())),
        rt.block_on(f.raw_transaction())
    );
    let got = rt.block_on(f.mapper_batch_get());
    assert!(got.iter().all(Option::is_some));
    assert_eq!(got, rt.block_on(f.raw_batch_get()));
    assert_eq!(rt.block_on(f.mapper_batch_write()), rt.block_on(f.raw_batch_write()));
}

/// Set in a process [`across_processes`] starts: it prints one machine-read line per operation.
const CHILD: &str = "OPERATIONS_CHILD";

/// Iterations of one side in a block of about 10 ms.
fn paired_iterations(raw_time_ns: f64) -> usize {
    (1e7 / raw_time_ns).clamp(1.0, 2000.0) as usize
}

/// The paired ratios measured in `count` processes, one after another, with each operation's
/// median: every process places its heap and stack anew, which moves a ratio by a few
/// hundredths, so one process is not a measurement.
fn across_processes(count: usize) {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let mut measured: Vec<(Vec<f64>, String)> = vec![(Vec::new(), String::new()); OPERATIONS.len()];
    for run in 1..=count {
        eprintln!("process {run} of {count}");
        let output = std::process::Command::new(&exe)
            .args(std::env::args_os().skip(1))
            .env("OPERATIONS_PAIRED", "1")
            .env(CHILD, "1")
            .env_remove("OPERATIONS_PROCESSES")
            .output()
            .expect("the benchmark runs itself");
        assert!(
            output.status.success(),
            "process {run} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [CHILD, operation, ratio, mapper, raw] = fields[..] else {
                continue;
            };
            let at = OPERATIONS
                .iter()
                .position(|o| *o == operation)
                .expect("a known operation");
            measured[at].0.push(ratio.parse().expect("a ratio"));
            measured[at].1 = format!("{mapper} / {raw}");
        }
    }
    println!();
    println!("paired ratio mapper ÷ raw in {count} processes, and the allocations of one call (mapper / raw)");
    for (operation, (mut ratios, allocations)) in OPERATIONS.into_iter().zip(measured) {
        assert_eq!(ratios.len(), count, "{operation}: a ratio from every process");
        let runs: Vec<String> = ratios.iter().map(|r| format!("{r:.3}")).collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "{operation:<18} {}   median {:.3}x   {allocations}",
            runs.join(" "),
            ratios[ratios.len() / 2]
        );
    }
}

fn main() {
    // `OPERATIONS_PROCESSES=5`: the paired ratios measured in that many processes.
    if let Some(count) = std::env::var("OPERATIONS_PROCESSES").ok().and_then(|n| n.parse().ok()) {
        across_processes(count);
        return;
    }
    let fixture = Fixture::new();
    check_pairs(&fixture);
    // `OPERATIONS_PROFILE=patch:mapper` (or `:raw`) only runs that side, 500 times or
    // `OPERATIONS_PROFILE_RUNS`, for a profiler (`perf record`, `valgrind --tool=callgrind`).
    if let Ok(profile) = std::env::var("OPERATIONS_PROFILE") {
        let (operation, side) = profile.split_once(':').expect("operation:mapper or operation:raw");
        let runs: u32 = std::env::var("OPERATIONS_PROFILE_RUNS").map_or(500, |n| n.parse().expect("a number"));
        for _ in 0..runs {
            run(&fixture, operation, side == "mapper");
        }
        return;
    }

    // `OPERATIONS_PAIRED=1` skips criterion: only the paired ratios and the allocations, for
    // a quick look while working on the mapper.
    let paired_only = std::env::var_os("OPERATIONS_PAIRED").is_some();
    if paired_only && std::env::var_os(CHILD).is_some() {
        for operation in OPERATIONS {
            let iterations = paired_iterations(time_once(&fixture, operation));
            println!(
                "{CHILD} {operation} {} {} {}",
                paired_ratio(&fixture, operation, iterations),
                allocations(&fixture, operation, true),
                allocations(&fixture, operation, false)
            );
        }
        return;
    }
    let started = SystemTime::now();
    let mut criterion = Criterion::default().configure_from_args();
    for operation in OPERATIONS.into_iter().filter(|_| !paired_only) {
        let mut group = criterion.benchmark_group(operation);
        group.bench_function("mapper", |b| b.iter(|| run(&fixture, operation, true)));
        group.bench_function("raw_sdk", |b| b.iter(|| run(&fixture, operation, false)));
        group.finish();
    }
    criterion.final_summary();

    println!();
    println!(
        "{:<18} {:>12} {:>12} {:>8} {:>8} {:>14} {:>14}",
        "operation", "mapper", "raw SDK", "ratio", "paired", "mapper allocs", "raw allocs"
    );
    for operation in OPERATIONS {
        // In the paired-only mode criterion did not run: the medians it stored predate `started`,
        // and are not used.
        let median = |side| criterion_median(operation, side, started);
        let (mapper, raw) = (median("mapper"), median("raw_sdk"));
        let shown = |ns: Option<f64>| ns.map_or("-".to_owned(), |ns| format!("{:.1} µs", ns / 1000.0));
        let ratio = match (mapper, raw) {
            (Some(m), Some(r)) => format!("{:.3}x", m / r),
            _ => "-".to_owned(),
        };
        let raw_time = raw.unwrap_or_else(|| time_once(&fixture, operation));
        let paired = format!("{:.3}x", paired_ratio(&fixture, operation, paired_iterations(raw_time)));
        println!(
            "{:<18} {:>12} {:>12} {:>8} {:>8} {:>14} {:>14}",
            operation,
            shown(mapper),
            shown(raw),
            ratio,
            paired,
            allocations(&fixture, operation, true),
            allocations(&fixture, operation, false)
        );
    }
}
