"""Creates the accounts and objects a schemathesis run needs on a running local API, and
prints them as JSON: an access token per role, and the ids of one real object of each kind
(a job, a proposal, an offer, a contract, a milestone, a room, ...), so fuzzed requests reach
real objects instead of only 404s.

Only the standard library: it runs with any python3 before any venv exists.

    python3 scripts/contract/setup.py http://127.0.0.1:3000 > .cache/contract/setup.json
"""

import json
import sys
import time
import urllib.error
import urllib.request
import uuid

BASE = sys.argv[1].rstrip("/")
PASSWORD = "correct horse battery staple 42"


def call(method, path, body=None, token=None, expect=(200, 201, 204)):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    if status not in expect:
        sys.exit(f"setup: {method} {path} answered {status}: {raw.decode(errors='replace')}")
    return json.loads(raw) if raw else None


def account(name, roles):
    email = f"contract-{name}-{uuid.uuid4().hex[:10]}@example.com"
    user = call("POST", "/v1/auth/signup",
                {"email": email, "password": PASSWORD, "name": name.title(), "roles": roles})
    deadline = time.monotonic() + 30
    while True:
        mails = call("GET", f"/_dev/mailbox?to={email}")["items"]
        token = next((line.split(": ", 1)[1].strip() for mail in mails
                      for line in mail["text"].splitlines()
                      if line.startswith("Confirmation token: ")), None)
        if token:
            break
        if time.monotonic() > deadline:
            sys.exit(f"setup: no confirmation email to {email}")
        time.sleep(0.1)
    call("POST", "/v1/auth/confirm", {"token": token})
    login = call("POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
    return {"id": user["id"], "email": email, "password": PASSWORD,
            "token": login["access_token"], "refresh_token": login["refresh_token"]}


def main():
    client = account("client", ["client", "freelancer"])
    freelancer = account("freelancer", ["freelancer"])
    admin = account("admin", ["client"])
    call("POST", f"/_dev/users/{admin['id']}/admin")
    # Admin rights are read at login: a fresh token carries them.
    admin["token"] = call("POST", "/v1/auth/login",
                          {"email": admin["email"], "password": PASSWORD})["access_token"]

    c, f = client["token"], freelancer["token"]
    card = call("POST", "/v1/me/billing-methods",
                {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                          "exp_year": 2031, "cvc": "123"}}, token=c, expect=(201,))
    job = call("POST", "/v1/jobs", {
        "title": "Rust API on Lambda",
        "description": "A serverless REST API in Rust on AWS Lambda with DynamoDB.",
        "category": "web-mobile-software-dev", "skills": ["rust", "dynamodb"],
        "experience_level": "expert", "type": "fixed",
        "budget": {"amount": "600.00", "currency": "USD"}}, token=c, expect=(201,))
    proposal = call("POST", f"/v1/jobs/{job['id']}/proposals", {
        "cover_letter": "I have built this kind of API many times, on Lambda and DynamoDB.",
        "bid": {"amount": "450.00", "currency": "USD"}, "duration": "1-3 months"},
        token=f, expect=(201,))
    offer = call("POST", "/v1/offers", {
        "proposal_id": proposal["id"], "job_id": job["id"], "freelancer_id": freelancer["id"],
        "type": "fixed", "milestones": [
            {"description": "First delivery", "amount": {"amount": "250.00", "currency": "USD"}},
            {"description": "Second delivery", "amount": {"amount": "200.00", "currency": "USD"}}]},
        token=c, expect=(201,))
    accepted = call("POST", f"/v1/offers/{offer['id']}/accept", token=f)
    contract = call("GET", f"/v1/contracts/{accepted['contract_id']}", token=c)
    milestone = contract["milestones"][0]["id"]
    call("POST", f"/v1/milestones/{milestone}/fund", {}, token=c)
    rooms = call("GET", "/v1/rooms", token=c)["items"]
    ids = {
        "job": job["id"], "proposal": proposal["id"], "offer": offer["id"],
        "contract": contract["id"], "milestone": milestone, "room": rooms[0]["id"] if rooms else None,
        "billing_method": card["id"], "client": client["id"], "freelancer": freelancer["id"],
    }
    json.dump({"client": client, "freelancer": freelancer, "admin": admin, "ids": ids},
              sys.stdout, indent=2)


main()
