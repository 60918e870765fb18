// POST /v1/auth/signup, as Worklane's `auth` function does it: validate, hash the password with
// argon2id (19 MiB, 2 passes, 1 lane: the same parameters), then one TransactWriteItems that
// puts the login identity (which makes the email unique), the user and the outbox event, each
// on the condition that it does not exist yet.
"use strict";

const argon2 = require("argon2");
const { TransactWriteItemsCommand } = require("@aws-sdk/client-dynamodb");
const { TABLE, dynamodb, ulid, nowRfc3339, answer, problem, Problem, jsonBody, outboxPut } = require("./common.cjs");

const SELF_SERVICE_ROLES = new Set(["client", "freelancer"]);

function email(raw) {
  const display = String(raw ?? "").trim();
  const at = display.lastIndexOf("@");
  const local = display.slice(0, at);
  const domain = display.slice(at + 1);
  const valid = display.length <= 254 && at > 0 && local.length <= 64 && domain.includes(".") &&
    !domain.startsWith(".") && !domain.endsWith(".") && !/\s/.test(display);
  if (!valid) throw new Problem(422, "validation", "email: not an email address");
  return [display, display.toLowerCase()];
}

function checked(body) {
  const allowed = new Set(["email", "password", "name", "roles"]);
  if (typeof body !== "object" || body === null || Object.keys(body).some((k) => !allowed.has(k))) {
    throw new Problem(400, "invalid-body", "expected email, password, name, roles");
  }
  const [display, canonical] = email(body.email);
  const name = String(body.name ?? "").trim();
  if (!name || name.length > 100) throw new Problem(422, "validation", "name: 1 to 100 characters");
  const roles = [...new Set(body.roles || [])].sort();
  if (!roles.length || roles.some((r) => !SELF_SERVICE_ROLES.has(r))) {
    throw new Problem(422, "validation", "roles: client and/or freelancer");
  }
  const password = String(body.password ?? "");
  if (password.length < 10 || password.length > 128 || password.toLowerCase().includes(canonical)) {
    throw new Problem(422, "validation", "password: 10 to 128 characters, not the email");
  }
  return { display, canonical, name, roles, password };
}

exports.handler = async (event) => {
  let input;
  try {
    input = checked(jsonBody(event));
  } catch (err) {
    if (err instanceof Problem) return err.response;
    throw err;
  }
  const { display, canonical, name, roles, password } = input;
  const now = nowRfc3339();
  const userId = "usr_" + ulid();
  const roleList = { L: roles.map((r) => ({ S: r })) };
  const passwordHash = await argon2.hash(password, {
    type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1, hashLength: 32,
  });
  const absent = "attribute_not_exists(pk)";
  try {
    await dynamodb.send(new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: TABLE, ConditionExpression: absent, Item: {
          pk: { S: `LOGIN#${canonical}` }, sk: { S: "LOGIN" }, user_id: { S: userId },
          password_hash: { S: passwordHash }, roles: roleList, email_confirmed: { BOOL: false },
        } } },
        { Put: { TableName: TABLE, ConditionExpression: absent, Item: {
          pk: { S: `USER#${userId}` }, sk: { S: "PROFILE" }, id: { S: userId }, email: { S: display },
          email_canonical: { S: canonical }, name: { S: name }, roles: roleList,
          created_at: { S: now }, version: { N: "1" },
        } } },
        outboxPut("AccountSignedUp", { user_id: userId, email: display, name }, now),
      ],
    }));
  } catch (err) {
    if (err.name === "TransactionCanceledException" && err.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed") {
      return problem(409, "email-taken", "an account with this email exists");
    }
    throw err;
  }
  return answer(201, {
    id: userId, email: display, name, roles, email_confirmed: false, identity_verified: false, created_at: now,
  });
};
