//! HTTP load: wrk against the service (through nginx, or straight to its port) and against
//! nginx's static ceilings, with requests spread over the tenants by `Host`.

use std::path::Path;

use anyhow::{Context as _, anyhow};
use serde::Deserialize;
use tokio::process::Command;

use super::config::Config;
use super::cpu;
use super::fleet::MENU_ITEMS;
use super::stack::Target;
use crate::summary::{ColdWindow, Endpoint, Run, Warmup, round};

/// Where a wrk run sends its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Nginx,
    /// Straight to the service's port: what the service does without the edge.
    Direct,
}

/// How long to load before measuring.
#[derive(Debug, Clone, Copy)]
pub enum WarmupPlan {
    Fixed(u32),
    /// Windows of `window` seconds until two in a row agree within 5% on throughput (after at
    /// least `min` seconds), or `max` seconds have passed. With thousands of tenants, each
    /// PostgreSQL backend first loads the catalog entries of every table it touches, and the
    /// service its caches: a fixed warm-up measures that warming, not the steady state.
    UntilSteady {
        window: u32,
        min: u32,
        max: u32,
    },
}

/// One wrk run: `endpoint`'s kind of request, spread over the first `tenants` tenants, sent to
/// `path` (the endpoint's own, or its static ceiling's) after a warm-up of the same.
#[derive(Debug, Clone, Copy)]
pub struct WrkRun<'a> {
    pub endpoint: Endpoint,
    pub tenants: usize,
    pub path: &'a str,
    pub via: Via,
    pub warmup: WarmupPlan,
    /// Orders only: send a fresh `Idempotency-Key` with every request.
    pub idempotency_keys: bool,
    /// Orders only: choose three options on the two lines (two on the first, one on the
    /// second).
    pub options: bool,
}

/// What the script's `done()` prints of wrk's own summary.
#[derive(Debug, Deserialize)]
struct WrkSummary {
    requests: u64,
    duration_us: u64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    non2xx: u64,
    errors: u64,
}

/// A warm-up, then a measured run, with the CPU each process group spent in it.
pub async fn measure(
    config: &Config,
    target: &Target<'_>,
    run: &WrkRun<'_>,
) -> anyhow::Result<Run> {
    let keyed = if run.idempotency_keys { "-keyed" } else { "" };
    let options = if run.options { "-options" } else { "" };
    let script = config.work_dir.join(format!(
        "{}-{}{keyed}{options}.lua",
        run.endpoint.name(),
        run.tenants
    ));
    std::fs::write(
        &script,
        lua_script(run.endpoint, run.tenants, run.idempotency_keys, run.options),
    )?;
    let base = match run.via {
        Via::Nginx => &target.base_url,
        Via::Direct => &target.api_url,
    };
    let url = format!("{base}{}", run.path);
    let (warmup, cold) = match run.warmup {
        WarmupPlan::Fixed(seconds) => {
            let warm = wrk(config, &script, &url, seconds).await?;
            let cold = ColdWindow {
                seconds,
                rps: round(
                    warm.requests as f64 / (warm.duration_us as f64 / 1e6).max(1e-6),
                    1,
                ),
                p99_ms: Some(round(warm.p99_us as f64 / 1e3, 3)),
            };
            (None, Some(cold))
        }
        WarmupPlan::UntilSteady { window, min, max } => (
            Some(until_steady(config, &script, &url, window, min, max).await?),
            None,
        ),
    };
    let before = cpu::snapshot(Some(target.postmaster_pid));
    let summary = wrk(config, &script, &url, config.seconds).await?;
    let usage = cpu::usage(
        &before,
        &cpu::snapshot(Some(target.postmaster_pid)),
        target.service_pid,
    );
    let errors = summary.non2xx + summary.errors;
    if errors > 0 {
        eprintln!(
            "   warning: {errors} errors or non-2xx answers on {}",
            run.path
        );
    }
    let ms = |us: u64| Some(round(us as f64 / 1e3, 3));
    let measured = Run {
        tool: "wrk".into(),
        rps: round(
            summary.requests as f64 / (summary.duration_us as f64 / 1e6),
            1,
        ),
        p50_ms: ms(summary.p50_us),
        p90_ms: ms(summary.p90_us),
        p99_ms: ms(summary.p99_us),
        requests: Some(summary.requests),
        errors: Some(errors),
        cpu_us_per_request: Some(usage.per_request(summary.requests)),
        warmup: warmup.clone(),
        cold,
    };
    let label = match run.via {
        Via::Direct => format!("{} (direct)", run.path),
        Via::Nginx => run.path.to_owned(),
    };
    let warmed = warmup.map_or_else(String::new, |w| {
        format!(
            "  (warm-up {} s{}; first window {:.0} req/s, p99 {:.2} ms)",
            w.seconds,
            if w.steady { "" } else { ", not steady" },
            w.first_window_rps,
            w.first_window_p99_ms
        )
    });
    eprintln!(
        "   {label:<33} {:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms{warmed}",
        measured.rps,
        summary.p50_us as f64 / 1e3,
        summary.p99_us as f64 / 1e3
    );
    Ok(measured)
}

