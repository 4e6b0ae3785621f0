//! A transaction ready to send: each action planned through the extensions into its
//! `TransactWriteItem`, DynamoDB's limits checked, and the identical request resent (same
//! client request token) while its outcome is unknown.

use std::fmt;
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::InterceptorContext;
use aws_sdk_dynamodb::config::retry::{ClassifyRetry, RetryAction, RetryConfig};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{self, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use tracing::Instrument;

use super::Committed;
use super::outcome::{PreparedAction, canceled};
use super::write::{Pending, TxWrite};
use crate::error::{Error, RefusalKind};
use crate::extension::Expectation;
use crate::item::ItemMap;
use crate::limits;
use crate::ops::CapacityMeter;
use crate::plan::{self, Known, Plan, UpdateRequest, Write};
use crate::retry::RetryPolicy;
use crate::target::{Config, Target};

/// A random client request token: 32 hexadecimal digits.
fn new_token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// A transaction ready to send.
pub(super) struct Prepared {
    config: Arc<Config>,
    /// Which transaction this is, for its handles.
    id: u64,
    capacity: Option<types::ReturnConsumedCapacity>,
    items: Vec<TransactWriteItem>,
    actions: Vec<PreparedAction>,
    token: String,
    policy: Option<RetryPolicy>,
    meter: Option<CapacityMeter>,
}

fn build_error(index: usize, error: impl fmt::Display) -> Error {
    Error::refused(
        RefusalKind::InvalidArgument,
        format!("action {index} of the transaction is incomplete: {error}"),
    )
}

/// Plans one action through the extensions and builds its `TransactWriteItem`; returns what
/// is kept of it for the outcome, and its size.
fn prepare_action(index: usize, pending: Pending) -> Result<(TransactWriteItem, PreparedAction, usize), Error> {
    let Pending {
        target,
        schema,
        write,
        condition,
        patch_actions,
    } = pending;
    let write = write?;
    let kind = write.name();
    let prepare = Write::new(target.chain(), schema, target.name())
        .condition(condition)
        .in_transaction();
    // The four action types share these settings, on builders of different types.
    macro_rules! with_plan {
        ($plan:ident, $builder:expr) => {
            $builder
                .table_name(target.name())
                .set_condition_expression($plan.condition)
                .set_expression_attribute_names($plan.names)
                .set_expression_attribute_values($plan.values)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .build()
                .map_err(|e| build_error(index, e))?
        };
    }
    let update = |plan: Plan<UpdateRequest>| -> Result<Built, Error> {
        let key = plan.request.key.clone();
        let (expected, known, requires_item) = (plan.expected, plan.known, plan.requires_item);
        let UpdateRequest {
            key: request_key,
            expression,
        } = plan.request;
        let update = with_plan!(
            plan,
            types::Update::builder()
                .set_key(Some(request_key))
                .update_expression(expression)
        );
        Ok(Built {
            item: TransactWriteItem::builder().update(update).build(),
            key,
            size: plan.transaction_size,
            expected,
            known,
            requires_item,
        })
    };
    let built = match write {
        TxWrite::Put(item) => {
            let plan = prepare.put(item)?;
            let key = plan::key_of(schema, &plan.request.item);
            let (expected, known) = (plan.expected, plan.known);
            let put = with_plan!(plan, types::Put::builder().set_item(Some(plan.request.item)));
            Built {
                item: TransactWriteItem::builder().put(put).build(),
                key,
                size: plan.transaction_size,
                expected,
                known,
                requires_item: false,
            }
        }
        TxWrite::Update { item, ignore_nulls } => update(prepare.update(item, ignore_nulls)?)?,
        TxWrite::Patch { key, decodes } => {
            let (key, actions, mode) = patch_actions.finish(schema, key, decodes)?;
            update(prepare.patch(key, actions, mode)?)?
        }
        TxWrite::Delete { item, whole_item } => {
            let plan = prepare.delete(item, whole_item)?;
            let key = plan.request.key.clone();
            let expected = plan.expected;
            let delete = with_plan!(plan, types::Delete::builder().set_key(Some(plan.request.key)));
            Built {
                item: TransactWriteItem::builder().delete(delete).build(),
                key,
                size: plan.transaction_size,
                expected,
                known: None,
                requires_item: false,
            }
        }
        TxWrite::Check(item) => {
            let plan = prepare.check(item)?;
            let key = plan.request.key.clone();
            let expected = plan.expected;
            let check = with_plan!(plan, types::ConditionCheck::builder().set_key(Some(plan.request.key)));
            Built {
                item: TransactWriteItem::builder().condition_check(check).build(),
                key,
                size: plan.transaction_size,
                expected,
                known: None,
                requires_item: false,
            }
        }
    };
    let action = PreparedAction {
        target,
        schema,
        key: built.key,
        expected: built.expected,
        known: built.known,
        requires_item: built.requires_item,
        kind,
    };
    Ok((built.item, action, built.size))
}

/// An action built: its request, key and size, and the plan's record.
struct Built {
    item: TransactWriteItem,
    key: ItemMap,
    size: usize,
    expected: Vec<Expectation>,
    known: Option<Known>,
    requires_item: bool,
}

/// The tables of a transaction, for messages and spans.
pub(crate) fn table_names<'a>(targets: impl Iterator<Item = &'a Target>) -> String {
    let mut names: Vec<&str> = targets.map(Target::name).collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

impl Prepared {
    /// Runs the extensions on every action and checks the limits.
    pub(super) fn new(
        config: Arc<Config>,
        id: u64,
        pending: Vec<Pending>,
        token: Option<String>,
        policy: Option<RetryPolicy>,
        meter: Option<CapacityMeter>,
    ) -> Result<Prepared, Error> {
        let count = pending.len();
        if count == 0 {
            return Err(Error::refused(
                RefusalKind::NothingToWrite,
                "a transaction needs at least one action",
            ));
        }
        if count > limits::MAX_TRANSACTION_ACTIONS {
            return Err(Error::refused(
                RefusalKind::TooManyActions,
                format!(
                    "a transaction takes at most {} actions, not {count}",
                    limits::MAX_TRANSACTION_ACTIONS
                ),
            ));
        }
        let token = match token {
            Some(token) => {
                let length = token.chars().count();
                if length == 0 || length > limits::MAX_CLIENT_REQUEST_TOKEN_LEN {
                    return Err(Error::refused(
                        RefusalKind::InvalidToken,
                        format!(
                            "a client request token has 1 to {} characters, not {length}",
                            limits::MAX_CLIENT_REQUEST_TOKEN_LEN
                        ),
                    ));
                }
                token
            }
            None => new_token(),
        };
        let mut actions: Vec<PreparedAction> = Vec::with_capacity(count);
        let mut items = Vec::with_capacity(count);
        let mut size = 0;
        for (index, pending) in pending.into_iter().enumerate() {
            let (item, action, action_size) = prepare_action(index, pending)?;
            size += action_size;
            if let Some(earlier) = actions
                .iter()
                .position(|a| a.target.name() == action.target.name() && a.key == action.key)
            {
                return Err(Error::refused(
                    RefusalKind::SameItemTwice,
                    format!(
                        "actions {earlier} and {index} are both on the item with key {:?} of table `{}`: \
                         DynamoDB takes one action per item in a transaction",
                        action.key,
                        action.target.name()
                    ),
                ));
            }
            items.push(item);
            actions.push(action);
        }
        if size > limits::MAX_TRANSACTION_SIZE {
            return Err(Error::refused(
                RefusalKind::TransactionTooLarge,
                format!(
                    "the transaction is {size} bytes, over DynamoDB's limit of {} (4 MB)",
                    limits::MAX_TRANSACTION_SIZE
                ),
            ));
        }
        Ok(Prepared {
            capacity: config.capacity_request(meter.is_some()),
            config,
            id,
            items,
            actions,
            token,
            policy,
            meter,
        })
    }

    /// Sends the transaction. The identical request is sent again (the same serialized
    /// bytes, token included) by the SDK's own retries, which the transaction's policy
    /// configures for this request: the request is not kept, nor copied, for a resend.
    pub(super) fn send(self) -> impl Future<Output = Result<Committed, Error>> + Send + 'static {
        let Prepared {
            config,
            id,
            capacity,
            items,
            actions,
            token,
            policy,
            meter,
        } = self;
        let tables = table_names(actions.iter().map(|a| &a.target));
        let span = crate::ops::span(&tables, "TransactWriteItems");
        let client = match policy {
            Some(_) => &config.client,
            None => &config.transactions,
        };
        let request = client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(&token)
            .set_return_consumed_capacity(capacity);
        // Customized only for a policy of its own: a customized request is moved whole into
        // the SDK's operation once more. Made before the future, which holds only the
        // request in flight and what reading its answer needs.
        let sending = match &policy {
            Some(policy) => crate::ops::sent(request.customize().config_override(resends(policy)).send()),
            None => crate::ops::sent(request.send()),
        }
        .instrument(span.clone());
        async move {
            let output = match sending.await {
                Ok(output) => output,
                Err(error) => {
                    if let SdkError::ServiceError(service) = &error
                        && let TransactWriteItemsError::TransactionCanceledException(e) = service.err()
                    {
                        let reasons = e.cancellation_reasons().to_vec();
                        let message = e.message().unwrap_or("transaction cancelled").to_owned();
                        return Err(canceled(id, &actions, reasons, message));
                    }
                    return Err(Error::from_sdk(&tables, error));
                }
            };
            crate::ops::record_capacity(&span, meter.as_ref(), output.consumed_capacity().iter());
            Ok(Committed::new(id, actions, token))
        }
    }
}

