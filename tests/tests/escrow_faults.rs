//! The seeded escrow fault simulation (worklane-devstack `faults`): 2,500 escrow operations
//! (`bench-faults` runs 10,000)
//! against the real DynamoDB Local with injected transaction conflicts and "committed but the
//! response was lost" failures, client retries (same Idempotency-Key), duplicate deliveries
//! and schedule re-runs. Whatever happens, the ledger audit must balance, every milestone's
//! money must match its state, and no movement may have happened twice — and a seed replays
//! exactly: the same operations with the same outcomes, whatever the threads do.

use worklane_devstack::faults::{run, Mix, Outcome};
use worklane_devstack::services::LocalServices;

const SEED: u64 = 0x5eed_2026;

fn services() -> &'static LocalServices {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(worklane_tests::services())
}

#[test]
fn thousands_of_faulty_operations_leave_a_clean_ledger() {
    let mix = Mix::ci(SEED);
    assert_eq!(mix.worlds * mix.operations, 2_500);
    let outcome = run(services(), &mix).unwrap();
    assert!(outcome.conflicts() > 50, "faults were injected");
    assert!(
        outcome.lost_responses() > 50,
        "lost responses were injected"
    );
    // The run must have moved real money both ways, not failed everything.
    let states = outcome.states();
    assert!(
        states.get("Released").copied().unwrap_or(0) >= 25
            && states.get("Refunded").copied().unwrap_or(0) >= 3,
        "{states:?}"
    );
    println!(
        "faulty run {SEED:#x}: digest {:016x}, {} transfers, states {states:?}, {} conflicts, \
         {} lost responses injected, {:.1} s",
        outcome.digest(),
        outcome.transfers(),
        outcome.conflicts(),
        outcome.lost_responses(),
        outcome.elapsed.as_secs_f64()
    );
    for (i, world) in outcome.worlds.iter().enumerate() {
        println!(
            "world {i}: setup {:.1} s, all {:.1} s",
            world.setup.as_secs_f64(),
            world.elapsed.as_secs_f64()
        );
    }
}

#[test]
fn a_seed_replays_exactly_and_another_seed_does_not() {
    let small = |seed| Mix {
        seed,
        worlds: 1,
        contracts: 2,
        milestones_per_contract: 6,
        operations: 200,
        ..Mix::ci(seed)
    };
    let services = services();
    // All three at once: what one run draws must not depend on how the others progress.
    let [first, again, other]: [Outcome; 3] = std::thread::scope(|scope| {
        [SEED, SEED, SEED + 1]
            .map(|seed| scope.spawn(move || run(services, &small(seed)).unwrap()))
            .map(|thread| thread.join().unwrap())
    });
    assert_eq!(first.first_difference(&again), None);
    assert_eq!(first.digest(), again.digest());
    assert_eq!(
        first.worlds.iter().map(|w| w.trace.len()).sum::<usize>(),
        again.worlds.iter().map(|w| w.trace.len()).sum::<usize>()
    );
    assert_ne!(first.digest(), other.digest(), "another seed, another run");
}
