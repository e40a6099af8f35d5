//! Orders beside a flood of wrong passwords (issue 22): does hashing passwords take order
//! placement's CPU?
//!
//! Three runs of order placement over the fleet's tenants: alone, beside 20 connections
//! signing in with wrong passwords as fast as they are answered, and alone again. The bench's
//! backend runs with the sign-in throttle lifted (`STAFF_LOGIN_FAILURES_PER_*`, see
//! [`super::stack`]): every attempt is a full argon2id check, the worst case (an attack from
//! many addresses), not 429s.

use anyhow::Context as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::process::Command;

use super::config::Config;
use super::stack::Target;
use super::wrk::{self, Via, WarmupPlan, WrkRun};
use crate::summary::{Endpoint, LoginFlood, round};

/// The flood's connections (the issue's 20 clients).
const FLOOD_CLIENTS: u32 = 20;
const HOST: &str = "login-flood.bench.example";

/// A restaurant with a signed-up owner, whose sign-in the flood hammers.
async fn restaurant(target: &Target<'_>) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let answer: Value = http
        .post(format!("{}/api/v1/sys/provision", target.base_url))
        .header("Host", "localhost")
        .bearer_auth(target.admin_token)
        .json(&json!({
            "domain": HOST,
            "theme": {"primary_color": "#336699", "font": "sans-serif"},
            "owner_email": "owner@login-flood.example",
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let url = answer["owner_setup_url"]
        .as_str()
        .context("no owner_setup_url")?;
    let token = url.rsplit_once("token=").context("a setup URL")?.1;
    let set_up = http
        .post(format!("{}/api/v1/manager/setup", target.base_url))
        .header("Host", HOST)
        .json(&json!({"token": token, "password": "the owner's real password"}))
        .send()
        .await?;
    anyhow::ensure!(
        set_up.status() == StatusCode::NO_CONTENT,
        "setting up the owner: {}",
        set_up.status()
    );
    Ok(())
}

pub async fn measure(
    config: &Config,
    target: &Target<'_>,
    tenants: usize,
) -> anyhow::Result<LoginFlood> {
    eprintln!("== orders alone and beside a flood of wrong passwords ({FLOOD_CLIENTS} clients)");
    restaurant(target).await?;
    let orders = WrkRun {
        endpoint: Endpoint::Orders,
        tenants,
        path: Endpoint::Orders.path(),
        via: Via::Nginx,
        warmup: WarmupPlan::Fixed(2),
        idempotency_keys: false,
        options: false,
    };
    let before = wrk::measure(config, target, &orders).await?;
    let script = config.work_dir.join("login-flood.lua");
    std::fs::write(&script, FLOOD_SCRIPT.replace("@HOST@", HOST))?;
    let url = format!("{}/api/v1/manager/session", target.base_url);
    let (during, flood) = tokio::try_join!(
        wrk::measure(config, target, &orders),
        flood(&script, &url, config.seconds + 4),
    )?;
    let after = wrk::measure(config, target, &orders).await?;
    let alone = (before.rps + after.rps) / 2.0;
    eprintln!(
        "   orders/s alone {alone:.0} (before {:.0}, after {:.0}), beside the flood {:.0} ({:.2}x); \
         flood {:.1} attempts/s, {} answered 401, {} otherwise",
        before.rps,
        after.rps,
        during.rps,
        during.rps / alone.max(1e-9),
        flood.attempts_per_s,
        flood.unauthorized,
        flood.other
    );
    Ok(LoginFlood {
        clients: FLOOD_CLIENTS,
        orders_rps_alone: round(alone, 1),
        orders_rps_before: round(before.rps, 1),
        orders_rps_after: round(after.rps, 1),
        orders_rps_during: round(during.rps, 1),
        ratio: round(during.rps / alone.max(1e-9), 3),
        orders_p99_ms_alone: before.p99_ms,
        orders_p99_ms_during: during.p99_ms,
        attempts_per_s: round(flood.attempts_per_s, 1),
        unauthorized: flood.unauthorized,
        other: flood.other,
    })
}

struct FloodCounts {
    attempts_per_s: f64,
    unauthorized: u64,
    other: u64,
}

/// wrk posting wrong passwords for `seconds` (a little longer than the measured orders run, so
/// the flood covers its warm-up too).
async fn flood(script: &std::path::Path, url: &str, seconds: u32) -> anyhow::Result<FloodCounts> {
    let output = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{FLOOD_CLIENTS}"),
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
        .find_map(|l| l.strip_prefix("LOGIN_FLOOD_JSON "))
        .with_context(|| format!("wrk printed no summary: {stdout}"))?;
    let counts: Value = serde_json::from_str(line)?;
    let requests = counts["requests"].as_f64().unwrap_or(0.0);
    let duration = counts["duration_us"].as_f64().unwrap_or(1.0) / 1e6;
    Ok(FloodCounts {
        attempts_per_s: requests / duration.max(1e-9),
        unauthorized: counts["unauthorized"].as_u64().unwrap_or(0),
        other: counts["other"].as_u64().unwrap_or(0),
    })
}

const FLOOD_SCRIPT: &str = r#"
local n = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
request = function()
  n = n + 1
  local body = '{"email": "owner@login-flood.example", "password": "wrong guess ' .. n .. '"}'
  return wrk.format("POST", nil, {["Host"] = "@HOST@", ["Content-Type"] = "application/json"}, body)
end
unauthorized, other = 0, 0
response = function(status, headers, body)
  if status == 401 then unauthorized = unauthorized + 1 else other = other + 1 end
end
done = function(summary, latency, requests)
  local u, o = 0, 0
  for _, thread in ipairs(threads) do
    u = u + thread:get("unauthorized")
    o = o + thread:get("other")
  end
  io.write(string.format('LOGIN_FLOOD_JSON {"requests":%d,"duration_us":%d,"unauthorized":%d,"other":%d}\n',
    summary.requests, summary.duration, u, o))
end
"#;
