// @ts-check
// What to show, decided from data: pure functions (no DOM), unit-tested in
// tests/js/widget_decide.test.js. The views call these and only draw.

import { FIELD_LABELS } from "./labels.js";

/** @typedef {import("./types.js").Enquiry} Enquiry */
/** @typedef {import("./types.js").Person} Person */
/** @typedef {import("./types.js").Choice} Choice */

/** Consecutive messages within this many ms give one notification (and one sound). */
export const NOTIFY_FOLD_MS = 3000;

/**
 * Whether an incoming message at `now` folds into the notification of the one at `lastAt`.
 * @param {number} now ms
 * @param {number} lastAt ms; 0 before the first message
 * @returns {boolean}
 */
export function foldsIntoLast(now, lastAt) {
  return now - lastAt < NOTIFY_FOLD_MS;
}

/**
 * The agent shown at the top: the owner while handling and after resolve, nobody otherwise.
 * @param {Enquiry} enquiry
 * @returns {Person | null}
 */
export function agentShown(enquiry) {
  return ["handling", "resolved"].includes(enquiry.status) ? enquiry.owner : null;
}

/**
 * A missed or closed conversation takes no more messages (the composer hides).
 * @param {Enquiry} enquiry
 * @returns {boolean}
 */
export function conversationEnded(enquiry) {
  return enquiry.status === "missed" || enquiry.status === "closed";
}

/**
 * What the area under the messages holds once the chat is over: the note form or its thanks,
 * the rating form or its thanks, and the "Start a new conversation" button.
 * @param {Enquiry} enquiry
 * and, while the robot answers, "Talk to a person".
 * @returns {{note: "form" | "thanks" | null, rating: "form" | "thanks" | null, restart: boolean, person: boolean}}
 */
export function afterChat(enquiry) {
  return {
    note: enquiry.can_leave_note ? "form" : enquiry.status === "missed" && enquiry.note ? "thanks" : null,
    rating: enquiry.can_rate ? "form" : enquiry.rating ? "thanks" : null,
    restart: conversationEnded(enquiry),
    person: enquiry.status === "open" && !!enquiry.with_robot,
  };
}

/**
 * Everything afterChat() depends on, as a string: the area is redrawn only when it changes
 * (so a half-written note survives a queue or status event).
 * @param {Enquiry} enquiry
 * @returns {string}
 */
export function afterChatKey(enquiry) {
  return `${enquiry.status}:${enquiry.can_leave_note}:${enquiry.can_rate}:${!!enquiry.note}:${!!enquiry.rating}:${!!enquiry.with_robot}`;
}

/**
 * The class of a message bubble.
 * @param {{mine: boolean, system?: boolean, pending?: boolean}} bubble
 * @returns {string}
 */
export function bubbleClass({ mine, system = false, pending = false }) {
  return `cc-msg ${system ? "cc-system" : mine ? "cc-mine" : "cc-theirs"}${pending ? " cc-pending" : ""}`;
}

/**
 * What the widget opens with when no conversation is going on: the start form for the team
 * or person in the page's URL (the loader's data-tag / data-staff, or openTag/openStaff
 * before the frame existed; a web link's ?tag= / ?staff=), else null for the home view.
 * @param {string} mode "frame" | "page"
 * @param {URLSearchParams} query
 * @returns {Choice | null}
 */
export function firstChoice(mode, query) {
  const tag = query.get("tag");
  const staff = Number(query.get("staff")) || 0;
  if (tag) return { tag };
  if (staff) return { staff };
  return null;
}

/**
 * Whether the home view has a directory to choose from (else it is the start form).
 * @param {{tags: any[], staff: any[]}} directory
 * @returns {boolean}
 */
export function hasDirectory(directory) {
  return directory.tags.length > 0 || directory.staff.length > 0;
}

/**
 * Whether an enquiry.* or room.* event may change this visitor's enquiry (then it is read
 * again): one about it, or one that names no enquiry.
 * @param {any} data the event's data
 * @param {number | null} enquiryId
 * @returns {boolean}
 */
export function concernsEnquiry(data, enquiryId) {
  const id = data.enquiry_id || (data.enquiry && data.enquiry.id);
  return !id || id === enquiryId;
}

/**
 * The fields of the host page's ContactCenter.setVisitor() the start form knows, as strings.
 * @param {any} visitor
 * @returns {Record<string, string>}
 */
export function prefillFields(visitor) {
  /** @type {Record<string, string>} */
  const fields = {};
  for (const [k, v] of Object.entries(visitor || {})) {
    if (Object.prototype.hasOwnProperty.call(FIELD_LABELS, k) && typeof v === "string") fields[k] = v;
  }
  return fields;
}

/**
 * Whether a postMessage event is a command of the host page: in frame mode only, from the
 * window that framed the chat, and from the origin the loader named. Anything else (another
 * frame, another origin, a web link page) is ignored.
 * @param {{source: any, origin: string}} event
 * @param {string} mode
 * @param {string | null} parentOrigin
 * @param {any} parentWindow window.parent
 * @returns {boolean}
 */
export function fromHostPage(event, mode, parentOrigin, parentWindow) {
  return mode === "frame" && event.source === parentWindow && event.origin === parentOrigin;
}

/**
 * Where an arrow key (or Home, End) moves among `count` choices from index `at`, clamped
 * (no wrap: the fifth star stays the fifth); null for other keys.
 * @param {string} key KeyboardEvent.key
 * @param {number} at
 * @param {number} count
 * @returns {number | null}
 */
export function starStep(key, at, count) {
  if (key === "ArrowRight" || key === "ArrowUp") return Math.min(at + 1, count - 1);
  if (key === "ArrowLeft" || key === "ArrowDown") return Math.max(at - 1, 0);
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  return null;
}
