//! The edge's ceiling: nginx answering, for each endpoint, a static JSON body exactly as large as
//! the service's answer, so a throughput can be put beside what nginx alone does on this machine.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::json;

use super::fleet::{domain, item_id};
use super::stack::Target;
use crate::summary::Endpoint;

/// Where nginx answers `endpoint`'s static body.
pub fn static_path(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Config => "/bench/static/config",
        Endpoint::Menu => "/bench/static/menu",
        Endpoint::Orders => "/bench/static/orders",
    }
}

/// Asks the service for tenant 1's answers, has nginx serve bodies of the same size from
/// [`static_path`]s (a file in its `conf.d`, then a reload), and waits until it does.
pub async fn install(target: &Target<'_>) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let bodies = sample_bodies(&http, target).await?;
    let mut conf =
        String::from("# Written by chameleon-bench: static answers as large as the service's.\n");
    for (endpoint, body) in Endpoint::ALL.iter().zip(&bodies) {
        // nginx's `return` takes the body in single quotes.
        if body.contains('\'') || body.contains('\\') {
            bail!("a sample body cannot be quoted for nginx");
        }
        writeln!(
            conf,
            "location = {} {{ default_type application/json; return 200 '{body}'; }}",
            static_path(*endpoint)
        )?;
        eprintln!(
            "   static ceiling for {}: {} bytes",
            endpoint.name(),
            body.len()
        );
    }
    let path = target.edge.dir().join("conf.d").join("bench.conf");
    std::fs::write(&path, conf).with_context(|| format!("writing {}", path.display()))?;
    target.edge.reload()?;
    let probe = format!("{}{}", target.base_url, static_path(Endpoint::Config));
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Connections may be refused for a moment while nginx reloads.
        let answer = http.get(&probe).send().await;
        if answer.is_ok_and(|response| response.status() == 200) {
            return Ok(());
        }
    }
    bail!("nginx did not pick up the static ceilings")
}

/// Tenant 1's answers, in the order of [`Endpoint::ALL`]: its config, its menu, and a placed
/// order.
async fn sample_bodies(http: &reqwest::Client, target: &Target<'_>) -> anyhow::Result<[String; 3]> {
    let host = domain(1);
    let get = |endpoint: Endpoint| {
        http.get(format!("{}{}", target.base_url, endpoint.path()))
            .header("Host", &host)
            .send()
    };
    let config = get(Endpoint::Config).await?.text().await?;
    let menu = get(Endpoint::Menu).await?.text().await?;
    let order = http
        .post(format!("{}{}", target.base_url, Endpoint::Orders.path()))
        .header("Host", &host)
        .json(&json!({
            "items": [{"id": item_id(1, 1), "qty": 1}, {"id": item_id(1, 2), "qty": 2}],
            "customer": "Bench Customer",
        }))
        .send()
        .await?;
    if order.status() != 201 {
        bail!(
            "placing a sample order: {} {}",
            order.status(),
            order.text().await?
        );
    }
    Ok([config, menu, order.text().await?])
}
