//! The edge's limits: rates per client address, connections per client, client timeouts, and
//! who may reach `/api/v1/sys/`. Each has a default generous enough for a busy restaurant and an
//! environment variable to change it (README: "The edge"); every value is checked before it is
//! written into nginx's configuration.

use std::net::IpAddr;

use anyhow::{Context as _, bail};

/// The limits, as nginx spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeLimits {
    /// `POST /api/v1/store/orders` per client, e.g. `10r/s`.
    pub orders_rate: String,
    pub orders_burst: u32,
    /// Manager writes (anything but GET/HEAD under `/api/v1/manager/`) per client.
    pub manager_writes_rate: String,
    pub manager_writes_burst: u32,
    /// `/api/v1/sys/` per client.
    pub sys_rate: String,
    pub sys_burst: u32,
    /// Open connections per client.
    pub conn_per_client: u32,
    /// Header, body and send timeouts, e.g. `10s`.
    pub client_timeout: String,
    /// Addresses or networks (`10.0.0.0/8`) that may reach `/api/v1/sys/`; others get 404.
    pub sys_allow: Vec<String>,
    /// Order tracking (`GET /api/v1/store/orders/{id}`) per client.
    pub tracking_rate: String,
    pub tracking_burst: u32,
    /// Networks of the proxies in front (`TRUSTED_PROXIES`) whose `X-Forwarded-For` names the
    /// client; empty: the peer is the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            orders_rate: "10r/s".into(),
            orders_burst: 20,
            manager_writes_rate: "10r/s".into(),
            manager_writes_burst: 40,
            sys_rate: "5r/s".into(),
            sys_burst: 20,
            conn_per_client: 64,
            client_timeout: "10s".into(),
            sys_allow: vec!["127.0.0.1".into(), "::1".into()],
            tracking_rate: "5r/s".into(),
            tracking_burst: 30,
            trusted_proxies: Vec::new(),
        }
    }
}

