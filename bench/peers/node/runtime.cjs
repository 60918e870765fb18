// A minimal Lambda Runtime API client, used when `aws-lambda-ric` could not be built here (it
// compiles a C++ client and libcurl, needing cmake and autotools): the same three calls —
// GET next, POST response or error — over one kept-alive connection, as the Lambda Node runtime
// makes them. Usage: node runtime.cjs <module>.<export>, from the function's directory.
"use strict";

const http = require("node:http");
const path = require("node:path");

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const BASE = "/2018-06-01/runtime";

function call(method, route, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: BASE + route, agent, headers: body === undefined ? {} : { "content-type": "application/json" } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const errorOf = (err) => JSON.stringify({ errorType: (err && err.name) || "Error", errorMessage: String(err && err.message) });

async function main() {
  const [file, name] = process.argv[2].split(".");
  let handler;
  try {
    handler = require(path.resolve(process.cwd(), `${file}.cjs`))[name];
  } catch (err) {
    await call("POST", "/init/error", errorOf(err));
    process.exit(1);
  }
  for (;;) {
    const next = await call("GET", "/invocation/next");
    const id = next.headers["lambda-runtime-aws-request-id"];
    try {
      const result = await handler(JSON.parse(next.body), { awsRequestId: id });
      await call("POST", `/invocation/${id}/response`, JSON.stringify(result));
    } catch (err) {
      await call("POST", `/invocation/${id}/error`, errorOf(err));
    }
  }
}

main();
