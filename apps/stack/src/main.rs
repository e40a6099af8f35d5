//! `chameleon-stack`: the whole stack in the foreground (what `make run` runs), and the odd
//! chore around private clusters.
//!
//! ```text
//! chameleon-stack run                 start everything, print where to go, stop on a signal
//! chameleon-stack stop-cluster DIR    stop the private cluster in DIR, if it runs
//! ```

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chameleon_stack::cluster::{self, Cluster};
use chameleon_stack::edge::{EdgeSettings, EdgeTls};
use chameleon_stack::stack::log;
use chameleon_stack::{
    Database, EdgeLimits, Ended, ServerOptions, Shutdown, Stack, StackSettings, SupervisePolicy,
    users,
};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "chameleon-stack",
    about = "Chameleon's whole stack on one machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start PostgreSQL (unless DATABASE_URL is given), migrate, the demo tenants, the
    /// backends and nginx; stop them all on SIGINT, SIGTERM or SIGHUP.
    Run(RunArgs),
    /// Stop the private cluster in DIR, if it runs.
    StopCluster { dir: PathBuf },
    /// Render nginx's configuration into DIR/nginx.conf, exactly as `run` does, for an nginx
    /// started by someone else (the container image's edge); prints the file's path.
    RenderNginx(RenderArgs),
}

#[derive(Debug, Args)]
struct RenderArgs {
    /// Where the configuration, temporary files and logs go.
    #[arg(long)]
    dir: PathBuf,
    /// The template (deploy/nginx/nginx.conf.template).
    #[arg(long)]
    template: PathBuf,
    /// The storefront build served at `/`.
    #[arg(long)]
    web_root: PathBuf,
    /// nginx's port.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// A backend, `host:port`; repeat for each.
    #[arg(long = "backend", required = true)]
    backends: Vec<String>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The checkout (templates, the storefront build).
    #[arg(long, env = "CHAMELEON_REPO", default_value = ".")]
    repo: PathBuf,
    /// Logs, nginx's files, the private cluster, the admin token (default: REPO/.state).
    #[arg(long, env = "STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// nginx's port.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// The first backend's address.
    #[arg(long, env = "API_HOST", default_value = "127.0.0.1")]
    api_host: String,
    /// The first backend's port; instance i listens on API_PORT + i.
    #[arg(long, env = "API_PORT", default_value_t = 8081)]
    api_port: u16,
    /// The first backend's Prometheus port (on API_HOST); instance i serves `/metrics` on
    /// METRICS_PORT + i. Never proxied by nginx.
    #[arg(long, env = "METRICS_PORT", default_value_t = 9091)]
    metrics_port: u16,
    /// Backends behind nginx.
    #[arg(long, env = "INSTANCES", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=32))]
    instances: u16,
    /// A PostgreSQL of your own instead of the private cluster.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The admin token (default: generated once into STATE_DIR/admin-token).
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// 0 skips provisioning the demo restaurants.
    #[arg(long, env = "DEMO", default_value = "1")]
    demo: String,
    /// The `chameleon` binary (default: REPO/target/release/chameleon).
    #[arg(long, env = "CHAMELEON_BIN")]
    bin: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    // An error is one clear message on standard error, never a backtrace (whatever
    // RUST_BACKTRACE says): it is read by whoever ran `make run`, not by a debugger.
    match tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run_command()))
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run_command() -> anyhow::Result<()> {
    // First thing: from here on a signal asks for an orderly stop instead of killing us.
    let shutdown = Shutdown::install()?;
    match Cli::parse().command {
        Command::Run(args) => run(args, shutdown).await,
        Command::RenderNginx(args) => {
            let tls = EdgeTls::from_env(&args.dir.join("certs"))?;
            let path = EdgeSettings {
                dir: args.dir,
                port: args.port,
                backends: args.backends,
                web_root: args.web_root,
                limits: EdgeLimits::from_env()?,
                tls,
                template: args.template,
            }
            .render()?;
            println!("{}", path.display());
            Ok(())
        }
        Command::StopCluster { dir } => {
            if dir.join("data/PG_VERSION").exists() {
                let owner = users::server_user()?;
                Cluster::new(dir, owner)?
                    .stop(Duration::from_secs(10))
                    .await?;
            }
            Ok(())
        }
    }
}

