// @ts-check
// The texts the visitor reads, built from data. Pure functions (no DOM), unit-tested in
// tests/js/widget_labels.test.js.

import { gettext, interpolate, ngettext } from "../../js/i18n.js";
/** @typedef {import("./types.js").Enquiry} Enquiry */
/** @typedef {import("./types.js").FileInfo} FileInfo */
/** @typedef {import("./types.js").Message} Message */

/** @type {Record<string, string>} */
export const AVAILABILITY = { active: gettext("Available"), busy: gettext("Busy"), away: gettext("Away"), offline: gettext("Offline") };

/** @type {Record<string, string>} the start form's fields, by the name the API uses */
export const FIELD_LABELS = { first_name: gettext("First name"), last_name: gettext("Last name"), email: gettext("Email"), phone: gettext("Phone") };

export const EMOJI = "😀 😂 😊 😍 🤔 😅 😢 😮 😡 👍 👎 👏 🙏 👋 🙌 💪 🎉 ❤️ 💔 🔥 ✅ ❌ ⭐ ☕ 📎 📷 📞 ✉️ 🕒 💡 🚀 🤝".split(" ");

/**
 * @param {string} availability
 * @returns {string}
 */
export function availabilityLabel(availability) {
  return AVAILABILITY[availability] || availability;
}

/**
 * Up to two capitals for an avatar without a picture; "?" without a name.
 * @param {string | null | undefined} name
 * @returns {string}
 */
export function initials(name) {
  return (name || "?")
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0].toUpperCase())
    .join("");
}

/**
 * The input attributes of one start-form field.
 * @param {string} name
 * @returns {{type: string, maxlength: number, autocomplete: string | undefined}}
 */
export function fieldInput(name) {
  return {
    type: { email: "email", phone: "tel" }[name] || "text",
    maxlength: name === "email" ? 254 : name === "phone" ? 40 : 100,
    autocomplete: { first_name: "given-name", last_name: "family-name", email: "email", phone: "tel" }[name],
  };
}

/**
 * @param {number} length
 * @param {number} limit
 * @returns {string}
 */
export function tooLongText(length, limit) {
  return interpolate(gettext("Your message is too long: %(length)s characters, at most %(limit)s."), { length: length.toLocaleString(), limit: limit.toLocaleString() });
}

/**
 * @param {number} uploadBytes the server's CC_MAX_UPLOAD_BYTES
 * @returns {string}
 */
export function fileTooLargeText(uploadBytes) {
  return interpolate(gettext("This file is too large (at most %(size)s MB)."), { size: Math.floor(uploadBytes / 1048576) });
}

/**
 * Why an upload failed: the server's message, or a plain one where files are not accepted.
 * @param {{status?: number, message: string}} error
 * @returns {string}
 */
export function uploadFailureText(error) {
  return error.status === 404 || error.status === 405 ? gettext("files cannot be sent here.") : error.message;
}

/**
 * The download button of a file: its name and size in KB.
 * @param {FileInfo} file
 * @returns {string}
 */
export function fileButtonText(file) {
  return `⬇ ${file.name || gettext("file")}${file.size ? ` (${Math.ceil(file.size / 1024)} KB)` : ""}`;
}

/**
 * @param {{name?: string}} author
 * @returns {string}
 */
export function typingText(author) {
  return interpolate(gettext("%(name)s is typing…"), { name: author.name || gettext("The agent") });
}

/**
 * The status line above the messages.
 * @param {Enquiry} enquiry
 * @returns {string}
 */
export function statusText(enquiry) {
  switch (enquiry.status) {
    case "open":
      if (enquiry.with_robot) return gettext("You are chatting with our virtual assistant. Ask for a person at any time.");
      return enquiry.queue_position
        ? interpolate(gettext("Waiting for an agent. You are number %(position)s in the queue."), { position: enquiry.queue_position })
        : gettext("Waiting for an agent…");
    case "handling":
      return enquiry.owner ? interpolate(gettext("%(name)s joined the conversation."), { name: enquiry.owner.display_name }) : gettext("An agent joined.");
    case "resolved":
      return gettext("This conversation was marked as resolved. Write again if you need more help.");
    case "missed":
      return enquiry.missed_reason === "out_of_hours" ? gettext("We are closed right now.") : gettext("Sorry, nobody could answer in time.");
    case "closed":
      return gettext("This conversation is closed.");
    default:
      return enquiry.status;
  }
}

/**
 * @param {number} n 1 to 5
 * @returns {string}
 */
export function starLabel(n) {
  return interpolate(ngettext("%(n)s star", "%(n)s stars", n), { n });
}

/**
 * @param {number} length
 * @param {number} limit
 * @returns {string}
 */
export function counterText(length, limit) {
  return `${length.toLocaleString()} / ${limit.toLocaleString()}`;
}

/**
 * The title and body of a notification for a message from the agent.
 * @param {Message} message
 * @param {string} companyName who writes when the author has no name
 * @returns {{title: string, body: string}}
 */
export function notificationText(message, companyName) {
  return {
    title: `${message.author.name || companyName}`,
    body: message.kind === "file" ? gettext("Sent a file") : message.text.slice(0, 140),
  };
}

/**
 * The text of a REST error: the server's detail, or a plain sentence.
 * @param {number} status 0 when the server could not be reached
 * @param {any} body
 * @returns {string}
 */
export function errorText(status, body) {
  if (status === 0) return gettext("No connection. Check your network and try again.");
  if (body && body.detail) return body.detail;
  if (status === 429) return gettext("Too many requests. Please wait a moment.");
  return interpolate(gettext("Request failed (%(status)s)."), { status });
}
