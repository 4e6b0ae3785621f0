//! `uuid::Uuid` as a hyphenated lowercase string (`S`).

use aws_sdk_dynamodb::types::AttributeValue;
use uuid::Uuid;

use super::{
    AttributeType, FromAttributeValue, KeyAttribute, ScalarType, SetElement, SetMember, SetType, ToAttributeValue,
};
use crate::value::{ConvertError, ConvertErrorKind};

fn format_uuid(uuid: &Uuid) -> String {
    let mut buffer = Uuid::encode_buffer();
    uuid.hyphenated().encode_lower(&mut buffer).to_owned()
}

fn parse_uuid(text: &str) -> Result<Uuid, ConvertError> {
    Uuid::parse_str(text).map_err(|e| {
        ConvertError::new(ConvertErrorKind::InvalidUuid {
            value: text.to_owned(),
            reason: e.to_string(),
        })
    })
}

impl ToAttributeValue for Uuid {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::S;

    #[inline]
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(Some(AttributeValue::S(format_uuid(self))))
    }
}

impl FromAttributeValue for Uuid {
    #[inline]
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        match value {
            AttributeValue::S(text) => parse_uuid(&text),
            other => Err(ConvertError::wrong_type::<Uuid>("S", &other)),
        }
    }

    #[inline]
    fn from_attribute_ref(value: super::AttributeRef<'_>) -> Result<Self, ConvertError> {
        match value {
            super::AttributeRef::S(text) => parse_uuid(text),
            other => Err(ConvertError::wrong_type_ref::<Uuid>("S", other)),
        }
    }
}

impl KeyAttribute for Uuid {
    const SCALAR_TYPE: ScalarType = ScalarType::S;

    /// Only the hyphenated lowercase form: a key stored as `{...}`, in uppercase or without
    /// hyphens would be written back as another key.
    fn from_key_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        match value {
            AttributeValue::S(text) => {
                let uuid = Uuid::parse_str(&text).map_err(|e| {
                    ConvertError::new(ConvertErrorKind::InvalidUuid {
                        value: text.clone(),
                        reason: e.to_string(),
                    })
                })?;
                // Compared on the stack: a key read costs no allocation.
                let mut buffer = Uuid::encode_buffer();
                if uuid.hyphenated().encode_lower(&mut buffer).as_bytes() == text.as_bytes() {
                    Ok(uuid)
                } else {
                    Err(ConvertError::new(ConvertErrorKind::NonCanonicalKey {
                        value: text,
                        written: format_uuid(&uuid),
                        rust_type: "Uuid",
                        matching: None,
                    }))
                }
            }
            other => Err(ConvertError::wrong_type::<Self>("S", &other)),
        }
    }
}

impl SetElement for Uuid {
    const SET_TYPE: SetType = SetType::String;
    fn to_member(&self) -> Result<SetMember, ConvertError> {
        Ok(SetMember::Text(format_uuid(self)))
    }
    fn from_member(member: SetMember) -> Result<Self, ConvertError> {
        match member {
            SetMember::Text(text) => parse_uuid(&text),
            other => Err(other.mismatch::<Uuid>()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_key_must_be_stored_as_it_is_written() {
        let text = "3f2b9c1e-58d4-4a7b-9e61-0c5d2a8fb4e3";
        let read = Uuid::from_key_attribute_value(AttributeValue::S(text.into())).unwrap();
        assert_eq!(read.to_string(), text);
        let upper = Uuid::from_key_attribute_value(AttributeValue::S(text.to_uppercase())).unwrap_err();
        assert!(
            matches!(upper.kind(), ConvertErrorKind::NonCanonicalKey { written, .. } if written == text),
            "{upper}"
        );
        // As an attribute (not a key), any form reads.
        assert_eq!(
            Uuid::from_attribute_value(AttributeValue::S(text.to_uppercase())).unwrap(),
            read
        );
    }
}
