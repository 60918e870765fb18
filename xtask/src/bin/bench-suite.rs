//! `bench-suite`: Worklane's performance evidence, measured in one run and written to
//! docs/benchmarks.md (and docs/benchmarks.json).
//!
//!     cargo run --release -p worklane-devstack --bin bench-suite [-- OPTIONS]
//!
//! Sections, in order, each within a time budget (a section out of time reports what it
//! measured and says so; the run never goes on unbounded):
//!   artifacts   release build of `auth` and `escrow` (timed), binary and zip size per function
//!   peers       bench/peers/install: the Python and Node peers into .cache/
//!   cold        cold start, init, first and warm invocation, peak RSS: ours vs the peers
//!   trips       DynamoDB/S3/SQS/EventBridge round trips per workflow step
//!   latency     the lifecycle and a proposal storm through the local API vs the DynamoDB floor
//!   load        a steady-rate load test of the local API, with the server's memory sampled
//!
//! Options: --quick (small samples: a smoke run of a few minutes), --sections a,b,…,
//! --runs N --warm N (cold starts per runtime, warm invocations per start), --lifecycles N,
//! --storm N, --concurrency N, --rate N --load-seconds N, --all-functions, --clean-build,
//! --out DIR (default docs/).

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use worklane_devstack::bench::report::{Report, SectionRun, Status};
use worklane_devstack::bench::sys::{load_average, Machine};
use worklane_devstack::bench::{
    api_client::ApiClient, artifacts, child_server, coldstart, floor, latency, load, roundtrips,
    Budget,
};
use worklane_devstack::services::LocalServices;
use worklane_devstack::stack::Stack;

const SECTIONS: [&str; 6] = ["artifacts", "peers", "cold", "trips", "latency", "load"];

struct Options {
    sections: Vec<String>,
    runs: usize,
    warm: usize,
    lifecycles: usize,
    storm: usize,
    concurrency: usize,
    rate: f64,
    load_seconds: f64,
    all_functions: bool,
    clean_build: bool,
    out: PathBuf,
    args: Vec<String>,
}

impl Options {
    fn parse(args: Vec<String>, root: &Path) -> Result<Options> {
        let mut options = Options {
            sections: SECTIONS.iter().map(|s| s.to_string()).collect(),
            runs: 5,
            warm: 20,
            lifecycles: 20,
            storm: 100,
            concurrency: 16,
            rate: 40.0,
            load_seconds: 60.0,
            all_functions: false,
            clean_build: false,
            out: root.join("docs"),
            args: args.clone(),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value =
                |name: &str| args.next().with_context(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--quick" => {
                    options.runs = 2;
                    options.warm = 5;
                    options.lifecycles = 3;
                    options.storm = 20;
                    options.concurrency = 8;
                    options.load_seconds = 10.0;
                }
                "--sections" => {
                    let sections = value("--sections")?;
                    options.sections = sections.split(',').map(str::to_string).collect();
                    if let Some(unknown) = options
                        .sections
                        .iter()
                        .find(|s| !SECTIONS.contains(&s.as_str()))
                    {
                        bail!("unknown section {unknown} (known: {})", SECTIONS.join(","));
                    }
                }
                "--runs" => options.runs = value("--runs")?.parse()?,
                "--warm" => options.warm = value("--warm")?.parse()?,
                "--lifecycles" => options.lifecycles = value("--lifecycles")?.parse()?,
                "--storm" => options.storm = value("--storm")?.parse()?,
                "--concurrency" => options.concurrency = value("--concurrency")?.parse()?,
                "--rate" => options.rate = value("--rate")?.parse()?,
                "--load-seconds" => options.load_seconds = value("--load-seconds")?.parse()?,
                "--all-functions" => options.all_functions = true,
                "--clean-build" => options.clean_build = true,
                "--out" => options.out = PathBuf::from(value("--out")?),
                other => {
                    bail!("unknown option {other}: see the top of xtask/src/bin/bench-suite.rs")
                }
            }
        }
        anyhow::ensure!(
            options.rate > 0.0 && options.load_seconds > 0.0,
            "rate and seconds must be positive"
        );
        Ok(options)
    }

    fn wants(&self, section: &str) -> bool {
        self.sections.iter().any(|s| s == section)
    }
}

