//! The schema rules, checked on the parsed model. Every error is spanned at the offending
//! token and all of them are collected.

use std::collections::HashMap;

use proc_macro2::Span;

use crate::ast::{Container, Data, Derive, Field};
use crate::ctxt::Ctxt;
use crate::types;

pub fn check(cx: &Ctxt, container: &Container, derive: Derive) {
    match &container.data {
        Data::Struct(fields) => {
            if derive == Derive::Item {
                check_keys(cx, container, fields);
            } else {
                check_no_table_keys(cx, container, fields);
            }
            for field in fields {
                check_combinations(cx, field);
                check_types(cx, field);
            }
            check_unique_names(
                cx,
                fields
                    .iter()
                    .filter(|f| f.is_stored())
                    .map(|f| (f.name.as_str(), f.name_span())),
            );
            check_single(cx, fields, "version", |f| f.attrs.version.as_ref().map(|v| v.span));
            check_single(cx, fields, "ttl", |f| f.attrs.ttl);
        }
        Data::Enum(variants) => {
            if let Some(table) = &container.attrs.table {
                cx.error_at(table.span, "`table` belongs on a struct deriving `Item`");
            }
            if variants.is_empty() {
                cx.error_spanned_by(container.ident, "an enum without variants cannot be stored");
            }
            check_unique_names(cx, variants.iter().map(|v| (v.name.as_str(), v.ident.span())));
        }
    }
}

impl Field<'_> {
    /// Whether the field is stored under its own name (not skipped, not flattened).
    pub fn is_stored(&self) -> bool {
        self.attrs.skip.is_none() && self.attrs.flatten.is_none()
    }

    fn name_span(&self) -> Span {
        self.attrs.rename.as_ref().map_or(self.ident.span(), |r| r.span)
    }

    /// Whether the field is a key of the table or of an index.
    pub fn is_any_key(&self) -> bool {
        self.attrs.partition_key.is_some()
            || self.attrs.sort_key.is_some()
            || !self.attrs.index_partition_keys.is_empty()
            || !self.attrs.index_sort_keys.is_empty()
    }

    /// The span of the attribute that makes this field a key, if any.
    fn key_span(&self) -> Option<Span> {
        let a = &self.attrs;
        a.partition_key
            .or(a.sort_key)
            .or_else(|| a.index_partition_keys.first().map(|k| k.span))
            .or_else(|| a.index_sort_keys.first().map(|k| k.span))
    }
}

fn check_keys(cx: &Ctxt, container: &Container, fields: &[Field]) {
    let partition_keys: Vec<&Field> = fields.iter().filter(|f| f.attrs.partition_key.is_some()).collect();
    match partition_keys.as_slice() {
        [] => cx.error_spanned_by(
            container.ident,
            "`#[derive(Item)]` needs a partition key: mark one field `#[partition_key]` \
             (a struct stored inside an item, without keys, derives `Attributes` instead)",
        ),
        [_] => {}
        [first, rest @ ..] => {
            for field in rest {
                cx.error_at(
                    field.attrs.partition_key.unwrap(),
                    format!(
                        "a table has one partition key and `{}` is already it; mark a second key `#[sort_key]`",
                        first.ident
                    ),
                );
            }
        }
    }
    let sort_keys: Vec<&Field> = fields.iter().filter(|f| f.attrs.sort_key.is_some()).collect();
    if let [first, rest @ ..] = sort_keys.as_slice() {
        for field in rest {
            cx.error_at(
                field.attrs.sort_key.unwrap(),
                format!(
                    "a table has at most one sort key and `{}` is already it; query other attributes through an index (`#[index_sort_key(\"name\")]`)",
                    first.ident
                ),
            );
        }
    }
    for field in fields {
        if let (Some(_), Some(sort)) = (field.attrs.partition_key, field.attrs.sort_key) {
            cx.error_at(sort, "a field cannot be both the partition key and the sort key");
        }
    }
    check_indexes(cx, fields, !sort_keys.is_empty());
}

