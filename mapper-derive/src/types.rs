//! What can be told about a field's type from its syntax alone. Used for the compile-time
//! checks; anything a type alias hides is caught by trait bounds instead.

use syn::{GenericArgument, PathArguments, Type};

const INTEGERS: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
];

/// The last path segment's name and its angle-bracketed type arguments.
fn last_segment(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segment = path.path.segments.last()?;
    let args = match &segment.arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((segment.ident.to_string(), args))
}

fn is_named(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|(n, args)| n == name && args.is_empty())
}

/// `T` of `Option<T>`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    match last_segment(ty)? {
        (name, args) if name == "Option" && args.len() == 1 => Some(args[0]),
        _ => None,
    }
}

/// `T` of `Option<T>`, or the type itself.
pub fn unwrap_option(ty: &Type) -> &Type {
    option_inner(ty).unwrap_or(ty)
}

/// Whether `ty` is an integer type that stores epoch seconds (`EpochSeconds` is implemented
/// for these: the narrower ones cannot hold a time far enough from 1970).
pub fn is_epoch_seconds_integer(ty: &Type) -> bool {
    last_segment(ty)
        .is_some_and(|(n, args)| args.is_empty() && ["i32", "i64", "i128", "u32", "u64", "u128"].contains(&n.as_str()))
}

/// Whether `ty` is a primitive integer type.
pub fn is_integer(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|(n, args)| args.is_empty() && INTEGERS.contains(&n.as_str()))
}

/// Scalars of the standard library: no struct can hide inside them.
const STD_SCALARS: &[&str] = &["String", "bool", "char", "f32", "f64"];

/// Containers of the standard library, which store their type arguments.
const STD_CONTAINERS: &[&str] = &[
    "Option", "Vec", "VecDeque", "Box", "HashSet", "BTreeSet", "HashMap", "BTreeMap",
];

/// Whether `ty` is, by its syntax, a standard scalar or a standard container of them
/// (`u64`, `Option<String>`, `HashMap<String, Vec<u8>>`): a type that stores no struct, so
/// the derive's check for nested structs is not needed. A type named so by the user's own
/// definition would only miss that check; the field still converts through its own traits.
pub fn is_plain_std(ty: &Type) -> bool {
    match last_segment(ty) {
        Some((name, args)) if args.is_empty() => {
            STD_SCALARS.contains(&name.as_str()) || INTEGERS.contains(&name.as_str())
        }
        Some((name, args)) => STD_CONTAINERS.contains(&name.as_str()) && args.into_iter().all(is_plain_std),
        None => false,
    }
}

pub fn is_string(ty: &Type) -> bool {
    is_named(ty, "String")
}

pub fn is_uuid(ty: &Type) -> bool {
    is_named(ty, "Uuid")
}

/// `DateTime<Utc>`, with any path prefix.
pub fn is_utc_datetime(ty: &Type) -> bool {
    match last_segment(ty) {
        Some((name, args)) => name == "DateTime" && args.len() == 1 && is_named(args[0], "Utc"),
        None => false,
    }
}

/// The crate's time types with a format of their own (`dynamodb_mapper::value`).
const TIME_WRAPPERS: &[&str] = &["JavaInstant", "PynamoDateTime", "UnixSeconds", "UnixMillis"];

/// Whether `ty` is one of the crate's time types with a format of their own.
pub fn is_time_wrapper(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|(name, args)| args.is_empty() && TIME_WRAPPERS.contains(&name.as_str()))
}

/// Types whose storage is known, so a lifecycle attribute on one of them is known to be a
/// mistake. Any other path (an alias, a type parameter, a type of the user's) is left to the
/// trait bounds of the generated code.
const KNOWN: &[&str] = &[
    "String",
    "str",
    "bool",
    "char",
    "f32",
    "f64",
    "Vec",
    "VecDeque",
    "LinkedList",
    "HashMap",
    "BTreeMap",
    "HashSet",
    "BTreeSet",
    "Box",
    "Bytes",
    "Uuid",
    "DateTime",
    "Duration",
    "SystemTime",
    "Value",
];

/// Whether `ty` is certainly not what `accepts` wants: a known type `accepts` rejects, a
/// tuple, an array or a reference. Unknown paths (aliases, type parameters) are not.
pub fn certainly_not(ty: &Type, accepts: impl Fn(&Type) -> bool) -> bool {
    if accepts(ty) {
        return false;
    }
    match ty {
        Type::Path(_) => last_segment(ty).is_some_and(|(name, _)| {
            KNOWN.contains(&name.as_str())
                || TIME_WRAPPERS.contains(&name.as_str())
                || INTEGERS.contains(&name.as_str())
                || name == "Option"
        }),
        _ => true,
    }
}

/// The largest value of an integer type, if `ty` is one.
pub fn integer_max(ty: &Type) -> Option<i128> {
    let (name, _) = last_segment(ty)?;
    Some(match name.as_str() {
        "i8" => i8::MAX.into(),
        "i16" => i16::MAX.into(),
        "i32" => i32::MAX.into(),
        "i64" | "isize" => i64::MAX.into(),
        "u8" => u8::MAX.into(),
        "u16" => u16::MAX.into(),
        "u32" => u32::MAX.into(),
        "u64" | "usize" => u64::MAX.into(),
        "i128" | "u128" => i128::MAX,
        _ => return None,
    })
}

/// Whether `ty` is an unsigned integer type.
pub fn is_unsigned(ty: &Type) -> bool {
    last_segment(ty)
        .is_some_and(|(name, args)| args.is_empty() && name.starts_with('u') && INTEGERS.contains(&name.as_str()))
}

/// Why a type can never be a key (a string, number or binary scalar), if syntax shows it.
pub fn non_scalar_reason(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Tuple(_) => return Some("a tuple is a list, not a scalar"),
        Type::Array(_) | Type::Slice(_) => return Some("an array is a list, not a scalar"),
        Type::Reference(_) | Type::Ptr(_) => {
            return Some("an item owns its key: use an owned type such as String");
        }
        _ => {}
    }
    let (name, args) = last_segment(ty)?;
    Some(match name.as_str() {
        "Option" => "a key is always present, so it cannot be an Option",
        "Vec" | "VecDeque" if args.first().is_some_and(|a| is_named(a, "u8")) => return None,
        "Vec" | "VecDeque" | "LinkedList" => "a Vec is a list (L); only Vec<u8> (binary) can be a key",
        "HashMap" | "BTreeMap" => "a map (M) cannot be a key",
        "HashSet" | "BTreeSet" => "a set cannot be a key",
        "bool" => "a boolean cannot be a key; DynamoDB keys are strings, numbers or binary",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::is_plain_std;

    fn plain(text: &str) -> bool {
        is_plain_std(&syn::parse_str(text).expect("a type"))
    }

    #[test]
    fn standard_scalars_and_their_containers_hold_no_struct() {
        for text in [
            "u64",
            "String",
            "Option<bool>",
            "Vec<u8>",
            "HashMap<String, Vec<i64>>",
            "std::collections::BTreeSet<String>",
        ] {
            assert!(plain(text), "{text}");
        }
    }

    #[test]
    fn anything_else_may_hold_a_struct() {
        for text in [
            "Address",
            "Option<Address>",
            "Vec<Line>",
            "HashMap<String, Line>",
            "HashMap<String, String, S>",
            "DateTime<Utc>",
            "&'static str",
            "[u8; 4]",
        ] {
            assert!(!plain(text), "{text}");
        }
    }
}
