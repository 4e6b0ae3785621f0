//! Table administration: `CreateTable` from the item's schema, `DescribeTable`, `DeleteTable`.

mod create_table;

pub use create_table::{Billing, CreateTable};

use aws_sdk_dynamodb::types::TableDescription;
use tracing::Instrument;

use crate::error::Error;
use crate::target::Target;

/// DynamoDB's description of the table.
pub(crate) async fn describe_table(target: &Target) -> Result<TableDescription, Error> {
    let output = target
        .client()
        .describe_table()
        .table_name(target.name())
        .send()
        .instrument(crate::ops::span(target.name(), "DescribeTable"))
        .await
        .map_err(|e| Error::from_sdk(target.name(), e))?;
    output
        .table
        .ok_or_else(|| Error::Configuration(format!("DescribeTable returned no table for `{}`", target.name())))
}

/// Deletes the table and every item in it.
pub(crate) async fn delete_table(target: &Target) -> Result<(), Error> {
    target
        .client()
        .delete_table()
        .table_name(target.name())
        .send()
        .instrument(crate::ops::span(target.name(), "DeleteTable"))
        .await
        .map_err(|e| Error::from_sdk(target.name(), e))?;
    Ok(())
}
