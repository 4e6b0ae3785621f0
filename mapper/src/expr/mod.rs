//! Expressions: conditions, filters, updates, key conditions and projections.
//!
//! Conditions, filters and patch actions are built from the typed paths the derives generate
//! ([`Field`], from `Type::fields()`): the stored name comes from the schema, values are
//! encoded by the field's own conversion, and what each path allows follows from its type
//! (see [`Field`]). A condition built from one item type's paths ([`TypedCondition<T>`]) is
//! accepted only where items of that type are written or read.
//!
//! ```
//! use dynamodb_mapper::{Attributes, Item};
//!
//! #[derive(Attributes, Clone)]
//! struct Address { city: String }
//!
//! #[derive(Item, Clone)]
//! #[item(table = "users", rename_all = "camelCase")]
//! struct User {
//!     #[partition_key]
//!     user_id: String,
//!     status: String,
//!     last_login: Option<u64>,
//!     address: Address,
//! }
//!
//! let f = User::fields();
//! let condition = f
//!     .status
//!     .eq("active")
//!     .and(f.address.nested(|a| a.city).eq("Porto").or(f.last_login.not_exists()));
//! # let _ = condition;
//! ```
//!
//! The untyped builders are the escape hatch, for attributes the schema does not declare:
//! [`Condition`] (accepted wherever a typed condition is), [`UpdateExpression`] (a patch's
//! `actions`) and a hand-written [`Expression`].
//!
//! Expressions are built as trees of attribute [`Path`]s and values and rendered into
//! DynamoDB's text syntax only when a request is built, through one [`Placeholders`]
//! allocator per request. So every attribute name goes through a `#name` placeholder
//! (reserved words such as `name`, `status` or `size`, and names with dots, dashes, `#` or `:`
//! just work), and the user's condition, the extensions' conditions and the generated update
//! can never collide on a placeholder. An [`Expression`] written by hand is merged with its
//! placeholders renamed for the same reason.
//!
//! ```
//! use dynamodb_mapper::expr::{Condition, Path};
//!
//! let active = Condition::attr("status").eq("active");
//! let in_porto = Condition::path(Path::attr("address").field("city")).eq("Porto");
//! let unseen = Condition::attr("last.login").not_exists();
//! let condition = active.and(in_porto.or(unseen));
//! # let _ = condition;
//! ```

mod condition;
mod expression;
mod field;
mod path;
mod placeholders;
mod typed;
mod update;

pub use condition::{CompareOp, Condition, ConditionPath, Operand, SizeOperand};
pub use expression::Expression;
pub(crate) use field::assert_list;
pub use field::{
    Addable, Arithmetic, BeginsWith, Codec, Contains, Converter, Field, FieldRef, FieldValue, Flattened, HasFields,
    HasSize, ListOf, Number, Own, SetOf, Sorted, SortedValue, SortsAsStored, Unsorted, role,
};
pub use path::Path;
#[cfg(test)]
pub(crate) use placeholders::placeholder_tokens;
pub use placeholders::{Placeholders, RenderedExpressions};
pub use typed::{IntoCondition, Size, TypedCondition};
pub use update::{SetValue, UpdateAction, UpdateExpression, UpdateValue};
