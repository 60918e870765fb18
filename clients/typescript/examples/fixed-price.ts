/**
 * The fixed-price workflow end to end, through the typed client only:
 * signup (client + freelancer) → confirm → login → billing method → job → proposal → offer →
 * accept → fund → submit → approve, then the contract and both wallets are checked.
 *
 *   WORKLANE_URL=http://127.0.0.1:3000 npx tsx examples/fixed-price.ts
 *
 * Needs the local stack (`scripts/dev`): the confirmation token is read from its developer
 * mailbox (`GET /_dev/mailbox`, not part of the API, so plain fetch). Exits non-zero on any
 * failure.
 */
import {
  createWorklaneClient,
  newIdempotencyKey,
  ProblemError,
  type Schemas,
  type WorklaneClient,
} from "../src/index.js";

const baseUrl = (process.env.WORKLANE_URL ?? "http://127.0.0.1:3000").replace(/\/+$/, "");
const PASSWORD = "correct horse battery staple";
const MILESTONE = "500.00";
// A first $500 to a new client: 20 % service fee (§10.3's first band) → $400.00 net;
// the client pays a 5 % marketplace fee on funding → $25.00.
const EXPECTED_CLIENT_FEE = "25.00";
const EXPECTED_NET = "400.00";

let stepNumber = 0;
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  stepNumber += 1;
  const started = performance.now();
  const result = await run();
  console.log(`  ${String(stepNumber).padStart(2)}. ${what} (${Math.round(performance.now() - started)} ms)`);
  return result;
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${what}`);
}

function equal<T>(actual: T, expected: T, what: string): void {
  check(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** The newest confirmation token in the local stack's mailbox (the email is sent by a worker). */
async function confirmationToken(email: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`${baseUrl}/_dev/mailbox?to=${encodeURIComponent(email)}`);
    check(response.ok, `GET /_dev/mailbox answered ${response.status}`);
    const mailbox = (await response.json()) as { items: { text: string }[] };
    const token = mailbox.items[0]?.text
      .split("\n")
      .map((line) => /^Confirmation token: (\S+)/.exec(line.trim())?.[1])
      .find((t) => t !== undefined);
    if (token) return token;
    if (Date.now() > deadline) throw new Error(`no confirmation email to ${email} within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The ProblemError that `call` throws (it must throw one). */
async function problem(call: () => Promise<unknown>): Promise<ProblemError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof ProblemError) return error;
    throw error;
  }
  throw new Error("the request succeeded, but a problem was expected");
}

interface Person {
  id: string;
  email: string;
  api: WorklaneClient;
}

