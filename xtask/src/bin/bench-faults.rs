//! Sweeps seeds of the escrow fault simulation (src/faults.rs): per seed, the trace digest,
//! the end states, the injected faults and the time. A seed that fails prints its error and
//! the sweep goes on; rerun one with `--seeds <seed> --replay` to see that it replays.
//!
//! `cargo run -p worklane-devstack --release --bin bench-faults -- [--seeds 1..=20]
//! [--operations 1250] [--worlds 8] [--replay]` (DynamoDB Local and moto as for the tests:
//! WORKLANE_DYNAMODB_ENDPOINT / WORKLANE_MOTO_ENDPOINT, or started here). Not run in CI.

use anyhow::{anyhow, bail, Result};
use worklane_devstack::faults::{run, Mix};
use worklane_devstack::services::LocalServices;

fn seeds(raw: &str) -> Result<Vec<u64>> {
    if let Some((from, to)) = raw.split_once("..=") {
        return Ok((from.parse()?..=to.parse()?).collect());
    }
    if let Some((from, to)) = raw.split_once("..") {
        return Ok((from.parse()?..to.parse()?).collect());
    }
    raw.split(',')
        .map(|s| s.trim().parse().map_err(|e| anyhow!("seed {s:?}: {e}")))
        .collect()
}

fn main() -> Result<()> {
    let mut sweep = seeds("1..=20")?;
    let mut shape = Mix::standard(0);
    let mut replay = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| anyhow!("{arg} needs a value"));
        match arg.as_str() {
            "--seeds" => sweep = seeds(&value()?)?,
            "--operations" => shape.operations = value()?.parse()?,
            "--worlds" => shape.worlds = value()?.parse()?,
            "--replay" => replay = true,
            other => bail!("unknown argument {other}"),
        }
    }
    let services = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(LocalServices::start())?;
    println!(
        "{:>20}  {:>16}  {:>6}  {:>9}  {:>5}  {:>7}  states",
        "seed", "digest", "secs", "transfers", "confl", "lost"
    );
    let mut failed = 0;
    for seed in sweep {
        let mix = Mix {
            seed,
            ..shape.clone()
        };
        let outcome = run(&services, &mix);
        match outcome {
            Ok(outcome) => {
                let mut note = String::new();
                if replay {
                    let again = run(&services, &mix)?;
                    note = match outcome.first_difference(&again) {
                        None if again.digest() == outcome.digest() => "  replayed".into(),
                        None => "  replay differs (digest)".into(),
                        Some(diff) => format!("  replay differs: {diff}"),
                    };
                }
                println!(
                    "{seed:>20}  {:016x}  {:>6.1}  {:>9}  {:>5}  {:>7}  {:?}{note}",
                    outcome.digest(),
                    outcome.elapsed.as_secs_f64(),
                    outcome.transfers(),
                    outcome.conflicts(),
                    outcome.lost_responses(),
                    outcome.states()
                );
            }
            Err(err) => {
                failed += 1;
                println!("{seed:>20}  FAILED: {err:#}");
            }
        }
    }
    if failed > 0 {
        bail!("{failed} seeds failed");
    }
    Ok(())
}
