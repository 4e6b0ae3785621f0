//! The keys that seal page tokens: a token handed to an API client reveals no key value, and
//! is refused when altered, expired, or used on another read than the one that made it.
//!
//! A token is `version ‖ key id ‖ nonce ‖ XChaCha20-Poly1305(issued at ‖ cursor)`, with the
//! version, the key id and the read's scope (table, index, key condition or segment) as
//! associated data, in URL-safe base64. The 192-bit nonce is drawn from the operating system
//! for every token, so one key may seal billions of tokens without a nonce repeating by
//! chance.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::error::{Error, RefusalKind};

/// The format's version, the first byte of every token.
const VERSION: u8 = 1;
/// The version and the key id.
const HEADER: usize = 3;
/// XChaCha20's nonce.
const NONCE: usize = 24;
/// Poly1305's tag.
const TAG: usize = 16;
/// The time a token was sealed, in milliseconds since the epoch.
const ISSUED_AT: usize = 8;
/// The longest token opened: a cursor holds at most a table's and an index's key attributes
/// (2 KB of partition key and 1 KB of sort key each), far below.
const MAX_TOKEN_LEN: usize = 32 * 1024;

/// One key sealing page tokens: 32 secret bytes, and an id written in each token so that a
/// service can rotate keys (seal with the new one, still open tokens of the previous one) and
/// several instances can share them.
///
/// The secret is the caller's: load it from a secret store, the same on every instance that
/// serves the same pages. No key is made up by the mapper.
///
/// ```
/// use dynamodb_mapper::{CursorKey, CursorKeys};
///
/// let secret = [7u8; 32]; // from a secret store, never in source
/// let keys = CursorKeys::new(CursorKey::new(2, secret))
///     .accept(CursorKey::from_slice(1, &[3u8; 32])?) // the previous key, being retired
///     .max_age(std::time::Duration::from_secs(3600));
/// # let _ = keys;
/// # Ok::<(), dynamodb_mapper::Error>(())
/// ```
#[derive(Clone)]
pub struct CursorKey {
    id: u16,
    cipher: XChaCha20Poly1305,
}

impl CursorKey {
    /// The key `id` with the 32 bytes `secret`.
    pub fn new(id: u16, secret: [u8; 32]) -> Self {
        CursorKey {
            id,
            cipher: XChaCha20Poly1305::new(&secret.into()),
        }
    }

    /// The key `id` with `secret`, which must be 32 bytes.
    pub fn from_slice(id: u16, secret: &[u8]) -> Result<Self, Error> {
        let secret: [u8; 32] = secret.try_into().map_err(|_| {
            Error::Configuration(format!(
                "a cursor key is 32 bytes, not {}: draw them from a secure random source",
                secret.len()
            ))
        })?;
        Ok(CursorKey::new(id, secret))
    }

