//! A steady-rate load test of the local API server: requests start on a fixed schedule (open
//! loop) whatever the earlier ones do, and are timed from that schedule, so a stall shows as
//! latency instead of quietly lowering the rate; the server's resident memory is sampled every
//! second.

use super::api_client::{ApiClient, User};
use super::report::LoadTest;
use super::stats::{slope, Summary};
use super::sys::process_kib;
use anyhow::{ensure, Result};
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Requests allowed in flight before a new one counts as a late start (and is not sent).
const MAX_IN_FLIGHT: usize = 512;

pub struct Plan {
    pub rate: f64,
    pub seconds: f64,
}

/// The request of slot `i` of every 20: 11 job reads, 4 contract reads, 3 account reads,
/// 2 job posts.
fn request(
    i: usize,
    jobs: &[String],
    contracts: &[String],
    client: &User,
    freelancer: &User,
) -> (Method, String, String, Option<Value>, u16) {
    match i % 20 {
        0..=10 => (
            Method::GET,
            format!("/v1/jobs/{}", jobs[i % jobs.len()]),
            freelancer.access.clone(),
            None,
            200,
        ),
        11..=14 => (
            Method::GET,
            format!("/v1/contracts/{}", contracts[i % contracts.len()]),
            client.access.clone(),
            None,
            200,
        ),
        15..=17 => (
            Method::GET,
            "/v1/me".into(),
            freelancer.access.clone(),
            None,
            200,
        ),
        _ => (
            Method::POST,
            "/v1/jobs".into(),
            client.access.clone(),
            Some(super::inproc::fixed_job()),
            201,
        ),
    }
}

pub const MIX: &str = "55 % GET /v1/jobs/{id}, 20 % GET /v1/contracts/{id}, 15 % GET /v1/me, \
                       10 % POST /v1/jobs (each post also feeds the search indexer through the \
                       event pump running beside the server)";

pub async fn run(
    api: &ApiClient,
    server_pid: u32,
    plan: &Plan,
    jobs: &[String],
    contracts: &[String],
    client: &User,
    freelancer: &User,
) -> Result<LoadTest> {
    ensure!(
        !jobs.is_empty() && !contracts.is_empty(),
        "the load test reads the lifecycles' jobs and contracts: none were made"
    );
    // Fresh tokens: they must outlive the test.
    let mut client = client.clone();
    client.access = api.login(&client.email).await?.text("access_token")?;
    let mut freelancer = freelancer.clone();
    freelancer.access = api.login(&freelancer.email).await?.text("access_token")?;

    let total = (plan.rate * plan.seconds).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / plan.rate);
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let start = tokio::time::Instant::now();
    let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sampler = {
        let samples = samples.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(kib) = process_kib(server_pid, "VmRSS") else {
                    return;
                };
                let sample = (start.elapsed().as_secs_f64(), kib as f64 / 1024.0);
                samples
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(sample);
            }
        })
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut late = 0;
    for i in 0..total {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled).await;
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            late += 1;
            continue;
        };
        let (method, path, token, body, expected) =
            request(i, jobs, contracts, &client, &freelancer);
        let api = api.clone();
        tasks.spawn(async move {
            let answer = api.send(method, &path, Some(&token), body.as_ref()).await;
            let ms = scheduled.elapsed().as_secs_f64() * 1000.0;
            drop(permit);
            match answer {
                Ok(answer) if answer.status == expected => Ok(ms),
                Ok(answer) => Err(format!("{} {}", answer.status, path_kind(&path))),
                Err(_) => Err("transport".to_string()),
            }
        });
    }
    let mut latencies = Vec::with_capacity(total);
    let mut error_kinds = BTreeMap::new();
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok(Ok(ms)) => latencies.push(ms),
            Ok(Err(kind)) => *error_kinds.entry(kind).or_insert(0) += 1,
            Err(_) => *error_kinds.entry("panic".to_string()).or_insert(0) += 1,
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    sampler.abort();
    let rss = std::mem::take(&mut *samples.lock().unwrap_or_else(|p| p.into_inner()));
    // The trend of the second half: the first seconds include the server's own warm-up
    // (connection pools, caches) rather than growth under steady load.
    let (xs, ys): (Vec<f64>, Vec<f64>) = rss[rss.len() / 2..].iter().copied().unzip();
    let errors: usize = error_kinds.values().sum();
    Ok(LoadTest {
        rate_per_second: plan.rate,
        seconds: plan.seconds,
        mix: MIX.into(),
        sent: total - late,
        ok: latencies.len(),
        errors: errors + late,
        error_kinds,
        late,
        achieved_per_second: latencies.len() as f64 / elapsed.max(f64::EPSILON),
        latency_ms: Summary::of(&latencies),
        rss_mib: rss,
        rss_slope_mib_per_minute: slope(&xs, &ys).map(|s| s * 60.0),
    })
}

/// `/v1/jobs/{id}` for `/v1/jobs/job_01…`: error kinds without ids.
fn path_kind(path: &str) -> String {
    path.split('/')
        .map(|part| {
            if part.contains('_') && part.len() > 20 {
                "{id}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_leave_ids_out() {
        assert_eq!(
            path_kind("/v1/jobs/job_01jd0000000000000000000000"),
            "/v1/jobs/{id}"
        );
        assert_eq!(path_kind("/v1/me"), "/v1/me");
    }

    #[test]
    fn the_mix_is_what_it_says() {
        let user = User {
            id: "u".into(),
            email: "e".into(),
            access: "t".into(),
        };
        let mut counts = BTreeMap::new();
        for i in 0..200 {
            let (method, path, ..) = request(i, &["j".into()], &["c".into()], &user, &user);
            *counts
                .entry(format!("{method} {}", path.split('/').nth(2).unwrap_or("")))
                .or_insert(0) += 1;
        }
        assert_eq!(counts["GET jobs"], 110);
        assert_eq!(counts["GET contracts"], 40);
        assert_eq!(counts["GET me"], 30);
        assert_eq!(counts["POST jobs"], 20);
    }
}
