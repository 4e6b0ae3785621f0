//! A local DynamoDB-compatible server for the tests: `moto_server` (PyPI `moto[server]`),
//! started once per test binary on a free loopback port and stopped when the binary exits.
//! Set `DYNAMODB_ENDPOINT` to use another server (DynamoDB Local, or a real account's
//! endpoint) instead.
//!
//! Every client made here checks each request on the wire: an expression placeholder that is
//! declared but unused, or used but undeclared, fails the request. Real DynamoDB rejects such
//! requests and moto does not, so this keeps the suite honest on moto.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;

/// The server's endpoint URL, starting the server on first use.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => start_server(),
    })
}

/// Starts `scripts/local_dynamodb.py` (installing moto first if needed) and waits until it
/// answers. The child stops when its standard input closes, which happens when this process
/// exits, so it is never left behind.
fn start_server() -> String {
    static CHILD: OnceLock<Child> = OnceLock::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ensure = Command::new(root.join("scripts/ensure-local-dynamodb"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/ensure-local-dynamodb (needs python3)");
    assert!(ensure.status.success(), "installing moto[server] failed");
    let python = String::from_utf8(ensure.stdout).expect("a path").trim().to_owned();
    let mut child = Command::new(python)
        .arg(root.join("scripts/local_dynamodb.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the local DynamoDB server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("read the server's endpoint");
    let endpoint = line.trim().to_owned();
    assert!(
        endpoint.starts_with("http://"),
        "the local server did not start: {line:?}"
    );
    wait_until_listening(&endpoint);
    CHILD.set(child).expect("started once");
    endpoint
}

fn wait_until_listening(endpoint: &str) {
    let address = endpoint.trim_start_matches("http://");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reachable = address
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_millis(200)).is_ok());
        if reachable {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the local server at {endpoint} never answered"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An SDK client for the local server, with the placeholder check on every request.
pub fn client() -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "local"))
        .endpoint_url(endpoint())
        .interceptor(PlaceholderCheck)
        .build();
    Client::from_conf(config)
}

/// A table name no other test uses, so that tests run in parallel.
pub fn unique_table_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

static CHECKED: AtomicUsize = AtomicUsize::new(0);

/// How many requests carrying expressions the placeholder check has passed so far.
pub fn checked_requests() -> usize {
    CHECKED.load(Ordering::SeqCst)
}

/// Fails any request whose expressions do not use exactly the placeholders it declares.
#[derive(Debug)]
struct PlaceholderCheck;

impl Intercept for PlaceholderCheck {
    fn name(&self) -> &'static str {
        "PlaceholderCheck"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(body) = context.request().body().bytes() else {
            return Ok(());
        };
        let request: serde_json::Value = serde_json::from_slice(body)?;
        let mut found = false;
        for_each_expression_set(&request, &mut |set| {
            found = true;
            check_placeholders(set)
        })?;
        if found {
            CHECKED.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Calls `check` on the request and on each action of a transaction.
fn for_each_expression_set(
    request: &serde_json::Value,
    check: &mut dyn FnMut(&serde_json::Value) -> Result<(), BoxError>,
) -> Result<(), BoxError> {
    let has_expressions = request.as_object().is_some_and(|o| {
        o.keys()
            .any(|k| k.ends_with("Expression") || k.starts_with("ExpressionAttribute"))
    });
    if has_expressions {
        check(request)?;
    }
    if let Some(actions) = request.get("TransactItems").and_then(|t| t.as_array()) {
        for action in actions {
            for (_, inner) in action.as_object().into_iter().flatten() {
                for_each_expression_set(inner, check)?;
            }
        }
    }
    Ok(())
}

/// The placeholder check on one set of expressions and their declarations.
pub fn check_placeholders(request: &serde_json::Value) -> Result<(), BoxError> {
    let mut used = BTreeSet::new();
    for (key, value) in request.as_object().into_iter().flatten() {
        if key.ends_with("Expression")
            && let Some(text) = value.as_str()
        {
            used.extend(tokens(text));
        }
    }
    let declared: BTreeSet<String> = ["ExpressionAttributeNames", "ExpressionAttributeValues"]
        .iter()
        .filter_map(|k| request.get(*k).and_then(|m| m.as_object()))
        .flat_map(|m| m.keys().cloned())
        .collect();
    let unused: Vec<&String> = declared.difference(&used).collect();
    let undeclared: Vec<&String> = used.difference(&declared).collect();
    if unused.is_empty() && undeclared.is_empty() {
        Ok(())
    } else {
        Err(format!("placeholders declared but unused: {unused:?}; used but undeclared: {undeclared:?}").into())
    }
}

fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for c in text.chars().chain(std::iter::once(' ')) {
        match (&mut current, c) {
            (Some(token), c) if c.is_ascii_alphanumeric() || c == '_' => token.push(c),
            (Some(_), _) => {
                let token = current.take().expect("some");
                if token.len() > 1 {
                    out.push(token);
                }
                if c == '#' || c == ':' {
                    current = Some(c.to_string());
                }
            }
            (None, '#' | ':') => current = Some(c.to_string()),
            (None, _) => {}
        }
    }
    out
}
