//! `Table::verify` against live tables on the local server: a table made from another
//! declaration of the same name differs in each way the report names, and one made from the
//! declaration matches; `create_table().if_not_exists()` refuses an existing table that
//! breaks the declaration. (An index still being built, which the local server never shows,
//! is covered by the unit tests of the comparison.)

use aws_sdk_dynamodb::types::StreamViewType;
use chrono::{DateTime, Utc};
use dynamodb_mapper::ops::{Billing, DifferenceKind, Verification};
use dynamodb_mapper::{Error, Item, Mapper, Table};
use dynamodb_mapper_workspace::local;

/// The declaration the code has.
#[derive(Item, Debug, Clone)]
#[item(index(name = "by_carrier", include("weight")))]
struct Order {
    #[partition_key]
    id: String,
    #[sort_key]
    leg: u32,
    #[index_partition_key("by_status")]
    status: String,
    #[index_sort_key("by_status")]
    placed: u64,
    #[index_partition_key("by_carrier")]
    carrier: String,
    weight: u32,
    #[ttl]
    expires: Option<DateTime<Utc>>,
}

/// The table created by `T`'s declaration, under a fresh name, and the handle of `Order` on
/// it.
async fn live<T: Item + 'static>(prefix: &str) -> Table<Order> {
    let mapper = Mapper::new(local::client());
    let made = local::new_table::<T>(&mapper, prefix).await;
    mapper.table_named::<Order>(made.name()).unwrap()
}

fn kinds(verification: &Verification) -> Vec<(DifferenceKind, Option<&str>, bool)> {
    verification
        .differences
        .iter()
        .map(|d| (d.kind, d.index.as_deref(), d.breaks))
        .collect()
}

#[tokio::test]
async fn a_table_made_from_the_declaration_matches() {
    let table = live::<Order>("verify-same").await;
    let verification = table.verify().billing(Billing::OnDemand).await.unwrap();
    assert!(verification.matches(), "{verification}");
    assert!(!verification.is_breaking());
    assert!(verification.to_string().contains("is as declared"), "{verification}");
}

#[tokio::test]
async fn a_sort_key_of_another_type_breaks() {
    #[derive(Item)]
    #[item(index(name = "by_carrier", include("weight")))]
    struct Other {
        #[partition_key]
        id: String,
        #[sort_key]
        leg: String,
        #[index_partition_key("by_status")]
        status: String,
        #[index_sort_key("by_status")]
        placed: u64,
        #[index_partition_key("by_carrier")]
        carrier: String,
        weight: u32,
        #[ttl]
        expires: Option<DateTime<Utc>>,
    }
    let verification = live::<Other>("verify-key").await.verify().await.unwrap();
    assert_eq!(
        kinds(&verification),
        [(DifferenceKind::TableKey, None, true)],
        "{verification}"
    );
    let difference = &verification.differences[0];
    assert_eq!(difference.declared, "id S HASH, leg N RANGE");
    assert_eq!(difference.live, "id S HASH, leg S RANGE");
}

#[tokio::test]
async fn a_missing_index_a_wrong_index_key_and_a_narrower_projection_break() {
    #[derive(Item)]
    #[item(index(name = "by_carrier", projection = "keys_only"))]
    #[item(index(name = "by_day"))]
    struct Other {
        #[partition_key]
        id: String,
        #[sort_key]
        leg: u32,
        #[index_partition_key("by_carrier")]
        carrier: String,
        #[index_partition_key("by_day")]
        day: String,
        weight: u32,
        #[ttl]
        expires: Option<DateTime<Utc>>,
    }
    let verification = live::<Other>("verify-idx").await.verify().await.unwrap();
    assert_eq!(
        kinds(&verification),
        [
            (DifferenceKind::IndexMissing, Some("by_status"), true),
            (DifferenceKind::IndexProjection, Some("by_carrier"), true),
            (DifferenceKind::ExtraIndex, Some("by_day"), false),
        ],
        "{verification}"
    );
    assert_eq!(verification.differences[1].declared, "INCLUDE(weight)");
    assert_eq!(verification.differences[1].live, "KEYS_ONLY");
    // Every difference in the report's text, not only the first.
    let text = verification.to_string();
    for name in ["by_status", "by_carrier", "by_day"] {
        assert!(text.contains(name), "{text}");
    }

    #[derive(Item)]
    #[item(index(name = "by_carrier", include("weight")))]
    struct Retyped {
        #[partition_key]
        id: String,
        #[sort_key]
        leg: u32,
        #[index_partition_key("by_status")]
        status: u8,
        #[index_sort_key("by_status")]
        placed: u64,
        #[index_partition_key("by_carrier")]
        carrier: String,
        weight: u32,
        #[ttl]
        expires: Option<DateTime<Utc>>,
    }
    let verification = live::<Retyped>("verify-idx-key").await.verify().await.unwrap();
    assert_eq!(
        kinds(&verification),
        [(DifferenceKind::IndexKey, Some("by_status"), true)],
        "{verification}"
    );
    assert_eq!(verification.differences[0].live, "status N HASH, placed N RANGE");
}

