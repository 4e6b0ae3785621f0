//! Checking a live table against the item type's schema: `DescribeTable` and
//! `DescribeTimeToLive`, compared with what the derive declares and what the caller states.

use std::marker::PhantomData;

use aws_sdk_dynamodb::types::{
    BillingMode, KeySchemaElement, KeyType, Projection, ProjectionType, StreamViewType, TableDescription,
    TimeToLiveDescription, TimeToLiveStatus,
};
use tracing::Instrument;

use super::create_table::Billing;
use crate::error::{Difference, DifferenceKind, Error, Verification};
use crate::item::Item;
use crate::ops::send_on_await;
use crate::schema::{self, IndexKind, IndexSchema, KeySchema, TableSchema};
use crate::target::Target;
use crate::value::{AttributeType, ScalarType};

/// Compares the live table with what `#[derive(Item)]` declares: key attribute names and
/// types, every index (kind, key attributes and types, projection, whether it is active),
/// attributes the table types for an undeclared index, and time to live. The stream and the
/// billing mode are compared only when stated ([`stream`](Verify::stream),
/// [`billing`](Verify::billing)); capacity never is (auto scaling changes it). Made by
/// [`Table::verify`](crate::Table::verify).
///
/// Returns every difference, not only the first, each saying whether it breaks reads or
/// writes ([`Verification::breaking`]). Needs the `dynamodb:DescribeTable` permission, and
/// `dynamodb:DescribeTimeToLive` for an item with a `#[ttl]` field.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table};
/// # #[derive(Item, Clone)] #[item(table = "orders")]
/// # struct Order { #[partition_key] customer: String, #[sort_key] placed: u64 }
/// # async fn run(orders: Table<Order>) -> Result<(), Box<dyn std::error::Error>> {
/// let verification = orders.verify().await?;
/// if verification.is_breaking() {
///     return Err(format!("refusing to start: {verification}").into());
/// }
/// for difference in &verification.differences {
///     eprintln!("warning: {difference}"); // an extra index, time to live off, ...
/// }
/// # Ok(()) }
/// ```
#[must_use = "an operation does nothing until it is awaited"]
pub struct Verify<T> {
    target: Target,
    stated: Stated,
    _item: PhantomData<fn() -> T>,
}

/// What the caller states of the table beyond the derive's schema.
#[derive(Debug, Clone, Default)]
pub(super) struct Stated {
    pub(super) stream: Option<StreamViewType>,
    pub(super) billing: Option<Billing>,
}

impl<T> std::fmt::Debug for Verify<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verify")
            .field("table", &self.target.name())
            .field("stream", &self.stated.stream)
            .field("billing", &self.stated.billing)
            .finish()
    }
}

impl<T: Item> Verify<T> {
    pub(crate) fn new(target: Target) -> Self {
        Verify {
            target,
            stated: Stated::default(),
            _item: PhantomData,
        }
    }

    /// Also checks that the table has a stream of this view type.
    pub fn stream(mut self, view: StreamViewType) -> Self {
        self.stated.stream = Some(view);
        self
    }

    /// Also checks the billing mode (on demand or provisioned; not the capacity).
    pub fn billing(mut self, billing: Billing) -> Self {
        self.stated.billing = Some(billing);
        self
    }

    /// Describes the table and compares.
    pub async fn send(self) -> Result<Verification, Error> {
        verify(&self.target, T::TABLE, self.stated).await
    }
}

