//! The operations, by family:
//!
//! - single items ([`Put`], [`Get`], [`Update`], [`Patch`], [`Delete`],
//!   [`ReadModifyWrite`]);
//! - reads of many items: [`Query`] and [`Scan`], one [`Read`] builder with pages and
//!   [`Cursor`]s;
//! - batches ([`BatchWrite`], [`BatchGet`], and their one-table forms [`WriteAll`] and
//!   [`GetAll`]), sent in rounds by one driver;
//! - transactions ([`TransactWrite`], [`TransactGet`], [`TransactReadModifyWrite`]);
//! - table administration ([`CreateTable`]).
//!
//! Each is a builder that owns what it needs (its item already converted, a cheap handle on
//! its table), so every builder, future and stream is `'static` and `Send`. Writes become a
//! plan by one path (the same for a single request, a batch chunk or a transaction action)
//! and reads decode through one path too; this module sends, inside a `tracing` span per
//! request.

mod admin;
mod batch;
mod capacity;
mod change;
mod read;
mod single;
mod transaction;

pub use crate::error::{
    CancellationCode, CancellationReason, Difference, DifferenceKind, TransactionCanceled, UnreadableItem, Verification,
};
pub use admin::{Billing, CreateTable, Verify};
pub use batch::{
    BatchGet, BatchGetOutput, BatchWrite, BatchWriteOutput, DeleteHandle, DeleteItemHandle, Fetched, GetAll,
    GetAllOutput, GetHandle, PutHandle, WriteAll, WriteAllOutput, WriteHandle,
};
pub use capacity::CapacityMeter;
pub use change::{ChangeOutcome, ModifyError};
pub use read::{
    AnyKey, ConsistentRead, Cursor, Global, KeyValue, Keys, Local, Page, PartitionValue, Query, QueryKeys, Read,
    ReadsIndex, Scan, ScanSegment, SortPrefix, Sorts, TypedIndexKind, Unchecked,
};
pub use single::{Delete, Get, Patch, Put, ReadModifyWrite, Update};
pub use transaction::{
    Committed, OfGet, OfWrite, PartialItem, TransactGet, TransactGetOutput, TransactReadModifyWrite, TransactWrite,
    TxAction, TxGetHandle, TxHandle, TxPatch, TxWriteHandle, WrittenItem,
};

pub(crate) use admin::{delete_table, describe_table};
pub(crate) use read::key_value;
pub(crate) use transaction::transaction_client;

use std::future::Future;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::ConsumedCapacity;
use futures_util::FutureExt;
use tracing::{Instrument, Span};

use crate::error::Error;
use crate::schema::TableSchema;
use crate::target::Target;

