// @ts-check
// Pure texts of the room view (no DOM, no globals): the header's title and subtitle, the
// rows of the information panel, delivery labels, reply quotes, upload progress. The DOM
// modules of room/ put them on screen; tests/js/room_format.test.js tests them.

import { clockTime, duration, fileSize } from "../dom.js";
import { enquiryOf } from "./rules.js";

/** @typedef {import("./state.js").Message} Message */
/** @typedef {import("./state.js").MessageData} MessageData */
/** @typedef {import("./state.js").MessageFile} MessageFile */
/** @typedef {import("./state.js").RoomInfo} RoomInfo */
/** @typedef {import("./state.js").RoomEnquiry} RoomEnquiry */
/** @typedef {[string, any]} Pair a label and its value (any value; see kvRows) */

/** @type {Record<string, string>} */
export const DELIVERY_LABELS = { pending: "…", sent: "✓ sent", delivered: "✓✓ delivered", read: "✓✓ read", failed: "⚠ failed" };

/**
 * A platform message's delivery state (data.delivery is a state or {state, ...}).
 * @param {MessageData} data
 * @returns {string | undefined}
 */
export function deliveryState(data) {
  return typeof data.delivery === "string" ? data.delivery : data.delivery && data.delivery.state;
}

/**
 * @param {string} state
 * @returns {string} its label (an unknown state as it is)
 */
export function deliveryLabel(state) {
  return DELIVERY_LABELS[state] || state;
}

/**
 * The room's name in its header: the visitor, the other staff member, or the room's name.
 * @param {RoomInfo} info
 * @param {number} roomId
 * @returns {string}
 */
export function roomTitle(info, roomId) {
  let name = info.name || `Room ${roomId}`;
  if (info.kind === "enquiry" && info.visitor) name = info.visitor.name || "Visitor";
  if (info.kind === "direct" && info.contact) name = info.contact.name;
  return name;
}

/**
 * The line under the room's name.
 * @param {RoomInfo} info
 * @returns {string}
 */
export function roomSubtitle(info) {
  const e = enquiryOf(info);
  if (e) return `Enquiry #${e.id} · ${e.channel} · ${e.status}${e.owner ? ` · owner ${e.owner.name}` : ""}`;
  if (info.kind === "space") return `Space · ${info.members.length} members${info.description ? ` · ${info.description}` : ""}`;
  return "Direct chat";
}

/**
 * The composer's placeholder.
 * @param {boolean} readOnly
 * @param {boolean} monitor
 * @returns {string}
 */
export function composerPlaceholder(readOnly, monitor) {
  return readOnly && !monitor ? "This conversation is closed (read-only)." : "Message (/ quick reply, @ mention)";
}

/**
 * The quote above a reply: the message replied to (when it is on screen).
 * @param {Message | undefined} orig
 * @returns {string}
 */
export function replyQuote(orig) {
  if (!orig) return "Reply to an earlier message";
  const file = orig.data && orig.data.file;
  const text = orig.recalled_at ? "message recalled" : (orig.text || (file && file.name) || "").slice(0, 120);
  return `${orig.author.name}: ${text}`;
}

/**
 * The reply bar above the composer.
 * @param {Message} m the message replied to
 * @returns {string}
 */
export function replyingTo(m) {
  return `Replying to ${m.author.name}: ${(m.text || "").slice(0, 80)}`;
}

/**
 * @param {string} name
 * @returns {string}
 */
export function typingText(name) {
  return `${name} is typing…`;
}

/**
 * @param {number} fraction 0..1
 * @returns {number} a whole percentage
 */
export function uploadPercent(fraction) {
  return Math.round(fraction * 100);
}

/**
 * @param {string} fileName
 * @param {number} fraction 0..1
 * @returns {string}
 */
export function uploadLabel(fileName, fraction) {
  return `Uploading ${fileName}… ${uploadPercent(fraction)}%`;
}

/**
 * @param {number} maxBytes the server's upload limit
 * @returns {string}
 */
export function tooLargeText(maxBytes) {
  return `The file is larger than ${fileSize(maxBytes)}.`;
}

/**
 * How a file message shows its file.
 * @param {MessageFile} file
 * @returns {"image" | "video" | "audio" | "document"}
 */
export function fileShape(file) {
  const cat = file.category;
  if (cat === "image") return "image";
  if (cat === "video") return "video";
  if (cat === "voice" || cat === "audio") return "audio";
  return "document";
}

/**
 * The box an image preview reserves before it loads (no layout jump): at most 240 x 180,
 * the image's proportions kept, never enlarged.
 * @param {MessageFile} file
 * @returns {{width: number, height: number}}
 */
