//! Load: wrk against the service and against nginx's static ceilings, pgbench against
//! PostgreSQL with the service's own SQL.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::Config;
use crate::cpu;
use crate::fleet::{Fleet, MENU_ITEMS, domain, item_id, item_price};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Endpoint {
    Config,
    Menu,
    Orders,
}

impl Endpoint {
    pub const ALL: [Endpoint; 3] = [Endpoint::Config, Endpoint::Menu, Endpoint::Orders];

    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Config => "config",
            Endpoint::Menu => "menu",
            Endpoint::Orders => "orders",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Config => "/api/v1/store/config",
            Endpoint::Menu => "/api/v1/store/menu",
            Endpoint::Orders => "/api/v1/store/orders",
        }
    }

    /// Where nginx answers a static body of the same size (see [`write_static_ceilings`]).
    pub fn static_path(self) -> &'static str {
        match self {
            Endpoint::Config => "/bench/static/config",
            Endpoint::Menu => "/bench/static/menu",
            Endpoint::Orders => "/bench/static/orders",
        }
    }

    fn method(self) -> &'static str {
        match self {
            Endpoint::Orders => "POST",
            _ => "GET",
        }
    }
}

/// One measured run.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub tool: &'static str,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Non-2xx answers and socket errors; a valid run has none.
    pub errors: u64,
    /// CPU seconds each process group spent during the measured part of the run.
    pub cpu: cpu::Usage,
}

/// wrk's own summary, printed by the script's `done()`.
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