/// Runs one section within `budget` (plus a grace period for it to wrap up what it measured)
/// and records how it went.
async fn section<T>(
    sections: &mut Vec<SectionRun>,
    name: &str,
    budget: Duration,
    work: impl Future<Output = Result<(T, bool)>>,
) -> Option<T> {
    println!("bench-suite: {name} (budget {} s)…", budget.as_secs());
    let started = Instant::now();
    let grace = Duration::from_secs(60);
    let (result, status, note) = match tokio::time::timeout(budget + grace, work).await {
        Ok(Ok((value, true))) => (Some(value), Status::Ok, None),
        Ok(Ok((value, false))) => (
            Some(value),
            Status::Partial,
            Some("stopped at its time budget: partial".to_string()),
        ),
        Ok(Err(err)) => {
            eprintln!("bench-suite: {name} failed: {err:#}");
            let first = format!("{err:#}")
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            (None, Status::Failed, Some(first.replace('|', "/")))
        }
        Err(_) => (
            None,
            Status::Failed,
            Some("killed at its time budget".to_string()),
        ),
    };
    let seconds = started.elapsed().as_secs_f64();
    println!("bench-suite: {name}: {status:?} in {seconds:.0} s");
    sections.push(SectionRun {
        name: name.to_string(),
        status,
        seconds,
        budget_seconds: budget.as_secs_f64(),
        note,
    });
    result
}

fn skipped(sections: &mut Vec<SectionRun>, name: &str, why: &str) {
    sections.push(SectionRun {
        name: name.to_string(),
        status: Status::Skipped,
        seconds: 0.0,
        budget_seconds: 0.0,
        note: Some(why.to_string()),
    });
}

