//! Every request runs in a `tracing` span naming the table and the operation, with the
//! consumed capacity when the mapper asks for it; a batch's requests run inside a span per
//! round.
//!
//! This binary installs a global subscriber that listens to every span. It is a binary of
//! its own so that no other test runs with a subscriber: a span's fields are evaluated only
//! when one listens, and the logic must not depend on it (see `batch_rounds.rs`). Tests find
//! their own spans by table name, as they run in parallel.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use dynamodb_mapper::{Item, Mapper};
use dynamodb_mapper_workspace::local;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One span: its id, name, parent and fields (including those recorded later).
#[derive(Debug, Clone)]
struct Recorded {
    id: u64,
    name: String,
    parent: Option<u64>,
    fields: HashMap<String, String>,
}

/// Records every span of the process. Installed as the global subscriber: a per-thread one can
/// miss spans whose call sites another test's thread registered first.
#[derive(Clone, Default)]
struct Spans {
    next: Arc<AtomicU64>,
    spans: Arc<Mutex<Vec<Recorded>>>,
}

thread_local! {
    /// The spans entered on this thread, innermost last.
    static ENTERED: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn recorded_spans() -> &'static Spans {
    static SPANS: OnceLock<Spans> = OnceLock::new();
    SPANS.get_or_init(|| {
        let spans = Spans::default();
        tracing::subscriber::set_global_default(spans.clone()).expect("the only global subscriber");
        spans
    })
}

impl Spans {
    /// The spans whose `table` field is `table`, and every span that is their parent.
    fn of_table(&self, table: &str) -> Vec<Recorded> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.fields.get("table").map(String::as_str) == Some(table) || s.name != "dynamodb")
            .cloned()
            .collect()
    }
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Spans {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = HashMap::new();
        span.record(&mut Fields(&mut fields));
        let parent = match span.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if span.is_contextual() => ENTERED.with(|e| e.borrow().last().copied()),
            None => None,
        };
        self.spans.lock().unwrap().push(Recorded {
            id,
            name: span.metadata().name().to_owned(),
            parent,
            fields,
        });
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        if let Some(recorded) = spans.iter_mut().find(|s| s.id == span.into_u64()) {
            values.record(&mut Fields(&mut recorded.fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, span: &Id) {
        ENTERED.with(|e| e.borrow_mut().push(span.into_u64()));
    }
    fn exit(&self, span: &Id) {
        ENTERED.with(|e| {
            let mut entered = e.borrow_mut();
            if let Some(at) = entered.iter().rposition(|id| *id == span.into_u64()) {
                entered.remove(at);
            }
        });
    }
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Thing {
    #[partition_key]
    id: String,
    size: u32,
}

#[tokio::test(flavor = "current_thread")]
async fn each_request_has_a_span_with_table_operation_and_capacity() {
    let spans = recorded_spans();
    let mapper = Mapper::builder(local::client()).consumed_capacity(true).build();
    let things = mapper
        .table_named::<Thing>(&local::unique_table_name("things"))
        .unwrap();
    things.create_table().await.unwrap();
    things
        .put(&Thing {
            id: "a".into(),
            size: 1,
        })
        .await
        .unwrap();
    things.get("a").consistent_read().await.unwrap();
    things.query("a").consistent_read().all().await.unwrap();

    let recorded: Vec<Recorded> = spans
        .of_table(things.name())
        .into_iter()
        .filter(|s| s.name == "dynamodb")
        .collect();
    let mut operations: Vec<&str> = recorded.iter().map(|s| s.fields["operation"].as_str()).collect();
    // CreateTable waits for the table with DescribeTable, each in a span of its own.
    let waits = operations.iter().filter(|o| **o == "DescribeTable").count();
    assert!(waits >= 1, "{operations:?}");
    operations.retain(|o| *o != "DescribeTable");
    assert_eq!(operations, ["CreateTable", "PutItem", "GetItem", "Query"]);
    // The capacity DynamoDB reported for the read.
    let get = recorded
        .iter()
        .find(|s| s.fields["operation"] == "GetItem")
        .expect("a GetItem span");
    let capacity: f64 = get.fields.get("consumed_capacity").expect("recorded").parse().unwrap();
    assert!(capacity > 0.0, "{capacity}");
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Reading {
    #[partition_key]
    stream: String,
    #[sort_key]
    seq: u32,
}

#[tokio::test(flavor = "current_thread")]
async fn each_batch_request_has_a_span_inside_its_round() {
    let spans = recorded_spans();
    let mapper = Mapper::new(local::client());
    let events = local::new_table::<Reading>(&mapper, "events").await;
    let given = (0..60).map(|seq| Reading {
        stream: "t".into(),
        seq,
    });
    let written = events.put_all(given).await.unwrap();
    assert!(written.unprocessed.is_empty());
    assert_eq!(written.rounds, 1);
    let recorded = spans.of_table(events.name());
    let requests: Vec<&Recorded> = recorded
        .iter()
        .filter(|s| s.name == "dynamodb" && s.fields.get("operation").map(String::as_str) == Some("BatchWriteItem"))
        .collect();
    assert_eq!(requests.len(), 3);
    let parents: HashSet<u64> = requests.iter().map(|s| s.parent.expect("a parent")).collect();
    assert_eq!(parents.len(), 1, "one round");
    let parent = parents.into_iter().next().unwrap();
    let round = recorded.iter().find(|s| s.id == parent).unwrap();
    assert_eq!(round.name, "dynamodb_batch_round");
    let field = |name: &str| round.fields.get(name).map(String::as_str);
    assert_eq!(
        (field("round"), field("pending"), field("left")),
        (Some("1"), Some("60"), Some("0"))
    );
}
