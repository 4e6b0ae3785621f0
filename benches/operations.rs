//! The mapper's own overhead per operation: put, get, update and a 100-item query page through
//! the mapper, against the same requests built and decoded by hand with the raw SDK. Both send
//! to an HTTP client that answers at once with a canned response, so no network or server is
//! measured; before timing, each pair's request bodies are checked to be the same JSON.
//!
//! After criterion's groups, a summary prints each operation's median time for both sides,
//! the ratio mapper ÷ raw of those medians, the same ratio measured in interleaved pairs
//! (which cancels the drift of a shared machine between the two groups), and the allocations
//! of one call of each.
//!
//! ```text
//! cargo bench --bench operations
//! ```

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::{HttpRequest, HttpResponse};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use criterion::Criterion;
use dynamodb_mapper::{Item, Mapper, Table};
use dynamodb_mapper_workspace::bench_support::{self, CountingAllocator, criterion_median};
use dynamodb_mapper_workspace::fixtures::{Order, from_item_by_hand, to_item_by_hand};
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
    fn take_recorded(&self) -> Vec<Value> {
        let bodies = std::mem::take(&mut *self.recorded.lock().unwrap());
        bodies
            .iter()
            .map(|b| serde_json::from_slice(b).expect("a JSON request"))
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
// A versioned item, with its conversion by hand.

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "bench-tickets", rename_all = "camelCase")]
struct Ticket {
    #[partition_key]
    project: String,
    #[sort_key]
    number: u64,
    title: String,
    status: String,
    assignee: Option<String>,
    priority: u8,
    points: i32,
    labels: Vec<String>,
    created_at: DateTime<Utc>,
    updated_by: String,
    description: String,
    archived: bool,
    #[version]
    version: Option<u64>,
}

impl Ticket {
    fn sample() -> Ticket {
        Ticket {
            project: "PROJ-platform".into(),
            number: 4711,
            title: "Retry unprocessed items with jittered backoff".into(),
            status: "IN_PROGRESS".into(),
            assignee: Some("ana.silva".into()),
            priority: 2,
            points: 5,
            labels: vec!["backend".into(), "dynamodb".into(), "reliability".into()],
            created_at: Utc.with_ymd_and_hms(2024, 5, 17, 14, 32, 9).unwrap(),
            updated_by: "rui.costa".into(),
            description: "Batch writes drop items DynamoDB returns as unprocessed.".into(),
            archived: false,
            version: Some(7),
        }
    }
}

/// The names of `Ticket`'s non-key attributes, in declaration order.
const TICKET_ATTRIBUTES: [&str; 11] = [
    "title",
    "status",
    "assignee",
    "priority",
    "points",
    "labels",
    "createdAt",
    "updatedBy",
    "description",
    "archived",
    "version",
];

fn ticket_to_item_by_hand(t: &Ticket) -> ItemMap {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let mut item = HashMap::with_capacity(13);
    item.insert("project".to_owned(), s(&t.project));
    item.insert("number".to_owned(), AttributeValue::N(t.number.to_string()));
    item.insert("title".to_owned(), s(&t.title));
    item.insert("status".to_owned(), s(&t.status));
    if let Some(assignee) = &t.assignee {
        item.insert("assignee".to_owned(), s(assignee));
    }
    item.insert("priority".to_owned(), AttributeValue::N(t.priority.to_string()));
    item.insert("points".to_owned(), AttributeValue::N(t.points.to_string()));
    item.insert(
        "labels".to_owned(),
        AttributeValue::L(t.labels.iter().map(|l| s(l)).collect()),
    );
    item.insert(
        "createdAt".to_owned(),
        s(&t.created_at.to_rfc3339_opts(SecondsFormat::Nanos, true)),
    );
    item.insert("updatedBy".to_owned(), s(&t.updated_by));
    item.insert("description".to_owned(), s(&t.description));
    item.insert("archived".to_owned(), AttributeValue::Bool(t.archived));
    if let Some(version) = t.version {
        item.insert("version".to_owned(), AttributeValue::N(version.to_string()));
    }
    item
}

