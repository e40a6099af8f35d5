//! `chameleon-bench`: Chameleon's benchmark (`make bench`). Measuring and rendering are two
//! halves that meet only in a JSON file:
//!
//! ```text
//! chameleon-bench [measure]              start a stack, measure it, stop it; write
//!                                        target/bench/summary.json, copy it to
//!                                        docs/bench/summary.json, then render from that copy
//! chameleon-bench render [--from PATH]   (re)write docs/bench/results.md and the SVG charts
//!                                        from PATH (default docs/bench/summary.json) alone
//! ```
//!
//! `BENCH_QUICK=1` (or `--quick`) makes the measurement a smoke run; its figures are not for
//! quoting, so it renders into `target/bench/` and leaves `docs/bench/` alone. The generated
//! files stay apart from `docs/benchmarks.md`, the hand-written reading of them.
//!
//! # Layout
//! - [`summary`]: the JSON, the one type both halves share.
//! - [`measure`]: everything that runs something: the stack, the tenants, wrk, pgbench, `/proc`.
//! - [`render`]: pure functions from a summary to the generated documents; it never imports
//!   [`measure`].

mod measure;
mod render;
mod summary;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::builder::FalseyValueParser;
use clap::{Args, Parser, Subcommand};

use crate::summary::Summary;

#[derive(Debug, Parser)]
#[command(name = "chameleon-bench", about = "Chameleon's benchmark (make bench)")]
struct Cli {
    /// The checkout: target/bench and docs/bench are found from here.
    #[arg(long, env = "CHAMELEON_REPO", default_value = ".", global = true)]
    repo: PathBuf,
    /// Options of `measure`, also taken when no command is given.
    #[command(flatten)]
    measure: MeasureArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a stack, measure, write the summary and render it (the default).
    Measure(MeasureArgs),
    /// Rewrite docs/bench/results.md and its charts from a summary: no stack needed.
    Render(RenderArgs),
}

#[derive(Debug, Clone, Args)]
struct MeasureArgs {
    /// A smoke run: short runs and few tenants, figures not for quoting. From the environment,
    /// any value but empty, 0, false, no, off means yes.
    #[arg(long, env = "BENCH_QUICK", value_parser = FalseyValueParser::new())]
    quick: bool,
}

#[derive(Debug, Args)]
struct RenderArgs {
    /// The summary to render (default: REPO/docs/bench/summary.json).
    #[arg(long)]
    from: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let repo = std::fs::canonicalize(&cli.repo)
        .with_context(|| format!("the checkout {}", cli.repo.display()))?;
    let published = repo.join("docs/bench/summary.json");
    match cli.command.unwrap_or(Command::Measure(cli.measure)) {
        Command::Measure(args) => {
            let summary = measure::run(&repo, args.quick).await?;
            let written = repo.join("target/bench/summary.json");
            summary.write(&written)?;
            if args.quick {
                // A smoke run's figures are not for quoting: they stay out of docs/.
                return render_documents(&written, &repo.join("target/bench"));
            }
            std::fs::copy(&written, &published)
                .with_context(|| format!("copying the summary to {}", published.display()))?;
            render_documents(&published, &repo.join("docs/bench"))
        }
        Command::Render(args) => {
            render_documents(&args.from.unwrap_or(published), &repo.join("docs/bench"))
        }
    }
}

/// Reads the summary at `from` and writes every generated document into `dir`.
fn render_documents(from: &Path, dir: &Path) -> anyhow::Result<()> {
    let summary = Summary::read(from)?;
    std::fs::create_dir_all(dir)?;
    for document in render::documents(&summary) {
        let path = dir.join(document.file_name);
        std::fs::write(&path, document.text)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn render_takes_the_summary_to_read() {
        let cli = Cli::try_parse_from(["chameleon-bench", "render", "--from", "s.json"]).unwrap();
        let Some(Command::Render(args)) = cli.command else {
            panic!("not render: {cli:?}");
        };
        assert_eq!(args.from, Some(PathBuf::from("s.json")));
    }

    #[test]
    fn measuring_is_the_default_and_quick_is_a_flag_of_it() {
        let cli = Cli::try_parse_from(["chameleon-bench", "--quick"]).unwrap();
        assert!(cli.command.is_none() && cli.measure.quick);
        let cli = Cli::try_parse_from(["chameleon-bench", "measure", "--quick"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Measure(MeasureArgs { quick: true }))
        ));
    }
}