/// `.await` on a builder sends it: its `IntoFuture` boxes its `send`. The generics and bounds
/// go in brackets (`[T: Item + 'static] Put<T> => Result<(), Error>`); a builder whose future
/// borrows for `'f` (a change closure) says so after a `+`.
macro_rules! send_on_await {
    ([$($generics:tt)*] $builder:ty => $output:ty $(, + $life:lifetime)? $(, where $($bounds:tt)+)?) => {
        impl<$($generics)*> std::future::IntoFuture for $builder $(where $($bounds)+)? {
            type Output = $output;
            type IntoFuture =
                std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send $(+ $life)?>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}

pub(crate) use send_on_await;

/// Marks the Rust types an operation reads or writes, without holding them.
pub(crate) type Marker<T> = std::marker::PhantomData<fn() -> T>;

/// An SDK output that reports the capacity its request consumed (per table, for a batch).
pub(crate) trait ReportsCapacity {
    fn consumed(&self) -> &[ConsumedCapacity];
}

macro_rules! reports_capacity {
    (one: $($output:ty),*; many: $($outputs:ty),*) => {
        $(impl ReportsCapacity for $output {
            fn consumed(&self) -> &[ConsumedCapacity] {
                <$output>::consumed_capacity(self).map_or(&[], std::slice::from_ref)
            }
        })*
        $(impl ReportsCapacity for $outputs {
            fn consumed(&self) -> &[ConsumedCapacity] {
                <$outputs>::consumed_capacity(self)
            }
        })*
    };
}

reports_capacity!(
    one: aws_sdk_dynamodb::operation::put_item::PutItemOutput,
    aws_sdk_dynamodb::operation::get_item::GetItemOutput,
    aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
    aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput,
    aws_sdk_dynamodb::operation::query::QueryOutput,
    aws_sdk_dynamodb::operation::scan::ScanOutput;
    many: aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput,
    aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput
);

/// Sends one request in a span naming the table and the operation; records the capacity it
/// consumed on the span and on `meter`; sorts its error, passing a failed condition's item
/// through the extensions.
///
/// The SDK's future comes boxed ([`sent`]): it is several KB, and every future that held it
/// by value (this one, the operation's, the caller's) would copy it when moved, which costs
/// more than the allocation.
pub(crate) fn send<'a, O: ReportsCapacity + 'a, E>(
    target: &'a Target,
    schema: &'static TableSchema,
    operation: &'static str,
    meter: Option<&'a CapacityMeter>,
    request: Sent<'a, O, E>,
) -> impl Future<Output = Result<O, Error>> + 'a
where
    E: std::error::Error + 'static,
    aws_sdk_dynamodb::Error: From<SdkError<E, HttpResponse>>,
{
    send_to(target.name(), operation, meter, request).map(move |sent| {
        sent.map_err(|error| crate::plan::read::condition_failed(target.chain(), schema, target.name(), error))
    })
}

/// Sends one request in a span naming the tables (comma-separated) and the operation; records
/// the capacity it consumed on the span and on `meter`.
pub(crate) fn send_to<'a, O: ReportsCapacity + 'a, E>(
    tables: &'a str,
    operation: &'static str,
    meter: Option<&'a CapacityMeter>,
    request: Sent<'a, O, E>,
) -> impl Future<Output = Result<O, Error>> + 'a
where
    E: std::error::Error + 'static,
    aws_sdk_dynamodb::Error: From<SdkError<E, HttpResponse>>,
{
    let span = span(tables, operation);
    request.instrument(span.clone()).map(move |sent| {
        let output = sent.map_err(|e| Error::from_sdk(tables, e))?;
        record_capacity(&span, meter, output.consumed().iter());
        Ok(output)
    })
}

/// An SDK request's future, boxed once where it is made, so that the futures around it move
/// a pointer, not its several KB.
pub(crate) type Sent<'a, O, E> =
    std::pin::Pin<Box<dyn Future<Output = Result<O, SdkError<E, HttpResponse>>> + Send + 'a>>;

/// Boxes an SDK request's future ([`Sent`]).
pub(crate) fn sent<'a, O, E>(
    request: impl Future<Output = Result<O, SdkError<E, HttpResponse>>> + Send + 'a,
) -> Sent<'a, O, E> {
    Box::pin(request)
}

/// Records the capacity a request consumed (summed over the tables it touched) on its span and
/// on `meter`; nothing when DynamoDB reported none.
pub(crate) fn record_capacity<'a>(
    span: &Span,
    meter: Option<&CapacityMeter>,
    reported: impl Iterator<Item = &'a ConsumedCapacity>,
) -> Option<f64> {
    let units = reported.filter_map(|c| c.capacity_units()).reduce(|a, b| a + b)?;
    span.record("consumed_capacity", units);
    if let Some(meter) = meter {
        meter.add(units);
    }
    Some(units)
}

/// The span every request runs in.
pub(crate) fn span(table: &str, operation: &'static str) -> Span {
    tracing::debug_span!("dynamodb", table, operation, consumed_capacity = tracing::field::Empty)
}

/// A number identifying one batch or transaction, so that a handle it made cannot be used with
/// another one's result.
pub(crate) fn next_request_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
