//! A products table with a `NEW_AND_OLD_IMAGES` stream, and a consumer acting on each change.
//!
//! The service adds, changes and deletes products; the consumer reads the table's stream
//! through the mapper's reader (`table.changes(&streams)`), prints each change, typed, saves a
//! checkpoint and resumes from it. The same `Change<Product>`s come
//! from a Lambda event (`examples/data/products_stream_event.json`, in the format AWS
//! documents), handled by a function that refuses one record: its partial-batch response
//! names that record, so that Lambda delivers it (and those after it) again.
//!
//! Runs against whatever endpoints the AWS configuration gives; locally:
//!
//! ```sh
//! scripts/with-local-dynamodb cargo run --example stream_consumer
//! ```

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event;
use aws_sdk_dynamodb::types::StreamViewType;
use dynamodb_mapper::stream::{Change, ChangeDecoder, ChangeKind, Checkpoint, StartAt};
use dynamodb_mapper::{Item, Mapper, Table};
use futures::StreamExt;

/// The seed's product: `PK` `Product#<uuid>`, `SK` `User#Product`.
#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "Product")]
struct Product {
    #[partition_key]
    #[attribute(rename = "PK")]
    pk: String,
    #[sort_key]
    #[attribute(rename = "SK")]
    sk: String,
    name: String,
    price: u32,
    category: String,
}

fn new_product(name: &str, price: u32, category: &str) -> Product {
    Product {
        pk: format!("Product#{}", uuid::Uuid::new_v4()),
        sk: "User#Product".into(),
        name: name.into(),
        price,
        category: category.into(),
    }
}

/// What the consumer saw of one change: its kind, and the price before and after.
type Seen = (ChangeKind, Option<u32>, Option<u32>);

fn describe(change: &Change<Product>) -> String {
    let (pk, _) = &change.key;
    match (change.kind, &change.old, &change.new) {
        (ChangeKind::Insert, _, Some(new)) => format!("INSERT {pk}: {} at {} ({})", new.name, new.price, new.category),
        (ChangeKind::Modify, Some(old), Some(new)) => format!(
            "MODIFY {pk}: {} at {} ({}) -> {} at {} ({})",
            old.name, old.price, old.category, new.name, new.price, new.category
        ),
        (ChangeKind::Remove, Some(old), _) => format!("REMOVE {pk}: {} was {}", old.name, old.price),
        (kind, _, _) => format!("{kind} {pk}: images missing"),
    }
}