#[tokio::test]
async fn a_wider_projection_and_an_extra_index_are_compatible_but_an_extra_index_typing_an_attribute_otherwise_breaks()
{
    #[derive(Item)]
    struct Wider {
        #[partition_key]
        id: String,
        #[sort_key]
        leg: u32,
        #[index_partition_key("by_status")]
        status: String,
        #[index_sort_key("by_status")]
        placed: u64,
        #[index_partition_key("by_carrier")]
        carrier: String,
        #[index_partition_key("by_weight")]
        weight: String,
        #[ttl]
        expires: Option<DateTime<Utc>>,
    }
    let verification = live::<Wider>("verify-wide").await.verify().await.unwrap();
    // `by_carrier` projects ALL where INCLUDE(weight) is declared: enough. `by_weight` is not
    // declared, and types `weight` as S where `Order` stores a number: writes would fail.
    assert_eq!(
        kinds(&verification),
        [
            (DifferenceKind::ExtraIndex, Some("by_weight"), false),
            (DifferenceKind::AttributeType, Some("by_weight"), true),
        ],
        "{verification}"
    );
    assert_eq!(verification.differences[1].live, "weight S");
}

#[tokio::test]
async fn time_to_live_off_or_on_another_attribute_is_reported() {
    #[derive(Item)]
    #[item(index(name = "by_carrier", include("weight")))]
    struct NoTtl {
        #[partition_key]
        id: String,
        #[sort_key]
        leg: u32,
        #[index_partition_key("by_status")]
        status: String,
        #[index_sort_key("by_status")]
        placed: u64,
        #[index_partition_key("by_carrier")]
        carrier: String,
        weight: u32,
    }
    let verification = live::<NoTtl>("verify-ttl-off").await.verify().await.unwrap();
    assert_eq!(
        kinds(&verification),
        [(DifferenceKind::TimeToLive, None, false)],
        "{verification}"
    );
    assert_eq!(verification.differences[0].declared, "expires ENABLED");

    #[derive(Item)]
    #[item(index(name = "by_carrier", include("weight")))]
    struct OtherTtl {
        #[partition_key]
        id: String,
        #[sort_key]
        leg: u32,
        #[index_partition_key("by_status")]
        status: String,
        #[index_sort_key("by_status")]
        placed: u64,
        #[index_partition_key("by_carrier")]
        carrier: String,
        weight: u32,
        #[ttl]
        gone_at: Option<DateTime<Utc>>,
    }
    let verification = live::<OtherTtl>("verify-ttl-other").await.verify().await.unwrap();
    assert_eq!(
        kinds(&verification),
        [(DifferenceKind::TimeToLive, None, false)],
        "{verification}"
    );
    assert!(
        verification.differences[0].live.starts_with("gone_at"),
        "{verification}"
    );
}

#[tokio::test]
async fn a_stated_stream_and_billing_mode_are_compared() {
    let table = live::<Order>("verify-stream").await;
    let verification = table
        .verify()
        .stream(StreamViewType::NewAndOldImages)
        .billing(Billing::Provisioned { read: 5, write: 5 })
        .await
        .unwrap();
    assert_eq!(
        kinds(&verification),
        [
            (DifferenceKind::Stream, None, false),
            (DifferenceKind::Billing, None, false)
        ],
        "{verification}"
    );
    assert_eq!(verification.differences[1].live, "PAY_PER_REQUEST");
}

#[tokio::test]
async fn create_table_if_not_exists_refuses_an_existing_table_that_breaks_the_declaration() {
    #[derive(Item)]
    struct Other {
        #[partition_key]
        id: u64,
    }
    let table = live::<Other>("verify-ine").await;
    let error = table.create_table().if_not_exists().await.unwrap_err();
    let Error::TableMismatch(verification) = &error else {
        panic!("expected a mismatch: {error:?}");
    };
    assert!(verification.is_breaking());
    let breaking: Vec<DifferenceKind> = verification.breaking().map(|d| d.kind).collect();
    assert_eq!(
        breaking,
        [
            DifferenceKind::TableKey,
            DifferenceKind::IndexMissing,
            DifferenceKind::IndexMissing
        ],
        "{error}"
    );
    // A matching table passes, and so does the table created by the first call.
    let same = live::<Order>("verify-ine-same").await;
    same.create_table().if_not_exists().await.unwrap();
}
