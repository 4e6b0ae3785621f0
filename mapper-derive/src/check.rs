//! The schema rules, checked on the parsed model. Every error is spanned at the offending
//! token and all of them are collected.

use std::collections::HashMap;

use proc_macro2::Span;

use crate::ast::{Container, Data, Derive, Field};
use crate::attr::IndexKey;
use crate::ctxt::Ctxt;
use crate::types;

pub fn check(cx: &Ctxt, container: &Container, derive: Derive) {
    match &container.data {
        Data::Struct(fields) => {
            if derive == Derive::Item {
                check_keys(cx, container, fields);
                check_index_projections(cx, container, fields);
            } else {
                check_no_table_keys(cx, container, fields);
            }
            for field in fields {
                check_combinations(cx, field);
                check_types(cx, field);
            }
            check_unique_names(
                cx,
                "field",
                fields
                    .iter()
                    .filter(|f| f.is_stored())
                    .map(|f| (f.name.as_str(), crate::ast::unraw(f.ident), f.name_span())),
            );
            check_single(cx, fields, "version", |f| f.attrs.version.as_ref().map(|v| v.span));
            check_single(cx, fields, "ttl", |f| f.attrs.ttl);
        }
        Data::Enum(variants) => {
            if let Some(table) = &container.attrs.table {
                cx.error_at(table.span, "`table` belongs on a struct deriving `Item`");
            }
            for index in &container.attrs.indexes {
                cx.error_at(index.span, "`index` belongs on a struct deriving `Item`");
            }
            if variants.is_empty() {
                cx.error_spanned_by(container.ident, "an enum without variants cannot be stored");
            }
            check_unique_names(
                cx,
                "variant",
                variants
                    .iter()
                    .map(|v| (v.name.as_str(), v.ident.to_string(), v.ident.span())),
            );
        }
    }
}

impl Field<'_> {
    /// Whether the field is the table's partition or sort key.
    pub fn is_table_key(&self) -> bool {
        self.attrs.partition_key.is_some() || self.attrs.sort_key.is_some()
    }

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
        self.attrs.key_span()
    }
}

