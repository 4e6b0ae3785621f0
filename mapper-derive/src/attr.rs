//! Parsing of the container, field and variant attributes into plain data. Rules that
//! involve more than one attribute live in `check`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitInt, LitStr};

use crate::case::RenameRule;
use crate::ctxt::{Ctxt, did_you_mean};

/// A value with the span of the attribute that gave it.
#[derive(Clone)]
pub struct WithSpan<T> {
    pub value: T,
    pub span: Span,
}

impl<T> WithSpan<T> {
    fn new(value: T, span: Span) -> Self {
        WithSpan { value, span }
    }
}

/// `#[item(...)]` on the struct or enum.
#[derive(Default)]
pub struct ContainerAttrs {
    pub table: Option<WithSpan<String>>,
    pub rename_all: Option<RenameRule>,
    pub crate_path: Option<syn::Path>,
    pub indexes: Vec<IndexAttrs>,
}

const CONTAINER_KEYS: &[&str] = &["table", "rename_all", "crate", "index"];

/// `#[item(index(name = "...", projection = "keys_only"))]` or
/// `#[item(index(name = "...", include("a", "b")))]`.
pub struct IndexAttrs {
    /// The index name, spanned at its literal.
    pub name: WithSpan<String>,
    pub projection: ProjectionAttr,
    /// The span of `index` in `#[item(index(...))]`.
    pub span: Span,
}

pub enum ProjectionAttr {
    All,
    KeysOnly,
    /// The stored names to include, each with its literal.
    Include(Vec<LitStr>),
}

fn parse_index(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<IndexAttrs>> {
    const KEYS: &[&str] = &["name", "projection", "include"];
    const PROJECTIONS: &[&str] = &["all", "keys_only"];
    let span = meta.path.span();
    let mut name: Option<LitStr> = None;
    let mut projection: Option<(ProjectionAttr, Span)> = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("name") {
            let lit = parse_string(&inner, "name", "by_email")?;
            if name.is_some() {
                cx.error_spanned_by(&inner.path, "duplicate `name`: give it once");
            }
            name = Some(lit);
        } else if inner.path.is_ident("projection") || inner.path.is_ident("include") {
            let key_span = inner.path.span();
            let value = if inner.path.is_ident("include") {
                let content;
                syn::parenthesized!(content in inner.input);
                let names = content
                    .parse_terminated(|input: syn::parse::ParseStream| input.parse::<LitStr>(), syn::Token![,])?;
                if names.is_empty() {
                    cx.error_at(
                        key_span,
                        "`include()` names no attribute: list some, or write `projection = \"keys_only\"`",
                    );
                }
                Some(ProjectionAttr::Include(names.into_iter().collect()))
            } else {
                let lit = parse_string(&inner, "projection", "keys_only")?;
                match lit.value().as_str() {
                    "all" => Some(ProjectionAttr::All),
                    "keys_only" => Some(ProjectionAttr::KeysOnly),
                    "include" => {
                        cx.error_spanned_by(
                            &lit,
                            "name the included attributes instead: `include(\"total\", \"status\")`",
                        );
                        None
                    }
                    other => {
                        cx.error_spanned_by(
                            &lit,
                            format!("unknown projection `{other}`{}", did_you_mean(other, PROJECTIONS)),
                        );
                        None
                    }
                }
            };
            if projection.is_some() {
                cx.error_at(
                    key_span,
                    "an index has one projection: give `projection` or `include` once",
                );
            } else if let Some(value) = value {
                projection = Some((value, key_span));
            }
        } else {
            let key = path_name(&inner.path);
            cx.error_spanned_by(
                &inner.path,
                format!("unknown key `{key}` in `index(...)`{}", did_you_mean(&key, KEYS)),
            );
            skip_value(&inner)?;
        }
        Ok(())
    })?;
    let Some(name) = name else {
        cx.error_at(
            span,
            "which index? `index(name = \"by_email\", projection = \"keys_only\")`",
        );
        return Ok(None);
    };
    Ok(Some(IndexAttrs {
        name: WithSpan::new(name.value(), name.span()),
        projection: projection.map_or(ProjectionAttr::All, |(p, _)| p),
        span,
    }))
}