/// The default policy of a transaction's identical resends: 3 attempts, 20 ms to 1 s apart.
fn default_resends() -> RetryPolicy {
    RetryPolicy::default().max_attempts(3)
}

/// `client`, made to resend a transaction as the default policy says.
pub(crate) fn transaction_client(client: &aws_sdk_dynamodb::Client) -> aws_sdk_dynamodb::Client {
    let config = client.config().to_builder();
    aws_sdk_dynamodb::Client::from_conf(
        config
            .retry_config(retry_config(&default_resends()))
            .retry_classifier(InProgress)
            .build(),
    )
}

fn retry_config(policy: &RetryPolicy) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(policy.attempts())
        .with_initial_backoff(policy.first_delay())
        .with_max_backoff(policy.longest_delay())
}

/// The SDK's retries of one transaction request, as `policy` says: its attempts (every one,
/// the first included) and delays. Besides what the SDK's standard retries resend (a timeout,
/// a broken connection, a 5xx, throttling), a transaction whose token is still being applied
/// (`TransactionInProgress`) is sent again.
fn resends(policy: &RetryPolicy) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::config::Builder::default()
        .retry_config(retry_config(policy))
        .retry_classifier(InProgress)
}

/// Classifies `TransactionInProgressException` as transient: the same token is still being
/// applied, so the identical request may be sent again.
#[derive(Debug)]
struct InProgress;

impl ClassifyRetry for InProgress {
    fn classify_retry(&self, cx: &InterceptorContext) -> RetryAction {
        let in_progress = match cx.output_or_error() {
            Some(Err(error)) => error
                .as_operation_error()
                .and_then(|e| e.downcast_ref::<TransactWriteItemsError>())
                .is_some_and(|e| matches!(e, TransactWriteItemsError::TransactionInProgressException(_))),
            _ => false,
        };
        if in_progress {
            RetryAction::transient_error()
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "TransactionInProgress"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_and_fit() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.len() <= limits::MAX_CLIENT_REQUEST_TOKEN_LEN);
    }
}
