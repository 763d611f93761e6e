// @ts-check
// What the widget tells the server about the visitor (device, UTM tags, the start form's
// values) and reads back from its answers. Pure functions (no DOM, no globals: the caller
// passes what the browser knows), unit-tested in tests/js/widget_visitor.test.js.

import { gettext, interpolate } from "../../js/i18n.js";
import { FIELD_LABELS, tooLongText } from "./labels.js";

/**
 * The origin of an http(s) URL, or null for anything else (the host page's origin that
 * postMessage answers go to must never be "*" or a javascript: URL).
 * @param {string | null | undefined} value
 * @returns {string | null}
 */
export function safeOrigin(value) {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * @typedef {object} BrowserFacts what the browser says about itself (see browserFacts() in start.js)
 * @property {string} mode "frame" (the loader's iframe: the page is the host page from the query) or "page"
 * @property {URLSearchParams} query the chat page's query string
 * @property {{origin: string, pathname: string}} location the chat page's location
 * @property {string} title the chat page's title
 * @property {{platform?: string, userAgent: string, language?: string, userAgentData?: {platform?: string}}} navigator
 * @property {{width: number, height: number}} screen
 * @property {{width: number, height: number}} viewport
 * @property {boolean} touch
 * @property {string} timeZone
 * @property {string} localTime
 */

/**
 * The device facts sent with a new enquiry, each string at most 500 characters.
 * @param {BrowserFacts} b
 * @returns {Record<string, string | boolean>}
 */
export function deviceInfo(b) {
  const frame = b.mode === "frame";
  /** @type {Record<string, string | boolean>} */
  const info = {
    platform: (b.navigator.userAgentData && b.navigator.userAgentData.platform) || b.navigator.platform || "",
    user_agent: b.navigator.userAgent,
    screen: `${b.screen.width}x${b.screen.height}`,
    viewport: `${b.viewport.width}x${b.viewport.height}`,
    language: b.navigator.language || "",
    time_zone: b.timeZone || "",
    local_time: b.localTime,
    touch: b.touch,
    page: frame ? b.query.get("page") || "" : b.location.origin + b.location.pathname,
    page_title: frame ? b.query.get("title") || "" : b.title,
    channel: frame ? "widget" : "weblink",
  };
  for (const k of Object.keys(info)) {
    const value = info[k];
    if (typeof value === "string") info[k] = value.slice(0, 500);
  }
  return info;
}

/**
 * The utm_* parameters of a query string: at most 20, values at most 500 characters.
 * @param {URLSearchParams} params
 * @returns {Record<string, string>}
 */
export function utmParams(params) {
  /** @type {Record<string, string>} */
  const utm = {};
  params.forEach((value, name) => {
    if (/^utm_[A-Za-z0-9_]{1,58}$/.test(name) && Object.keys(utm).length < 20) utm[name] = value.slice(0, 500);
  });
  return utm;
}

/**
 * The server's message about one visitor field in a 400 answer ({"visitor": {"email": [..]}},
 * {"visitor.email": [..]} or {"email": [..]}), or null.
 * @param {{body?: any}} error an ApiError
 * @param {string} name
 * @returns {string | null}
 */
export function fieldError(error, name) {
  const body = error.body || {};
  /** @param {any} v */
  const pick = (v) => (Array.isArray(v) ? v[0] : typeof v === "string" ? v : null);
  return pick(body.visitor && body.visitor[name]) || pick(body[`visitor.${name}`]) || pick(body[name]);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * @typedef {object} StartInput
 * @property {Record<string, any>} values the start form's values (FormData entries)
 * @property {{enabled: boolean, fields: string[], required: string[]}} form the channel's form settings
 * @property {number} messageChars the server's CC_MESSAGE_MAX_CHARS
 * @property {Record<string, string>} prefill what the host page told about the visitor
 */

/**
 * Checks the start form: the first message and the visitor fields to send, and the errors
 * to show as [field name, text] in the order they are shown. With the form off, the
 * visitor is what the host page told.
 * @param {StartInput} input
 * @returns {{message: string, visitor: Record<string, string>, errors: [string, string][]}}
 */
export function checkStart({ values, form, messageChars, prefill }) {
  const message = String(values.message || "").trim();
  /** @type {[string, string][]} */
  const errors = [];
  /** @type {Record<string, string>} */
  const visitor = {};
  if (form.enabled) {
    for (const name of form.fields) {
      const value = String(values[name] || "").trim();
      visitor[name] = value;
      if (form.required.includes(name) && !value) errors.push([name, interpolate(gettext("%(field)s is required."), { field: FIELD_LABELS[name] })]);
    }
    if (visitor.email && !EMAIL.test(visitor.email)) errors.push(["email", gettext("Enter a valid email address.")]);
  } else {
    Object.assign(visitor, prefill);
  }
  if (!message) errors.push(["message", gettext("Write a message to start the conversation.")]);
  if (message.length > messageChars) errors.push(["message", tooLongText(message.length, messageChars)]);
  return { message, visitor, errors };
}
