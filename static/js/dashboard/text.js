// @ts-check
// Pure text helpers of the room view (no DOM): how a message's text splits into plain text,
// links and @mentions, and what the composer's "/shortcut" or "@name" under the caret is.
// Links are found by static/js/links.js, which the widget shares.

import { linkParts } from "../links.js";

/** @typedef {{kind: "text" | "mention", text: string} | {kind: "link", text: string, href: string}} Segment */

/**
 * Splits a message's text into plain text, http(s) and mailto links (links.js) and @mentions
 * of the given names (case-insensitive; a mention inside a link stays part of the link).
 * @param {string} text
 * @param {string[]} mentionNames
 * @returns {Segment[]}
 */
export function segments(text, mentionNames) {
  return linkParts(text).flatMap((part) => (part.kind === "link" ? [part] : mentions(part.text, mentionNames)));
}

/**
 * @param {string} text
 * @param {string[]} names
 * @returns {Segment[]}
 */
function mentions(text, names) {
  if (!names.length || !text.includes("@")) return [{ kind: "text", text }];
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(`@(?:${escaped.join("|")})`, "gi");
  /** @type {Segment[]} */
  const out = [];
  let last = 0;
  for (const match of text.matchAll(re)) {
    const index = match.index ?? 0;
    if (index > last) out.push({ kind: "text", text: text.slice(last, index) });
    out.push({ kind: "mention", text: match[0] });
    last = index + match[0].length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

/** @typedef {{kind: "/" | "@", query: string, start: number, end: number}} ComposerToken */

/**
 * The "/shortcut" or "@name" being typed before the caret, if any. A mention may hold one
 * space ("@Ann Le"); a shortcut none.
 * @param {string} value the composer's text
 * @param {number} caret the caret's position in it
 * @returns {ComposerToken | null}
 */
export function composerToken(value, caret) {
  const before = value.slice(0, caret);
  // \x2F is "/": a bare "/" in a character class ends the regex for xgettext's lexer
  // (scripts/i18n.sh), which then reads the rest of the file wrongly.
  const m = before.match(/(^|\s)([\x2F@])([^\s\x2F@]*(?: [^\s\x2F@]*)?)$/);
  if (!m) return null;
  const query = m[3];
  if (m[2] === "/" && query.includes(" ")) return null;
  return { kind: /** @type {"/" | "@"} */ (m[2]), query, start: caret - query.length - 1, end: caret };
}

/** @typedef {{label: string, detail: string, insert: string}} Suggestion */

/**
 * Quick replies whose shortcut starts with the query (at most 8).
 * @param {{shortcut: string, text: string}[]} replies
 * @param {string} query
 * @returns {Suggestion[]}
 */
export function quickReplySuggestions(replies, query) {
  const q = query.toLowerCase();
  return replies
    .filter((r) => r.shortcut.toLowerCase().startsWith(q))
    .slice(0, 8)
    .map((r) => ({ label: `/${r.shortcut}`, detail: r.text, insert: r.text }));
}

/**
 * Names that start with the query (at most 8), to insert as "@name ".
 * @param {string[]} names
 * @param {string} query
 * @returns {Suggestion[]}
 */
export function mentionSuggestions(names, query) {
  const q = query.toLowerCase();
  return names
    .filter((n) => n.toLowerCase().startsWith(q))
    .slice(0, 8)
    .map((n) => ({ label: `@${n}`, detail: "", insert: `@${n} ` }));
}

/**
 * The composer's text with a suggestion in place of the token, and the caret after it.
 * @param {string} value
 * @param {ComposerToken} token
 * @param {string} insert
 * @returns {{value: string, caret: number}}
 */
export function applySuggestion(value, token, insert) {
  return { value: value.slice(0, token.start) + insert + value.slice(token.end), caret: token.start + insert.length };
}
