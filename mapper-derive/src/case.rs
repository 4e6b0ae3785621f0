//! `rename_all` rules. Fields are written in snake_case and variants in PascalCase; both are
//! split into words and joined again in the chosen style.

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

    /// Applies the rule to a Rust identifier (raw `r#` prefix already removed).
    pub fn apply(self, ident: &str) -> String {
        let words = split_words(ident);
        let capitalized = |w: &str| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| {
                    c.to_uppercase()
                        .chain(chars.flat_map(char::to_lowercase))
                        .collect::<String>()
                })
                .unwrap_or_default()
        };
        match self {
            Self::Lower => words.concat().to_lowercase(),
            Self::Upper => words.concat().to_uppercase(),
            Self::Pascal => words.iter().map(|w| capitalized(w)).collect(),
            Self::Camel => words
                .iter()
                .enumerate()
                .map(|(i, w)| if i == 0 { w.to_lowercase() } else { capitalized(w) })
                .collect(),
            Self::Snake => words.join("_").to_lowercase(),
            Self::ScreamingSnake => words.join("_").to_uppercase(),
            Self::Kebab => words.join("-").to_lowercase(),
            Self::ScreamingKebab => words.join("-").to_uppercase(),
        }
    }
}

/// `created_at` → [created, at]; `CreatedAt` → [Created, At]; `HTTPCode` → [HTTP, Code].
fn split_words(ident: &str) -> Vec<&str> {
    let mut words = Vec::new();
    for part in ident.split('_').filter(|p| !p.is_empty()) {
        let chars: Vec<(usize, char)> = part.char_indices().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (at, c) = chars[i];
            let prev = chars[i - 1].1;
            let next_lower = chars.get(i + 1).is_some_and(|(_, n)| n.is_lowercase());
            let boundary = c.is_uppercase()
                && (prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower));
            if boundary {
                words.push(&part[start..at]);
                start = at;
            }
        }
        words.push(&part[start..]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::RenameRule::*;

    #[test]
    fn fields_and_variants() {
        assert_eq!(Camel.apply("created_at"), "createdAt");
        assert_eq!(Pascal.apply("created_at"), "CreatedAt");
        assert_eq!(ScreamingSnake.apply("created_at"), "CREATED_AT");
        assert_eq!(Kebab.apply("created_at"), "created-at");
        assert_eq!(Snake.apply("CreatedAt"), "created_at");
        assert_eq!(Camel.apply("HTTPCode"), "httpCode");
        assert_eq!(ScreamingKebab.apply("InProgress"), "IN-PROGRESS");
        assert_eq!(Lower.apply("InProgress"), "inprogress");
        assert_eq!(Upper.apply("id"), "ID");
        assert_eq!(Camel.apply("address_line2"), "addressLine2");
    }
}
