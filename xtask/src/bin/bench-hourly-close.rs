//! `bench-hourly-close`: the Monday close of N hourly contracts on the local stack, through the
//! real SQS fan-out, with the DynamoDB round trips of each phase counted by operation.
//!
//!     cargo run --release -p worklane-devstack --bin bench-hourly-close [-- [--events] N ...]
//!
//! Each N (default 1000 5000 10000) gets a fresh stack on freshly started services (DynamoDB
//! Local slows down severalfold with an earlier run's table in it). Seeding writes straight to the table (not timed with the close): N/50 clients
//! with a sandbox card each, and N hourly contracts ($30/h, 40 h limit, started Monday
//! 2026-12-07) with one hour of tracked time that week, each as one transaction (contract,
//! six segments, the week's timesheet — which puts the week in the `due` index).
//!
//! Measured, like production runs it: `weekly-billing-close` at Monday 2026-12-14 12:00 (the
//! fan-out: one Query page of the `due` index per 100 weeks, one SendMessageBatch per 10)
//! while `hourly-invoicing` already consumes the billing queue with `--consumers` pollers
//! (default 8; Lambda's SQS event source starts with five and scales up): each receives ≤ 10,
//! invokes the worker, deletes each. The close, the worker and the pollers each count their
//! calls on their own clients. Reported: the close's own time and calls, the time from the
//! close's start until the queue is empty (every week invoiced, charged and held), the deepest
//! the queue got, and the worker's DynamoDB calls per contract. With `--events`, the events the
//! invoices emit (outbox → stream → forwarder → subscribers) are drained afterwards by the
//! stack's own pump and timed separately. Then: every week in review, nothing left to close or
//! charge, one sandbox charge per contract, the ledger audit balanced, and the close run again
//! sends nothing.
//!
//! moto's SQS does work proportional to the queue's depth on every SendMessage entry,
//! ReceiveMessage and DeleteMessage (it recomputes the queue's attributes from every message),
//! which real SQS does not: consuming while the close sends keeps the queue shallow, so the
//! figures are Worklane's, not the emulator's. DynamoDB Local and moto share the machine's
//! cores with this process: read times as relative, round trips as exact.

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use chrono::{DateTime, Duration, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};
use worklane::domain::billing::BillingMethodInput;
use worklane::domain::contract::Parties;
use worklane::domain::fees::FeeCatalogue;
use worklane::domain::hourly::{BillingWeek, SegmentId, TimeSegment, Timesheet, TimesheetState};
use worklane::domain::ids::{BillingMethodId, JobId, OfferId, UserId};
use worklane::domain::money::Money;
use worklane::domain::offer::{Contract, ContractTerms, Offer, OfferContent};
use worklane::store::contracts::contract_put_op;
use worklane::store::hourly::{
    timesheet_put_op, SegmentRecord, TimesheetRecord, CHARGE_DUE, CLOSE_DUE, RELEASE_DUE,
};
use worklane::store::payments::BillingMethodRecord;
use worklane::store::Label;
use worklane::store::{from_item, Cond, StoreError, Tx, TxError};
use worklane::App;
use worklane_devstack::clock::DevClock;
use worklane_devstack::pump::EventPump;
use worklane_devstack::services::LocalServices;
use worklane_devstack::stack::{Stack, BILLING_QUEUE};

/// Contracts per client.
const CONTRACTS_PER_CLIENT: usize = 50;
/// Billing-queue pollers running at once (Lambda starts with five and scales up).
const DEFAULT_CONSUMERS: usize = 8;
/// Concurrent seeding transactions.
const SEED_CONCURRENCY: usize = 16;
/// Segments (10 minutes each) logged per contract: one hour.
const SEGMENTS: i64 = 6;

/// Counts request attempts per operation (the `x-amz-target` header) and the time spent in
/// them (signing, the round trip, parsing); a Query or Scan is named with the index it reads
/// (`Query(due)`, `Query(table)`), so a scan cannot hide. One per client.
#[derive(Debug, Default, Clone)]
struct Calls(Arc<Mutex<BTreeMap<String, Tally>>>);

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    count: u64,
    time: StdDuration,
}

/// When the current attempt started, and of which operation.
#[derive(Debug)]
struct AttemptStart(Instant, String);

