//! A realistic item type shared by the conversion tests and benchmarks.
//!
//! [`Order`] covers every common kind of attribute: strings, integers of several widths, a
//! float, a boolean, options, a unit enum, a nested struct, a list of nested structs, a map, a
//! string set, a timestamp, a UUID and bytes. It derives [`Item`] for the mapper and serde's
//! `Serialize`/`Deserialize` for the `serde_dynamo` baseline, and [`to_item_by_hand`] /
//! [`from_item_by_hand`] convert it the way one writes it directly against
//! [`AttributeValue`], producing exactly the map the derive produces.
//!
//! `serde_dynamo` stores some fields differently from the mapper (the string set and the bytes
//! become lists, `None` becomes `NULL`): that is the baseline users have today, so it is
//! measured as it is rather than bent towards the mapper's layout.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use dynamodb_mapper::{Attributes, Item};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where an order is shipped to; stored as a nested map (`M`).
#[derive(Attributes, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// City name.
    pub city: String,
    /// Postal code, kept as text (leading zeros, letters).
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

/// One line of an order; stored as a map (`M`) inside the `lines` list.
#[derive(Attributes, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[item(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    /// The product's stock keeping unit.
    pub sku: String,
    /// The product's display name.
    pub name: String,
    /// How many units were ordered.
    pub quantity: u32,
    /// The price of one unit, in cents.
    pub unit_price_cents: u64,
}

/// Where an order is in its lifecycle; stored as its name (`S`).
#[derive(Attributes, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[item(rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Placed, not paid yet.
    Pending,
    /// Paid, waiting to be shipped.
    Paid,
    /// Handed to the carrier.
    Shipped,
    /// Received by the customer.
    Delivered,
}

impl OrderStatus {
    /// The stored name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Paid => "PAID",
            OrderStatus::Shipped => "SHIPPED",
            OrderStatus::Delivered => "DELIVERED",
        }
    }

    /// The status stored under `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "PENDING" => Some(OrderStatus::Pending),
            "PAID" => Some(OrderStatus::Paid),
            "SHIPPED" => Some(OrderStatus::Shipped),
            "DELIVERED" => Some(OrderStatus::Delivered),
            _ => None,
        }
    }
}

/// A customer's order: the item type of the `orders` table, keyed by customer and order id.
#[derive(Item, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[item(table = "orders", rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The customer who placed the order (partition key).
    #[partition_key]
    pub customer_id: String,
    /// The order's id (sort key).
    #[sort_key]
    pub order_id: Uuid,
    /// Where the order is in its lifecycle.
    pub status: OrderStatus,
    /// When the order was placed.
    pub created_at: DateTime<Utc>,
    /// When the order was delivered, once it is.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The customer's e-mail address at the time of the order.
    pub email: String,
    /// The order's total, in cents.
    pub total_cents: u64,
    /// Loyalty points earned (or spent, when negative).
    pub loyalty_points: i32,
    /// How many units the order holds, over all lines.
    pub item_count: u16,
    /// Shipping priority, 0 (lowest) to 9.
    pub priority: u8,
    /// The tax rate applied, as a fraction.
    pub tax_rate: f64,
    /// Whether the order is gift-wrapped.
    pub gift_wrap: bool,
    /// The coupon applied, if any.
    pub coupon_code: Option<String>,
    /// Where the order is shipped to.
    pub shipping_address: Address,
    /// The products ordered.
    pub lines: Vec<LineItem>,
    /// Free-form metadata (sales channel, campaign, ...).
    pub metadata: HashMap<String, String>,
    /// Labels for search and reporting.
    pub tags: HashSet<String>,
    /// The payment provider's signature of the order.
    pub signature: Vec<u8>,
}