/** Signs up, confirms the email and logs in; the answer is a client holding the access token. */
async function account(role: Schemas["SignupRequest"]["roles"][number], name: string): Promise<Person> {
  const anonymous = createWorklaneClient(baseUrl);
  const email = `ts-${role}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const user = await step(`${role}: POST /v1/auth/signup ${email}`, () =>
    anonymous.POST("/v1/auth/signup", { body: { email, password: PASSWORD, name, roles: [role] } }),
  );
  equal(user.email_confirmed, false, "a new account is unconfirmed");
  const token = await step(`${role}: GET /_dev/mailbox (confirmation token)`, () => confirmationToken(email));
  const confirmed = await step(`${role}: POST /v1/auth/confirm`, () =>
    anonymous.POST("/v1/auth/confirm", { body: { token } }),
  );
  equal(confirmed.email_confirmed, true, "confirmed");
  const tokens = await step(`${role}: POST /v1/auth/login`, () =>
    anonymous.POST("/v1/auth/login", { body: { email, password: PASSWORD } }),
  );
  check(tokens.expires_in > 0, "the access token has a lifetime");
  return { id: user.id, email, api: createWorklaneClient(baseUrl, { token: tokens.access_token, idempotencyKeys: true }) };
}

async function main(): Promise<void> {
  console.log(`fixed-price workflow against ${baseUrl}`);
  const client = await account("client", "Cleo Client");
  const freelancer = await account("freelancer", "Fred Freelancer");

  const me = await step("freelancer: GET /v1/me", () => freelancer.api.GET("/v1/me"));
  equal(me.id, freelancer.id, "GET /v1/me is the caller");

  const card = await step("client: POST /v1/me/billing-methods (sandbox card 4242…)", () =>
    client.api.POST("/v1/me/billing-methods", {
      body: { type: "card", card: { number: "4242424242424242", exp_month: 12, exp_year: 2031, cvc: "123" } },
    }),
  );
  equal(card.default, true, "the first billing method is the default");
  equal(card.last4, "4242", "card last4");

  // A typed problem: validation failures name their fields.
  const invalid = await step("client: POST /v1/jobs with an empty title → 422 problem+json", () =>
    problem(() =>
      client.api.POST("/v1/jobs", {
        body: {
          title: "",
          description: "A serverless REST API in Rust on AWS Lambda with DynamoDB.",
          category: "web-mobile-software-dev",
          skills: ["rust"],
          experience_level: "expert",
          type: "fixed",
          budget: { amount: "600.00", currency: "USD" },
          duration: "1-3 months",
        },
      }),
    ),
  );
  equal(invalid.status, 422, "status of an invalid job");
  check(invalid.fieldError("title") !== undefined, `errors[] names the title: ${JSON.stringify(invalid.errors)}`);

  const job = await step("client: POST /v1/jobs (fixed price)", () =>
    client.api.POST("/v1/jobs", {
      body: {
        title: "Rust API on Lambda",
        description: "A serverless REST API in Rust on AWS Lambda with DynamoDB.",
        category: "web-mobile-software-dev",
        skills: ["rust", "aws-lambda"],
        experience_level: "expert",
        type: "fixed",
        budget: { amount: "600.00", currency: "USD" },
        duration: "1-3 months",
        visibility: "public",
      },
    }),
  );
  equal(job.type, "fixed", "job type");
  check(job.type === "fixed" && job.budget.amount === "600.00", "the job's budget is 600.00");

  const read = await step("freelancer: GET /v1/jobs/{id}", () =>
    freelancer.api.GET("/v1/jobs/{id}", { params: { path: { id: job.id } } }),
  );
  equal(read.id, job.id, "the freelancer reads the job");

  const proposal = await step("freelancer: POST /v1/jobs/{id}/proposals", () =>
    freelancer.api.POST("/v1/jobs/{id}/proposals", {
      params: { path: { id: job.id } },
      body: {
        cover_letter: "I have built this kind of API many times, on Lambda and DynamoDB.",
        bid: { amount: MILESTONE, currency: "USD" },
        duration: "1-3 months",
        boost_connects: 0,
      },
    }),
  );
  equal(proposal.job_id, job.id, "the proposal is for the job");
  equal(proposal.connects_spent, job.connects_cost, "the proposal cost the job's Connects");

  const offer = await step("client: POST /v1/offers (one milestone)", () =>
    client.api.POST("/v1/offers", {
      body: {
        proposal_id: proposal.id,
        job_id: job.id,
        freelancer_id: freelancer.id,
        type: "fixed",
        milestones: [{ description: "Build the API", amount: { amount: MILESTONE, currency: "USD" } }],
      },
    }),
  );
  equal(offer.state, "pending", "offer state");

  const accepted = await step("freelancer: POST /v1/offers/{id}/accept", () =>
    freelancer.api.POST("/v1/offers/{id}/accept", { params: { path: { id: offer.id } } }),
  );
  equal(accepted.state, "active", "contract state");
  const milestone = accepted.milestones[0];
  check(milestone !== undefined && accepted.milestones.length === 1, "the contract has one milestone");
  equal(milestone.state, "unfunded", "milestone state after accept");
  const path = { params: { path: { id: milestone.id } } };

  // Funding charges the card: send it with an Idempotency-Key of our own and keep the key, so
  // that a retry after a lost answer replays the first answer instead of charging again.
  const fundKey = newIdempotencyKey();
  const fund = { ...path, params: { ...path.params, header: { "Idempotency-Key": fundKey } }, body: {} };
  const funded = await step("client: POST /v1/milestones/{id}/fund (Idempotency-Key)", () =>
    client.api.POST("/v1/milestones/{id}/fund", fund),
  );
  equal(funded.state, "funded", "milestone state after fund");
  equal(funded.client_fee?.amount, EXPECTED_CLIENT_FEE, "client fee");
  const retried = await step("client: the same fund again, same key and body → replayed", () =>
    client.api.raw.POST("/v1/milestones/{id}/fund", fund),
  );
  equal(retried.response.headers.get("idempotent-replayed"), "true", "the retry is a replay");
  equal(JSON.stringify(retried.data), JSON.stringify(funded), "the replay is the first answer");
  const escrow = await step("client: GET /v1/me/wallet", () => client.api.GET("/v1/me/wallet"));
  equal(escrow.in_escrow, MILESTONE, "client in_escrow after funding (charged once)");

  const submitted = await step("freelancer: POST /v1/milestones/{id}/submit", () =>
    freelancer.api.POST("/v1/milestones/{id}/submit", { ...path, body: { message: "Done: see the pull request." } }),
  );
  equal(submitted.state, "submitted", "milestone state after submit");
  check(typeof submitted.auto_release_at === "string", "a submission sets auto_release_at");

  const approved = await step("client: POST /v1/milestones/{id}/approve", () =>
    client.api.POST("/v1/milestones/{id}/approve", { ...path, body: {} }),
  );
  equal(approved.state, "released", "milestone state after approve");
  equal(approved.release?.gross.amount, MILESTONE, "release gross");
  equal(approved.release?.net.amount, EXPECTED_NET, "release net");

  const contract = await step("client: GET /v1/contracts/{id}", () =>
    client.api.GET("/v1/contracts/{id}", { params: { path: { id: accepted.contract_id } } }),
  );
  const released = contract.milestones.find((m) => m.id === milestone.id);
  equal(released?.state, "released", "the contract's milestone state");
  equal(released?.released_amount?.amount, MILESTONE, "the contract's released amount");
  check(typeof released?.released_at === "string" && released.released_at.endsWith("Z"), "released_at is RFC 3339 UTC");

  const wallet = await step("freelancer: GET /v1/me/wallet", () => freelancer.api.GET("/v1/me/wallet"));
  equal(wallet.currency, "USD", "wallet currency");
  equal(wallet.pending, EXPECTED_NET, "freelancer pending (security period)");
  equal(wallet.available, "0.00", "freelancer available");
  const clientWallet = await step("client: GET /v1/me/wallet", () => client.api.GET("/v1/me/wallet"));
  equal(clientWallet.in_escrow, "0.00", "client in_escrow after release");

  // A typed problem: approving twice is refused by the milestone's state.
  const again = await step("client: POST /v1/milestones/{id}/approve again → 409 problem+json", () =>
    problem(() => client.api.POST("/v1/milestones/{id}/approve", { ...path, body: {} })),
  );
  equal(again.status, 409, `a second approve is refused by the state (${again.code}: ${again.detail})`);

  console.log(`fixed-price workflow: OK (${stepNumber} steps, milestone ${milestone.id} released, net ${wallet.pending} USD)`);
}

main().catch((error: unknown) => {
  if (error instanceof ProblemError) {
    console.error(`fixed-price workflow: FAILED: ${error.message}`);
    console.error(JSON.stringify({ status: error.status, code: error.code, title: error.title, detail: error.detail, errors: error.errors, instance: error.instance }, null, 2));
  } else {
    console.error("fixed-price workflow: FAILED:", error);
  }
  process.exit(1);
});
