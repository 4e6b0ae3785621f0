//! [`StrictChecks`]: DynamoDB's request rules, checked on the wire before a request is sent.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use serde_json::Value;

use crate::error::{Error, Refusal, RefusalKind};
use crate::item::ItemMap;
use crate::limits::{self, KeyRole};

/// An interceptor that fails, before it is sent, any request DynamoDB would reject for one of
/// these reasons, whatever built it (the mapper, the SDK by hand) and whatever the backend:
///
/// - an expression placeholder (`#name`, `:value`) declared but not used, or used but not
///   declared, in the request or in any action of a transaction or table of a batch get;
/// - an expression over [`MAX_EXPRESSION_SIZE`](limits::MAX_EXPRESSION_SIZE);
/// - an item over [`MAX_ITEM_SIZE`](limits::MAX_ITEM_SIZE) (put, batch put, transaction put);
/// - an empty key value, or one over 2048 bytes (the partition key limit: on the wire the
///   check cannot tell the sort key, whose limit is 1024, from the partition key);
/// - more than [`MAX_BATCH_WRITE_ITEMS`](limits::MAX_BATCH_WRITE_ITEMS) writes in a
///   `BatchWriteItem`, [`MAX_BATCH_GET_KEYS`](limits::MAX_BATCH_GET_KEYS) keys in a
///   `BatchGetItem`, [`MAX_TRANSACTION_ACTIONS`](limits::MAX_TRANSACTION_ACTIONS) actions in a
///   transaction.
///
/// The request then fails with an SDK dispatch error whose source is an
/// [`Error::Refused`] naming the rule ([`RefusalKind`]). The check runs once per operation,
/// before the SDK's retry loop. Clones share one counter of the requests checked
/// ([`checked_requests`](Self::checked_requests)).
///
/// ```
/// use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
/// use dynamodb_mapper::testing::StrictChecks;
///
/// let checks = StrictChecks::new();
/// let config = aws_sdk_dynamodb::Config::builder()
///     .behavior_version(BehaviorVersion::latest())
///     .region(Region::new("eu-west-1"))
///     .interceptor(checks.clone())
///     .build();
/// let client = aws_sdk_dynamodb::Client::from_conf(config);
/// # let _ = client;
/// assert_eq!(checks.checked_requests(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct StrictChecks {
    checked: Arc<AtomicUsize>,
}

impl StrictChecks {
    /// The checks, with a counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many requests these checks (and their clones) have passed.
    pub fn checked_requests(&self) -> usize {
        self.checked.load(Ordering::SeqCst)
    }

    /// Checks one request body of `operation` (`"PutItem"`, ...), as the interceptor does.
    pub fn check(&self, operation: &str, body: &[u8]) -> Result<(), Error> {
        let request: Value = match serde_json::from_slice(body) {
            Ok(request) => request,
            // Not JSON: nothing the rules apply to (the SDK always sends JSON to DynamoDB).
            Err(_) => return Ok(()),
        };
        check_request(operation, &request)?;
        self.checked.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl Intercept for StrictChecks {
    fn name(&self) -> &'static str {
        "StrictChecks"
    }

    fn read_after_serialization(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let Some(body) = request.body().bytes() else {
            return Ok(());
        };
        let operation = operation_of(request.headers().get("x-amz-target")).unwrap_or("");
        self.check(operation, body).map_err(|e| Box::new(e) as BoxError)
    }
}

/// The refusal of [`StrictChecks`] that caused `error`, if one did: it walks the chain of
/// sources (an SDK error wraps it in a dispatch failure and an interceptor error; the mapper's
/// [`Error::Sdk`] wraps the SDK's error).
///
/// ```
/// # async fn example(client: aws_sdk_dynamodb::Client) {
/// use dynamodb_mapper::{RefusalKind, testing};
///
/// let error = client.scan().table_name("t").filter_expression("#a = :b").send().await.unwrap_err();
/// let refusal = testing::refusal_in(&error).expect("refused before sending");
/// assert_eq!(refusal.kind(), RefusalKind::Placeholders);
/// # }
/// ```
pub fn refusal_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refusal> {
    let mut next: Option<&'a (dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = next {
        if let Some(refusal) = error.downcast_ref::<Refusal>() {
            return Some(refusal);
        }
        if let Some(Error::Refused(refusal)) = error.downcast_ref::<Error>() {
            return Some(refusal);
        }
        next = error.source();
    }
    None
}

/// The operation named by an `X-Amz-Target` header (`DynamoDB_20120810.PutItem` → `PutItem`).
pub(crate) fn operation_of(target: Option<&str>) -> Option<&str> {
    target.map(|t| t.rsplit('.').next().unwrap_or(t))
}