fn ticket_from_item_by_hand(mut item: ItemMap) -> Ticket {
    let mut take = |name: &str| item.remove(name);
    let s = |v: Option<AttributeValue>| match v {
        Some(AttributeValue::S(s)) => s,
        other => panic!("not a string: {other:?}"),
    };
    let n = |v: Option<AttributeValue>| match v {
        Some(AttributeValue::N(n)) => n,
        other => panic!("not a number: {other:?}"),
    };
    Ticket {
        project: s(take("project")),
        number: n(take("number")).parse().unwrap(),
        title: s(take("title")),
        status: s(take("status")),
        assignee: take("assignee").map(|v| s(Some(v))),
        priority: n(take("priority")).parse().unwrap(),
        points: n(take("points")).parse().unwrap(),
        labels: match take("labels") {
            Some(AttributeValue::L(l)) => l.into_iter().map(|v| s(Some(v))).collect(),
            other => panic!("not a list: {other:?}"),
        },
        created_at: DateTime::parse_from_rfc3339(&s(take("createdAt")))
            .unwrap()
            .with_timezone(&Utc),
        updated_by: s(take("updatedBy")),
        description: s(take("description")),
        archived: matches!(take("archived"), Some(AttributeValue::Bool(true))),
        version: take("version").map(|v| n(Some(v)).parse().unwrap()),
    }
}

// ---------------------------------------------------------------------------------------------
// The operations, both ways.

struct Fixture {
    runtime: tokio::runtime::Runtime,
    canned: Canned,
    client: Client,
    orders: Table<Order>,
    tickets: Table<Ticket>,
    order: Order,
    ticket: Ticket,
}

const ORDERS: &str = "bench-orders";
const TICKETS: &str = "bench-tickets";

impl Fixture {
    fn new() -> Fixture {
        let order = Order::sample();
        let ticket = Ticket::sample();
        let mut updated = ticket_to_item_by_hand(&ticket);
        updated.insert("version".into(), AttributeValue::N("8".into()));
        let page: Vec<Value> = (0..100u128)
            .map(|i| {
                let mut item = to_item_by_hand(&order);
                item.insert(
                    "orderId".into(),
                    AttributeValue::S(uuid::Uuid::from_u128(i).to_string()),
                );
                wire(&item)
            })
            .collect();
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
                serde_json::to_vec(&json!({ "Items": page, "Count": 100, "ScannedCount": 100 })).unwrap(),
            ),
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
            tickets: mapper.table_named(TICKETS).unwrap(),
            canned,
            client,
            order,
            ticket,
        }
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
        self.tickets.put(&self.ticket).await.unwrap();
    }

    async fn raw_versioned_put(&self) {
        let read = self.ticket.version.unwrap();
        let mut item = ticket_to_item_by_hand(&self.ticket);
        item.insert("version".into(), AttributeValue::N((read + 1).to_string()));
        self.client
            .put_item()
            .table_name(TICKETS)
            .set_item(Some(item))
            .condition_expression("#n0 = :v0")
            .expression_attribute_names("#n0", "version")
            .expression_attribute_values(":v0", AttributeValue::N(read.to_string()))
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
            .key("customerId", AttributeValue::S(self.order.customer_id.clone()))
            .key("orderId", AttributeValue::S(self.order.order_id.to_string()))
            .consistent_read(false)
            .send()
            .await
            .unwrap();
        from_item_by_hand(output.item.unwrap()).unwrap()
    }

    async fn mapper_update(&self) -> Ticket {
        self.tickets.update(&self.ticket).await.unwrap()
    }

    async fn raw_update(&self) -> Ticket {
        let read = self.ticket.version.unwrap();
        let mut item = ticket_to_item_by_hand(&self.ticket);
        item.insert("version".into(), AttributeValue::N((read + 1).to_string()));
        let key = HashMap::from([
            ("project".to_owned(), item.remove("project").unwrap()),
            ("number".to_owned(), item.remove("number").unwrap()),
        ]);
        // SET every attribute in declaration order (REMOVE the absent ones), then the
        // version's condition, as one writes it with a loop.
        let mut names = HashMap::with_capacity(TICKET_ATTRIBUTES.len());
        let mut values = HashMap::with_capacity(TICKET_ATTRIBUTES.len() + 1);
        let mut set = Vec::new();
        let mut remove = Vec::new();
        for (i, name) in TICKET_ATTRIBUTES.iter().enumerate() {
            let placeholder = format!("#n{i}");
            names.insert(placeholder.clone(), (*name).to_owned());
            match item.remove(*name) {
                Some(value) => {
                    let value_placeholder = format!(":v{}", values.len());
                    set.push(format!("{placeholder} = {value_placeholder}"));
                    values.insert(value_placeholder, value);
                }
                None => remove.push(placeholder),
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let version_name = format!("#n{}", TICKET_ATTRIBUTES.len() - 1);
        let read_placeholder = format!(":v{}", values.len());
        values.insert(read_placeholder.clone(), AttributeValue::N(read.to_string()));
        let output = self
            .client
            .update_item()
            .table_name(TICKETS)
            .set_key(Some(key))
            .update_expression(expression)
            .condition_expression(format!("{version_name} = {read_placeholder}"))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await
            .unwrap();
        ticket_from_item_by_hand(output.attributes.unwrap())
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
            .expression_attribute_values(":v0", AttributeValue::S(self.order.customer_id.clone()))
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

    /// The request bodies of one call each way, which must be the same JSON.
    fn same_requests<A, B>(&self, operation: &str, mapper: impl Future<Output = A>, raw: impl Future<Output = B>) {
        self.canned.recording.store(true, Ordering::Relaxed);
        self.runtime.block_on(mapper);
        self.runtime.block_on(raw);
        self.canned.recording.store(false, Ordering::Relaxed);
        let bodies = self.canned.take_recorded();
        assert_eq!(bodies.len(), 2, "{operation}: one request each");
        assert_eq!(
            bodies[0], bodies[1],
            "{operation}: the mapper and the raw SDK send the same request"
        );
    }
}

/// The operations: criterion name, then mapper and raw calls.
const OPERATIONS: [&str; 5] = ["put", "versioned_put", "get", "versioned_update", "query_100"];

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
        ("query_100", true) => drop(black_box(f.runtime.block_on(f.mapper_query()))),
        ("query_100", false) => drop(black_box(f.runtime.block_on(f.raw_query()))),
        _ => unreachable!("{operation}"),
    }
}

