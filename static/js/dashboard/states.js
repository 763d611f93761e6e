// @ts-check
// Pure texts of the states the dashboard makes visible (issue 12, items 7 and 8): a transfer
// offer (who transfers, to whom, how long it has left), the concurrent limit, a resolved
// enquiry's auto-close, a platform reply's delivery. No DOM: tests/js/states.test.js.

import { gettext, interpolate, ngettext } from "../i18n.js";

/**
 * @typedef {object} TransferOffer a pending transfer as the API gives it
 * @property {number} id
 * @property {number} from_staff
 * @property {string} [from_staff_name]
 * @property {number | null} to_staff
 * @property {string | null} [to_staff_name]
 * @property {number | null} to_tag
 * @property {string | null} [to_tag_name]
 * @property {string} deadline_at
 */

/**
 * Whole seconds from now until an ISO time (0 once it has passed).
 * @param {string | null | undefined} iso
 * @param {number} now Date.now()
 * @returns {number | null} null without a time
 */
export function secondsLeft(iso, now) {
  if (!iso) return null;
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * A countdown as m:ss (h:mm:ss past an hour).
 * @param {number} seconds
 * @returns {string}
 */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * The offer card's lines: who is transferring to whom (a person or a tag, never the old
 * destination), and the target as its own line.
 * @param {TransferOffer} transfer
 * @param {number} meId the viewer
 * @returns {{who: string, target: string}}
 */
export function offerTexts(transfer, meId) {
  const from = transfer.from_staff_name || gettext("A colleague");
  let target;
  if (transfer.to_tag) target = interpolate(gettext("to the %(tag)s team"), { tag: transfer.to_tag_name || "" });
  else if (transfer.to_staff === meId) target = gettext("to you");
  else target = interpolate(gettext("to %(name)s"), { name: transfer.to_staff_name || "" });
  return {
    who: interpolate(gettext("%(from)s is transferring this enquiry %(target)s"), { from, target }),
    target: transfer.to_tag
      ? interpolate(gettext("Transfer offered to tag %(tag)s"), { tag: transfer.to_tag_name || "" })
      : gettext("Transfer offered to you personally"),
  };
}

/**
 * How long the offer has left, from the server's deadline.
 * @param {string} deadline ISO
 * @param {number} now Date.now()
 * @returns {{text: string, seconds: number, urgent: boolean}}
 */
export function offerCountdown(deadline, now) {
  const seconds = secondsLeft(deadline, now) ?? 0;
  const text = seconds > 0 ? interpolate(gettext("%(time)s left to accept"), { time: clock(seconds) }) : gettext("Offer expiring…");
  return { text, seconds, urgent: seconds <= 15 };
}

/**
 * @typedef {object} Load GET /api/v1/me/load
 * @property {number} handling
 * @property {number} max_concurrent
 * @property {boolean} at_limit
 */

/**
 * The concurrent-limit banner ("" when below the limit).
 * @param {Load | null} load
 * @returns {string}
 */
export function limitText(load) {
  if (!load || !load.at_limit) return "";
  return interpolate(
    ngettext(
      "You're at your limit of %(max)s conversation: new enquiries are not offered to you. Resolve or close it to receive new enquiries again.",
      "You're at your limit of %(max)s conversations: new enquiries are not offered to you. Resolve or close one to receive new enquiries again.",
      load.max_concurrent,
    ),
    { max: load.max_concurrent },
  );
}

/**
 * A resolved enquiry's line: when it closes by itself, or that it was kept open.
 * @param {{status: string, auto_close_at?: string | null}} enquiry
 * @param {number} now Date.now()
 * @param {(iso: string) => string} timeOf formats a time of day
 * @returns {string} "" unless resolved
 */
export function autoCloseText(enquiry, now, timeOf) {
  if (enquiry.status !== "resolved") return "";
  if (!enquiry.auto_close_at) return gettext("Resolved and kept open: it will not close automatically.");
  const seconds = secondsLeft(enquiry.auto_close_at, now) ?? 0;
  if (seconds <= 0) return gettext("Resolved: closing now…");
  return interpolate(gettext("Resolved: closes automatically at %(time)s (in %(left)s) unless the customer writes again."), {
    time: timeOf(enquiry.auto_close_at),
    left: clock(seconds),
  });
}

/**
 * The delivery states' labels (a function: the texts are looked up when the catalogue is in).
 * @returns {Record<string, string>}
 */
function deliveryLabels() {
  return {
    pending: gettext("Sending…"),
    sent: gettext("✓ Sent"),
    delivered: gettext("✓✓ Delivered"),
    read: gettext("✓✓ Read"),
    failed: gettext("⚠ Not delivered"),
  };
}

/**
 * A platform reply's delivery line.
 * @param {string | {state: string, error?: string} | undefined} delivery data.delivery
 * @returns {{state: string, label: string, error: string, retry: boolean} | null}
 */
export function deliveryText(delivery) {
  if (!delivery) return null;
  const state = typeof delivery === "string" ? delivery : delivery.state;
  if (!state) return null;
  const error = typeof delivery === "object" && delivery.error ? delivery.error : "";
  const labels = deliveryLabels();
  const label = state in labels ? labels[state] : state;
  return { state, label, error, retry: state === "failed" };
}

/**
 * What the previous owner is told when a transfer ends (enquiry.transferred), or "" for
 * nothing to say (they ended it themselves: left, resolved; or it was accepted by them).
 * @param {{state: string, reason?: string, owner_id: number | null, owner_name: string, enquiry_id: number, from_id?: number | null}} data
 * @param {number} meId
 * @returns {string}
 */
export function transferEndedToast(data, meId) {
  if (data.state === "accepted" && data.from_id === meId && data.owner_id !== meId) {
    return interpolate(gettext("%(name)s accepted your transfer of enquiry #%(id)s: it is theirs now."), { name: data.owner_name, id: data.enquiry_id });
  }
  if (data.state !== "lapsed" || data.owner_id !== meId) return "";
  if (data.reason === "timeout") return interpolate(gettext("Nobody accepted the transfer of enquiry #%(id)s in time; it stays with you."), { id: data.enquiry_id });
  if (data.reason === "rejected") return interpolate(gettext("The transfer of enquiry #%(id)s was declined; it stays with you."), { id: data.enquiry_id });
  return "";
}

/**
 * What the target of a transfer offer is told when the offer goes before they answered
 * ("" when there is nothing to explain: they rejected it themselves).
 * @param {{reason?: string, owner_name: string}} data enquiry.transferred, state "lapsed"
 * @param {string} visitor the enquiry's visitor, as the card showed it
 * @returns {string}
 */
export function offerWithdrawnText(data, visitor) {
  const values = { visitor, owner: data.owner_name || gettext("The owner") };
  if (data.reason === "closed") return interpolate(gettext("Transfer of %(visitor)s cancelled: %(owner)s left and closed the enquiry."), values);
  if (data.reason === "resolved") return interpolate(gettext("Transfer of %(visitor)s cancelled: %(owner)s resolved the enquiry."), values);
  if (data.reason === "taken_over") return interpolate(gettext("Transfer of %(visitor)s cancelled: an admin took over the conversation."), values);
  if (data.reason === "timeout") return interpolate(gettext("The transfer offer of %(visitor)s lapsed: it was not accepted in time."), values);
  return "";
}
