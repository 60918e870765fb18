"""Writes the schemathesis.toml of a contract run from what setup.py created.

    python3 scripts/contract/config.py BASE_URL SETUP_JSON ROLE > schemathesis.toml

ROLE is the account whose bearer token the run sends (client, freelancer or admin). Path ids
of each collection are pinned to a real object where one exists, so fuzzed bodies reach the
handlers' rules instead of stopping at 404.
"""

import json
import sys

# The client (who also holds the freelancer role) runs every operation; the other roles run
# those whose answer depends on being the other party or an admin (as the client they are
# 403 and reach no handler logic).
ROLE_OPERATIONS = {
    "freelancer": [
        "submitProposal", "editProposal", "withdrawProposal", "acceptOffer", "declineOffer",
        "submitMilestone", "logTime", "getWorkDiary", "requestWithdrawal", "leaveFeedback",
        "putFreelancerProfile", "addPayoutMethod", "listMyProposals", "listMyContracts",
    ],
    "admin": [
        "listDisputesInMediation", "listIdentityReviews", "getIdentityReview",
        "approveIdentity", "rejectIdentity", "auditLedger", "resolveDispute",
    ],
}

if sys.argv[1] == "--operations":
    # One `--include-operation-id X` pair per line, for the shell to splice in.
    for operation_id in ROLE_OPERATIONS.get(sys.argv[2], []):
        print(f"--include-operation-id\n{operation_id}")
    sys.exit(0)

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
    "# Schemathesis replays requests it cached in earlier runs while probing: a cached",
    "# logout would end this run's session before the first test.",
    "[cache]",
    "enabled = false",
    "",
    "[checks]",
    "enabled = true",
    "# Replaced by hooks.py's schema_valid_request_accepted, which holds every field of every",
    "# operation to its schema and names the few rules JSON Schema cannot state.",
    "positive_data_acceptance.enabled = false",
    "",
    "[generation]",
    "max-examples = 12",
    "",
    "# Cursors are opaque, signed by the server: a client never invents one.",
    "[parameters]",
    '"query.cursor" = ""',
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