    /// The key's id, written in each token it seals.
    pub fn id(&self) -> u16 {
        self.id
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CursorKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The keys a mapper seals and opens page tokens with
/// ([`MapperBuilder::cursor_keys`](crate::MapperBuilder::cursor_keys)): the current key seals,
/// it and the accepted ones open, and a token older than the maximum age, if set, is refused.
#[derive(Clone, Debug)]
pub struct CursorKeys {
    current: CursorKey,
    accepted: Vec<CursorKey>,
    max_age: Option<Duration>,
}

impl CursorKeys {
    /// Seals and opens tokens with `current`.
    pub fn new(current: CursorKey) -> Self {
        CursorKeys {
            current,
            accepted: Vec::new(),
            max_age: None,
        }
    }

    /// Also opens the tokens of `key` (a previous key, while its tokens may still be held).
    /// A key with the current key's id is ignored: the current key opens its own tokens.
    pub fn accept(mut self, key: CursorKey) -> Self {
        if key.id != self.current.id {
            self.accepted.retain(|k| k.id != key.id);
            self.accepted.push(key);
        }
        self
    }

    /// Refuses tokens sealed longer ago than `max_age`.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    fn key(&self, id: u16) -> Option<&CursorKey> {
        std::iter::once(&self.current)
            .chain(&self.accepted)
            .find(|k| k.id == id)
    }

    /// `cursor` sealed for the read `scope`, as a URL-safe token.
    pub(crate) fn seal(&self, scope: &[u8], cursor: &[u8]) -> Result<String, Error> {
        let header = header(self.current.id);
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).map_err(|e| {
            Error::Configuration(format!(
                "the operating system gave no random bytes for a page token's nonce: {e}"
            ))
        })?;
        let mut plaintext = Vec::with_capacity(ISSUED_AT + cursor.len());
        plaintext.extend_from_slice(&now_millis().to_be_bytes());
        plaintext.extend_from_slice(cursor);
        let aad = associated_data(&header, scope);
        let sealed = self
            .current
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Configuration("a page token could not be sealed".to_owned()))?;
        let mut token = Vec::with_capacity(HEADER + NONCE + sealed.len());
        token.extend_from_slice(&header);
        token.extend_from_slice(&nonce);
        token.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(token))
    }

    /// The cursor in `token`, if these keys sealed it for the read `scope` and it has not
    /// expired.
    pub(crate) fn open(&self, scope: &[u8], token: &str) -> Result<Vec<u8>, Error> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(bad(format!(
                "a page token of {} characters is longer than any this mapper makes",
                token.len()
            )));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| bad("not a page token: it is not URL-safe base64"))?;
        if bytes.len() < HEADER + NONCE + TAG + ISSUED_AT || bytes[0] != VERSION {
            return Err(bad("not a page token of this mapper"));
        }
        let (header, rest) = bytes.split_at(HEADER);
        let (nonce, sealed) = rest.split_at(NONCE);
        let id = u16::from_be_bytes([header[1], header[2]]);
        let key = self.key(id).ok_or_else(|| {
            bad(format!(
                "the page token was sealed with key {id}, which this mapper no longer accepts"
            ))
        })?;
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| bad("not a page token of this mapper"))?;
        let aad = associated_data(header, scope);
        let plaintext = key
            .cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: sealed, aad: &aad })
            .map_err(|_| {
                bad("the page token was altered, or was made by another read (table, index, key condition or segment)")
            })?;
        let (issued_at, cursor) = plaintext.split_at(ISSUED_AT);
        let issued_at = u64::from_be_bytes(issued_at.try_into().map_err(|_| bad("not a page token"))?);
        if let Some(max_age) = self.max_age {
            let age = Duration::from_millis(now_millis().saturating_sub(issued_at));
            if age > max_age {
                return Err(bad(format!(
                    "the page token expired: it is {}s old, and tokens are accepted for {}s",
                    age.as_secs(),
                    max_age.as_secs()
                )));
            }
        }
        Ok(cursor.to_vec())
    }
}

fn header(id: u16) -> [u8; HEADER] {
    let [high, low] = id.to_be_bytes();
    [VERSION, high, low]
}

/// What a token is bound to besides its contents: its header and the read's scope.
fn associated_data(header: &[u8], scope: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + scope.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(scope);
    aad
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn bad(message: impl Into<String>) -> Error {
    Error::refused(RefusalKind::BadCursor, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(id: u16, byte: u8) -> CursorKeys {
        CursorKeys::new(CursorKey::new(id, [byte; 32]))
    }

    #[test]
    fn a_sealed_cursor_opens_with_its_scope_only() {
        let keys = keys(1, 9);
        let token = keys.seal(b"scope-a", b"cursor bytes").unwrap();
        assert_eq!(keys.open(b"scope-a", &token).unwrap(), b"cursor bytes");
        let err = keys.open(b"scope-b", &token).unwrap_err();
        assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::BadCursor);
        // Two seals of the same cursor differ (a fresh nonce each time).
        assert_ne!(token, keys.seal(b"scope-a", b"cursor bytes").unwrap());
    }

    #[test]
    fn a_token_opens_with_the_key_that_sealed_it_while_it_is_accepted() {
        let old = keys(1, 1);
        let token = old.seal(b"s", b"c").unwrap();
        let rotated = keys(2, 2).accept(CursorKey::new(1, [1; 32]));
        assert_eq!(rotated.open(b"s", &token).unwrap(), b"c");
        let retired = keys(2, 2);
        assert!(retired.open(b"s", &token).unwrap_err().to_string().contains("key 1"));
        // Another secret under the same id does not open it.
        let impostor = keys(1, 3);
        assert!(impostor.open(b"s", &token).is_err());
    }

    #[test]
    fn short_malformed_and_huge_tokens_are_refused() {
        let keys = keys(1, 1);
        for token in ["", "AAAA", "not base64!", &"A".repeat(MAX_TOKEN_LEN + 1)] {
            let err = keys.open(b"s", token).unwrap_err();
            assert_eq!(err.as_refusal().unwrap().kind(), RefusalKind::BadCursor, "{token:.20}");
        }
    }

    #[test]
    fn a_key_of_another_length_is_a_configuration_error() {
        assert!(matches!(
            CursorKey::from_slice(1, &[0; 16]),
            Err(Error::Configuration(_))
        ));
        assert_eq!(CursorKey::from_slice(4, &[0; 32]).unwrap().id(), 4);
    }
}