fn check_indexes(cx: &Ctxt, fields: &[Field], table_has_sort_key: bool) {
    let mut partition: HashMap<&str, &Field> = HashMap::new();
    let mut sort: HashMap<&str, &Field> = HashMap::new();
    for field in fields {
        for (keys, seen, role) in [
            (&field.attrs.index_partition_keys, &mut partition, "partition"),
            (&field.attrs.index_sort_keys, &mut sort, "sort"),
        ] {
            for key in keys {
                if let Some(other) = seen.insert(key.value.as_str(), field) {
                    cx.error_at(
                        key.span,
                        format!(
                            "index `{}` already has `{}` as its {role} key; an index has one {role} key",
                            key.value, other.ident
                        ),
                    );
                }
            }
        }
        if let Some(both) = field
            .attrs
            .index_partition_keys
            .iter()
            .find(|p| field.attrs.index_sort_keys.iter().any(|s| s.value == p.value))
        {
            cx.error_at(
                both.span,
                format!(
                    "`{}` cannot be both the partition key and the sort key of index `{}`",
                    field.ident, both.value
                ),
            );
        }
    }
    // An index without its own partition key is local: it needs the table's sort key.
    for (name, field) in &sort {
        let is_local = partition.get(name).is_none_or(|p| p.attrs.partition_key.is_some());
        if is_local && !table_has_sort_key {
            let span = field
                .attrs
                .index_sort_keys
                .iter()
                .find(|k| k.value == *name)
                .unwrap()
                .span;
            cx.error_at(
                span,
                format!(
                    "index `{name}` has no partition key of its own, so it is a local index, which needs a table with a `#[sort_key]`; \
                     for a global index, mark its partition key `#[index_partition_key(\"{name}\")]`"
                ),
            );
        }
    }
}

fn check_no_table_keys(cx: &Ctxt, container: &Container, fields: &[Field]) {
    if let Some(table) = &container.attrs.table {
        cx.error_at(
            table.span,
            "`table` belongs on a struct deriving `Item`; derive `Item` for a table's items",
        );
    }
    for field in fields {
        if let Some(span) = field.key_span() {
            cx.error_at(
                span,
                "keys belong on a struct deriving `Item`: a struct deriving `Attributes` is stored inside an item (nested or flattened)",
            );
        }
    }
}

/// Attributes that exclude each other.
fn check_combinations(cx: &Ctxt, field: &Field) {
    let a = &field.attrs;
    let lifecycle: [(&str, Option<Span>); 5] = [
        ("version", a.version.as_ref().map(|v| v.span)),
        ("atomic_counter", a.atomic_counter.as_ref().map(|v| v.span)),
        ("auto_timestamp", a.auto_timestamp),
        ("auto_uuid", a.auto_uuid),
        ("ttl", a.ttl),
    ];
    if let Some(skip) = a.skip {
        if field.is_any_key() {
            cx.error_at(skip, "a key is always stored: remove `#[skip]` from this key field");
        }
        for (name, _) in lifecycle.iter().filter(|(_, s)| s.is_some()) {
            cx.error_at(
                skip,
                format!("a `#[skip]`ped field is never stored, so `#[{name}]` would do nothing; remove one of them"),
            );
        }
        if a.rename.is_some() || a.with.is_some() || a.serde.is_some() || a.default.is_some() || a.flatten.is_some() {
            cx.error_at(
                skip,
                "a `#[skip]`ped field is never stored: remove its other attributes",
            );
        }
    }
    if let Some(flatten) = a.flatten {
        if field.is_any_key() || lifecycle.iter().any(|(_, s)| s.is_some()) || !a.tags.is_empty() {
            cx.error_at(flatten, "a `#[flatten]`ed field has no attribute of its own: put keys and tags on the fields of the flattened struct's parent or inside it");
        }
        if a.rename.is_some() || a.with.is_some() || a.serde.is_some() || a.default.is_some() {
            cx.error_at(flatten, "a `#[flatten]`ed field's attributes keep their own names: remove `rename`, `with`, `serde` and `#[default]` from it");
        }
    }
    if let (Some(_), Some(serde)) = (&a.with, a.serde) {
        cx.error_at(serde, "use either `with` or `serde`, not both");
    }
    if a.with.is_some() || a.serde.is_some() {
        for (name, span) in lifecycle.iter().take(4) {
            if let Some(span) = span {
                cx.error_at(
                    *span,
                    format!("`#[{name}]` writes the attribute itself in its own format: remove `with`/`serde`"),
                );
            }
        }
    }
    if let Some(ttl) = a.ttl
        && (a.with.is_some() || a.serde.is_some())
    {
        cx.error_at(
            ttl,
            "a `#[ttl]` attribute is always stored as epoch seconds: remove `with`/`serde`",
        );
    }
    let lifecycle_set: Vec<&(&str, Option<Span>)> = lifecycle.iter().filter(|(_, s)| s.is_some()).collect();
    if let [(first, _), rest @ ..] = lifecycle_set.as_slice() {
        for (name, span) in rest {
            cx.error_at(
                span.unwrap(),
                format!("`#[{name}]` and `#[{first}]` cannot share a field: each manages the value its own way"),
            );
        }
    }
    if field.is_any_key() {
        for (name, span) in &lifecycle {
            if *name != "auto_uuid" && span.is_some() {
                cx.error_at(
                    span.unwrap(),
                    format!("a key cannot be `#[{name}]`: changing a key would write another item"),
                );
            }
        }
        if let Some(with) = &a.with {
            cx.error_at(
                with.span,
                "a key cannot use a converter: keys must have a string, number or binary type of their own",
            );
        }
        if let Some(serde) = a.serde {
            cx.error_at(
                serde,
                "a key cannot use serde: keys must have a string, number or binary type of their own",
            );
        }
        if let Some(default) = a.default {
            cx.error_at(default, "a key is always present: remove `#[default]`");
        }
    }
    if let Some(behavior) = &a.update_behavior
        && field.is_any_key()
    {
        cx.error_at(
            behavior.span,
            "an update never writes a key, so it has no update behavior",
        );
    }
}

