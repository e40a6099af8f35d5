//! The database ceiling: pgbench running the SQL the service runs for a request, with as many
//! clients as wrk has connections, as the service's own role.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use serde_json::json;
use tokio::process::Command;

use super::config::Config;
use super::cpu;
use super::fleet::{Fleet, MENU_ITEMS, item_id, item_price};
use super::stack::{PgLogin, Target};
use super::stats::percentile;
use crate::summary::{ColdWindow, Endpoint, Run, round};

/// pgbench with `endpoint`'s SQL over the first `tenants` tenants: a warm-up, then a measured
/// run whose latency percentiles come from pgbench's per-transaction log. `pipelined` sends each
/// transaction in one round trip.
pub async fn measure(
    config: &Config,
    target: &Target<'_>,
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
    let dir = config.work_dir.join(format!("pgbench-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut script_args: Vec<String> = Vec::new();
    for (i, script) in scripts(fleet, endpoint, tenants, pipelined)
        .iter()
        .enumerate()
    {
        let path = dir.join(format!("script-{i}.sql"));
        std::fs::write(&path, script)?;
        // Every script weighs the same: pgbench picks among the tenants uniformly.
        script_args.extend(["-f".to_owned(), format!("{}@1", path.display())]);
    }
    let pgbench = Pgbench {
        config,
        login: &target.pgbench_login,
        script_args: &script_args,
    };
    let warm = pgbench.run(config.warmup_seconds, None).await?;
    let cold = ColdWindow {
        seconds: config.warmup_seconds,
        rps: round(tps(&warm)?, 1),
        p99_ms: None,
    };
    let before = cpu::snapshot(Some(target.postmaster_pid));
    let stdout = pgbench.run(config.seconds, Some(&dir.join("log"))).await?;
    let usage = cpu::usage(
        &before,
        &cpu::snapshot(Some(target.postmaster_pid)),
        target.service_pid,
    );
    let mut latencies_ms = transaction_latencies_ms(&dir)?;
    latencies_ms.sort_by(f64::total_cmp);
    let requests = latencies_ms.len() as u64;
    let ms = |p: f64| Some(round(percentile(&latencies_ms, p), 3));
    let run = Run {
        tool: if pipelined {
            "pgbench (pipelined)"
        } else {
            "pgbench"
        }
        .into(),
        rps: round(tps(&stdout)?, 1),
        p50_ms: ms(50.0),
        p90_ms: ms(90.0),
        p99_ms: ms(99.0),
        requests: Some(requests),
        errors: Some(failed_transactions(&stdout)),
        cpu_us_per_request: Some(usage.per_request(requests)),
        warmup: None,
        cold: Some(cold),
    };
    eprintln!(
        "   pgbench {name:<25} {:>9.0} tx/s   p50 {:>6.2} ms  p99 {:>6.2} ms",
        run.rps,
        percentile(&latencies_ms, 50.0),
        percentile(&latencies_ms, 99.0)
    );
    Ok(run)
}

/// One pgbench command line, run as often as needed.
struct Pgbench<'a> {
    config: &'a Config,
    login: &'a PgLogin,
    script_args: &'a [String],
}

impl Pgbench<'_> {
    /// Runs for `seconds`, logging each transaction under `log_prefix` if given; returns what
    /// pgbench printed.
    async fn run(&self, seconds: u32, log_prefix: Option<&Path>) -> anyhow::Result<String> {
        let login = self.login;
        let mut command = Command::new("pgbench");
        command
            .args(["-n", "-M", "prepared", "-j", "2"])
            .arg(format!("-c{}", self.config.clients))
            .arg(format!("-T{seconds}"))
            .arg("-h")
            .arg(&login.socket_dir)
            .args(["-p", &login.port.to_string(), "-U", &login.user])
            .args(self.script_args)
            // The password stays off the command line, where any local user could read it.
            .env("PGPASSWORD", &login.password)
            .kill_on_drop(true);
        if let Some(prefix) = log_prefix {
            command
                .arg("-l")
                .arg(format!("--log-prefix={}", prefix.display()));
        }
        let output = command
            .arg(&login.dbname)
            .output()
            .await
            .context("running pgbench")?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            bail!(
                "pgbench failed: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(stdout)
    }
}

fn tps(stdout: &str) -> anyhow::Result<f64> {
    Ok(stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or_else(|| anyhow!("pgbench printed no tps: {stdout}"))?
        .parse()?)
}

/// pgbench prints the count only when there were failures.
fn failed_transactions(stdout: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("number of failed transactions: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Every transaction's latency from the logs pgbench wrote into `dir` (one per thread).
fn transaction_latencies_ms(dir: &Path) -> anyhow::Result<Vec<f64>> {
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path: PathBuf = entry?.path();
        let is_log = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("log"));
        if !is_log {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            // client_id transaction_no time script_no time_epoch time_us; time in µs.
            if let Some(us) = line
                .split_whitespace()
                .nth(2)
                .and_then(|t| t.parse::<f64>().ok())
            {
                latencies.push(us / 1e3);
            }
        }
    }
    Ok(latencies)
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
fn scripts(fleet: &Fleet, endpoint: Endpoint, tenants: usize, pipelined: bool) -> Vec<String> {
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
                // The storefront menu's three reads, as the service runs them.
                Endpoint::Menu => writeln!(
                    script,
                    "SELECT id, name, position, serving_hours FROM \"{schema}\".categories ORDER BY position, name COLLATE \"C\", id;\n\
                     SELECT id, name, min_choices, max_choices, options FROM \"{schema}\".option_groups ORDER BY name COLLATE \"C\", id;\n\
                     SELECT {ITEM_COLUMNS} FROM \"{schema}\".menu_items ORDER BY name COLLATE \"C\", id;"
                )
                .unwrap(),
                _ => order_statements(&mut script, schema, tenant),
            }
            writeln!(script, "COMMIT;").unwrap();
            if pipelined {
                script.push_str("\\endpipeline\n");
            }
            script
        })
        .collect()
}

