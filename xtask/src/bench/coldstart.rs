//! Cold start, ours vs peers: each runtime is started from nothing under the Lambda Runtime API
//! emulator, against the same DynamoDB Local table, and timed from exec to its first `next`
//! (init), through its first invocation, and over warm invocations; its peak resident memory is
//! read from `/proc` before it is stopped.

use super::inproc::{fixed_contract, test_card, unique_email, InProc, Party, PASSWORD};
use super::report::{ColdStart, HandlerRuns, RuntimeRuns};
use super::stats::Summary;
use super::sys::process_kib;
use super::Budget;
use crate::runtime_api::{Outcome, RuntimeApi};
use crate::stack::Stack;
use anyhow::{anyhow, bail, Context, Result};
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use worklane::domain::account::Role;

/// How one runtime is started: the program, its arguments and working directory.
#[derive(Clone, Debug)]
pub struct Runner {
    pub key: &'static str,
    pub label: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
}

/// What one cold start measured.
#[derive(Debug, Default)]
struct Sample {
    init_ms: Option<f64>,
    first_ms: Option<f64>,
    warm_ms: Vec<f64>,
    peak_kib: Option<u64>,
    errors: usize,
    first_error: Option<String>,
}

impl Sample {
    fn failed(&mut self, error: String) {
        self.errors += 1;
        self.first_error.get_or_insert(error);
    }
}

/// The handler's verdict on one answer: API Gateway responses must be 2xx.
fn check(outcome: Result<Outcome, String>) -> Result<(), String> {
    match outcome {
        Ok(Outcome::Response(value)) => match value["statusCode"].as_u64() {
            Some(200..=299) => Ok(()),
            _ => Err(format!("answered {}", truncate(&value.to_string()))),
        },
        Ok(Outcome::Error(value)) => Err(format!("reported {}", truncate(&value.to_string()))),
        Err(err) => Err(err),
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(300).collect()
}

fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1000.0
}

/// Starts `runner`, waits for its first `next`, invokes it with each event in turn, reads its
/// peak RSS and stops it.
async fn cold_start(
    runner: &Runner,
    common_env: &[(String, String)],
    events: Vec<Value>,
    log: &Path,
) -> Result<Sample> {
    let runtime = RuntimeApi::start().await?;
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let mut command = tokio::process::Command::new(&runner.program);
    command
        .args(&runner.args)
        .current_dir(&runner.dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common_env.iter().cloned())
        .envs(runner.env.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", runtime.endpoint())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", runner.program.display()))?;
    let pid = child.id().ok_or_else(|| anyhow!("no pid"))?;
    let mut sample = Sample::default();
    let first_poll = loop {
        if let Some(at) = runtime.first_poll().await {
            break at;
        }
        if let Some(status) = child.try_wait()? {
            bail!(
                "{} exited during init ({status}); init error: {:?}; see {}",
                runner.label,
                runtime.init_error().await,
                log.display()
            );
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("{} did not ask for work within 60 s", runner.label);
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    };
    sample.init_ms = Some(ms(first_poll - started));
    for (i, event) in events.into_iter().enumerate() {
        let invoked = Instant::now();
        let outcome = runtime.invoke(event, Duration::from_secs(30)).await;
        let elapsed = ms(invoked.elapsed());
        match check(outcome) {
            Ok(()) if i == 0 => sample.first_ms = Some(elapsed),
            Ok(()) => sample.warm_ms.push(elapsed),
            Err(err) => sample.failed(err),
        }
    }
    sample.peak_kib = process_kib(pid, "VmHWM");
    let _ = child.kill().await;
    Ok(sample)
}