/// An [`Order`] kept with optimistic locking: the same attributes, and a `#[version]`.
#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "versioned_orders", rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct VersionedOrder {
    #[partition_key]
    pub customer_id: String,
    #[sort_key]
    pub order_id: Uuid,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub email: String,
    pub total_cents: u64,
    pub loyalty_points: i32,
    pub item_count: u16,
    pub priority: u8,
    pub tax_rate: f64,
    pub gift_wrap: bool,
    pub coupon_code: Option<String>,
    pub shipping_address: Address,
    pub lines: Vec<LineItem>,
    pub metadata: HashMap<String, String>,
    pub tags: HashSet<String>,
    pub signature: Vec<u8>,
    /// The version read (`None` for an order never written).
    #[version]
    pub version: Option<u64>,
}

/// Moves an [`Order`]'s fields (or those of any struct with the same fields) into
/// `$ty { ..., $extra }`.
#[macro_export]
macro_rules! order_with {
    ($order:expr, $ty:ident { $($extra:tt)* }) => {{
        let o = $order;
        $ty {
            customer_id: o.customer_id,
            order_id: o.order_id,
            status: o.status,
            created_at: o.created_at,
            delivered_at: o.delivered_at,
            email: o.email,
            total_cents: o.total_cents,
            loyalty_points: o.loyalty_points,
            item_count: o.item_count,
            priority: o.priority,
            tax_rate: o.tax_rate,
            gift_wrap: o.gift_wrap,
            coupon_code: o.coupon_code,
            shipping_address: o.shipping_address,
            lines: o.lines,
            metadata: o.metadata,
            tags: o.tags,
            signature: o.signature,
            $($extra)*
        }
    }};
}

impl VersionedOrder {
    /// [`Order::sample`], read at `version`.
    pub fn sample(version: Option<u64>) -> VersionedOrder {
        order_with!(Order::sample(), VersionedOrder { version })
    }
}

/// How many attributes [`to_item_by_hand`] writes at most.
const ORDER_ATTRIBUTES: usize = 18;

