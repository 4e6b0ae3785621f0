//! Every request runs in a `tracing` span naming the table and the operation, with the
//! consumed capacity when the mapper asks for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use dynamodb_mapper::{Item, Mapper};
use dynamodb_mapper_workspace::local;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span's id and its fields.
type Recorded = (u64, HashMap<String, String>);

/// The fields of every span named `dynamodb`, in creation order.
#[derive(Clone, Default)]
struct Spans {
    next: Arc<AtomicU64>,
    spans: Arc<Mutex<Vec<Recorded>>>,
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
        if span.metadata().name() == "dynamodb" {
            let mut fields = HashMap::new();
            span.record(&mut Fields(&mut fields));
            self.spans.lock().unwrap().push((id, fields));
        }
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        if let Some((_, fields)) = spans.iter_mut().find(|(id, _)| *id == span.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[derive(Item, Debug, Clone, PartialEq)]
struct Thing {
    #[partition_key]
    id: String,
    size: u32,
}

#[tokio::test]
async fn each_request_has_a_span_with_table_operation_and_capacity() {
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(spans.clone());
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
    things.get("a").await.unwrap();
    things.query("a").all().await.unwrap();

    let recorded = spans.spans.lock().unwrap().clone();
    let mut operations: Vec<&str> = recorded.iter().map(|(_, f)| f["operation"].as_str()).collect();
    // CreateTable waits for the table with DescribeTable, each in a span of its own.
    let waits = operations.iter().filter(|o| **o == "DescribeTable").count();
    assert!(waits >= 1, "{operations:?}");
    operations.retain(|o| *o != "DescribeTable");
    assert_eq!(operations, ["CreateTable", "PutItem", "GetItem", "Query"]);
    assert!(recorded.iter().all(|(_, f)| f["table"] == things.name()));
    // The capacity DynamoDB reported for the read.
    let get = &recorded
        .iter()
        .find(|(_, f)| f["operation"] == "GetItem")
        .expect("a GetItem span")
        .1;
    let capacity: f64 = get.get("consumed_capacity").expect("recorded").parse().unwrap();
    assert!(capacity > 0.0, "{capacity}");
}
