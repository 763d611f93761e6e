// Unit tests of the dashboard's dates, times and durations (static/js/datetime.js):
// the staff member's locale and time zone, 24-hour where the locale says so.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";

import {
  configure,
  currentTimeZone,
  formatClock,
  formatDate,
  formatDateTime,
  formatDuration,
  formatNumber,
  formatRelative,
  formatTime,
  isTimeZone,
  localeFor,
  uses24Hour,
} from "../../static/js/datetime.js";

// 2026-01-05 15:30 UTC: 23:30 in Shanghai and Taipei, 10:30 in New York.
const WHEN = new Date(Date.UTC(2026, 0, 5, 15, 30));

afterEach(() => {
  configure({});
  delete globalThis.django;
});

describe("localeFor", () => {
  it("takes the browser's regional locale of the same language and script", () => {
    assert.equal(localeFor("zh-hans", ["en-US", "zh-CN"]), "zh-CN");
    assert.equal(localeFor("en", ["zh-CN", "en-GB"]), "en-GB");
    assert.equal(localeFor("zh-hant", ["zh-HK"]), "zh-HK");
  });
  it("never mixes the two Chinese scripts", () => {
    assert.equal(localeFor("zh-hant", ["zh-CN"]), "zh-Hant");
    assert.equal(localeFor("zh-hans", ["zh-TW"]), "zh-Hans");
    assert.equal(localeFor("en", []), "en");
  });
});

describe("times in the staff member's locale and time zone", () => {
  it("uses a 24-hour clock in Simplified Chinese", () => {
    configure({ locale: "zh-hans", timeZone: "Asia/Shanghai" });
    assert.equal(uses24Hour(), true);
    assert.equal(formatTime(WHEN), "23:30");
    assert.equal(formatDate(WHEN), "2026年1月5日");
    assert.equal(formatDateTime(WHEN), "2026年1月5日 23:30");
  });
  it("follows the locale's 12-hour clock elsewhere (no forced hour12)", () => {
    configure({ locale: "zh-hant", timeZone: "Asia/Taipei" });
    assert.equal(uses24Hour(), false);
    assert.match(formatTime(WHEN), /^(下午|晚上)\s?11:30$/); // the day period's name varies with ICU
    configure({ locale: "en", timeZone: "America/New_York" });
    assert.match(formatTime(WHEN), /^10:30\sAM$/); // \s: a narrow no-break space in recent ICU
    assert.equal(uses24Hour("en-GB"), true);
  });
  it("shows the time alone on the same day of the time zone, else the date too", () => {
    configure({ locale: "zh-hans", timeZone: "Asia/Shanghai" });
    assert.equal(formatClock(WHEN, new Date(Date.UTC(2026, 0, 5, 15, 45))), "23:30");
    // 16:30 UTC is already 6 January in Shanghai (while still 5 January in UTC).
    assert.equal(formatClock(WHEN, new Date(Date.UTC(2026, 0, 5, 16, 30))), "2026年1月5日 23:30");
    configure({ locale: "zh-hans", timeZone: "UTC" });
    assert.equal(formatClock(WHEN, new Date(Date.UTC(2026, 0, 5, 16, 30))), "15:30");
  });
  it("leaves out what is not a date, and ignores an unknown time zone", () => {
    assert.equal(formatTime(null), "");
    assert.equal(formatDateTime("not a date"), "");
    assert.equal(formatClock(""), "");
    assert.equal(isTimeZone("Asia/Shanghai"), true);
    assert.equal(isTimeZone("Mars/Olympus"), false);
    configure({ locale: "en", timeZone: "Mars/Olympus" });
    assert.equal(currentTimeZone(), new Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
  it("says how long ago in the locale", () => {
    configure({ locale: "en", timeZone: "UTC" });
    assert.equal(formatRelative(WHEN, WHEN.getTime() + 5 * 60 * 1000), "5 minutes ago");
    assert.equal(formatRelative(WHEN, WHEN.getTime() + 24 * 3600 * 1000), "yesterday");
    configure({ locale: "zh-hans", timeZone: "UTC" });
    assert.equal(formatRelative(WHEN, WHEN.getTime() + 5 * 60 * 1000), "5分钟前");
    assert.equal(formatNumber(10000), "10,000");
  });
});

describe("formatDuration", () => {
  it("shows seconds, minutes and hours (English until the catalogue loads)", () => {
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(61), "1m 01s");
    assert.equal(formatDuration(3600 * 2 + 60 * 5 + 9), "2h 05m");
    assert.equal(formatDuration(null), "—");
  });
  it("uses the page's catalogue", () => {
    const zh = { "%(s)ss": "%(s)s秒", "%(m)sm %(ss)ss": "%(m)s分%(ss)s秒", "%(h)sh %(mm)sm": "%(h)s小时%(mm)s分" };
    globalThis.django = { gettext: (/** @type {string} */ id) => zh[id] || id };
    assert.equal(formatDuration(45), "45秒");
    assert.equal(formatDuration(185), "3分05秒");
    assert.equal(formatDuration(7500), "2小时05分");
  });
});