impl EdgeLimits {
    /// The defaults, with every `EDGE_*` variable and `SYS_ALLOW` found in the environment
    /// applied.
    pub fn from_env() -> anyhow::Result<EdgeLimits> {
        let mut limits = EdgeLimits::default();
        let text = |name: &str, slot: &mut String| {
            if let Ok(value) = std::env::var(name) {
                *slot = value.trim().to_owned();
            }
        };
        let number = |name: &str, slot: &mut u32| -> anyhow::Result<()> {
            if let Ok(value) = std::env::var(name) {
                *slot = value
                    .trim()
                    .parse()
                    .with_context(|| format!("{name} must be a whole number"))?;
            }
            Ok(())
        };
        text("EDGE_ORDERS_RATE", &mut limits.orders_rate);
        number("EDGE_ORDERS_BURST", &mut limits.orders_burst)?;
        text("EDGE_MANAGER_WRITES_RATE", &mut limits.manager_writes_rate);
        number(
            "EDGE_MANAGER_WRITES_BURST",
            &mut limits.manager_writes_burst,
        )?;
        text("EDGE_SYS_RATE", &mut limits.sys_rate);
        number("EDGE_SYS_BURST", &mut limits.sys_burst)?;
        number("EDGE_CONN_PER_CLIENT", &mut limits.conn_per_client)?;
        text("EDGE_CLIENT_TIMEOUT", &mut limits.client_timeout);
        text("EDGE_TRACKING_RATE", &mut limits.tracking_rate);
        number("EDGE_TRACKING_BURST", &mut limits.tracking_burst)?;
        let list = |value: String| -> Vec<String> {
            value
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        if let Ok(value) = std::env::var("SYS_ALLOW") {
            limits.sys_allow = list(value);
        }
        if let Ok(value) = std::env::var("TRUSTED_PROXIES") {
            limits.trusted_proxies = list(value);
        }
        limits.check()?;
        Ok(limits)
    }

    /// Refuses anything that is not what nginx expects (and so anything that could change the
    /// configuration's meaning).
    pub fn check(&self) -> anyhow::Result<()> {
        for (name, rate) in [
            ("EDGE_ORDERS_RATE", &self.orders_rate),
            ("EDGE_MANAGER_WRITES_RATE", &self.manager_writes_rate),
            ("EDGE_SYS_RATE", &self.sys_rate),
            ("EDGE_TRACKING_RATE", &self.tracking_rate),
        ] {
            let valid = rate
                .strip_suffix("r/s")
                .or_else(|| rate.strip_suffix("r/m"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if !valid {
                bail!("{name} must look like 10r/s or 600r/m, got {rate:?}");
            }
        }
        let timeout_valid = ["ms", "s", "m"].iter().any(|unit| {
            self.client_timeout
                .strip_suffix(unit)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        if !timeout_valid {
            bail!(
                "EDGE_CLIENT_TIMEOUT must look like 10s, got {:?}",
                self.client_timeout
            );
        }
        if self.conn_per_client == 0 {
            bail!("EDGE_CONN_PER_CLIENT must be at least 1");
        }
        for (name, list) in [
            ("SYS_ALLOW", &self.sys_allow),
            ("TRUSTED_PROXIES", &self.trusted_proxies),
        ] {
            for entry in list {
                let (address, prefix) = entry.split_once('/').unwrap_or((entry, ""));
                let address: IpAddr = address
                    .parse()
                    .with_context(|| format!("{name}: {entry:?} is not an address or network"))?;
                let longest = if address.is_ipv4() { 32 } else { 128 };
                if (entry.contains('/') || !prefix.is_empty())
                    && prefix.parse::<u8>().map_or(true, |p| p > longest)
                {
                    bail!("{name}: {entry:?} has an invalid prefix length");
                }
            }
        }
        Ok(())
    }

    /// The template's placeholders and their values.
    pub fn placeholders(&self) -> Vec<(&'static str, String)> {
        let allow: String = self
            .sys_allow
            .iter()
            .map(|entry| format!("{entry} 1;"))
            .collect::<Vec<_>>()
            .join("\n        ");
        let real_ip = if self.trusted_proxies.is_empty() {
            "# (none)".to_owned()
        } else {
            let mut lines: Vec<String> = self
                .trusted_proxies
                .iter()
                .map(|entry| format!("set_real_ip_from {entry};"))
                .collect();
            lines.push("real_ip_header X-Forwarded-For;".into());
            lines.push("real_ip_recursive on;".into());
            lines.join("\n    ")
        };
        vec![
            ("@REAL_IP@", real_ip),
            ("@TRACKING_RATE@", self.tracking_rate.clone()),
            ("@TRACKING_BURST@", self.tracking_burst.to_string()),
            ("@ORDERS_RATE@", self.orders_rate.clone()),
            ("@ORDERS_BURST@", self.orders_burst.to_string()),
            ("@MANAGER_WRITES_RATE@", self.manager_writes_rate.clone()),
            (
                "@MANAGER_WRITES_BURST@",
                self.manager_writes_burst.to_string(),
            ),
            ("@SYS_RATE@", self.sys_rate.clone()),
            ("@SYS_BURST@", self.sys_burst.to_string()),
            ("@CONN_PER_CLIENT@", self.conn_per_client.to_string()),
            ("@CLIENT_TIMEOUT@", self.client_timeout.clone()),
            ("@SYS_ALLOW@", allow),
        ]
    }

    /// Limits no load test reaches, for `make bench` and tests that measure throughput from one
    /// address.
    pub fn unlimited() -> EdgeLimits {
        EdgeLimits {
            orders_rate: "1000000r/s".into(),
            orders_burst: 1_000_000,
            manager_writes_rate: "1000000r/s".into(),
            manager_writes_burst: 1_000_000,
            sys_rate: "1000000r/s".into(),
            sys_burst: 1_000_000,
            tracking_rate: "1000000r/s".into(),
            tracking_burst: 1_000_000,
            // nginx takes fewer than 65,536 here.
            conn_per_client: 60_000,
            ..EdgeLimits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        EdgeLimits::default().check().unwrap();
        EdgeLimits::unlimited().check().unwrap();
    }

    #[test]
    fn values_that_could_change_the_configuration_are_refused() {
        for bad in ["10r/s; allow all", "fast", "r/s", "10r/h"] {
            let limits = EdgeLimits {
                orders_rate: bad.into(),
                ..EdgeLimits::default()
            };
            assert!(limits.check().is_err(), "{bad}");
        }
        for bad in [
            "0.0.0.0/0; allow all",
            "example.com",
            "10.0.0.0/33",
            "::1/129",
        ] {
            let limits = EdgeLimits {
                sys_allow: vec![bad.into()],
                ..EdgeLimits::default()
            };
            assert!(limits.check().is_err(), "{bad}");
            let limits = EdgeLimits {
                trusted_proxies: vec![bad.into()],
                ..EdgeLimits::default()
            };
            assert!(limits.check().is_err(), "{bad}");
        }
        let ok = EdgeLimits {
            sys_allow: vec!["10.0.0.0/8".into(), "::1".into(), "192.168.1.7".into()],
            ..EdgeLimits::default()
        };
        ok.check().unwrap();
    }
}