impl Storable for AttemptStart {
    type Storer = StoreReplace<Self>;
}

type Tallies = BTreeMap<String, Tally>;

impl Calls {
    fn take(&self) -> Tallies {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "Calls"
    }

    fn read_before_attempt(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = context.request();
        let mut operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.split('.').nth(1))
            .unwrap_or("?")
            .to_string();
        if operation == "Query" || operation == "Scan" {
            let index = request
                .body()
                .bytes()
                .and_then(|body| serde_json::from_slice::<serde_json::Value>(body).ok())
                .and_then(|body| body["IndexName"].as_str().map(str::to_string))
                .unwrap_or_else(|| "table".into());
            operation = format!("{operation}({index})");
        }
        cfg.interceptor_state()
            .store_put(AttemptStart(Instant::now(), operation));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        if let Some(AttemptStart(started, operation)) = cfg.load::<AttemptStart>() {
            let mut tallies = self.0.lock().unwrap();
            let tally = tallies.entry(operation.clone()).or_default();
            tally.count += 1;
            tally.time += started.elapsed();
        }
        Ok(())
    }
}

/// One interceptor for all of an app's clients that keeps DynamoDB's calls and SQS's apart.
#[derive(Debug)]
struct ByService {
    dynamodb: Calls,
    sqs: Calls,
}

impl ByService {
    fn pick(&self, cfg: &ConfigBag) -> Option<&Calls> {
        let metadata = cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()?;
        match metadata.service() {
            "DynamoDB" => Some(&self.dynamodb),
            "SQS" => Some(&self.sqs),
            _ => None,
        }
    }
}

impl Intercept for ByService {
    fn name(&self) -> &'static str {
        "ByService"
    }

    fn read_before_attempt(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        match self.pick(cfg) {
            Some(calls) => calls.clone().read_before_attempt(context, components, cfg),
            None => Ok(()),
        }
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        match self.pick(cfg) {
            Some(calls) => calls.clone().read_after_attempt(context, components, cfg),
            None => Ok(()),
        }
    }
}

fn count(tallies: &Tallies) -> u64 {
    tallies.values().map(|t| t.count).sum()
}

fn seconds(tallies: &Tallies) -> f64 {
    tallies.values().map(|t| t.time.as_secs_f64()).sum()
}

fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().expect("a valid time")
}

