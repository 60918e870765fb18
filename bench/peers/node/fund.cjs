// POST /v1/milestones/{id}/fund, as Worklane's `escrow` function does it, call for call: the
// bearer token checked; one BatchGetItem of the milestone and the client's ledger account; the
// default billing method (its pointer, then the method: two GetItems, as the Rust store reads
// it); the charge (the sandbox processor: no I/O); then one TransactWriteItems of ten items —
// the milestone (on its version), the contract (still active), the charge, fee and escrow
// transfers (each new), the four ledger accounts they move (a balance that shrinks on
// `available >=`), and the outbox event. Money is exact: integer cents in BigInt.
"use strict";

const crypto = require("node:crypto");
const { BatchGetItemCommand, GetItemCommand, TransactWriteItemsCommand } = require("@aws-sdk/client-dynamodb");
const { TABLE, dynamodb, ulid, nowRfc3339, key, answer, problem, Problem, caller, outboxPut } = require("./common.cjs");

const FEE_SHARDS = 16;
const TOTALS = ["debits_posted", "credits_posted", "debits_pending", "credits_pending"];

/** "250.00" → 25000n; the table keeps two places. */
function cents(text) {
  const [whole, frac = ""] = String(text).split(".");
  const sign = whole.startsWith("-") ? -1n : 1n;
  return sign * (BigInt(whole.replace("-", "") || "0") * 100n + BigInt((frac + "00").slice(0, 2)));
}

