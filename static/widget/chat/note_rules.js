// @ts-check
// Pure rules of notes and ratings in the widget (tests/js/widget_notes.test.js): which files a
// note may carry, whether the Note button shows, and what the rating area shows.

import { gettext, interpolate, ngettext } from "../../js/i18n.js";

/** @typedef {import("./types.js").Enquiry} Enquiry */

/**
 * Why these files cannot go with a note (the server checks again, by content), or null.
 * @param {{name: string, size: number}[]} files
 * @param {{maxFiles: number, maxBytes: number}} limits the server's limits (config.limits)
 * @returns {string | null}
 */
export function noteFilesProblem(files, { maxFiles, maxBytes }) {
  if (files.length > maxFiles) {
    return interpolate(ngettext("A note carries at most %(n)s file.", "A note carries at most %(n)s files.", maxFiles), { n: maxFiles });
  }
  const big = files.find((f) => f.size > maxBytes);
  if (big) {
    return interpolate(gettext("%(name)s is too large (at most %(mb)s MB)."), { name: big.name, mb: Math.floor(maxBytes / 1048576) });
  }
  const empty = files.find((f) => f.size === 0);
  if (empty) return interpolate(gettext("%(name)s is empty."), { name: empty.name });
  return null;
}

/**
 * The Note button (header and home) shows when the channel has it and no conversation is
 * going on (during one, the visitor writes in the chat).
 * @param {boolean} enabled the channel's note_button
 * @param {Enquiry | null} enquiry the conversation on screen, if any
 * @returns {boolean}
 */
export function noteButtonShown(enabled, enquiry) {
  if (!enabled) return false;
  if (!enquiry) return true;
  // A missed conversation has its own note form until the note is left.
  return enquiry.status === "missed" ? !enquiry.can_leave_note : enquiry.status === "closed";
}

/**
 * What the rating area shows: the card ("form"), the "Rate this conversation" action while
 * chatting ("offer": the channel lets visitors rate any time), the thanks, or nothing.
 * @param {Enquiry} enquiry
 * @param {boolean} asked the visitor chose "Rate this conversation"
 * @returns {"form" | "offer" | "thanks" | null}
 */
export function ratingShown(enquiry, asked) {
  if (enquiry.rating) return "thanks";
  if (!enquiry.can_rate) return null;
  if (enquiry.status !== "handling" || enquiry.rating_invited || asked) return "form";
  return "offer";
}

/**
 * A file's size for people: "512 KB", "3.4 MB".
 * @param {number} bytes
 * @returns {string}
 */
export function sizeText(bytes) {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1)} MB`;
  return `${Math.max(1, Math.ceil(bytes / 1024))} KB`;
}
