//! Why a step makes more round trips than the budget (1 read + 1 transaction), found by reading
//! its handler, with what would bring it within budget. Kept beside the suite so the report says
//! it next to the numbers; a step over budget without an entry is reported as unexplained, and
//! an entry whose step is back within budget is simply not shown.

pub fn round_trips(step: &str) -> Option<&'static str> {
    Some(match step {
        "send offer" => {
            "three independent GetItems in a row — the job (must be the caller's and open), the \
             freelancer (must hold the role) and the proposal (must be theirs on this job) — \
             whose keys all come from the request body. Fix (shared/src/handlers/contracts.rs \
             `send_offer`): one BatchGetItem[3] through `Store::get_many`, as `login` and \
             `fund` already do: 1 read + 1 transaction."
        }
        "accept offer" => {
            "after the transaction, the answer's contract view re-reads the contract's \
             milestones with a Query on gsi1 (`contract_view`), although the handler has just \
             written them and holds them. Besides the round trip, a GSI is eventually \
             consistent on DynamoDB: the answer may miss milestones written a moment before. \
             Fix (shared/src/handlers/contracts.rs `accept_offer`): build the view from the \
             `milestones` in hand: 1 read + 1 transaction."
        }
        "approve (release)" => {
            "a dependent read, kept on purpose: the request names only the milestone, and the \
             milestone names the freelancer; only then can the lifetime billings of this client \
             and that freelancer (`LIFETIME#<client>#<freelancer>`) be read, which price the \
             service fee at the pair's marginal bands (PRODUCT §10.1) and condition the release \
             (`billed = :seen`, so two releases of the pair cannot price from the same band). \
             Within budget only by copying the figure onto an item the request can name — the \
             milestone or the contract — which every payment of the pair would then have to \
             rewrite: all milestones of all the pair's contracts, the hourly weeks and bonuses \
             would contend on one more item (or hold stale copies). One more read is cheaper \
             than that contention."
        }
        _ => return None,
    })
}
