//! The suite's results: one serialisable report (docs/benchmarks.json) and its Markdown
//! rendering (docs/benchmarks.md). Rendering is pure, so it is unit-tested.

use super::stats::{ratio, Summary};
use super::sys::Machine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Report {
    pub generated_at: String,
    pub command: String,
    pub total_seconds: f64,
    pub machine: Machine,
    pub sections: Vec<SectionRun>,
    pub cold_start: Option<ColdStart>,
    pub round_trips: Option<RoundTrips>,
    pub latency: Option<Latency>,
    pub load: Option<LoadTest>,
    pub artifacts: Option<Artifacts>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// Stopped at its time budget: what it measured until then is reported.
    Partial,
    Skipped,
    Failed,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SectionRun {
    pub name: String,
    pub status: Status,
    pub seconds: f64,
    pub budget_seconds: f64,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ColdStart {
    pub runs: usize,
    pub warm_per_run: usize,
    pub handlers: Vec<HandlerRuns>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HandlerRuns {
    pub handler: String,
    pub description: String,
    pub runtimes: Vec<RuntimeRuns>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RuntimeRuns {
    /// `rust`, `python`, `node`: the first is what the others are compared with.
    pub key: String,
    pub label: String,
    pub runs: usize,
    pub init_ms: Option<Summary>,
    pub first_ms: Option<Summary>,
    /// Init plus first invocation: what the first caller after a cold start waits for.
    pub cold_ms: Option<Summary>,
    pub warm_ms: Option<Summary>,
    pub peak_rss_mib: Option<Summary>,
    pub errors: usize,
    pub first_error: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RoundTrips {
    pub steps: Vec<StepTrips>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StepTrips {
    pub step: String,
    pub actor: String,
    pub runs: usize,
    /// Per request, averaged over the runs.
    pub reads: f64,
    pub transactions: f64,
    pub writes: f64,
    pub other_services: f64,
    /// The calls of one run (`BatchGetItem[2], TransactWriteItems[10]`).
    pub calls: String,
    /// Whether the runs did not all make the same calls.
    pub varied: bool,
    /// The calls with an `Idempotency-Key` header, when measured.
    pub keyed_calls: Option<String>,
    pub over_budget: bool,
    pub explanation: Option<String>,
    /// Time inside the DynamoDB/AWS calls, median over the runs (in-process, no HTTP).
    pub aws_ms_p50: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Latency {
    pub mode: String,
    pub lifecycles: usize,
    pub steps: Vec<StepLatency>,
    pub storm: Option<Storm>,
    pub floor: Vec<FloorOp>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StepLatency {
    pub step: String,
    pub latency_ms: Summary,
    pub calls: String,
    /// The same DynamoDB calls made bare (p50 each, added up): the local physical limit.
    pub floor_ms: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Storm {
    pub proposals: usize,
    pub concurrency: usize,
    pub wall_seconds: f64,
    pub per_second: f64,
    pub latency_ms: Option<Summary>,
    pub errors: usize,
    pub floor_ms: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FloorOp {
    pub op: String,
    pub latency_ms: Summary,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LoadTest {
    pub rate_per_second: f64,
    pub seconds: f64,
    pub mix: String,
    pub sent: usize,
    pub ok: usize,
    pub errors: usize,
    pub error_kinds: BTreeMap<String, usize>,
    /// Requests that could not start on time because too many were in flight.
    pub late: usize,
    pub achieved_per_second: f64,
    pub latency_ms: Option<Summary>,
    /// (seconds since the start, resident MiB) of the server process.
    pub rss_mib: Vec<(f64, f64)>,
    pub rss_slope_mib_per_minute: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Artifacts {
    pub profile: String,
    pub builds: Vec<BuildStep>,
    pub functions: Vec<FunctionArtifact>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BuildStep {
    pub what: String,
    pub seconds: f64,
    pub outcome: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FunctionArtifact {
    pub name: String,
    pub binary_bytes: u64,
    pub zip_bytes: u64,
    /// `this run`, or when it was built (an earlier build of the same profile).
    pub built: String,
}

/// `0.42`, `12.3`, `1234`: milliseconds with the precision that matters at their size.
pub fn ms(value: f64) -> String {
    if value < 1.0 {
        format!("{value:.2}")
    } else if value < 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

fn opt_ms(summary: Option<&Summary>, pick: fn(&Summary) -> f64) -> String {
    summary.map(|s| ms(pick(s))).unwrap_or_else(|| "–".into())
}

/// `×12.3` (peer over ours), `–` when either is missing.
pub fn times(peer: Option<f64>, ours: Option<f64>) -> String {
    match (peer, ours) {
        (Some(peer), Some(ours)) => ratio(peer, ours)
            .map(|r| format!("×{r:.1}"))
            .unwrap_or_else(|| "–".into()),
        _ => "–".into(),
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
}

impl Report {
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Worklane benchmarks\n");
        let _ = writeln!(
            out,
            "Generated by `{}` on {} in {:.0} s. Machine-readable: [benchmarks.json](benchmarks.json). \
             Every figure below was measured in that one run, on the machine described at the end; \
             DynamoDB Local (Java), moto and the processes measured share its cores, so read \
             latencies as relative (ours against a peer, a step against its DynamoDB floor), and \
             round trips as exact.\n",
            self.command, self.generated_at, self.total_seconds
        );
        self.sections_md(&mut out);
        if let Some(cold) = &self.cold_start {
            cold.render(&mut out);
        }
        if let Some(trips) = &self.round_trips {
            trips.render(&mut out);
        }
        if let Some(latency) = &self.latency {
            latency.render(&mut out);
        }
        if let Some(load) = &self.load {
            load.render(&mut out);
        }
        if let Some(artifacts) = &self.artifacts {
            artifacts.render(&mut out);
        }
        self.machine_md(&mut out);
        out
    }

    fn sections_md(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "| section | status | time | budget | note |\n|---|---|---|---|---|"
        );
        for s in &self.sections {
            let _ = writeln!(
                out,
                "| {} | {:?} | {:.0} s | {:.0} s | {} |",
                s.name,
                s.status,
                s.seconds,
                s.budget_seconds,
                s.note.as_deref().unwrap_or("")
            );
        }
        out.push('\n');
    }

    fn machine_md(&self, out: &mut String) {
        let m = &self.machine;
        let _ = writeln!(out, "## Machine\n");
        let _ = writeln!(
            out,
            "{} cores ({}), {:.1} GiB memory, Linux {}. Load average (1 min) {} before the run, {} after.\n",
            m.cores,
            m.cpu,
            m.memory_gib,
            m.kernel,
            m.load_before.map_or("?".into(), |l| format!("{l:.2}")),
            m.load_after.map_or("?".into(), |l| format!("{l:.2}")),
        );
        let _ = writeln!(out, "| tool | version |\n|---|---|");
        for (tool, version) in &m.versions {
            let _ = writeln!(out, "| {tool} | {version} |");
        }
    }
}

impl ColdStart {
    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "## Cold start: ours vs peers\n");
        let _ = writeln!(
            out,
            "Each runtime started {} times from nothing under the Lambda Runtime API emulator \
             (xtask/src/runtime_api.rs), against the same DynamoDB Local table; each start then \
             served {} warm invocations. *init*: exec → first `next` request; *first*: the first \
             invocation; *cold*: init + first (what the first caller waits for); *warm*: every \
             later invocation; *peak RSS*: `VmHWM` before the process exits. Ratios are peer ÷ \
             ours on the p50 (×10 = ten times slower or bigger than ours).\n",
            self.runs, self.warm_per_run
        );
        for handler in &self.handlers {
            let _ = writeln!(out, "### {}\n\n{}\n", handler.handler, handler.description);
            let _ = writeln!(
                out,
                "| runtime | init p50 | first p50 | cold p50 (p99) | warm p50 (p99) | peak RSS | errors | init × | first × | cold × | warm × | RSS × |\n\
                 |---|---|---|---|---|---|---|---|---|---|---|---|"
            );
            let ours = handler.runtimes.first();
            let pick = |r: Option<&RuntimeRuns>, f: fn(&RuntimeRuns) -> Option<&Summary>| {
                r.and_then(f).map(|s| s.p50)
            };
            for r in &handler.runtimes {
                let is_ours = ours.map(|o| o.key == r.key).unwrap_or(false);
                let vs = |f: fn(&RuntimeRuns) -> Option<&Summary>| {
                    if is_ours {
                        "1".to_string()
                    } else {
                        times(pick(Some(r), f), pick(ours, f))
                    }
                };
                let _ = writeln!(
                    out,
                    "| {} | {} ms | {} ms | {} ms ({}) | {} ms ({}) | {} MiB | {} | {} | {} | {} | {} | {} |",
                    r.label,
                    opt_ms(r.init_ms.as_ref(), |s| s.p50),
                    opt_ms(r.first_ms.as_ref(), |s| s.p50),
                    opt_ms(r.cold_ms.as_ref(), |s| s.p50),
                    opt_ms(r.cold_ms.as_ref(), |s| s.p99),
                    opt_ms(r.warm_ms.as_ref(), |s| s.p50),
                    opt_ms(r.warm_ms.as_ref(), |s| s.p99),
                    r.peak_rss_mib
                        .as_ref()
                        .map_or("–".into(), |s| format!("{:.1}", s.max)),
                    r.errors,
                    vs(|r| r.init_ms.as_ref()),
                    vs(|r| r.first_ms.as_ref()),
                    vs(|r| r.cold_ms.as_ref()),
                    vs(|r| r.warm_ms.as_ref()),
                    if is_ours {
                        "1".to_string()
                    } else {
                        times(
                            r.peak_rss_mib.as_ref().map(|s| s.max),
                            ours.and_then(|o| o.peak_rss_mib.as_ref()).map(|s| s.max),
                        )
                    },
                );
            }
            for r in handler.runtimes.iter().filter(|r| r.first_error.is_some()) {
                let _ = writeln!(
                    out,
                    "\n{} failed {} of its invocations; the first: `{}`",
                    r.label,
                    r.errors,
                    r.first_error.as_deref().unwrap_or_default()
                );
            }
            out.push('\n');
        }
        notes(out, &self.notes);
    }
}

fn notes(out: &mut String, notes: &[String]) {
    for note in notes {
        let _ = writeln!(out, "- {note}");
    }
    if !notes.is_empty() {
        out.push('\n');
    }
}

fn per_request(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

impl RoundTrips {
    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "## Round trips per workflow step\n");
        let _ = writeln!(
            out,
            "Every request attempt the handler's AWS clients make, counted by an SDK interceptor \
             (xtask/src/bench/counting.rs), with the handlers run in-process exactly as the \
             Lambda runs them. Budget: at most 1 read round trip and 1 transaction (or single \
             write) per step; steps over it are flagged **over** and explained below the table. \
             `[n]` is the items of a transaction or the keys of a batch.\n"
        );
        let _ = writeln!(
            out,
            "| step | by | reads | transactions | other writes | S3/SQS/EventBridge | calls | with Idempotency-Key | AWS time p50 | budget |\n\
             |---|---|---|---|---|---|---|---|---|---|"
        );
        for s in &self.steps {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {}{} | {} | {} ms | {} |",
                s.step,
                s.actor,
                per_request(s.reads),
                per_request(s.transactions),
                per_request(s.writes),
                per_request(s.other_services),
                s.calls,
                if s.varied { " (varied)" } else { "" },
                s.keyed_calls.as_deref().unwrap_or("–"),
                ms(s.aws_ms_p50),
                if s.over_budget { "**over**" } else { "ok" }
            );
        }
        out.push('\n');
        let over: Vec<&StepTrips> = self.steps.iter().filter(|s| s.over_budget).collect();
        if over.is_empty() {
            let _ = writeln!(out, "Every step is within the budget.\n");
        } else {
            let _ = writeln!(out, "Steps over the budget:\n");
            for s in over {
                let _ = writeln!(
                    out,
                    "- **{}** ({}): {}",
                    s.step,
                    s.calls,
                    s.explanation
                        .as_deref()
                        .unwrap_or("not explained yet: look into it")
                );
            }
            out.push('\n');
        }
        notes(out, &self.notes);
    }
}

impl Latency {
    fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "## Latency through the local API vs the DynamoDB floor\n"
        );
        let _ = writeln!(out, "{}\n", self.mode);
        let _ = writeln!(
            out,
            "Full fixed-price lifecycle, {} times. *floor*: the step's DynamoDB calls (from the \
             round-trip table) made bare on DynamoDB Local with a plain SDK client, p50 of each \
             added up — what no implementation on this stack can beat. *over floor*: p50 − floor, \
             the cost of HTTP, routing, JSON, tokens, hashing and our code.\n",
            self.lifecycles
        );
        let _ = writeln!(
            out,
            "| step | n | p50 | p99 | max | DynamoDB calls | floor | over floor |\n|---|---|---|---|---|---|---|---|"
        );
        for s in &self.steps {
            let l = &s.latency_ms;
            let _ = writeln!(
                out,
                "| {} | {} | {} ms | {} ms | {} ms | {} | {} | {} |",
                s.step,
                l.n,
                ms(l.p50),
                ms(l.p99),
                ms(l.max),
                s.calls,
                s.floor_ms.map_or("–".into(), |f| format!("{} ms", ms(f))),
                s.floor_ms
                    .map_or("–".into(), |f| format!("{} ms", ms((l.p50 - f).max(0.0)))),
            );
        }
        out.push('\n');
        if let Some(storm) = &self.storm {
            let _ = writeln!(
                out,
                "**Proposal storm**: {} freelancers propose on one job, {} at a time: {} proposals \
                 in {:.1} s ({:.1}/s), p50 {} ms, p99 {} ms, {} errors{}.\n",
                storm.proposals,
                storm.concurrency,
                storm.proposals - storm.errors,
                storm.wall_seconds,
                storm.per_second,
                opt_ms(storm.latency_ms.as_ref(), |s| s.p50),
                opt_ms(storm.latency_ms.as_ref(), |s| s.p99),
                storm.errors,
                storm.floor_ms.map_or(String::new(), |f| format!(
                    " (floor of one proposal: {} ms; of all {} one after another: {:.1} s)",
                    ms(f),
                    storm.proposals,
                    f * storm.proposals as f64 / 1000.0
                ))
            );
        }
        if !self.floor.is_empty() {
            let _ = writeln!(
                out,
                "Bare DynamoDB Local calls (the floor's parts):\n\n| call | n | p50 | p99 |\n|---|---|---|---|"
            );
            for f in &self.floor {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} ms | {} ms |",
                    f.op,
                    f.latency_ms.n,
                    ms(f.latency_ms.p50),
                    ms(f.latency_ms.p99)
                );
            }
            out.push('\n');
        }
        notes(out, &self.notes);
    }
}

impl LoadTest {
    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "## Load test\n");
        let _ = writeln!(
            out,
            "{:.0} requests/s for {:.0} s, open loop (each request starts on its schedule, \
             whatever the ones before it do; latency is measured from that schedule, so a stall \
             cannot hide). Mix: {}.\n",
            self.rate_per_second, self.seconds, self.mix
        );
        let errors = if self.error_kinds.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                self.error_kinds
                    .iter()
                    .map(|(k, n)| format!("{k}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            out,
            "| sent | ok | errors | late starts | achieved | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|---|---|\n\
             | {} | {} | {}{} | {} | {:.1}/s | {} ms | {} ms | {} ms | {} ms |\n",
            self.sent,
            self.ok,
            self.errors,
            errors,
            self.late,
            self.achieved_per_second,
            opt_ms(self.latency_ms.as_ref(), |s| s.p50),
            opt_ms(self.latency_ms.as_ref(), |s| s.p90),
            opt_ms(self.latency_ms.as_ref(), |s| s.p99),
            opt_ms(self.latency_ms.as_ref(), |s| s.max),
        );
        if let (Some(first), Some(last)) = (self.rss_mib.first(), self.rss_mib.last()) {
            let max = self.rss_mib.iter().map(|(_, m)| *m).fold(0.0, f64::max);
            let _ = writeln!(
                out,
                "Server memory (resident, sampled every second; the server process holds the \
                 whole local stack: API, event pump, workers, search index): {:.1} MiB at the \
                 start, {:.1} MiB at the end, {:.1} MiB at most; trend over the second half {}.\n",
                first.1,
                last.1,
                max,
                self.rss_slope_mib_per_minute
                    .map_or("unknown".into(), |s| format!("{s:+.2} MiB/min"))
            );
            let marks: Vec<String> = self
                .rss_mib
                .iter()
                .step_by((self.rss_mib.len() / 12).max(1))
                .map(|(t, m)| format!("{t:.0} s: {m:.1}"))
                .collect();
            let _ = writeln!(out, "RSS samples (MiB): {}\n", marks.join(" · "));
        }
    }
}

impl Artifacts {
    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "## Artifacts\n");
        let _ = writeln!(
            out,
            "Release binaries as deployed (`bootstrap` for the `provided.al2023` runtime) and \
             zipped (deflate), built with the workspace's release profile:\n\n```toml\n{}\n```\n",
            self.profile.trim()
        );
        if !self.builds.is_empty() {
            let _ = writeln!(out, "| build | time | outcome |\n|---|---|---|");
            for b in &self.builds {
                let _ = writeln!(out, "| {} | {:.1} s | {} |", b.what, b.seconds, b.outcome);
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "| function | binary | zip | built |\n|---|---|---|---|"
        );
        for f in &self.functions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                f.name,
                mib(f.binary_bytes),
                mib(f.zip_bytes),
                f.built
            );
        }
        out.push('\n');
        notes(out, &self.notes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(p50: f64) -> Option<Summary> {
        Summary::of(&[p50, p50, p50 * 2.0])
    }

    fn runtime(key: &str, p50: f64, rss: f64) -> RuntimeRuns {
        RuntimeRuns {
            key: key.into(),
            label: key.into(),
            runs: 3,
            init_ms: summary(p50),
            first_ms: summary(p50),
            cold_ms: summary(2.0 * p50),
            warm_ms: summary(p50 / 10.0),
            peak_rss_mib: Summary::of(&[rss]),
            errors: 0,
            first_error: None,
        }
    }

    #[test]
    fn renders_ratios_against_ours() {
        let report = Report {
            command: "bench-suite".into(),
            cold_start: Some(ColdStart {
                runs: 3,
                warm_per_run: 10,
                handlers: vec![HandlerRuns {
                    handler: "signup".into(),
                    description: "d".into(),
                    runtimes: vec![runtime("rust", 10.0, 12.0), runtime("python", 250.0, 60.0)],
                }],
                notes: vec![],
            }),
            ..Default::default()
        };
        let md = report.to_markdown();
        assert!(md.contains("## Cold start: ours vs peers"), "{md}");
        // init ×25, first ×25, cold ×25, warm ×25, RSS ×5.
        assert!(
            md.contains("| python | 250 ms | 250 ms | 500 ms (1000) | 25.0 ms (50.0) | 60.0 MiB | 0 | ×25.0 | ×25.0 | ×25.0 | ×25.0 | ×5.0 |"),
            "{md}"
        );
        assert!(md.contains("| rust | 10.0 ms | 10.0 ms | 20.0 ms (40.0) | 1.0 ms (2.0) | 12.0 MiB | 0 | 1 | 1 | 1 | 1 | 1 |"), "{md}");
        // Absent sections render nothing.
        assert!(!md.contains("## Load test"));
    }

    #[test]
    fn flags_and_explains_steps_over_budget() {
        let step = |name: &str, over: bool, explanation: Option<&str>| StepTrips {
            step: name.into(),
            actor: "client".into(),
            runs: 2,
            reads: if over { 3.0 } else { 1.0 },
            transactions: 1.0,
            calls: "GetItem".into(),
            over_budget: over,
            explanation: explanation.map(str::to_string),
            ..Default::default()
        };
        let trips = RoundTrips {
            steps: vec![
                step("post job", false, None),
                step("fund", true, Some("the default card is two reads")),
                step("mystery", true, None),
            ],
            notes: vec![],
        };
        let report = Report {
            round_trips: Some(trips),
            ..Default::default()
        };
        let md = report.to_markdown();
        assert!(
            md.contains("| post job | client | 1 | 1 | 0 | 0 | GetItem | – | 0.00 ms | ok |"),
            "{md}"
        );
        assert!(md.contains("| fund | client | 3 | 1 |"), "{md}");
        assert!(md.contains("- **fund** (GetItem): the default card is two reads"));
        assert!(md.contains("- **mystery** (GetItem): not explained yet"));
    }

    #[test]
    fn number_formats() {
        assert_eq!(ms(0.4242), "0.42");
        assert_eq!(ms(12.345), "12.3");
        assert_eq!(ms(1234.5), "1234");
        assert_eq!(times(Some(30.0), Some(3.0)), "×10.0");
        assert_eq!(times(None, Some(3.0)), "–");
        assert_eq!(per_request(2.0), "2");
        assert_eq!(per_request(1.5), "1.50");
    }

    #[test]
    fn load_test_shows_errors_and_memory_trend() {
        let load = LoadTest {
            rate_per_second: 50.0,
            seconds: 60.0,
            mix: "reads".into(),
            sent: 3000,
            ok: 2999,
            errors: 1,
            error_kinds: [("500".to_string(), 1)].into(),
            achieved_per_second: 50.0,
            latency_ms: Summary::of(&[5.0, 6.0, 50.0]),
            rss_mib: vec![(0.0, 20.0), (30.0, 21.0), (60.0, 20.5)],
            rss_slope_mib_per_minute: Some(0.5),
            ..Default::default()
        };
        let report = Report {
            load: Some(load),
            ..Default::default()
        };
        let md = report.to_markdown();
        assert!(
            md.contains("| 3000 | 2999 | 1 (500: 1) | 0 | 50.0/s | 6.0 ms |"),
            "{md}"
        );
        assert!(
            md.contains(
                "20.0 MiB at the start, 20.5 MiB at the end, 21.0 MiB at most; \
                 trend over the second half +0.50 MiB/min"
            ),
            "{md}"
        );
    }
}
