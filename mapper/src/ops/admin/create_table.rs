//! `CreateTable` from an item type's schema, waiting until the table is active, and TTL.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::config::AsyncSleep;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ProvisionedThroughput, StreamSpecification, StreamViewType, TableStatus, TimeToLiveSpecification,
};
use tracing::Instrument;

use std::marker::PhantomData;

use crate::error::Error;
use crate::item::Item;
use crate::ops::send_on_await;
use crate::schema::{self, IndexKind, IndexSchema, KeySchema};
use crate::target::Target;

/// How a table is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Billing {
    /// Pay per request (the default).
    OnDemand,
    /// Provisioned read and write capacity units, for the table and (unless set per index
    /// with [`CreateTable::index_capacity`]) each global secondary index.
    Provisioned {
        /// Read capacity units.
        read: i64,
        /// Write capacity units.
        write: i64,
    },
}

/// Creates the table from the item type's schema: key schema, attribute definitions, every
/// global and local secondary index (with its declared projection, all attributes by default), billing, an optional stream,
/// and time to live on the `#[ttl]` attribute. Waits until the table and its indexes are
/// active. Made by [`Table::create_table`](crate::Table::create_table).
#[must_use = "an operation does nothing until it is awaited"]
pub struct CreateTable<T> {
    target: Target,
    billing: Billing,
    index_capacity: HashMap<String, (i64, i64)>,
    stream: Option<StreamViewType>,
    timeout: Duration,
    if_not_exists: bool,
    _item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for CreateTable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateTable")
            .field("table", &self.target.name())
            .field("billing", &self.billing)
            .field("stream", &self.stream)
            .field("if_not_exists", &self.if_not_exists)
            .finish_non_exhaustive()
    }
}

impl<T: Item> CreateTable<T> {
    pub(crate) fn new(target: Target) -> Self {
        CreateTable {
            target,
            billing: Billing::OnDemand,
            index_capacity: HashMap::new(),
            stream: None,
            timeout: Duration::from_secs(300),
            if_not_exists: false,
            _item: PhantomData,
        }
    }

    /// Succeeds if the table exists already (created by an earlier call, or a concurrent
    /// one), after waiting until it is active and checking it as
    /// [`Table::verify`](crate::Table::verify) does (and its stream, if one is asked for): a
    /// difference that breaks reads or writes is [`Error::TableMismatch`] with every
    /// difference; one that does not (an extra index, time to live off) is logged as a
    /// warning. Its time to live is left alone.
    pub fn if_not_exists(mut self) -> Self {
        self.if_not_exists = true;
        self
    }

    /// Provisioned capacity instead of on-demand billing.
    pub fn provisioned(mut self, read: i64, write: i64) -> Self {
        self.billing = Billing::Provisioned { read, write };
        self
    }

    /// The capacity of one global secondary index, when it differs from the table's.
    pub fn index_capacity(mut self, index: &str, read: i64, write: i64) -> Self {
        self.index_capacity.insert(index.to_owned(), (read, write));
        self
    }

    /// Enables the table's stream with this view (`NEW_AND_OLD_IMAGES`, ...).
    pub fn stream(mut self, view: StreamViewType) -> Self {
        self.stream = Some(view);
        self
    }