/// Loads in windows until the throughput holds steady; see [`WarmupPlan::UntilSteady`].
async fn until_steady(
    config: &Config,
    script: &Path,
    url: &str,
    window: u32,
    min: u32,
    max: u32,
) -> anyhow::Result<Warmup> {
    let rps = |s: &WrkSummary| s.requests as f64 / (s.duration_us as f64 / 1e6).max(1e-6);
    let first = wrk(config, script, url, window).await?;
    let mut warmup = Warmup {
        seconds: window,
        steady: false,
        first_window_rps: round(rps(&first), 1),
        first_window_p99_ms: round(first.p99_us as f64 / 1e3, 3),
    };
    let mut previous = rps(&first);
    while warmup.seconds < max {
        let next = wrk(config, script, url, window).await?;
        warmup.seconds += window;
        let current = rps(&next);
        if warmup.seconds >= min && (current - previous).abs() <= 0.05 * previous.max(1.0) {
            warmup.steady = true;
            break;
        }
        previous = current;
    }
    Ok(warmup)
}

async fn wrk(
    config: &Config,
    script: &Path,
    url: &str,
    seconds: u32,
) -> anyhow::Result<WrkSummary> {
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{}", config.clients),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(script)
        .arg(url)
        // An interrupted benchmark takes its load generator with it.
        .kill_on_drop(true)
        .output()
        .await
        .context("running wrk (apt install wrk)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH_JSON "))
        .ok_or_else(|| {
            anyhow!(
                "wrk printed no summary: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    Ok(serde_json::from_str(line)?)
}

/// The Lua script: each request picks a tenant uniformly among the first `tenants` (by `Host`)
/// and, for orders, two of its items (and, `keyed`, a key no other request has; `options`, a
/// size and an extra on the first line and another extra on the second, as
/// [`super::fleet::option_id`] names them); `done()` prints wrk's summary as one JSON line.
fn lua_script(endpoint: Endpoint, tenants: usize, keyed: bool, options: bool) -> String {
    format!(
        r#"local tenants = {tenants}
local method = "{method}"
local items = {items}
local keyed = {keyed}
local options = {options}
local counter = 0
local sent = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + seed)
end

request = function()
  local t = math.random(1, tenants)
  local host = "t" .. t .. ".bench.localhost"
  if method == "POST" then
    -- The first half of the items offer the option groups, the second half none: plain
    -- orders name two of the second half, orders with options two of the first.
    local half = math.floor(items / 2)
    local a = math.random(1, half)
    local b = a % half + 1
    if not options then
      a = a + half
      b = b + half
    end
    local body
    if options then
      local size = 0x10 + math.random(1, 3)
      local extra = 0x20 + math.random(1, 2)
      body = string.format('{{"items":[{{"id":"%08x-0000-4000-8000-%012x","qty":1,"options":["%08x-0000-4000-a000-%012x","%08x-0000-4000-a000-%012x"]}},{{"id":"%08x-0000-4000-8000-%012x","qty":2,"options":["%08x-0000-4000-a000-%012x"]}}],"customer":"Bench Customer"}}', t, a, t, size, t, extra, t, b, t, extra + 2)
    else
      body = string.format('{{"items":[{{"id":"%08x-0000-4000-8000-%012x","qty":1}},{{"id":"%08x-0000-4000-8000-%012x","qty":2}}],"customer":"Bench Customer"}}', t, a, t, b)
    end
    local headers = {{["Host"] = host, ["Content-Type"] = "application/json"}}
    if keyed then
      sent = sent + 1
      headers["Idempotency-Key"] = "bench-" .. seed .. "-" .. sent .. "-" .. math.random(1, 1000000000)
    end
    return wrk.format("POST", nil, headers, body)
  end
  return wrk.format("GET", nil, {{["Host"] = host}})
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {{"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"non2xx":%d,"errors":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"#,
        method = endpoint.method(),
        items = MENU_ITEMS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_script_posts_two_items_of_the_chosen_tenant() {
        let script = lua_script(Endpoint::Orders, 300, false, false);
        assert!(script.contains("local tenants = 300"));
        assert!(script.contains("local method = \"POST\""));
        assert!(script.contains(r#"{"items":[{"id":"%08x-0000-4000-8000-%012x","qty":1}"#));
    }

    #[test]
    fn reads_use_get() {
        assert!(lua_script(Endpoint::Menu, 10, false, false).contains("local method = \"GET\""));
    }

    #[test]
    fn keyed_orders_send_a_key_of_their_own() {
        let script = lua_script(Endpoint::Orders, 10, true, false);
        assert!(script.contains("local keyed = true"));
        assert!(script.contains("Idempotency-Key"));
    }
}
