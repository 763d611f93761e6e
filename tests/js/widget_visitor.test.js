// Unit tests of what the widget tells the server about the visitor (static/widget/chat/visitor.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { checkStart, deviceInfo, fieldError, safeOrigin, utmParams } from "../../static/widget/chat/visitor.js";

describe("safeOrigin", () => {
  it("keeps the origin of http(s) URLs", () => {
    assert.equal(safeOrigin("https://shop.example.com/cart?x=1"), "https://shop.example.com");
    assert.equal(safeOrigin("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
  });

  it("refuses other schemes, garbage and nothing", () => {
    assert.equal(safeOrigin("javascript:alert(1)"), null);
    assert.equal(safeOrigin("file:///etc/passwd"), null);
    assert.equal(safeOrigin("data:text/html,x"), null);
    assert.equal(safeOrigin("not a url"), null);
    assert.equal(safeOrigin(""), null);
    assert.equal(safeOrigin(null), null);
  });
});

describe("utmParams", () => {
  it("keeps utm_* parameters only", () => {
    const params = new URLSearchParams("utm_source=newsletter&utm_campaign=spring&ref=x&utm_=empty&UTM_source=no");
    assert.deepEqual(utmParams(params), { utm_source: "newsletter", utm_campaign: "spring" });
  });

  it("keeps at most 20, values cut at 500 characters, names at most 62", () => {
    const many = new URLSearchParams();
    for (let i = 0; i < 30; i++) many.append(`utm_p${i}`, "v");
    assert.equal(Object.keys(utmParams(many)).length, 20);
    const long = new URLSearchParams({ utm_term: "y".repeat(900), [`utm_${"a".repeat(59)}`]: "too long a name" });
    assert.deepEqual(utmParams(long), { utm_term: "y".repeat(500) });
  });
});

describe("deviceInfo", () => {
  const browser = (over) => ({
    mode: "frame",
    query: new URLSearchParams("page=https%3A%2F%2Fshop.example%2Fcart&title=Cart"),
    location: { origin: "https://cc.example", pathname: "/l/acme" },
    title: "Chat with Acme",
    navigator: { platform: "Linux x86_64", userAgent: "UA/1", language: "nb-NO" },
    screen: { width: 1920, height: 1080 },
    viewport: { width: 390, height: 600 },
    touch: false,
    timeZone: "Europe/Oslo",
    localTime: "Mon Nov 30 2026 20:00:00 GMT+0100",
    ...over,
  });

  it("describes the host page in frame mode", () => {
    assert.deepEqual(deviceInfo(browser()), {
      platform: "Linux x86_64",
      user_agent: "UA/1",
      screen: "1920x1080",
      viewport: "390x600",
      language: "nb-NO",
      time_zone: "Europe/Oslo",
      local_time: "Mon Nov 30 2026 20:00:00 GMT+0100",
      touch: false,
      page: "https://shop.example/cart",
      page_title: "Cart",
      channel: "widget",
    });
  });

  it("describes the web link page itself in page mode", () => {
    const info = deviceInfo(browser({ mode: "page" }));
    assert.equal(info.page, "https://cc.example/l/acme");
    assert.equal(info.page_title, "Chat with Acme");
    assert.equal(info.channel, "weblink");
  });

  it("prefers userAgentData's platform, fills blanks and cuts strings at 500", () => {
    const info = deviceInfo(
      browser({
        query: new URLSearchParams(""),
        navigator: { platform: "MacIntel", userAgentData: { platform: "macOS" }, userAgent: "U".repeat(800) },
        timeZone: "",
        touch: true,
      }),
    );
    assert.equal(info.platform, "macOS");
    assert.equal(info.user_agent, "U".repeat(500));
    assert.equal(info.language, "");
    assert.equal(info.time_zone, "");
    assert.equal(info.page, "");
    assert.equal(info.page_title, "");
    assert.equal(info.touch, true);
  });
});

describe("fieldError", () => {
  it("finds a field's message nested, dotted or plain", () => {
    assert.equal(fieldError({ body: { visitor: { email: ["Enter a valid email."] } } }, "email"), "Enter a valid email.");
    assert.equal(fieldError({ body: { "visitor.phone": "Bad phone." } }, "phone"), "Bad phone.");
    assert.equal(fieldError({ body: { message: ["Too long."] } }, "message"), "Too long.");
  });

  it("is null without one", () => {
    assert.equal(fieldError({ body: { detail: "No." } }, "email"), null);
    assert.equal(fieldError({ body: null }, "email"), null);
    assert.equal(fieldError({}, "email"), null);
  });
});

describe("checkStart", () => {
  const form = { enabled: true, fields: ["first_name", "last_name", "email", "phone"], required: ["first_name", "email"] };
  const check = (values, over = {}) => checkStart({ values, form, messageChars: 20, prefill: {}, ...over });

  it("sends trimmed values and no errors when all is well", () => {
    assert.deepEqual(check({ first_name: " Vera ", email: "v@example.com", message: "  Hi  " }), {
      message: "Hi",
      visitor: { first_name: "Vera", last_name: "", email: "v@example.com", phone: "" },
      errors: [],
    });
  });

  it("lists the missing required fields and the missing message, in form order", () => {
    assert.deepEqual(check({ first_name: "", email: " ", message: "" }).errors, [
      ["first_name", "First name is required."],
      ["email", "Email is required."],
      ["message", "Write a message to start the conversation."],
    ]);
  });

  it("refuses a malformed email and an over-long message", () => {
    assert.deepEqual(check({ first_name: "V", email: "not-an-email", message: "x".repeat(21) }).errors, [
      ["email", "Enter a valid email address."],
      ["message", "Your message is too long: 21 characters, at most 20."],
    ]);
  });

  it("with the form off, sends what the host page told", () => {
    const got = check({ message: "Hi", first_name: "ignored" }, { form: { ...form, enabled: false }, prefill: { email: "h@example.com" } });
    assert.deepEqual(got, { message: "Hi", visitor: { email: "h@example.com" }, errors: [] });
  });
});
