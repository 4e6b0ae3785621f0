//! Money moves between versioned accounts in one transaction, on condition that no balance
//! goes negative. Concurrent transfers conflict and are retried from a fresh read; the total
//! of the balances never changes.
//!
//! Runs against whatever endpoint the AWS configuration gives; locally:
//!
//! ```sh
//! scripts/with-local-dynamodb cargo run --example bank_transfer
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier};

use dynamodb_mapper::expr::Condition;
use dynamodb_mapper::ops::ModifyError;
use dynamodb_mapper::{Error, Item, Mapper, RetryPolicy, Table};

#[derive(Item, Debug, Clone, PartialEq)]
#[item(table = "bank-accounts", rename_all = "camelCase")]
struct Account {
    #[partition_key]
    id: String,
    owner: String,
    balance_cents: i64,
    #[version]
    version: Option<u64>,
}

/// Why a transfer was not made.
#[derive(Debug, PartialEq)]
enum Refused {
    NoSuchAccount,
    InsufficientFunds { balance_cents: i64 },
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NoSuchAccount => f.write_str("no such account"),
            Refused::InsufficientFunds { balance_cents } => {
                write!(f, "insufficient funds: the balance is {balance_cents}")
            }
        }
    }
}

impl std::error::Error for Refused {}

/// Moves `amount` cents from `from` to `to`: reads both accounts in one snapshot, checks the
/// balance, and writes both in one transaction whose debit carries the condition
/// `balanceCents >= amount`; when another transfer got there first (a version moved on), the
/// loop reads again and decides again. `on_run` sees each run of the decision.
async fn transfer(
    mapper: &Mapper,
    accounts: &Table<Account>,
    from: &str,
    to: &str,
    amount: i64,
    mut on_run: impl FnMut(u32) + Send,
) -> Result<(), ModifyError<Refused>> {
    let mut reads = mapper.transact_get();
    let from_handle = reads.get(accounts, from);
    let to_handle = reads.get(accounts, to);
    let mut runs = 0;
    mapper
        .transact_read_modify_write(reads, |items, tx| {
            runs += 1;
            on_run(runs);
            // The reads' own handles, each taken once: only a missing item can come back empty.
            let debit = items.take(from_handle).expect("a handle of these reads");
            let credit = items.take(to_handle).expect("a handle of these reads");
            let (Some(mut debit), Some(mut credit)) = (debit, credit) else {
                return Err(Refused::NoSuchAccount);
            };
            if debit.balance_cents < amount {
                return Err(Refused::InsufficientFunds {
                    balance_cents: debit.balance_cents,
                });
            }
            debit.balance_cents -= amount;
            credit.balance_cents += amount;
            tx.update(accounts, &debit)
                .condition(Condition::attr("balanceCents").ge(amount));
            tx.update(accounts, &credit);
            Ok(())
        })
        .retry(RetryPolicy::default().max_attempts(100))
        .await
        .map(drop)
}

