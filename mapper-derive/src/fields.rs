//! The typed field paths of a struct: a `{Name}Fields` struct with one
//! `dynamodb_mapper::expr::Field` per stored attribute, made by `Name::fields()`.
//!
//! Each path's type says what the library may do with the attribute: its value type (`T` of
//! an `Option<T>`), its role (a key, the version, a counter, optional, defaulted) and its
//! codec (the type's own conversion, or the field's converter). All of that is decided here,
//! once; the library's generic methods do the rest, so a struct expands to one line per field
//! and a constructor call each.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Generics, Ident, Path, Visibility};

use crate::ast::{Container, Derive, Field};
use crate::expand::{Strategy, strategy, with_bounds};
use crate::types;

pub fn expand(container: &Container, fields: &[Field], krate: &Path) -> TokenStream {
    let generics = container.generics;
    let (_, ty_generics, _) = generics.split_for_impl();
    let ident = container.ident;
    let item = quote!(#ident #ty_generics);
    let mut members = Vec::new();
    let mut inits = Vec::new();
    for field in fields {
        let Some((ty, init)) = path_of(field, &item, krate) else {
            continue;
        };
        let member = field.ident;
        let field_vis = field.vis;
        let doc = format!("`{}`", field.name);
        members.push(quote!(#[doc = #doc] #field_vis #member: #ty,));
        inits.push(quote!(#member: #init,));
    }
    // The impls carry the bounds the conversions need (a converter's trait on a type
    // parameter), as the `Attributes` impl does; the struct of paths needs none.
    let bounded = with_bounds(container, fields, krate, Derive::Attributes);
    emit(ident, container.vis, generics, &bounded, krate, &members, &inits)
}

/// The `{Name}Fields` struct with `members`, `Name::fields()` building it from `inits`, and
/// the `HasFields` impl: for a derive, and for its fallback beside a compile error.
pub fn emit(
    ident: &Ident,
    vis: &Visibility,
    generics: &Generics,
    bounded: &Generics,
    krate: &Path,
    members: &[TokenStream],
    inits: &[TokenStream],
) -> TokenStream {
    let fields_ident = format_ident!("{}Fields", ident);
    let (_, ty_generics, struct_where) = generics.split_for_impl();
    let (impl_generics, _, where_clause) = bounded.split_for_impl();
    let item = quote!(#ident #ty_generics);
    // A type parameter that no path mentions would be unused.
    let marker = (!generics.params.is_empty()).then(|| {
        (
            quote!(__item: ::core::marker::PhantomData<fn() -> #item>,),
            quote!(__item: ::core::marker::PhantomData,),
        )
    });
    let (marker_member, marker_init) = marker.unzip();
    let struct_doc = format!(
        "The typed paths of `{ident}`'s attributes, made by [`{ident}::fields`]: conditions, filters and patches are built from them."
    );
    let fn_doc = format!(
        "The typed paths of `{ident}`'s attributes (see `dynamodb_mapper::expr::Field`): `{ident}::fields().x.eq(..)` is a condition on `{ident}` items."
    );
    quote! {
        #[doc = #struct_doc]
        #[allow(dead_code, non_snake_case)]
        #vis struct #fields_ident #generics #struct_where {
            #(#members)*
            #marker_member
        }

        #[automatically_derived]
        impl #impl_generics #item #where_clause {
            #[doc = #fn_doc]
            #[allow(dead_code)]
            #[inline]
            #vis fn fields() -> #fields_ident #ty_generics {
                #fields_ident { #(#inits)* #marker_init }
            }
        }

        #[automatically_derived]
        impl #impl_generics #krate::expr::HasFields for #item #where_clause {
            type Fields = #fields_ident #ty_generics;
            #[inline]
            fn fields() -> Self::Fields {
                Self::fields()
            }
        }
    }
}

/// The path's type and its initializer, or `None` for a skipped field.
fn path_of(field: &Field, item: &TokenStream, krate: &Path) -> Option<(TokenStream, TokenStream)> {
    let expr = quote!(#krate::expr);
    let private = quote!(#krate::__private);
    let name = &field.name;
    let ty = field.ty;
    let a = &field.attrs;
    let strategy = strategy(field, krate);
    if let Strategy::Skip = strategy {
        return None;
    }
    if let Strategy::Flatten = strategy {
        return Some((
            quote!(#expr::Flattened<#item, #ty>),
            quote!(::core::default::Default::default()),
        ));
    }
    let optional = types::option_inner(ty);
    let value = optional.unwrap_or(ty);
    let role = if a.partition_key.is_some() || a.sort_key.is_some() {
        Some(quote!(Key))
    } else if a.version.is_some() {
        Some(quote!(Version))
    } else if a.atomic_counter.is_some() {
        Some(quote!(Counter))
    } else if optional.is_some() {
        Some(quote!(Optional))
    } else if a.default.is_some() {
        Some(quote!(Defaulted))
    } else {
        None
    };
    let role_ty = role
        .as_ref()
        .map_or_else(|| quote!(#expr::role::Required), |r| quote!(#expr::role::#r));
    Some(match strategy {
        Strategy::Converter(convert) => {
            let order = if a.ttl.is_some() {
                quote!(#expr::Sorted)
            } else {
                quote!(#expr::Unsorted)
            };
            // The converter takes the field's type: an `Option<T>` field's value is wrapped.
            let stored = match optional {
                Some(_) => quote!(&::core::option::Option::Some(value)),
                None => quote!(&value),
            };
            (
                quote!(#expr::Field<#item, #value, #role_ty, #expr::Converter<#value, #order>>),
                quote!(#private::converted_field(#name, |value| #convert::to_attribute_value(#stored))),
            )
        }
        _ => {
            let ty = match role {
                Some(_) => quote!(#expr::Field<#item, #value, #role_ty>),
                None => quote!(#expr::Field<#item, #value>),
            };
            (ty, quote!(#private::field(#name)))
        }
    })
}
