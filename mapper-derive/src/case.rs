//! `rename_all` rules, giving exactly serde's names for the same rule, so that items written
//! through `serde_dynamo` (or any serde format) read back.
//!
//! As in serde, a field name is taken to be snake_case and a variant name PascalCase, and each
//! rule only changes what it must: `lowercase` leaves `user_id` as it is, and
//! `SCREAMING_SNAKE_CASE` puts an underscore before every capital of a variant
//! (`HTTPError` → `H_T_T_P_ERROR`).

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    pub const NAMES: &'static [&'static str] = &[
        "lowercase",
        "UPPERCASE",
        "PascalCase",
        "camelCase",
        "snake_case",
        "SCREAMING_SNAKE_CASE",
        "kebab-case",
        "SCREAMING-KEBAB-CASE",
    ];

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            "SCREAMING-KEBAB-CASE" => Self::ScreamingKebab,
            _ => return None,
        })
    }

    /// The stored name of a struct field (a snake_case Rust name, `r#` already removed).
    pub fn apply_to_field(self, field: &str) -> String {
        match self {
            Self::Lower | Self::Snake => field.to_owned(),
            Self::Upper | Self::ScreamingSnake => field.to_ascii_uppercase(),
            Self::Kebab => field.replace('_', "-"),
            Self::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
            Self::Pascal => join_capitalized(field, true),
            Self::Camel => join_capitalized(field, false),
        }
    }

    /// The stored name of an enum variant (a PascalCase Rust name).
    pub fn apply_to_variant(self, variant: &str) -> String {
        match self {
            Self::Pascal => variant.to_owned(),
            Self::Lower => variant.to_ascii_lowercase(),
            Self::Upper => variant.to_ascii_uppercase(),
            Self::Camel => {
                let mut chars = variant.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                    None => String::new(),
                }
            }
            Self::Snake => snake_variant(variant),
            Self::ScreamingSnake => snake_variant(variant).to_ascii_uppercase(),
            // Every underscore becomes a hyphen, those written in the name too.
            Self::Kebab => snake_variant(variant).replace('_', "-"),
            Self::ScreamingKebab => snake_variant(variant).to_ascii_uppercase().replace('_', "-"),
        }
    }
}

/// `address_line2` → `AddressLine2` (or `addressLine2`): every underscore is dropped and the
/// letter after it capitalized; nothing else changes case, except the first letter.
fn join_capitalized(field: &str, capitalize_first: bool) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper_next = capitalize_first;
    for c in field.chars() {
        if c == '_' {
            upper_next = true;
        } else if upper_next {
            out.push(c.to_ascii_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    if !capitalize_first {
        // A leading underscore capitalized the first letter; camelCase starts lowercase.
        if let Some(first) = out.chars().next() {
            let lower = first.to_ascii_lowercase();
            out.replace_range(..first.len_utf8(), lower.encode_utf8(&mut [0; 4]));
        }
    }
    out
}

/// `InReview` → `in_review`: an underscore before every uppercase letter but the first, and
/// ASCII letters lowercased.
fn snake_variant(variant: &str) -> String {
    let mut out = String::with_capacity(variant.len() + 4);
    for (i, c) in variant.chars().enumerate() {
        if i > 0 && c.is_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The Rust constant named after an index: `by_email` and `by-email` give `BY_EMAIL`,
/// `correlationIndex` gives `CORRELATION_INDEX`, `2024` gives `INDEX_2024`.
pub fn constant_name(index: &str) -> String {
    let mut out = String::with_capacity(index.len() + 4);
    let mut previous: Option<char> = None;
    for c in index.chars() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            previous = None;
            continue;
        }
        if c.is_ascii_uppercase() && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit()) {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
        previous = Some(c);
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        format!("INDEX_{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::RenameRule::*;
    use super::constant_name;

    #[test]
    fn fields() {
        assert_eq!(Camel.apply_to_field("created_at"), "createdAt");
        assert_eq!(Pascal.apply_to_field("created_at"), "CreatedAt");
        assert_eq!(ScreamingSnake.apply_to_field("created_at"), "CREATED_AT");
        assert_eq!(Kebab.apply_to_field("created_at"), "created-at");
        assert_eq!(Lower.apply_to_field("user_id"), "user_id");
        assert_eq!(Upper.apply_to_field("user_id"), "USER_ID");
        assert_eq!(Camel.apply_to_field("address_line2"), "addressLine2");
        assert_eq!(Camel.apply_to_field("_private"), "private");
    }

    #[test]
    fn index_constants() {
        assert_eq!(constant_name("by_email"), "BY_EMAIL");
        assert_eq!(constant_name("by-email.v2"), "BY_EMAIL_V2");
        assert_eq!(constant_name("correlationIndex"), "CORRELATION_INDEX");
        assert_eq!(constant_name("GSI1"), "GSI1");
        assert_eq!(constant_name("byHTTPCode"), "BY_HTTPCODE");
        assert_eq!(constant_name("2024"), "INDEX_2024");
    }

    #[test]
    fn variants() {
        assert_eq!(ScreamingSnake.apply_to_variant("HTTPError"), "H_T_T_P_ERROR");
        assert_eq!(Snake.apply_to_variant("InReview"), "in_review");
        assert_eq!(ScreamingKebab.apply_to_variant("InProgress"), "IN-PROGRESS");
        assert_eq!(Lower.apply_to_variant("InProgress"), "inprogress");
        assert_eq!(Camel.apply_to_variant("HTTPError"), "hTTPError");
        assert_eq!(Kebab.apply_to_variant("Already_Snake"), "already--snake");
    }
}
