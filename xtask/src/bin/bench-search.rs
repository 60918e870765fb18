//! `bench-search`: job search figures on this machine (docs/search.md quotes them).
//!
//!     cargo run --release -p worklane-devstack --bin bench-search [-- JOBS]
//!
//! 1. Indexes JOBS (default 100 000) synthetic jobs with the real indexer (schema, documents,
//!    writer settings) and publishes them as a snapshot to the local S3 (moto).
//! 2. Loads that snapshot as the search function does and times a few hundred boolean
//!    queries with filters (p50 / p99).
//! 3. Measures the indexing lag through the whole local path: job + outbox in DynamoDB →
//!    stream → forwarder → EventBridge → SQS → indexer → S3 snapshot + pointer → searcher
//!    reload → findable.

use std::time::{Duration, Instant};
use worklane::domain::catalogue::{CATEGORIES, SKILLS};
use worklane::domain::ids::{JobId, UserId};
use worklane::domain::job::{Job, JobDraft};
use worklane::domain::job_search::{ClientFacts, FilterInput, JobFilters};
use worklane::domain::search_query::Query;
use worklane_devstack::services::LocalServices;
use worklane_devstack::stack::Stack;
use worklane_search::search::engine::{self, Indexer};
use worklane_search::search::{search, Ranking, SearchSpec};

/// xorshift64*: reproducible synthetic data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const ROLES: &[&str] = &[
    "developer",
    "engineer",
    "designer",
    "consultant",
    "writer",
    "analyst",
    "expert",
    "specialist",
    "architect",
    "assistant",
    "editor",
    "translator",
    "marketer",
];
const ADJECTIVES: &[&str] = &[
    "senior",
    "experienced",
    "junior",
    "freelance",
    "reliable",
    "creative",
    "remote",
    "dedicated",
    "skilled",
    "fast",
    "long-term",
    "part-time",
];
const PROJECTS: &[&str] = &[
    "web app",
    "mobile app",
    "REST API",
    "landing page",
    "data pipeline",
    "dashboard",
    "online store",
    "marketing campaign",
    "brand identity",
    "blog",
    "SaaS product",
    "internal tool",
    "chatbot",
    "payment integration",
    "migration",
    "audit",
    "e-commerce site",
];
const WORDS: &[&str] = &[
    "build",
    "improve",
    "maintain",
    "design",
    "migrate",
    "integrate",
    "test",
    "deploy",
    "optimize",
    "refactor",
    "document",
    "launch",
    "scale",
    "secure",
    "monitor",
    "automate",
    "our",
    "existing",
    "new",
    "customer",
    "team",
    "product",
    "platform",
    "service",
    "backend",
    "frontend",
    "database",
    "cloud",
    "serverless",
    "performance",
    "latency",
    "users",
    "traffic",
    "reports",
    "analytics",
    "checkout",
    "search",
    "notifications",
    "emails",
    "payments",
    "accessibility",
    "responsive",
    "layout",
    "brand",
    "content",
    "strategy",
    "growth",
    "leads",
    "conversion",
    "quality",
    "deadline",
    "weekly",
    "milestones",
    "budget",
    "startup",
    "agency",
    "enterprise",
    "nonprofit",
    "clinic",
    "restaurant",
    "school",
    "fintech",
    "healthcare",
    "logistics",
    "retail",
    "travel",
    "gaming",
    "music",
    "video",
    "photos",
    "maps",
    "billing",
    "invoices",
    "inventory",
    "orders",
    "shipping",
    "subscriptions",
    "onboarding",
    "support",
    "tickets",
    "chat",
    "realtime",
    "offline",
    "sync",
    "backup",
    "security",
    "compliance",
    "gdpr",
    "encryption",
    "authentication",
    "roles",
    "permissions",
    "api",
    "webhooks",
    "graphql",
    "microservices",
    "containers",
    "pipeline",
    "ci",
    "cd",
    "tests",
    "bugs",
];

fn synthetic_job(rng: &mut Rng, now: chrono::DateTime<chrono::Utc>) -> Job {
    let skills: Vec<&str> = {
        let mut picked: Vec<&str> = Vec::new();
        for _ in 0..1 + rng.below(5) {
            let skill = rng.pick(SKILLS);
            if !picked.contains(&skill) {
                picked.push(skill);
            }
        }
        picked
    };
    let title = format!(
        "{} {} {} for a {}",
        rng.pick(ADJECTIVES),
        skills[0].replace('-', " "),
        rng.pick(ROLES),
        rng.pick(PROJECTS)
    );
    let description: Vec<&str> = (0..30 + rng.below(60)).map(|_| rng.pick(WORDS)).collect();
    let experience = ["entry", "intermediate", "expert"][rng.below(3)];
    let mut body = serde_json::json!({
        "title": title,
        "description": format!("{}. {}.", title, description.join(" ")),
        "category": CATEGORIES[rng.below(CATEGORIES.len())].0,
        "skills": skills,
        "experience_level": experience,
        "duration": "1-3 months",
    });
    if rng.below(2) == 0 {
        body["type"] = "fixed".into();
        body["budget"] =
            serde_json::json!({"amount": format!("{}", 5 + rng.below(5000)), "currency": "USD"});
    } else {
        let min = 5 + rng.below(60);
        body["type"] = "hourly".into();
        body["hourly_rate"] = serde_json::json!({"min": format!("{min}"), "max": format!("{}", min + rng.below(80)), "currency": "USD"});
    }
    let draft: JobDraft = serde_json::from_value(body).expect("synthetic drafts deserialize");
    let content = draft.check().expect("synthetic drafts are valid");
    // Posted over the last 29 days, so every job is still open at `now`.
    let posted = now - chrono::Duration::seconds(rng.below(29 * 24 * 3600) as i64);
    Job::post(
        JobId::generate(posted),
        UserId::generate(posted),
        content,
        posted,
    )
}

