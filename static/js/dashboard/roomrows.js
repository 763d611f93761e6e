// @ts-check
// Pure helpers of the room list (Recent Connections): initials for a row without an
// avatar, the last message's one-line preview, the two sort orders (newest activity,
// waiting longest), the live update of a row by a new message, the workspace badge and the
// tab title's count (muted rooms count in neither), the "waiting" label.

import { gettext, interpolate } from "../i18n.js";
import { formatShortDate, formatTime, sameDay } from "../datetime.js";

/**
 * @typedef {object} LastMessage
 * @property {number} id
 * @property {string} kind
 * @property {{type: string, id: number | null, name: string}} author
 * @property {string} text
 * @property {string} file_name
 * @property {boolean} recalled
 * @property {string} created_at
 */

/**
 * @typedef {object} RoomRow
 * @property {number} id
 * @property {string} kind
 * @property {string} [title]
 * @property {string} [name]
 * @property {{id: number, status: string} | null} [enquiry]
 * @property {string | null} [channel]
 * @property {string} [avatar_url]
 * @property {string | null} [last_message_at]
 * @property {LastMessage | null} [last_message]
 * @property {string | null} [waiting_since]
 * @property {number} [unread]
 * @property {string} [mute]
 */

/** How much of a message the row shows (as the server's rooms.selectors.PREVIEW_CHARS). */
export const PREVIEW_CHARS = 140;

/** Enquiry statuses in which a customer's unanswered message means they are waiting. */
const AWAITING = new Set(["open", "handling"]);

/**
 * Up to two initials of a name ("Vera Visitor" -> "VV"), "?" for none.
 * @param {string | null | undefined} name
 * @returns {string}
 */
export function initials(name) {
  // An address stands for its local part: "bob.builder@example.com" -> "BB".
  const words = String(name || "")
    .split("@")[0]
    .trim()
    .split(/[\s._-]+/)
    .filter(Boolean);
  if (!words.length) return "?";
  const letters = words.length === 1 ? [...words[0]].slice(0, 1) : [[...words[0]][0], [...words[words.length - 1]][0]];
  return letters.join("").toUpperCase();
}

/**
 * The row's preview line of its last message ("You: …", "Vera: …", a file's name).
 * @param {LastMessage | null | undefined} last
 * @param {number} meId
 * @returns {string}
 */
export function previewLine(last, meId) {
  if (!last) return gettext("No messages yet");
  let what = last.text;
  if (last.recalled) what = gettext("Message recalled");
  else if (!what && last.file_name) what = interpolate(gettext("File: %(name)s"), { name: last.file_name });
  else if (!what && last.kind === "file") what = gettext("File");
  if (last.kind === "system" || !last.author || last.author.type === "system") return what;
  const who = last.author.type === "staff" && last.author.id === meId ? gettext("You") : last.author.name;
  return who ? interpolate(gettext("%(who)s: %(what)s"), { who, what }) : what;
}

/**
 * A message as the row's last message (the shape of the room list API's last_message).
 * @param {any} message a message of the socket (message.created)
 * @returns {LastMessage}
 */
export function lastMessageOf(message) {
  const data = message.data || {};
  const recalled = Boolean(message.recalled_at);
  return {
    id: message.id,
    kind: message.kind,
    author: message.author,
    text: recalled ? "" : String(message.text || "").split(/\s+/).filter(Boolean).join(" ").slice(0, PREVIEW_CHARS),
    file_name: !recalled && data.file ? data.file.name || "" : "",
    recalled,
    created_at: message.created_at,
  };
}

/**
 * Updates a row for a new message of its room: last message, time, who waits. The unread
 * count is the caller's (it knows which room is on screen).
 * @param {RoomRow} row
 * @param {any} message
 */
export function applyMessage(row, message) {
  if (!row.last_message || row.last_message.id <= message.id) {
    row.last_message = lastMessageOf(message);
    row.last_message_at = message.created_at;
  }
  const author = message.author ? message.author.type : "system";
  if (author === "staff") row.waiting_since = null;
  else if (author === "visitor" && !row.waiting_since && row.enquiry && AWAITING.has(row.enquiry.status)) row.waiting_since = message.created_at;
}

