//! [`Mapper`]: the SDK client and the mapper's configuration, shared by every [`Table`].

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::SharedAsyncSleep;

use crate::error::Error;
use crate::extension::{Chain, Extension};
use crate::item::Item;
use crate::ops::{ChangeOutcome, TransactGet, TransactGetOutput, TransactReadModifyWrite, TransactWrite};
use crate::target::{Config, Table, Target};

/// The entry point: wraps an `aws_sdk_dynamodb::Client` and hands out typed [`Table`]s.
///
/// Cheap to clone; clones share the client and the configuration.
///
/// ```no_run
/// # async fn run() -> Result<(), dynamodb_mapper::Error> {
/// use dynamodb_mapper::{Item, Mapper};
///
/// #[derive(Item)]
/// #[item(table = "customers")]
/// struct Customer {
///     #[partition_key]
///     id: String,
/// }
///
/// let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
/// let mapper = Mapper::new(dynamodb_mapper::aws_sdk_dynamodb::Client::new(&config));
/// let customers = mapper.table::<Customer>()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Mapper {
    config: Arc<Config>,
}

impl Mapper {
    /// A mapper with the default configuration and the default extensions,
    /// [`VersionedRecords`](crate::extension::VersionedRecords) and
    /// [`AtomicCounters`](crate::extension::AtomicCounters).
    pub fn new(client: Client) -> Self {
        Self::builder(client).build()
    }

    /// A mapper configured step by step.
    pub fn builder(client: Client) -> MapperBuilder {
        MapperBuilder {
            client,
            table_prefix: String::new(),
            consumed_capacity: false,
            extensions: Chain::default_extensions(),
            sleep: None,
            #[cfg(feature = "sealed-cursors")]
            cursor_keys: None,
        }
    }

    pub(crate) fn from_config(config: Arc<Config>) -> Self {
        Mapper { config }
    }

    /// The SDK client, for anything the mapper does not cover.
    pub fn client(&self) -> &Client {
        &self.config.client
    }

    /// A batch of puts and deletes across tables, sent in `BatchWriteItem` requests with the
    /// leftovers retried and handed back typed. See [`BatchWrite`](crate::ops::BatchWrite).
    pub fn batch_write(&self) -> crate::ops::BatchWrite {
        crate::ops::BatchWrite::new(self.config.clone())
    }

    /// A batch of reads across tables, sent in `BatchGetItem` requests, each key with its own
    /// outcome. See [`BatchGet`](crate::ops::BatchGet).
    pub fn batch_get(&self) -> crate::ops::BatchGet {
        crate::ops::BatchGet::new(self.config.clone())
    }

    /// The table of `T`, named by `#[item(table = "...")]` (after the
    /// [prefix](MapperBuilder::table_prefix)).
    pub fn table<T: Item>(&self) -> Result<Table<T>, Error> {
        let name = T::TABLE.table_name.ok_or_else(|| {
            Error::Configuration(format!(
                "`{}` has no table name: add `#[item(table = \"...\")]` or use `Mapper::table_named`",
                T::SCHEMA.type_name
            ))
        })?;
        self.table_named(name)
    }

    /// The table of `T` named `name` (after the [prefix](MapperBuilder::table_prefix)), for
    /// items without `#[item(table)]` or one table per environment or tenant.
    ///
    /// Fails if `T` has a lifecycle attribute (`#[version]`, `#[atomic_counter]`,
    /// `#[auto_timestamp]`, `#[auto_uuid]`) that no loaded extension handles.
    pub fn table_named<T: Item>(&self, name: &str) -> Result<Table<T>, Error> {
        T::TABLE.check().map_err(Error::Configuration)?;
        self.config.chain.check(T::TABLE)?;
        let full = format!("{}{name}", self.config.table_prefix);
        if !(3..=255).contains(&full.len())
            || !full
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(Error::Configuration(format!(
                "`{full}` is not a valid table name: 3 to 255 letters, digits, `_`, `-` or `.`"
            )));
        }
        Ok(Table::new(Target::new(self.config.clone(), full.into())))
    }
}

impl Mapper {
    /// A transaction of writes on any tables of this mapper: all applied or none. See
    /// [`TransactWrite`].
    pub fn transact_write(&self) -> TransactWrite {
        TransactWrite::new(self.config.clone())
    }

    /// A consistent read of up to 100 items of any tables. See [`TransactGet`].
    pub fn transact_get(&self) -> TransactGet {
        TransactGet::new(self.config.clone())
    }

    /// Reads the items of `reads`, runs `change` on them to build a transaction, commits it,
    /// and starts over from a fresh read when another writer got there first. See
    /// [`TransactReadModifyWrite`].
    pub fn transact_read_modify_write<'f, F, R>(&self, reads: TransactGet, change: F) -> TransactReadModifyWrite<'f, F>
    where
        F: FnMut(&mut TransactGetOutput, &mut TransactWrite) -> R + 'f,
        R: ChangeOutcome,
    {
        TransactReadModifyWrite::new(self.config.clone(), reads, change)
    }
}

impl std::fmt::Debug for Mapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapper")
            .field("table_prefix", &self.config.table_prefix)
            .field("consumed_capacity", &self.config.consumed_capacity)
            .field("extensions", &self.config.chain.names())
            .finish_non_exhaustive()
    }
}

/// Configures a [`Mapper`].
///
/// It starts with the default extensions (versioned records, atomic counters):
/// [`extension`](MapperBuilder::extension) adds one after them,
/// [`extensions`](MapperBuilder::extensions) replaces the whole list.
#[must_use]
pub struct MapperBuilder {
    client: Client,
    table_prefix: String,
    consumed_capacity: bool,
    extensions: Vec<Arc<dyn Extension>>,
    sleep: Option<SharedAsyncSleep>,
    #[cfg(feature = "sealed-cursors")]
    cursor_keys: Option<crate::CursorKeys>,
}

