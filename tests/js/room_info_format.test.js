// Unit tests of the room information panel's pure texts (static/js/dashboard/room/info_format.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  browserText,
  channelLabel,
  countryName,
  customFieldsBody,
  dateTimeText,
  destinationRows,
  deviceRows,
  durationText,
  enquiryKindText,
  enquiryRows,
  humanKey,
  knownFromText,
  languageName,
  originRows,
  staffLocale,
  statusLabel,
  timeZoneText,
  utmRows,
  visitorRows,
} from "../../static/js/dashboard/room/info_format.js";

const NOON = new Date("2026-01-15T12:00:00Z");
const CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

describe("staff locale", () => {
  it("takes the browser's regional variant of the page's language", () => {
    assert.equal(staffLocale("en", ["en-GB", "en"]), "en-GB");
    assert.equal(staffLocale("en", ["de-DE"]), "en");
    assert.equal(staffLocale("zh-Hant", ["zh-TW"]), "zh-Hant");
    assert.equal(staffLocale("", ["fr-FR"]), "fr-FR");
  });
});

describe("dates and durations through Intl", () => {
  it("formats a date and time in the locale, never a raw JS date", () => {
    assert.equal(dateTimeText("2026-01-15T12:00:00Z", "en-GB", "UTC"), "15 Jan 2026, 12:00");
    assert.match(dateTimeText("2026-01-15T12:00:00Z", "en-US", "UTC"), /^Jan 15, 2026, 12:00\sPM$/);
    assert.equal(dateTimeText(null, "en"), "");
    assert.equal(dateTimeText("not a date", "en"), "");
  });
  it("formats durations in units of the locale", () => {
    assert.equal(durationText(42, "en"), "42 sec");
    assert.equal(durationText(65, "en"), "1 min, 5 sec");
    assert.equal(durationText(120, "en"), "2 min");
    assert.equal(durationText(3725, "en"), "1 hr, 2 min");
    assert.equal(durationText(5, "zh-CN"), "5秒");
    assert.equal(durationText(null, "en"), "");
  });
});

describe("the customer's language, time zone and country", () => {
  it("names them in the staff member's language, saying where each came from", () => {
    const rows = originRows(
      [
        { kind: "language", value: "de-DE", known_from: "browser" },
        { kind: "time_zone", value: "America/New_York", known_from: "browser" },
        { kind: "country", value: "US", known_from: "ip_address" },
      ],
      "en-GB",
      NOON,
    );
    assert.deepEqual(rows, [
      ["Language", "German (Germany)", "from browser"],
      ["Time zone", "America/New York · 07:00 there now", "from browser"],
      ["Location", "United States", "from IP address"],
    ]);
    assert.equal(countryName("US", "de"), "Vereinigte Staaten");
    assert.equal(languageName("ja", "en"), "Japanese");
    assert.equal(knownFromText("profile"), "from profile");
  });
  it("keeps a value it cannot name as it is", () => {
    assert.equal(languageName("%%", "en"), "%%");
    assert.equal(timeZoneText("Nowhere/Else", "en", NOON), "Nowhere/Else");
    assert.deepEqual(originRows(undefined, "en", NOON), []);
  });
});

describe("human labels", () => {
  it("names channels and enquiry kinds", () => {
    assert.equal(channelLabel("weblink"), "Web link");
    assert.equal(enquiryKindText("weblink"), "Web link enquiry");
    assert.equal(enquiryKindText("widget"), "Widget enquiry");
    assert.equal(channelLabel("carrier-pigeon"), "carrier-pigeon");
    assert.equal(statusLabel("handling"), "In progress");
  });
  it("reads a user agent as a browser and system", () => {
    assert.equal(browserText(CHROME_LINUX), "Chrome 131 on Linux");
    assert.equal(browserText("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"), "Firefox 133 on Windows");
    assert.equal(browserText("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"), "Safari 18 on macOS");
    assert.equal(browserText("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0"), "Edge 131 on Windows");
    assert.equal(browserText("curl/8.0"), "");
  });
  it("labels device facts, with language and time zone left to the customer section", () => {
    const rows = deviceRows({ user_agent: CHROME_LINUX, platform: "Linux", screen: "1920x1080", touch: false, language: "de", time_zone: "Europe/Berlin", local_time: "Thu Jan 15 2026 13:00:00 GMT+0100", channel: "widget", page_title: "Prices", custom_thing: "x", empty: "" });
    assert.deepEqual(rows, [
      ["Browser", "Chrome 131 on Linux"],
      ["System", "Linux"],
      ["Screen", "1920x1080"],
      ["Touch screen", "No"],
      ["Page title", "Prices"],
      ["Custom thing", "x"],
    ]);
    assert.equal(humanKey("utm_campaign_id"), "Campaign id");
  });
  it("labels UTM parameters", () => {
    assert.deepEqual(utmRows({ utm_source: "newsletter", utm_campaign: "spring", utm_region: "north" }), [
      ["Source", "newsletter"],
      ["Campaign", "spring"],
      ["Region", "north"],
    ]);
  });
  it("describes the enquiry and destination", () => {
    const rows = enquiryRows(
      {
        id: 7,
        status: "handling",
        channel: "weblink",
        channel_detail: { id: 1, name: "Support link", identity: "" },
        created_at: "2026-01-15T11:58:55Z",
        picked_up_at: "2026-01-15T12:00:00Z",
      },
      "en-GB",
      NOON,
    );
    assert.deepEqual(rows.map((r) => r[0]), ["Enquiry", "Channel", "Status", "Started", "Picked up", "Waited"]);
    assert.equal(rows[1][1], "Web link · Support link");
    assert.equal(rows[5][1], "1 min, 5 secs"); // en-GB says secs
    assert.deepEqual(destinationRows({ name: "Support", type: "tag", endpoint: "Support" }), [
      ["Name", "Support"],
      ["Type", "Team (tag)"],
    ]);
  });
  it("shows the visitor's filled-in fields only", () => {
    assert.deepEqual(visitorRows({ first_name: "Hal", last_name: "", email: "hal@example.com", phone: "" }), [
      ["First name", "Hal"],
      ["Email", "hal@example.com"],
    ]);
  });
  it("reads the custom fields form back without blank rows", () => {
    assert.deepEqual(customFieldsBody([{ name: " Plan ", value: " Gold " }, { name: "", value: "" }, { name: "", value: "orphan" }]), [
      { name: "Plan", value: "Gold" },
      { name: "", value: "orphan" },
    ]);
  });
});