fn refused(kind: RefusalKind, message: String) -> Error {
    Error::Refused(Refusal::new(kind, message))
}

fn check_request(operation: &str, request: &Value) -> Result<(), Error> {
    match operation {
        "BatchWriteItem" => {
            let tables = request.get("RequestItems").and_then(Value::as_object);
            let mut count = 0;
            for writes in tables.into_iter().flat_map(|t| t.values()) {
                for write in writes.as_array().into_iter().flatten() {
                    count += 1;
                    if let Some(item) = write.pointer("/PutRequest/Item") {
                        check_item(item, "a batch put's item")?;
                    }
                    if let Some(key) = write.pointer("/DeleteRequest/Key") {
                        check_key(key)?;
                    }
                }
            }
            check_count(count, limits::MAX_BATCH_WRITE_ITEMS, "BatchWriteItem", "writes")
        }
        "BatchGetItem" => {
            let tables = request.get("RequestItems").and_then(Value::as_object);
            let mut count = 0;
            for keys_and_attributes in tables.into_iter().flat_map(|t| t.values()) {
                for key in keys_and_attributes
                    .get("Keys")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    count += 1;
                    check_key(key)?;
                }
                check_expressions(keys_and_attributes)?;
            }
            check_count(count, limits::MAX_BATCH_GET_KEYS, "BatchGetItem", "keys")
        }
        "TransactWriteItems" | "TransactGetItems" => {
            let actions = request.get("TransactItems").and_then(Value::as_array);
            let count = actions.map_or(0, Vec::len);
            for action in actions.into_iter().flatten() {
                for (kind, inner) in action.as_object().into_iter().flatten() {
                    check_single(kind, inner)?;
                }
            }
            check_count(count, limits::MAX_TRANSACTION_ACTIONS, operation, "actions")
        }
        _ => check_single(operation, request),
    }
}

/// One request, or one action of a transaction: its item, its key and its expressions.
fn check_single(kind: &str, request: &Value) -> Result<(), Error> {
    if let Some(item) = request.get("Item") {
        check_item(item, &format!("the item of {kind}"))?;
    }
    if let Some(key) = request.get("Key") {
        check_key(key)?;
    }
    check_expressions(request)
}

fn check_count(count: usize, max: usize, operation: &str, what: &str) -> Result<(), Error> {
    if count > max {
        return Err(refused(
            RefusalKind::TooManyValues,
            format!("{operation} takes at most {max} {what}, not {count}"),
        ));
    }
    Ok(())
}

fn check_item(item: &Value, what: &str) -> Result<(), Error> {
    limits::check_item_size(&item_map(item), what).map(drop)
}

fn check_key(key: &Value) -> Result<(), Error> {
    let key = item_map(key);
    for (name, value) in &key {
        limits::check_key_value(name, KeyRole::Partition, value)?;
    }
    Ok(())
}

/// The placeholder and size checks on one set of expressions and their declarations.
fn check_expressions(request: &Value) -> Result<(), Error> {
    let Some(fields) = request.as_object() else {
        return Ok(());
    };
    let mut used = BTreeSet::new();
    for (field, value) in fields {
        if let Some(kind) = field.strip_suffix("Expression")
            && let Some(text) = value.as_str()
        {
            limits::check_expression(kind, text)?;
            used.extend(placeholder_tokens(text));
        }
    }
    let declared: BTreeSet<&str> = ["ExpressionAttributeNames", "ExpressionAttributeValues"]
        .iter()
        .filter_map(|k| fields.get(*k).and_then(Value::as_object))
        .flat_map(|m| m.keys().map(String::as_str))
        .collect();
    let unused: Vec<&str> = declared.difference(&used).copied().collect();
    let undeclared: Vec<&str> = used.difference(&declared).copied().collect();
    if unused.is_empty() && undeclared.is_empty() {
        return Ok(());
    }
    let mut problems = Vec::new();
    if !unused.is_empty() {
        problems.push(format!("declared but unused: {}", unused.join(", ")));
    }
    if !undeclared.is_empty() {
        problems.push(format!("used but undeclared: {}", undeclared.join(", ")));
    }
    Err(refused(
        RefusalKind::Placeholders,
        format!("expression placeholders {}", problems.join("; ")),
    ))
}

/// The `#name` and `:value` tokens of an expression text: a `#` or `:` followed by at least one
/// letter, digit or underscore. Written apart from the mapper's own expression code on purpose,
/// so that the check does not share the code it checks.
pub(crate) fn placeholder_tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start: Option<usize> = None;
    for (at, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        let word = c.is_ascii_alphanumeric() || c == '_';
        if let Some(from) = start
            && !word
        {
            if at > from + 1 {
                tokens.push(&text[from..at]);
            }
            start = None;
        }
        if start.is_none() && (c == '#' || c == ':') {
            start = Some(at);
        }
    }
    tokens
}

