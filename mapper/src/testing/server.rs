//! [`LocalDynamoDb`]: an in-memory DynamoDB served on a loopback port from its own thread.

use std::fmt;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;

use super::ClientBuilder;
use crate::Mapper;

/// A local DynamoDB in this process: `dynoxide-rs` on an in-memory SQLite database, served over
/// HTTP on `127.0.0.1` from a thread (and Tokio runtime) of its own, so it outlives the runtime
/// of any one `#[tokio::test]`.
///
/// It checks requests as DynamoDB does (batch and transaction sizes, 38-digit numbers, unused
/// expression values, filters on keys, index key types, duplicate set members) and applies
/// conditional writes atomically. It never throttles, never leaves batch items unprocessed and
/// never reports transaction conflicts: inject those with [`Faults`](super::Faults). It
/// deletes items whose time to live has passed only when asked ([`expire_ttl`](Self::expire_ttl))
/// or when told to sweep on a period ([`sweep_ttl_every`](Self::sweep_ttl_every)).
///
/// Starting one takes about a millisecond; it stops when dropped (the thread ends once the
/// open connections close). [`shared`](Self::shared) is one server for the whole process, for
/// test suites that give every test fresh table names instead
/// ([`create_table`](super::create_table)).
pub struct LocalDynamoDb {
    endpoint: String,
    db: dynoxide::Database,
    clock: Arc<OffsetClock>,
    stopped: Arc<AtomicBool>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The local server could not be started, or a maintenance task on it failed.
#[derive(Debug, thiserror::Error)]
#[error("local DynamoDB: {message}")]
pub struct LocalError {
    message: String,
}

impl LocalError {
    fn new(message: impl fmt::Display) -> Self {
        LocalError {
            message: message.to_string(),
        }
    }
}

impl LocalDynamoDb {
    /// Starts a fresh, empty server on a free loopback port. It accepts connections when this
    /// returns.
    ///
    /// # Panics
    /// If the port, the database or the server thread cannot be had; see
    /// [`try_start_on`](Self::try_start_on) for a `Result`.
    pub fn start() -> LocalDynamoDb {
        Self::try_start_on(0).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts a fresh, empty server on `127.0.0.1:port` (`0`: any free port).
    pub fn try_start_on(port: u16) -> Result<LocalDynamoDb, LocalError> {
        // Bound before the thread starts, so the port accepts connections when this returns.
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| LocalError::new(format!("bind 127.0.0.1:{port}: {e}")))?;
        listener.set_nonblocking(true).map_err(LocalError::new)?;
        let address = listener.local_addr().map_err(LocalError::new)?;
        let clock = Arc::new(OffsetClock::default());
        let db = dynoxide::Database::memory_with_clock(clock.clone()).map_err(LocalError::new)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("local-dynamodb")
            .enable_all()
            .build()
            .map_err(LocalError::new)?;
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let served = db.clone();
        std::thread::Builder::new()
            .name("local-dynamodb".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(e) => return eprintln!("local DynamoDB: {e}"),
                    };
                    let stopped = async move {
                        let _ = stop.await;
                    };
                    if let Err(e) = dynoxide::server::serve_with_shutdown(listener, served, stopped).await {
                        eprintln!("local DynamoDB: {e}");
                    }
                });
            })
            .map_err(LocalError::new)?;
        Ok(LocalDynamoDb {
            endpoint: format!("http://{address}"),
            db,
            clock,
            stopped: Arc::new(AtomicBool::new(false)),
            shutdown: Some(shutdown),
        })
    }

    /// One server for the whole process, started on first use and never stopped (it ends with
    /// the process).
    pub fn shared() -> &'static LocalDynamoDb {
        static SHARED: OnceLock<LocalDynamoDb> = OnceLock::new();
        SHARED.get_or_init(LocalDynamoDb::start)
    }

    /// The endpoint URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A client for this server with the testing defaults of [`ClientBuilder`]: strict request
    /// checks on, fast retries.
    pub fn client(&self) -> Client {
        self.client_builder().build()
    }

    /// A [`ClientBuilder`] for this server, to add [`Faults`](super::Faults) or change the
    /// retry configuration.
    pub fn client_builder(&self) -> ClientBuilder {
        ClientBuilder::new(&self.endpoint)
    }

    /// A [`Mapper`] (default extensions) on [`client`](Self::client).
    pub fn mapper(&self) -> Mapper {
        Mapper::new(self.client())
    }

    /// Deletes now every item whose time-to-live attribute is in the past by the server's
    /// clock (see [`advance_clock`](Self::advance_clock)), as DynamoDB's background process
    /// eventually does, with a `REMOVE` stream record for each. Returns how many were deleted.
    pub fn expire_ttl(&self) -> Result<usize, LocalError> {
        self.db.sweep_ttl().map_err(LocalError::new)
    }

    /// Moves the server's clock forward by `by`, for everything it does afterwards (time to
    /// live, stream record times): `advance_clock(Duration::from_secs(3600))` and then
    /// [`expire_ttl`](Self::expire_ttl) removes items that expire within the hour.
    pub fn advance_clock(&self, by: Duration) {
        self.clock.offset_secs.fetch_add(by.as_secs(), Ordering::SeqCst);
    }

    /// Deletes expired items every `period` from now on, on a thread of its own, until the
    /// server is dropped: the server then behaves like DynamoDB's background TTL process
    /// (which may take longer than this).
    pub fn sweep_ttl_every(&self, period: Duration) {
        let db = self.db.clone();
        let stopped = self.stopped.clone();
        std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                std::thread::sleep(period);
                if let Err(e) = db.sweep_ttl() {
                    eprintln!("local DynamoDB: TTL sweep failed: {e}");
                }
            }
        });
    }
}

impl fmt::Debug for LocalDynamoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalDynamoDb")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Drop for LocalDynamoDb {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The system clock plus an offset that only grows.
#[derive(Debug, Default)]
struct OffsetClock {
    offset_secs: AtomicU64,
}

impl dynoxide::storage_backend::Clock for OffsetClock {
    fn now_unix_secs(&self) -> u64 {
        self.now_unix_secs_f64() as u64
    }

    fn now_unix_secs_f64(&self) -> f64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        now.as_secs_f64() + self.offset_secs.load(Ordering::SeqCst) as f64
    }
}
