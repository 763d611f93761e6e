// @ts-check
// Pure rules of the room view (no DOM, no globals): who may do what in the open room, which
// buttons and classes a message gets, where a message goes in the list, when a read marker
// or a typing notice is due. The DOM modules of room/ ask these; tests/js/room_rules.test.js
// tests them.

/** @typedef {import("./state.js").Message} Message */
/** @typedef {import("./state.js").RoomInfo} RoomInfo */
/** @typedef {import("./state.js").RoomEnquiry} RoomEnquiry */

/** Enquiry states in which the enquiry still has people in its room. */
const LIVE_STATES = ["handling", "resolved"];

/**
 * The room's enquiry, or null (not an enquiry room, or one without its enquiry).
 * @param {RoomInfo} info
 * @returns {RoomEnquiry | null}
 */
export function enquiryOf(info) {
  return info.enquiry && info.enquiry.id ? info.enquiry : null;
}

/**
 * @param {RoomInfo} info
 * @param {number} meId
 * @returns {boolean} the viewer owns the room's enquiry
 */
export function isOwner(info, meId) {
  const e = enquiryOf(info);
  return Boolean(e && e.owner && e.owner.id === meId);
}

/**
 * Nothing can be written: monitoring, or the enquiry is closed.
 * @param {RoomInfo} info
 * @param {boolean} monitor
 * @returns {boolean}
 */
export function isReadOnly(info, monitor) {
  const e = enquiryOf(info);
  // A missed enquiry is followed up in its room: its members write to the customer.
  return monitor || Boolean(e && e.status === "closed");
}

/** @typedef {"resolve" | "transfer" | "leave" | "takeOver"} HeadAction */

/**
 * The enquiry actions in the room's header, in their order on screen (none while monitoring
 * or for a non-member).
 * @param {RoomInfo} info
 * @param {{monitor: boolean, meId: number, isAdmin: boolean}} viewer
 * @returns {HeadAction[]}
 */
export function headActions(info, { monitor, meId, isAdmin }) {
  const e = enquiryOf(info);
  /** @type {HeadAction[]} */
  const out = [];
  if (!e || monitor || !info.me) return out;
  const owner = isOwner(info, meId);
  if (owner && e.status === "handling") out.push("resolve", "transfer");
  if (LIVE_STATES.includes(e.status)) out.push("leave");
  if (isAdmin && !owner && LIVE_STATES.includes(e.status)) out.push("takeOver");
  return out;
}

/**
 * May the viewer ask the customer for a rating ("Ask for a rating": the widget shows its
 * rating card)? The owner or an admin in the room, while the enquiry is handled or resolved
 * and not rated yet (the server checks again: 409 once rated).
 * @param {RoomInfo} info
 * @param {{monitor: boolean, meId: number, isAdmin: boolean}} viewer
 * @returns {boolean}
 */
export function rateInviteAllowed(info, { monitor, meId, isAdmin }) {
  const e = enquiryOf(info);
  if (!e || monitor || !info.me || e.rated) return false;
  return (isOwner(info, meId) || isAdmin) && LIVE_STATES.includes(e.status) && (e.channel_kind === "widget" || e.channel_kind === "weblink");
}

/**
 * The buttons of the monitoring banner: an admin may join or take over a live enquiry.
 * @param {RoomInfo} info
 * @param {boolean} isAdmin
 * @returns {("join" | "takeOver")[]}
 */
export function monitorActions(info, isAdmin) {
  const e = enquiryOf(info);
  return e && LIVE_STATES.includes(e.status) && isAdmin ? ["join", "takeOver"] : [];
}

/**
 * After the room's information was loaded again: monitoring if no longer a member, back to
 * taking part if now a member and the URL did not ask for monitoring.
 * @param {RoomInfo} info
 * @param {boolean} monitor monitoring so far
 * @param {boolean} monitorParam the URL asks for monitoring
 * @returns {boolean}
 */
export function monitorAfterReload(info, monitor, monitorParam) {
  if (!info.me && !monitor) return true;
  if (info.me && monitor && !monitorParam) return false;
  return monitor;
}

/**
 * @param {Message} m
 * @param {number} meId
 * @returns {boolean} the viewer (a staff member) wrote it
 */
export function isMine(m, meId) {
  return Boolean(m.author && m.author.type === "staff" && m.author.id === meId);
}

/**
 * The viewer may still edit or recall the message: their own, not a system message, not
 * recalled, within the edit window.
 * @param {Message} m
 * @param {number} meId
 * @param {number} windowSeconds the server's edit window
 * @param {number} now Date.now()
 * @returns {boolean}
 */
