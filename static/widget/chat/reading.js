// @ts-check
// How the conversation reads, decided from data: pure functions (no DOM), unit-tested in
// tests/js/widget_reading.test.js. messages.js draws what these say: where a day heading
// goes and which bubble shows its time, a reply's quote, a link preview's card.

import { gettext } from "../../js/i18n.js";
import { isSafeLink, siteOf } from "../../js/links.js";

/** @typedef {import("./types.js").Message} Message */
/** @typedef {import("./types.js").LinkPreview} LinkPreview */

/** Messages of one author less than this apart form one run: one time, under its last. */
export const RUN_GAP_MS = 5 * 60 * 1000;

/** How much of the message replied to its quote shows. */
export const QUOTE_CHARS = 120;

/**
 * Who wrote a message, as a key: consecutive messages with the same key are one run.
 * @param {Message} message
 * @returns {string}
 */
export function authorKey(message) {
  const a = message.author || { type: "system" };
  return `${a.type}:${a.id ?? a.name ?? ""}`;
}

/** @typedef {{author: string, at: number}} Entry a message on screen: its author key, its time (ms) */
/**
 * @typedef {object} Mark
 * @property {string | null} day the day's key when a heading goes before the message
 * @property {boolean} first it starts a run (its author's name shows)
 * @property {boolean} time it ends a run (its time shows)
 */

/**
 * Where the day headings go and which messages show their author and time: a heading before
 * the first message of each day; the author over the first message of each run (same
 * author, each less than RUN_GAP_MS after the one before, same day), the time under its last.
 * @param {Entry[]} entries in the order shown
 * @param {(at: number) => string} dayOf the calendar day of a time, in the visitor's time zone
 * @returns {Mark[]}
 */
export function timeline(entries, dayOf) {
  const days = entries.map((e) => dayOf(e.at));
  /** @param {number} i @returns {boolean} entries i and i + 1 are one run */
  const together = (i) => entries[i].author === entries[i + 1].author && entries[i + 1].at - entries[i].at < RUN_GAP_MS && days[i] === days[i + 1];
  return entries.map((_, i) => ({
    day: i === 0 || days[i - 1] !== days[i] ? days[i] : null,
    first: i === 0 || !together(i - 1),
    time: i === entries.length - 1 || !together(i),
  }));
}

/**
 * The quote above a reply: who wrote the message replied to, and its start (one line).
 * @param {Message | undefined} original undefined when the widget does not have it
 * @returns {{author: string, text: string}}
 */
export function quoteOf(original) {
  if (!original) return { author: "", text: gettext("Reply to an earlier message") };
  const file = original.data && original.data.file;
  let text = original.recalled_at ? gettext("Message recalled") : original.text || (file && file.name) || "";
  text = text.replace(/\s+/g, " ").trim();
  if (text.length > QUOTE_CHARS) text = `${text.slice(0, QUOTE_CHARS - 1)}…`;
  return { author: (original.author && original.author.name) || "", text };
}

/**
 * The card a link preview shows, or null when there is nothing to show (no title nor
 * description, not a web address, or the message was recalled). The image only from this
 * server (its copy of the page's image: "/api/…") or over https.
 * @param {Message} message
 * @returns {{url: string, title: string, description: string, site: string, image: string} | null}
 */
export function previewCard(message) {
  const p = message.data && message.data.preview;
  if (message.recalled_at || !p || !(p.title || p.description) || !/^https?:\/\//i.test(p.url || "") || !isSafeLink(p.url)) return null;
  // \x2F is "/": a bare "/" in a character class confuses xgettext's lexer (see ../../js/dashboard/text.js).
  const image = typeof p.image === "string" && (/^\/api\/[^\x2F]/.test(p.image) || /^https:\/\/[^\s]+$/i.test(p.image)) ? p.image : "";
  return { url: p.url, title: p.title || p.url, description: p.description || "", site: siteOf(p.url), image };
}

/**
 * A message shows as removed: recalled (the server keeps no text nor file of it).
 * @param {Message} message
 * @returns {boolean}
 */
export function isRemoved(message) {
  return Boolean(message.recalled_at);
}

/**
 * A message shows "edited": changed by its author after posting, and still there.
 * @param {Message} message
 * @returns {boolean}
 */
export function isEdited(message) {
  return Boolean(message.edited_at) && !message.recalled_at && message.author.type !== "system";
}
