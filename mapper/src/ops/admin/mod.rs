//! Table administration: `CreateTable` from the item's schema, checking a live table against
//! it, `DescribeTable`, `DeleteTable`.

mod create_table;
mod verify;

pub use create_table::{Billing, CreateTable};
pub use verify::Verify;

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
