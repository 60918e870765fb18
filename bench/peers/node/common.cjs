// What both Node peers share: the client, the table's keys, the token check, answers.
//
// The peers do the same work as Worklane's Rust handlers against the same table (see
// bench/peers/README.md). They are written the way a Node Lambda usually is: the AWS SDK v3
// low-level DynamoDB client built at module load (once per cold start), no framework.
"use strict";

const crypto = require("node:crypto");
const { DynamoDBClient } = require("@aws-sdk/client-dynamodb");

const TABLE = process.env.TABLE_NAME;
// AWS_ENDPOINT_URL_DYNAMODB points the SDK at DynamoDB Local, as it does the Rust functions.
const dynamodb = new DynamoDBClient({});

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** 48 bits of milliseconds and 80 random bits in Crockford base32, like the Rust ids. */
function ulid() {
  let value = (BigInt(Date.now()) << 80n) | BigInt("0x" + crypto.randomBytes(10).toString("hex"));
  let out = "";
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

const nowRfc3339 = () => new Date().toISOString();
const key = (pk, sk) => ({ pk: { S: pk }, sk: { S: sk } });

function answer(status, body, contentType = "application/json") {
  return { statusCode: status, headers: { "content-type": contentType }, body: JSON.stringify(body) };
}

function problem(status, code, detail) {
  return answer(
    status,
    { type: `https://worklane.dev/problems/${code}`, title: code, status, detail },
    "application/problem+json",
  );
}

class Problem extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.response = problem(status, code, detail);
  }
}

function jsonBody(event) {
  let raw = event.body || "";
  if (event.isBase64Encoded) raw = Buffer.from(raw, "base64").toString();
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new Problem(400, "malformed-json", err.message);
  }
}

function outboxPut(type, payload, now) {
  const id = "evt_" + ulid();
  return {
    Put: {
      TableName: TABLE,
      Item: {
        pk: { S: `OUTBOX#${id}` }, sk: { S: "OUTBOX" }, id: { S: id }, type: { S: type },
        occurred_at: { S: now }, payload: { S: JSON.stringify(payload) },
      },
      ConditionExpression: "attribute_not_exists(pk)",
    },
  };
}

// JWT_SIGNING_KEYS: comma-separated secrets; the key id is the first 12 hex of their SHA-256.
const KEYS = new Map(
  (process.env.JWT_SIGNING_KEYS || "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => [crypto.createHash("sha256").update(s).digest("hex").slice(0, 12), Buffer.from(s)]),
);

/** The verified claims of the bearer token (HS256 with a key id), as the Rust layer checks. */
function caller(event, role) {
  const headers = Object.fromEntries(
    Object.entries(event.headers || {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const auth = headers.authorization || "";
  if (!auth.startsWith("Bearer ")) throw new Problem(401, "unauthenticated", "a bearer token is required");
  const parts = auth.slice("Bearer ".length).split(".");
  if (parts.length !== 3) throw new Problem(401, "invalid-token", "malformed token");
  let header;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString());
  } catch {
    throw new Problem(401, "invalid-token", "malformed token");
  }
  const secret = header.alg === "HS256" ? KEYS.get(header.kid) : undefined;
  if (!secret) throw new Problem(401, "invalid-token", "unknown key");
  const expected = crypto.createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest();
  const signature = Buffer.from(parts[2], "base64url");
  if (signature.length !== expected.length || !crypto.timingSafeEqual(expected, signature)) {
    throw new Problem(401, "invalid-token", "bad signature");
  }
  const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
  if (claims.iss !== "worklane" || claims.typ !== "access") {
    throw new Problem(401, "invalid-token", "not an access token");
  }
  if (Date.now() / 1000 >= (claims.exp || 0)) throw new Problem(401, "invalid-token", "expired");
  if (!claims.email_confirmed) throw new Problem(403, "email-unconfirmed", "confirm your email first");
  if (!(claims.roles || []).includes(role)) throw new Problem(403, "forbidden", `this needs the ${role} role`);
  return claims;
}

module.exports = { TABLE, dynamodb, ulid, nowRfc3339, key, answer, problem, Problem, jsonBody, outboxPut, caller };
