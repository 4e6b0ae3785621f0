//! Deletes the tables the tests made on `DYNAMODB_ENDPOINT`: every table whose name starts
//! with the tests' prefix (`DYNAMODB_TABLE_PREFIX`, else `dm-test`) and a `-`. `scripts/test`
//! runs it after a run against another endpoint; run it by hand after an interrupted one:
//!
//! ```sh
//! DYNAMODB_ENDPOINT=https://dynamodb.eu-west-1.amazonaws.com cargo run --bin delete-test-tables
//! ```
//!
//! Needs `dynamodb:ListTables` and `dynamodb:DeleteTable`. Does nothing on the in-process
//! server, whose tables live only as long as each test binary.

use dynamodb_mapper_workspace::local;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if local::is_local() {
        eprintln!("DYNAMODB_ENDPOINT is not set: nothing to delete");
        return;
    }
    let client = local::client();
    let start = format!("{}-", local::table_prefix());
    let mut names = Vec::new();
    let mut after = None;
    loop {
        let page = client
            .list_tables()
            .set_exclusive_start_table_name(after)
            .send()
            .await
            .unwrap_or_else(|e| fail(&format!("ListTables: {e:?}")));
        names.extend(page.table_names().iter().filter(|n| n.starts_with(&start)).cloned());
        after = page.last_evaluated_table_name;
        if after.is_none() {
            break;
        }
    }
    let mut failed = 0;
    for name in &names {
        match client.delete_table().table_name(name).send().await {
            Ok(_) => println!("deleted {name}"),
            Err(e) => {
                failed += 1;
                eprintln!("DeleteTable {name}: {e:?}");
            }
        }
    }
    println!(
        "{} of {} tables starting with {start} deleted",
        names.len() - failed,
        names.len()
    );
    if failed > 0 {
        std::process::exit(1);
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}
