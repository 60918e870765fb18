"""POST /v1/milestones/{id}/fund, as Worklane's `escrow` function does it, call for call: the
bearer token checked; one BatchGetItem of the milestone and the client's ledger account; the
default billing method (its pointer, then the method: two GetItems, as the Rust store reads it);
the charge (the sandbox processor: no I/O); then one TransactWriteItems of ten items — the
milestone (on its version), the contract (still active), the charge, fee and escrow transfers
(each new) and the four ledger accounts they move (a balance that shrinks on `available >=`),
and the outbox event. Money is exact (`Decimal`)."""

import json
import os
from decimal import ROUND_HALF_UP, Decimal

from botocore.exceptions import ClientError

from common import (TABLE, Problem, answer, caller, dynamodb, key, now_rfc3339, outbox_put,
                    problem, ulid)

CLIENT_FEE_RATE = Decimal(os.environ.get("CLIENT_FEE_RATE", "0.05"))
CENTS = Decimal("0.01")
FEE_SHARDS = 16


def _s(item, name):
    return item[name]["S"]


def _n(item, name):
    value = item.get(name)
    return Decimal(value["N"]) if value else Decimal(0)


def _money(value):
    return {"M": {"amount": {"S": str(value[0])}, "currency": {"S": value[1]}}}


def _account_update(account, deltas):
    """ADDs a movement's net effect to one ledger account, as `Movement::write` does."""
    available = deltas["credits_posted"] - deltas["debits_posted"] - deltas["debits_pending"]
    values = {f":{name}": {"N": str(v)} for name, v in deltas.items()}
    values[":available"] = {"N": str(available)}
    values[":account"] = {"S": account}
    update = {
        "TableName": TABLE,
        "Key": key(f"LEDGER#{account}", "ACCOUNT"),
        "UpdateExpression": "SET account_id = :account ADD "
                            + ", ".join(f"{name} :{name}" for name in deltas)
                            + ", available :available",
        "ExpressionAttributeValues": values,
    }
    if available < 0 and not account.startswith("world:"):
        update["ConditionExpression"] = "available >= :need"
        values[":need"] = {"N": str(-available)}
    return {"Update": update}


def _transfer_put(transfer_id, debit, credit, amount, currency, phase, code, reference, now):
    item = {
        "pk": {"S": f"TRANSFER#{transfer_id}"}, "sk": {"S": "TRANSFER"},
        "id": {"S": transfer_id}, "debit": {"S": debit}, "credit": {"S": credit},
        "amount": _money((amount, currency)), "phase": {"S": phase}, "code": {"S": code},
        "reference": {"S": reference}, "at": {"S": now},
    }
    return {"Put": {"TableName": TABLE, "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk)"}}


def _zero():
    return {name: Decimal(0) for name in
            ("debits_posted", "credits_posted", "debits_pending", "credits_pending")}


def _fund(event):
    claims = caller(event, "client")
    user = claims["sub"]
    milestone_id = (event.get("pathParameters") or {}).get("id", "")
    client_account = f"client:{user}"
    found = dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [
        key(f"MILESTONE#{milestone_id}", "MILESTONE"),
        key(f"LEDGER#{client_account}", "ACCOUNT"),
    ]}})["Responses"][TABLE]
    by_pk = {_s(item, "pk"): item for item in found}
    milestone = by_pk.get(f"MILESTONE#{milestone_id}")
    if milestone is None or _s(milestone, "client_id") != user:
        raise Problem(404, "not-found", "no such milestone")
    if _s(milestone, "state") != "unfunded":
        raise Problem(409, "milestone-state", "the milestone is not waiting for funds")
    amount = Decimal(milestone["amount"]["M"]["amount"]["S"])
    currency = milestone["amount"]["M"]["currency"]["S"]
    account = by_pk.get(f"LEDGER#{client_account}", {})
    fee = (amount * CLIENT_FEE_RATE).quantize(CENTS, rounding=ROUND_HALF_UP)
    total = amount + fee
    from_balance = min(max(_n(account, "available"), Decimal(0)), total)
    charge = total - from_balance
    if charge > 0:
        pointer = dynamodb.get_item(TableName=TABLE,
                                    Key=key(f"USER#{user}", "DEFAULT#BILLINGMETHOD")).get("Item")
        if pointer is None:
            raise Problem(409, "billing-method-required", "add a billing method first")
        method = dynamodb.get_item(
            TableName=TABLE,
            Key=key(f"USER#{user}", f"BILLINGMETHOD#{_s(pointer, 'method_id')}")).get("Item")
        if method is None:
            raise Problem(409, "billing-method-required", "add a billing method first")
    now = now_rfc3339()
    reference = milestone_id
    charge_id, fee_id, escrow_id = ("trf_" + ulid() for _ in range(3))
    fees_account = f"fees:{int.from_bytes(os.urandom(1), 'big') % FEE_SHARDS:02}"
    world, earnings = f"world:{currency}", f"earnings:{_s(milestone, 'freelancer_id')}"
    effects = {account: _zero() for account in (world, client_account, fees_account, earnings)}
    effects[world]["debits_posted"] += charge
    effects[client_account]["credits_posted"] += charge
    effects[client_account]["debits_posted"] += fee
    effects[fees_account]["credits_posted"] += fee
    effects[client_account]["debits_pending"] += amount
    effects[earnings]["credits_pending"] += amount
    version = int(milestone["version"]["N"])
    items = [
        {"Update": {
            "TableName": TABLE, "Key": key(f"MILESTONE#{milestone_id}", "MILESTONE"),
            "UpdateExpression": "SET #state = :funded, funded_at = :now, escrow_transfer = :escrow,"
                                " client_fee = :fee, version = :next",
            "ConditionExpression": "version = :version",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {
                ":funded": {"S": "funded"}, ":now": {"S": now}, ":escrow": {"S": escrow_id},
                ":fee": _money((fee, currency)), ":next": {"N": str(version + 1)},
                ":version": {"N": str(version)}},
        }},
        {"ConditionCheck": {
            "TableName": TABLE, "Key": key(f"CONTRACT#{_s(milestone, 'contract_id')}", "CONTRACT"),
            "ConditionExpression": "#state = :active",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {":active": {"S": "active"}},
        }},
        _transfer_put(charge_id, world, client_account, charge, currency, "posted", "charge",
                      reference, now),
        _transfer_put(fee_id, client_account, fees_account, fee, currency, "posted",
                      "client_fee", reference, now),
        _transfer_put(escrow_id, client_account, earnings, amount, currency, "pending", "escrow",
                      reference, now),
        *(_account_update(account, deltas) for account, deltas in effects.items()),
        outbox_put("MilestoneFunded", {"milestone_id": milestone_id,
                                       "contract_id": _s(milestone, "contract_id"),
                                       "amount": {"amount": str(amount), "currency": currency}},
                   now),
    ]
    try:
        dynamodb.transact_write_items(TransactItems=items)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            raise Problem(409, "milestone-changed", "the milestone changed meanwhile") from err
        raise
    return {"id": milestone_id, "contract_id": _s(milestone, "contract_id"), "state": "funded",
            "amount": {"amount": str(amount), "currency": currency},
            "client_fee": {"amount": str(fee), "currency": currency}, "funded_at": now,
            "version": version + 1}


def handler(event, context):
    try:
        return answer(200, _fund(event))
    except Problem as err:
        return err.response
    except (KeyError, ValueError) as err:
        return problem(500, "internal", json.dumps(str(err)))