impl std::fmt::Debug for MapperBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let extensions: Vec<&str> = self.extensions.iter().map(|e| e.name()).collect();
        f.debug_struct("MapperBuilder")
            .field("table_prefix", &self.table_prefix)
            .field("consumed_capacity", &self.consumed_capacity)
            .field("extensions", &extensions)
            .finish_non_exhaustive()
    }
}

impl MapperBuilder {
    /// A prefix for every table name, such as `"dev-"`.
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.table_prefix = prefix.into();
        self
    }

    /// Asks DynamoDB for the capacity each request consumes and records it on the request's
    /// `tracing` span (field `consumed_capacity`) and on pages.
    pub fn consumed_capacity(mut self, enabled: bool) -> Self {
        self.consumed_capacity = enabled;
        self
    }

    /// Replaces the extensions with `extensions`, run in this order before writes and in
    /// reverse after reads. An empty list loads none. To keep a default, list it:
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use dynamodb_mapper::Mapper;
    /// use dynamodb_mapper::extension::{AutoTimestamps, Extension, VersionedRecords};
    ///
    /// # fn run(client: dynamodb_mapper::aws_sdk_dynamodb::Client) {
    /// let extensions: Vec<Arc<dyn Extension>> = vec![Arc::new(VersionedRecords), Arc::new(AutoTimestamps::new())];
    /// let mapper = Mapper::builder(client).extensions(extensions).build();
    /// # }
    /// ```
    pub fn extensions(mut self, extensions: impl IntoIterator<Item = Arc<dyn Extension>>) -> Self {
        self.extensions = extensions.into_iter().collect();
        self
    }

    /// Adds one extension after those already listed (the defaults, unless
    /// [`extensions`](MapperBuilder::extensions) replaced them).
    ///
    /// ```no_run
    /// use dynamodb_mapper::Mapper;
    /// use dynamodb_mapper::extension::{AutoTimestamps, AutoUuids};
    ///
    /// # fn run(client: dynamodb_mapper::aws_sdk_dynamodb::Client) {
    /// // Versioned records, atomic counters, timestamps and UUIDs:
    /// let mapper = Mapper::builder(client).extension(AutoTimestamps::new()).extension(AutoUuids).build();
    /// # }
    /// ```
    pub fn extension(mut self, extension: impl Extension + 'static) -> Self {
        self.extensions.push(Arc::new(extension));
        self
    }

    /// What the mapper's own retry loops wait with between rounds and attempts (a batch's
    /// leftovers, a transaction's resend, a read-modify-write conflict). By default they wait
    /// on the client's `sleep_impl`, as the SDK's own retries do; a test can pass a sleep that
    /// records each wait, or one on a paused clock, without touching the client's timeouts.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use dynamodb_mapper::Mapper;
    /// use dynamodb_mapper::aws_sdk_dynamodb::config::{AsyncSleep, SharedAsyncSleep, Sleep};
    ///
    /// /// Logs each backoff, then waits on the client's own sleep.
    /// #[derive(Debug)]
    /// struct Logged(SharedAsyncSleep);
    ///
    /// impl AsyncSleep for Logged {
    ///     fn sleep(&self, duration: Duration) -> Sleep {
    ///         println!("backing off for {duration:?}");
    ///         self.0.sleep(duration)
    ///     }
    /// }
    ///
    /// # fn run(client: dynamodb_mapper::aws_sdk_dynamodb::Client) {
    /// let inner = client.config().sleep_impl().expect("the client has a sleep");
    /// let mapper = Mapper::builder(client).sleep_impl(SharedAsyncSleep::new(Logged(inner))).build();
    /// # }
    /// ```
    pub fn sleep_impl(mut self, sleep: SharedAsyncSleep) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// Seals every page token with `keys`: a [`Cursor::to_token`](crate::Cursor::to_token)
    /// reveals no key value, and [`start_from_token`](crate::ops::Read::start_from_token)
    /// refuses a token that is altered, expired, sealed with a key no longer accepted, made
    /// by another read, or not sealed at all. Instances serving the same pages share the keys.
    ///
    /// ```no_run
    /// use dynamodb_mapper::{CursorKey, CursorKeys, Mapper};
    ///
    /// # fn run(client: dynamodb_mapper::aws_sdk_dynamodb::Client, secret: [u8; 32]) {
    /// let keys = CursorKeys::new(CursorKey::new(1, secret)).max_age(std::time::Duration::from_secs(900));
    /// let mapper = Mapper::builder(client).cursor_keys(keys).build();
    /// # }
    /// ```
    #[cfg(feature = "sealed-cursors")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sealed-cursors")))]
    pub fn cursor_keys(mut self, keys: crate::CursorKeys) -> Self {
        self.cursor_keys = Some(keys);
        self
    }

    /// The mapper.
    pub fn build(self) -> Mapper {
        Mapper {
            config: Arc::new(Config {
                transactions: crate::ops::transaction_client(&self.client),
                client: self.client,
                table_prefix: self.table_prefix,
                consumed_capacity: self.consumed_capacity,
                chain: Chain::new(self.extensions),
                sleep: self.sleep,
                #[cfg(feature = "sealed-cursors")]
                cursor_keys: self.cursor_keys,
            }),
        }
    }
}

impl<T: Item> Table<T> {
    /// The mapper this table belongs to.
    pub fn mapper(&self) -> Mapper {
        Mapper::from_config(self.target().config().clone())
    }
}
