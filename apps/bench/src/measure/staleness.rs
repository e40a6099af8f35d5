//! Cross-instance staleness: how long after a write through one instance another instance
//! serves it. A second backend is started beside the stack's (same database, outside nginx),
//! tenant 1's menu is cached on it, and each sample changes an item's price through the first
//! instance and polls the second until it serves the new price. The clock starts when the write
//! is sent: the figure includes the write itself.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::Deserialize;
use serde_json::json;

use super::fleet::{self, Fleet};
use super::stack::Target;
use super::stats::percentile;
use crate::summary::{Staleness, round};

#[derive(Deserialize)]
struct Item {
    id: String,
    price: i64,
}

/// `GET /api/v1/store/menu`, the part read here.
#[derive(Deserialize)]
struct Menu {
    items: Vec<Item>,
}

pub async fn measure(
    target: &Target<'_>,
    fleet: &Fleet,
    samples: usize,
) -> anyhow::Result<Staleness> {
    eprintln!("== cross-instance staleness ({samples} writes)");
    let port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
    let mut second = target
        .stack
        .start_extra_backend(port)
        .await
        .context("starting a second instance")?;
    let measured = sample(
        target,
        fleet,
        &format!("http://{}", second.address()),
        samples,
    )
    .await;
    second.stop().await;
    let mut ms = measured?;
    ms.sort_by(f64::total_cmp);
    let staleness = Staleness {
        samples: ms.len(),
        p50_ms: round(percentile(&ms, 50.0), 2),
        p99_ms: round(percentile(&ms, 99.0), 2),
        max_ms: round(ms.last().copied().unwrap_or_default(), 2),
    };
    eprintln!(
        "   p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        staleness.p50_ms, staleness.p99_ms, staleness.max_ms
    );
    Ok(staleness)
}

async fn sample(
    target: &Target<'_>,
    fleet: &Fleet,
    second: &str,
    samples: usize,
) -> anyhow::Result<Vec<f64>> {
    let manager = fleet
        .first_manager()
        .context("tenant 1 is not provisioned")?;
    let item = fleet::item_id(1, 1);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let price_on_second = || async {
        let menu: Menu = http
            .get(format!("{second}/api/v1/store/menu"))
            .header("Host", fleet::domain(1))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::Ok(
            menu.items
                .into_iter()
                .find(|i| i.id == item)
                .map(|i| i.price),
        )
    };
    // The second instance has the menu cached before the first write.
    price_on_second().await?;
    let mut ms = Vec::with_capacity(samples);
    for n in 0..samples {
        let price = 1_000 + i64::try_from(n)?;
        let started = Instant::now();
        let written = http
            .patch(format!("{}/api/v1/manager/menu/{item}", target.api_url))
            .header("X-Tenant-ID", &manager.tenant_id)
            .bearer_auth(&manager.api_key)
            .json(&json!({ "price": price }))
            .send()
            .await?;
        if !written.status().is_success() {
            bail!("changing a price: {}", written.status());
        }
        loop {
            if price_on_second().await? == Some(price) {
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("the second instance still served the old price after 10 s");
            }
        }
        ms.push(started.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Tenant 1's item as the load scripts expect it.
    http.patch(format!("{}/api/v1/manager/menu/{item}", target.api_url))
        .header("X-Tenant-ID", &manager.tenant_id)
        .bearer_auth(&manager.api_key)
        .json(&json!({ "price": fleet::item_price(1) }))
        .send()
        .await?
        .error_for_status()?;
    Ok(ms)
}