/// The field types the lifecycle attributes and keys need.
fn check_types(cx: &Ctxt, field: &Field) {
    let a = &field.attrs;
    let ty = field.ty;
    let name = field.ident;
    if field.is_any_key()
        && let Some(reason) = types::non_scalar_reason(ty)
    {
        cx.error_spanned_by(
            ty,
            format!("key `{name}` must be a string, number or binary (S, N or B): {reason}"),
        );
    }
    if a.version.is_some() {
        match types::option_inner(ty) {
            Some(inner) if types::is_integer(inner) => {}
            Some(inner) => cx.error_spanned_by(inner, "`#[version]` counts writes: use an integer, as in `Option<u64>`"),
            None => cx.error_spanned_by(
                ty,
                "`#[version]` must be `Option<integer>` (such as `Option<u64>`): `None` marks an item that was never written",
            ),
        }
    }
    if a.atomic_counter.is_some() && !types::is_integer(types::unwrap_option(ty)) {
        cx.error_spanned_by(
            ty,
            "`#[atomic_counter]` needs an integer field, such as `i64` or `Option<u64>`",
        );
    }
    if a.auto_uuid.is_some() {
        let inner = types::unwrap_option(ty);
        if !(types::is_string(inner) || types::is_uuid(inner)) {
            cx.error_spanned_by(
                ty,
                "`#[auto_uuid]` generates a UUID: use `String`, `Uuid`, or an `Option` of them",
            );
        }
    }
    if a.auto_timestamp.is_some() && !types::is_utc_datetime(types::unwrap_option(ty)) {
        cx.error_spanned_by(
            ty,
            "`#[auto_timestamp]` sets the current time: use `DateTime<Utc>` or `Option<DateTime<Utc>>`",
        );
    }
    if a.ttl.is_some() {
        let inner = types::unwrap_option(ty);
        if !(types::is_utc_datetime(inner) || types::is_integer(inner)) {
            cx.error_spanned_by(
                ty,
                "`#[ttl]` is a time: use `DateTime<Utc>` or an integer of epoch seconds, or an `Option` of them",
            );
        }
    }
}

fn check_unique_names<'a>(cx: &Ctxt, names: impl Iterator<Item = (&'a str, Span)>) {
    let mut seen = std::collections::HashSet::new();
    for (name, span) in names {
        if !seen.insert(name) {
            cx.error_at(
                span,
                format!(
                    "two fields are stored as `{name}`; give one another name with `#[attribute(rename = \"...\")]`"
                ),
            );
        }
    }
}

fn check_single(cx: &Ctxt, fields: &[Field], attribute: &str, span_of: impl Fn(&Field) -> Option<Span>) {
    let spans: Vec<Span> = fields.iter().filter_map(&span_of).collect();
    for span in spans.iter().skip(1) {
        cx.error_at(*span, format!("an item has at most one `#[{attribute}]` attribute"));
    }
}
