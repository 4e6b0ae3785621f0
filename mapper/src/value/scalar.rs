//! Booleans, strings and binary.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;

use super::{
    AttributeRef, AttributeType, FromAttributeValue, KeyAttribute, ScalarType, SetElement, SetMember, SetType,
    ToAttributeValue,
};
use crate::value::ConvertError;

impl ToAttributeValue for bool {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::Bool;

    #[inline]
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(Some(AttributeValue::Bool(*self)))
    }
}

impl FromAttributeValue for bool {
    #[inline]
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        match value {
            AttributeValue::Bool(b) => Ok(b),
            other => Err(ConvertError::wrong_type::<bool>("BOOL", &other)),
        }
    }

    #[inline]
    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        match value {
            AttributeRef::Bool(b) => Ok(b),
            other => Err(ConvertError::wrong_type_ref::<bool>("BOOL", other)),
        }
    }
}

impl ToAttributeValue for str {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::S;

    #[inline]
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(Some(AttributeValue::S(self.to_owned())))
    }
}

impl ToAttributeValue for String {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::S;

    #[inline]
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(Some(AttributeValue::S(self.clone())))
    }
}

impl FromAttributeValue for String {
    #[inline]
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        match value {
            AttributeValue::S(s) => Ok(s),
            other => Err(ConvertError::wrong_type::<String>("S", &other)),
        }
    }

    #[inline]
    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        match value {
            AttributeRef::S(s) => Ok(s.to_owned()),
            other => Err(ConvertError::wrong_type_ref::<String>("S", other)),
        }
    }
}

impl KeyAttribute for String {
    const SCALAR_TYPE: ScalarType = ScalarType::S;

    #[inline]
    fn into_key_attribute_value(self) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(Some(AttributeValue::S(self)))
    }
}

impl SetElement for String {
    const SET_TYPE: SetType = SetType::String;
    #[inline]
    fn to_member(&self) -> Result<SetMember, ConvertError> {
        Ok(SetMember::Text(self.clone()))
    }
    #[inline]
    fn from_member(member: SetMember) -> Result<Self, ConvertError> {
        match member {
            SetMember::Text(s) => Ok(s),
            other => Err(other.mismatch::<String>()),
        }
    }
}

impl ToAttributeValue for Bytes {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::B;

    #[inline]
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        // Shares the buffer: no copy.
        Ok(Some(AttributeValue::B(Blob::from_maybe_shared(self.clone()))))
    }
}

impl FromAttributeValue for Bytes {
    #[inline]
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        match value {
            AttributeValue::B(blob) => Ok(blob.into_bytes()),
            other => Err(ConvertError::wrong_type::<Bytes>("B", &other)),
        }
    }

    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        match value {
            AttributeRef::B(bytes) => Ok(Bytes::copy_from_slice(bytes)),
            other => Err(ConvertError::wrong_type_ref::<Bytes>("B", other)),
        }
    }
}

impl KeyAttribute for Bytes {
    const SCALAR_TYPE: ScalarType = ScalarType::B;
}

impl KeyAttribute for Vec<u8> {
    const SCALAR_TYPE: ScalarType = ScalarType::B;

    #[inline]
    fn into_key_attribute_value(self) -> Result<Option<AttributeValue>, ConvertError> {
        Ok(Some(AttributeValue::B(self.into())))
    }
}

impl SetElement for Bytes {
    const SET_TYPE: SetType = SetType::Binary;
    fn to_member(&self) -> Result<SetMember, ConvertError> {
        Ok(SetMember::Binary(Blob::from_maybe_shared(self.clone())))
    }
    fn from_member(member: SetMember) -> Result<Self, ConvertError> {
        match member {
            SetMember::Binary(blob) => Ok(blob.into_bytes()),
            other => Err(other.mismatch::<Bytes>()),
        }
    }
}

impl SetElement for Vec<u8> {
    const SET_TYPE: SetType = SetType::Binary;
    fn to_member(&self) -> Result<SetMember, ConvertError> {
        Ok(SetMember::Binary(Blob::new(self.clone())))
    }
    fn from_member(member: SetMember) -> Result<Self, ConvertError> {
        match member {
            SetMember::Binary(blob) => Ok(blob.into_inner()),
            other => Err(other.mismatch::<Vec<u8>>()),
        }
    }
}