export function imageBox(file) {
  const w0 = file.width || 240;
  const h0 = file.height || 180;
  const scale = Math.min(1, 240 / w0, 180 / h0);
  return { width: Math.round(w0 * scale), height: Math.round(h0 * scale) };
}

/**
 * The rows of a key/value list: empty values left out, objects as JSON.
 * @param {Pair[]} pairs
 * @returns {[string, string][]}
 */
export function kvRows(pairs) {
  /** @type {[string, string][]} */
  const rows = [];
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === "") continue;
    rows.push([k, typeof v === "object" ? JSON.stringify(v) : String(v)]);
  }
  return rows;
}

/**
 * The information panel's enquiry section.
 * @param {RoomEnquiry} e
 * @returns {Pair[]}
 */
export function enquiryPairs(e) {
  const detail = e.channel_detail;
  return [
    ["ID", e.id],
    ["Channel", e.channel],
    ["Channel detail", [detail && detail.name, detail && detail.identity].filter(Boolean).join(" · ")],
    ["Status", e.status],
    ["Language", e.language],
    ["Location", e.location],
    ["Topic", e.topic],
    ["Started", clockTime(e.created_at)],
    ["Picked up", clockTime(e.picked_up_at)],
    // The server's figures (one definition: enquiries/selectors.py): from the customer's first message.
    ["First response", e.first_response_seconds == null ? "" : duration(e.first_response_seconds)],
    ["Duration", e.duration_seconds == null ? "" : duration(e.duration_seconds)],
  ];
}

/**
 * @param {{name: string, type: string, endpoint: string}} d
 * @returns {Pair[]}
 */
export function destinationPairs(d) {
  return [
    ["Name", d.name],
    ["Type", d.type],
    ["Endpoint", d.endpoint],
  ];
}

/**
 * A direct room's other staff member.
 * @param {Record<string, any>} c
 * @returns {Pair[]}
 */
export function contactPairs(c) {
  return [
    ["Name", c.name],
    ["Email", c.email],
    ["Phone", c.phone],
    ["Time zone", c.time_zone],
    ["Availability", c.availability],
  ];
}

/**
 * @param {RoomInfo} info a space
 * @returns {Pair[]}
 */
export function spacePairs(info) {
  return [
    ["Name", info.name],
    ["Description", info.description],
    ["Private", info.is_private ? "yes" : "no"],
  ];
}

/**
 * A member's line in the panel, after the name.
 * @param {{role: string, availability: string}} m
 * @returns {string}
 */
export function memberDetail(m) {
  return `${m.role} · ${m.availability}`;
}

/** The visitor form's fields: name, label, input type. */
export const VISITOR_FIELDS = /** @type {const} */ ([
  ["first_name", "First name", "text"],
  ["last_name", "Last name", "text"],
  ["email", "Email", "email"],
  ["phone", "Phone", "tel"],
]);

/** The notification settings of a membership: value, label. */
export const MUTE_OPTIONS = /** @type {const} */ ([
  ["all", "All messages"],
  ["mentions", "Only @mentions"],
  ["mute", "Mute"],
]);

/**
 * A transfer target as the transfer dialog's select gives it ("staff:<id>" or "tag:<name>",
 * a tag's name may hold colons), as the transfer endpoint takes it.
 * @param {string} value
 * @returns {{staff: number} | {tag: string}}
 */
export function transferBody(value) {
  const [kind, rest] = String(value).split(/:(.*)/s);
  return kind === "staff" ? { staff: Number(rest) } : { tag: rest };
}

/**
 * @param {{display_name?: string, email: string, availability: string}} s
 * @returns {string}
 */
export function staffOptionLabel(s) {
  return `${s.display_name || s.email} (${s.availability})`;
}

/**
 * @param {{title: string, kind: string}} r a row of the room list
 * @returns {string}
 */
export function roomOptionLabel(r) {
  return `${r.title} (${r.kind})`;
}

/**
 * @param {boolean} owner the viewer owns the enquiry (leaving closes it)
 * @returns {{question: string, done: string}}
 */
export function leaveTexts(owner) {
  return owner
    ? { question: "Leaving closes this enquiry at once. Leave?", done: "Enquiry closed." }
    : { question: "Leave this room?", done: "You left the room." };
}

/**
 * The toast of a failed request, with a friendlier text for an endpoint this server lacks.
 * @param {{status?: number, message: string}} err
 * @param {number[]} missing the statuses meaning "not available"
 * @param {string} missingText
 * @returns {string}
 */
export function errorText(err, missing, missingText) {
  return missing.includes(err.status) ? missingText : err.message;
}
