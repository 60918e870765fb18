"""Writes the schemathesis.toml of a contract run from what setup.py created.

    python3 scripts/contract/config.py BASE_URL SETUP_JSON ROLE > schemathesis.toml

ROLE is the account whose bearer token the run sends (client, freelancer or admin). Path ids
of each collection are pinned to a real object where one exists, so fuzzed bodies reach the
handlers' rules instead of stopping at 404.
"""

import json
import sys

base_url, setup_path, role = sys.argv[1], sys.argv[2], sys.argv[3]
setup = json.load(open(setup_path))
ids = setup["ids"]

# Collection → the id of a real object the setup made.
PINNED = {
    "/v1/jobs/{id}": ids["job"],
    "/v1/proposals/{id}": ids["proposal"],
    "/v1/offers/{id}": ids["offer"],
    "/v1/contracts/{id}": ids["contract"],
    "/v1/milestones/{id}": ids["milestone"],
    "/v1/rooms/{id}": ids["room"],
    "/v1/freelancers/{id}": ids["freelancer"],
    "/v1/clients/{id}": ids["client"],
    "/v1/users/{id}": ids["freelancer"],
    "/v1/me/billing-methods/{id}": ids["billing_method"],
}

# Operations whose rules JSON Schema cannot state: a schema-valid request may still be a 422
# with the code their OpenAPI description names (dates relative to today, checksums, card
# expiry, uniqueness across nested lists). Everything else must accept what its schema allows.
BUSINESS_RULE_422 = {
    # due_date must not be in the past (relative to the request's time).
    "sendOffer", "addMilestone", "editMilestone",
    # IBAN/ABA checksums; sandbox routing numbers; card expiry against today.
    "addPayoutMethod", "addBillingMethod",
    # A file may appear once across all portfolio items; dates not after today.
    "putFreelancerProfile",
}

lines = [
    f'base-url = "{base_url}"',
    "seed = 20261202",
    "continue-on-failure = true",
    "",
    "# Through the document's own security scheme, so schemathesis knows which operations",
    "# need it and can also test them without it.",
    "[auth.openapi.bearer]",
    f'bearer = "{setup[role]["token"]}"',
    "",
    "[checks]",
    "enabled = true",
    "",
    "[generation]",
    "max-examples = 12",
    "",
    "# Cursors are opaque, signed by the server: a client never invents one.",
    "[parameters]",
    '"query.cursor" = ""',
    "",
]
for operation_id in sorted(BUSINESS_RULE_422):
    lines += [
        "[[operations]]",
        f'include-operation-id = "{operation_id}"',
        'checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]',
        "",
    ]
for prefix, value in PINNED.items():
    if value is None:
        continue
    regex = "^" + prefix.replace("{id}", r"\\{id\\}").replace("/", "/")
    lines += [
        "[[operations]]",
        f'include-path-regex = "{regex}"',
        f'parameters = {{ "path.id" = "{value}" }}',
        "",
    ]
print("\n".join(lines))