/// The runtimes to compare, ours first; a peer whose install is missing is left out with a note.
pub fn runners(root: &Path, release: &Path, notes: &mut Vec<String>) -> Vec<(Runner, Runner)> {
    let cache = root.join(".cache");
    let ours = |binary: &str| Runner {
        key: "rust",
        label: "Rust (ours)".into(),
        program: release.join(binary),
        args: vec![],
        dir: root.to_path_buf(),
        env: vec![
            ("RUST_LOG".into(), "warn".into()),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), binary.into()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME".into(),
                format!("/aws/lambda/{binary}"),
            ),
        ],
    };
    // The functions tune glibc's malloc at start (worklane::lambda::tune_allocator: a fixed
    // mmap threshold and one arena) unless the environment sets glibc's own knobs. So the
    // same binaries measure the allocator before and after: with a tunable at its default
    // value (glibc as it comes), and with the threshold alone (arenas as they come).
    let variant = |binary: &str, key: &'static str, label: &str, env: (&str, &str)| {
        let mut runner = ours(binary);
        runner.key = key;
        runner.label = format!("Rust (ours), {label}");
        runner.env.push((env.0.into(), env.1.into()));
        runner
    };
    let glibc_defaults = |binary: &str| {
        variant(
            binary,
            "rust-glibc",
            "glibc defaults (GLIBC_TUNABLES=glibc.malloc.perturb=0)",
            ("GLIBC_TUNABLES", "glibc.malloc.perturb=0"),
        )
    };
    let threshold_only = |binary: &str| {
        variant(
            binary,
            "rust-mmap",
            "threshold only (MALLOC_MMAP_THRESHOLD_=131072)",
            ("MALLOC_MMAP_THRESHOLD_", "131072"),
        )
    };
    let mut pairs = vec![
        (ours("auth"), ours("escrow")),
        (glibc_defaults("auth"), glibc_defaults("escrow")),
        (threshold_only("auth"), threshold_only("escrow")),
    ];
    let python = cache.join("bench-venv/bin/python");
    if python.exists() {
        let peer = |module: &str| Runner {
            key: "python",
            label: format!(
                "Python {} + boto3 (awslambdaric)",
                super::sys::first_line(&python.to_string_lossy(), &["--version"])
                    .unwrap_or_default()
                    .trim_start_matches("Python ")
            ),
            program: python.clone(),
            args: vec![
                "-m".into(),
                "awslambdaric".into(),
                format!("{module}.handler"),
            ],
            dir: root.join("bench/peers/python"),
            env: vec![
                ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
                (
                    "AWS_LAMBDA_FUNCTION_NAME".into(),
                    format!("{module}-python"),
                ),
            ],
        };
        pairs.push((peer("signup"), peer("fund")));
    } else {
        notes.push("Python peer not installed (bench/peers/install failed?): left out.".into());
    }
    let modules = cache.join("bench-node/node_modules");
    if modules.join("@aws-sdk/client-dynamodb").exists() {
        let ric = modules.join("aws-lambda-ric/bin/index.mjs");
        let with_ric = modules
            .join("aws-lambda-ric/dist/rapid-client.node")
            .exists();
        if !with_ric {
            notes.push(
                "Node peer: aws-lambda-ric did not build on this machine, so it runs under \
                 bench/peers/node/runtime.cjs, a minimal Runtime API loop over one kept-alive \
                 connection (lighter than aws-lambda-ric, so if anything in the peer's favour)."
                    .into(),
            );
        }
        let node_version = super::sys::first_line("node", &["--version"]).unwrap_or_default();
        let peer = |module: &str| Runner {
            key: "node",
            label: format!(
                "Node {} + AWS SDK v3 ({})",
                node_version.trim_start_matches('v'),
                if with_ric {
                    "aws-lambda-ric"
                } else {
                    "minimal runtime loop"
                }
            ),
            program: PathBuf::from("node"),
            args: if with_ric {
                vec![
                    ric.to_string_lossy().to_string(),
                    format!("{module}.handler"),
                ]
            } else {
                vec!["runtime.cjs".into(), format!("{module}.handler")]
            },
            dir: root.join("bench/peers/node"),
            env: vec![
                ("NODE_PATH".into(), modules.to_string_lossy().to_string()),
                ("NODE_ENV".into(), "production".into()),
                ("AWS_LAMBDA_FUNCTION_NAME".into(), format!("{module}-node")),
            ],
        };
        pairs.push((peer("signup"), peer("fund")));
    } else {
        notes.push(
            "Node peer not installed (no npm, or bench/peers/install failed): left out.".into(),
        );
    }
    pairs
}

/// The Lambda environment every runtime gets: the same table, keys, endpoints and credentials.
fn common_env(stack: &Stack, fee_rate: &str) -> Vec<(String, String)> {
    let config = &stack.app.config;
    let pairs = [
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "local"),
        ("TABLE_NAME", config.table.as_deref().unwrap_or_default()),
        ("BUCKET_NAME", config.bucket.as_deref().unwrap_or_default()),
        (
            "EVENT_BUS_NAME",
            config.event_bus.as_deref().unwrap_or_default(),
        ),
        (
            "JWT_SIGNING_KEYS",
            config.signing_keys.as_deref().unwrap_or_default(),
        ),
        ("WORKLANE_MAILER", "dev-mailbox"),
        ("WORKLANE_PAYMENTS", "sandbox"),
        ("CLIENT_FEE_RATE", fee_rate),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        (
            "AWS_ENDPOINT_URL_DYNAMODB",
            stack.endpoints.dynamodb.as_str(),
        ),
        ("AWS_ENDPOINT_URL", stack.endpoints.moto.as_str()),
        ("AWS_ENDPOINT_URL_S3", stack.endpoints.moto.as_str()),
    ];
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sample_event(root: &Path, name: &str) -> Result<Value> {
    let path = root.join(format!("infra/events/{name}.json"));
    Ok(serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
    )?)
}

