//! Why a step makes more round trips than the budget (1 read + 1 transaction), found by reading
//! its handler, with what would bring it within budget. Kept beside the suite so the report says
//! it next to the numbers; a step over budget without an entry is reported as unexplained, and
//! an entry whose step is back within budget is simply not shown.

pub fn round_trips(step: &str) -> Option<&'static str> {
    Some(match step {
        "confirm email" => {
            "two reads, once per account: the confirmation record first (keyed by the token's \
             digest, the only thing the request carries), then, after the transaction, the \
             user, to answer with the account view. Within budget if signup stored the view's \
             fields (email, name, roles) on the confirmation record, so the answer needs no \
             second read."
        }
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
        "fund milestone" => {
            "the charge source is read in two dependent GetItems after the BatchGetItem of \
             milestone and client account: the default-billing-method pointer \
             (`USER#…/DEFAULT#BILLINGMETHOD`, which holds only the method id), then the method \
             (its processor token and expiry). Fix (shared/src/store/payments.rs): keep the \
             default method's token and expiry on the pointer item (written in the same \
             transaction that sets the default) and read the pointer in the first \
             BatchGetItem — its key depends only on the caller: 1 read + 1 transaction."
        }
        "approve (release)" => {
            "a dependent read: the milestone names the freelancer, and only then can the \
             lifetime billings between this client and that freelancer (which price the \
             service fee, PRODUCT §10, and condition the release) be read. Within budget only \
             by keeping the lifetime figure on the milestone or contract item, which would \
             make every release of the pair contend on one more item; kept as is on purpose."
        }
        "end contract" => {
            "after the transaction, the answer's contract view lists the contract's milestones \
             with a Query on gsi1 (the contract item does not hold them); ending changes no \
             milestone. Within budget if the answer left the milestones out (clients read \
             them with GET /v1/contracts/{id}) or held them on the contract item."
        }
        _ => return None,
    })
}