/// The field attributes the derives accept, for "did you mean" on a misspelled key inside
/// `#[attribute(...)]`.
const FIELD_ATTRIBUTES: &[&str] = &[
    "partition_key",
    "sort_key",
    "index_partition_key",
    "index_sort_key",
    "ttl",
    "version",
    "atomic_counter",
    "auto_timestamp",
    "auto_uuid",
    "update_behavior",
    "tag",
];

/// Keys of `#[attribute(...)]`. `default`, `skip` and `flatten` live here rather than as bare
/// attributes because other derives use those names (`#[derive(Default)]`'s `#[default]`).
const ATTRIBUTE_KEYS: &[&str] = &["rename", "with", "serde", "default", "skip", "flatten"];

impl ContainerAttrs {
    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = ContainerAttrs::default();
        for attr in attrs {
            // `#[default]` is left to `#[derive(Default)]`, which reports it where it does not belong.
            if let Some(name) = FIELD_ATTRIBUTES
                .iter()
                .chain(&["attribute", "skip", "flatten"])
                .find(|n| attr.path().is_ident(n))
            {
                cx.error_spanned_by(
                    attr.path(),
                    format!("`#[{name}]` belongs on a field; the struct or enum takes `#[item(...)]`"),
                );
            }
        }
        for attr in attrs.iter().filter(|a| a.path().is_ident("item")) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("table") {
                    let lit: LitStr = meta.value()?.parse()?;
                    if let Err(problem) = check_name(&lit.value()) {
                        cx.error_spanned_by(&lit, format!("invalid table name: {problem}"));
                    }
                    set_once(
                        cx,
                        &mut out.table,
                        WithSpan::new(lit.value(), lit.span()),
                        &meta,
                        "table",
                    );
                } else if meta.path.is_ident("rename_all") {
                    let lit: LitStr = meta.value()?.parse()?;
                    match RenameRule::from_name(&lit.value()) {
                        Some(rule) => set_once(cx, &mut out.rename_all, rule, &meta, "rename_all"),
                        None => cx.error_spanned_by(
                            &lit,
                            format!(
                                "unknown rename rule `{}`{}",
                                lit.value(),
                                did_you_mean(&lit.value(), RenameRule::NAMES)
                            ),
                        ),
                    }
                } else if meta.path.is_ident("crate") {
                    let lit: LitStr = meta.value()?.parse()?;
                    match lit.parse::<syn::Path>() {
                        Ok(path) => set_once(cx, &mut out.crate_path, path, &meta, "crate"),
                        Err(_) => cx.error_spanned_by(&lit, "`crate` must be a path: `crate = \"::dynamodb_mapper\"`"),
                    }
                } else if meta.path.is_ident("index") {
                    if let Some(index) = parse_index(cx, &meta)? {
                        out.indexes.push(index);
                    }
                } else {
                    unknown_key(cx, &meta, "item", CONTAINER_KEYS);
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = result {
                cx.syn_error(e);
            }
        }
        out
    }
}

/// `#[version(start_at = N, increment_by = M)]`.
#[derive(Clone, Copy)]
pub struct VersionArgs {
    pub start_at: i64,
    pub increment_by: i64,
}

