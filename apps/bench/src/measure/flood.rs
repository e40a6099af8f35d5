//! A flood of random `Host`s from one client, beside a real tenant's storefront.
//!
//! Three runs of the real tenant's config reads (one connection's worth of a browsing customer,
//! over a few connections): without a flood, during one, and after it. The flood is wrk from
//! the same machine (one client address, as nginx sees it) asking for a new host on every
//! request. What the flood cost PostgreSQL is read from `pg_stat_database` (transactions
//! committed or rolled back in the service's database over the flood, everything else the
//! stack does in that time included, so the share is an upper bound).

use std::time::Duration;

use anyhow::Context as _;
use tokio::process::Command;

use super::config::Config;
use super::stack::Target;
use crate::summary::{Flood, round};

/// Connections of the real tenant's readers.
const REAL_CLIENTS: u32 = 4;

/// Longer than PostgreSQL takes to publish an idle backend's statistics.
const STATS_FLUSH: Duration = Duration::from_secs(11);

/// What a wrk run of this module printed.
#[derive(Debug, serde::Deserialize)]
struct Counts {
    requests: u64,
    duration_us: u64,
    p99_us: u64,
    not_found: u64,
    too_many: u64,
    other: u64,
}

pub async fn measure(
    config: &Config,
    target: &Target<'_>,
    real_host: &str,
) -> anyhow::Result<Flood> {
    eprintln!("== random-Host flood from one client");
    let real = real_script(config, real_host)?;
    let flood = flood_script(config)?;
    let url = format!("{}/api/v1/store/config", target.base_url);
    let before = run(&real, &url, REAL_CLIENTS, config.seconds).await?;
    let admin = chameleon_stack::stack::connect(&target.superuser_url).await?;
    // Backends publish their statistics once they have been idle a while (PostgreSQL 15
    // flushes an idle backend's counters within about ten seconds): let what came before the
    // flood be counted before it starts, and what the flood did be counted after it ends.
    tokio::time::sleep(STATS_FLUSH).await;
    let transactions_before = transactions(&admin).await?;
    let (during, flooded) = tokio::try_join!(
        run(&real, &url, REAL_CLIENTS, config.seconds),
        run(&flood, &url, config.clients, config.seconds),
    )?;
    tokio::time::sleep(STATS_FLUSH).await;
    let database_transactions = transactions(&admin).await? - transactions_before;
    let after = run(&real, &url, REAL_CLIENTS, config.seconds).await?;
    let share = database_transactions as f64 / flooded.requests.max(1) as f64;
    eprintln!(
        "   flood {:.0} req/s: {} requests, {} 404, {} 429; {} database transactions ({:.3}%)",
        flooded.requests as f64 / (flooded.duration_us as f64 / 1e6),
        flooded.requests,
        flooded.not_found,
        flooded.too_many,
        database_transactions,
        share * 100.0
    );
    eprintln!(
        "   real tenant p99: {:.2} ms without, {:.2} ms during, {:.2} ms after",
        before.p99_us as f64 / 1e3,
        during.p99_us as f64 / 1e3,
        after.p99_us as f64 / 1e3
    );
    Ok(Flood {
        flood_requests: flooded.requests,
        flood_rps: round(
            flooded.requests as f64 / (flooded.duration_us as f64 / 1e6),
            0,
        ),
        flood_not_found: flooded.not_found,
        flood_too_many: flooded.too_many,
        database_transactions,
        share_reaching_postgres: round(share, 5),
        real_errors: during.other + during.not_found + during.too_many + after.other,
        real_p99_ms_without: round(before.p99_us as f64 / 1e3, 3),
        real_p99_ms_during: round(during.p99_us as f64 / 1e3, 3),
        real_p99_ms_after: round(after.p99_us as f64 / 1e3, 3),
    })
}

async fn transactions(admin: &tokio_postgres::Client) -> anyhow::Result<i64> {
    Ok(admin
        .query_one(
            "SELECT (xact_commit + xact_rollback)::int8 FROM pg_stat_database \
             WHERE datname = current_database()",
            &[],
        )
        .await
        .context("reading pg_stat_database")?
        .get(0))
}

async fn run(
    script: &std::path::Path,
    url: &str,
    clients: u32,
    seconds: u32,
) -> anyhow::Result<Counts> {
    let output = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{clients}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .kill_on_drop(true)
        .output()
        .await
        .context("running wrk (apt install wrk)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("FLOOD_JSON "))
        .with_context(|| format!("wrk printed no summary: {stdout}"))?;
    Ok(serde_json::from_str(line)?)
}

/// Counting answers by status needs a `response` callback; the real tenant's run has the same
/// one, so both pay the same for it. Each wrk thread runs the script in a Lua state of its own
/// and `done` in yet another, so the counts are globals of the threads', summed in `done`.
const COUNTING: &str = r#"
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
not_found, too_many, other = 0, 0, 0
response = function(status, headers, body)
  if status == 404 then not_found = not_found + 1
  elseif status == 429 then too_many = too_many + 1
  elseif status ~= 200 then other = other + 1 end
end
done = function(summary, latency, requests)
  local nf, tm, ot = 0, 0, 0
  for _, thread in ipairs(threads) do
    nf = nf + thread:get("not_found")
    tm = tm + thread:get("too_many")
    ot = ot + thread:get("other")
  end
  io.write(string.format('FLOOD_JSON {"requests":%d,"duration_us":%d,"p99_us":%d,"not_found":%d,"too_many":%d,"other":%d}\n',
    summary.requests, summary.duration, latency:percentile(99), nf, tm, ot))
end
"#;

fn real_script(config: &Config, host: &str) -> anyhow::Result<std::path::PathBuf> {
    let path = config.work_dir.join("flood-real.lua");
    std::fs::write(
        &path,
        format!(
            "request = function()\n  return wrk.format(\"GET\", nil, {{[\"Host\"] = \"{host}\"}})\nend\n{COUNTING}"
        ),
    )?;
    Ok(path)
}

fn flood_script(config: &Config) -> anyhow::Result<std::path::PathBuf> {
    let path = config.work_dir.join("flood.lua");
    std::fs::write(
        &path,
        format!(
            r#"local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", nil, {{["Host"] = "f" .. n .. "-" .. math.random(1, 1000000000) .. ".flood.example"}})
end
{COUNTING}"#
        ),
    )?;
    Ok(path)
}
