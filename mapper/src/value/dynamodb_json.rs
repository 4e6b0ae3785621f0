//! DynamoDB's JSON: attribute values typed as `{"S": "..."}`, `{"N": "..."}`,
//! `{"B": "<base64>"}`, `{"SS": [...]}`, `{"L": [...]}`, `{"M": {...}}` and so on — the form of
//! stream records in fixtures and queues, and of the requests the SDK sends. Read into the
//! SDK's `AttributeValue`, with errors that name the attribute.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Value};

use super::{ConvertError, ItemMap};

/// What a JSON value is, for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A map of attributes in DynamoDB's JSON (an item, a key, an image); an error names the
/// attribute (and the path inside it) that is not a DynamoDB JSON value.
pub(crate) fn item_map(map: &Map<String, Value>) -> Result<ItemMap, ConvertError> {
    let mut out = HashMap::with_capacity(map.len());
    for (name, value) in map {
        out.insert(name.clone(), attribute_value(value).map_err(|e| e.in_attribute(name))?);
    }
    Ok(out)
}

/// One attribute value: an object with exactly one member, named by its DynamoDB type.
pub(crate) fn attribute_value(value: &Value) -> Result<AttributeValue, ConvertError> {
    let Some((tag, inner)) = value.as_object().filter(|o| o.len() == 1).and_then(|o| o.iter().next()) else {
        return Err(ConvertError::custom(format!(
            "expected a DynamoDB JSON value (an object with one member such as \"S\" or \"N\"), found {}",
            kind_of(value)
        )));
    };
    let expected = |what: &str| ConvertError::custom(format!("`{tag}` holds {}, expected {what}", kind_of(inner)));
    let text = || inner.as_str().ok_or_else(|| expected("a string"));
    let texts = || -> Result<Vec<String>, ConvertError> {
        let list = inner.as_array().ok_or_else(|| expected("an array of strings"))?;
        list.iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| expected("an array of strings"))
            })
            .collect()
    };
    let binary = |text: &str| {
        aws_smithy_types::base64::decode(text)
            .map(Blob::new)
            .map_err(|e| ConvertError::custom(format!("`{tag}` is not base64: {e}")))
    };
    Ok(match tag.as_str() {
        "S" => AttributeValue::S(text()?.to_owned()),
        "N" => AttributeValue::N(text()?.to_owned()),
        "B" => AttributeValue::B(binary(text()?)?),
        "BOOL" => AttributeValue::Bool(inner.as_bool().ok_or_else(|| expected("a boolean"))?),
        "NULL" => AttributeValue::Null(inner.as_bool().ok_or_else(|| expected("a boolean"))?),
        "SS" => AttributeValue::Ss(texts()?),
        "NS" => AttributeValue::Ns(texts()?),
        "BS" => AttributeValue::Bs(texts()?.iter().map(|t| binary(t)).collect::<Result<_, _>>()?),
        "L" => {
            let list = inner.as_array().ok_or_else(|| expected("an array"))?;
            AttributeValue::L(
                list.iter()
                    .enumerate()
                    .map(|(i, v)| attribute_value(v).map_err(|e| e.at_index(i)))
                    .collect::<Result<_, _>>()?,
            )
        }
        "M" => AttributeValue::M(item_map(inner.as_object().ok_or_else(|| expected("an object"))?)?),
        other => {
            return Err(ConvertError::custom(format!(
                "`{other}` is not a DynamoDB type (S, N, B, BOOL, NULL, SS, NS, BS, L, M)"
            )));
        }
    })
}
