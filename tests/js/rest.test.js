// Unit tests of the shared REST client (static/js/rest.js) over a fake fetch.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ApiError, createClient, describe as describeError, parseJson } from "../../static/js/rest.js";

/** A fetch that records its calls and answers with the given responses in turn. */
function fakeFetch(...answers) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, init });
    const answer = answers.shift();
    if (answer instanceof Error) throw answer;
    const { status = 200, body = "", headers = {} } = answer;
    return {
      status,
      ok: status >= 200 && status < 300,
      headers: { get: (name) => headers[name] ?? null },
      text: async () => (typeof body === "string" ? body : JSON.stringify(body)),
    };
  };
  return { fn, calls };
}

describe("describe", () => {
  it("gives the server's detail, with the field messages it does not already say", () => {
    assert.equal(describeError(409, { detail: "Taken." }), "Taken.");
    assert.equal(describeError(400, { detail: "Bad input.", text: ["Too long."] }), "Bad input. (text: Too long.)");
    assert.equal(describeError(400, { detail: "text: Too long.", text: ["Too long."] }), "text: Too long.");
    assert.equal(describeError(400, { name: ["Required."], tags: "bad" }), "name: Required.; tags: bad");
    const missing = "credentials.phone_number_id is required for a whatsapp channel.";
    assert.equal(describeError(400, { detail: missing, "credentials.phone_number_id": [missing] }), missing);
  });

  it("has a sentence for no answer and for an empty one", () => {
    assert.match(describeError(0, null), /cannot be reached/);
    assert.equal(describeError(502, null), "Request failed (HTTP 502).");
    assert.equal(describeError(500, {}), "Request failed (HTTP 500).");
  });
});

describe("parseJson", () => {
  it("parses JSON and gives null for empty or broken text", () => {
    assert.deepEqual(parseJson('{"a": 1}'), { a: 1 });
    assert.equal(parseJson(""), null);
    assert.equal(parseJson("<html>"), null);
  });
});

describe("createClient", () => {
  it("sends JSON with the configured headers and credentials and returns the parsed answer", async () => {
    const { fn, calls } = fakeFetch({ body: { id: 3 } });
    const client = createClient({ credentials: "omit", headers: (m) => ({ "X-Method": m }), fetch: fn });
    assert.deepEqual(await client.request("POST", "/api/x", { body: { a: 1 } }), { id: 3 });
    assert.deepEqual(calls, [
      {
        url: "/api/x",
        init: {
          method: "POST",
          credentials: "omit",
          headers: { Accept: "application/json", "X-Method": "POST", "Content-Type": "application/json" },
          body: '{"a":1}',
        },
      },
    ]);
  });

  it("sends a form as it is, and a GET without a body or content type", async () => {
    const { fn, calls } = fakeFetch({ body: {} }, { body: {} });
    const client = createClient({ fetch: fn });
    const form = { fake: "form" };
    await client.request("POST", "/api/files", { form: /** @type {any} */ (form) });
    await client.request("GET", "/api/y");
    assert.equal(calls[0].init.body, form);
    assert.equal(calls[0].init.headers["Content-Type"], undefined);
    assert.deepEqual(calls[1].init, { method: "GET", credentials: "same-origin", headers: { Accept: "application/json" } });
  });

  it("gives null for 204 and for an answer that is not JSON", async () => {
    const { fn } = fakeFetch({ status: 204 }, { status: 200, body: "not json" });
    const client = createClient({ fetch: fn });
    assert.equal(await client.request("DELETE", "/api/z"), null);
    assert.equal(await client.request("GET", "/api/z"), null);
  });

  it("throws ApiError with status, body and message; onError and onResponse see the answer", async () => {
    const seen = [];
    const { fn } = fakeFetch({ status: 409, body: { detail: "Someone else took it." }, headers: { "X-Visitor-Token": "t2" } });
    const client = createClient({
      fetch: fn,
      onResponse: (r) => seen.push(["response", r.headers.get("X-Visitor-Token")]),
      onError: (status, body) => seen.push(["error", status, body.detail]),
    });
    await assert.rejects(client.request("POST", "/api/take"), (err) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 409);
      assert.deepEqual(err.body, { detail: "Someone else took it." });
      assert.equal(err.message, "Someone else took it.");
      return true;
    });
    assert.deepEqual(seen, [
      ["response", "t2"],
      ["error", 409, "Someone else took it."],
    ]);
  });

  it("turns a network failure into ApiError 0 with the configured message", async () => {
    const { fn } = fakeFetch(new TypeError("Failed to fetch"));
    const client = createClient({ fetch: fn, message: (status) => `offline ${status}` });
    await assert.rejects(client.request("GET", "/api/x"), { name: "Error", status: 0, message: "offline 0" });
  });
});
