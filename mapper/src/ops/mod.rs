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

use std::future::Future;

use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use tracing::{Instrument, Span};

use crate::error::{Error, RefusalKind};
use crate::expr::{Condition, Placeholders};
use crate::item::Item;
use crate::mapper::Mapper;
use crate::schema::ItemSchema;
use crate::table::Table;

/// `TOTAL` when the mapper records consumed capacity.
pub(crate) fn capacity_request(mapper: &Mapper) -> Option<ReturnConsumedCapacity> {
    mapper
        .records_consumed_capacity()
        .then_some(ReturnConsumedCapacity::Total)
}

/// An SDK output that reports the capacity its request consumed.
pub(crate) trait ReportsCapacity {
    fn consumed_capacity(&self) -> Option<&ConsumedCapacity>;
}

macro_rules! reports_capacity {
    ($($output:ty),*) => {$(
        impl ReportsCapacity for $output {
            fn consumed_capacity(&self) -> Option<&ConsumedCapacity> {
                <$output>::consumed_capacity(self)
            }
        }
    )*};
}

reports_capacity!(
    aws_sdk_dynamodb::operation::put_item::PutItemOutput,
    aws_sdk_dynamodb::operation::get_item::GetItemOutput,
    aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
    aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput,
    aws_sdk_dynamodb::operation::query::QueryOutput,
    aws_sdk_dynamodb::operation::scan::ScanOutput
);

/// Sends one request in a span naming the table and the operation, records the capacity it
/// consumed on the span, and sorts its error (passing a failed condition's item through the
/// extensions).
pub(crate) async fn send<T: Item, O: ReportsCapacity, E>(
    table: &Table<T>,
    operation: &'static str,
    request: impl Future<Output = Result<O, SdkError<E, HttpResponse>>>,
) -> Result<O, Error>
where
    E: std::error::Error + 'static,
    aws_sdk_dynamodb::Error: From<SdkError<E, HttpResponse>>,
{
    let span = span(table.name(), operation);
    let output = request.instrument(span.clone()).await.map_err(|e| table.fail(e))?;
    if let Some(units) = output.consumed_capacity().and_then(|c| c.capacity_units()) {
        span.record("consumed_capacity", units);
    }
    Ok(output)
}

/// The span every request runs in.
pub(crate) fn span(table: &str, operation: &'static str) -> Span {
    tracing::debug_span!("dynamodb", table, operation, consumed_capacity = tracing::field::Empty)
}

/// Renders an optional condition through the request's placeholders.
pub(crate) fn render(condition: Option<Condition>, placeholders: &mut Placeholders) -> Result<Option<String>, Error> {
    condition.map(|c| c.render(placeholders)).transpose()
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
        return Err(Error::refused(RefusalKind::EmptyProjection, format!(
            "`{}` stores no attribute to project",
            schema.type_name
        )));
    }
    Ok(Some(names.join(", ")))
}

/// Refuses a consistent read of a global secondary index, which DynamoDB does not offer.
pub(crate) fn check_consistent_read(index: Option<&crate::schema::IndexSchema>, consistent: bool) -> Result<(), Error> {
    match index {
        Some(index) if consistent && index.kind == crate::schema::IndexKind::Global => Err(Error::refused(RefusalKind::ConsistentReadOnGlobalIndex, 
            format!("global secondary index `{}` cannot be read consistently", index.name),
        )),
        _ => Ok(()),
    }
}
