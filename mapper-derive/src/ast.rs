//! The parsed model of the input: a struct with named fields or a unit-only enum, each
//! field and variant with its attributes and its stored name.

use syn::{Data as SynData, DeriveInput, Fields, Ident, Type, Visibility};

use crate::attr::{ContainerAttrs, FieldAttrs, VariantAttrs};
use crate::ctxt::Ctxt;

/// Which derive is running.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Derive {
    Item,
    Attributes,
}

pub struct Container<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub generics: &'a syn::Generics,
    pub attrs: ContainerAttrs,
    pub data: Data<'a>,
}

pub enum Data<'a> {
    Struct(Vec<Field<'a>>),
    Enum(Vec<Variant<'a>>),
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    /// The attribute name in DynamoDB.
    pub name: String,
}

pub struct Variant<'a> {
    pub ident: &'a Ident,
    /// The string stored for this variant.
    pub name: String,
}

impl<'a> Container<'a> {
    /// Parses the input; `None` if its shape cannot be derived at all (the error is recorded).
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput, derive: Derive) -> Option<Self> {
        let attrs = ContainerAttrs::parse(cx, &input.attrs);
        let data = match &input.data {
            SynData::Struct(data) => match &data.fields {
                Fields::Named(fields) => Data::Struct(
                    fields
                        .named
                        .iter()
                        .map(|field| {
                            let ident = field.ident.as_ref().expect("named field");
                            Field {
                                ident,
                                vis: &field.vis,
                                ty: &field.ty,
                                attrs: FieldAttrs::parse(cx, &field.attrs),
                                name: String::new(),
                            }
                        })
                        .collect(),
                ),
                _ => {
                    cx.error_spanned_by(
                        input.ident.clone(),
                        format!("`#[derive({})]` needs a struct with named fields", derive.name()),
                    );
                    return None;
                }
            },
            SynData::Enum(data) => {
                if derive == Derive::Item {
                    cx.error_spanned_by(
                        input.ident.clone(),
                        "`#[derive(Item)]` needs a struct with named fields; a unit enum stored as a string derives `Attributes`",
                    );
                    return None;
                }
                let mut variants = Vec::new();
                for variant in &data.variants {
                    if !matches!(variant.fields, Fields::Unit) {
                        cx.error_spanned_by(
                            &variant.fields,
                            "`#[derive(Attributes)]` stores an enum as its variant's name, so every variant must be a unit variant; to store an enum with data, derive `Serialize` and `Deserialize` for it and mark the field `#[attribute(serde)]`",
                        );
                        continue;
                    }
                    let attrs = VariantAttrs::parse(cx, &variant.attrs);
                    variants.push((variant, attrs));
                }
                Data::Enum(
                    variants
                        .into_iter()
                        .map(|(variant, attrs)| {
                            Variant {
                                ident: &variant.ident,
                                name: String::new(),
                            }
                            .named(attrs.rename.map(|r| r.value))
                        })
                        .collect(),
                )
            }
            SynData::Union(_) => {
                cx.error_spanned_by(
                    input.ident.clone(),
                    format!("`#[derive({})]` does not support unions", derive.name()),
                );
                return None;
            }
        };
        let mut container = Container {
            ident: &input.ident,
            vis: &input.vis,
            generics: &input.generics,
            attrs,
            data,
        };
        container.assign_names();
        Some(container)
    }

    /// Stored names: `rename` wins, then `rename_all`, then the Rust name.
    fn assign_names(&mut self) {
        let rule = self.attrs.rename_all;
        match &mut self.data {
            Data::Struct(fields) => {
                for field in fields {
                    let rust = unraw(field.ident);
                    field.name = match (&field.attrs.rename, rule) {
                        (Some(rename), _) => rename.value.clone(),
                        (None, Some(rule)) => rule.apply_to_field(&rust),
                        (None, None) => rust,
                    };
                }
            }
            Data::Enum(variants) => {
                for variant in variants {
                    if variant.name.is_empty() {
                        let rust = unraw(variant.ident);
                        variant.name = rule.map_or_else(|| rust.clone(), |rule| rule.apply_to_variant(&rust));
                    }
                }
            }
        }
    }
}

impl Variant<'_> {
    fn named(mut self, rename: Option<String>) -> Self {
        if let Some(rename) = rename {
            self.name = rename;
        }
        self
    }
}

impl Derive {
    pub fn name(self) -> &'static str {
        match self {
            Derive::Item => "Item",
            Derive::Attributes => "Attributes",
        }
    }
}

/// `r#type` → `type`.
pub fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}