fn signup_event(template: &Value, tag: &str) -> Value {
    let mut event = template.clone();
    let body = json!({"email": unique_email(tag), "password": PASSWORD,
        "name": "Cold Start", "roles": ["client"]});
    event["body"] = json!(body.to_string());
    event["requestContext"]["requestId"] = json!(ulid::Ulid::new().to_string());
    event
}

fn fund_event(template: &Value, milestone: &str, token: &str) -> Value {
    let mut event = template.clone();
    let path = format!("/v1/milestones/{milestone}/fund");
    event["routeKey"] = json!("POST /v1/milestones/{id}/fund");
    event["rawPath"] = json!(path);
    event["requestContext"]["routeKey"] = json!("POST /v1/milestones/{id}/fund");
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["requestId"] = json!(ulid::Ulid::new().to_string());
    event["pathParameters"] = json!({ "id": milestone });
    event["headers"]["authorization"] = json!(format!("Bearer {token}"));
    event["body"] = json!("{}");
    event
}

/// Milestones per contract: a contract takes at most 200 amendments (PRODUCT §7).
const MILESTONES_PER_CONTRACT: usize = 150;

/// A client with a card and running contracts with `count` unfunded milestones of $250 in all.
async fn seed_milestones(api: &InProc, count: usize) -> Result<(Party, VecDeque<String>)> {
    let now = Utc::now();
    let client = api.signed_up("cold-client", Role::Client, now).await?;
    let freelancer = api
        .signed_up("cold-freelancer", Role::Freelancer, now)
        .await?;
    api.post("/v1/me/billing-methods", &client.token, &test_card(), now)
        .await
        .expect(201, "card")?;
    let body =
        json!({"description": "cold start", "amount": {"amount": "250.00", "currency": "USD"}});
    let mut milestones = VecDeque::new();
    while milestones.len() < count {
        // Tokens live 15 minutes; seeding hundreds of milestones on a busy machine takes a while.
        let (mut client, mut freelancer) = (client.clone(), freelancer.clone());
        client.at(api, Utc::now());
        freelancer.at(api, Utc::now());
        let (contract, first) = fixed_contract(api, &client, &freelancer, Utc::now()).await?;
        milestones.push_back(first);
        for _ in 1..MILESTONES_PER_CONTRACT.min(count - milestones.len() + 1) {
            let added = api
                .post(
                    &format!("/v1/contracts/{contract}/milestones"),
                    client.at(api, Utc::now()),
                    &body,
                    Utc::now(),
                )
                .await
                .expect(201, "milestone")?;
            milestones.push_back(super::inproc::text(&added, "id")?);
        }
    }
    Ok((client, milestones))
}

pub struct Plan {
    pub runs: usize,
    pub warm: usize,
}

