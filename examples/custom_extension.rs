//! A user-defined extension: writes a checksum of the attributes tagged `#[tag("checksum")]`
//! on every write, and rejects an item whose checksum does not match on read. The item is then
//! edited behind the mapper's back to show the rejection. Projected reads, which see only some
//! attributes, are let through unchecked; a patch that would change a checksummed attribute
//! without the rest of the item is refused.
//!
//! ```sh
//! scripts/with-local-dynamodb cargo run --example custom_extension
//! ```

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use dynamodb_mapper::extension::{AfterRead, BeforeWrite, Extension, ItemImage, Operation, VersionedRecords};
use dynamodb_mapper::schema::{TableSchema, Tag};
use dynamodb_mapper::{Attributes, Error, Item, ItemMap, Mapper};

/// Keeps a checksum of the tagged attributes in the attribute `checksum`.
pub struct VerifyChecksum;

impl VerifyChecksum {
    const ATTRIBUTE: &'static str = "checksum";

    /// FNV-1a over `name=value;` of each tagged attribute, in the schema's order: stable
    /// across processes and releases, as a stored checksum must be.
    fn checksum(schema: &TableSchema, item: &ItemMap) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for attribute in schema.item.tagged(|t| *t == Tag::User("checksum")) {
            let value = match item.get(attribute.name) {
                Some(AttributeValue::S(s) | AttributeValue::N(s)) => s.clone(),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            };
            for byte in format!("{}={value};", attribute.name).bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }
}

impl Extension for VerifyChecksum {
    fn name(&self) -> &str {
        "VerifyChecksum"
    }

    fn before_write(&self, cx: &mut BeforeWrite<'_>) -> Result<(), Error> {
        match cx.operation() {
            Operation::Put | Operation::Update => {
                let sum = Self::checksum(cx.schema(), cx.item());
                cx.item_mut().insert(Self::ATTRIBUTE.into(), AttributeValue::S(sum));
            }
            // A patch sees only its own actions: it cannot recompute the checksum.
            Operation::Patch => {
                let schema = cx.schema();
                let touched = cx.update().and_then(|update| {
                    schema
                        .item
                        .tagged(|t| *t == Tag::User("checksum"))
                        .find(|a| update.touches(a.name))
                });
                if let Some(attribute) = touched {
                    return Err(Error::extension(
                        self.name(),
                        format!(
                            "a patch of `{}` cannot keep the checksum: update the whole item",
                            attribute.name
                        ),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn after_read(&self, cx: &mut AfterRead<'_>) -> Result<(), Error> {
        // A projection holds only some attributes: nothing to verify.
        if cx.image() == ItemImage::Partial {
            return Ok(());
        }
        let expected = Self::checksum(cx.schema(), cx.item());
        match cx.item_mut().remove(Self::ATTRIBUTE) {
            Some(AttributeValue::S(found)) if found == expected => Ok(()),
            Some(_) => Err(Error::extension(
                self.name(),
                "checksum mismatch: the item was changed outside the mapper",
            )),
            None => Err(Error::extension(self.name(), "the item has no checksum")),
        }
    }
}

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "example-invoices")]
pub struct Invoice {
    #[partition_key]
    pub number: String,
    #[tag("checksum")]
    pub customer: String,
    #[tag("checksum")]
    pub amount_cents: i64,
    pub note: Option<String>,
    #[version]
    pub version: Option<u64>,
}

/// The customer and amount only: a projection.
#[derive(Attributes, Debug, Clone, PartialEq)]
pub struct InvoiceSummary {
    pub customer: String,
    pub amount_cents: i64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    // Custom extensions replace the defaults: keep optimistic locking explicitly.
    let extensions: Vec<Arc<dyn Extension>> = vec![Arc::new(VersionedRecords), Arc::new(VerifyChecksum)];
    let mapper = Mapper::builder(client.clone()).extensions(extensions).build();
    let invoices = mapper.table::<Invoice>()?;
    if !invoices.exists().await? {
        invoices.create_table().await?;
    }

    let invoice = Invoice {
        number: "INV-1".into(),
        customer: "ana".into(),
        amount_cents: 12_000,
        note: None,
        version: None,
    };
    invoices.put(&invoice).await?;
    let stored = client
        .get_item()
        .table_name(invoices.name())
        .key("number", AttributeValue::S("INV-1".into()))
        .send()
        .await?
        .item
        .ok_or("just written")?;
    println!("stored checksum: {:?}", stored["checksum"]);

    let mut read = invoices.get("INV-1").await?.ok_or("just written")?;
    println!("read back and verified: {read:?}");
    read.amount_cents = 15_000;
    read.note = Some("paid by card".into());
    let read = invoices.update(&read).await?;
    println!(
        "updated through the mapper (checksum rewritten and verified): amount_cents = {}, note = {:?}",
        read.amount_cents, read.note
    );
    assert_eq!(invoices.get("INV-1").await?.ok_or("stored")?, read);
    let summary = invoices
        .get("INV-1")
        .project::<InvoiceSummary>()
        .await?
        .ok_or("stored")?;
    println!("projected read (not checked, partial): {summary:?}");
    let fields = Invoice::fields();
    let noted = invoices.patch("INV-1").set(&fields.note, "sent").await?;
    println!("patched a field outside the checksum: note = {:?}", noted.note);
    match invoices.patch("INV-1").set(&fields.amount_cents, 1).await {
        Err(Error::Extension { message, .. }) => println!("patch of a checksummed field refused: {message}"),
        other => return Err(format!("expected the patch to be refused, got {other:?}").into()),
    }

    // Someone edits the amount directly, without the mapper.
    client
        .update_item()
        .table_name(invoices.name())
        .key("number", AttributeValue::S("INV-1".into()))
        .update_expression("SET amount_cents = :forged")
        .expression_attribute_values(":forged", AttributeValue::N("1".into()))
        .send()
        .await?;
    println!("edited amount_cents behind the mapper's back");

    match invoices.get("INV-1").await {
        Err(Error::Extension { extension, message, .. }) => println!("read rejected by {extension}: {message}"),
        other => return Err(format!("expected the checksum to reject the item, got {other:?}").into()),
    }

    invoices.delete_table().await?;
    Ok(())
}
