/**
 * A typed client for the Worklane HTTP API.
 *
 * The types (`./schema.d.ts`) are generated from the server's `/openapi.json` by
 * openapi-typescript; requests go through openapi-fetch. This file only adds what every app
 * needs on top:
 *
 * - `Authorization: Bearer <access token>` on every request once a token is known;
 * - an `Idempotency-Key` on every POST when asked (`idempotencyKeys: true`), so that a retry
 *   of a lost request replays the first answer instead of charging twice;
 * - bounded retries of requests that are safe to repeat (GET, or a mutation that carries an
 *   Idempotency-Key) after a network error or a 503;
 * - errors as a thrown `ProblemError` carrying the problem+json fields, so a call either
 *   resolves with the typed success body or throws.
 */
import createClient, { type Client, type FetchResponse, type MaybeOptionalInit } from "openapi-fetch";
import type { HttpMethod, MediaType, PathsWithMethod, RequiredKeysOf } from "openapi-typescript-helpers";
import type { components, paths } from "./schema.js";

export type { components, paths } from "./schema.js";
/** Every named schema of the API, e.g. `Schemas["JobView"]`. */
export type Schemas = components["schemas"];

/** One entry of a problem's `errors`: which request field failed validation, and why. */
export interface FieldError {
  field: string;
  message: string;
}

/** The body of every error answer (`application/problem+json`, RFC 9457). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  /** Stable, documented: branch on this, not on `title` or `detail`. */
  code: string;
  detail: string;
  /** The request id (also in the `x-request-id` header): quote it in bug reports. */
  instance?: string;
  /** Validation failures (status 422, code `validation_failed`), one per field. */
  errors?: FieldError[];
}

