"""POST /v1/auth/signup, as Worklane's `auth` function does it: validate, hash the password with
argon2id (19 MiB, 2 passes, 1 lane: the same parameters), then one TransactWriteItems that
puts the login identity (which makes the email unique), the user and the outbox event, each on
the condition that it does not exist yet."""

from argon2 import PasswordHasher, Type
from botocore.exceptions import ClientError

from common import (TABLE, Problem, answer, dynamodb, json_body, now_rfc3339, outbox_put,
                    problem, ulid)

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32,
                        salt_len=16, type=Type.ID)
SELF_SERVICE_ROLES = {"client", "freelancer"}


def _email(raw):
    display = str(raw).strip()
    local, at, domain = display.rpartition("@")
    valid = (len(display) <= 254 and at and local and len(local) <= 64 and "." in domain
             and not domain.startswith(".") and not domain.endswith(".")
             and not any(c.isspace() for c in display))
    if not valid:
        raise Problem(422, "validation", "email: not an email address")
    return display, display.lower()


def _checked(body):
    if not isinstance(body, dict) or set(body) - {"email", "password", "name", "roles"}:
        raise Problem(400, "invalid-body", "expected email, password, name, roles")
    email, canonical = _email(body.get("email", ""))
    name = str(body.get("name", "")).strip()
    if not name or len(name) > 100:
        raise Problem(422, "validation", "name: 1 to 100 characters")
    roles = sorted(set(body.get("roles") or []))
    if not roles or not set(roles) <= SELF_SERVICE_ROLES:
        raise Problem(422, "validation", "roles: client and/or freelancer")
    password = str(body.get("password", ""))
    if not 10 <= len(password) <= 128 or canonical in password.lower():
        raise Problem(422, "validation", "password: 10 to 128 characters, not the email")
    return email, canonical, name, roles, password


def handler(event, context):
    try:
        email, canonical, name, roles, password = _checked(json_body(event))
    except Problem as err:
        return err.response
    now = now_rfc3339()
    user_id = "usr_" + ulid()
    role_list = {"L": [{"S": r} for r in roles]}
    login = {
        "pk": {"S": f"LOGIN#{canonical}"}, "sk": {"S": "LOGIN"},
        "user_id": {"S": user_id}, "password_hash": {"S": HASHER.hash(password)},
        "roles": role_list, "email_confirmed": {"BOOL": False},
    }
    user = {
        "pk": {"S": f"USER#{user_id}"}, "sk": {"S": "PROFILE"},
        "id": {"S": user_id}, "email": {"S": email}, "email_canonical": {"S": canonical},
        "name": {"S": name}, "roles": role_list, "created_at": {"S": now},
        "version": {"N": "1"},
    }
    absent = "attribute_not_exists(pk)"
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": login, "ConditionExpression": absent}},
            {"Put": {"TableName": TABLE, "Item": user, "ConditionExpression": absent}},
            outbox_put("AccountSignedUp", {"user_id": user_id, "email": email, "name": name},
                       now),
        ])
    except ClientError as err:
        reasons = err.response.get("CancellationReasons") or []
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
            return problem(409, "email-taken", "an account with this email exists")
        raise
    return answer(201, {"id": user_id, "email": email, "name": name, "roles": roles,
                        "email_confirmed": False, "identity_verified": False,
                        "created_at": now})