/// `#[atomic_counter(start = S, inc = I)]`.
#[derive(Clone, Copy)]
pub struct CounterArgs {
    pub start: i64,
    pub inc: i64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UpdateBehavior {
    WriteAlways,
    WriteIfNotExists,
}

/// Every attribute a field can carry.
#[derive(Default)]
pub struct FieldAttrs {
    pub partition_key: Option<Span>,
    pub sort_key: Option<Span>,
    pub rename: Option<WithSpan<String>>,
    pub with: Option<WithSpan<syn::Path>>,
    pub serde: Option<Span>,
    pub skip: Option<Span>,
    pub default: Option<Span>,
    pub flatten: Option<Span>,
    pub index_partition_keys: Vec<IndexKey>,
    pub index_sort_keys: Vec<IndexKey>,
    pub ttl: Option<Span>,
    pub version: Option<WithSpan<VersionArgs>>,
    pub atomic_counter: Option<WithSpan<CounterArgs>>,
    pub auto_timestamp: Option<Span>,
    pub auto_uuid: Option<Span>,
    pub update_behavior: Option<WithSpan<UpdateBehavior>>,
    pub tags: Vec<WithSpan<String>>,
}

impl FieldAttrs {
    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = FieldAttrs::default();
        for attr in attrs {
            let Some(ident) = attr.path().get_ident() else {
                continue;
            };
            // Errors about the attribute point at its name.
            let span = ident.span();
            let name = ident.to_string();
            match name.as_str() {
                "partition_key" => marker(cx, attr, &mut out.partition_key),
                "sort_key" => marker(cx, attr, &mut out.sort_key),
                // Declared as helper attributes only so that this error can name the spelling.
                "skip" | "default" | "flatten" => {
                    cx.error_spanned_by(
                        attr,
                        format!(
                            "write `#[attribute({name})]`: a bare `#[{name}]` would clash with other derives' attributes"
                        ),
                    );
                    let slot = match name.as_str() {
                        "skip" => &mut out.skip,
                        "default" => &mut out.default,
                        _ => &mut out.flatten,
                    };
                    slot.get_or_insert(span);
                }
                "ttl" => marker(cx, attr, &mut out.ttl),
                "auto_timestamp" => marker(cx, attr, &mut out.auto_timestamp),
                "auto_uuid" => marker(cx, attr, &mut out.auto_uuid),
                "index_partition_key" => {
                    if let Some(key) = index_key(cx, attr, span) {
                        out.index_partition_keys.push(key);
                    }
                }
                "index_sort_key" => {
                    if let Some(key) = index_key(cx, attr, span) {
                        out.index_sort_keys.push(key);
                    }
                }
                "tag" => match attr.parse_args::<LitStr>() {
                    Ok(lit) if lit.value().is_empty() => cx.error_spanned_by(&lit, "a tag cannot be empty"),
                    Ok(lit) => out.tags.push(WithSpan::new(lit.value(), span)),
                    Err(_) => {
                        let written = attr
                            .meta
                            .require_list()
                            .map(|l| l.tokens.to_string())
                            .unwrap_or_default();
                        let example = if written.is_empty() {
                            "checksum".to_owned()
                        } else {
                            written
                        };
                        cx.error_spanned_by(attr, format!("a tag is a string: `#[tag(\"{example}\")]`"))
                    }
                },
                "version" => {
                    let args = parse_version(cx, attr);
                    set_once_attr(cx, &mut out.version, WithSpan::new(args, span), attr);
                }
                "atomic_counter" => {
                    let args = parse_counter(cx, attr);
                    set_once_attr(cx, &mut out.atomic_counter, WithSpan::new(args, span), attr);
                }
                "update_behavior" => {
                    if let Some(behavior) = parse_update_behavior(cx, attr) {
                        set_once_attr(cx, &mut out.update_behavior, WithSpan::new(behavior, span), attr);
                    }
                }
                "attribute" => out.parse_attribute(cx, attr),
                "item" => cx.error_spanned_by(
                    attr.path(),
                    "`#[item(...)]` belongs on the struct; a field takes `#[attribute(...)]`",
                ),
                _ => {}
            }
        }
        out
    }

    /// `#[attribute(rename = "...", with = path, serde, default, skip, flatten)]`.
    fn parse_attribute(&mut self, cx: &Ctxt, attr: &Attribute) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit = parse_string(&meta, "rename", "email")?;
                if lit.value().is_empty() {
                    cx.error_spanned_by(&lit, "an attribute name cannot be empty");
                }
                set_once(cx, &mut self.rename, WithSpan::new(lit.value(), lit.span()), &meta, "rename");
            } else if meta.path.is_ident("with") {
                let value = meta.value()?;
                // `with = path` or, as in serde, `with = "path"`.
                let path: syn::Path = if value.peek(LitStr) {
                    value.parse::<LitStr>()?.parse()?
                } else {
                    value.parse()?
                };
                let span = path.span();
                set_once(cx, &mut self.with, WithSpan::new(path, span), &meta, "with");
            } else if meta.path.is_ident("serde") {
                set_once(cx, &mut self.serde, meta.path.span(), &meta, "serde");
            } else if meta.path.is_ident("default") {
                set_once(cx, &mut self.default, meta.path.span(), &meta, "default");
            } else if meta.path.is_ident("skip") {
                set_once(cx, &mut self.skip, meta.path.span(), &meta, "skip");
            } else if meta.path.is_ident("flatten") {
                set_once(cx, &mut self.flatten, meta.path.span(), &meta, "flatten");
            } else {
                let key = path_name(&meta.path);
                if FIELD_ATTRIBUTES.contains(&key.as_str()) {
                    cx.error_spanned_by(
                        &meta.path,
                        format!("`{key}` is an attribute of its own: write `#[{key}]` on the field, not inside `#[attribute(...)]`"),
                    );
                } else {
                    unknown_key(cx, &meta, "attribute", ATTRIBUTE_KEYS);
                }
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
}

