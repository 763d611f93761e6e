// @ts-check
// The texts the visitor reads, built from data. Pure functions (no DOM), unit-tested in
// tests/js/widget_labels.test.js.

/** @typedef {import("./types.js").Enquiry} Enquiry */
/** @typedef {import("./types.js").FileInfo} FileInfo */
/** @typedef {import("./types.js").Message} Message */

/** @type {Record<string, string>} */
export const AVAILABILITY = { active: "Available", busy: "Busy", away: "Away", offline: "Offline" };

/** @type {Record<string, string>} the start form's fields, by the name the API uses */
export const FIELD_LABELS = { first_name: "First name", last_name: "Last name", email: "Email", phone: "Phone" };

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
  return `Your message is too long: ${length.toLocaleString()} characters, at most ${limit.toLocaleString()}.`;
}

/**
 * @param {number} uploadBytes the server's CC_MAX_UPLOAD_BYTES
 * @returns {string}
 */
export function fileTooLargeText(uploadBytes) {
  return `This file is too large (at most ${Math.floor(uploadBytes / 1048576)} MB).`;
}

/**
 * Why an upload failed: the server's message, or a plain one where files are not accepted.
 * @param {{status?: number, message: string}} error
 * @returns {string}
 */
export function uploadFailureText(error) {
  return error.status === 404 || error.status === 405 ? "files cannot be sent here." : error.message;
}

/**
 * The download button of a file: its name and size in KB.
 * @param {FileInfo} file
 * @returns {string}
 */
export function fileButtonText(file) {
  return `⬇ ${file.name || "file"}${file.size ? ` (${Math.ceil(file.size / 1024)} KB)` : ""}`;
}

/**
 * @param {{name?: string}} author
 * @returns {string}
 */
export function typingText(author) {
  return `${author.name || "The agent"} is typing…`;
}

/**
 * The status line above the messages.
 * @param {Enquiry} enquiry
 * @returns {string}
 */
export function statusText(enquiry) {
  switch (enquiry.status) {
    case "open":
      return enquiry.queue_position
        ? `Waiting for an agent. You are number ${enquiry.queue_position} in the queue.`
        : "Waiting for an agent…";
    case "handling":
      return enquiry.owner ? `${enquiry.owner.display_name} joined the conversation.` : "An agent joined.";
    case "resolved":
      return "This conversation was marked as resolved. Write again if you need more help.";
    case "missed":
      return enquiry.missed_reason === "out_of_hours" ? "We are closed right now." : "Sorry, nobody could answer in time.";
    case "closed":
      return "This conversation is closed.";
    default:
      return enquiry.status;
  }
}

/**
 * @param {number} n 1 to 5
 * @returns {string}
 */
export function starLabel(n) {
  return `${n} star${n > 1 ? "s" : ""}`;
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
    body: message.kind === "file" ? "Sent a file" : message.text.slice(0, 140),
  };
}

/**
 * The text of a REST error: the server's detail, or a plain sentence.
 * @param {number} status 0 when the server could not be reached
 * @param {any} body
 * @returns {string}
 */
export function errorText(status, body) {
  if (status === 0) return "No connection. Check your network and try again.";
  if (body && body.detail) return body.detail;
  if (status === 429) return "Too many requests. Please wait a moment.";
  return `Request failed (${status}).`;
}