/// The next `count` changes of the table's stream through the reader: from `checkpoint`, or
/// from the oldest record of every shard. Returns them, and the checkpoint after the last one
/// (what a consumer saves once it has acted on them).
async fn read_changes(
    table: &Table<Product>,
    streams: &aws_sdk_dynamodbstreams::Client,
    checkpoint: Option<Checkpoint>,
    count: usize,
) -> Result<(Vec<Change<Product>>, Checkpoint), Box<dyn std::error::Error>> {
    let reader = table.changes(streams).idle_delay(Duration::from_millis(50));
    let reader = match checkpoint {
        Some(checkpoint) => reader.from_checkpoint(checkpoint),
        None => reader.start_at(StartAt::Oldest),
    };
    let mut stream = reader.stream();
    let mut changes = Vec::new();
    while changes.len() < count {
        // The reader waits for new records while the table's shards are open: bound the wait.
        match tokio::time::timeout(Duration::from_secs(30), stream.next()).await? {
            Some(change) => changes.push(change?),
            None => break,
        }
    }
    Ok((changes, stream.checkpoint().clone()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mapper = Mapper::new(aws_sdk_dynamodb::Client::new(&config));
    let streams = aws_sdk_dynamodbstreams::Client::new(&config);
    let products: Table<Product> = mapper.table_named(&format!("Product-{}", uuid::Uuid::new_v4()))?;
    products.create_table().stream(StreamViewType::NewAndOldImages).await?;

    // The service: adds three products, changes two, deletes one.
    let mut lamp = new_product("my product", 10, "furniture");
    let mut chair = new_product("chair", 25, "furniture");
    let desk = new_product("desk", 90, "office");
    for product in [&lamp, &chair, &desk] {
        products.put(product).await?;
    }
    lamp.price = 12;
    products.put(&lamp).await?;
    chair.category = "outdoor".into();
    products.put(&chair).await?;
    products.delete_item(&desk).await?;

    // The consumer: the table's stream through the reader, typed. It acts on four changes,
    // saves its checkpoint (as JSON, where a service would keep it), stops, and later resumes
    // from the checkpoint: the last two changes arrive, and none of the first four again.
    println!("-- the table's stream, read through the reader");
    let (mut changes, checkpoint) = read_changes(&products, &streams, None, 4).await?;
    for change in &changes {
        println!("{} #{}", describe(change), change.sequence_number);
    }
    let saved = serde_json::to_string(&checkpoint)?;
    println!("-- checkpoint saved: {saved}");
    let restored: Checkpoint = serde_json::from_str(&saved)?;
    let (rest, _) = read_changes(&products, &streams, Some(restored), 2).await?;
    for change in &rest {
        println!("{} #{} (after resuming)", describe(change), change.sequence_number);
    }
    assert_eq!(rest.len(), 2, "the two changes after the checkpoint");
    changes.extend(rest);

    // Every change seen once, in order per item.
    let mut per_item: HashMap<&str, Vec<Seen>> = HashMap::new();
    let mut last_sequence: HashMap<&str, u128> = HashMap::new();
    for change in &changes {
        let pk = change.key.0.as_str();
        let sequence: u128 = change.sequence_number.parse()?;
        let previous = last_sequence.insert(pk, sequence);
        assert!(previous.is_none_or(|p| p < sequence), "changes of {pk} out of order");
        let price = |p: &Option<Product>| p.as_ref().map(|p| p.price);
        per_item
            .entry(pk)
            .or_default()
            .push((change.kind, price(&change.old), price(&change.new)));
    }
    let event_ids: HashSet<&str> = changes.iter().map(|c| c.event_id.as_str()).collect();
    assert_eq!(event_ids.len(), changes.len(), "a change seen twice");
    assert_eq!(changes.len(), 6, "three inserts, two changes, one delete");
    assert_eq!(
        per_item[lamp.pk.as_str()],
        [
            (ChangeKind::Insert, None, Some(10)),
            (ChangeKind::Modify, Some(10), Some(12))
        ]
    );
    assert_eq!(
        per_item[chair.pk.as_str()],
        [
            (ChangeKind::Insert, None, Some(25)),
            (ChangeKind::Modify, Some(25), Some(25))
        ]
    );
    assert_eq!(
        per_item[desk.pk.as_str()],
        [
            (ChangeKind::Insert, None, Some(90)),
            (ChangeKind::Remove, Some(90), None)
        ]
    );
    let chair_now = changes
        .iter()
        .rev()
        .find(|c| c.key.0 == chair.pk)
        .and_then(|c| c.new.clone());
    assert_eq!(chair_now.as_ref(), Some(&chair));

    // The same records as a Lambda function receives them.
    println!("-- a Lambda event");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/products_stream_event.json"
    ))?;
    let event: Event = serde_json::from_str(&text)?;
    let decoder = ChangeDecoder::new(&products);
    let lambda_changes: Vec<Change<Product>> = decoder.decode_event(&event).into_iter().collect::<Result<_, _>>()?;
    for change in &lambda_changes {
        println!("{} #{}", describe(change), change.sequence_number);
    }
    let kinds: Vec<ChangeKind> = lambda_changes.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Remove]);
    assert_eq!(lambda_changes[1].new.as_ref().map(|p| p.price), Some(12));

    // A handler that refuses price rises: the partial-batch response names that record, and
    // the record after it is not handled now (Lambda delivers both again).
    let mut handled = Vec::new();
    let outcome = decoder
        .handle_event(&event, |change| {
            let result = change
                .map_err(|e| e.to_string())
                .and_then(|change| match (&change.old, &change.new) {
                    (Some(old), Some(new)) if new.price > old.price => Err(format!("{} may not cost more", new.name)),
                    _ => {
                        handled.push(change.sequence_number.clone());
                        Ok(())
                    }
                });
            async move { result }
        })
        .await;
    let response = serde_json::to_string(&outcome.response())?;
    println!(
        "handled {:?}; refused: {:?}",
        handled,
        outcome.failure.as_ref().map(|f| &f.error)
    );
    println!("partial-batch response: {response}");
    assert_eq!(handled, ["111000000000000000001"]);
    assert_eq!(
        response,
        r#"{"batchItemFailures":[{"itemIdentifier":"222000000000000000002"}]}"#
    );

    products.delete_table().await?;
    Ok(())
}