/**
 * A message changed (edited, recalled): the row's preview follows when it is the last one.
 * @param {RoomRow} row
 * @param {any} message
 * @returns {boolean} the row changed
 */
export function applyChange(row, message) {
  if (!row.last_message || row.last_message.id !== message.id) return false;
  row.last_message = lastMessageOf(message);
  return true;
}

/**
 * @param {string | null | undefined} iso
 * @returns {number}
 */
function time(iso) {
  return iso ? Date.parse(iso) : 0;
}

/**
 * The rows in the list's order. "recent": newest activity first. "waiting": customers
 * waiting for an answer first, longest waiting first, then the others by activity.
 * @param {RoomRow[]} rows
 * @param {"recent" | "waiting"} mode
 * @returns {RoomRow[]}
 */
export function sortRows(rows, mode = "recent") {
  const recent = (/** @type {RoomRow} */ a, /** @type {RoomRow} */ b) => time(b.last_message_at) - time(a.last_message_at) || b.id - a.id;
  return [...rows].sort((a, b) => {
    if (mode === "waiting") {
      const wa = a.waiting_since ? time(a.waiting_since) : null;
      const wb = b.waiting_since ? time(b.waiting_since) : null;
      if (wa !== null && wb !== null) return wa - wb || a.id - b.id;
      if (wa !== null) return -1;
      if (wb !== null) return 1;
    }
    return recent(a, b);
  });
}

/**
 * The room that has waited longest for an answer (null when nobody waits).
 * @param {RoomRow[]} rows
 * @returns {RoomRow | null}
 */
export function longestWaiting(rows) {
  const waiting = rows.filter((r) => r.waiting_since);
  return waiting.length ? sortRows(waiting, "waiting")[0] : null;
}

/**
 * Whether a row's unread messages count in the badge and the title (not muted, not on screen).
 * @param {RoomRow} row
 * @param {number | null} currentRoom
 * @returns {boolean}
 */
export function countsAsUnread(row, currentRoom) {
  return row.id !== currentRoom && (row.unread || 0) > 0 && row.mute !== "mute";
}

/**
 * The workspace badge (rooms with unread messages) and the tab title's count (unread
 * messages), muted rooms and the room on screen left out.
 * @param {RoomRow[]} rows
 * @param {number | null} currentRoom
 * @returns {{rooms: number, messages: number}}
 */
export function unreadTotals(rows, currentRoom) {
  const counted = rows.filter((r) => countsAsUnread(r, currentRoom));
  return { rooms: counted.length, messages: counted.reduce((n, r) => n + (r.unread || 0), 0) };
}

/**
 * The tab's title with the unread count in front: "(3) Dashboard · Contact center".
 * @param {string} title the page's own title (with or without an earlier count)
 * @param {number} count
 * @returns {string}
 */
export function titleWithCount(title, count) {
  const base = title.replace(/^\(\d+\+?\)\s*/, "");
  if (count <= 0) return base;
  return `(${count > 99 ? "99+" : count}) ${base}`;
}

/**
 * How long a customer has waited, short: "30s", "4 min", "1 h 05 min".
 * @param {string} since ISO time
 * @param {number} now ms
 * @returns {string}
 */
export function waitedFor(since, now) {
  const s = Math.max(0, Math.round((now - Date.parse(since)) / 1000));
  if (s < 60) return interpolate(gettext("%(n)ss"), { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return interpolate(gettext("%(n)s min"), { n: m });
  return interpolate(gettext("%(h)s h %(m)s min"), { h: Math.floor(m / 60), m: String(m % 60).padStart(2, "0") });
}

/**
 * The row's time: the clock time today, else the date.
 * @param {string | null | undefined} iso
 * @param {Date} now
 * @returns {string}
 */
export function rowTime(iso, now) {
  if (!iso) return "";
  const d = new Date(iso);
  return sameDay(d, now) ? formatTime(d) : formatShortDate(d);
}
