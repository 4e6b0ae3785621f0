//! `Option`, lists (`L`), maps (`M`) and sets (`SS`, `NS`, `BS`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

use aws_sdk_dynamodb::types::AttributeValue;

use super::{AttributeRef, AttributeType, FromAttributeValue, SetElement, SetMember, SetType, ToAttributeValue};
use crate::value::ConvertError;

impl<T: ToAttributeValue> ToAttributeValue for Option<T> {
    const ATTRIBUTE_TYPE: &'static AttributeType = T::ATTRIBUTE_TYPE;

    #[inline]
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        match self {
            Some(value) => value.to_attribute_value(),
            None => Ok(None),
        }
    }
}

impl<T: FromAttributeValue> FromAttributeValue for Option<T> {
    #[inline]
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            value => T::from_attribute_value(value).map(Some),
        }
    }

    #[inline]
    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        match value {
            AttributeRef::Null(_) => Ok(None),
            value => T::from_attribute_ref(value).map(Some),
        }
    }

    #[inline]
    fn from_missing() -> Result<Self, ConvertError> {
        Ok(None)
    }
}

impl<T: ToAttributeValue> ToAttributeValue for Vec<T> {
    const ATTRIBUTE_TYPE: &'static AttributeType = T::SEQUENCE_ATTRIBUTE_TYPE;

    #[inline]
    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        T::sequence_to_attribute_value(self.iter())
    }
}

impl<T: FromAttributeValue> FromAttributeValue for Vec<T> {
    #[inline]
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        T::sequence_from_attribute_value(value)
    }

    #[inline]
    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        T::sequence_from_attribute_ref(value)
    }
}

impl<T: ToAttributeValue> ToAttributeValue for VecDeque<T> {
    const ATTRIBUTE_TYPE: &'static AttributeType = T::SEQUENCE_ATTRIBUTE_TYPE;

    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        T::sequence_to_attribute_value(self.iter())
    }
}

impl<T: FromAttributeValue> FromAttributeValue for VecDeque<T> {
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        // From a `Vec` without copying.
        T::sequence_from_attribute_value(value).map(VecDeque::from)
    }

    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        T::sequence_from_attribute_ref(value).map(VecDeque::from)
    }
}

/// Writes map entries as `M`; a value that would not be written is kept as `NULL`.
fn map_to_attribute_value<'a, T, I>(entries: I) -> Result<Option<AttributeValue>, ConvertError>
where
    T: ToAttributeValue + 'a,
    I: ExactSizeIterator<Item = (&'a String, &'a T)>,
{
    let mut map = HashMap::with_capacity(entries.len());
    for (key, value) in entries {
        let value = value.to_attribute_value().map_err(|e| e.in_attribute(key))?;
        map.insert(key.clone(), value.unwrap_or_else(|| AttributeValue::Null(true)));
    }
    Ok(Some(AttributeValue::M(map)))
}

/// The entries of an `M`, read one by one (so that callers can size their map first).
fn map_entries<T, C>(
    value: AttributeValue,
) -> Result<impl ExactSizeIterator<Item = Result<(String, T), ConvertError>>, ConvertError>
where
    T: FromAttributeValue,
{
    match value {
        AttributeValue::M(map) => Ok(map
            .into_iter()
            .map(|(key, value)| match T::from_attribute_value(value) {
                Ok(value) => Ok((key, value)),
                Err(e) => Err(e.in_attribute(&key)),
            })),
        other => Err(ConvertError::wrong_type::<C>("M", &other)),
    }
}

/// The `M` seen in place that a map of type `C` reads.
fn map_ref<'a, C>(value: AttributeRef<'a>) -> Result<&'a dyn super::MapRef, ConvertError> {
    match value {
        AttributeRef::M(map) => Ok(map),
        other => Err(ConvertError::wrong_type_ref::<C>("M", other)),
    }
}

/// Reads the entries of an `M` seen in place into `insert`.
fn read_entries_ref<T: FromAttributeValue>(
    map: &dyn super::MapRef,
    mut insert: impl FnMut(String, T),
) -> Result<(), ConvertError> {
    let mut failed = None;
    map.for_each(&mut |key, value| {
        if failed.is_none() {
            match T::from_attribute_ref(value) {
                Ok(value) => insert(key.to_owned(), value),
                Err(e) => failed = Some(e.in_attribute(key)),
            }
        }
    });
    failed.map_or(Ok(()), Err)
}

impl<T: ToAttributeValue, S> ToAttributeValue for HashMap<String, T, S> {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::M(T::ATTRIBUTE_TYPE);

    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        map_to_attribute_value(self.iter())
    }
}

