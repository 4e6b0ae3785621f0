//! What is emitted beside the compile errors: impls with the right shape and no behavior, so
//! that code using the type does not add errors of its own and users see only their mistake.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Derive;

pub fn expand(input: &syn::DeriveInput, derive: Derive, krate: &syn::Path) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let private = quote!(#krate::__private);
    let value_impls = quote! {
        #[automatically_derived]
        impl #impl_generics #krate::value::ToAttributeValue for #ident #ty_generics #where_clause {
            fn to_attribute_value(&self) -> #private::Result<::core::option::Option<#private::Value>, #krate::ConvertError> {
                ::core::unimplemented!()
            }
        }
        #[automatically_derived]
        impl #impl_generics #krate::value::FromAttributeValue for #ident #ty_generics #where_clause {
            fn from_attribute_value(_: #private::Value) -> #private::Result<Self, #krate::ConvertError> {
                ::core::unimplemented!()
            }
        }
    };
    if matches!(input.data, syn::Data::Enum(_)) && derive == Derive::Attributes {
        return value_impls;
    }
    let attributes = quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Attributes for #ident #ty_generics #where_clause {
            const SCHEMA: &'static #krate::schema::ItemSchema = &#krate::schema::ItemSchema::new("", &[], &[]);
            const ATTRIBUTE_COUNT: usize = 0;
            fn write_attributes(&self, _: &mut #krate::ItemMap) -> #private::Result<(), #krate::ConvertError> {
                ::core::unimplemented!()
            }
            fn read_attributes(_: &mut #krate::ItemMap) -> #private::Result<Self, #krate::ConvertError> {
                ::core::unimplemented!()
            }
        }
    };
    // Any key: a `table.get(..)` of the type adds no error of its own either.
    let mut with_key = input.generics.clone();
    with_key.params.push(syn::parse_quote!(__MapperKey));
    let (key_impl_generics, _, _) = with_key.split_for_impl();
    let item = (derive == Derive::Item).then(|| {
        quote! {
            #[automatically_derived]
            impl #key_impl_generics #krate::KeyFrom<__MapperKey> for #ident #ty_generics #where_clause {
                fn into_key(_: __MapperKey) -> Self::Key {}
            }
            #[automatically_derived]
            impl #impl_generics #krate::Item for #ident #ty_generics #where_clause {
                const TABLE: &'static #krate::schema::TableSchema = &#krate::schema::TableSchema::new(
                    ::core::option::Option::None,
                    <Self as #krate::Attributes>::SCHEMA,
                    #krate::schema::KeySchema::new("", #krate::value::ScalarType::S),
                    ::core::option::Option::None,
                    &[],
                );
                type Key = ();
                type PartitionKey = #krate::NoSortKey;
                type SortKey = #krate::NoSortKey;
                fn key(&self) -> Self::Key {}
                fn key_item(&self) -> #private::Result<#krate::ItemMap, #krate::ConvertError> {
                    ::core::unimplemented!()
                }
                fn key_to_item(_: Self::Key) -> #private::Result<#krate::ItemMap, #krate::ConvertError> {
                    ::core::unimplemented!()
                }
                fn read_key(_: &mut #krate::ItemMap) -> #private::Result<Self::Key, #krate::ConvertError> {
                    ::core::unimplemented!()
                }
            }
        }
    });
    // A struct with a `#[version]` field stays `Versioned`, so that code relying on it adds no
    // error of its own.
    let has_version = match &input.data {
        syn::Data::Struct(data) => data
            .fields
            .iter()
            .any(|f| f.attrs.iter().any(|a| a.path().is_ident("version"))),
        _ => false,
    };
    let versioned = (derive == Derive::Item && has_version).then(|| {
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::Versioned for #ident #ty_generics #where_clause {}
        }
    });
    let fields = fields(input, krate);
    quote!(#value_impls #attributes #item #versioned #fields)
}

/// `Type::fields()` with a path for every named field, so that the code using them adds no
/// error of its own: each path takes its field's values (`T` of an `Option<T>`) and allows
/// every patch action (the role of a list element).
fn fields(input: &syn::DeriveInput, krate: &syn::Path) -> TokenStream {
    let syn::Data::Struct(syn::DataStruct {
        fields: syn::Fields::Named(named),
        ..
    }) = &input.data
    else {
        return TokenStream::new();
    };
    let (_, ty_generics, _) = input.generics.split_for_impl();
    let ident = &input.ident;
    let item = quote!(#ident #ty_generics);
    let mut members = Vec::new();
    let mut inits = Vec::new();
    for field in &named.named {
        let (member, field_vis) = (&field.ident, &field.vis);
        let value = crate::types::unwrap_option(&field.ty);
        let name = member.as_ref().map(ToString::to_string).unwrap_or_default();
        members.push(quote!(#field_vis #member: #krate::expr::Field<#item, #value, #krate::expr::role::Entry>,));
        inits.push(quote!(#member: #krate::__private::field(#name),));
    }
    crate::fields::emit(
        ident,
        &input.vis,
        &input.generics,
        &input.generics,
        krate,
        &members,
        &inits,
    )
}