impl Order {
    /// A typical order: every field set except `delivered_at`, a few lines, metadata entries
    /// and tags.
    pub fn sample() -> Order {
        let line = |sku: &str, name: &str, quantity, unit_price_cents| LineItem {
            sku: sku.to_owned(),
            name: name.to_owned(),
            quantity,
            unit_price_cents,
        };
        Order {
            customer_id: "CUST#7f3a2c91-ana.silva".to_owned(),
            order_id: Uuid::from_u128(0x3f2b_9c1e_58d4_4a7b_9e61_0c5d_2a8f_b4e3),
            status: OrderStatus::Shipped,
            created_at: Utc
                .with_ymd_and_hms(2024, 5, 17, 14, 32, 9)
                .unwrap()
                .checked_add_signed(chrono::Duration::nanoseconds(123_456_789))
                .unwrap(),
            delivered_at: None,
            email: "ana.silva@example.com".to_owned(),
            total_cents: 18_947,
            loyalty_points: -250,
            item_count: 5,
            priority: 3,
            tax_rate: 0.23,
            gift_wrap: true,
            coupon_code: Some("SPRING-SALE-2024-FREESHIP".to_owned()),
            shipping_address: Address {
                street: "Rua de Santa Catarina 112, 3rd floor".to_owned(),
                city: "Porto".to_owned(),
                postal_code: "4000-442".to_owned(),
                country: "PT".to_owned(),
            },
            lines: vec![
                line("SKU-KB-00417", "Mechanical keyboard, brown switches", 1, 8_999),
                line("SKU-MS-01120", "Wireless mouse", 2, 2_499),
                line("SKU-CB-00090", "USB-C cable, braided, 2 m", 2, 1_475),
            ],
            metadata: HashMap::from([
                ("channel".to_owned(), "web".to_owned()),
                ("campaign".to_owned(), "newsletter-2024-05".to_owned()),
                ("referrer".to_owned(), "https://blog.example.com/desk-setups".to_owned()),
                ("warehouse".to_owned(), "OPO-2".to_owned()),
            ]),
            tags: HashSet::from([
                "electronics".to_owned(),
                "returning-customer".to_owned(),
                "priority-shipping".to_owned(),
            ]),
            signature: (0..64u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect(),
        }
    }
}

/// The attributes of an order's fields (`$order`: an [`Order`] or a [`VersionedOrder`]), as
/// [`to_item_by_hand`] writes them.
macro_rules! order_attributes_by_hand {
    ($order:expr) => {{
        let order = $order;
        let mut item = HashMap::with_capacity(ORDER_ATTRIBUTES);
        item.insert("customerId".to_owned(), AttributeValue::S(order.customer_id.clone()));
        item.insert("orderId".to_owned(), AttributeValue::S(uuid_text(&order.order_id)));
        item.insert("status".to_owned(), AttributeValue::S(order.status.as_str().to_owned()));
        item.insert(
            "createdAt".to_owned(),
            AttributeValue::S(timestamp_text(&order.created_at)),
        );
        if let Some(delivered_at) = &order.delivered_at {
            item.insert(
                "deliveredAt".to_owned(),
                AttributeValue::S(timestamp_text(delivered_at)),
            );
        }
        item.insert("email".to_owned(), AttributeValue::S(order.email.clone()));
        item.insert(
            "totalCents".to_owned(),
            AttributeValue::N(order.total_cents.to_string()),
        );
        item.insert(
            "loyaltyPoints".to_owned(),
            AttributeValue::N(order.loyalty_points.to_string()),
        );
        item.insert("itemCount".to_owned(), AttributeValue::N(order.item_count.to_string()));
        item.insert("priority".to_owned(), AttributeValue::N(order.priority.to_string()));
        item.insert("taxRate".to_owned(), AttributeValue::N(order.tax_rate.to_string()));
        item.insert("giftWrap".to_owned(), AttributeValue::Bool(order.gift_wrap));
        if let Some(coupon_code) = &order.coupon_code {
            item.insert("couponCode".to_owned(), AttributeValue::S(coupon_code.clone()));
        }
        item.insert(
            "shippingAddress".to_owned(),
            AttributeValue::M(address_to_map(&order.shipping_address)),
        );
        item.insert(
            "lines".to_owned(),
            AttributeValue::L(
                order
                    .lines
                    .iter()
                    .map(|line| AttributeValue::M(line_to_map(line)))
                    .collect(),
            ),
        );
        item.insert(
            "metadata".to_owned(),
            AttributeValue::M(
                order
                    .metadata
                    .iter()
                    .map(|(key, value)| (key.clone(), AttributeValue::S(value.clone())))
                    .collect(),
            ),
        );
        // DynamoDB has no empty sets: an empty one is not written.
        if !order.tags.is_empty() {
            item.insert(
                "tags".to_owned(),
                AttributeValue::Ss(order.tags.iter().cloned().collect()),
            );
        }
        item.insert(
            "signature".to_owned(),
            AttributeValue::B(Blob::new(order.signature.clone())),
        );
        item
    }};
}

/// Writes `order` as DynamoDB stores it, directly with [`AttributeValue`]: the same map as
/// `order.to_item()`.
///
/// Numbers are written with `to_string()`. For integers that is the mapper's text, and for a
/// float such as the sample's `0.23` too; on integral, very large or very small floats the two
/// differ (`1` against `1.0`, `0.0000001` against `1e-7`), both valid DynamoDB numbers.
pub fn to_item_by_hand(order: &Order) -> HashMap<String, AttributeValue> {
    order_attributes_by_hand!(order)
}

/// Writes a [`VersionedOrder`] as DynamoDB stores it, directly with [`AttributeValue`]: the
/// same map as its `to_item()` (the version as it was read).
pub fn versioned_to_item_by_hand(order: &VersionedOrder) -> HashMap<String, AttributeValue> {
    let mut item = order_attributes_by_hand!(order);
    if let Some(version) = order.version {
        item.insert("version".to_owned(), AttributeValue::N(version.to_string()));
    }
    item
}

/// Reads an order's fields from `$item` into `$ty { ... }`, with the type's other fields
/// given after them, as [`from_item_by_hand`] reads them.
macro_rules! order_from_item_by_hand {
    ($item:expr, $ty:ident { $($extra:tt)* }) => {{
        let item: &mut HashMap<String, AttributeValue> = $item;
        Ok($ty {
                customer_id: take_s(item, "customerId")?,
                order_id: parse_uuid(take_s(item, "orderId")?)?,
                status: parse_status(take_s(item, "status")?)?,
                created_at: parse_timestamp(take_s(item, "createdAt")?)?,
                delivered_at: match item.remove("deliveredAt") {
                    Some(AttributeValue::S(text)) => Some(parse_timestamp(text)?),
                    Some(AttributeValue::Null(_)) | None => None,
                    Some(other) => return Err(wrong_type("deliveredAt", "S", &other)),
                },
                email: take_s(item, "email")?,
                total_cents: take_n(item, "totalCents")?,
                loyalty_points: take_n(item, "loyaltyPoints")?,
                item_count: take_n(item, "itemCount")?,
                priority: take_n(item, "priority")?,
                tax_rate: take_n(item, "taxRate")?,
                gift_wrap: match item.remove("giftWrap") {
                    Some(AttributeValue::Bool(value)) => value,
                    Some(other) => return Err(wrong_type("giftWrap", "BOOL", &other)),
                    None => return Err(missing("giftWrap")),
                },
                coupon_code: match item.remove("couponCode") {
                    Some(AttributeValue::S(code)) => Some(code),
                    Some(AttributeValue::Null(_)) | None => None,
                    Some(other) => return Err(wrong_type("couponCode", "S", &other)),
                },
                shipping_address: match item.remove("shippingAddress") {
                    Some(AttributeValue::M(mut map)) => address_from_map(&mut map)?,
                    Some(other) => return Err(wrong_type("shippingAddress", "M", &other)),
                    None => return Err(missing("shippingAddress")),
                },
                lines: match item.remove("lines") {
                    Some(AttributeValue::L(list)) => {
                        let mut lines = Vec::with_capacity(list.len());
                        for value in list {
                            match value {
                                AttributeValue::M(mut map) => lines.push(line_from_map(&mut map)?),
                                other => return Err(wrong_type("lines[]", "M", &other)),
                            }
                        }
                        lines
                    }
                    Some(other) => return Err(wrong_type("lines", "L", &other)),
                    None => return Err(missing("lines")),
                },
                metadata: match item.remove("metadata") {
                    Some(AttributeValue::M(map)) => {
                        let mut metadata = HashMap::with_capacity(map.len());
                        for (key, value) in map {
                            match value {
                                AttributeValue::S(text) => metadata.insert(key, text),
                                other => return Err(wrong_type(&key, "S", &other)),
                            };
                        }
                        metadata
                    }
                    Some(other) => return Err(wrong_type("metadata", "M", &other)),
                    None => return Err(missing("metadata")),
                },
                // DynamoDB has no empty sets: an absent set is an empty one.
                tags: match item.remove("tags") {
                    Some(AttributeValue::Ss(tags)) => tags.into_iter().collect(),
                    Some(AttributeValue::Null(_)) | None => HashSet::new(),
                    Some(other) => return Err(wrong_type("tags", "SS", &other)),
                },
                signature: match item.remove("signature") {
                    Some(AttributeValue::B(blob)) => blob.into_inner(),
                    Some(other) => return Err(wrong_type("signature", "B", &other)),
                    None => return Err(missing("signature")),
                },
            $($extra)*
        })
    }};
}

/// Reads an [`Order`] from the map DynamoDB returned, moving the strings and buffers out of
/// it: the inverse of [`to_item_by_hand`], and of `Order::to_item`.
pub fn from_item_by_hand(mut item: HashMap<String, AttributeValue>) -> Result<Order, String> {
    order_from_item_by_hand!(&mut item, Order {})
}

/// Reads a [`VersionedOrder`] from the map DynamoDB returned, moving the strings and buffers
/// out of it: the inverse of [`versioned_to_item_by_hand`].
pub fn versioned_from_item_by_hand(mut item: HashMap<String, AttributeValue>) -> Result<VersionedOrder, String> {
    let version = match item.remove("version") {
        Some(AttributeValue::N(text)) => Some(text.parse().map_err(|e| format!("version: {e}"))?),
        Some(AttributeValue::Null(_)) | None => None,
        Some(other) => return Err(wrong_type("version", "N", &other)),
    };
    order_from_item_by_hand!(&mut item, VersionedOrder { version })
}

fn address_to_map(address: &Address) -> HashMap<String, AttributeValue> {
    let mut map = HashMap::with_capacity(4);
    map.insert("street".to_owned(), AttributeValue::S(address.street.clone()));
    map.insert("city".to_owned(), AttributeValue::S(address.city.clone()));
    map.insert("postalCode".to_owned(), AttributeValue::S(address.postal_code.clone()));
    map.insert("country".to_owned(), AttributeValue::S(address.country.clone()));
    map
}

fn address_from_map(map: &mut HashMap<String, AttributeValue>) -> Result<Address, String> {
    Ok(Address {
        street: take_s(map, "street")?,
        city: take_s(map, "city")?,
        postal_code: take_s(map, "postalCode")?,
        country: take_s(map, "country")?,
    })
}

fn line_to_map(line: &LineItem) -> HashMap<String, AttributeValue> {
    let mut map = HashMap::with_capacity(4);
    map.insert("sku".to_owned(), AttributeValue::S(line.sku.clone()));
    map.insert("name".to_owned(), AttributeValue::S(line.name.clone()));
    map.insert("quantity".to_owned(), AttributeValue::N(line.quantity.to_string()));
    map.insert(
        "unitPriceCents".to_owned(),
        AttributeValue::N(line.unit_price_cents.to_string()),
    );
    map
}

fn line_from_map(map: &mut HashMap<String, AttributeValue>) -> Result<LineItem, String> {
    Ok(LineItem {
        sku: take_s(map, "sku")?,
        name: take_s(map, "name")?,
        quantity: take_n(map, "quantity")?,
        unit_price_cents: take_n(map, "unitPriceCents")?,
    })
}

fn uuid_text(uuid: &Uuid) -> String {
    uuid.hyphenated().encode_lower(&mut Uuid::encode_buffer()).to_owned()
}

fn timestamp_text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_status(name: String) -> Result<OrderStatus, String> {
    OrderStatus::from_name(&name).ok_or_else(|| format!("status: unknown status {name:?}"))
}

fn parse_uuid(text: String) -> Result<Uuid, String> {
    Uuid::parse_str(&text).map_err(|e| format!("invalid UUID {text:?}: {e}"))
}

fn parse_timestamp(text: String) -> Result<DateTime<Utc>, String> {
    match DateTime::parse_from_rfc3339(&text) {
        Ok(time) => Ok(time.with_timezone(&Utc)),
        Err(e) => Err(format!("invalid timestamp {text:?}: {e}")),
    }
}

/// Removes a required string attribute (`S`), moving the string out.
fn take_s(map: &mut HashMap<String, AttributeValue>, name: &str) -> Result<String, String> {
    match map.remove(name) {
        Some(AttributeValue::S(text)) => Ok(text),
        Some(other) => Err(wrong_type(name, "S", &other)),
        None => Err(missing(name)),
    }
}

/// Removes a required number attribute (`N`) and parses it.
fn take_n<T>(map: &mut HashMap<String, AttributeValue>, name: &str) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match map.remove(name) {
        Some(AttributeValue::N(text)) => text
            .parse()
            .map_err(|e| format!("{name}: invalid number {text:?}: {e}")),
        Some(other) => Err(wrong_type(name, "N", &other)),
        None => Err(missing(name)),
    }
}

#[cold]
fn missing(name: &str) -> String {
    format!("{name}: missing attribute")
}

#[cold]
fn wrong_type(name: &str, expected: &str, found: &AttributeValue) -> String {
    format!("{name}: expected {expected}, found {found:?}")
}