impl<T: FromAttributeValue, S: BuildHasher + Default> FromAttributeValue for HashMap<String, T, S> {
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        let entries = map_entries::<T, Self>(value)?;
        let mut map = HashMap::with_capacity_and_hasher(entries.len(), S::default());
        for entry in entries {
            let (key, value) = entry?;
            map.insert(key, value);
        }
        Ok(map)
    }

    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        let entries = map_ref::<Self>(value)?;
        let mut map = HashMap::with_capacity_and_hasher(entries.len(), S::default());
        read_entries_ref(entries, |k, v| {
            map.insert(k, v);
        })?;
        Ok(map)
    }
}

impl<T: ToAttributeValue> ToAttributeValue for BTreeMap<String, T> {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::M(T::ATTRIBUTE_TYPE);

    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        map_to_attribute_value(self.iter())
    }
}

impl<T: FromAttributeValue> FromAttributeValue for BTreeMap<String, T> {
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        map_entries::<T, Self>(value)?.collect()
    }

    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        let mut map = BTreeMap::new();
        read_entries_ref(map_ref::<Self>(value)?, |k, v| {
            map.insert(k, v);
        })?;
        Ok(map)
    }
}

/// Writes set members as `SS`, `NS` or `BS`. An empty set is not written: DynamoDB has no
/// empty sets.
fn set_to_attribute_value<'a, T, I>(members: I) -> Result<Option<AttributeValue>, ConvertError>
where
    T: SetElement + 'a,
    I: ExactSizeIterator<Item = &'a T>,
{
    if members.len() == 0 {
        return Ok(None);
    }
    let set = match T::SET_TYPE {
        SetType::String | SetType::Number => {
            let mut texts = Vec::with_capacity(members.len());
            for member in members {
                match member.to_member()? {
                    SetMember::Text(text) => texts.push(text),
                    other => return Err(other.mismatch::<T>()),
                }
            }
            if T::SET_TYPE == SetType::String {
                AttributeValue::Ss(texts)
            } else {
                AttributeValue::Ns(texts)
            }
        }
        SetType::Binary => {
            let mut blobs = Vec::with_capacity(members.len());
            for member in members {
                match member.to_member()? {
                    SetMember::Binary(blob) => blobs.push(blob),
                    other => return Err(other.mismatch::<T>()),
                }
            }
            AttributeValue::Bs(blobs)
        }
    };
    Ok(Some(set))
}

/// The members of an `SS`, `NS` or `BS` (`NULL` reads as no member), read one by one (so that
/// callers can size their set first).
fn set_members<T, C>(
    value: AttributeValue,
) -> Result<impl ExactSizeIterator<Item = Result<T, ConvertError>>, ConvertError>
where
    T: SetElement,
{
    let members = match (T::SET_TYPE, value) {
        (SetType::String, AttributeValue::Ss(texts)) | (SetType::Number, AttributeValue::Ns(texts)) => {
            Members::Text(texts.into_iter())
        }
        (SetType::Binary, AttributeValue::Bs(blobs)) => Members::Binary(blobs.into_iter()),
        (_, AttributeValue::Null(_)) => Members::Text(Vec::new().into_iter()),
        (set_type, other) => return Err(ConvertError::wrong_type::<C>(set_type.name(), &other)),
    };
    Ok(members.map(T::from_member))
}

/// The members of an `SS`, `NS` or `BS` seen in place (`NULL` reads as no member), read one
/// by one.
fn set_members_ref<'a, T, C>(
    value: AttributeRef<'a>,
) -> Result<impl ExactSizeIterator<Item = Result<T, ConvertError>> + 'a, ConvertError>
where
    T: SetElement + 'a,
{
    let members = match (T::SET_TYPE, value) {
        (SetType::String, AttributeRef::Ss(texts)) | (SetType::Number, AttributeRef::Ns(texts)) => {
            MembersRef::Text(texts.iter())
        }
        (SetType::Binary, AttributeRef::Bs(blobs)) => MembersRef::Binary(blobs, 0),
        (_, AttributeRef::Null(_)) => MembersRef::Text([].iter()),
        (set_type, other) => return Err(ConvertError::wrong_type_ref::<C>(set_type.name(), other)),
    };
    Ok(members.map(T::from_member))
}