/// The columns the service reads of an item.
const ITEM_COLUMNS: &str = "id, name, price, is_available, category_id, description, image_url, \
     tags, sold_out_until, option_group_ids";

/// Placing a plain order of two items of `tenant` that offer no options, as the plain orders of
/// the load do: read them, the option groups they offer and
/// their categories (the service's three reads, in one round trip with `BEGIN`), insert the
/// order.
fn order_statements(script: &mut String, schema: &str, tenant: usize) {
    let (first, second) = (MENU_ITEMS / 2 + 1, MENU_ITEMS / 2 + 2);
    let (a, b) = (item_id(tenant, first), item_id(tenant, second));
    let ids = format!("ARRAY['{a}', '{b}']::uuid[]");
    writeln!(
        script,
        "SELECT {ITEM_COLUMNS} FROM \"{schema}\".menu_items WHERE id = ANY({ids});\n\
         SELECT id, name, min_choices, max_choices, options FROM \"{schema}\".option_groups WHERE id IN \
         (SELECT unnest(option_group_ids) FROM \"{schema}\".menu_items WHERE id = ANY({ids}));\n\
         SELECT id, name, position, serving_hours FROM \"{schema}\".categories WHERE id IN \
         (SELECT category_id FROM \"{schema}\".menu_items WHERE id = ANY({ids}));"
    )
    .unwrap();
    // The snapshot the service stores of a plain order (its lines carry no options).
    let items = json!([
        {"id": a, "name": format!("Dish number {first}"), "price": item_price(first), "qty": 1},
        {"id": b, "name": format!("Dish number {second}"), "price": item_price(second), "qty": 2},
    ]);
    let total = item_price(first) + 2 * item_price(second);
    // As the service stores an order for as soon as possible: its quote and its slot (each
    // indexed) with it.
    writeln!(
        script,
        "INSERT INTO \"{schema}\".orders (id, customer_name, status, total_amount, items, \
         ready_at, slot_start) \
         VALUES (gen_random_uuid(), 'Bench Customer', 'PENDING', {total}, '{items}', \
         now() + interval '20 minutes', date_trunc('hour', now())) RETURNING created_at;"
    )
    .unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_is_read_from_pgbenchs_report() {
        let stdout = "number of transactions actually processed: 1000\n\
                      latency average = 1.2 ms\n\
                      tps = 1234.5678 (without initial connection time)\n";
        assert_eq!(tps(stdout).unwrap(), 1234.5678);
        assert_eq!(failed_transactions(stdout), 0);
        assert!(tps("no summary").is_err());
    }

    #[test]
    fn failed_transactions_are_counted_when_pgbench_reports_them() {
        let stdout = "number of failed transactions: 3 (0.1%)\ntps = 10.0\n";
        assert_eq!(failed_transactions(stdout), 3);
    }
}
