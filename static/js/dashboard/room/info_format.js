// @ts-check
// Pure texts of the room information panel (no DOM, no globals): human labels for what the
// server keeps under technical names (user_agent, utm_source, time_zone), the customer's
// language, time zone and country with where each is known from, and dates and durations
// formatted by Intl in the staff member's locale. info.js puts them on screen;
// tests/js/room_info_format.test.js tests them.

import { gettext, interpolate } from "../../i18n.js";

/** @typedef {import("./state.js").RoomEnquiry} RoomEnquiry */
/** @typedef {{kind: string, value: string, known_from: string}} OriginFact */
/** @typedef {[string, string, string?]} Row a label, its value, and an optional note (where it is known from) */

/**
 * The locale the staff member reads the dashboard in: the page's language, with the
 * browser's regional variant when it is of the same language (en + en-GB: en-GB, for a
 * 24-hour clock and day-first dates); the browser's when the page has none.
 * @param {string} pageLang document.documentElement.lang
 * @param {readonly string[]} browserLangs navigator.languages
 * @returns {string | undefined}
 */
export function staffLocale(pageLang, browserLangs) {
  const base = (pageLang || "").toLowerCase().split("-")[0];
  const regional = browserLangs.find((l) => l.toLowerCase().split("-")[0] === base && l.includes("-"));
  if (!base) return browserLangs[0] || undefined;
  return pageLang.includes("-") ? pageLang : regional || pageLang;
}

/** @returns {Record<string, string>} */
function channelLabels() {
  return {
    widget: gettext("Widget"),
    weblink: gettext("Web link"),
    messenger: gettext("Messenger"),
    whatsapp: gettext("WhatsApp"),
    line: gettext("LINE"),
    wechat: gettext("WeChat"),
    email: gettext("Email"),
  };
}

/**
 * A channel kind as people say it ("weblink": "Web link").
 * @param {string | undefined} kind
 * @returns {string}
 */
export function channelLabel(kind) {
  return channelLabels()[kind || ""] || kind || "";
}

/**
 * "Web link enquiry", "Widget enquiry", ...: how a new enquiry is announced.
 * @param {string | undefined} via
 * @returns {string}
 */
export function enquiryKindText(via) {
  return interpolate(gettext("%(channel)s enquiry"), { channel: channelLabel(via) });
}

/**
 * @param {string} status
 * @returns {string}
 */
export function statusLabel(status) {
  /** @type {Record<string, string>} */
  const labels = {
    open: gettext("Waiting"),
    handling: gettext("In progress"),
    resolved: gettext("Resolved"),
    closed: gettext("Closed"),
    missed: gettext("Missed"),
  };
  return labels[status] || status;
}

/**
 * Where a fact about the customer is known from, as the panel says it.
 * @param {string} knownFrom "browser" | "ip_address" | "profile"
 * @returns {string}
 */
export function knownFromText(knownFrom) {
  /** @type {Record<string, string>} */
  const labels = {
    browser: gettext("from browser"),
    ip_address: gettext("from IP address"),
    profile: gettext("from profile"),
  };
  return labels[knownFrom] || "";
}

/**
 * A date and time in the staff member's locale (the browser's time zone).
 * @param {string | null | undefined} iso
 * @param {string | undefined} locale
 * @param {string} [timeZone] for tests; the browser's by default
 * @returns {string}
 */
export function dateTimeText(iso, locale, timeZone) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(d);
}

/**
 * A duration in the staff member's locale: "1 hr, 5 min", "42 sec" (hours and minutes only
 * past an hour).
 * @param {number | null | undefined} seconds
 * @param {string | undefined} locale
 * @returns {string}
 */
export function durationText(seconds, locale) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  /** @type {[number, string][]} */
  const parts = h ? [[h, "hour"], [m, "minute"]] : m ? [[m, "minute"], [s, "second"]] : [[s, "second"]];
  const shown = parts.filter(([n], i) => n || i === 0);
  const texts = shown.map(([n, unit]) => new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "short" }).format(n));
  return new Intl.ListFormat(locale, { type: "unit", style: "short" }).format(texts);
}