async fn run(args: RunArgs, mut shutdown: Shutdown) -> anyhow::Result<()> {
    let repo = std::fs::canonicalize(&args.repo).context("the checkout")?;
    let state = args
        .state_dir
        .clone()
        .unwrap_or_else(|| repo.join(".state"));
    std::fs::create_dir_all(&state)?;
    let state = std::fs::canonicalize(&state)?;
    let last_api_port = u32::from(args.api_port) + u32::from(args.instances) - 1;
    let last_metrics_port = u32::from(args.metrics_port) + u32::from(args.instances) - 1;
    for port in std::iter::once(u32::from(args.port))
        .chain(u32::from(args.api_port)..=last_api_port)
        .chain(u32::from(args.metrics_port)..=last_metrics_port)
    {
        let port = u16::try_from(port).context("API_PORT + INSTANCES is past 65535")?;
        if TcpListener::bind(("0.0.0.0", port)).is_err() {
            bail!(
                "port {port} is already in use (set PORT / API_PORT / METRICS_PORT to choose others)"
            );
        }
    }
    let admin_token = match args.admin_token.filter(|t| !t.trim().is_empty()) {
        Some(token) => token,
        None => admin_token(&state)?,
    };
    let database = match args.database_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => Database::External { url },
        None => Database::Private {
            dir: state.join("pg"),
            options: ServerOptions::default(),
        },
    };
    let settings = StackSettings {
        bin: args
            .bin
            .unwrap_or_else(|| repo.join("target/release/chameleon")),
        web_root: repo.join("web/dist"),
        repo,
        state: state.clone(),
        database,
        port: args.port,
        api_host: args.api_host,
        api_port: args.api_port,
        instances: args.instances,
        metrics_port: args.metrics_port,
        admin_token: admin_token.clone(),
        demo: args.demo != "0",
        backend_env: Vec::new(),
        edge_limits: EdgeLimits::from_env()?,
        tls: EdgeTls::from_env(&state.join("certs"))?,
        local_ca_domains: DEMO_DOMAINS.iter().map(|d| (*d).to_owned()).collect(),
    };
    let policy = SupervisePolicy::from_env()?;
    let mut stack = Stack::new(settings)?;
    let started = stack.start(&shutdown).await;
    let outcome = match started {
        Err(err) => {
            if let Some(signal) = shutdown.requested() {
                log(&format!("{signal}: stopping before the start completed"));
                Ok(())
            } else {
                Err(err)
            }
        }
        Ok(()) => {
            banner(&stack, &admin_token);
            match stack.supervise(&mut shutdown, policy).await {
                Ended::Signal(_) => Ok(()),
                Ended::CrashLoop {
                    name,
                    deaths,
                    window,
                    last,
                } => Err(anyhow::anyhow!(
                    "{name} died {deaths} times within {} s (last: {last}): a crash loop, so \
                     the stack stops; see {} (SUPERVISE_MAX_RESTARTS, SUPERVISE_WINDOW_SECS)",
                    window.as_secs(),
                    state.join("logs").display()
                )),
            }
        }
    };
    log("stopping");
    stack.stop().await;
    log("stopped");
    outcome
}

/// The admin token kept in `state/admin-token` (0600), generated the first time.
fn admin_token(state: &std::path::Path) -> anyhow::Result<String> {
    let path = state.join("admin-token");
    if let Ok(token) = std::fs::read_to_string(&path)
        && !token.trim().is_empty()
    {
        return Ok(token.trim().to_owned());
    }
    let token = cluster::secret()?;
    cluster::write_private(&path, &token)?;
    Ok(token)
}

/// The demo tenants' domains (and `localhost`, for the API docs): `make run` gives each a
/// certificate of its local certificate authority.
const DEMO_DOMAINS: [&str; 3] = ["pizza.localhost", "burger.localhost", "localhost"];

fn banner(stack: &Stack, admin_token: &str) {
    let settings = stack.settings();
    let port = settings.port;
    let https = match (&settings.tls, stack.local_ca()) {
        (Some(tls), Some(ca)) => format!(
            "\n    HTTPS         https://pizza.localhost:{p}   https://burger.localhost:{p}\n    Local CA      {ca}\n                  (trust it in a browser, or curl --cacert it)\n",
            p = tls.port,
            ca = ca.display()
        ),
        (Some(tls), None) => format!(
            "\n    HTTPS         port {}, certificates from {}\n",
            tls.port,
            tls.cert_dir.display()
        ),
        _ => String::new(),
    };
    let backends: Vec<&str> = stack.backends().iter().map(|b| b.address()).collect();
    let text = format!(
        "
  Chameleon is running.

    Storefronts   http://pizza.localhost:{port}   http://burger.localhost:{port}
    API docs      http://localhost:{port}/docs/      (spec: /api-docs/openapi.json)
{https}    Admin token   {admin_token}
                  (Swagger UI: \"Authorize\", admin_token; manager keys of the demo
                   tenants are in {state}/demo-tenants.jsonl)

    Backends      {backends}
    Metrics       {metrics}   (Prometheus; not behind nginx)
    Logs          {state}/logs/, {state}/nginx/access.log
    Stop          Ctrl-C
",
        state = settings.state.display(),
        backends = backends.join(" "),
        metrics = (0..settings.instances)
            .map(|i| format!(
                "http://{}:{}/metrics",
                settings.api_host,
                u32::from(settings.metrics_port) + u32::from(i)
            ))
            .collect::<Vec<_>>()
            .join(" "),
    );
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{text}");
}
