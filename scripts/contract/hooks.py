"""schemathesis hooks for the contract run (scripts/contract-check).

A real client sends a fresh Idempotency-Key per logical request and the same one only when it
retries that request; generated cases reuse the few values hypothesis draws for the header
across different bodies, which the API rightly answers 422 `idempotency_key_reused`. So a
well-formed key gets a per-call suffix (still well-formed), while malformed keys are sent as
drawn, so the header's own validation stays under test.
"""

import itertools
import re

import schemathesis

WELL_FORMED = re.compile(r"^[!-~]{1,255}$")
CALLS = itertools.count()


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        value = headers[name]
        if isinstance(value, str) and WELL_FORMED.match(value):
            headers[name] = f"{value[:200]}-{next(CALLS)}"
