// @ts-check
// Pure helpers of the Notifications list (notifications.js): each notification's texts from
// its text-ready data (GET /api/v1/notifications, notification.created), the badge's text,
// and applying a notification.read event to a list. No DOM here: tested with node --test.
import { gettext, interpolate, ngettext } from "../i18n.js";

/**
 * @typedef {object} Notification
 * @property {number} id
 * @property {string} kind mention | transfer_offered | taken_over | missed | review
 * @property {number | null} enquiry
 * @property {number | null} room
 * @property {number | null} actor
 * @property {Record<string, any>} data
 * @property {string | null} url
 * @property {string} created_at
 * @property {boolean} read
 */

/** The most the badge counts before "99+". */
export const BADGE_MAX = 99;

/**
 * @param {number} count
 * @returns {string} "" for none, "99+" above BADGE_MAX
 */
export function badgeText(count) {
  if (!count || count < 0) return "";
  return count > BADGE_MAX ? `${BADGE_MAX}+` : String(count);
}

/**
 * The bell's accessible name.
 * @param {number} count
 * @returns {string}
 */
export function bellLabel(count) {
  if (!count) return gettext("Notifications");
  return interpolate(ngettext("Notifications, %(n)s unread", "Notifications, %(n)s unread", count), { n: badgeText(count) });
}

/**
 * @param {any} value
 * @param {string} fallback
 * @returns {string}
 */
function text(value, fallback) {
  return typeof value === "string" && value.trim() ? value.trim() : fallback;
}

/** @type {Record<string, () => string>} */
const MISSED_REASONS = {
  timeout: () => gettext("Nobody picked it up in time"),
  nobody_available: () => gettext("Nobody was available"),
  out_of_hours: () => gettext("Outside working hours"),
  all_rejected: () => gettext("Everyone declined it"),
  note_left: () => gettext("The visitor left a note"),
};

/**
 * @param {Notification} n
 * @returns {string}
 */
function mentionTitle(n) {
  const d = n.data || {};
  const actor = text(d.actor_name, gettext("Someone"));
  if (d.room_kind === "space") {
    const room = text(d.room_name, gettext("a space"));
    return d.mention_all
      ? interpolate(gettext("%(actor)s mentioned everyone (@all) in %(room)s"), { actor, room })
      : interpolate(gettext("%(actor)s mentioned you in %(room)s"), { actor, room });
  }
  if (d.room_kind === "direct") return interpolate(gettext("%(actor)s mentioned you in a direct message"), { actor });
  return interpolate(gettext("%(actor)s mentioned you in a conversation"), { actor });
}

/**
 * What a notification says: a title (who did what) and a detail line (an excerpt, a
 * reason, a score), both plain text for textContent.
 * @param {Notification} n
 * @returns {{title: string, detail: string}}
 */
export function notificationTexts(n) {
  const d = n.data || {};
  const actor = text(d.actor_name, gettext("Someone"));
  const visitor = text(d.visitor_name, gettext("a visitor"));
  switch (n.kind) {
    case "mention":
      return { title: mentionTitle(n), detail: d.recalled ? gettext("The message was recalled") : text(d.excerpt, "") };
    case "transfer_offered":
      return {
        title: d.to_tag
          ? interpolate(gettext("%(actor)s is transferring %(visitor)s to the %(tag)s team"), { actor, visitor, tag: d.to_tag })
          : interpolate(gettext("%(actor)s is transferring %(visitor)s to you"), { actor, visitor }),
        detail: text(d.excerpt, ""),
      };
    case "taken_over":
      return { title: interpolate(gettext("%(actor)s took over your conversation with %(visitor)s"), { actor, visitor }), detail: "" };
    case "missed": {
      const reason = MISSED_REASONS[d.reason] ? MISSED_REASONS[d.reason]() : "";
      const title = d.destination
        ? interpolate(gettext("Missed enquiry from %(visitor)s to %(destination)s"), { visitor, destination: d.destination })
        : interpolate(gettext("Missed enquiry from %(visitor)s"), { visitor });
      return { title, detail: [reason, text(d.excerpt, "")].filter(Boolean).join(" · ") };
    }
    case "review": {
      const score = typeof d.score === "number" ? interpolate(gettext("Score: %(score)s"), { score: String(Math.round(d.score * 100) / 100) }) : "";
      return {
        title: interpolate(gettext("%(actor)s reviewed your conversation"), { actor }),
        detail: [score, text(d.comment, "")].filter(Boolean).join(" · "),
      };
    }
    default:
      return { title: gettext("New notification"), detail: "" };
  }
}

/**
 * Applies a notification.read event ({ids, all, read}) to a list of notifications, in place.
 * @param {Notification[]} items
 * @param {{ids?: number[], all?: boolean, read?: boolean}} event
 * @returns {Notification[]} those whose state changed
 */
export function applyRead(items, event) {
  const read = event.read !== false;
  const ids = new Set(event.ids || []);
  const changed = [];
  for (const item of items) {
    if ((event.all || ids.has(item.id)) && item.read !== read) {
      item.read = read;
      changed.push(item);
    }
  }
  return changed;
}

/**
 * Adds a notification at the top of a list unless it is there already (a socket that
 * reconnected, or a page loaded while the event was on its way); the list stays newest first.
 * @param {Notification[]} items
 * @param {Notification} item
 * @returns {boolean} whether it was added
 */
export function addNewest(items, item) {
  if (items.some((n) => n.id === item.id)) return false;
  items.unshift(item);
  items.sort((a, b) => b.id - a.id);
  return true;
}