/// `#[attribute(rename = "...")]` on an enum variant.
#[derive(Default)]
pub struct VariantAttrs {
    pub rename: Option<WithSpan<String>>,
}

impl VariantAttrs {
    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = VariantAttrs::default();
        for attr in attrs {
            // `#[default]` on a variant belongs to `#[derive(Default)]`.
            if let Some(name) = FIELD_ATTRIBUTES
                .iter()
                .chain(&["item", "skip", "flatten"])
                .find(|n| attr.path().is_ident(n))
            {
                cx.error_spanned_by(
                    attr.path(),
                    format!("`#[{name}]` does not apply to an enum variant, which takes only `#[attribute(rename = \"...\")]`"),
                );
            }
        }
        for attr in attrs.iter().filter(|a| a.path().is_ident("attribute")) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let lit = parse_string(&meta, "rename", "ACTIVE")?;
                    if lit.value().is_empty() {
                        cx.error_spanned_by(&lit, "a variant's stored name cannot be empty");
                    }
                    set_once(
                        cx,
                        &mut out.rename,
                        WithSpan::new(lit.value(), lit.span()),
                        &meta,
                        "rename",
                    );
                } else {
                    unknown_key(cx, &meta, "attribute", &["rename"]);
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(e) = result {
                cx.syn_error(e);
            }
        }
        out
    }
}

fn path_name(path: &syn::Path) -> String {
    path.get_ident()
        .map(|i| i.to_string())
        .unwrap_or_else(|| quote::quote!(#path).to_string())
}

fn unknown_key(cx: &Ctxt, meta: &ParseNestedMeta, attribute: &str, known: &[&str]) {
    let key = path_name(&meta.path);
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown key `{key}` in `#[{attribute}(...)]`{}",
            did_you_mean(&key, known)
        ),
    );
}

/// Consumes `= value` or `(...)` after an unknown key so that parsing can go on.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, value: T, meta: &ParseNestedMeta, key: &str) {
    if slot.is_some() {
        cx.error_spanned_by(&meta.path, format!("duplicate `{key}`: give it once"));
    } else {
        *slot = Some(value);
    }
}

fn set_once_attr<T>(cx: &Ctxt, slot: &mut Option<T>, value: T, attr: &Attribute) {
    if slot.is_some() {
        cx.error_spanned_by(attr, format!("duplicate `#[{}]`: give it once", path_name(attr.path())));
    } else {
        *slot = Some(value);
    }
}

/// A bare marker attribute such as `#[partition_key]`.
fn marker(cx: &Ctxt, attr: &Attribute, slot: &mut Option<Span>) {
    let name = path_name(attr.path());
    if attr.meta.require_path_only().is_err() {
        cx.error_spanned_by(&attr.meta, format!("`#[{name}]` takes no arguments: write `#[{name}]`"));
    }
    set_once_attr(cx, slot, attr.path().span(), attr);
}

/// A field's part in a secondary index's key: `#[index_partition_key("by_email")]`, or one
/// attribute of a multi-attribute key, `#[index_sort_key("by_place", order = 2)]`.
pub struct IndexKey {
    /// The index name.
    pub value: String,
    /// The span of the attribute's name (`index_sort_key`).
    pub span: Span,
    /// The attribute's position in a multi-attribute key, from 1.
    pub order: Option<WithSpan<u32>>,
}

