//! Conditions built from typed field paths: [`TypedCondition<T>`], accepted by the operations
//! on `T`'s table and by `T`'s transaction actions, and refused by the compiler elsewhere.

use std::fmt;
use std::marker::PhantomData;

use super::condition::{CompareOp, Condition, Operand};
use super::expression::Expression;
use super::field::{BeginsWith, Codec, Contains, Field, FieldRef, FieldValue, HasSize, Own, SortsAsStored};
use super::path::Path;
use crate::value::{AttributeType, ToAttributeValue};

/// A condition on items of type `T`, built from `T::fields()`: a write's condition, a read's
/// filter, a transaction's condition check. Combine with [`and`](Self::and),
/// [`or`](Self::or) and [`not`](Self::not) (also `!`).
///
/// ```
/// use dynamodb_mapper::Item;
///
/// #[derive(Item, Clone)]
/// #[item(table = "orders")]
/// struct Order {
///     #[partition_key]
///     id: String,
///     status: String,
///     total: u64,
///     note: Option<String>,
/// }
///
/// let f = Order::fields();
/// let open_and_large = f.status.eq("open").and(f.total.between(100, 1_000)).and(!f.note.exists());
/// # let _ = open_and_large;
/// ```
///
/// A condition on another type's fields does not compile where `Order`s are written:
///
/// ```compile_fail
/// # use dynamodb_mapper::{Item, Table};
/// # #[derive(Item, Clone)] #[item(table = "orders")]
/// # struct Order { #[partition_key] id: String, total: u64 }
/// # #[derive(Item, Clone)] #[item(table = "customers")]
/// # struct Customer { #[partition_key] id: String, email: String }
/// # fn run(orders: Table<Order>, order: Order) {
/// let put = orders.put(&order).condition(Customer::fields().email.eq("a@b.c"));
/// # }
/// ```
///
/// The untyped [`Condition`] stays the escape hatch, accepted wherever a typed one is.
#[must_use = "a condition does nothing until it is given to a request"]
pub struct TypedCondition<T> {
    condition: Condition,
    _item: PhantomData<fn() -> T>,
}

impl<T> Clone for TypedCondition<T> {
    fn clone(&self) -> Self {
        TypedCondition::new(self.condition.clone())
    }
}

impl<T> fmt::Debug for TypedCondition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedCondition").field(&self.condition).finish()
    }
}

impl<T> TypedCondition<T> {
    fn new(condition: Condition) -> Self {
        TypedCondition {
            condition,
            _item: PhantomData,
        }
    }

    /// Both conditions.
    pub fn and(self, other: impl IntoCondition<T>) -> Self {
        TypedCondition::new(self.condition.and(other.into_condition()))
    }

    /// Either condition.
    pub fn or(self, other: impl IntoCondition<T>) -> Self {
        TypedCondition::new(self.condition.or(other.into_condition()))
    }

    /// The opposite condition.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        TypedCondition::new(self.condition.not())
    }

    /// The condition without its item type, to combine with conditions on other types'
    /// attributes (by name) or to inspect.
    pub fn untyped(self) -> Condition {
        self.condition
    }
}

impl<T> std::ops::Not for TypedCondition<T> {
    type Output = Self;
    fn not(self) -> Self {
        TypedCondition::not(self)
    }
}

/// A condition accepted on items of type `T`: a [`TypedCondition<T>`], or an untyped
/// [`Condition`] or [`Expression`] (the escape hatch, accepted on any type).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a condition on `{T}` items",
    label = "a condition on another item type",
    note = "a condition built from `X::fields()` applies to `X`'s table and transaction actions; an untyped `Condition` applies anywhere"
)]
pub trait IntoCondition<T> {
    /// The condition, untyped.
    fn into_condition(self) -> Condition;
}

impl<T> IntoCondition<T> for TypedCondition<T> {
    fn into_condition(self) -> Condition {
        self.condition
    }
}

impl<T> IntoCondition<T> for Condition {
    fn into_condition(self) -> Condition {
        self
    }
}

impl<T> IntoCondition<T> for Expression {
    fn into_condition(self) -> Condition {
        self.into()
    }
}