    /// How long to wait for the table to become active (5 minutes by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Creates the table and waits until it is active.
    pub async fn send(self) -> Result<(), Error> {
        let target = &self.target;
        let schema = T::TABLE;
        let name = target.name();
        let mut definitions: Vec<KeySchema> = Vec::new();
        let mut define = |key: KeySchema| -> Result<(), Error> {
            match definitions.iter().find(|d| d.name == key.name) {
                Some(known) if known.scalar_type != key.scalar_type => Err(Error::Configuration(format!(
                    "attribute `{}` is a key with two types",
                    key.name
                ))),
                Some(_) => Ok(()),
                None => {
                    definitions.push(key);
                    Ok(())
                }
            }
        };
        define(schema.partition_key)?;
        if let Some(sort) = schema.sort_key {
            define(sort)?;
        }
        for key in schema.indexes.iter().flat_map(IndexSchema::keys) {
            define(*key)?;
        }
        if let Some(index) = self
            .index_capacity
            .keys()
            .find(|name| schema.index(name).is_none_or(|i| i.kind != IndexKind::Global))
        {
            return Err(Error::Configuration(format!(
                "`{index}` is not a global secondary index of `{}`: only global indexes have a capacity of their own",
                T::SCHEMA.type_name
            )));
        }
        if let (Billing::OnDemand, Some(index)) = (self.billing, self.index_capacity.keys().next()) {
            return Err(Error::Configuration(format!(
                "index `{index}` has a capacity but the table is on-demand: call `provisioned` too"
            )));
        }

        let throughput = |read: i64, write: i64| {
            ProvisionedThroughput::builder()
                .read_capacity_units(read)
                .write_capacity_units(write)
                .build()
                .expect("both units are set")
        };
        let mut global = Vec::new();
        let mut local = Vec::new();
        for index in schema.indexes {
            let keys = key_schema(index.partition_keys, index.sort_keys);
            let projection = projection(index.projection);
            match index.kind {
                IndexKind::Global => {
                    let capacity = match (self.billing, self.index_capacity.get(index.name)) {
                        (_, Some(&(read, write))) | (Billing::Provisioned { read, write }, None) => {
                            Some(throughput(read, write))
                        }
                        (Billing::OnDemand, None) => None,
                    };
                    global.push(
                        GlobalSecondaryIndex::builder()
                            .index_name(index.name)
                            .set_key_schema(Some(keys))
                            .projection(projection)
                            .set_provisioned_throughput(capacity)
                            .build()
                            .map_err(|e| Error::Configuration(e.to_string()))?,
                    );
                }
                IndexKind::Local => local.push(
                    LocalSecondaryIndex::builder()
                        .index_name(index.name)
                        .set_key_schema(Some(keys))
                        .projection(projection)
                        .build()
                        .map_err(|e| Error::Configuration(e.to_string()))?,
                ),
            }
        }
        let attribute_definitions = definitions
            .iter()
            .map(|k| {
                AttributeDefinition::builder()
                    .attribute_name(k.name)
                    .attribute_type(k.scalar_type.as_sdk())
                    .build()
                    .expect("name and type are set")
            })
            .collect();
        let (billing_mode, capacity) = match self.billing {
            Billing::OnDemand => (BillingMode::PayPerRequest, None),
            Billing::Provisioned { read, write } => (BillingMode::Provisioned, Some(throughput(read, write))),
        };
        let stream = self.stream.clone().map(|view| {
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(view)
                .build()
                .expect("stream_enabled is set")
        });

        let span = crate::ops::span(name, "CreateTable");
        let created = target
            .client()
            .create_table()
            .table_name(name)
            .set_attribute_definitions(Some(attribute_definitions))
            .set_key_schema(Some(key_schema(
                std::slice::from_ref(&schema.partition_key),
                schema.sort_key.as_slice(),
            )))
            .set_global_secondary_indexes((!global.is_empty()).then_some(global))
            .set_local_secondary_indexes((!local.is_empty()).then_some(local))
            .billing_mode(billing_mode)
            .set_provisioned_throughput(capacity)
            .set_stream_specification(stream)
            .send()
            .instrument(span.clone())
            .await;
        if let Err(error) = created {
            let exists = error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception());
            if !(exists && self.if_not_exists) {
                return Err(Error::from_sdk(name, error));
            }
            // Created elsewhere: wait for it, leave its TTL alone, and check it is the table
            // the item type declares.
            wait_until_active(target, self.timeout).instrument(span.clone()).await?;
            let stated = super::verify::Stated {
                stream: self.stream,
                billing: None,
            };
            let verification = super::verify::verify(target, schema, stated).instrument(span).await?;
            if verification.is_breaking() {
                return Err(Error::TableMismatch(Box::new(verification)));
            }
            if !verification.matches() {
                tracing::warn!(table = name, %verification, "the existing table differs from its declaration");
            }
            return Ok(());
        }
        wait_until_active(target, self.timeout).instrument(span.clone()).await?;

        if let Some(ttl) = schema.ttl_attribute() {
            let specification = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(ttl)
                .build()
                .expect("both fields are set");
            target
                .client()
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(specification)
                .send()
                .instrument(span)
                .await
                .map_err(|e| Error::from_sdk(name, e))?;
        }
        Ok(())
    }
}

/// The index's projection as the schema declares it (`ALL` unless declared otherwise).
fn projection(projection: schema::Projection) -> Projection {
    let builder = Projection::builder();
    match projection {
        schema::Projection::KeysOnly => builder.projection_type(ProjectionType::KeysOnly),
        schema::Projection::Include(names) => names
            .iter()
            .fold(builder.projection_type(ProjectionType::Include), |b, name| {
                b.non_key_attributes(*name)
            }),
        schema::Projection::All => builder.projection_type(ProjectionType::All),
    }
    .build()
}

/// A key schema: the partition key attributes (`HASH`), then the sort key attributes
/// (`RANGE`), each in key order (a multi-attribute key of a global index has several).
fn key_schema(partition: &[KeySchema], sort: &[KeySchema]) -> Vec<KeySchemaElement> {
    let element = |key: &KeySchema, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(key.name)
            .key_type(key_type)
            .build()
            .expect("name and type are set")
    };
    let partition = partition.iter().map(|k| element(k, KeyType::Hash));
    partition
        .chain(sort.iter().map(|k| element(k, KeyType::Range)))
        .collect()
}

/// Polls until the table and its global indexes are active.
async fn wait_until_active(target: &Target, timeout: Duration) -> Result<(), Error> {
    let sleep = target
        .client()
        .config()
        .sleep_impl()
        .or_else(aws_smithy_async::rt::sleep::default_async_sleep)
        .ok_or_else(|| {
            Error::Configuration(
                "no async sleep to wait for the table with: enable the SDK's `rt-tokio` feature or configure `sleep_impl`"
                    .into(),
            )
        })?;
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(50);
    loop {
        // Right after `CreateTable`, DynamoDB may not know the table yet.
        let description = match super::describe_table(target).await {
            Ok(description) => Some(description),
            Err(Error::TableNotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let table_active = description
            .as_ref()
            .is_some_and(|d| d.table_status() == Some(&TableStatus::Active));
        let indexes_active = description.as_ref().is_some_and(|d| {
            d.global_secondary_indexes()
                .iter()
                .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"))
        });
        if table_active && indexes_active {
            return Ok(());
        }
        if started.elapsed() > timeout {
            return Err(Error::Configuration(format!(
                "table `{}` was not active after {timeout:?}",
                target.name()
            )));
        }
        sleep.sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

send_on_await!([T: Item + 'static] CreateTable<T> => Result<(), Error>);