fn synthetic_query(rng: &mut Rng) -> (String, JobFilters) {
    let [a, b, c, d] = [(); 4].map(|_| rng.pick(WORDS).to_string());
    let q = match rng.below(6) {
        0 => format!("{a} AND {b}"),
        1 => format!("{a} OR {b}"),
        2 => format!("\"{a} {b}\""),
        3 => format!("({a} OR {b}) -{c}"),
        4 => format!("{a} {b} NOT {c}"),
        _ => format!("({a} OR {b}) AND ({c} OR {d})"),
    };
    let mut input = FilterInput::default();
    match rng.below(5) {
        0 => input.category = Some(CATEGORIES[rng.below(CATEGORIES.len())].0.to_string()),
        1 => input.skills = vec![rng.pick(SKILLS).to_string()],
        2 => {
            input.budget_min = Some("100".into());
            input.budget_max = Some(format!("{}", 200 + rng.below(3000)));
        }
        3 => input.posted_within = Some(worklane::domain::job_search::PostedWithin::Week),
        _ => {}
    }
    (q, input.check().expect("synthetic filters are valid"))
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let jobs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let services = LocalServices::start().await?;
    let prefix = format!("bench{}", ulid::Ulid::new().to_string().to_lowercase());
    let stack = Stack::create(&services, &prefix).await?;
    let app = &stack.app;
    let now = chrono::Utc::now();
    let mut rng = Rng(0x5eed_cafe);

    // 1. Indexing throughput, through the indexer the worker uses.
    let generated: Vec<Job> = (0..jobs).map(|_| synthetic_job(&mut rng, now)).collect();
    let mut guard = engine::indexer(app).await?;
    let indexer: &mut Indexer = guard.indexer();
    let started = Instant::now();
    for job in &generated {
        let client = ClientFacts {
            payment_verified: rng.below(2) == 0,
            hires: rng.below(20) as u64,
            total_spent_cents: rng.below(5_000_000) as i64,
        };
        indexer.upsert(job, &client)?;
    }
    indexer.commit()?;
    let indexing = started.elapsed();
    let size = dir_size(indexer.dir());
    let started = Instant::now();
    indexer.upsert(&generated[0], &ClientFacts::default())?;
    let generation = indexer.publish(app, now).await?;
    let publishing = started.elapsed();
    drop(guard);
    println!("jobs indexed:        {jobs}");
    println!(
        "indexing:            {:.2} s  ({:.0} jobs/s, one thread, commit included)",
        indexing.as_secs_f64(),
        jobs as f64 / indexing.as_secs_f64()
    );
    println!(
        "index size:          {:.1} MiB  ({:.0} bytes/job)",
        size as f64 / 1048576.0,
        size as f64 / jobs as f64
    );
    println!("first publish:       {:.2} s  (merge + upload to S3 + manifest + pointer, generation {generation:?})", publishing.as_secs_f64());

    // 2. Query latency on the searcher's copy, loaded from the snapshot like job-search does.
    let started = Instant::now();
    let searcher = engine::searcher(app)
        .await?
        .expect("a snapshot was published");
    println!(
        "snapshot load:       {:.2} s  (cold: download every file)",
        started.elapsed().as_secs_f64()
    );
    let mut latencies = Vec::new();
    let mut hits_total = 0usize;
    for _ in 0..400 {
        let (q, filters) = synthetic_query(&mut rng);
        let query = Query::parse(&q).expect("synthetic queries parse");
        let started = Instant::now();
        let hits = search(
            &engine::SCHEMA,
            &searcher,
            SearchSpec {
                matching: Some(engine::SCHEMA.keyword_query(&query)),
                filters: &filters,
                ranking: Ranking::Score,
                as_of: now,
                limit: 20,
                after: None,
                stats: None,
            },
        )?;
        latencies.push(started.elapsed());
        hits_total += hits.ids.len();
    }
    latencies.sort();
    println!(
        "query latency:       p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms  (400 boolean queries with filters, top 20; {:.1} hits/page avg)",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        hits_total as f64 / 400.0
    );

    // 3. Lag from a posted job to a findable one, through the real event path.
    let mut lags = Vec::new();
    for i in 0..5 {
        let mut job = synthetic_job(&mut rng, chrono::Utc::now());
        job.title = format!("Benchmark marker job zq{i}x");
        let posted = Instant::now();
        app.store.create_job(&job, chrono::Utc::now()).await?;
        let q = Query::parse(&format!("zq{i}x"))?;
        loop {
            stack.pump.settle().await?;
            let searcher = engine::searcher(app).await?.expect("published");
            let hits = search(
                &engine::SCHEMA,
                &searcher,
                SearchSpec {
                    matching: Some(engine::SCHEMA.keyword_query(&q)),
                    filters: &JobFilters::default(),
                    ranking: Ranking::Score,
                    as_of: chrono::Utc::now(),
                    limit: 1,
                    after: None,
                    stats: None,
                },
            )?;
            if !hits.ids.is_empty() {
                break;
            }
        }
        lags.push(posted.elapsed());
    }
    lags.sort();
    println!(
        "indexing lag:        median {:.0} ms, max {:.0} ms  (5 jobs: outbox → stream → bus → SQS → indexer → S3 snapshot → reload; local stack, index of {jobs})",
        percentile(&lags, 0.5).as_secs_f64() * 1e3,
        lags.last().unwrap().as_secs_f64() * 1e3
    );
    Ok(())
}
