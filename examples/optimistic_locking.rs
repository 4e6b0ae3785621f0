//! Two writers race on one record: one wins, the other gets the stored item from the error,
//! reapplies its change and succeeds. Then the same with the retry helper.
//!
//! ```sh
//! scripts/with-local-dynamodb cargo run --example optimistic_locking
//! ```

use dynamodb_mapper::{Error, Item, Mapper, RetryPolicy};

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "example-accounts")]
struct Account {
    #[partition_key]
    id: String,
    owner: String,
    balance_cents: i64,
    #[version]
    version: Option<u64>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mapper = Mapper::new(aws_sdk_dynamodb::Client::new(&config));
    let accounts = mapper.table::<Account>()?;
    if !accounts.exists().await? {
        accounts.create_table().await?;
    }

    let opened = Account {
        id: "acc-1".into(),
        owner: "ana".into(),
        balance_cents: 10_000,
        version: None,
    };
    let opened = accounts.put(&opened).return_item().await?;
    println!(
        "opened {} with {} cents at version {:?}",
        opened.id, opened.balance_cents, opened.version
    );

    // Both writers read version 0.
    let mut deposit = accounts.get("acc-1").consistent_read().await?.ok_or("just written")?;
    let mut withdrawal = deposit.clone();

    deposit.balance_cents += 2_500;
    let after_deposit = accounts.update(&deposit).await?;
    println!(
        "writer A deposited 2500: balance {} at version {:?}",
        after_deposit.balance_cents, after_deposit.version
    );

    withdrawal.balance_cents -= 4_000;
    match accounts.update(&withdrawal).await {
        Err(Error::ConditionFailed(conflict)) => {
            // The failed write returned what is stored now: no extra read needed.
            let mut current: Account = conflict.item()?.ok_or("the account exists")?;
            println!(
                "writer B lost the race: stored balance is {} at version {:?}; reapplying",
                current.balance_cents, current.version
            );
            current.balance_cents -= 4_000;
            let after = accounts.update(&current).await?;
            println!(
                "writer B withdrew 4000: balance {} at version {:?}",
                after.balance_cents, after.version
            );
            assert_eq!(after.balance_cents, 10_000 + 2_500 - 4_000);
        }
        other => return Err(format!("expected a conflict, got {other:?}").into()),
    }

    // The same loop, written once: read, change, write, and on conflict change the stored
    // item again after a jittered backoff, up to 20 writes each.
    let tasks: Vec<_> = (0..4)
        .map(|n| {
            let accounts = accounts.clone();
            tokio::spawn(async move {
                accounts
                    .read_modify_write("acc-1", |a| a.balance_cents += 100 * (n + 1))
                    .retry(RetryPolicy::default().max_attempts(20))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let last = accounts
        .get("acc-1")
        .consistent_read()
        .await?
        .ok_or("the account exists")?;
    println!(
        "after 4 concurrent deposits with retries: balance {} at version {:?}",
        last.balance_cents, last.version
    );
    assert_eq!(last.balance_cents, 8_500 + 100 + 200 + 300 + 400);

    // A stale copy cannot delete the account either.
    match accounts.delete_item(&opened).await {
        Err(Error::ConditionFailed(_)) => println!("a delete with the stale version 0 was refused"),
        other => return Err(format!("expected a conflict, got {other:?}").into()),
    }
    accounts.delete_item(&last).await?;
    println!("deleted the account at its current version");
    accounts.delete_table().await?;
    Ok(())
}
