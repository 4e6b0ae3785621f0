//! What the types of a read say about the index it reads: which kind of index (so that a
//! global index offers no consistent read), the values its partition key takes, and the sort
//! key attributes a query may still constrain (so that conditions on a multi-attribute sort
//! key go left to right, as DynamoDB requires).

use std::marker::PhantomData;

use aws_sdk_dynamodb::types::AttributeValue;

use super::query::key_value;
use crate::error::ConvertError;
use crate::expr::FieldValue;
use crate::value::KeyAttribute;

/// A read of the table, or of an index named at run time (`index("name")?`): what it allows
/// is checked when the request is built.
#[derive(Debug)]
pub enum Unchecked {}

/// A read of a global secondary index, through its typed handle.
#[derive(Debug)]
pub enum Global {}

/// A read of a local secondary index, through its typed handle.
#[derive(Debug)]
pub enum Local {}

/// What may be read with [`consistent_read`](super::Read::consistent_read): a table and a
/// local index, not a global index.
#[diagnostic::on_unimplemented(
    message = "a global secondary index cannot be read with `consistent_read`",
    label = "this reads a global secondary index",
    note = "a global index is updated after the table, so its reads are eventually consistent; read the table, or a local index, for a consistent read"
)]
pub trait ConsistentRead {}

impl ConsistentRead for Unchecked {}
impl ConsistentRead for Local {}

/// A typed index handle's kind of index: [`Global`] or [`Local`].
pub trait TypedIndexKind: Send + Sync + 'static {}

impl TypedIndexKind for Global {}
impl TypedIndexKind for Local {}

/// The partition key of an index with several partition key attributes: `Keys<(A, B)>` takes
/// a tuple of values for `A` and `B`, in key order.
#[derive(Debug)]
pub struct Keys<T>(PhantomData<fn() -> T>);

/// The values of a query's partition key `P`: a value of the key's type (or a borrowed form,
/// `&str` for a `String`), or for a multi-attribute key ([`Keys`]) a tuple of them, in key
/// order.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value of the partition key `{P}`",
    label = "expected the index's partition key",
    note = "a query takes a value of each partition key attribute, in key order: a tuple for a multi-attribute key"
)]
pub trait PartitionValue<P> {
    /// The values as stored, one per partition key attribute.
    fn into_values(self) -> Result<Vec<AttributeValue>, ConvertError>;
}

impl<S: KeyAttribute, V: FieldValue<S>> PartitionValue<S> for V {
    fn into_values(self) -> Result<Vec<AttributeValue>, ConvertError> {
        Ok(vec![key_value(self.into_value())?])
    }
}

macro_rules! partition_tuples {
    ($(($($key:ident $value:ident),+)),*) => {$(
        impl<$($key: KeyAttribute, $value: FieldValue<$key>),+> PartitionValue<Keys<($($key,)+)>> for ($($value,)+) {
            #[allow(non_snake_case)]
            fn into_values(self) -> Result<Vec<AttributeValue>, ConvertError> {
                let ($($value,)+) = self;
                Ok(vec![$(key_value(FieldValue::<$key>::into_value($value))?),+])
            }
        }
    )*};
}

partition_tuples!((A VA, B VB), (A VA, B VB, C VC), (A VA, B VB, C VC, D VD));

/// The sort key attributes `L` (a tuple, in key order) a query of a typed index may still
/// constrain: each condition takes the first of them, an equality leaves the others, any
/// other condition ends the key condition.
#[derive(Debug)]
pub struct Sorts<L>(PhantomData<fn() -> L>);

/// Sort key attributes left to constrain: the first, and those after it.
#[diagnostic::on_unimplemented(
    message = "no sort key attribute is left to compare",
    label = "the index has no sort key, or the key condition already covers it",
    note = "a key condition compares the sort key attributes in key order: equality on the leading ones, then at most one other condition, on the next"
)]
pub trait SortPrefix {
    /// The sort key attribute the next condition applies to.
    type Head: KeyAttribute;
    /// The attributes after it.
    type Tail;
}

impl<A: KeyAttribute> SortPrefix for (A,) {
    type Head = A;
    type Tail = ();
}

impl<A: KeyAttribute, B> SortPrefix for (A, B) {
    type Head = A;
    type Tail = (B,);
}

impl<A: KeyAttribute, B, C> SortPrefix for (A, B, C) {
    type Head = A;
    type Tail = (B, C);
}

impl<A: KeyAttribute, B, C, D> SortPrefix for (A, B, C, D) {
    type Head = A;
    type Tail = (B, C, D);
}