/// An item or key in DynamoDB's JSON form, as the SDK's attribute values (for the size rules).
/// Members that are not attribute values are left out.
fn item_map(json: &Value) -> ItemMap {
    json.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| Some((name.clone(), crate::value::dynamodb_json::attribute_value(value).ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kind(operation: &str, request: Value) -> Option<RefusalKind> {
        StrictChecks::new()
            .check(operation, request.to_string().as_bytes())
            .err()
            .map(|e| e.as_refusal().expect("a refusal").kind())
    }

    #[test]
    fn tokens() {
        assert_eq!(
            placeholder_tokens("#a = :b AND size(#c_1) > :d2 OR # = :"),
            ["#a", ":b", "#c_1", ":d2"]
        );
        assert_eq!(placeholder_tokens("#a.#b[0], :x"), ["#a", "#b", ":x"]);
        assert!(placeholder_tokens("a = b").is_empty());
    }

    #[test]
    fn placeholders() {
        let good = json!({
            "TableName": "t", "FilterExpression": "#s = :a",
            "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":a": {"S": "x"}}
        });
        assert_eq!(kind("Scan", good), None);
        let unused = json!({
            "TableName": "t", "FilterExpression": "#s = :a",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":a": {"S": "x"}, ":unused": {"S": "y"}}
        });
        assert_eq!(kind("Scan", unused), Some(RefusalKind::Placeholders));
        let undeclared = json!({"TableName": "t", "ConditionExpression": "attribute_exists(#k)"});
        assert_eq!(kind("DeleteItem", undeclared), Some(RefusalKind::Placeholders));
        let no_expression = json!({"TableName": "t", "ExpressionAttributeValues": {":a": {"S": "x"}}});
        assert_eq!(kind("PutItem", no_expression), Some(RefusalKind::Placeholders));
        let in_transaction = json!({"TransactItems": [
            {"ConditionCheck": {"TableName": "t", "Key": {"id": {"S": "1"}}, "ConditionExpression": "#v = :v",
              "ExpressionAttributeNames": {"#v": "v"}}}
        ]});
        assert_eq!(
            kind("TransactWriteItems", in_transaction),
            Some(RefusalKind::Placeholders)
        );
        let batch_get = json!({"RequestItems": {"t": {"Keys": [{"id": {"S": "1"}}],
            "ProjectionExpression": "id", "ExpressionAttributeNames": {"#x": "x"}}}});
        assert_eq!(kind("BatchGetItem", batch_get), Some(RefusalKind::Placeholders));
    }

    #[test]
    fn request_limits() {
        let put = |i: usize| json!({"PutRequest": {"Item": {"id": {"S": i.to_string()}}}});
        let writes = |n: usize| json!({"RequestItems": {"t": (0..n).map(put).collect::<Vec<_>>()}});
        assert_eq!(kind("BatchWriteItem", writes(25)), None);
        assert_eq!(kind("BatchWriteItem", writes(26)), Some(RefusalKind::TooManyValues));
        let keys = |n: usize| json!({"RequestItems": {"t": {"Keys": (0..n).map(|i| json!({"id": {"N": i.to_string()}})).collect::<Vec<_>>()}}});
        assert_eq!(kind("BatchGetItem", keys(100)), None);
        assert_eq!(kind("BatchGetItem", keys(101)), Some(RefusalKind::TooManyValues));
        let check = json!({"ConditionCheck": {"TableName": "t", "Key": {"id": {"S": "1"}}, "ConditionExpression": "attribute_exists(id)"}});
        let actions = |n: usize| json!({"TransactItems": vec![check.clone(); n]});
        assert_eq!(kind("TransactWriteItems", actions(100)), None);
        assert_eq!(
            kind("TransactWriteItems", actions(101)),
            Some(RefusalKind::TooManyValues)
        );
        let big = |n: usize| json!({"TableName": "t", "Item": {"id": {"S": "1"}, "b": {"B": aws_smithy_types::base64::encode(vec![0u8; n])}}});
        assert_eq!(kind("PutItem", big(limits::MAX_ITEM_SIZE - 4)), None);
        assert_eq!(
            kind("PutItem", big(limits::MAX_ITEM_SIZE - 3)),
            Some(RefusalKind::ItemTooLarge)
        );
        let long = json!({"TableName": "t", "Key": {"id": {"S": "1"}}, "ProjectionExpression": "a,".repeat(2049)});
        assert_eq!(kind("GetItem", long), Some(RefusalKind::ExpressionTooLarge));
        let empty_key = json!({"TableName": "t", "Key": {"id": {"S": ""}}});
        assert_eq!(kind("GetItem", empty_key), Some(RefusalKind::EmptyKeyValue));
    }
}