impl<R, V, P, C: Copy> Field<R, V, P, C> {
    fn operand(&self) -> Operand {
        Operand::Path(self.path().clone())
    }

    /// A value of the field as an operand; a value that cannot be stored names the field.
    fn value(&self, value: impl FieldValue<V>) -> Operand
    where
        C: Codec<V>,
    {
        let path = self.path();
        Operand::encoded(self.encode(value)).in_attribute(path)
    }

    fn compare(&self, op: CompareOp, value: impl FieldValue<V>) -> TypedCondition<R>
    where
        C: Codec<V>,
    {
        TypedCondition::new(Condition::compare(self.operand(), op, self.value(value)))
    }

    fn compare_field<P2>(&self, op: CompareOp, other: impl FieldRef<R, V, P2, C>) -> TypedCondition<R> {
        TypedCondition::new(Condition::compare(self.operand(), op, other.field().operand()))
    }

    /// Equal to `value`.
    pub fn eq(&self, value: impl FieldValue<V>) -> TypedCondition<R>
    where
        C: Codec<V>,
    {
        self.compare(CompareOp::Eq, value)
    }

    /// Not equal to `value` (also true when the attribute is absent).
    pub fn ne(&self, value: impl FieldValue<V>) -> TypedCondition<R>
    where
        C: Codec<V>,
    {
        self.compare(CompareOp::Ne, value)
    }

    /// Less than `value`.
    pub fn lt(&self, value: impl FieldValue<V>) -> TypedCondition<R>
    where
        C: SortsAsStored<V>,
    {
        self.compare(CompareOp::Lt, value)
    }

    /// Less than or equal to `value`.
    pub fn le(&self, value: impl FieldValue<V>) -> TypedCondition<R>
    where
        C: SortsAsStored<V>,
    {
        self.compare(CompareOp::Le, value)
    }

    /// Greater than `value`.
    pub fn gt(&self, value: impl FieldValue<V>) -> TypedCondition<R>
    where
        C: SortsAsStored<V>,
    {
        self.compare(CompareOp::Gt, value)
    }

    /// Greater than or equal to `value`.
    pub fn ge(&self, value: impl FieldValue<V>) -> TypedCondition<R>
    where
        C: SortsAsStored<V>,
    {
        self.compare(CompareOp::Ge, value)
    }

    /// Between `low` and `high`, both included (DynamoDB refuses `low` > `high`).
    pub fn between(&self, low: impl FieldValue<V>, high: impl FieldValue<V>) -> TypedCondition<R>
    where
        C: SortsAsStored<V>,
    {
        TypedCondition::new(Condition::between(self.operand(), self.value(low), self.value(high)))
    }

    /// Equal to one of `values` (1 to 100 of them, checked when the request is built).
    pub fn is_in<I>(&self, values: I) -> TypedCondition<R>
    where
        C: Codec<V>,
        I: IntoIterator,
        I::Item: FieldValue<V>,
    {
        let candidates = values.into_iter().map(|v| self.value(v)).collect();
        TypedCondition::new(Condition::is_in(self.operand(), candidates))
    }

    /// The attribute is stored (`attribute_exists`).
    pub fn exists(&self) -> TypedCondition<R> {
        TypedCondition::new(Condition::function("attribute_exists", self.path().clone(), None))
    }

    /// The attribute is not stored (`attribute_not_exists`).
    pub fn not_exists(&self) -> TypedCondition<R> {
        TypedCondition::new(Condition::function("attribute_not_exists", self.path().clone(), None))
    }

    /// Equal to the attribute `other` of the same item, of the same type.
    pub fn eq_field<P2>(&self, other: impl FieldRef<R, V, P2, C>) -> TypedCondition<R> {
        self.compare_field(CompareOp::Eq, other)
    }

    /// Not equal to the attribute `other`.
    pub fn ne_field<P2>(&self, other: impl FieldRef<R, V, P2, C>) -> TypedCondition<R> {
        self.compare_field(CompareOp::Ne, other)
    }