async fn total(accounts: &Table<Account>, ids: &[&str]) -> Result<i64, Error> {
    let mut tx = accounts.mapper().transact_get();
    let handles: Vec<_> = ids.iter().map(|id| tx.get(accounts, *id)).collect();
    let fetched = tx.send().await?;
    let mut sum = 0;
    for (id, handle) in ids.iter().zip(handles) {
        let account = fetched.get(handle)?.ok_or(Error::ItemNotFound {
            table: format!("{} (account {id})", accounts.name()),
        })?;
        assert!(account.balance_cents >= 0, "{id} went negative");
        sum += account.balance_cents;
    }
    Ok(sum)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mapper = Mapper::new(aws_sdk_dynamodb::Client::new(&config));
    let accounts = mapper.table::<Account>()?;
    if accounts.exists().await? {
        accounts.delete_table().await?;
    }
    accounts.create_table().await?;

    // Open three accounts in one transaction.
    let ids = ["alice", "bob", "carol"];
    let mut tx = mapper.transact_write();
    let opened: Vec<_> = ids
        .iter()
        .map(|id| {
            let account = Account {
                id: (*id).into(),
                owner: id.to_uppercase(),
                balance_cents: 10_000,
                version: None,
            };
            tx.put(&accounts, &account).handle()
        })
        .collect();
    let committed = tx.send().await?;
    for handle in opened {
        // A put stores exactly what it sends: the item is known whole, new version included.
        let account = committed.item(handle)?.known().expect("a put is known whole");
        println!(
            "opened {} with {} cents at version {:?}",
            account.id, account.balance_cents, account.version
        );
        assert_eq!(account.version, Some(0));
    }
    let start = total(&accounts, &ids).await?;
    assert_eq!(start, 30_000);

    // One transfer.
    transfer(&mapper, &accounts, "alice", "bob", 2_500, |_| {}).await?;
    let alice = accounts.get("alice").consistent_read().await?.ok_or("alice exists")?;
    println!(
        "alice sent bob 2500: alice has {} at version {:?}",
        alice.balance_cents, alice.version
    );
    assert_eq!((alice.balance_cents, alice.version), (7_500, Some(1)));

    // The change refuses what the balance does not cover; nothing is written.
    match transfer(&mapper, &accounts, "carol", "alice", 50_000, |_| {}).await {
        Err(ModifyError::Refused(Refused::InsufficientFunds { balance_cents })) => {
            println!("carol cannot send 50000: her balance is {balance_cents}");
            assert_eq!(balance_cents, 10_000);
        }
        other => return Err(format!("expected insufficient funds, got {other:?}").into()),
    }

    // The condition guards the balance even when the client's check is skipped: the
    // transaction is cancelled, with the reason on the debit and the stored account, typed.
    let mut carol = accounts.get("carol").consistent_read().await?.ok_or("carol exists")?;
    let mut bob = accounts.get("bob").consistent_read().await?.ok_or("bob exists")?;
    carol.balance_cents -= 50_000;
    bob.balance_cents += 50_000;
    let mut tx = mapper.transact_write();
    let debit = tx
        .update(&accounts, &carol)
        .condition(Condition::attr("balanceCents").ge(50_000))
        .handle();
    let credit = tx.update(&accounts, &bob).handle();
    match tx.send().await {
        Err(Error::TransactionCanceled(canceled)) => {
            let reason = canceled.reason(debit).unwrap();
            let stored = canceled.item(debit)?.ok_or("carol is stored")?;
            println!(
                "overdraft cancelled: action {} on {} failed with {:?} (a version conflict: {}); stored balance {}",
                reason.index(),
                stored.id,
                reason.code(),
                reason.is_version_conflict(),
                stored.balance_cents
            );
            assert!(reason.is_condition_failure());
            assert!(!canceled.reason(credit).unwrap().failed());
            assert_eq!(stored.balance_cents, 10_000);
        }
        other => return Err(format!("expected a cancelled transaction, got {other:?}").into()),
    }

    // Two transfers that read the same version of bob: both decide, one commits, the other
    // meets a version conflict, reads again and commits on the new balance.
    let runs = Arc::new(AtomicU32::new(0));
    let both_read = Arc::new(Barrier::new(2));
    let racers: Vec<_> = [("bob", "alice", 1_000), ("bob", "carol", 2_000)]
        .into_iter()
        .map(|(from, to, amount)| {
            let (mapper, accounts, runs, both_read) =
                (mapper.clone(), accounts.clone(), runs.clone(), both_read.clone());
            tokio::spawn(async move {
                transfer(&mapper, &accounts, from, to, amount, |run| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    if run == 1 {
                        // Hold until both have read (on a worker that may block).
                        tokio::task::block_in_place(|| both_read.wait());
                    }
                })
                .await
            })
        })
        .collect();
    for racer in racers {
        racer.await??;
    }
    let runs = runs.load(Ordering::SeqCst);
    let bob = accounts.get("bob").consistent_read().await?.ok_or("bob exists")?;
    println!(
        "two racing transfers from bob: {runs} decisions for 2 transfers (one conflict retried); bob has {} at version {:?}",
        bob.balance_cents, bob.version
    );
    assert_eq!(runs, 3);
    assert_eq!(bob.balance_cents, 12_500 - 3_000);

    // Many concurrent transfers between random pairs: the total never changes.
    let decisions = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..6u64)
        .map(|seed| {
            let (mapper, accounts, decisions) = (mapper.clone(), accounts.clone(), decisions.clone());
            tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(seed);
                let mut made = 0u32;
                for _ in 0..10 {
                    let from = rng.usize(0..ids.len());
                    let to = (from + rng.usize(1..ids.len())) % ids.len();
                    let amount = rng.i64(100..=4_000);
                    let counted = |_| {
                        decisions.fetch_add(1, Ordering::SeqCst);
                    };
                    match transfer(&mapper, &accounts, ids[from], ids[to], amount, counted).await {
                        Ok(()) => made += 1,
                        Err(ModifyError::Refused(Refused::InsufficientFunds { .. })) => {}
                        Err(e) => return Err(e.to_string()),
                    }
                }
                Ok(made)
            })
        })
        .collect();
    let mut made = 0;
    for task in tasks {
        made += task.await??;
    }
    let end = total(&accounts, &ids).await?;
    println!(
        "{made} concurrent transfers made in {} decisions; total {end} cents (was {start})",
        decisions.load(Ordering::SeqCst)
    );
    assert_eq!(end, start);

    accounts.delete_table().await?;
    Ok(())
}
