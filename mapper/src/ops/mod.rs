//! The operations, one per file. Each is a builder that runs the extensions, renders its
//! expressions through one [`Placeholders`], checks them, and sends one SDK request (or
//! several, for paging) inside a `tracing` span.

mod create_table;
mod delete;
mod get;
mod page;
mod put;
mod query;
mod scan;
mod update;

pub use create_table::{Billing, CreateTable};
pub use delete::Delete;
pub use get::Get;
pub use page::{Cursor, Page};
pub use put::Put;
pub use query::{AnyKey, KeyValue, Query};
pub use scan::Scan;
pub use update::Update;

use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use tracing::Span;

use crate::error::Error;
use crate::expr::Placeholders;
use crate::mapper::Mapper;
use crate::schema::ItemSchema;

/// The span every request runs in.
pub(crate) fn span(table: &str, operation: &'static str) -> Span {
    tracing::debug_span!("dynamodb", table, operation, consumed_capacity = tracing::field::Empty)
}

/// `TOTAL` when the mapper records consumed capacity.
pub(crate) fn capacity_request(mapper: &Mapper) -> Option<ReturnConsumedCapacity> {
    mapper
        .records_consumed_capacity()
        .then_some(ReturnConsumedCapacity::Total)
}

/// Records the capacity units a request consumed on its span.
pub(crate) fn record_capacity(span: &Span, capacity: Option<&ConsumedCapacity>) {
    if let Some(units) = capacity.and_then(|c| c.capacity_units()) {
        span.record("consumed_capacity", units);
    }
}

/// The projection expression listing the attributes of `schema`, for reads into a struct
/// that holds only some of the item's attributes.
pub(crate) fn projection(
    schema: Option<&'static ItemSchema>,
    placeholders: &mut Placeholders,
) -> Result<Option<String>, Error> {
    let Some(schema) = schema else { return Ok(None) };
    let names: Vec<String> = schema.all_attributes().map(|a| placeholders.name(a.name)).collect();
    if names.is_empty() {
        return Err(Error::InvalidRequest(format!(
            "`{}` stores no attribute to project",
            schema.type_name
        )));
    }
    Ok(Some(names.join(", ")))
}

/// Refuses a consistent read of a global secondary index, which DynamoDB does not offer.
pub(crate) fn check_consistent_read(index: Option<&crate::schema::IndexSchema>, consistent: bool) -> Result<(), Error> {
    match index {
        Some(index) if consistent && index.kind == crate::schema::IndexKind::Global => Err(Error::InvalidRequest(
            format!("global secondary index `{}` cannot be read consistently", index.name),
        )),
        _ => Ok(()),
    }
}
