//! Idempotent order placement: a client's key for one attempt, so that retrying it (after a
//! timeout, a dropped connection, a restart) places the order once.
//!
//! The rule, applied by core inside the order repository's transaction: the first request under
//! a key places the order and the key is stored with it; the same request again under that key
//! gets the first answer back (a replay); another request under it is refused. A key is kept at
//! least [`KEY_LIFETIME`]; after that, using it again places a new order and the old order
//! forgets the key (keys expire lazily, when they are reused, so nothing sweeps the tables).

use std::fmt;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::order::{Order, OrderRequest, OrderStatus};

/// How long a key is remembered, at least.
pub const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The `Idempotency-Key` of a request: 1 to 255 visible ASCII characters.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = chameleon_rules::formats::IDEMPOTENCY_KEY_MAX_LEN;

    pub fn parse(raw: &str) -> Result<Self, IdempotencyKeyError> {
        let visible = raw.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !visible {
            return Err(IdempotencyKeyError);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({:?})", self.0)
    }
}

/// The text is not 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "an Idempotency-Key must be 1 to {} visible ASCII characters",
    IdempotencyKey::MAX_LEN
)]
pub struct IdempotencyKeyError;

/// What a request asked for, reduced to a hash: two bodies that mean the same order (fields in
/// another order, other whitespace, lines listed in another order) have the same fingerprint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestFingerprint([u8; 32]);

impl RequestFingerprint {
    /// The fingerprint of an order request: its customer and its lines, sorted by item and
    /// options (each line's options are a sorted set already). A line without options hashes
    /// as it did before options existed, so a key sent before an upgrade still replays.
    pub fn of(request: &OrderRequest) -> Self {
        let mut lines: Vec<_> = request
            .lines
            .lines()
            .iter()
            .map(|line| (line.item, &line.options, line.qty))
            .collect();
        lines.sort();
        let mut hash = Sha256::new();
        hash.update(b"order v1\n");
        hash.update(request.customer.as_str().as_bytes());
        for (id, options, qty) in lines {
            hash.update(format!("\n{id}:{}", qty.get()).as_bytes());
            for option in options {
                hash.update(format!(":{option}").as_bytes());
            }
        }
        // As for options: an order for as soon as possible hashes as before pickup times.
        if let Some(at) = request.pickup_at {
            hash.update(format!("\npickup:{at}").as_bytes());
        }
        Self(hash.finalize().into())
    }

    /// Restores a stored fingerprint; `None` when `bytes` is not 32 bytes long.
    pub fn from_stored(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for RequestFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestFingerprint(..)")
    }
}

/// An order placed earlier under the same key, as the repository found it in its transaction.
#[derive(Debug, Clone)]
pub struct PriorAttempt {
    pub order: Order,
    pub fingerprint: RequestFingerprint,
    /// The transaction's clock, to tell whether the key has expired.
    pub now: SystemTime,
}

/// What to do about a prior attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorOutcome {
    /// The same request again: answer with the first answer.
    Replay,
    /// The key has expired: the prior order forgets it and the request is placed anew.
    Forget,
}

/// The key was used for another request within its lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("this Idempotency-Key was used for a different order")]
pub struct KeyReused;

/// The rule (see the module documentation).
pub fn judge(
    prior: &PriorAttempt,
    fingerprint: &RequestFingerprint,
) -> Result<PriorOutcome, KeyReused> {
    let age = prior
        .now
        .duration_since(prior.order.created_at)
        .unwrap_or_default();
    if age >= KEY_LIFETIME {
        Ok(PriorOutcome::Forget)
    } else if prior.fingerprint == *fingerprint {
        Ok(PriorOutcome::Replay)
    } else {
        Err(KeyReused)
    }
}

/// The first answer to the request that placed `order`: as it was then, PENDING (a manager may
/// have moved it on since; the replay answers the request, not today's state).
pub fn first_answer(mut order: Order) -> Order {
    order.status = OrderStatus::Pending;
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::menu::MenuItemId;
    use crate::order::{CustomerName, OrderId, OrderLines, Quantity};
    use uuid::Uuid;

    fn request(customer: &str, lines: &[(u128, i64)]) -> OrderRequest {
        OrderRequest {
            pickup_at: None,
            customer: CustomerName::parse(customer).unwrap(),
            lines: OrderLines::parse(lines.iter().map(|(id, qty)| {
                (
                    MenuItemId::from_uuid(Uuid::from_u128(*id)),
                    Quantity::try_from(*qty).unwrap(),
                )
            }))
            .unwrap(),
        }
    }

    fn prior(fingerprint: RequestFingerprint, age: Duration) -> PriorAttempt {
        let created_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        PriorAttempt {
            order: Order {
                id: OrderId::from_uuid(Uuid::nil()),
                customer: CustomerName::parse("Ann").unwrap(),
                status: OrderStatus::Confirmed,
                total_cents: 1,
                items: vec![],
                tracking_token: None,
                created_at,
                pickup_at: None,
                ready_at: None,
            },
            fingerprint,
            now: created_at + age,
        }
    }

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("0c9a7f2e-checkout-1!~").is_ok());
        for bad in ["", " ", "a b", "é", "tab\t", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_same_order_in_another_spelling_has_the_same_fingerprint() {
        let a = RequestFingerprint::of(&request("Ann", &[(1, 2), (2, 1)]));
        let b = RequestFingerprint::of(&request("Ann", &[(2, 1), (1, 1), (1, 1)]));
        assert_eq!(a, b);
        assert_ne!(a, RequestFingerprint::of(&request("Ann", &[(1, 2)])));
        assert_ne!(
            a,
            RequestFingerprint::of(&request("Bob", &[(1, 2), (2, 1)]))
        );
    }

    #[test]
    fn a_key_replays_the_same_request_refuses_another_and_expires() {
        let same = RequestFingerprint::of(&request("Ann", &[(1, 1)]));
        let other = RequestFingerprint::of(&request("Ann", &[(1, 2)]));
        let hour = Duration::from_secs(3600);
        assert_eq!(judge(&prior(same, hour), &same), Ok(PriorOutcome::Replay));
        assert_eq!(judge(&prior(same, hour), &other), Err(KeyReused));
        assert_eq!(
            judge(&prior(same, KEY_LIFETIME), &other),
            Ok(PriorOutcome::Forget)
        );
        assert_eq!(
            judge(&prior(same, KEY_LIFETIME - hour), &same),
            Ok(PriorOutcome::Replay)
        );
    }

    #[test]
    fn a_replay_answers_as_the_first_answer_did() {
        let p = prior(RequestFingerprint([0; 32]), Duration::ZERO);
        assert_eq!(first_answer(p.order).status, OrderStatus::Pending);
    }
}