fn allocations(fixture: &Fixture, operation: &str, mapper: bool) -> usize {
    run(fixture, operation, mapper); // warm
    let before = bench_support::allocations();
    run(fixture, operation, mapper);
    bench_support::allocations() - before
}

/// The ratio mapper ÷ raw measured in pairs: 21 blocks, each timing `iterations` calls of
/// one side then of the other (the order alternating), and the median of the blocks'
/// ratios. Drift in the machine's speed (other tenants, frequency) touches both sides of a
/// block alike, where criterion's two groups run minutes apart.
fn paired_ratio(fixture: &Fixture, operation: &str, iterations: u32) -> f64 {
    let time = |mapper: bool| {
        let start = Instant::now();
        for _ in 0..iterations {
            run(fixture, operation, mapper);
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..21)
        .map(|block| {
            if block % 2 == 0 {
                let mapper = time(true);
                mapper / time(false)
            } else {
                let raw = time(false);
                time(true) / raw
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn main() {
    let fixture = Fixture::new();
    // The pairs send the same requests and read the same values.
    fixture.same_requests("put", fixture.mapper_put(), fixture.raw_put());
    fixture.same_requests(
        "versioned_put",
        fixture.mapper_versioned_put(),
        fixture.raw_versioned_put(),
    );
    fixture.same_requests("get", fixture.mapper_get(), fixture.raw_get());
    fixture.same_requests("versioned_update", fixture.mapper_update(), fixture.raw_update());
    fixture.same_requests("query_100", fixture.mapper_query(), fixture.raw_query());
    assert_eq!(
        fixture.runtime.block_on(fixture.mapper_get()),
        fixture.runtime.block_on(fixture.raw_get())
    );
    assert_eq!(
        fixture.runtime.block_on(fixture.mapper_update()),
        fixture.runtime.block_on(fixture.raw_update())
    );
    assert_eq!(
        fixture.runtime.block_on(fixture.mapper_query()),
        fixture.runtime.block_on(fixture.raw_query())
    );

    let mut criterion = Criterion::default().configure_from_args();
    for operation in OPERATIONS {
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
        let (mapper, raw) = (
            criterion_median(operation, "mapper"),
            criterion_median(operation, "raw_sdk"),
        );
        let shown = |ns: Option<f64>| ns.map_or("-".to_owned(), |ns| format!("{:.1} µs", ns / 1000.0));
        let (ratio, paired) = match (mapper, raw) {
            (Some(m), Some(r)) => {
                // Blocks of about 5 ms.
                let iterations = (5e6 / r).clamp(1.0, 1000.0) as u32;
                (
                    format!("{:.3}x", m / r),
                    format!("{:.3}x", paired_ratio(&fixture, operation, iterations)),
                )
            }
            _ => ("-".to_owned(), "-".to_owned()),
        };
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