/// bench/peers/install, bounded by `budget`.
async fn install_peers(root: &Path, budget: Duration) -> Result<((), bool)> {
    let mut child = tokio::process::Command::new(root.join("bench/peers/install"))
        .current_dir(root)
        .kill_on_drop(true)
        .spawn()
        .context("running bench/peers/install")?;
    match tokio::time::timeout(budget, child.wait()).await {
        Ok(status) => {
            anyhow::ensure!(
                status?.success(),
                "bench/peers/install failed: see .cache/bench-install.log"
            );
            Ok(((), true))
        }
        Err(_) => {
            let _ = child.kill().await;
            bail!("bench/peers/install did not finish within its budget")
        }
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::new().to_string().to_lowercase())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        return child_server::serve_main().await;
    }
    let root = worklane_devstack::repo_root();
    let options = Options::parse(args, &root)?;
    // The cargo that builds the functions honours CARGO_TARGET_DIR; so must the runs.
    let release = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("release");
    let started = Instant::now();
    let mut report = Report {
        generated_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        command: format!(
            "cargo run --release -p worklane-devstack --bin bench-suite{}",
            if options.args.is_empty() {
                String::new()
            } else {
                format!(" -- {}", options.args.join(" "))
            }
        ),
        machine: Machine::describe(&root),
        ..Default::default()
    };
    let mut sections = Vec::new();

    if options.wants("artifacts") {
        let budget = Duration::from_secs(25 * 60);
        let plan = artifacts::Plan {
            clean_build: options.clean_build,
            all_functions: options.all_functions,
        };
        let (root2, release2) = (root.clone(), release.clone());
        let deadline = Instant::now() + budget;
        report.artifacts = section(&mut sections, "artifacts", budget, async move {
            let built = tokio::task::spawn_blocking(move || {
                artifacts::run(&root2, &release2, &plan, deadline)
            })
            .await??;
            Ok((built, true))
        })
        .await;
    } else {
        skipped(&mut sections, "artifacts", "not asked for (--sections)");
    }

    let peers_ok = if options.wants("peers") {
        let budget = Duration::from_secs(20 * 60);
        section(&mut sections, "peers", budget, install_peers(&root, budget))
            .await
            .is_some()
    } else {
        skipped(
            &mut sections,
            "peers",
            "not asked for (--sections): installed peers are used as found",
        );
        true
    };
    if !peers_ok {
        println!(
            "bench-suite: the peers did not install; the cold-start section runs what it finds"
        );
    }

    let needs_services = ["cold", "trips", "latency", "load"]
        .iter()
        .any(|s| options.wants(s));
    let services = if needs_services {
        Some(LocalServices::start().await?)
    } else {
        None
    };

    if let (true, Some(services)) = (options.wants("cold"), &services) {
        let budget = Duration::from_secs(12 * 60);
        let plan = coldstart::Plan {
            runs: options.runs,
            warm: options.warm,
        };
        report.cold_start = section(&mut sections, "cold", budget, async {
            let stack = Stack::create(services, &unique("benchcold")).await?;
            coldstart::run(&root, &release, &stack, &plan, &Budget::new(budget)).await
        })
        .await;
    } else {
        skipped(&mut sections, "cold", "not asked for (--sections)");
    }

    let mut trips = BTreeMap::new();
    let mut trips_stack = None;
    if let (true, Some(services)) = (
        options.wants("trips") || options.wants("latency"),
        &services,
    ) {
        let budget = Duration::from_secs(5 * 60);
        let plan = roundtrips::Plan {
            plain_runs: if options.runs <= 2 { 1 } else { 3 },
            keyed_runs: 1,
        };
        let measured = section(&mut sections, "trips", budget, async {
            let stack = Stack::create(services, &unique("benchtrips")).await?;
            let (table, floors, complete) =
                roundtrips::run(&stack, &plan, &Budget::new(budget)).await?;
            Ok(((table, floors, stack), complete))
        })
        .await;
        if let Some((table, floors, stack)) = measured {
            report.round_trips = Some(table);
            trips = floors;
            trips_stack = Some(stack);
        }
    } else {
        skipped(&mut sections, "trips", "not asked for (--sections)");
    }

    let mut server = None;
    let mut leftovers = None;
    if let (true, Some(services)) = (options.wants("latency"), &services) {
        let budget = Duration::from_secs(10 * 60);
        let plan = latency::Plan {
            lifecycles: options.lifecycles,
            storm_freelancers: options.storm,
            storm_concurrency: options.concurrency,
        };
        let trips = &trips;
        let trips_stack = trips_stack.as_ref();
        let measured = section(&mut sections, "latency", budget, async {
            let budget = Budget::new(budget);
            let Some(stack) = trips_stack else {
                bail!("the floor is made of the round-trip section's calls, which failed");
            };
            // The floor's calls: every kind of DynamoDB call the steps made, on a plain client.
            let kinds: std::collections::BTreeSet<floor::Kind> = trips
                .values()
                .flatten()
                .filter_map(floor::Kind::of)
                .collect();
            let mut bare =
                floor::Floor::prepare(stack.app.store.client().clone(), stack.app.store.table())
                    .await?;
            let measured = bare.measure(kinds, 30).await?;
            let child = child_server::ChildServer::start(services, &unique("benchapi")).await?;
            let api = ApiClient::new(&child.base)?;
            let (table, left, complete) =
                latency::run(&api, &plan, trips, &measured, &budget).await?;
            Ok(((table, left, child, api), complete))
        })
        .await;
        if let Some((table, left, child, api)) = measured {
            report.latency = Some(table);
            leftovers = Some(left);
            server = Some((child, api));
        }
    } else {
        skipped(&mut sections, "latency", "not asked for (--sections)");
    }

    if options.wants("load") {
        match (&server, &leftovers) {
            (Some((child, api)), Some(left)) => {
                let budget = Duration::from_secs_f64(options.load_seconds + 90.0);
                let plan = load::Plan {
                    rate: options.rate,
                    seconds: options.load_seconds,
                };
                report.load = section(&mut sections, "load", budget, async {
                    let (Some(client), Some(freelancer)) = (&left.client, &left.freelancer) else {
                        bail!("the latency section left no users to load-test with");
                    };
                    let result = load::run(
                        api,
                        child.pid,
                        &plan,
                        &left.jobs,
                        &left.contracts,
                        client,
                        freelancer,
                    )
                    .await?;
                    Ok((result, true))
                })
                .await;
            }
            _ => skipped(
                &mut sections,
                "load",
                "needs the latency section's server and data (it did not run or failed)",
            ),
        }
    } else {
        skipped(&mut sections, "load", "not asked for (--sections)");
    }
    if let Some((child, _)) = server {
        child.stop().await;
    }
    drop(services);

    report.sections = sections;
    report.total_seconds = started.elapsed().as_secs_f64();
    report.machine.load_after = load_average();
    std::fs::create_dir_all(&options.out)?;
    let md = options.out.join("benchmarks.md");
    let json = options.out.join("benchmarks.json");
    // Measurements this suite does not make (packaging all functions for arm64 takes longer
    // than its whole budget) live below this marker, written by hand, and survive a rerun.
    const KEPT: &str = "<!-- measured outside bench-suite: kept when it rewrites this file -->";
    let kept = std::fs::read_to_string(&md)
        .ok()
        .and_then(|old| old.find(KEPT).map(|at| old[at..].to_string()));
    let mut markdown = report.to_markdown();
    if let Some(kept) = kept {
        markdown.push('\n');
        markdown.push_str(&kept);
    }
    std::fs::write(&md, markdown)?;
    std::fs::write(&json, serde_json::to_string_pretty(&report)? + "\n")?;
    println!(
        "bench-suite: wrote {} and {} in {:.0} s",
        md.display(),
        json.display(),
        report.total_seconds
    );
    Ok(())
}