    /// Less than the attribute `other`.
    pub fn lt_field<P2>(&self, other: impl FieldRef<R, V, P2, C>) -> TypedCondition<R>
    where
        C: SortsAsStored<V>,
    {
        self.compare_field(CompareOp::Lt, other)
    }

    /// Less than or equal to the attribute `other`.
    pub fn le_field<P2>(&self, other: impl FieldRef<R, V, P2, C>) -> TypedCondition<R>
    where
        C: SortsAsStored<V>,
    {
        self.compare_field(CompareOp::Le, other)
    }

    /// Greater than the attribute `other`.
    pub fn gt_field<P2>(&self, other: impl FieldRef<R, V, P2, C>) -> TypedCondition<R>
    where
        C: SortsAsStored<V>,
    {
        self.compare_field(CompareOp::Gt, other)
    }

    /// Greater than or equal to the attribute `other`.
    pub fn ge_field<P2>(&self, other: impl FieldRef<R, V, P2, C>) -> TypedCondition<R>
    where
        C: SortsAsStored<V>,
    {
        self.compare_field(CompareOp::Ge, other)
    }
}

impl<R, V, P> Field<R, V, P, Own> {
    /// The string or binary starts with `prefix`.
    pub fn begins_with(&self, prefix: impl FieldValue<V>) -> TypedCondition<R>
    where
        V: BeginsWith,
    {
        let prefix = Operand::encoded(prefix.into_value().to_attribute_value()).in_attribute(self.path());
        TypedCondition::new(Condition::function("begins_with", self.path().clone(), Some(prefix)))
    }

    /// The string contains the substring `element`, or the list or set contains the element.
    pub fn contains(&self, element: impl FieldValue<V::Element>) -> TypedCondition<R>
    where
        V: Contains,
    {
        const {
            assert!(
                !matches!(*<V as ToAttributeValue>::ATTRIBUTE_TYPE, AttributeType::B),
                "`Vec<u8>` is stored as binary (`B`): `contains` does not search binary"
            )
        };
        let element = Operand::encoded(element.into_value().to_attribute_value()).in_attribute(self.path());
        TypedCondition::new(Condition::function("contains", self.path().clone(), Some(element)))
    }

    /// The size of the attribute (a string's or binary's length, a list's, map's or set's
    /// number of elements), to compare.
    pub fn size(&self) -> Size<R>
    where
        V: HasSize,
    {
        Size {
            path: self.path().clone(),
            _item: PhantomData,
        }
    }
}

/// `size(path)` of an attribute of `R`, to compare with a number: made by [`Field::size`].
pub struct Size<R> {
    path: Path,
    _item: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for Size<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Size({})", self.path)
    }
}

impl<R> Size<R> {
    fn compare(&self, op: CompareOp, value: u64) -> TypedCondition<R> {
        TypedCondition::new(Condition::compare(
            Operand::Size(self.path.clone()),
            op,
            Operand::value(value),
        ))
    }

    /// The size equals `value`.
    pub fn eq(&self, value: u64) -> TypedCondition<R> {
        self.compare(CompareOp::Eq, value)
    }

    /// The size differs from `value`.
    pub fn ne(&self, value: u64) -> TypedCondition<R> {
        self.compare(CompareOp::Ne, value)
    }

    /// The size is less than `value`.
    pub fn lt(&self, value: u64) -> TypedCondition<R> {
        self.compare(CompareOp::Lt, value)
    }

    /// The size is at most `value`.
    pub fn le(&self, value: u64) -> TypedCondition<R> {
        self.compare(CompareOp::Le, value)
    }

    /// The size is more than `value`.
    pub fn gt(&self, value: u64) -> TypedCondition<R> {
        self.compare(CompareOp::Gt, value)
    }

    /// The size is at least `value`.
    pub fn ge(&self, value: u64) -> TypedCondition<R> {
        self.compare(CompareOp::Ge, value)
    }

    /// The size is between `low` and `high`, both included.
    pub fn between(&self, low: u64, high: u64) -> TypedCondition<R> {
        TypedCondition::new(Condition::between(
            Operand::Size(self.path.clone()),
            Operand::value(low),
            Operand::value(high),
        ))
    }
}