/// The members of a set seen in place, copied one by one.
enum MembersRef<'a> {
    Text(std::slice::Iter<'a, String>),
    Binary(&'a dyn super::ListRef, usize),
}

impl Iterator for MembersRef<'_> {
    type Item = SetMember;

    fn next(&mut self) -> Option<SetMember> {
        match self {
            MembersRef::Text(texts) => texts.next().map(|text| SetMember::Text(text.clone())),
            MembersRef::Binary(blobs, next) => {
                while *next < blobs.len() {
                    *next += 1;
                    if let Some(AttributeRef::B(bytes)) = blobs.get(*next - 1) {
                        return Some(SetMember::Binary(aws_sdk_dynamodb::primitives::Blob::new(bytes)));
                    }
                }
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = match self {
            MembersRef::Text(texts) => texts.len(),
            MembersRef::Binary(blobs, next) => blobs.len() - *next,
        };
        (left, Some(left))
    }
}

impl ExactSizeIterator for MembersRef<'_> {}

/// The members of a set, as they come.
enum Members {
    Text(std::vec::IntoIter<String>),
    Binary(std::vec::IntoIter<aws_sdk_dynamodb::primitives::Blob>),
}

impl Iterator for Members {
    type Item = SetMember;

    fn next(&mut self) -> Option<SetMember> {
        match self {
            Members::Text(texts) => texts.next().map(SetMember::Text),
            Members::Binary(blobs) => blobs.next().map(SetMember::Binary),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Members::Text(texts) => texts.size_hint(),
            Members::Binary(blobs) => blobs.size_hint(),
        }
    }
}

impl ExactSizeIterator for Members {}

impl<T: SetElement, S> ToAttributeValue for HashSet<T, S> {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::Set(T::SET_TYPE);

    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        set_to_attribute_value(self.iter())
    }
}

impl<T: SetElement + Eq + Hash, S: BuildHasher + Default> FromAttributeValue for HashSet<T, S> {
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        let members = set_members::<T, Self>(value)?;
        let mut set = HashSet::with_capacity_and_hasher(members.len(), S::default());
        for member in members {
            set.insert(member?);
        }
        Ok(set)
    }

    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        let members = set_members_ref::<T, Self>(value)?;
        let mut set = HashSet::with_capacity_and_hasher(members.len(), S::default());
        for member in members {
            set.insert(member?);
        }
        Ok(set)
    }

    fn from_missing() -> Result<Self, ConvertError> {
        Ok(Self::default())
    }
}

impl<T: SetElement> ToAttributeValue for BTreeSet<T> {
    const ATTRIBUTE_TYPE: &'static AttributeType = &AttributeType::Set(T::SET_TYPE);

    fn to_attribute_value(&self) -> Result<Option<AttributeValue>, ConvertError> {
        set_to_attribute_value(self.iter())
    }
}

impl<T: SetElement + Ord> FromAttributeValue for BTreeSet<T> {
    fn from_attribute_value(value: AttributeValue) -> Result<Self, ConvertError> {
        set_members::<T, Self>(value)?.collect()
    }

    fn from_attribute_ref(value: AttributeRef<'_>) -> Result<Self, ConvertError> {
        set_members_ref::<T, Self>(value)?.collect()
    }

    fn from_missing() -> Result<Self, ConvertError> {
        Ok(Self::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sets_are_not_written_and_read_back_empty() {
        let empty: HashSet<String> = HashSet::new();
        assert_eq!(empty.to_attribute_value().unwrap(), None);
        assert_eq!(HashSet::<String>::from_missing().unwrap(), empty);
        let from_null: BTreeSet<u32> = FromAttributeValue::from_attribute_value(AttributeValue::Null(true)).unwrap();
        assert!(from_null.is_empty());
    }

    #[test]
    fn sets_check_their_type() {
        let err = HashSet::<String>::from_attribute_value(AttributeValue::Ns(vec!["1".into()])).unwrap_err();
        assert_eq!(err.to_string(), "expected SS for HashSet<String>, found NS");
    }

    #[test]
    fn none_inside_a_list_keeps_its_position() {
        let list = vec![Some(1u8), None, Some(3)];
        let value = list.to_attribute_value().unwrap().unwrap();
        assert_eq!(
            value,
            AttributeValue::L(vec![
                AttributeValue::N("1".into()),
                AttributeValue::Null(true),
                AttributeValue::N("3".into())
            ])
        );
        assert_eq!(Vec::<Option<u8>>::from_attribute_value(value).unwrap(), list);
    }

    #[test]
    fn list_errors_name_the_position() {
        let value = AttributeValue::L(vec![AttributeValue::N("1".into()), AttributeValue::S("x".into())]);
        let err = Vec::<u16>::from_attribute_value(value).unwrap_err();
        assert_eq!(err.path(), "[1]");
    }
}
