"""schemathesis hooks for the contract run (scripts/contract-check).

1. Idempotency keys. A real client sends a fresh Idempotency-Key per logical request and the
   same one only when it retries that request; generated cases reuse the few values hypothesis
   draws for the header across different bodies, which the API rightly answers 422
   `idempotency_key_reused`. So a well-formed key gets a per-call suffix (still well-formed),
   while malformed keys are sent as drawn, so the header's own validation stays under test.

2. `schema_valid_request_accepted`, the stricter form of schemathesis' positive data
   acceptance (disabled in the config in its favour): a request the schema allows may meet a
   state or business answer (401, 402, 403, 404, 409, 429, a 422 with a rule's own code), but
   never a validation refusal (400 `malformed_json`/`bad_request`, 422 `validation_failed` or
   `invalid_body`) — except on the fields listed in RULES_BEYOND_THE_SCHEMA, whose rules JSON
   Schema cannot state (docs/api.md names them). The allowance is per field, not per
   operation, so every other field of those operations is still held to its schema.
"""

import functools
import itertools
import re

import jsonschema_rs  # what schemathesis itself validates with
import schemathesis

WELL_FORMED = re.compile(r"^[!-~]{1,255}$")
CALLS = itertools.count()

# Operation → the request fields (regular expressions over the `field` of a problem's
# `errors`) whose rules compare two fields, a field with today, or a checksum.
RULES_BEYOND_THE_SCHEMA = {
    # A password must not contain the account's email address.
    "signup": [r"password"],
    # An hourly range's min must not exceed its max (two decimal strings).
    "postJob": [r"hourly_rate\.min"],
    "editJob": [r"hourly_rate\.min"],
    "createSavedSearch": [r"budget_min"],
    # A comma-separated skills filter names each skill once (a pattern cannot say so).
    "searchFreelancers": [r"rate_max", r"skills"],
    # The two documents must be different files.
    "submitIdentity": [r"proof_of_address_file_id", r"document_file_id"],
    # A report for reason `other` says what is wrong: `details` not blank (trimmed).
    "reportContent": [r"details"],
    # A search's keywords follow a small grammar (balanced parentheses and quotes, at most 20
    # terms, nesting at most 8).
    "searchJobs": [r"budget_min", r"q", r"skills"],
    # A report's range: days from 2000 to 2200, `from` not after `to`, at most 366 days; the
    # counterparty filter of the side reported on (a freelancer's report filters by client).
    "getEarningsReport": [r"from", r"to", r"client", r"freelancer"],
    "getBillingsByClientReport": [r"from", r"to", r"client", r"freelancer"],
    "getTransactionsReport": [r"from", r"to", r"client", r"freelancer"],
    "getTimesheetsReport": [r"from", r"to", r"client", r"freelancer"],
    "getWorkInProgressReport": [r"client", r"freelancer"],
    # Where a dispute's refund goes is the client's choice: a freelancer sends no `refund_to`.
    "openDispute": [r"refund_to"],
    # A due date is not in the past (relative to the request's time).
    "sendOffer": [r"milestones\[\d+\]\.due_date",
                  # Not to oneself.
                  r"freelancer_id",
                  # The milestones' sum is within a contract's bounds.
                  r"milestones"],
    "addMilestone": [r"due_date"],
    # A slot once per batch and not already taken; not before the contract, in the future or
    # in a closed week; manual time only where the contract allows it.
    "logTime": [r"segments\[\d+\]\.(start|manual)"],
    # One answer per screening question of the job.
    "submitProposal": [r"answers"],
    "acceptInvitation": [r"answers"],
    "editMilestone": [r"due_date"],
    # Luhn, card expiry against today, ABA routing checksums.
    "addBillingMethod": [r"card\.(number|exp_year|exp_month)", r"bank\.routing_number",
                         # The CVC's length depends on the card's brand (4 digits for Amex).
                         r"card\.cvc"],
    # ABA routing and IBAN checksums, SWIFT/BIC only with wires.
    "addPayoutMethod": [r"bank\.(routing_number|iban|swift_bic|account_number)"],
    # A file appears once across all portfolio items; employment dates not after today and
    # in order.
    "putFreelancerProfile": [r"portfolio\[\d+\]\.file_ids(\[\d+\])?", r"employment\[\d+\]\.(from|to)",
                             # A language is listed once (unique by name, not by whole item).
                             r"languages\[\d+\]\.language",
                             # A year from 1900 to a few years from now.
                             r"education\[\d+\]\.(from_year|to_year)",
                             # A certification is not issued in the future.
                             r"certifications\[\d+\]\.issued"],
}
VALIDATION_CODES = {"malformed_json", "bad_request", "validation_failed", "invalid_body"}


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        value = headers[name]
        if isinstance(value, str) and WELL_FORMED.match(value):
            headers[name] = f"{value[:200]}-{next(CALLS)}"


@schemathesis.check
def schema_valid_request_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    try:
        problem = response.json()
    except Exception:
        problem = {}
    code = problem.get("code") if isinstance(problem, dict) else None
    if code not in VALIDATION_CODES:
        return None
    # The generator's idea of "positive" is not always right (it can mix the branches of a
    # oneOf): a body counts as schema-valid only when a JSON Schema validator agrees.
    if not _body_is_valid(case):
        return None
    allowed = [re.compile(f"^{p}$") for p in RULES_BEYOND_THE_SCHEMA.get(case.operation.definition.raw.get("operationId"), [])]
    fields = [e.get("field", "") for e in problem.get("errors") or []]
    beyond = [f for f in fields if not any(p.match(f) for p in allowed)]
    if code == "validation_failed" and fields and not beyond:
        return None
    raise AssertionError(
        f"A request the schema allows was refused as invalid ({response.status_code} {code}): "
        f"{', '.join(beyond) or problem.get('detail', '')}. Either the schema misses the rule "
        "or the rule belongs in RULES_BEYOND_THE_SCHEMA (scripts/contract/hooks.py) and docs/api.md."
    )


@functools.lru_cache(maxsize=None)
def _body_validator(raw_schema_id, operation_id):
    raw = _RAW[raw_schema_id]
    for item in raw["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                schema = (operation.get("requestBody", {}).get("content", {})
                          .get("application/json", {}).get("schema"))
                if schema is None:
                    return None
                root = dict(schema)
                root["components"] = raw["components"]
                return jsonschema_rs.Draft202012Validator(root, validate_formats=True)
    return None


_RAW = {}


def _body_is_valid(case):
    raw = case.operation.schema.raw_schema
    _RAW[id(raw)] = raw
    validator = _body_validator(id(raw), case.operation.definition.raw.get("operationId"))
    if validator is None or case.body is None or not isinstance(case.body, (dict, list)):
        return True
    return validator.is_valid(case.body)
