//! Code generation from a checked model.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Path, Type};

use crate::ast::{Container, Data, Derive, Field, Variant};
use crate::attr::{ProjectionAttr, UpdateBehavior};

pub fn expand(container: &Container, derive: Derive) -> TokenStream {
    let krate = crate_path(container);
    match &container.data {
        Data::Struct(fields) => {
            let mut out = expand_struct(container, fields, &krate);
            out.extend(crate::fields::expand(container, fields, &krate));
            if derive == Derive::Item {
                out.extend(expand_item(container, fields, &krate));
            }
            out
        }
        Data::Enum(variants) => expand_unit_enum(container, variants, &krate),
    }
}

pub fn crate_path(container: &Container) -> Path {
    container
        .attrs
        .crate_path
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::dynamodb_mapper))
}

/// How a field is written and read.
pub(crate) enum Strategy {
    Skip,
    Flatten,
    /// Through a converter module: `with`, `serde`, or the epoch seconds of `#[ttl]`.
    Converter(TokenStream),
    Default,
    Plain,
}

pub(crate) fn strategy(field: &Field, krate: &Path) -> Strategy {
    let a = &field.attrs;
    if a.skip.is_some() {
        Strategy::Skip
    } else if a.flatten.is_some() {
        Strategy::Flatten
    } else if let Some(with) = &a.with {
        Strategy::Converter(with.value.to_token_stream())
    } else if a.serde.is_some() {
        Strategy::Converter(quote!(#krate::value::via_serde))
    } else if a.ttl.is_some() {
        Strategy::Converter(quote!(#krate::value::epoch_seconds))
    } else if a.default.is_some() {
        Strategy::Default
    } else {
        Strategy::Plain
    }
}

/// How `Item::read_key` reads a table key field from `item`, as `read_attributes` does: an
/// `Option` of the value, `None` once a field has failed (see [`read_all`]).
fn key_read(field: &Field, krate: &Path) -> TokenStream {
    let private = quote!(#krate::__private);
    let (ty, name) = (field.ty, &field.name);
    let span = ty.span();
    // The locals are never spanned at the user's tokens (hygiene, as in `expand_struct`).
    let (item, reading) = (quote!(item), quote!(&mut reading));
    match strategy(field, krate) {
        Strategy::Converter(path) => {
            quote!(#private::read_converted::<#ty>(#item, #name, #path::from_attribute_value, #reading))
        }
        Strategy::Default => quote_spanned!(span=> #private::read_or_default::<#ty>(#item, #name, #reading)),
        // Keys are read through their type's key check: text it would not write back would
        // address another item. The trait is named in a path spanned at the type, as in the
        // schema, and the function is passed as a pointer (not as its own type, whose bound
        // would be checked again at the call), so that a type that cannot be a key is
        // reported once, at the field.
        _ => {
            let read = quote_spanned!(span=> <#ty as #krate::value::KeyAttribute>::from_key_field
                as fn(::core::option::Option<#private::Value>) -> #private::Result<#ty, #krate::ConvertError>);
            quote!(#private::read_converted::<#ty>(#item, #name, #read, #reading))
        }
    }
}

/// A reader's body: each of `reads` (an `Option` of its field's value, through a
/// `__private::Reading` named `reading`) into its own local, then `build` from the locals
/// (named `vars`) once all are read, or the first field's error. One match at the end instead
/// of a `?` per field, whose failure paths each dropped the fields read before.
fn read_all(vars: &[Ident], reads: &[TokenStream], build: TokenStream, krate: &Path) -> TokenStream {
    let private = quote!(#krate::__private);
    if vars.is_empty() {
        return quote!(#private::Result::Ok(#build));
    }
    quote! {
        let mut reading = #private::Reading::new();
        #(let #vars = #reads;)*
        match (#(#vars,)*) {
            (#(::core::option::Option::Some(#vars),)*) => #private::Result::Ok(#build),
            _ => #private::Result::Err(reading.into_error()),
        }
    }
}

/// `impl Attributes` plus the conversion of the struct as a nested map (`M`).
fn expand_struct(container: &Container, fields: &[Field], krate: &Path) -> TokenStream {
    let ident = container.ident;
    let type_name = ident.to_string();
    let generics = with_bounds(container, fields, krate, Derive::Attributes);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let private = quote!(#krate::__private);

    let value_mod = quote!(#krate::value);
    let mut writes = Vec::new();
    let mut flattened_writes = Vec::new();
    let mut reads = Vec::new();
    let mut key_reads = Vec::new();
    let mut skipped = Vec::new();
    let mut schema_attributes = Vec::new();
    let mut flattened = Vec::new();
    let mut stored = 0usize;
    let mut nested_checks = Vec::new();
    let type_params: Vec<String> = container.generics.type_params().map(|p| p.ident.to_string()).collect();
    for field in fields {
        let member = field.ident;
        let name = &field.name;
        let ty = field.ty;
        // Calls name the field's type, spanned at it, so that a type that cannot be stored is
        // reported at the field, not at the derive. Local names (`item`, `self`) are never
        // spanned at user tokens: when a `macro_rules!` macro emits the struct, its tokens
        // carry the macro's hygiene, where the generated locals do not exist.
        let span = ty.span();
        let value = quote!(&self.#member);
        let item = quote!(item);
        let reading = quote!(&mut reading);
        let read = match strategy(field, krate) {
            Strategy::Skip => {
                skipped.push(quote_spanned!(span=> #member: <#ty as ::core::default::Default>::default()));
                None
            }
            Strategy::Flatten => {
                flattened_writes
                    .push(quote_spanned!(span=> <#ty as #krate::Attributes>::write_attributes(#value, #item)?;));
                flattened.push(quote_spanned!(span=> <#ty as #krate::Attributes>::SCHEMA));
                let read = quote_spanned!(span=> <#ty as #krate::Attributes>::read_from::<F>);
                Some(quote!(#private::read_flattened(#item, #read, #reading)))
            }
            Strategy::Converter(path) => {
                writes.push(quote!(writing.write(#item, #name, #path::to_attribute_value(#value));));
                Some(quote!(#private::read_converted::<#ty>(#item, #name, #path::from_attribute_value, #reading)))
            }
            Strategy::Default => {
                writes.push(write_plain(ty, span, krate, name, &value));
                Some(quote_spanned!(span=> #private::read_or_default::<#ty>(#item, #name, #reading)))
            }
            Strategy::Plain => {
                writes.push(write_plain(ty, span, krate, name, &value));
                if field.is_table_key() {
                    Some(key_read(field, krate))
                } else if field.is_any_key() {
                    Some(quote_spanned!(span=> #private::read_converted::<#ty>(
                        #item,
                        #name,
                        <#ty as #krate::value::IndexKeyAttribute>::from_index_key_value,
                        #reading,
                    )))
                } else {
                    Some(quote_spanned!(span=> #private::read::<#ty>(#item, #name, #reading)))
                }
            }
        };
        // A table's keys are read last: when another attribute fails to decode, the key is
        // still in the item, for the error to name the item by.
        if let Some(read) = read {
            if field.is_table_key() {
                key_reads.push((member, read));
            } else {
                reads.push((member, read));
            }
        }
        if field.is_stored() {
            stored += 1;
            let field_name = crate::ast::unraw(member);
            let tags = tags(field, krate);
            let rust_type = type_text(ty);
            let attribute_type = match strategy(field, krate) {
                Strategy::Converter(_) if field.attrs.ttl.is_some() && field.attrs.with.is_none() => {
                    quote!(&#value_mod::AttributeType::N)
                }
                Strategy::Converter(_) => quote!(&#value_mod::AttributeType::Dynamic),
                _ => {
                    // A struct stored as a nested map must not carry attributes that act only
                    // at the top level of an item. Checked where the type is known without
                    // the struct's type parameters; not emitted for a standard type that
                    // cannot hold a struct (compile time in every user's crate).
                    if !mentions_any(ty.to_token_stream(), &type_params) && !crate::types::is_plain_std(ty) {
                        nested_checks.push(nested_check(field, krate));
                    }
                    quote_spanned!(span=> <#ty as #value_mod::ToAttributeValue>::ATTRIBUTE_TYPE)
                }
            };
            schema_attributes.push(quote! {
                #krate::schema::AttributeSchema::new(#name, #field_name, #rust_type, #attribute_type, &[#(#tags),*])
            });
        }
    }
    let flattened_counts = fields.iter().filter(|f| f.attrs.flatten.is_some()).map(|f| {
        let ty = f.ty;
        quote!(+ <#ty as #krate::Attributes>::ATTRIBUTE_COUNT)
    });
    let top_level_only = top_level_only_flags(fields, krate);
    // Flattened structs write first (each one's error is its own), then the fields.
    let write_fields = if writes.is_empty() {
        quote!(#private::Result::Ok(()))
    } else {
        quote!(let mut writing = #private::Writing::new(); #(#writes)* writing.finish())
    };
    let (members, reads): (Vec<&Ident>, Vec<TokenStream>) = reads.into_iter().chain(key_reads).unzip();
    let vars: Vec<Ident> = (0..members.len()).map(|i| format_ident!("__field{i}")).collect();
    let read_body = read_all(
        &vars,
        &reads,
        quote!(Self { #(#members: #vars,)* #(#skipped,)* }),
        krate,
    );

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Attributes for #ident #ty_generics #where_clause {
            const SCHEMA: &'static #krate::schema::ItemSchema = &#krate::schema::ItemSchema::new(
                #type_name,
                &[#(#schema_attributes),*],
                &[#(#flattened),*],
            );
            const ATTRIBUTE_COUNT: usize = #stored #(#flattened_counts)*;

            #[inline]
            fn write_attributes(&self, item: &mut #krate::ItemMap) -> #private::Result<(), #krate::ConvertError> {
                #(#flattened_writes)*
                #write_fields
            }

            #[inline]
            fn read_attributes(item: &mut #krate::ItemMap) -> #private::Result<Self, #krate::ConvertError> {
                <Self as #krate::Attributes>::read_from(item)
            }

            fn read_from<F: #private::Fields>(item: &mut F) -> #private::Result<Self, #krate::ConvertError> {
                #read_body
            }
        }

        #[automatically_derived]
        impl #impl_generics #krate::value::ToAttributeValue for #ident #ty_generics #where_clause {
            const ATTRIBUTE_TYPE: &'static #value_mod::AttributeType = &#value_mod::AttributeType::Struct(
                #value_mod::NestedStruct::new(#type_name, #top_level_only),
            );

            #[inline]
            fn to_attribute_value(&self) -> #private::Result<::core::option::Option<#private::Value>, #krate::ConvertError> {
                #private::nested_to_value(self)
            }
        }

        #(#nested_checks)*

        #[automatically_derived]
        impl #impl_generics #krate::value::FromAttributeValue for #ident #ty_generics #where_clause {
            #[inline]
            fn from_attribute_value(value: #private::Value) -> #private::Result<Self, #krate::ConvertError> {
                #private::nested_from_value(value)
            }

            // Inline, as a generic would be: compiled only where a struct is read in place.
            #[inline]
            fn from_attribute_ref(value: #krate::value::AttributeRef<'_>) -> #private::Result<Self, #krate::ConvertError> {
                #private::nested_from_ref(value)
            }
        }
    }
}

/// The write of a field through its type's own conversion. The trait is named in a path, as
/// in the schema's attribute type, so that a type that cannot be stored is reported once.
fn write_plain(ty: &Type, span: proc_macro2::Span, krate: &Path, name: &str, value: &TokenStream) -> TokenStream {
    let convert = quote_spanned!(span=> <#ty as #krate::value::ToAttributeValue>::to_attribute_value);
    quote!(writing.write(item, #name, #convert(#value));)
}

/// The type as written, compactly: `Option<u64>`, `HashMap<String, Vec<u8>>`.
fn type_text(ty: &Type) -> String {
    let spaced = ty.to_token_stream().to_string();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let chars: Vec<char> = spaced.chars().collect();
    let mut out = String::with_capacity(spaced.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            // A space stays only between two words (`dyn Trait`, `'static str`).
            let before = out.chars().last();
            let after = chars.get(i + 1).copied();
            if word(before) && (word(after) || after == Some('\'')) {
                out.push(' ');
            }
        } else {
            out.push(c);
            if c == ',' || c == ';' {
                out.push(' ');
            }
        }
    }
    out.trim_end().replace(", >", ">").replace(",>", ">")
}

/// The `__private::top_level_only` flags of the struct: its own keys and lifecycle attributes,
/// and those of its flattened fields.
fn top_level_only_flags(fields: &[Field], krate: &Path) -> TokenStream {
    let flags = quote!(#krate::__private::top_level_only);
    let mut own = Vec::new();
    for field in fields.iter().filter(|f| f.attrs.skip.is_none()) {
        let a = &field.attrs;
        for (set, flag) in [
            (field.is_any_key(), quote!(KEY)),
            (a.version.is_some(), quote!(VERSION)),
            (a.atomic_counter.is_some(), quote!(ATOMIC_COUNTER)),
            (a.ttl.is_some(), quote!(TTL)),
            (a.auto_timestamp.is_some(), quote!(AUTO_TIMESTAMP)),
            (a.auto_uuid.is_some(), quote!(AUTO_UUID)),
        ] {
            if set {
                own.push(quote!(#flags::#flag));
            }
        }
        if a.flatten.is_some() {
            let ty = field.ty;
            own.push(quote!(#flags::of(<#ty as #krate::value::ToAttributeValue>::ATTRIBUTE_TYPE)));
        }
    }
    quote!(0 #(| #own)*)
}

/// A compile-time check that the field's type, stored as a nested map (directly or inside
/// lists, maps and `Option`s), has no attribute that acts only at the top level of an item:
/// one call of the library's `check_nested`, which holds the rule and its messages. Spanned at
/// the field's name, so that the error points at the field.
fn nested_check(field: &Field, krate: &Path) -> TokenStream {
    let ty = field.ty;
    let span = field.ident.span();
    let field_name = crate::ast::unraw(field.ident);
    let text = type_text(ty);
    // The call is the error's place: spanned at the field, the crate's path included.
    let check = respan(quote!(#krate::__private::check_nested), span);
    quote_spanned! {span=>
        const _: () = #check(
            <#ty as #krate::value::ToAttributeValue>::ATTRIBUTE_TYPE, #field_name, #text,
        );
    }
}

/// `tokens`, every one of them spanned at `span`.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

fn tags(field: &Field, krate: &Path) -> Vec<TokenStream> {
    let a = &field.attrs;
    let tag = quote!(#krate::schema::Tag);
    let mut out = Vec::new();
    if let Some(v) = &a.version {
        let (start_at, increment_by) = (v.value.start_at, v.value.increment_by);
        // Checked: the version is an `Option` of an integer type.
        let integer = crate::types::unwrap_option(field.ty);
        out.push(quote!(#tag::version(#start_at, #increment_by, <#integer>::MAX as u128)));
    }
    if let Some(c) = &a.atomic_counter {
        let (start, inc) = (c.value.start, c.value.inc);
        // Checked: the counter is an integer (or an `Option` of one).
        let integer = crate::types::unwrap_option(field.ty);
        out.push(quote!(#tag::atomic_counter(
            #start,
            #inc,
            <#integer as #krate::__private::Integer>::MIN,
            <#integer as #krate::__private::Integer>::MAX,
        )));
    }
    if a.auto_timestamp.is_some() {
        // The format of the field's type, whose bound reports a type that is no time at it.
        let ty = field.ty;
        let format = quote_spanned!(ty.span()=> <#ty as #krate::value::Timestamp>::TIME_FORMAT);
        out.push(quote!(#tag::auto_timestamp(#format)));
    }
    if a.auto_uuid.is_some() {
        out.push(quote!(#tag::AutoUuid));
    }
    if let Some(b) = &a.update_behavior {
        let behavior = match b.value {
            UpdateBehavior::WriteAlways => quote!(WriteAlways),
            UpdateBehavior::WriteIfNotExists => quote!(WriteIfNotExists),
        };
        out.push(quote!(#tag::UpdateBehavior(#krate::schema::UpdateBehavior::#behavior)));
    }
    if a.ttl.is_some() {
        out.push(quote!(#tag::Ttl));
    }
    for user in &a.tags {
        let name = &user.value;
        out.push(quote!(#tag::User(#name)));
    }
    out
}

/// `impl Item` and `impl KeyFrom`.
fn expand_item(container: &Container, fields: &[Field], krate: &Path) -> TokenStream {
    let ident = container.ident;
    let private = quote!(#krate::__private);
    let generics = with_bounds(container, fields, krate, Derive::Item);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    let partition = fields
        .iter()
        .find(|f| f.attrs.partition_key.is_some())
        .expect("checked: one partition key");
    let sort = fields.iter().find(|f| f.attrs.sort_key.is_some());
    let keys: Vec<&Field> = std::iter::once(partition).chain(sort).collect();

    let table_name = match &container.attrs.table {
        Some(t) => {
            let name = &t.value;
            quote!(::core::option::Option::Some(#name))
        }
        None => quote!(::core::option::Option::None),
    };
    // Spanned at the key's type: a type that cannot be a key is reported at the field, once.
    let table_key_schema = |field: &Field| {
        let name = &field.name;
        let ty = field.ty;
        quote_spanned!(ty.span()=> #krate::schema::KeySchema::new(
            #name,
            <#ty as #krate::value::KeyAttribute>::SCALAR_TYPE,
        ))
    };
    // Index keys may be optional: items without them are left out of the index.
    let index_key_schema = |field: &Field| {
        if field.is_table_key() {
            return table_key_schema(field);
        }
        let name = &field.name;
        let ty = field.ty;
        quote_spanned!(ty.span()=> #krate::schema::KeySchema::new(
            #name,
            <#ty as #krate::value::IndexKeyAttribute>::SCALAR_TYPE,
        ))
    };
    let table_partition_schema = table_key_schema(partition);
    let partition_schema = table_partition_schema.clone();
    let sort_schema = match sort {
        Some(field) => {
            let schema = table_key_schema(field);
            quote!(::core::option::Option::Some(#schema))
        }
        None => quote!(::core::option::Option::None),
    };
    let declared = indexes(fields);
    let indexes = declared.iter().map(|index| {
        // Without a partition key of its own, an index is local.
        let kind = if index.partition.is_empty() {
            quote!(Local)
        } else {
            quote!(Global)
        };
        let partition_schemas = match index.partition.is_empty() {
            true => vec![table_partition_schema.clone()],
            false => index.partition.iter().map(|f| index_key_schema(f)).collect(),
        };
        let sort_schemas = index.sort.iter().map(|f| index_key_schema(f));
        let name = &index.name;
        let projection = match container
            .attrs
            .indexes
            .iter()
            .find(|i| i.name.value == *name)
            .map(|i| &i.projection)
        {
            None | Some(ProjectionAttr::All) => quote!(#krate::schema::Projection::All),
            Some(ProjectionAttr::KeysOnly) => quote!(#krate::schema::Projection::KeysOnly),
            Some(ProjectionAttr::Include(names)) => quote!(#krate::schema::Projection::Include(&[#(#names),*])),
        };
        quote! {
            #krate::schema::IndexSchema::new(
                #name,
                #krate::schema::IndexKind::#kind,
                &[#(#partition_schemas),*],
                &[#(#sort_schemas),*],
                #projection,
            )
        }
    });
    let handles = index_handles(container, &generics, &declared, partition, krate);

    // Spanned at the key's type: a type that cannot be a key is reported at the field.
    let partition_type = partition.ty;
    let partition_type_item = quote_spanned!(partition_type.span()=> type PartitionKey = #partition_type;);
    let sort_type_item = match sort {
        Some(field) => {
            let ty = field.ty;
            quote_spanned!(ty.span()=> type SortKey = #ty;)
        }
        None => quote!(type SortKey = #krate::NoSortKey;),
    };
    let key_types: Vec<&Type> = keys.iter().map(|f| f.ty).collect();
    let key_members: Vec<&Ident> = keys.iter().map(|f| f.ident).collect();
    let key_names: Vec<&String> = keys.iter().map(|f| &f.name).collect();
    let key_count = keys.len();
    let key_vars: Vec<Ident> = (0..key_count)
        .map(|i| Ident::new(&format!("__key{i}"), Span::call_site()))
        .collect();
    // The trait named in a path spanned at the key's type, as in the key's schema: a type
    // that cannot be a key is reported there, once.
    let owned_key_writes: Vec<TokenStream> = keys
        .iter()
        .zip(&key_vars)
        .map(|(field, var)| {
            let (ty, name) = (field.ty, &field.name);
            let convert = quote_spanned!(ty.span()=> <#ty as #krate::value::KeyAttribute>::into_key_attribute_value);
            quote!(#private::write_key_value::<#ty>(&mut item, #name, #convert(#var))?;)
        })
        .collect();
    // Read as `read_attributes` reads them: through the key check, or the field's converter.
    let key_reads: Vec<TokenStream> = keys.iter().map(|field| key_read(field, krate)).collect();
    let into_params: Vec<Ident> = (0..key_count)
        .map(|i| Ident::new(&format!("__K{i}"), Span::call_site()))
        .collect();
    let (key_type, key_value, key_pattern, into_type) = if key_count == 1 {
        let (ty, member, var, param) = (key_types[0], key_members[0], &key_vars[0], &into_params[0]);
        let field = quote!(&self.#member);
        (
            quote!(#ty),
            quote_spanned!(ty.span()=> <#ty as ::core::clone::Clone>::clone(#field)),
            quote!(#var),
            quote!(#param),
        )
    } else {
        (
            quote!((#(#key_types),*)),
            quote!((#(<#key_types as ::core::clone::Clone>::clone(&self.#key_members)),*)),
            quote!((#(#key_vars),*)),
            quote!((#(#into_params),*)),
        )
    };
    let read_key_body = read_all(&key_vars, &key_reads, key_pattern.clone(), krate);
    let into_value = if key_count == 1 {
        let var = &key_vars[0];
        quote!(::core::convert::Into::into(#var))
    } else {
        quote!((#(::core::convert::Into::into(#key_vars)),*))
    };

    let mut key_from_generics = generics.clone();
    for (param, ty) in into_params.iter().zip(&key_types) {
        key_from_generics
            .params
            .push(syn::parse_quote!(#param: ::core::convert::Into<#ty>));
    }
    let (key_from_impl_generics, _, _) = key_from_generics.split_for_impl();
    let versioned = fields.iter().any(|f| f.attrs.version.is_some()).then(|| {
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::Versioned for #ident #ty_generics #where_clause {}
        }
    });

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Item for #ident #ty_generics #where_clause {
            const TABLE: &'static #krate::schema::TableSchema = &#krate::schema::TableSchema::new(
                #table_name,
                <Self as #krate::Attributes>::SCHEMA,
                #partition_schema,
                #sort_schema,
                &[#(#indexes),*],
            );

            type Key = #key_type;
            #partition_type_item
            #sort_type_item

            #[inline]
            fn key(&self) -> Self::Key {
                #key_value
            }

            #[inline]
            fn key_item(&self) -> #private::Result<#krate::ItemMap, #krate::ConvertError> {
                let mut item = #krate::ItemMap::with_capacity(#key_count);
                #(#private::write_key(&mut item, #key_names, &self.#key_members)?;)*
                #private::Result::Ok(item)
            }

            #[inline]
            fn key_to_item(key: Self::Key) -> #private::Result<#krate::ItemMap, #krate::ConvertError> {
                let #key_pattern = key;
                let mut item = #krate::ItemMap::with_capacity(#key_count);
                #(#owned_key_writes)*
                #private::Result::Ok(item)
            }

            #[inline]
            fn read_key(item: &mut #krate::ItemMap) -> #private::Result<Self::Key, #krate::ConvertError> {
                <Self as #krate::Item>::read_key_from(item)
            }

            fn read_key_from<F: #private::Fields>(item: &mut F) -> #private::Result<Self::Key, #krate::ConvertError> {
                #read_key_body
            }
        }

        #versioned

        #handles

        #[automatically_derived]
        impl #key_from_impl_generics #krate::KeyFrom<#into_type> for #ident #ty_generics #where_clause {
            fn into_key(key: #into_type) -> Self::Key {
                let #key_pattern = key;
                #into_value
            }
        }
    }
}

/// A secondary index as the fields declare it: its name, and its partition and sort key
/// fields, each in key order (an attribute's `order`, else the field's place).
struct DeclaredIndex<'f, 'a> {
    name: String,
    partition: Vec<&'f Field<'a>>,
    sort: Vec<&'f Field<'a>>,
}

/// Each index, in order of first mention.
fn indexes<'f, 'a>(fields: &'f [Field<'a>]) -> Vec<DeclaredIndex<'f, 'a>> {
    let mut out: Vec<DeclaredIndex> = Vec::new();
    let mut orders: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
    for field in fields {
        for (keys, is_partition) in [
            (&field.attrs.index_partition_keys, true),
            (&field.attrs.index_sort_keys, false),
        ] {
            for key in keys {
                let at = match out.iter().position(|index| index.name == key.value) {
                    Some(at) => at,
                    None => {
                        out.push(DeclaredIndex {
                            name: key.value.clone(),
                            partition: Vec::new(),
                            sort: Vec::new(),
                        });
                        orders.push((Vec::new(), Vec::new()));
                        out.len() - 1
                    }
                };
                let (list, order) = if is_partition {
                    (&mut out[at].partition, &mut orders[at].0)
                } else {
                    (&mut out[at].sort, &mut orders[at].1)
                };
                list.push(field);
                order.push(key.order.as_ref().map_or(u32::MAX, |o| o.value));
            }
        }
    }
    // Checked: the orders of a multi-attribute key are 1 to n.
    for (index, (partition_orders, sort_orders)) in out.iter_mut().zip(orders) {
        sort_by_order(&mut index.partition, &partition_orders);
        sort_by_order(&mut index.sort, &sort_orders);
    }
    out
}

fn sort_by_order<T: Copy>(items: &mut [T], orders: &[u32]) {
    let mut paired: Vec<(u32, T)> = orders.iter().copied().zip(items.iter().copied()).collect();
    paired.sort_by_key(|(order, _)| *order);
    for (slot, (_, item)) in items.iter_mut().zip(paired) {
        *slot = item;
    }
}

/// The typed handle of each index, an associated constant of the item type named after the
/// index (`BY_EMAIL` for `by_email`), whose type carries the index's key types.
/// The handles are declared under the `Item` impl's bounds: each names `<Self as Item>::TABLE`.
fn index_handles(
    container: &Container,
    generics: &syn::Generics,
    indexes: &[DeclaredIndex],
    partition: &Field,
    krate: &Path,
) -> TokenStream {
    if indexes.is_empty() {
        return TokenStream::new();
    }
    let ident = container.ident;
    let vis = container.vis;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let value_type = |field: &Field| crate::types::unwrap_option(field.ty).to_token_stream();
    let consts = indexes.iter().enumerate().map(|(position, index)| {
        let constant = Ident::new(&crate::case::constant_name(&index.name), Span::call_site());
        let (partition_type, kind) = match index.partition.as_slice() {
            [] => (partition.ty.to_token_stream(), quote!(Local)),
            [one] => (value_type(one), quote!(Global)),
            several => {
                let types = several.iter().map(|f| value_type(f));
                (quote!(#krate::ops::Keys<(#(#types,)*)>), quote!(Global))
            }
        };
        let sort_types = index.sort.iter().map(|f| value_type(f));
        let doc = format!(
            "The typed handle of the index `{}`, for [`Table::index`]({}::Table::index).",
            index.name,
            krate.to_token_stream().to_string().replace(' ', "")
        );
        quote! {
            #[doc = #doc]
            #vis const #constant: #krate::IndexOf<Self, #partition_type, (#(#sort_types,)*), #krate::ops::#kind> =
                #krate::IndexOf::new(&<Self as #krate::Item>::TABLE.indexes[#position]);
        }
    });
    quote! {
        #[automatically_derived]
        #[allow(dead_code)]
        impl #impl_generics #ident #ty_generics #where_clause {
            #(#consts)*
        }
    }
}

/// A unit enum stored as its variant's name (`S`).
fn expand_unit_enum(container: &Container, variants: &[Variant], krate: &Path) -> TokenStream {
    let ident = container.ident;
    let private = quote!(#krate::__private);
    let (impl_generics, ty_generics, where_clause) = container.generics.split_for_impl();
    let idents: Vec<&Ident> = variants.iter().map(|v| v.ident).collect();
    let names: Vec<&String> = variants.iter().map(|v| &v.name).collect();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::value::ToAttributeValue for #ident #ty_generics #where_clause {
            const ATTRIBUTE_TYPE: &'static #krate::value::AttributeType = &#krate::value::AttributeType::S;

            fn to_attribute_value(&self) -> #private::Result<::core::option::Option<#private::Value>, #krate::ConvertError> {
                let name = match self { #(Self::#idents => #names,)* };
                #private::Result::Ok(::core::option::Option::Some(#private::Value::S(::std::string::String::from(name))))
            }
        }

        #[automatically_derived]
        impl #impl_generics #krate::value::FromAttributeValue for #ident #ty_generics #where_clause {
            fn from_attribute_value(value: #private::Value) -> #private::Result<Self, #krate::ConvertError> {
                Self::from_attribute_ref(::core::convert::From::from(&value))
            }

            fn from_attribute_ref(value: #krate::value::AttributeRef<'_>) -> #private::Result<Self, #krate::ConvertError> {
                match #private::variant_name_ref::<Self>(value)? {
                    #(#names => #private::Result::Ok(Self::#idents),)*
                    name => #private::Result::Err(#private::unknown_variant(name, &[#(#names),*])),
                }
            }
        }

        #[automatically_derived]
        impl #impl_generics #krate::value::KeyAttribute for #ident #ty_generics #where_clause {
            const SCALAR_TYPE: #krate::value::ScalarType = #krate::value::ScalarType::S;
        }

        #[automatically_derived]
        impl #impl_generics #krate::value::SetElement for #ident #ty_generics #where_clause {
            const SET_TYPE: #krate::value::SetType = #krate::value::SetType::String;

            fn to_member(&self) -> #private::Result<#krate::value::SetMember, #krate::ConvertError> {
                let name = match self { #(Self::#idents => #names,)* };
                #private::Result::Ok(#krate::value::SetMember::Text(::std::string::String::from(name)))
            }

            fn from_member(member: #krate::value::SetMember) -> #private::Result<Self, #krate::ConvertError> {
                match member {
                    #krate::value::SetMember::Text(name) => {
                        <Self as #krate::value::FromAttributeValue>::from_attribute_value(#private::Value::S(name))
                    }
                    other => #private::Result::Err(#private::set_member_mismatch::<Self>(&other)),
                }
            }
        }
    }
}

/// The struct's generics with the bounds its fields need, for each field whose type involves
/// a type parameter (as serde does).
pub(crate) fn with_bounds(container: &Container, fields: &[Field], krate: &Path, derive: Derive) -> syn::Generics {
    let mut generics = container.generics.clone();
    let params: Vec<String> = generics.type_params().map(|p| p.ident.to_string()).collect();
    if params.is_empty() {
        return generics;
    }
    let value = quote!(#krate::value);
    let where_clause = generics.make_where_clause();
    for field in fields {
        let ty = field.ty;
        if !mentions_any(ty.to_token_stream(), &params) {
            continue;
        }
        let bound = match strategy(field, krate) {
            Strategy::Skip => quote!(::core::default::Default),
            Strategy::Flatten => quote!(#krate::Attributes),
            Strategy::Converter(_) if field.attrs.serde.is_some() => {
                quote!(#krate::__private::serde::Serialize + #krate::__private::serde::de::DeserializeOwned)
            }
            Strategy::Converter(_) if field.attrs.ttl.is_some() && field.attrs.with.is_none() => {
                quote!(#value::epoch_seconds::EpochSeconds)
            }
            Strategy::Converter(_) => continue,
            Strategy::Default => {
                quote!(#value::ToAttributeValue + #value::FromAttributeValue + ::core::default::Default)
            }
            Strategy::Plain => {
                // Keys are read through their key conversion in both impls; only `Item::key`
                // clones them.
                if derive == Derive::Item && field.is_table_key() {
                    quote!(#value::KeyAttribute + ::core::clone::Clone)
                } else if field.is_table_key() {
                    quote!(#value::KeyAttribute)
                } else if field.is_any_key() {
                    quote!(#value::ToAttributeValue + #value::FromAttributeValue + #value::IndexKeyAttribute)
                } else {
                    quote!(#value::ToAttributeValue + #value::FromAttributeValue)
                }
            }
        };
        where_clause.predicates.push(syn::parse_quote!(#ty: #bound));
        if field.attrs.auto_timestamp.is_some() {
            // The schema records the format of the field's time type.
            where_clause.predicates.push(syn::parse_quote!(#ty: #value::Timestamp));
        }
    }
    generics
}

fn mentions_any(tokens: TokenStream, params: &[String]) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => params.iter().any(|p| ident == p),
        TokenTree::Group(group) => mentions_any(group.stream(), params),
        _ => false,
    })
}
