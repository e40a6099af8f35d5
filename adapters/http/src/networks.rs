//! Sets of addresses written as networks (`10.0.0.0/8`, `::1`, `192.168.1.7`): who may reach
//! the system API (`SYS_ALLOW`), and which peers may name the client they forward for
//! (`TRUSTED_PROXIES`). nginx reads the same variables (`deploy/nginx/nginx.conf.template`); the
//! service applies them too, so neither trusts the other to have done it.

use std::fmt;
use std::net::IpAddr;

/// A set of networks; empty matches nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(Vec<(IpAddr, u8)>);

/// A network that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkError(String);

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an address or a network such as 10.0.0.0/8",
            self.0
        )
    }
}

impl std::error::Error for NetworkError {}

impl Networks {
    /// Reads networks separated by commas or spaces.
    pub fn parse(list: &str) -> Result<Networks, NetworkError> {
        list.split([',', ' '])
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let bad = || NetworkError(entry.to_owned());
                let (address, prefix) = match entry.split_once('/') {
                    Some((address, prefix)) => (address, Some(prefix)),
                    None => (entry, None),
                };
                let address: IpAddr = address.parse().map_err(|_| bad())?;
                let longest = if address.is_ipv4() { 32 } else { 128 };
                let prefix = match prefix {
                    None => longest,
                    Some(prefix) => prefix
                        .parse::<u8>()
                        .ok()
                        .filter(|p| *p <= longest)
                        .ok_or_else(bad)?,
                };
                Ok((address, prefix))
            })
            .collect::<Result<_, _>>()
            .map(Networks)
    }

    /// The loopback addresses (`127.0.0.0/8`, `::1`).
    pub fn loopback() -> Networks {
        Networks(vec![
            (IpAddr::from([127, 0, 0, 0]), 8),
            (IpAddr::from(std::net::Ipv6Addr::LOCALHOST), 128),
        ])
    }

    /// Adds `other`'s networks to these.
    pub fn extend(&mut self, other: &Networks) {
        self.0.extend(other.0.iter().copied());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` (an IPv4 address mapped into IPv6 counts as itself) is in one of them.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|(network, prefix)| match (network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(*net)), *prefix, 32)
                    == masked(u128::from(u32::from(ip)), *prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(*net), *prefix, 128) == masked(u128::from(ip), *prefix, 128)
            }
            _ => false,
        })
    }
}

/// `bits` (of a `width`-bit address) with all but the first `prefix` cleared.
fn masked(bits: u128, prefix: u8, width: u32) -> u128 {
    let host_bits = width - u32::from(prefix);
    if host_bits >= 128 {
        0
    } else {
        bits >> host_bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_and_networks_match_what_they_cover() {
        let networks = Networks::parse("10.0.0.0/8, 192.168.1.7 2001:db8::/32").unwrap();
        assert!(networks.contains(ip("10.200.3.4")));
        assert!(networks.contains(ip("192.168.1.7")));
        assert!(!networks.contains(ip("192.168.1.8")));
        assert!(networks.contains(ip("2001:db8:ffff::1")));
        assert!(!networks.contains(ip("2001:db9::1")));
        assert!(!networks.contains(ip("11.0.0.1")));
        assert!(networks.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped");
        assert!(
            Networks::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        assert!(!Networks::default().contains(ip("127.0.0.1")));
        assert!(Networks::loopback().contains(ip("127.0.0.1")));
        assert!(Networks::loopback().contains(ip("::1")));
        assert!(!Networks::loopback().contains(ip("::2")));
    }

    #[test]
    fn what_is_not_a_network_is_refused() {
        for bad in [
            "example.com",
            "10.0.0.0/33",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/8; allow all",
        ] {
            assert!(Networks::parse(bad).is_err(), "{bad}");
        }
    }
}
