//! A local DynamoDB for the demo and the examples: an in-memory server on `127.0.0.1`, which
//! prints its endpoint URL once it accepts connections, deletes expired items (time to live)
//! every second, and serves until its standard input closes — so it stops when the process
//! that started it exits, however that process ends.
//!
//! ```sh
//! cargo run --bin local-dynamodb [PORT]      # PORT 0 or absent: any free port
//! ```
//!
//! `scripts/with-local-dynamodb` runs a command against it.

use std::io::Write;
use std::time::Duration;

use dynamodb_mapper::testing::LocalDynamoDb;

fn main() {
    let port = match std::env::args().nth(1) {
        Some(port) => port.parse().unwrap_or_else(|_| {
            eprintln!("usage: local-dynamodb [PORT]");
            std::process::exit(2)
        }),
        None => 0,
    };
    let server = LocalDynamoDb::try_start_on(port).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    server.sweep_ttl_every(Duration::from_secs(1));
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", server.endpoint())
        .and_then(|()| stdout.flush())
        .expect("print the endpoint");
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}