/// The Lua script: each request picks a tenant uniformly among the first `tenants` (by Host)
/// and, for orders, two of its items.
fn wrk_script(endpoint: Endpoint, tenants: usize) -> String {
    format!(
        r#"local tenants = {tenants}
local method = "{method}"
local items = {items}
local counter = 0

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
    local a = math.random(1, items)
    local b = a % items + 1
    local body = string.format('{{"items":[{{"id":"%08x-0000-4000-8000-%012x","qty":1}},{{"id":"%08x-0000-4000-8000-%012x","qty":2}}],"customer":"Bench Customer"}}', t, a, t, b)
    return wrk.format("POST", nil, {{["Host"] = host, ["Content-Type"] = "application/json"}}, body)
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

fn run_wrk(config: &Config, script: &Path, url: &str, seconds: u32) -> anyhow::Result<WrkSummary> {
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
        .output()
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

/// Where a wrk run sends its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Nginx,
    /// Straight to the service's port: what the service does without the edge.
    Direct,
}

/// A warm-up, then a measured wrk run against `path`.
pub async fn wrk(
    config: &Config,
    endpoint: Endpoint,
    tenants: usize,
    path: &str,
    via: Via,
) -> anyhow::Result<Run> {
    wrk_warmed(config, endpoint, tenants, path, via, config.warmup_seconds).await
}

/// [`wrk`] with a warm-up of `warmup_seconds`.
pub async fn wrk_warmed(
    config: &Config,
    endpoint: Endpoint,
    tenants: usize,
    path: &str,
    via: Via,
    warmup_seconds: u32,
) -> anyhow::Result<Run> {
    let script = config
        .out
        .join("work")
        .join(format!("{}-{tenants}.lua", endpoint.name()));
    std::fs::write(&script, wrk_script(endpoint, tenants))?;
    let base = match via {
        Via::Nginx => &config.base_url,
        Via::Direct => &config.api_url,
    };
    let url = format!("{base}{path}");
    run_wrk(config, &script, &url, warmup_seconds)?;
    let before = cpu::snapshot(Some(config.postmaster_pid));
    let summary = run_wrk(config, &script, &url, config.seconds)?;
    let usage = cpu::usage(
        &before,
        &cpu::snapshot(Some(config.postmaster_pid)),
        config.service_pid,
    );
    let errors = summary.non2xx + summary.errors;
    if errors > 0 {
        eprintln!("   warning: {errors} errors or non-2xx answers on {path}");
    }
    let run = Run {
        tool: "wrk",
        rps: summary.requests as f64 / (summary.duration_us as f64 / 1e6),
        p50_ms: summary.p50_us as f64 / 1e3,
        p90_ms: summary.p90_us as f64 / 1e3,
        p99_ms: summary.p99_us as f64 / 1e3,
        requests: summary.requests,
        errors,
        cpu: usage,
    };
    let path = if via == Via::Direct {
        format!("{path} (direct)")
    } else {
        path.to_owned()
    };
    eprintln!(
        "   {path:<33} {:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
        run.rps, run.p50_ms, run.p99_ms
    );
    Ok(run)
}

/// The pgbench scripts for `endpoint`: the statements the service sends for one request of
/// that kind, one script per tenant (pgbench picks among them uniformly), since a role and a
/// search path cannot be bind parameters.
///
/// One difference, in pgbench's favour: table names are schema-qualified. In prepared mode
/// pgbench prepares every statement of a script before running its first, i.e. before the
/// `SET LOCAL search_path`, so unqualified names would not resolve. A qualified statement per
/// tenant also spares PostgreSQL the re-analysis the service's shared statements get when the
/// search path changes between tenants.
fn pgbench_scripts(
    fleet: &Fleet,
    endpoint: Endpoint,
    tenants: usize,
    pipelined: bool,
) -> Vec<String> {
    if endpoint == Endpoint::Config {
        // What the service runs on a directory miss (warm, it runs nothing at all).
        return vec![format!(
            "\\set n random(1, {tenants})\n\
             SELECT id, schema_name, domain, name, theme, manager_key_hash FROM public.tenants \
             WHERE domain = 't' || :n || '.bench.localhost';\n"
        )];
    }
    (1..=tenants)
        .map(|tenant| {
            let schema = &fleet.schemas[tenant - 1];
            let mut script = String::new();
            if pipelined {
                script.push_str("\\startpipeline\n");
            }
            writeln!(script, "BEGIN;").unwrap();
            writeln!(script, "SET LOCAL ROLE \"{schema}\";").unwrap();
            writeln!(script, "SET LOCAL search_path TO \"{schema}\";").unwrap();
            match endpoint {
                Endpoint::Menu => writeln!(
                    script,
                    "SELECT id, name, price, is_available FROM \"{schema}\".menu_items WHERE is_available ORDER BY name COLLATE \"C\", id;"
                )
                .unwrap(),
                _ => {
                    let (a, b) = (item_id(tenant, 1), item_id(tenant, 2));
                    writeln!(
                        script,
                        "SELECT id, name, price, is_available FROM \"{schema}\".menu_items WHERE id = ANY(ARRAY['{a}', '{b}']::uuid[]);"
                    )
                    .unwrap();
                    let items = json!([
                        {"id": a, "name": "Dish number 1", "price": item_price(1), "qty": 1},
                        {"id": b, "name": "Dish number 2", "price": item_price(2), "qty": 2},
                    ]);
                    let total = item_price(1) + 2 * item_price(2);
                    writeln!(
                        script,
                        "INSERT INTO \"{schema}\".orders (id, customer_name, status, total_amount, items) \
                         VALUES (gen_random_uuid(), 'Bench Customer', 'PENDING', {total}, '{items}') RETURNING created_at;"
                    )
                    .unwrap();
                }
            }
            writeln!(script, "COMMIT;").unwrap();
            if pipelined {
                script.push_str("\\endpipeline\n");
            }
            script
        })
        .collect()
}

/// pgbench with the service's SQL, as many clients as wrk has connections, as the service's
/// own database role. Latency percentiles come from pgbench's per-transaction log.
pub fn pgbench(
    config: &Config,
    fleet: &Fleet,
    endpoint: Endpoint,
    tenants: usize,
    pipelined: bool,
) -> anyhow::Result<Run> {
    let name = format!(
        "{}{}",
        endpoint.name(),
        if pipelined { "-pipelined" } else { "" }
    );
    let dir = config.out.join("work").join(format!("pgbench-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut args: Vec<String> = Vec::new();
    for (i, script) in pgbench_scripts(fleet, endpoint, tenants, pipelined)
        .iter()
        .enumerate()
    {
        let path = dir.join(format!("script-{i}.sql"));
        std::fs::write(&path, script)?;
        args.push("-f".into());
        args.push(format!("{}@1", path.display()));
    }
    let base = |seconds: u32, log: bool| {
        let mut command = Command::new("pgbench");
        command
            .args(["-n", "-M", "prepared", "-j", "2"])
            .arg(format!("-c{}", config.clients))
            .arg(format!("-T{seconds}"))
            .args(["-h", &config.pg_socket, "-p", "5432", "-U", "chameleon"])
            .args(&args);
        if log {
            command
                .arg("-l")
                .arg(format!("--log-prefix={}", dir.join("log").display()));
        }
        command.arg("bench");
        command
    };
    let warm = base(config.warmup_seconds, false)
        .output()
        .context("running pgbench")?;
    if !warm.status.success() {
        bail!("pgbench failed: {}", String::from_utf8_lossy(&warm.stderr));
    }
    let before = cpu::snapshot(Some(config.postmaster_pid));
    let output = base(config.seconds, true).output()?;
    let usage = cpu::usage(
        &before,
        &cpu::snapshot(Some(config.postmaster_pid)),
        config.service_pid,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tps: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or_else(|| anyhow!("pgbench printed no tps: {stdout}"))?
        .parse()?;
    let failed: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("number of failed transactions: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut latencies_us: Vec<u64> = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("log"))
        {
            for line in std::fs::read_to_string(&path)?.lines() {
                // client_id transaction_no time script_no time_epoch time_us
                if let Some(us) = line.split_whitespace().nth(2).and_then(|t| t.parse().ok()) {
                    latencies_us.push(us);
                }
            }
        }
    }
    latencies_us.sort_unstable();
    let pct = |p: f64| {
        if latencies_us.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * latencies_us.len() as f64).ceil() as usize;
        latencies_us[rank.clamp(1, latencies_us.len()) - 1] as f64 / 1e3
    };
    let run = Run {
        tool: if pipelined {
            "pgbench (pipelined)"
        } else {
            "pgbench"
        },
        rps: tps,
        p50_ms: pct(50.0),
        p90_ms: pct(90.0),
        p99_ms: pct(99.0),
        requests: latencies_us.len() as u64,
        errors: failed,
        cpu: usage,
    };
    eprintln!(
        "   pgbench {name:<25} {:>9.0} tx/s   p50 {:>6.2} ms  p99 {:>6.2} ms",
        run.rps, run.p50_ms, run.p99_ms
    );
    Ok(run)
}

/// Has nginx answer, for each endpoint, a static JSON body exactly as large as the service's
/// answer for tenant 1, then reloads it.
pub async fn write_static_ceilings(config: &Config) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let host = domain(1);
    let config_body = http
        .get(format!("{}{}", config.base_url, Endpoint::Config.path()))
        .header("Host", &host)
        .send()
        .await?
        .text()
        .await?;
    let menu_body = http
        .get(format!("{}{}", config.base_url, Endpoint::Menu.path()))
        .header("Host", &host)
        .send()
        .await?
        .text()
        .await?;
    let order = http
        .post(format!("{}{}", config.base_url, Endpoint::Orders.path()))
        .header("Host", &host)
        .json(&json!({"items": [{"id": item_id(1, 1), "qty": 1}, {"id": item_id(1, 2), "qty": 2}], "customer": "Bench Customer"}))
        .send()
        .await?;
    if order.status() != 201 {
        bail!(
            "placing a sample order: {} {}",
            order.status(),
            order.text().await?
        );
    }
    let order_body = order.text().await?;
    let mut conf =
        String::from("# Written by chameleon-bench: static answers as large as the service's.\n");
    for (endpoint, body) in [
        (Endpoint::Config, &config_body),
        (Endpoint::Menu, &menu_body),
        (Endpoint::Orders, &order_body),
    ] {
        if body.contains('\'') || body.contains('\\') {
            bail!("a sample body cannot be quoted for nginx");
        }
        writeln!(
            conf,
            "location = {} {{ default_type application/json; return 200 '{body}'; }}",
            endpoint.static_path()
        )?;
        eprintln!(
            "   static ceiling for {}: {} bytes",
            endpoint.name(),
            body.len()
        );
    }
    std::fs::write(config.nginx_conf_dir.join("bench.conf"), conf)?;
    let status = Command::new("kill")
        .arg("-HUP")
        .arg(config.nginx_pid.to_string())
        .status()?;
    if !status.success() {
        bail!("could not reload nginx");
    }
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let probe = http
            .get(format!(
                "{}{}",
                config.base_url,
                Endpoint::Config.static_path()
            ))
            .send()
            .await?;
        if probe.status() == 200 {
            return Ok(());
        }
    }
    bail!("nginx did not pick up the static ceilings")
}

/// Resident memory of process `pid`, in MiB.
pub fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .ok_or_else(|| anyhow!("no VmRSS for {pid}"))?
        .parse()?;
    Ok(kb / 1024.0)
}
