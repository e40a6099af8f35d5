//! A small per-client budget: how many requests for hosts no tenant has a client may send.
//!
//! nginx limits what it can tell apart (orders, manager writes, system calls), but only the
//! service knows which hosts are tenants'. A client that keeps asking for hosts nobody has (a
//! scanner, a flood of random `Host` headers) gets 404 while it has budget left, then 429 with
//! `Retry-After`, and its requests cost the service nothing more than that answer.
//!
//! The client is the address nginx names in `X-Real-IP` when the request comes from a trusted
//! peer (loopback: nginx runs beside the service; or one of `TRUSTED_PROXIES`), and the peer
//! address otherwise: a client talking to the service directly cannot name itself someone else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::HttpRequest;

use crate::networks::Networks;

/// Clients tracked at most; when full, those whose budget has refilled are forgotten first.
const MAX_CLIENTS: usize = 65_536;

/// Tokens per client: `per_second` refill, `burst` at most.
#[derive(Debug)]
pub struct ClientBudget {
    per_second: f64,
    burst: f64,
    clients: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl ClientBudget {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(burst.max(1)),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one token of `client`'s; `Err(seconds)` until the next one when there is none.
    pub fn spend(&self, client: IpAddr) -> Result<(), u64> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&client) {
            let (rate, burst) = (self.per_second, self.burst);
            clients.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
            if clients.len() >= MAX_CLIENTS {
                clients.clear();
            }
        }
        let (tokens, at) = clients.entry(client).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The client a request comes from (see the module documentation), `trusted` naming the peers
/// that may name it.
pub fn client_of(req: &HttpRequest, trusted: &Networks) -> IpAddr {
    let peer = req.peer_addr().map(|addr| addr.ip());
    // No peer: a request built in a test, never one from a socket.
    let behind_proxy = peer.is_none_or(|ip| trusted.contains(ip));
    let named = req
        .headers()
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    match (behind_proxy, named, peer) {
        (true, Some(named), _) => named,
        (_, _, Some(peer)) => peer,
        _ => IpAddr::from([0, 0, 0, 0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_has_its_burst_then_waits() {
        let budget = ClientBudget::new(1, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(budget.spend(a).is_ok());
        }
        assert_eq!(budget.spend(a), Err(1));
        assert!(
            budget.spend(b).is_ok(),
            "another client has a budget of its own"
        );
    }
}
