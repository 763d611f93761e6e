// @ts-check
// Links in what people write, for the dashboard and the widget (no DOM): how a text splits
// into plain text and links. Only http(s) and mailto become links (an e-mail address written
// bare too, as mailto:); anything else ("javascript:", "ftp://", "data:") stays text. The
// views put each part in with textContent / an <a href> of exactly this part, so the text
// stays escaped; links open in a new tab without the opener (LINK_ATTRS).

// A link ends before trailing punctuation ("see https://x.org/a." links https://x.org/a).
const WEB = String.raw`https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]`;
const ADDRESS = String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`;
const LINK_RE = new RegExp(`${WEB}|mailto:${ADDRESS}(?:\\?[^\\s<>"']*[^\\s<>"'.,;:!?)\\]])?|(?<![\\w.%+-])${ADDRESS}`, "g");

/** The attributes of every link to a page outside: a new tab, no opener, no referrer. */
export const LINK_ATTRS = Object.freeze({ target: "_blank", rel: "noopener noreferrer nofollow" });

/** @typedef {{kind: "text", text: string} | {kind: "link", text: string, href: string}} LinkPart */

/**
 * Splits a text into plain text and links; the parts joined give the text back.
 * @param {string} text
 * @returns {LinkPart[]}
 */
export function linkParts(text) {
  /** @type {LinkPart[]} */
  const out = [];
  let last = 0;
  for (const match of text.matchAll(LINK_RE)) {
    const index = match.index ?? 0;
    if (index > last) out.push({ kind: "text", text: text.slice(last, index) });
    const found = match[0];
    out.push({ kind: "link", text: found, href: /^(https?|mailto):/i.test(found) ? found : `mailto:${found}` });
    last = index + found.length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

/**
 * Whether a URL may be a link's target here: http(s) or mailto only.
 * @param {string | null | undefined} url
 * @returns {boolean}
 */
export function isSafeLink(url) {
  return typeof url === "string" && /^(https?:\/\/|mailto:)[^\s]+$/i.test(url);
}

/**
 * The site of a web address as a preview card names it ("example.com" for
 * https://www.example.com/a), "" when it is not one.
 * @param {string | null | undefined} url
 * @returns {string}
 */
export function siteOf(url) {
  if (typeof url !== "string" || !/^https?:\/\//i.test(url)) return "";
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return "";
  }
}