export function canChange(m, meId, windowSeconds, now) {
  if (m.recalled_at || m.kind === "system") return false;
  if (!isMine(m, meId)) return false;
  return now - Date.parse(m.created_at) < windowSeconds * 1000;
}

/**
 * The classes of a message's list item.
 * @param {Message} m
 * @param {number} meId
 * @returns {string}
 */
export function messageClasses(m, meId) {
  const data = m.data || {};
  const classes = ["msg", `msg-${m.kind}`, `by-${m.author ? m.author.type : "system"}`];
  if (isMine(m, meId)) classes.push("mine");
  if ((data.mentions || []).includes(meId) || data.mention_all) classes.push("mentions-me");
  if (m.recalled_at) classes.push("recalled");
  return classes.join(" ");
}

/** @typedef {"Reply" | "Copy" | "Forward" | "Edit" | "Recall"} MessageTool */

/**
 * The action buttons under a message, in their order on screen (none while monitoring).
 * @param {Message} m
 * @param {{monitor: boolean, readOnly: boolean, changeable: boolean}} can
 * @returns {MessageTool[]}
 */
export function messageTools(m, { monitor, readOnly, changeable }) {
  /** @type {MessageTool[]} */
  const tools = [];
  if (monitor) return tools;
  if (!readOnly) tools.push("Reply");
  if (m.text) tools.push("Copy");
  tools.push("Forward");
  if (changeable) {
    if (m.kind === "text") tools.push("Edit");
    tools.push("Recall");
  }
  return tools;
}

/**
 * The names a message's text may mention (marked in it): the members, and "all".
 * @param {RoomInfo} info
 * @returns {string[]}
 */
export function linkNames(info) {
  return info.members
    .map((m) => m.name)
    .filter(Boolean)
    .concat(["all"]);
}

/**
 * The names the composer suggests after an at sign: the other members, and "all" in a space.
 * @param {RoomInfo} info
 * @param {number} meId
 * @returns {string[]}
 */
export function mentionNames(info, meId) {
  const names = info.members.filter((m) => m.id !== meId).map((m) => m.name);
  if (info.kind === "space") names.push("all");
  return names;
}

/**
 * Where a new message goes in the list: before the first item with a larger id (the list
 * stays in id order even when a sync answer and a live event cross). -1: at the end (before
 * the "sending…" items).
 * @param {(number | null)[]} ids the items' message ids, null for items without one
 * @param {number} id
 * @returns {number}
 */
export function insertionIndex(ids, id) {
  return ids.findIndex((other) => other !== null && other > id);
}

/**
 * @param {Iterable<number>} ids
 * @returns {number} the largest id, 0 for none
 */
export function lastMessageId(ids) {
  return Math.max(0, ...ids);
}

/**
 * The message id to mark read, or 0 when the marker is already there (or nothing is shown).
 * @param {number} lastId the newest message on screen
 * @param {number | null | undefined} lastRead the membership's read marker
 * @returns {number}
 */
export function readMarkerDue(lastId, lastRead) {
  return lastId && lastId > (lastRead || 0) ? lastId : 0;
}

/**
 * What the list does after a message came: follow it to the bottom (the reader was there,
 * or wrote it), show "New messages ↓" (a new message out of sight), or nothing.
 * @param {{stick: boolean, mine: boolean, known: boolean}} where
 * @returns {"bottom" | "jump" | "none"}
 */
export function scrollAfterMessage({ stick, mine, known }) {
  if (stick || mine) return "bottom";
  return known ? "none" : "jump";
}

/**
 * The list is scrolled (nearly) to its end.
 * @param {number} scrollHeight
 * @param {number} scrollTop
 * @param {number} clientHeight
 * @returns {boolean}
 */
export function isAtBottom(scrollHeight, scrollTop, clientHeight) {
  return scrollHeight - scrollTop - clientHeight < 48;
}

/**
 * The suggestion highlighted after an arrow key (wrapping around).
 * @param {number} active
 * @param {"ArrowDown" | "ArrowUp"} key
 * @param {number} count the number of suggestions (> 0)
 * @returns {number}
 */
export function nextSuggestion(active, key, count) {
  return (active + (key === "ArrowDown" ? 1 : count - 1)) % count;
}

/** The least time between two typing notices of one composer. */
export const TYPING_EVERY_MS = 1500;

/**
 * A typing notice is due: something is typed and the last notice is old enough.
 * @param {number} now
 * @param {number} lastSent
 * @param {string} text
 * @returns {boolean}
 */
export function typingDue(now, lastSent, text) {
  return now - lastSent > TYPING_EVERY_MS && Boolean(text.trim());
}