/// Runs the section: `runs` cold starts per runtime and handler, interleaved (ours, Python,
/// Node, ours, …) so that a change in the machine's load hits every runtime alike.
pub async fn run(
    root: &Path,
    release: &Path,
    stack: &Stack,
    plan: &Plan,
    budget: &Budget,
) -> Result<(ColdStart, bool)> {
    let mut notes = Vec::new();
    let runners = runners(root, release, &mut notes);
    for (signup, fund) in runners.iter().filter(|(r, _)| r.key.starts_with("rust")) {
        for binary in [&signup.program, &fund.program] {
            if !binary.exists() {
                bail!("{} is not built", binary.display());
            }
        }
    }
    let api = InProc::new(stack.app.clone());
    let fee_rate = worklane::domain::fees::FeeCatalogue::standard()
        .in_force(Utc::now())
        .client_fee_rate
        .to_string();
    let env = common_env(stack, &fee_rate);
    let logs = root.join(".cache/bench-logs");
    // Each run's stderr only.
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs)?;
    let per_runtime = plan.runs * (1 + plan.warm);
    let (client, mut milestones) = seed_milestones(&api, per_runtime * runners.len()).await?;
    let auth = sample_event(root, "auth")?;
    let escrow = sample_event(root, "escrow")?;

    let mut complete = true;
    let mut samples: Vec<[Vec<Sample>; 2]> = runners.iter().map(|_| [vec![], vec![]]).collect();
    'runs: for run in 0..plan.runs {
        for (handler, which) in ["signup", "fund"].iter().enumerate() {
            for (r, pair) in runners.iter().enumerate() {
                if budget.expired() {
                    complete = false;
                    notes.push(format!(
                        "Stopped at the time budget after {run} of {} runs.",
                        plan.runs
                    ));
                    break 'runs;
                }
                let runner = if handler == 0 { &pair.0 } else { &pair.1 };
                let events: Vec<Value> = (0..=plan.warm)
                    .map(|_| match handler {
                        0 => signup_event(&auth, &format!("cold-{}", runner.key)),
                        _ => {
                            let milestone = milestones.pop_front().unwrap_or_default();
                            let mut client = client.clone();
                            fund_event(&escrow, &milestone, client.at(&api, Utc::now()))
                        }
                    })
                    .collect();
                let log = logs.join(format!("{}-{which}.log", runner.key));
                let sample = match cold_start(runner, &env, events, &log).await {
                    Ok(sample) => sample,
                    Err(err) => {
                        let mut sample = Sample::default();
                        sample.failed(format!("{err:#}"));
                        sample
                    }
                };
                samples[r][handler].push(sample);
            }
        }
    }

    let describe = [
        "POST /v1/auth/signup (a client): validate, argon2id hash (19 MiB, 2 passes, 1 lane), \
         one TransactWriteItems[3] (login identity, user, outbox event; each conditional). The \
         peers use the same argon2id parameters (argon2-cffi in Python, the argon2 package in \
         Node: the reference C implementation; ours is the pure-Rust RustCrypto one).",
        "POST /v1/milestones/{id}/fund: verify the HS256 access token, BatchGetItem[2] (milestone \
         + client ledger account), GetItem ×2 (default billing method pointer, then the method), \
         the sandbox charge (no I/O), one TransactWriteItems[10] (milestone on its version, \
         contract still active, 3 transfers, 4 ledger accounts, outbox event). The peers make \
         the same calls with the same keys and conditions; their items carry the same fields \
         but are built by hand.",
    ];
    let handlers = ["signup (auth)", "fund milestone (escrow)"]
        .iter()
        .enumerate()
        .map(|(h, name)| HandlerRuns {
            handler: name.to_string(),
            description: describe[h].to_string(),
            runtimes: runners
                .iter()
                .enumerate()
                .map(|(r, pair)| {
                    let runner = if h == 0 { &pair.0 } else { &pair.1 };
                    summarize(runner, &samples[r][h])
                })
                .collect(),
        })
        .collect();
    notes.push(
        "Our functions open their DynamoDB connection during init (`App::warm`); the peers, \
         written as Python and Node Lambdas usually are, build their client at import and \
         connect on the first call. Compare the *cold* column (init + first) for the total."
            .into(),
    );
    notes.push(
        "Peak RSS of our signup: argon2id allocates 19 MiB per hash (login verifies with the \
         same 19 MiB). With glibc's defaults (the glibc-defaults row), the first free raises the \
         mmap threshold, later blocks come from the heap arenas of the runtime's threads and \
         stay resident after use, so the peak grows to a few blocks. A fixed threshold keeps \
         every block mmapped and returned (the threshold-only row); the functions also keep \
         one arena (the first row: what they do as deployed, set in code by \
         `worklane::lambda::tune_allocator`)."
            .into(),
    );
    notes.push(
        "Stderr of every process: .cache/bench-logs/. No memory limit is enforced \
         (AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 is only advertised)."
            .into(),
    );
    Ok((
        ColdStart {
            runs: plan.runs,
            warm_per_run: plan.warm,
            handlers,
            notes,
        },
        complete,
    ))
}

fn summarize(runner: &Runner, samples: &[Sample]) -> RuntimeRuns {
    let collect =
        |f: &dyn Fn(&Sample) -> Option<f64>| -> Vec<f64> { samples.iter().filter_map(f).collect() };
    let init = collect(&|s| s.init_ms);
    let first = collect(&|s| s.first_ms);
    let cold = collect(&|s| Some(s.init_ms? + s.first_ms?));
    let warm: Vec<f64> = samples.iter().flat_map(|s| s.warm_ms.clone()).collect();
    let rss = collect(&|s| s.peak_kib.map(|k| k as f64 / 1024.0));
    RuntimeRuns {
        key: runner.key.to_string(),
        label: runner.label.clone(),
        runs: samples.len(),
        init_ms: Summary::of(&init),
        first_ms: Summary::of(&first),
        cold_ms: Summary::of(&cold),
        warm_ms: Summary::of(&warm),
        peak_rss_mib: Summary::of(&rss),
        errors: samples.iter().map(|s| s.errors).sum(),
        first_error: samples.iter().find_map(|s| s.first_error.clone()),
    }
}