send_on_await!([T: Item + 'static] Verify<T> => Result<Verification, Error>);

/// Describes the table behind `target` and compares it with `schema`.
pub(super) async fn verify(target: &Target, schema: &TableSchema, stated: Stated) -> Result<Verification, Error> {
    let description = super::describe_table(target).await?;
    let ttl = match schema.ttl_attribute() {
        Some(_) => {
            target
                .client()
                .describe_time_to_live()
                .table_name(target.name())
                .send()
                .instrument(crate::ops::span(target.name(), "DescribeTimeToLive"))
                .await
                .map_err(|e| Error::from_sdk(target.name(), e))?
                .time_to_live_description
        }
        None => None,
    };
    let differences = compare(schema, &description, ttl.as_ref(), stated);
    Ok(Verification::new(target.name().to_owned(), differences))
}

/// One key attribute as DynamoDB describes it: `name TYPE ROLE`.
fn describe_key(name: &str, scalar: &str, role: &str) -> String {
    format!("{name} {scalar} {role}")
}

fn declared_keys(partition: &[KeySchema], sort: &[KeySchema]) -> String {
    let scalar = |k: &KeySchema| k.scalar_type.as_sdk().as_str().to_owned();
    partition
        .iter()
        .map(|k| describe_key(k.name, &scalar(k), "HASH"))
        .chain(sort.iter().map(|k| describe_key(k.name, &scalar(k), "RANGE")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn live_keys(description: &TableDescription, keys: &[KeySchemaElement]) -> String {
    keys.iter()
        .map(|k| {
            let scalar = live_type(description, k.attribute_name()).unwrap_or("?");
            let role = match k.key_type() {
                KeyType::Hash => "HASH",
                KeyType::Range => "RANGE",
                _ => "?",
            };
            describe_key(k.attribute_name(), scalar, role)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The type the table defines for attribute `name`.
fn live_type<'a>(description: &'a TableDescription, name: &str) -> Option<&'a str> {
    description
        .attribute_definitions()
        .iter()
        .find(|d| d.attribute_name() == name)
        .map(|d| d.attribute_type().as_str())
}

fn describe_projection(projection: schema::Projection) -> String {
    match projection {
        schema::Projection::All => "ALL".to_owned(),
        schema::Projection::KeysOnly => "KEYS_ONLY".to_owned(),
        schema::Projection::Include(names) => format!("INCLUDE({})", names.join(", ")),
    }
}

fn describe_live_projection(projection: Option<&Projection>) -> String {
    match projection.and_then(|p| p.projection_type()) {
        Some(ProjectionType::All) | None => "ALL".to_owned(),
        Some(ProjectionType::KeysOnly) => "KEYS_ONLY".to_owned(),
        Some(ProjectionType::Include) => format!(
            "INCLUDE({})",
            projection.map_or(&[][..], |p| p.non_key_attributes()).join(", ")
        ),
        Some(other) => other.as_str().to_owned(),
    }
}

/// Whether the live index holds every attribute the declaration needs.
fn projects_enough(declared: schema::Projection, live: Option<&Projection>) -> bool {
    let live_type = live.and_then(|p| p.projection_type());
    match (declared, live_type) {
        (_, Some(ProjectionType::All) | None) => true,
        (schema::Projection::KeysOnly, _) => true,
        (schema::Projection::All, _) => false,
        (schema::Projection::Include(names), Some(ProjectionType::Include)) => {
            let live = live.map_or(&[][..], |p| p.non_key_attributes());
            names.iter().all(|n| live.iter().any(|l| l == n))
        }
        (schema::Projection::Include(names), _) => names.is_empty(),
    }
}

/// A live index: its name, kind, key schema, projection, and whether it is being built.
struct LiveIndex<'a> {
    name: &'a str,
    kind: IndexKind,
    keys: &'a [KeySchemaElement],
    projection: Option<&'a Projection>,
    /// `CREATING`, `UPDATING`, `DELETING`, or backfilling; `None` when active.
    pending: Option<String>,
}

fn live_indexes(description: &TableDescription) -> Vec<LiveIndex<'_>> {
    let global = description.global_secondary_indexes().iter().map(|i| {
        let status = i.index_status().map(|s| s.as_str()).unwrap_or("ACTIVE");
        let pending = if i.backfilling() == Some(true) {
            Some(format!("{status}, backfilling"))
        } else {
            (status != "ACTIVE").then(|| status.to_owned())
        };
        LiveIndex {
            name: i.index_name().unwrap_or_default(),
            kind: IndexKind::Global,
            keys: i.key_schema(),
            projection: i.projection(),
            pending,
        }
    });
    let local = description.local_secondary_indexes().iter().map(|i| LiveIndex {
        name: i.index_name().unwrap_or_default(),
        kind: IndexKind::Local,
        keys: i.key_schema(),
        projection: i.projection(),
        pending: None,
    });
    global.chain(local).collect()
}

fn kind_name(kind: IndexKind) -> &'static str {
    match kind {
        IndexKind::Global => "global",
        IndexKind::Local => "local",
    }
}

/// Every difference between `schema` (and what the caller stated) and the live table.
pub(super) fn compare(
    schema: &TableSchema,
    description: &TableDescription,
    ttl: Option<&TimeToLiveDescription>,
    stated: Stated,
) -> Vec<Difference> {
    let mut differences = Vec::new();
    let mut differ = |kind, index: Option<&str>, declared: String, live: String, breaks| {
        differences.push(Difference {
            kind,
            index: index.map(str::to_owned),
            declared,
            live,
            breaks,
        });
    };

    let declared = declared_keys(std::slice::from_ref(&schema.partition_key), schema.sort_key.as_slice());
    let live = live_keys(description, description.key_schema());
    if declared != live {
        differ(DifferenceKind::TableKey, None, declared, live, true);
    }

    let indexes = live_indexes(description);
    for index in schema.indexes {
        let Some(found) = indexes.iter().find(|i| i.name == index.name) else {
            differ(
                DifferenceKind::IndexMissing,
                Some(index.name),
                declared_index(index),
                String::new(),
                true,
            );
            continue;
        };
        if found.kind != index.kind {
            differ(
                DifferenceKind::IndexKind,
                Some(index.name),
                kind_name(index.kind).to_owned(),
                kind_name(found.kind).to_owned(),
                true,
            );
        }
        let declared = declared_keys(index.partition_keys, index.sort_keys);
        let live = live_keys(description, found.keys);
        if declared != live {
            differ(DifferenceKind::IndexKey, Some(index.name), declared, live, true);
        }
        if !projects_enough(index.projection, found.projection) {
            differ(
                DifferenceKind::IndexProjection,
                Some(index.name),
                describe_projection(index.projection),
                describe_live_projection(found.projection),
                true,
            );
        }
        if let Some(pending) = &found.pending {
            differ(
                DifferenceKind::IndexNotActive,
                Some(index.name),
                "ACTIVE".to_owned(),
                pending.clone(),
                true,
            );
        }
    }

    for extra in indexes.iter().filter(|i| schema.index(i.name).is_none()) {
        differ(
            DifferenceKind::ExtraIndex,
            Some(extra.name),
            String::new(),
            format!(
                "{} index on {}",
                kind_name(extra.kind),
                live_keys(description, extra.keys)
            ),
            false,
        );
        // DynamoDB refuses a write whose attribute for an index key has another type.
        for key in extra.keys {
            let name = key.attribute_name();
            let (Some(attribute), Some(live)) = (schema.item.attribute(name), live_type(description, name)) else {
                continue;
            };
            let stored = match attribute.attribute_type {
                AttributeType::S => Some(ScalarType::S),
                AttributeType::N => Some(ScalarType::N),
                AttributeType::B => Some(ScalarType::B),
                AttributeType::Dynamic => continue,
                _ => None,
            };
            if stored.map(|s| s.as_sdk()).as_ref().map(|s| s.as_str()) != Some(live) {
                differ(
                    DifferenceKind::AttributeType,
                    Some(extra.name),
                    format!("{name} {}", attribute.rust_type),
                    format!("{name} {live}"),
                    true,
                );
            }
        }
    }

    if let Some(declared) = schema.ttl_attribute() {
        let status = ttl.and_then(|t| t.time_to_live_status());
        let enabled = matches!(status, Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling));
        let attribute = ttl.and_then(|t| t.attribute_name());
        if !enabled || attribute != Some(declared) {
            let live = match (status, attribute) {
                (Some(status), Some(attribute)) => format!("{attribute} {}", status.as_str()),
                (Some(status), None) => status.as_str().to_owned(),
                _ => "DISABLED".to_owned(),
            };
            differ(
                DifferenceKind::TimeToLive,
                None,
                format!("{declared} ENABLED"),
                live,
                false,
            );
        }
    }

    if let Some(view) = &stated.stream {
        let live = description
            .stream_specification()
            .filter(|s| s.stream_enabled())
            .and_then(|s| s.stream_view_type());
        if live != Some(view) {
            let live = live.map_or(String::new(), |v| v.as_str().to_owned());
            differ(DifferenceKind::Stream, None, view.as_str().to_owned(), live, false);
        }
    }
    if let Some(billing) = stated.billing {
        let declared = match billing {
            Billing::OnDemand => BillingMode::PayPerRequest,
            Billing::Provisioned { .. } => BillingMode::Provisioned,
        };
        // A table created before billing modes existed has no summary: provisioned.
        let live = description
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .cloned()
            .unwrap_or(BillingMode::Provisioned);
        if live != declared {
            differ(
                DifferenceKind::Billing,
                None,
                declared.as_str().to_owned(),
                live.as_str().to_owned(),
                false,
            );
        }
    }
    differences
}

fn declared_index(index: &IndexSchema) -> String {
    format!(
        "{} index on {}",
        kind_name(index.kind),
        declared_keys(index.partition_keys, index.sort_keys)
    )
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, GlobalSecondaryIndexDescription, IndexStatus, ScalarAttributeType, TableDescription,
    };

    use super::*;
    use crate::schema::ItemSchema;

    const KEY: KeySchema = KeySchema::new("id", ScalarType::S);
    const STATUS: KeySchema = KeySchema::new("status", ScalarType::S);
    const ITEM: ItemSchema = ItemSchema::new("Order", &[], &[]);
    const INDEXES: &[IndexSchema] = &[IndexSchema::new(
        "by_status",
        IndexKind::Global,
        &[STATUS],
        &[],
        schema::Projection::All,
    )];
    const TABLE: TableSchema = TableSchema::new(Some("orders"), &ITEM, KEY, None, INDEXES);

    fn element(name: &str, key_type: KeyType) -> KeySchemaElement {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .unwrap()
    }

    fn definition(name: &str) -> AttributeDefinition {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    }

    /// DynamoDB's description while `by_status` is being built: no local server gives one.
    fn creating(status: IndexStatus, backfilling: bool) -> TableDescription {
        TableDescription::builder()
            .table_name("orders")
            .key_schema(element("id", KeyType::Hash))
            .attribute_definitions(definition("id"))
            .attribute_definitions(definition("status"))
            .global_secondary_indexes(
                GlobalSecondaryIndexDescription::builder()
                    .index_name("by_status")
                    .key_schema(element("status", KeyType::Hash))
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .index_status(status)
                    .backfilling(backfilling)
                    .build(),
            )
            .build()
    }

    #[test]
    fn an_index_being_built_is_reported_as_such_not_as_missing() {
        let differences = compare(&TABLE, &creating(IndexStatus::Creating, false), None, Stated::default());
        assert_eq!(differences.len(), 1, "{differences:?}");
        assert_eq!(differences[0].kind, DifferenceKind::IndexNotActive);
        assert_eq!(differences[0].live, "CREATING");
        let differences = compare(&TABLE, &creating(IndexStatus::Active, true), None, Stated::default());
        assert_eq!(differences[0].live, "ACTIVE, backfilling");
        assert!(compare(&TABLE, &creating(IndexStatus::Active, false), None, Stated::default()).is_empty());
    }
}
