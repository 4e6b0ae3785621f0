//! Operations on one item: put, get, update, patch, delete, and the read-modify-write loop.
//!
//! The four writes share what they hold besides their own input ([`Common`]: the table, the
//! caller's condition, a capacity meter), their two options (written once, by
//! [`write_options!`]) and the request they send ([`conditional_request!`]): a plan's
//! condition, names and values, and the stored item back when the condition fails.

mod delete;
mod get;
mod patch;
mod put;
mod read_modify_write;
mod update;

pub use delete::Delete;
pub use get::Get;
pub use patch::Patch;
pub(crate) use patch::{PatchActions, decodes, patch_actions};
pub use put::Put;
pub use read_modify_write::ReadModifyWrite;
pub use update::Update;

use crate::expr::Condition;
use crate::ops::CapacityMeter;
use crate::plan::Write;
use crate::schema::TableSchema;
use crate::target::Target;

/// What every single-item write holds besides its own input.
pub(crate) struct Common {
    pub(crate) target: Target,
    pub(crate) condition: Option<Condition>,
    pub(crate) meter: Option<CapacityMeter>,
}

impl std::fmt::Debug for Common {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Common")
            .field("table", &self.target.name())
            .field("condition", &self.condition)
            .field("metered", &self.meter.is_some())
            .finish()
    }
}

impl Common {
    pub(crate) fn new(target: Target) -> Self {
        Common {
            target,
            condition: None,
            meter: None,
        }
    }

    /// The write's plan, on this table, with the caller's condition.
    pub(crate) fn write(&mut self, schema: &'static TableSchema) -> Write<'_> {
        Write::new(self.target.chain(), schema, self.target.name()).condition(self.condition.take())
    }
}

/// The options every single-item write has, `condition` and `capacity`, and its `Debug`, on a
/// builder with a `common: Common` field.
macro_rules! write_options {
    ($($builder:ident),*) => {$(
        impl<T> std::fmt::Debug for $builder<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($builder)).field("common", &self.common).finish_non_exhaustive()
            }
        }

        impl<T> $builder<T> {
            /// Writes only if `condition` holds for the stored item (or for an empty item if
            /// there is none); otherwise fails with
            /// [`Error::ConditionFailed`](crate::Error::ConditionFailed), which carries the
            /// stored item. Several conditions are ANDed.
            pub fn condition(mut self, condition: impl crate::expr::IntoCondition<T>) -> Self {
                let condition = condition.into_condition();
                self.common.condition = Some(match self.common.condition.take() {
                    Some(earlier) => earlier.and(condition),
                    None => condition,
                });
                self
            }

            /// Adds the capacity the request consumes to `meter`.
            pub fn capacity(mut self, meter: &crate::ops::CapacityMeter) -> Self {
                self.common.meter = Some(meter.clone());
                self
            }
        }
    )*};
}

write_options!(Put, Update, Patch, Delete);

/// A single-item request on its way: the SDK's future with what sorting its answer needs,
/// owned, so that an operation's future holds this and nothing of its builder or its plan
/// (prepared before the future is made, not inside it).
pub(crate) struct Sending<O, E> {
    target: Target,
    schema: &'static TableSchema,
    operation: &'static str,
    meter: Option<CapacityMeter>,
    request: crate::ops::Sent<'static, O, E>,
}

impl<O, E> Sending<O, E>
where
    O: crate::ops::ReportsCapacity + 'static,
    E: std::error::Error + 'static,
    aws_sdk_dynamodb::Error: From<aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>>,
{
    /// Sends the request ([`crate::ops::send`]); returns its output and the table it went to.
    pub(crate) async fn output(self) -> Result<(O, Target), crate::Error> {
        let output = crate::ops::send(
            &self.target,
            self.schema,
            self.operation,
            self.meter.as_ref(),
            self.request,
        )
        .await?;
        Ok((output, self.target))
    }
}

/// The item a put replaced or a delete removed, when DynamoDB returned one (`ALL_OLD`).
fn read_old<T: crate::Item>(
    attributes: Option<crate::item::ItemMap>,
    target: &Target,
) -> Result<Option<T>, crate::Error> {
    match attributes.filter(|a| !a.is_empty()) {
        Some(old) => crate::plan::read::decode_written(target.chain(), T::TABLE, target.name(), old).map(Some),
        None => Ok(None),
    }
}

/// A single-item write request (`put_item`, `update_item`, `delete_item` of the client) with
/// a plan's condition, names and values, asking for the stored item when the condition fails
/// and for the consumed capacity when it is metered: a [`Sending`], made from the write's
/// [`Common`] (consumed).
macro_rules! conditional_request {
    ($request:ident, $common:expr, $plan:expr, $schema:expr, $operation:literal, |$builder:ident| $build:expr) => {{
        let Common { target, meter, .. } = $common;
        let $builder = target
            .client()
            .$request()
            .table_name(target.name())
            .set_condition_expression($plan.condition)
            .set_expression_attribute_names($plan.names)
            .set_expression_attribute_values($plan.values)
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .set_return_consumed_capacity(target.capacity_request(meter.is_some()));
        let request = crate::ops::sent($build.send());
        crate::ops::single::Sending {
            target,
            schema: $schema,
            operation: $operation,
            meter,
            request,
        }
    }};
}

pub(crate) use conditional_request;