/// `Query(due) 1, TransactWriteItems 2`; with `per`, each count divided by it.
fn ops(tallies: &Tallies, per: Option<usize>) -> String {
    let parts: Vec<String> = tallies
        .iter()
        .map(|(op, t)| match per {
            None => format!("{op} {}", t.count),
            Some(per) => format!("{op} {:.2}", t.count as f64 / per as f64),
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// `Query(due) 1 in 12 ms, …`: counts and the time spent in them.
fn timed(tallies: &Tallies) -> String {
    let parts: Vec<String> = tallies
        .iter()
        .map(|(op, t)| {
            format!(
                "{op} {} in {:.0} ms",
                t.count,
                t.time.as_secs_f64() * 1000.0
            )
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// One client with a sandbox test card, its default billing method.
async fn seed_client(app: &App, now: DateTime<Utc>) -> anyhow::Result<UserId> {
    let client = UserId::generate(now);
    let input: BillingMethodInput = serde_json::from_value(serde_json::json!({
        "type": "card",
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}
    }))?;
    let details = input
        .check(now)
        .map_err(|v| anyhow::anyhow!("card: {v:?}"))?;
    let id = BillingMethodId::generate(now);
    let vaulted = app
        .payments()
        .add_billing_method(id.as_str(), &details)
        .await?;
    let record = BillingMethodRecord {
        id,
        user_id: client.clone(),
        kind: details.kind(),
        brand: vaulted.brand,
        last4: vaulted.last4,
        exp_month: vaulted.exp_month,
        exp_year: vaulted.exp_year,
        holder_name: None,
        processor_token: vaulted.token,
        created_at: now,
    };
    let default = app
        .store
        .add_billing_method(&record)
        .await
        .map_err(|e| anyhow::anyhow!("billing method: {e:?}"))?;
    anyhow::ensure!(default.as_deref() == Some(record.id.as_str()));
    Ok(client)
}

/// One hourly contract with an hour of tracked time on the Tuesday, in one transaction.
async fn seed_contract(app: &App, client: UserId, started: DateTime<Utc>) -> anyhow::Result<()> {
    let parties = Parties {
        job_id: JobId::generate(started),
        proposal_id: None,
        client_id: client,
        freelancer_id: UserId::generate(started),
    };
    let content = OfferContent {
        terms: ContractTerms::Hourly {
            hourly_rate: Money::usd("30.00").map_err(|e| anyhow::anyhow!("{e:?}"))?,
            weekly_limit_hours: 40,
            manual_time_allowed: false,
        },
        message: String::new(),
    };
    let offer = Offer::new(OfferId::generate(started), parties, content, started);
    let fee_schedule = FeeCatalogue::standard().in_force(started).id.clone();
    let contract = Contract::start(&offer, fee_schedule, started);
    let first = started + Duration::days(1) + Duration::hours(9);
    let segments: Vec<TimeSegment> = (0..SEGMENTS)
        .map(|i| {
            let start = first + Duration::minutes(10 * i);
            TimeSegment {
                id: SegmentId::new(&contract.id, start),
                contract_id: contract.id.clone(),
                start,
                manual: false,
                activity: Some(60),
                keystrokes: Some(300),
                mouse: Some(120),
                memo: "benchmark work".into(),
                screenshot_file_id: None,
                logged_at: start + Duration::minutes(10),
            }
        })
        .collect();
    let open = Timesheet::open(&contract, BillingWeek::containing(first));
    let counted = open.counted(&segments.iter().collect::<Vec<_>>(), false);
    let transaction = || {
        let mut tx = contract_put_op(Tx::new(), &contract, None);
        for segment in &segments {
            tx = tx.put(
                Label::Segment,
                &SegmentRecord::new(segment.clone()),
                Some(Cond::absent()),
            );
        }
        // Through `TimesheetRecord::new` (in the op): the week lands in `DUE#weekly-billing-close`.
        timesheet_put_op(tx, &open, &counted)
    };
    // DynamoDB Local times out concurrent transactions waiting for its lock ("this request
    // will succeed in actual DynamoDB"): try again; a retry that finds its own write is done.
    for attempt in 0..10 {
        match app.store.transact(transaction()).await {
            Ok(()) => return Ok(()),
            Err(TxError::ConditionFailed { .. }) if attempt > 0 => return Ok(()),
            Err(TxError::Store(StoreError::Unavailable(_))) => {
                tokio::time::sleep(StdDuration::from_millis(50 << attempt.min(5))).await;
            }
            Err(err) => anyhow::bail!("seed contract: {err:?}"),
        }
    }
    anyhow::bail!("seed contract: DynamoDB Local kept timing out")
}

/// Every due item of `partition` up to `until`, with its week.
async fn due_weeks(
    app: &App,
    partition: &str,
    until: DateTime<Utc>,
) -> anyhow::Result<Vec<Timesheet>> {
    let mut weeks = Vec::new();
    let mut start = None;
    loop {
        let (items, next) = app.store.due(partition, until, 1000, start).await?;
        for item in items {
            weeks.push(from_item::<TimesheetRecord>(item)?.timesheet);
        }
        match next {
            Some(key) => start = Some(key),
            None => return Ok(weeks),
        }
    }
}

async fn queue_depth(stack: &Stack, url: &str) -> anyhow::Result<(u64, u64)> {
    let attributes = stack
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await?
        .attributes
        .unwrap_or_default();
    let read = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok((
        read(QueueAttributeName::ApproximateNumberOfMessages),
        read(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    ))
}

/// Settles `pump` until a whole pass delivers nothing (`settle` stops after 50 passes).
async fn drain(pump: &EventPump) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let delivered = pump.settle().await?;
        if delivered == 0 {
            return Ok(total);
        }
        total += delivered;
    }
}

struct Row {
    n: usize,
    consumers: usize,
    seed_s: f64,
    /// The close's own run (its Query pages and SendMessageBatch calls), while the pollers
    /// already consume.
    fanout_s: f64,
    messages: u64,
    fanout_dynamodb: Tallies,
    fanout_sqs: Tallies,
    /// From the close's start until the billing queue is empty: every week invoiced and held.
    end_to_end_s: f64,
    /// The deepest the billing queue was seen (visible + in flight), sampled every 250 ms.
    max_depth: u64,
    /// The worker's DynamoDB calls (the pump's DescribeTable taken out).
    worker_dynamodb: Tallies,
    /// What the pollers spent in moto: ReceiveMessage, DeleteMessage.
    pump_sqs: Tallies,
    events: Option<(usize, f64)>,
    in_review: usize,
    balanced: bool,
    rerun_messages: u64,
    rerun_dynamodb: Tallies,
}

fn sdk_clients(
    sdk: &aws_config::SdkConfig,
    services: &LocalServices,
) -> (Calls, aws_sdk_dynamodb::Client, Calls, aws_sdk_sqs::Client) {
    let dynamodb_calls = Calls::default();
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(sdk)
            .endpoint_url(&services.dynamodb)
            .interceptor(dynamodb_calls.clone())
            .build(),
    );
    let sqs_calls = Calls::default();
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(sdk)
            .endpoint_url(&services.moto)
            .interceptor(sqs_calls.clone())
            .build(),
    );
    (dynamodb_calls, dynamodb, sqs_calls, sqs)
}

/// Polls the billing queue with `consumers` pollers until `closed` is set and the queue is
/// empty, as Lambda's event source does while the close is still sending.
async fn consume(
    stack: &Stack,
    pump: &EventPump,
    queue: &str,
    consumers: usize,
    closed: &AtomicBool,
    max_depth: &AtomicU64,
) -> anyhow::Result<()> {
    let poller = || async {
        loop {
            let delivered = pump.poll_queues().await?;
            if delivered == 0 {
                if closed.load(Ordering::Acquire) {
                    let (visible, in_flight) = queue_depth(stack, queue).await?;
                    if visible + in_flight == 0 {
                        return anyhow::Ok(());
                    }
                }
                tokio::time::sleep(StdDuration::from_millis(20)).await;
            }
        }
    };
    let sampler = async {
        while !closed.load(Ordering::Acquire) {
            let (visible, in_flight) = queue_depth(stack, queue).await?;
            max_depth.fetch_max(visible + in_flight, Ordering::Relaxed);
            tokio::time::sleep(StdDuration::from_millis(250)).await;
        }
        anyhow::Ok(())
    };
    let pollers = futures::future::try_join_all((0..consumers).map(|_| poller()));
    futures::try_join!(pollers, sampler)?;
    Ok(())
}

async fn run(
    services: &LocalServices,
    n: usize,
    consumers: usize,
    with_events: bool,
) -> anyhow::Result<Row> {
    let prefix = format!("bench{}", ulid::Ulid::new().to_string().to_lowercase());
    let stack = Stack::create(services, &prefix).await?;
    let sdk = worklane::config::sdk_config(true).await;
    // The close and the worker run at the same time, each on its own counting clients, so
    // what is the close's is not the worker's; the pollers' SQS client counts moto's share.
    let (close_calls, close_sqs_calls) = (Calls::default(), Calls::default());
    let closer = stack.app.with_interceptor(ByService {
        dynamodb: close_calls.clone(),
        sqs: close_sqs_calls.clone(),
    });
    let worker_calls = Calls::default();
    let worker = stack.app.with_interceptor(ByService {
        dynamodb: worker_calls.clone(),
        sqs: Calls::default(),
    });
    let (_, _, pump_sqs_calls, pump_sqs) = sdk_clients(&sdk, services);
    let streams = aws_sdk_dynamodbstreams::Client::from_conf(
        aws_sdk_dynamodbstreams::config::Builder::from(&sdk)
            .endpoint_url(&services.dynamodb)
            .build(),
    );
    let queue = stack
        .provisioned
        .queues
        .get(BILLING_QUEUE)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no {BILLING_QUEUE}"))?;
    let close = at("2026-12-14T12:00:00Z");
    // The invoicing worker as Lambda runs it: the billing queue only, with the clock at the
    // close (the pump hands its clock's `now` to queue workers).
    let clock = Arc::new(DevClock::new());
    clock.freeze(close);
    let functions: Vec<_> = stack
        .template
        .functions()
        .into_iter()
        .filter(|f| f.queues.iter().any(|q| q == BILLING_QUEUE))
        .map(|mut f| {
            f.stream = false;
            f
        })
        .collect();
    anyhow::ensure!(
        functions.len() == 1 && functions[0].binary == worklane_hourly::HOURLY_INVOICING.name,
        "the template's billing queue consumer is not hourly-invoicing"
    );
    let invoicing = EventPump::new(
        worker.clone(),
        streams,
        pump_sqs,
        &functions,
        &stack.provisioned,
        clock,
    );

    let started = Instant::now();
    let monday = at("2026-12-07T00:00:00Z");
    let app = &stack.app;
    let clients: Vec<UserId> = stream::iter(0..n.div_ceil(CONTRACTS_PER_CLIENT))
        .map(|_| seed_client(app, monday))
        .buffer_unordered(SEED_CONCURRENCY)
        .try_collect()
        .await?;
    stream::iter(0..n)
        .map(|i| seed_contract(app, clients[i % clients.len()].clone(), monday))
        .buffer_unordered(SEED_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    // The seed's own stream records go by before the clock starts.
    drain(&stack.pump).await?;
    let seed_s = started.elapsed().as_secs_f64();
    let waiting = due_weeks(app, CLOSE_DUE, close).await?.len();
    anyhow::ensure!(
        waiting == n,
        "{waiting} weeks due for the close, {n} seeded"
    );
    for counter in [
        &close_calls,
        &close_sqs_calls,
        &worker_calls,
        &pump_sqs_calls,
    ] {
        counter.take();
    }

    // The close, with the pollers consuming from its first message on.
    let closed = AtomicBool::new(false);
    let max_depth = AtomicU64::new(0);
    let started = Instant::now();
    let fan_out = async {
        let summary = worklane_hourly::WEEKLY_BILLING_CLOSE
            .run(&closer, close)
            .await;
        let fanout_s = started.elapsed().as_secs_f64();
        closed.store(true, Ordering::Release);
        anyhow::Ok((summary?, fanout_s))
    };
    let ((summary, fanout_s), ()) = futures::try_join!(
        fan_out,
        consume(&stack, &invoicing, &queue, consumers, &closed, &max_depth)
    )?;
    let end_to_end_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(summary.applied == n as u64, "fan-out: {summary:?}");
    let fanout_dynamodb = close_calls.take();
    let fanout_sqs = close_sqs_calls.take();
    let mut worker_dynamodb = worker_calls.take();
    // The pump's stream lookup is not the worker's (it polls no stream here; kept for safety).
    worker_dynamodb.remove("DescribeTable");
    let pump_sqs = pump_sqs_calls.take();
    let (visible, in_flight) = queue_depth(&stack, &queue).await?;
    anyhow::ensure!(
        visible + in_flight == 0,
        "{visible} + {in_flight} messages left on the billing queue"
    );

    // What the invoices emitted (WeekInvoiced, WeekCharged): forwarder and subscribers.
    let events = if with_events {
        let started = Instant::now();
        let delivered = drain(&stack.pump).await?;
        Some((delivered, started.elapsed().as_secs_f64()))
    } else {
        None
    };

    // Every week charged and held for review; nothing left to close or to charge.
    let in_review = due_weeks(app, RELEASE_DUE, close + Duration::days(7)).await?;
    let in_review = in_review
        .iter()
        .filter(|w| w.state == TimesheetState::InReview)
        .count();
    let left_to_close = due_weeks(app, CLOSE_DUE, close + Duration::days(7))
        .await?
        .len();
    let charge_due = due_weeks(app, CHARGE_DUE, close + Duration::days(30))
        .await?
        .len();
    let charges = app.payments().sandbox_journal().len();
    let audit = app.store.audit_ledger().await?;
    println!(
        "  N={n}: in review {in_review}, left to close {left_to_close}, charge due {charge_due}, \
         sandbox charges {charges}, ledger: {} accounts, {} transfers, balanced = {}",
        audit.accounts, audit.transfers, audit.balanced
    );
    anyhow::ensure!(in_review == n && left_to_close == 0 && charge_due == 0 && charges == n);

    // The close again: nothing is due any more.
    let rerun = worklane_hourly::WEEKLY_BILLING_CLOSE
        .run(&closer, close)
        .await?;
    let rerun_dynamodb = close_calls.take();
    let rerun_sqs = close_sqs_calls.take();
    let (visible, in_flight) = queue_depth(&stack, &queue).await?;
    anyhow::ensure!(
        visible + in_flight == 0 && count(&rerun_sqs) == 0,
        "the re-run queued messages"
    );

    Ok(Row {
        n,
        consumers,
        seed_s,
        fanout_s,
        messages: summary.applied,
        fanout_dynamodb,
        fanout_sqs,
        end_to_end_s,
        max_depth: max_depth.load(Ordering::Relaxed),
        worker_dynamodb,
        pump_sqs,
        events,
        in_review,
        balanced: audit.balanced,
        rerun_messages: rerun.applied,
        rerun_dynamodb,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let with_events = args.iter().any(|a| a == "--events");
    args.retain(|a| a != "--events");
    let mut consumers = DEFAULT_CONSUMERS;
    if let Some(at) = args.iter().position(|a| a == "--consumers") {
        consumers = args
            .get(at + 1)
            .ok_or_else(|| anyhow::anyhow!("--consumers needs a number"))?
            .parse()?;
        args.drain(at..at + 2);
    }
    let mut sizes: Vec<usize> = args.iter().map(|n| n.parse()).collect::<Result<_, _>>()?;
    if sizes.is_empty() {
        sizes = vec![1000, 5000, 10_000];
    }
    let mut rows = Vec::new();
    for n in sizes {
        println!("N={n}: seeding, then the close with {consumers} pollers consuming …");
        // Fresh services for every N: DynamoDB Local slows down severalfold once an earlier
        // run's table is in it, which would be charged to this N.
        let services = LocalServices::start().await?;
        let row = run(&services, n, consumers, with_events).await?;
        drop(services);
        let per = |s: f64| s * 1000.0 / n as f64;
        println!(
            "  N={n}: seed {:.1} s (not measured)\n  \
             close {:.2} s, {} messages: DynamoDB {{{}}}, SQS {{{}}}\n  \
             close start → queue empty {:.1} s = {:.1} contracts/s; deepest queue {}\n  \
             pollers' SQS (moto) {{{}}}\n  \
             worker DynamoDB {{{}}}, {:.1} ms/contract in DynamoDB\n  \
             worker DynamoDB calls per contract {{{}}}\n  \
             re-run {} messages, DynamoDB {{{}}}",
            row.seed_s,
            row.fanout_s,
            row.messages,
            timed(&row.fanout_dynamodb),
            timed(&row.fanout_sqs),
            row.end_to_end_s,
            n as f64 / row.end_to_end_s,
            row.max_depth,
            timed(&row.pump_sqs),
            timed(&row.worker_dynamodb),
            per(seconds(&row.worker_dynamodb)),
            ops(&row.worker_dynamodb, Some(n)),
            row.rerun_messages,
            timed(&row.rerun_dynamodb),
        );
        if let Some((delivered, s)) = row.events {
            println!(
                "  events drain (not measured): {delivered} stream records + messages in {s:.1} s"
            );
        }
        rows.push(row);
    }
    println!();
    println!(
        "| N | pollers | close | messages | close's DynamoDB calls | close's SQS calls \
         | close start → all invoiced | contracts/s | deepest queue | worker DynamoDB calls per \
         contract | worker DynamoDB ms/contract | in review | ledger balanced | re-run messages |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in &rows {
        println!(
            "| {} | {} | {:.2} s | {} | {} | {} | {:.1} s | {:.1} | {} | {} (= {:.2}) | {:.1} | {} | {} | {} |",
            row.n,
            row.consumers,
            row.fanout_s,
            row.messages,
            ops(&row.fanout_dynamodb, None),
            ops(&row.fanout_sqs, None),
            row.end_to_end_s,
            row.n as f64 / row.end_to_end_s,
            row.max_depth,
            ops(&row.worker_dynamodb, Some(row.n)),
            count(&row.worker_dynamodb) as f64 / row.n as f64,
            seconds(&row.worker_dynamodb) * 1000.0 / row.n as f64,
            row.in_review,
            row.balanced,
            row.rerun_messages,
        );
    }
    Ok(())
}