/**
 * @param {string} code a language tag ("de-DE")
 * @param {string | undefined} locale
 * @returns {string} its name in the staff member's language ("German (Germany)")
 */
export function languageName(code, locale) {
  try {
    return new Intl.DisplayNames(locale, { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

/**
 * @param {string} code an ISO 3166-1 country code
 * @param {string | undefined} locale
 * @returns {string}
 */
export function countryName(code, locale) {
  try {
    return new Intl.DisplayNames(locale, { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

/**
 * A time zone with the customer's time now: "Europe/Berlin · 15:04 there".
 * @param {string} zone
 * @param {string | undefined} locale
 * @param {Date} now
 * @returns {string}
 */
export function timeZoneText(zone, locale, now) {
  try {
    const time = new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone: zone }).format(now);
    return interpolate(gettext("%(zone)s · %(time)s there now"), { zone: zone.replace(/_/g, " "), time });
  } catch {
    return zone;
  }
}

/**
 * The customer's language, time zone and country, each with where it is known from.
 * @param {OriginFact[] | undefined} origin
 * @param {string | undefined} locale
 * @param {Date} now
 * @returns {Row[]}
 */
export function originRows(origin, locale, now) {
  /** @type {Row[]} */
  const rows = [];
  for (const fact of origin || []) {
    const note = knownFromText(fact.known_from);
    if (fact.kind === "language") rows.push([gettext("Language"), languageName(fact.value, locale), note]);
    else if (fact.kind === "time_zone") rows.push([gettext("Time zone"), timeZoneText(fact.value, locale, now), note]);
    else if (fact.kind === "country") rows.push([gettext("Location"), countryName(fact.value, locale), note]);
  }
  return rows;
}

/**
 * The browser and system of a user agent string: "Chrome 131 on Windows"; "" when unknown.
 * @param {string | undefined} ua
 * @returns {string}
 */
export function browserText(ua) {
  if (!ua) return "";
  /** @type {[RegExp, string][]} */
  const browsers = [
    [/Edg(?:e|A|iOS)?\/(\d+)/, "Edge"],
    [/OPR\/(\d+)/, "Opera"],
    [/SamsungBrowser\/(\d+)/, "Samsung Internet"],
    [/Firefox\/(\d+)/, "Firefox"],
    [/FxiOS\/(\d+)/, "Firefox"],
    [/CriOS\/(\d+)/, "Chrome"],
    [/Chrom(?:e|ium)\/(\d+)/, "Chrome"],
    [/Version\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//, "Safari"],
  ];
  /** @type {[RegExp, string][]} */
  const systems = [
    [/Windows/, "Windows"],
    [/iPhone|iPad|iPod/, "iOS"],
    [/Android/, "Android"],
    [/CrOS/, "ChromeOS"],
    [/Mac OS X|Macintosh/, "macOS"],
    [/Linux/, "Linux"],
  ];
  const found = browsers.map(([re, name]) => [ua.match(re), name]).find(([m]) => m);
  const system = (systems.find(([re]) => re.test(ua)) || [null, ""])[1];
  const browser = found ? `${found[1]} ${/** @type {RegExpMatchArray} */ (found[0])[1]}` : "";
  if (browser && system) return interpolate(gettext("%(browser)s on %(system)s"), { browser, system });
  return browser || system;
}

/**
 * A key the server keeps ("page_title", "utm_campaign_id") as a label ("Page title",
 * "Campaign id").
 * @param {string} key
 * @returns {string}
 */
export function humanKey(key) {
  const words = key.replace(/^utm_/, "").replace(/_/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : key;
}

/**
 * The information panel's enquiry section.
 * @param {RoomEnquiry} e
 * @param {string | undefined} locale
 * @param {Date} now
 * @returns {Row[]}
 */
export function enquiryRows(e, locale, now) {
  const detail = e.channel_detail;
  const waitedUntil = e.picked_up_at || (e.status === "open" ? now.toISOString() : null);
  const waited = waitedUntil && e.created_at ? (new Date(waitedUntil).getTime() - new Date(e.created_at).getTime()) / 1000 : null;
  /** @type {Row[]} */
  const rows = [
    [gettext("Enquiry"), `#${e.id}`],
    [gettext("Channel"), [channelLabel(e.channel), detail && detail.name].filter(Boolean).join(" · ")],
    [gettext("Contact"), (detail && detail.identity) || ""],
    [gettext("Status"), statusLabel(e.status)],
    [gettext("Started"), dateTimeText(e.created_at, locale)],
    [gettext("Picked up"), dateTimeText(e.picked_up_at, locale)],
    [gettext("Waited"), durationText(waited, locale)],
    [gettext("Resolved"), dateTimeText(e.resolved_at, locale)],
    [gettext("Closed"), dateTimeText(e.closed_at, locale)],
  ];
  return rows.filter(([, v]) => v);
}

/** Device facts shown elsewhere (language, time zone: the customer section; the channel). */
const DEVICE_SHOWN_ELSEWHERE = new Set(["language", "time_zone", "channel", "local_time"]);

/**
 * The device section: human labels, the user agent as a browser and system.
 * @param {Record<string, any>} device
 * @returns {Row[]}
 */
export function deviceRows(device) {
  /** @type {Record<string, string>} */
  const labels = {
    user_agent: gettext("Browser"),
    platform: gettext("System"),
    screen: gettext("Screen"),
    viewport: gettext("Window"),
    touch: gettext("Touch screen"),
    page: gettext("Page"),
    page_title: gettext("Page title"),
    location: gettext("Reported location"),
  };
  /** @type {Row[]} */
  const rows = [];
  for (const [key, value] of Object.entries(device || {})) {
    if (DEVICE_SHOWN_ELSEWHERE.has(key) || value === null || value === undefined || value === "") continue;
    let text = typeof value === "boolean" ? (value ? gettext("Yes") : gettext("No")) : String(value);
    if (key === "user_agent") text = browserText(text) || text;
    rows.push([labels[key] || humanKey(key), text]);
  }
  return rows;
}

/**
 * The UTM section: "Source", "Medium", "Campaign", ...
 * @param {Record<string, any>} utm
 * @returns {Row[]}
 */
export function utmRows(utm) {
  /** @type {Record<string, string>} */
  const labels = {
    utm_source: gettext("Source"),
    utm_medium: gettext("Medium"),
    utm_campaign: gettext("Campaign"),
    utm_term: gettext("Term"),
    utm_content: gettext("Content"),
  };
  return Object.entries(utm || {})
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => /** @type {Row} */ ([labels[k] || humanKey(k), String(v)]));
}

/**
 * @param {{name: string, type: string, endpoint: string}} d
 * @returns {Row[]}
 */
export function destinationRows(d) {
  const type = d.type === "tag" ? gettext("Team (tag)") : d.type === "staff" ? gettext("Staff member") : d.type;
  /** @type {Row[]} */
  const rows = [
    [gettext("Name"), d.name],
    [gettext("Type"), type],
  ];
  return rows.filter(([, v]) => v);
}

/**
 * The visitor's form fields as text rows (the Edit button opens the form).
 * @param {Record<string, any>} v
 * @returns {Row[]}
 */
export function visitorRows(v) {
  /** @type {Row[]} */
  const rows = [
    [gettext("First name"), v.first_name || ""],
    [gettext("Last name"), v.last_name || ""],
    [gettext("Email"), v.email || ""],
    [gettext("Phone"), v.phone || ""],
  ];
  return rows.filter(([, value]) => value);
}

/**
 * The custom fields of the edit form, read back: blank rows left out, names and values
 * trimmed (the server checks the limits and says what is wrong).
 * @param {{name: string, value: string}[]} rows
 * @returns {{name: string, value: string}[]}
 */
export function customFieldsBody(rows) {
  return rows.map((r) => ({ name: r.name.trim(), value: r.value.trim() })).filter((r) => r.name || r.value);
}
