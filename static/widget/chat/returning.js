// @ts-check
// A returning visitor: what a call-to-action does with the conversation it finds, and the
// texts of the earlier conversations shown above the current one. Pure functions (no DOM),
// unit-tested in tests/js/widget_returning.test.js.

import { gettext, interpolate } from "../../js/i18n.js";

/** @typedef {import("./types.js").Choice} Choice */

/**
 * An earlier conversation as GET /api/v1/widget/history gives it.
 * @typedef {object} EarlierConversation
 * @property {number} id
 * @property {string} status
 * @property {string} destination the tag or person it went to
 * @property {{display_name: string} | null} agent who answered; null if nobody did
 * @property {string} created_at
 * @property {string | null} ended_at
 * @property {boolean} messages_truncated
 * @property {import("./types.js").Message[]} messages
 */

/** Statuses in which a conversation is still going on: a call-to-action asks before starting another. */
export const GOING_ON = ["open", "handling"];

/**
 * What a call-to-action (openTag, openStaff, data-tag, ?tag=) does, given the conversation
 * this browser remembers: "start" the start form (none, or it has ended: missed, resolved,
 * closed), or "ask" whether to continue it or start a new one.
 * @param {{status: string} | null | undefined} enquiry
 * @returns {"start" | "ask"}
 */
export function ctaAction(enquiry) {
  return enquiry && GOING_ON.includes(enquiry.status) ? "ask" : "start";
}

/**
 * The name of a choice, as the start form's "To:" shows it ("" for the channel's default).
 * @param {Choice} choice
 * @returns {string}
 */
export function choiceName(choice) {
  return choice.tag || choice.staffName || "";
}

/**
 * The label of the card's button that starts a new conversation.
 * @param {Choice} choice
 * @returns {string}
 */
export function startNewLabel(choice) {
  const name = choiceName(choice);
  return name ? interpolate(gettext("Start a new conversation with %(name)s"), { name }) : gettext("Start a new conversation");
}

/**
 * The history API's URL for the page before ``before`` (the oldest conversation shown, or
 * the current one; null: the newest).
 * @param {string} channelKey
 * @param {number | null} before
 * @param {number} [limit]
 * @returns {string}
 */
export function historyUrl(channelKey, before, limit = 3) {
  const q = new URLSearchParams({ channel: channelKey, limit: String(limit) });
  if (before) q.set("before", String(before));
  return `/api/v1/widget/history?${q}`;
}

/**
 * The divider above an earlier conversation: its date and who answered ("12 Nov 2026 ·
 * Olive Owner"), or where it went when nobody did ("… · Sales · missed").
 * @param {EarlierConversation} conversation
 * @param {string} [locale]
 * @returns {string}
 */
export function dividerText(conversation, locale) {
  const when = new Date(conversation.created_at);
  const date = Number.isNaN(when.getTime())
    ? ""
    : when.toLocaleDateString(locale, { year: "numeric", month: "short", day: "numeric" });
  if (conversation.agent) return interpolate(gettext("%(date)s · %(agent)s"), { date, agent: conversation.agent.display_name });
  if (conversation.status === "missed") {
    return interpolate(gettext("%(date)s · %(destination)s · missed"), { date, destination: conversation.destination });
  }
  return interpolate(gettext("%(date)s · %(destination)s"), { date, destination: conversation.destination });
}

/**
 * The scroll position that keeps what the visitor sees in place after content was added
 * above it.
 * @param {{scrollTop: number, scrollHeight: number}} before the list's before the change
 * @param {number} newScrollHeight
 * @returns {number}
 */
export function keptScrollTop(before, newScrollHeight) {
  return Math.max(0, before.scrollTop + (newScrollHeight - before.scrollHeight));
}