fn index_key(cx: &Ctxt, attr: &Attribute, span: Span) -> Option<IndexKey> {
    let name = path_name(attr.path());
    let parsed = attr.parse_args_with(|input: syn::parse::ParseStream| {
        let lit: LitStr = input.parse()?;
        let mut order = None;
        if input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
            let key: syn::Ident = input.parse()?;
            if key != "order" {
                return Err(syn::Error::new(
                    key.span(),
                    "expected `order = N` (the attribute's position in a multi-attribute key)",
                ));
            }
            input.parse::<syn::Token![=]>()?;
            let n: LitInt = input.parse()?;
            order = Some(WithSpan::new(n.base10_parse::<u32>()?, n.span()));
        }
        Ok((lit, order))
    });
    match parsed {
        Ok((lit, order)) => match check_name(&lit.value()) {
            Ok(()) => Some(IndexKey {
                value: lit.value(),
                span,
                order,
            }),
            Err(problem) => {
                cx.error_spanned_by(&lit, format!("invalid index name: {problem}"));
                None
            }
        },
        Err(e) if e.to_string().starts_with("expected `order") => {
            cx.syn_error(e);
            None
        }
        Err(_) => {
            cx.error_spanned_by(
                attr,
                format!("expected the index name: `#[{name}(\"by_email\")]`, or `#[{name}(\"by_place\", order = 1)]` for one attribute of a multi-attribute key"),
            );
            None
        }
    }
}

/// An integer literal, possibly negative.
fn parse_i64(meta: &ParseNestedMeta) -> syn::Result<i64> {
    let input = meta.value()?;
    let negative = input.peek(syn::Token![-]);
    if negative {
        input.parse::<syn::Token![-]>()?;
    }
    let lit: LitInt = input.parse()?;
    let value: i64 = lit.base10_parse()?;
    Ok(if negative { -value } else { value })
}

fn parse_version(cx: &Ctxt, attr: &Attribute) -> VersionArgs {
    let mut args = VersionArgs {
        start_at: 0,
        increment_by: 1,
    };
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return args;
    }
    let result = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("start_at") {
            let span = meta.input.span();
            args.start_at = parse_i64(&meta)?;
            if args.start_at < 0 {
                cx.error_at(span, "`start_at` must be 0 or more");
            }
        } else if meta.path.is_ident("increment_by") {
            let span = meta.input.span();
            args.increment_by = parse_i64(&meta)?;
            if args.increment_by < 1 {
                cx.error_at(span, "`increment_by` must be 1 or more, or versions would repeat");
            }
        } else {
            unknown_key(cx, &meta, "version", &["start_at", "increment_by"]);
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        cx.syn_error(e);
    }
    args
}

fn parse_counter(cx: &Ctxt, attr: &Attribute) -> CounterArgs {
    let mut args = CounterArgs { start: 0, inc: 1 };
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return args;
    }
    let result = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("start") {
            args.start = parse_i64(&meta)?;
        } else if meta.path.is_ident("inc") {
            let span = meta.input.span();
            args.inc = parse_i64(&meta)?;
            if args.inc == 0 {
                cx.error_at(span, "`inc` of 0 would never change the counter");
            }
        } else {
            unknown_key(cx, &meta, "atomic_counter", &["start", "inc"]);
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        cx.syn_error(e);
    }
    args
}

fn parse_update_behavior(cx: &Ctxt, attr: &Attribute) -> Option<UpdateBehavior> {
    const NAMES: &[&str] = &["write_always", "write_if_not_exists"];
    let Ok(ident) = attr.parse_args::<syn::Ident>() else {
        cx.error_spanned_by(
            attr,
            "expected `#[update_behavior(write_always)]` or `#[update_behavior(write_if_not_exists)]`",
        );
        return None;
    };
    match ident.to_string().as_str() {
        "write_always" => Some(UpdateBehavior::WriteAlways),
        "write_if_not_exists" => Some(UpdateBehavior::WriteIfNotExists),
        other => {
            cx.error_spanned_by(
                &ident,
                format!("unknown update behavior `{other}`{}", did_you_mean(other, NAMES)),
            );
            None
        }
    }
}

/// A string value, with an example of the expected form if it is not one.
fn parse_string(meta: &ParseNestedMeta, key: &str, example: &str) -> syn::Result<LitStr> {
    let value = meta.value()?;
    value
        .parse::<LitStr>()
        .map_err(|e| syn::Error::new(e.span(), format!("`{key}` takes a string: `{key} = \"{example}\"`")))
}

/// DynamoDB's rule for table and index names: 3 to 255 of `a-z A-Z 0-9 _ - .`.
fn check_name(name: &str) -> Result<(), String> {
    if !(3..=255).contains(&name.len()) {
        return Err(format!("`{name}` must have 3 to 255 characters, not {}", name.len()));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        Some(c) => Err(format!(
            "`{name}` contains `{c}`; use letters, digits, `_`, `-` and `.`"
        )),
        None => Ok(()),
    }
}