function decimal(c) {
  const sign = c < 0n ? "-" : "";
  const abs = c < 0n ? -c : c;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

/** `amount × rate` rounded half away from zero to cents, the rate an exact decimal string. */
function feeCents(amount, rate) {
  const [whole, frac = ""] = rate.split(".");
  const scale = 10n ** BigInt(frac.length);
  const numerator = BigInt(whole || "0") * scale + BigInt(frac || "0");
  return (amount * numerator * 2n + scale) / (2n * scale);
}

const RATE = process.env.CLIENT_FEE_RATE || "0.05";
const s = (item, name) => item[name].S;

function accountUpdate(account, deltas) {
  const available = deltas.credits_posted - deltas.debits_posted - deltas.debits_pending;
  const values = { ":account": { S: account }, ":available": { N: decimal(available) } };
  for (const name of TOTALS) values[`:${name}`] = { N: decimal(deltas[name]) };
  const update = {
    TableName: TABLE,
    Key: key(`LEDGER#${account}`, "ACCOUNT"),
    UpdateExpression: `SET account_id = :account ADD ${TOTALS.map((n) => `${n} :${n}`).join(", ")}, available :available`,
    ExpressionAttributeValues: values,
  };
  if (available < 0n && !account.startsWith("world:")) {
    update.ConditionExpression = "available >= :need";
    values[":need"] = { N: decimal(-available) };
  }
  return { Update: update };
}

function transferPut(id, debit, credit, amount, currency, phase, code, reference, now) {
  return {
    Put: {
      TableName: TABLE,
      ConditionExpression: "attribute_not_exists(pk)",
      Item: {
        pk: { S: `TRANSFER#${id}` }, sk: { S: "TRANSFER" }, id: { S: id }, debit: { S: debit },
        credit: { S: credit }, amount: { M: { amount: { S: decimal(amount) }, currency: { S: currency } } },
        phase: { S: phase }, code: { S: code }, reference: { S: reference }, at: { S: now },
      },
    },
  };
}

async function fund(event) {
  const claims = caller(event, "client");
  const user = claims.sub;
  const milestoneId = (event.pathParameters || {}).id || "";
  const clientAccount = `client:${user}`;
  const found = await dynamodb.send(new BatchGetItemCommand({
    RequestItems: { [TABLE]: { Keys: [key(`MILESTONE#${milestoneId}`, "MILESTONE"), key(`LEDGER#${clientAccount}`, "ACCOUNT")] } },
  }));
  const byPk = new Map(found.Responses[TABLE].map((item) => [item.pk.S, item]));
  const milestone = byPk.get(`MILESTONE#${milestoneId}`);
  if (!milestone || s(milestone, "client_id") !== user) throw new Problem(404, "not-found", "no such milestone");
  if (s(milestone, "state") !== "unfunded") throw new Problem(409, "milestone-state", "the milestone is not waiting for funds");
  const amount = cents(milestone.amount.M.amount.S);
  const currency = milestone.amount.M.currency.S;
  const account = byPk.get(`LEDGER#${clientAccount}`) || {};
  const fee = feeCents(amount, RATE);
  const total = amount + fee;
  const available = account.available ? cents(account.available.N) : 0n;
  const fromBalance = available < 0n ? 0n : available > total ? total : available;
  const charge = total - fromBalance;
  if (charge > 0n) {
    const pointer = (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: key(`USER#${user}`, "DEFAULT#BILLINGMETHOD") }))).Item;
    if (!pointer) throw new Problem(409, "billing-method-required", "add a billing method first");
    const method = (await dynamodb.send(new GetItemCommand({
      TableName: TABLE, Key: key(`USER#${user}`, `BILLINGMETHOD#${s(pointer, "method_id")}`),
    }))).Item;
    if (!method) throw new Problem(409, "billing-method-required", "add a billing method first");
  }
  const now = nowRfc3339();
  const [chargeId, feeId, escrowId] = [ulid(), ulid(), ulid()].map((id) => "trf_" + id);
  const feesAccount = `fees:${String(crypto.randomInt(FEE_SHARDS)).padStart(2, "0")}`;
  const world = `world:${currency}`;
  const earnings = `earnings:${s(milestone, "freelancer_id")}`;
  const effects = new Map([world, clientAccount, feesAccount, earnings].map((a) => [a, Object.fromEntries(TOTALS.map((n) => [n, 0n]))]));
  effects.get(world).debits_posted += charge;
  effects.get(clientAccount).credits_posted += charge;
  effects.get(clientAccount).debits_posted += fee;
  effects.get(feesAccount).credits_posted += fee;
  effects.get(clientAccount).debits_pending += amount;
  effects.get(earnings).credits_pending += amount;
  const version = Number(milestone.version.N);
  const contractId = s(milestone, "contract_id");
  const money = (c) => ({ M: { amount: { S: decimal(c) }, currency: { S: currency } } });
  const items = [
    { Update: {
      TableName: TABLE, Key: key(`MILESTONE#${milestoneId}`, "MILESTONE"),
      UpdateExpression: "SET #state = :funded, funded_at = :now, escrow_transfer = :escrow, client_fee = :fee, version = :next",
      ConditionExpression: "version = :version",
      ExpressionAttributeNames: { "#state": "state" },
      ExpressionAttributeValues: {
        ":funded": { S: "funded" }, ":now": { S: now }, ":escrow": { S: escrowId }, ":fee": money(fee),
        ":next": { N: String(version + 1) }, ":version": { N: String(version) },
      },
    } },
    { ConditionCheck: {
      TableName: TABLE, Key: key(`CONTRACT#${contractId}`, "CONTRACT"),
      ConditionExpression: "#state = :active",
      ExpressionAttributeNames: { "#state": "state" },
      ExpressionAttributeValues: { ":active": { S: "active" } },
    } },
    transferPut(chargeId, world, clientAccount, charge, currency, "posted", "charge", milestoneId, now),
    transferPut(feeId, clientAccount, feesAccount, fee, currency, "posted", "client_fee", milestoneId, now),
    transferPut(escrowId, clientAccount, earnings, amount, currency, "pending", "escrow", milestoneId, now),
    ...[...effects].map(([a, deltas]) => accountUpdate(a, deltas)),
    outboxPut("MilestoneFunded", { milestone_id: milestoneId, contract_id: contractId, amount: { amount: decimal(amount), currency } }, now),
  ];
  try {
    await dynamodb.send(new TransactWriteItemsCommand({ TransactItems: items }));
  } catch (err) {
    if (err.name === "TransactionCanceledException") throw new Problem(409, "milestone-changed", "the milestone changed meanwhile");
    throw err;
  }
  return {
    id: milestoneId, contract_id: contractId, state: "funded", amount: { amount: decimal(amount), currency },
    client_fee: { amount: decimal(fee), currency }, funded_at: now, version: version + 1,
  };
}

exports.handler = async (event) => {
  try {
    return answer(200, await fund(event));
  } catch (err) {
    if (err instanceof Problem) return err.response;
    return problem(500, "internal", String(err && err.message));
  }
};
