//! What every operation needs from its table: the SDK client, the extension chain, the
//! mapper's settings and the table's name. A cheap handle (two reference counts), so every
//! operation builder owns one and its future is `'static`.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::SharedAsyncSleep;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;

use crate::extension::Chain;

/// The mapper's shared configuration.
pub(crate) struct Config {
    pub(crate) client: Client,
    pub(crate) table_prefix: String,
    pub(crate) consumed_capacity: bool,
    pub(crate) chain: Chain,
    /// What the mapper's own retry loops wait with; the client's sleep when `None`.
    pub(crate) sleep: Option<SharedAsyncSleep>,
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
