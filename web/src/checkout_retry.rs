//! How a checkout retries: how often, and how long it waits between tries. Pure, so it is
//! tested natively.
//!
//! Every try of one checkout sends the same `Idempotency-Key`, so retrying can never place a
//! second order: the service answers a repeated request with the order the first one placed.

/// Tries of one checkout, the first included.
pub const MAX_TRIES: u32 = 4;

/// Milliseconds to wait before try `next` (1-based; 2 is the first retry): 400, 800, 1600.
pub fn delay_ms(next: u32) -> u32 {
    400 << next.saturating_sub(2).min(4)
}

/// A fresh key for a checkout: 128 random bits as 32 hex digits.
pub fn new_key(random: [u8; 16]) -> String {
    random.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_stay_bounded() {
        assert_eq!(
            (2..=MAX_TRIES).map(delay_ms).collect::<Vec<_>>(),
            [400, 800, 1600]
        );
        let total: u32 = (2..=MAX_TRIES).map(delay_ms).sum();
        assert!(total < 5_000, "a customer waits {total} ms at most");
    }

    #[test]
    fn keys_are_32_hex_digits() {
        let key = new_key([0xab; 16]);
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
