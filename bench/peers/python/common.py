"""What both Python peers share: the client, the table's keys, the token check, answers.

The peers do the same work as Worklane's Rust handlers against the same table (see
bench/peers/README.md): same keys, same reads, one TransactWriteItems with the same number of
items and the same kinds of conditions. They are written the way a Python Lambda usually is:
the low-level boto3 client built at import time (once per cold start), no framework.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from datetime import datetime, timezone

import boto3

TABLE = os.environ["TABLE_NAME"]
# AWS_ENDPOINT_URL_DYNAMODB points boto3 at DynamoDB Local, as it does the Rust functions.
dynamodb = boto3.client("dynamodb")

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def ulid():
    """48 bits of milliseconds and 80 random bits in Crockford base32, like the Rust ids."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def now_rfc3339():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def key(pk, sk):
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def answer(status, body, content_type="application/json"):
    return {
        "statusCode": status,
        "headers": {"content-type": content_type},
        "body": json.dumps(body),
    }


def problem(status, code, detail):
    body = {"type": f"https://worklane.dev/problems/{code}", "title": code, "status": status,
            "detail": detail}
    return answer(status, body, "application/problem+json")


class Problem(Exception):
    def __init__(self, status, code, detail):
        super().__init__(detail)
        self.response = problem(status, code, detail)


def json_body(event):
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    try:
        return json.loads(raw)
    except ValueError as err:
        raise Problem(400, "malformed-json", str(err)) from err


def outbox_put(kind, payload, now):
    event_id = "evt_" + ulid()
    item = {
        "pk": {"S": f"OUTBOX#{event_id}"},
        "sk": {"S": "OUTBOX"},
        "id": {"S": event_id},
        "type": {"S": kind},
        "occurred_at": {"S": now},
        "payload": {"S": json.dumps(payload)},
    }
    return {"Put": {"TableName": TABLE, "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk)"}}


def _b64url(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# JWT_SIGNING_KEYS: comma-separated secrets; the key id is the first 12 hex of their SHA-256.
_KEYS = {
    hashlib.sha256(s.strip().encode()).hexdigest()[:12]: s.strip().encode()
    for s in os.environ.get("JWT_SIGNING_KEYS", "").split(",")
    if s.strip()
}


def caller(event, role):
    """The verified claims of the bearer token (HS256 with a key id), as the Rust layer checks."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    auth = headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        raise Problem(401, "unauthenticated", "a bearer token is required")
    token = auth[len("Bearer "):]
    parts = token.split(".")
    if len(parts) != 3:
        raise Problem(401, "invalid-token", "malformed token")
    try:
        header = json.loads(_b64url(parts[0]))
        signature = _b64url(parts[2])
    except ValueError as err:
        raise Problem(401, "invalid-token", "malformed token") from err
    secret = _KEYS.get(header.get("kid")) if header.get("alg") == "HS256" else None
    if secret is None:
        raise Problem(401, "invalid-token", "unknown key")
    expected = hmac.new(secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise Problem(401, "invalid-token", "bad signature")
    claims = json.loads(_b64url(parts[1]))
    if claims.get("iss") != "worklane" or claims.get("typ") != "access":
        raise Problem(401, "invalid-token", "not an access token")
    if time.time() >= claims.get("exp", 0):
        raise Problem(401, "invalid-token", "expired")
    if not claims.get("email_confirmed"):
        raise Problem(403, "email-unconfirmed", "confirm your email first")
    if role not in claims.get("roles", []):
        raise Problem(403, "forbidden", f"this needs the {role} role")
    return claims