/** A non-2xx answer. `status`, `code`, `title`, `detail` and `errors` come from problem+json. */
export class ProblemError extends Error implements Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly instance?: string;
  readonly errors: FieldError[];
  readonly method: string;
  readonly url: string;
  /** `Retry-After` in seconds (429, some 503s), when the server sent one. */
  readonly retryAfter?: number;

  constructor(problem: Problem, request: { method: string; url: string }, retryAfter?: number) {
    const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`).join("; ");
    super(
      `${request.method} ${request.url} → ${problem.status} ${problem.code}: ${problem.detail}` +
        (fields ? ` (${fields})` : ""),
    );
    this.name = "ProblemError";
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.errors = problem.errors ?? [];
    this.method = request.method;
    this.url = request.url;
    this.retryAfter = retryAfter;
  }

  /** The message of the validation error on `field`, if there is one. */
  fieldError(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

export interface WorklaneClientOptions {
  /** The access token, or a function that returns the current one (e.g. after a refresh). */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /** Give every POST without an explicit `Idempotency-Key` a fresh random one. */
  idempotencyKeys?: boolean;
  /**
   * How many times to retry a request that is safe to repeat (a GET, or a mutation carrying an
   * Idempotency-Key: the same key and body replay the first answer) after a network error or
   * a 503. Default 2; 0 turns retries off.
   */
  retries?: number;
  /** A `fetch` of your own (tests, instrumentation); defaults to the global one. */
  fetch?: (request: Request) => Promise<Response>;
  /** Headers added to every request. */
  headers?: Record<string, string>;
}

// What openapi-fetch's methods accept as their second argument (its own `InitParam`).
type InitParam<Init> = RequiredKeysOf<Init> extends never
  ? [(Init & { [key: string]: unknown })?]
  : [Init & { [key: string]: unknown }];
// The success branch of an openapi-fetch answer.
type SuccessData<R> = R extends { data: infer D; error?: never } ? D : never;

/** A method that resolves with the typed success body, or throws a `ProblemError`. */
export type WorklaneMethod<M extends HttpMethod> = <
  P extends PathsWithMethod<paths, M>,
  Init extends MaybeOptionalInit<paths[P], M>,
>(
  url: P,
  ...init: InitParam<Init>
) => Promise<
  paths[P][M] extends infer Op extends Record<string | number, any>
    ? SuccessData<FetchResponse<Op, Init, MediaType>>
    : never
>;

export interface WorklaneClient {
  GET: WorklaneMethod<"get">;
  POST: WorklaneMethod<"post">;
  PUT: WorklaneMethod<"put">;
  PATCH: WorklaneMethod<"patch">;
  DELETE: WorklaneMethod<"delete">;
  /** The openapi-fetch client underneath (same middleware): for headers such as ETag. */
  raw: Client<paths>;
}

const IDEMPOTENCY_KEY = "Idempotency-Key";

/**
 * A client for the API at `baseUrl` (e.g. `http://127.0.0.1:3000`).
 *
 * ```ts
 * const api = createWorklaneClient("http://127.0.0.1:3000", { token: access_token });
 * const job = await api.GET("/v1/jobs/{id}", { params: { path: { id } } }); // Schemas["JobView"]
 * ```
 */
export function createWorklaneClient(baseUrl: string, options: WorklaneClientOptions = {}): WorklaneClient {
  const retries = Math.max(0, options.retries ?? 2);
  const baseFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const raw = createClient<paths>({
    baseUrl,
    headers: options.headers,
    fetch: (request) => fetchWithRetries(baseFetch, request, retries),
  });
  raw.use({
    async onRequest({ request }) {
      const token = typeof options.token === "function" ? await options.token() : options.token;
      if (token && !request.headers.has("authorization")) {
        request.headers.set("authorization", `Bearer ${token}`);
      }
      if (options.idempotencyKeys && request.method === "POST" && !request.headers.has(IDEMPOTENCY_KEY)) {
        request.headers.set(IDEMPOTENCY_KEY, crypto.randomUUID());
      }
      return request;
    },
    async onResponse({ request, response }) {
      // A 304 answers a conditional request: `raw` hands it back, the wrapped methods throw.
      if (!response.ok && response.status !== 304) {
        throw await problemOf(request, response);
      }
      return undefined;
    },
  });
  const unwrap =
    (method: string, call: (url: never, init?: never) => Promise<{ data?: unknown; response: Response }>) =>
    async (url: never, init?: never) => {
      const { data, response } = await call(url, init);
      if (response.status === 304) {
        throw await problemOf({ method, url: response.url }, response);
      }
      return data;
    };
  return {
    GET: unwrap("GET", raw.GET as never) as WorklaneMethod<"get">,
    POST: unwrap("POST", raw.POST as never) as WorklaneMethod<"post">,
    PUT: unwrap("PUT", raw.PUT as never) as WorklaneMethod<"put">,
    PATCH: unwrap("PATCH", raw.PATCH as never) as WorklaneMethod<"patch">,
    DELETE: unwrap("DELETE", raw.DELETE as never) as WorklaneMethod<"delete">,
    raw,
  };
}

/** A fresh key for `params: { header: { "Idempotency-Key": ... } }`; keep it to retry with. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

async function fetchWithRetries(
  fetch: (request: Request) => Promise<Response>,
  request: Request,
  retries: number,
): Promise<Response> {
  const repeatable =
    request.method === "GET" || request.method === "HEAD" || request.headers.has(IDEMPOTENCY_KEY);
  if (!repeatable || retries === 0) {
    return fetch(request);
  }
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= retries;
    let response: Response;
    try {
      // A Request's body can be read once: every attempt but the last sends a copy.
      response = await fetch(last ? request : request.clone());
    } catch (error) {
      if (last) throw error;
      await sleep(backoff(attempt));
      continue;
    }
    if (response.status !== 503 || last) {
      return response;
    }
    await response.body?.cancel();
    await sleep(retryAfterSeconds(response) !== undefined ? retryAfterSeconds(response)! * 1000 : backoff(attempt));
  }
}

function backoff(attempt: number): number {
  return Math.min(2000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

function retryAfterSeconds(response: Response): number | undefined {
  const value = response.headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 30) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function problemOf(request: { method: string; url: string }, response: Response): Promise<ProblemError> {
  const text = await response.clone().text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const where = { method: request.method, url: request.url };
  const retryAfter = retryAfterSeconds(response);
  if (isProblem(body)) {
    return new ProblemError(body, where, retryAfter);
  }
  // Not problem+json: a 304 to a conditional request (use `raw` for those), or something in
  // front of the API (a gateway's 502). Keep what there is.
  return new ProblemError(
    {
      type: "about:blank",
      title: response.statusText || `HTTP ${response.status}`,
      status: response.status,
      code: response.status === 304 ? "not_modified" : "unexpected_response",
      detail: text.slice(0, 500),
    },
    where,
    retryAfter,
  );
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.status === "number" && typeof b.code === "string" && typeof b.title === "string";
}
