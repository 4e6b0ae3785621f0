//! What every operation needs from its table: the SDK client, the extension chain, the
//! mapper's settings and the table's name. A cheap handle (two reference counts), so every
//! operation builder owns one and its future is `'static`. [`Table<T>`] is its typed face;
//! the operations it builds are in `table.rs`, above the operations.

use std::marker::PhantomData;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::SharedAsyncSleep;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;

use crate::extension::Chain;
use crate::item::Item;

/// The mapper's shared configuration.
pub(crate) struct Config {
    pub(crate) client: Client,
    pub(crate) table_prefix: String,
    pub(crate) consumed_capacity: bool,
    pub(crate) chain: Chain,
    /// What the mapper's own retry loops wait with; the client's sleep when `None`.
    pub(crate) sleep: Option<SharedAsyncSleep>,
    /// The client, made to resend a transaction as its default policy says (once, so that
    /// a transaction sent with that policy needs no configuration of its own).
    pub(crate) transactions: Client,
    /// The keys sealing page tokens; plain tokens without.
    #[cfg(feature = "sealed-cursors")]
    pub(crate) cursor_keys: Option<crate::CursorKeys>,
}

impl Config {
    /// `TOTAL` when the mapper records consumed capacity, or the caller asked for it.
    pub(crate) fn capacity_request(&self, asked: bool) -> Option<ReturnConsumedCapacity> {
        (asked || self.consumed_capacity).then_some(ReturnConsumedCapacity::Total)
    }
}

/// One table of one mapper.
#[derive(Clone)]
pub(crate) struct Target {
    config: Arc<Config>,
    name: Arc<str>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("table", &self.name)
            .finish_non_exhaustive()
    }
}

impl Target {
    pub(crate) fn new(config: Arc<Config>, name: Arc<str>) -> Self {
        Target { config, name }
    }

    pub(crate) fn client(&self) -> &Client {
        &self.config.client
    }

    pub(crate) fn chain(&self) -> &Chain {
        &self.config.chain
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// `TOTAL` when the mapper records consumed capacity, or the caller asked for it.
    pub(crate) fn capacity_request(&self, asked: bool) -> Option<ReturnConsumedCapacity> {
        self.config.capacity_request(asked)
    }
}

/// The table of item type `T`. Made by [`Mapper::table`](crate::Mapper::table) or [`Mapper::table_named`](crate::Mapper::table_named); cheap to
/// clone.
///
/// Every operation is a builder: set its options, then `.await` it (or call `send`). Builders
/// own what they need, so they can be returned from functions and spawned.
///
/// ```no_run
/// # use dynamodb_mapper::{Item, Table};
/// # #[derive(Item, Clone)] #[item(table = "customers")]
/// # struct Customer { #[partition_key] id: String, #[sort_key] region: String, visits: u32 }
/// # async fn run(customers: Table<Customer>, customer: Customer) -> Result<(), dynamodb_mapper::Error> {
/// let f = Customer::fields();
/// customers.put(&customer).condition(f.id.not_exists()).await?;
/// let found: Option<Customer> = customers.get(("42", "eu")).consistent_read().await?;
/// let updated: Customer = customers.update(&customer).await?;
/// let visited: Customer = customers.patch(("42", "eu")).add(&f.visits, 1).await?;
/// let in_eu: Vec<Customer> = customers.query("42").sort_begins_with("eu").all().await?;
/// customers.delete(("42", "eu")).await?;
/// # Ok(()) }
/// ```
pub struct Table<T> {
    target: Target,
    _item: PhantomData<fn() -> T>,
}

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        Table {
            target: self.target.clone(),
            _item: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.target.name())
            .finish_non_exhaustive()
    }
}

impl<T: Item> Table<T> {
    pub(crate) fn new(target: Target) -> Self {
        Table {
            target,
            _item: PhantomData,
        }
    }

    /// The handle operations own: for the mapper's multi-table operations.
    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    /// The table's name in DynamoDB.
    pub fn name(&self) -> &str {
        self.target.name()
    }
}