impl crate::attr::FieldAttrs {
    /// The span of the attribute that makes the field a key, if any.
    fn key_span(&self) -> Option<Span> {
        self.partition_key
            .or(self.sort_key)
            .or_else(|| self.index_partition_keys.first().map(|k| k.span))
            .or_else(|| self.index_sort_keys.first().map(|k| k.span))
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
    // Each index's partition and sort key attributes, in field order.
    type Keys<'f, 'a> = Vec<(&'f Field<'a>, &'f IndexKey)>;
    let mut partition: Vec<(&str, Keys)> = Vec::new();
    let mut sort: Vec<(&str, Keys)> = Vec::new();
    for field in fields {
        for (keys, seen, role) in [
            (&field.attrs.index_partition_keys, &mut partition, "partition"),
            (&field.attrs.index_sort_keys, &mut sort, "sort"),
        ] {
            for key in keys {
                let index = key.value.as_str();
                let entry = match seen.iter().position(|(name, _)| *name == index) {
                    Some(at) => &mut seen[at].1,
                    None => {
                        seen.push((index, Vec::new()));
                        &mut seen.last_mut().unwrap().1
                    }
                };
                if entry.iter().any(|(other, _)| std::ptr::eq(*other, field)) {
                    cx.error_at(
                        key.span,
                        format!("duplicate `#[index_{role}_key(\"{index}\")]`: give it once"),
                    );
                    continue;
                }
                entry.push((field, key));
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
    for (role, indexes) in [("partition", &partition), ("sort", &sort)] {
        for (index, keys) in indexes {
            check_key_order(cx, index, role, keys);
        }
    }
    // Each index's handle is a constant named after it: two names must not give one.
    let mut constants: Vec<(String, &str)> = Vec::new();
    for (name, keys) in partition.iter().chain(&sort) {
        let constant = crate::case::constant_name(name);
        match constants.iter().find(|(c, other)| *c == constant && other != name) {
            Some((_, other)) => cx.error_at(
                keys[0].1.span,
                format!("indexes `{other}` and `{name}` would both have the handle `{constant}`: rename one"),
            ),
            None => constants.push((constant, name)),
        }
    }
    // An index without a partition key of its own is local: it needs the table's sort key,
    // and has one sort key attribute.
    for (name, keys) in &sort {
        let is_local = !partition.iter().any(|(p, _)| p == name);
        let span = keys[0].1.span;
        if is_local && !table_has_sort_key {
            cx.error_at(
                span,
                format!(
                    "index `{name}` has no partition key of its own, so it is a local index, which needs a table with a `#[sort_key]`; \
                     for a global index, mark its partition key `#[index_partition_key(\"{name}\")]`"
                ),
            );
        } else if is_local && keys.len() > 1 {
            cx.error_at(
                keys[1].1.span,
                format!(
                    "index `{name}` is a local index (no partition key of its own), which has one sort key attribute; \
                     multi-attribute keys are for global indexes: mark its partition key `#[index_partition_key(\"{name}\")]`"
                ),
            );
        }
    }
}

/// The positions of a multi-attribute index key: each attribute's `order`, 1 to at most 4,
/// with no gap and no repeat. A single attribute needs none.
fn check_key_order(cx: &Ctxt, index: &str, role: &str, keys: &[(&Field, &IndexKey)]) {
    let attribute = format!("index_{role}_key");
    if keys.len() == 1 {
        if let Some(order) = &keys[0].1.order
            && order.value != 1
        {
            cx.error_at(
                order.span,
                format!(
                    "`{}` is the only {role} key attribute of index `{index}`: its order is 1",
                    keys[0].0.ident
                ),
            );
        }
        return;
    }
    let names = keys
        .iter()
        .map(|(f, _)| format!("`{}`", f.ident))
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > MAX_INDEX_KEY_ATTRIBUTES {
        let (fifth, key) = keys[MAX_INDEX_KEY_ATTRIBUTES];
        cx.error_at(
            key.span,
            format!(
                "index `{index}` has {} {role} key attributes ({names}): DynamoDB takes at most {MAX_INDEX_KEY_ATTRIBUTES}, and `{}` is one too many",
                keys.len(),
                fifth.ident
            ),
        );
        return;
    }
    let mut positions = vec![false; keys.len()];
    let mut unordered_reported = false;
    for (field, key) in keys {
        let Some(order) = &key.order else {
            // One error per index: the first attribute without a position says what to do.
            if std::mem::replace(&mut unordered_reported, true) {
                continue;
            }
            cx.error_at(
                key.span,
                format!(
                    "index `{index}` has {} {role} key attributes ({names}): give each its position, \
                     `#[{attribute}(\"{index}\", order = 1)]` to `order = {}`",
                    keys.len(),
                    keys.len()
                ),
            );
            continue;
        };
        match usize::try_from(order.value)
            .ok()
            .filter(|n| (1..=keys.len()).contains(n))
        {
            Some(n) if positions[n - 1] => cx.error_at(
                order.span,
                format!(
                    "two {role} key attributes of index `{index}` are at order {n}: `{}` needs another",
                    field.ident
                ),
            ),
            Some(n) => positions[n - 1] = true,
            None => cx.error_at(
                order.span,
                format!(
                    "index `{index}` has {} {role} key attributes: their orders are 1 to {}, without a gap",
                    keys.len(),
                    keys.len()
                ),
            ),
        }
    }
}

/// DynamoDB's limit of attributes in a multi-attribute index key, of each kind.
const MAX_INDEX_KEY_ATTRIBUTES: usize = 4;

fn check_no_table_keys(cx: &Ctxt, container: &Container, fields: &[Field]) {
    if let Some(table) = &container.attrs.table {
        cx.error_at(
            table.span,
            "`table` belongs on a struct deriving `Item`; derive `Item` for a table's items",
        );
    }
    for index in &container.attrs.indexes {
        cx.error_at(
            index.span,
            "`index` belongs on a struct deriving `Item`, whose fields are the index's keys",
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
            cx.error_at(skip, "a key is always stored: remove `skip` from this key field");
        }
        for (name, _) in lifecycle.iter().filter(|(_, s)| s.is_some()) {
            cx.error_at(
                skip,
                format!("a skipped field is never stored, so `#[{name}]` would do nothing; remove one of them"),
            );
        }
        let others: Vec<&str> = [
            ("`rename`", a.rename.is_some()),
            ("`with`", a.with.is_some()),
            ("`serde`", a.serde.is_some()),
            ("`default`", a.default.is_some()),
            ("`flatten`", a.flatten.is_some()),
            ("`#[update_behavior]`", a.update_behavior.is_some()),
            ("`#[tag]`", !a.tags.is_empty()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        if !others.is_empty() {
            cx.error_at(
                skip,
                format!("a skipped field is never stored: remove {}", others.join(", ")),
            );
        }
    }
    if a.flatten.is_some() {
        let ty = field.ty;
        let own = a
            .key_span()
            .map(|span| (span, "a key"))
            .into_iter()
            .chain(
                lifecycle
                    .iter()
                    .filter_map(|(_, s)| s.map(|s| (s, "a lifecycle attribute"))),
            )
            .chain(a.tags.iter().map(|t| (t.span, "tagged")));
        for (span, what) in own {
            cx.error_at(
                span,
                format!(
                    "a flattened field is no attribute of its own, so it cannot be {what}; put this on a field inside `{}`",
                    quote::quote!(#ty)
                ),
            );
        }
    }
    if let Some(flatten) = a.flatten
        && (a.rename.is_some() || a.with.is_some() || a.serde.is_some() || a.default.is_some())
    {
        cx.error_at(
            flatten,
            "a flattened field's attributes keep their own names: remove `rename`, `with`, `serde` and `default` from it",
        );
    }
    if let (Some(_), Some(serde)) = (&a.with, a.serde) {
        cx.error_at(serde, "use either `with` or `serde`, not both");
    }
    if let Some(default) = a.default
        && (a.with.is_some() || a.serde.is_some() || a.ttl.is_some())
    {
        cx.error_at(
            default,
            "a converter reads an absent attribute itself (an `Option` reads as `None`): remove `default`",
        );
    }
    if let Some(behavior) = &a.update_behavior
        && (a.version.is_some() || a.atomic_counter.is_some())
    {
        cx.error_at(
            behavior.span,
            "a version or counter decides how every update writes it: remove `#[update_behavior]`",
        );
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
    if field.is_table_key() {
        for (name, span) in &lifecycle {
            if *name != "auto_uuid" && span.is_some() {
                cx.error_at(
                    span.unwrap(),
                    format!("a table key cannot be `#[{name}]`: changing the key would write another item"),
                );
            }
        }
        if let Some(with) = &a.with {
            cx.error_spanned_by(
                &with.value,
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
            cx.error_at(default, "a key is always present: remove `default`");
        }
    }
    if let Some(behavior) = &a.update_behavior
        && field.is_table_key()
    {
        cx.error_at(
            behavior.span,
            "an update never writes the table's key, so it has no update behavior",
        );
    }
}

/// The field types the lifecycle attributes and keys need. Only types that are certainly
/// wrong are refused here; an alias or a type parameter is checked by the generated code's
/// trait bounds.
fn check_types(cx: &Ctxt, field: &Field) {
    let a = &field.attrs;
    let ty = field.ty;
    let name = field.ident;
    // A table key is always present; an index key may be absent (a sparse index).
    let key_type = if field.is_table_key() {
        Some(ty)
    } else if field.is_any_key() {
        Some(types::unwrap_option(ty))
    } else {
        None
    };
    if let Some(key_type) = key_type
        && let Some(reason) = types::non_scalar_reason(key_type)
    {
        cx.error_spanned_by(
            key_type,
            format!("key `{name}` must be a string, number or binary (S, N or B): {reason}"),
        );
    }
    if let Some(version) = &a.version {
        match types::option_inner(ty) {
            Some(inner) if types::certainly_not(inner, types::is_integer) => {
                cx.error_spanned_by(inner, "`#[version]` counts writes: use an integer, as in `Option<u64>`")
            }
            Some(inner) => {
                if let Some(max) = types::integer_max(inner)
                    && i128::from(version.value.start_at) > max
                {
                    cx.error_at(version.span, format!("`start_at` does not fit the field's type (at most {max})"));
                }
            }
            None => cx.error_spanned_by(
                ty,
                "`#[version]` must be `Option<integer>` (such as `Option<u64>`): `None` marks an item that was never written",
            ),
        }
    }
    if let Some(counter) = &a.atomic_counter {
        let inner = types::unwrap_option(ty);
        if types::certainly_not(inner, types::is_integer) {
            cx.error_spanned_by(
                ty,
                "`#[atomic_counter]` needs an integer field, such as `i64` or `Option<u64>`",
            );
        } else if types::is_unsigned(inner) && (counter.value.start < 0 || counter.value.inc < 0) {
            cx.error_at(
                counter.span,
                "an unsigned counter cannot start below 0 or count down: use a signed integer type",
            );
        }
    }
    if a.auto_uuid.is_some()
        && types::certainly_not(types::unwrap_option(ty), |t| types::is_string(t) || types::is_uuid(t))
    {
        cx.error_spanned_by(
            ty,
            "`#[auto_uuid]` generates a UUID: use `String`, `Uuid`, or an `Option` of them",
        );
    }
    if a.auto_timestamp.is_some() {
        let inner = types::unwrap_option(ty);
        if types::certainly_not(inner, |t| types::is_utc_datetime(t) || types::is_time_wrapper(t)) {
            let message = if types::is_integer(inner) {
                "`#[auto_timestamp]` sets a time, which an integer does not say how to store: for epoch seconds or milliseconds use `UnixSeconds` or `UnixMillis` of `dynamodb_mapper::value` (stored as numbers), or an `Option` of one"
            } else {
                "`#[auto_timestamp]` sets a time: use `DateTime<Utc>`, a time type of `dynamodb_mapper::value` (`UnixMillis`, `UnixSeconds`, `JavaInstant`, `PynamoDateTime`), or an `Option` of one"
            };
            cx.error_spanned_by(ty, message);
        }
    }
    if a.ttl.is_some()
        && types::certainly_not(types::unwrap_option(ty), |t| {
            types::is_utc_datetime(t) || types::is_epoch_seconds_integer(t) || types::is_time_wrapper(t)
        })
    {
        cx.error_spanned_by(
            ty,
            "`#[ttl]` is a time: use `DateTime<Utc>`, epoch seconds in an `i32`, `i64`, `i128`, `u32`, `u64` or `u128`, a time type of `dynamodb_mapper::value`, or an `Option` of them",
        );
    }
}

fn check_unique_names<'a>(cx: &Ctxt, noun: &str, names: impl Iterator<Item = (&'a str, String, Span)>) {
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (name, rust, span) in names {
        match seen.get(name) {
            Some(first) => cx.error_at(
                span,
                format!(
                    "{noun}s `{first}` and `{rust}` are both stored as `{name}`; give one another name with `#[attribute(rename = \"...\")]`"
                ),
            ),
            None => {
                seen.insert(name, rust);
            }
        }
    }
}

fn check_single(cx: &Ctxt, fields: &[Field], attribute: &str, span_of: impl Fn(&Field) -> Option<Span>) {
    let spans: Vec<Span> = fields.iter().filter_map(&span_of).collect();
    for span in spans.iter().skip(1) {
        cx.error_at(*span, format!("an item has at most one `#[{attribute}]` attribute"));
    }
}

/// `#[item(index(name = "...", projection = ..., include(...)))]`: the index exists, is
/// declared once, and includes attributes that exist and are not keys (keys are always
/// projected).
fn check_index_projections(cx: &Ctxt, container: &Container, fields: &[Field]) {
    let declared: Vec<&str> = fields
        .iter()
        .flat_map(|f| f.attrs.index_partition_keys.iter().chain(&f.attrs.index_sort_keys))
        .map(|k| k.value.as_str())
        .collect();
    let has_flattened = fields.iter().any(|f| f.attrs.flatten.is_some());
    let mut seen: Vec<&str> = Vec::new();
    for index in &container.attrs.indexes {
        let name = index.name.value.as_str();
        if !declared.contains(&name) {
            let message = if declared.is_empty() {
                format!(
                    "no field is a key of index `{name}`: mark its partition key `#[index_partition_key(\"{name}\")]`"
                )
            } else {
                format!(
                    "no field is a key of index `{name}`{}",
                    crate::ctxt::did_you_mean(name, &declared)
                )
            };
            cx.error_at(index.name.span, message);
            continue;
        }
        if seen.contains(&name) {
            cx.error_at(
                index.name.span,
                format!("index `{name}` is already declared: give its projection once"),
            );
            continue;
        }
        seen.push(name);
        let crate::attr::ProjectionAttr::Include(included) = &index.projection else {
            continue;
        };
        let is_key = |f: &Field| {
            f.is_table_key()
                || f.attrs.index_partition_keys.iter().any(|k| k.value == name)
                || f.attrs.index_sort_keys.iter().any(|k| k.value == name)
        };
        let mut listed: Vec<String> = Vec::new();
        for lit in included {
            let attribute = lit.value();
            if listed.contains(&attribute) {
                cx.error_spanned_by(lit, format!("`{attribute}` is already included"));
                continue;
            }
            listed.push(attribute.clone());
            let stored = fields.iter().filter(|f| f.is_stored());
            match stored.clone().find(|f| f.name == attribute) {
                Some(field) if is_key(field) => cx.error_spanned_by(
                    lit,
                    format!("`{attribute}` is a key, and an index always holds the keys: remove it"),
                ),
                Some(_) => {}
                None => {
                    if let Some(field) = stored.clone().find(|f| crate::ast::unraw(f.ident) == attribute) {
                        cx.error_spanned_by(
                            lit,
                            format!(
                                "field `{attribute}` is stored as `{}`: an index includes attributes by their stored names",
                                field.name
                            ),
                        );
                    } else if !has_flattened {
                        let names: Vec<&str> = stored.map(|f| f.name.as_str()).collect();
                        cx.error_spanned_by(
                            lit,
                            format!(
                                "`{}` stores no attribute `{attribute}`{}",
                                container.ident,
                                crate::ctxt::did_you_mean(&attribute, &names)
                            ),
                        );
                    }
                    // With flattened fields, the name may be one of theirs: checked when the
                    // table is made (`TableSchema::check`).
                }
            }
        }
    }
}
