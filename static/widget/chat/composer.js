// @ts-check
// The composer: text (Enter sends, Shift+Enter a new line), the emoji picker, attachments.
// A message shows at once as pending; it goes over the socket when it is open, with a REST
// retry after 6 s without an answer (idempotent on client_id), else over REST at once.

import { gettext, interpolate } from "../../js/i18n.js";
import { h } from "../../js/h.js";
import { api } from "./api.js";
import { EMOJI, fileTooLargeText, tooLongText, uploadFailureText } from "./labels.js";
import { addBubble, addMessage } from "./messages.js";
import { unlockAudio } from "./notify.js";
import { banner, config, ref } from "./page.js";
import { S } from "./state.js";
import { voiceControls } from "./voice.js";

const SVG = "http://www.w3.org/2000/svg";

/** @returns {string} a client_id */
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** @returns {HTMLFormElement} the composer form (data-ref="composer") */
export function composer() {
  const input = h("textarea", {
    id: "cc-input",
    rows: 1,
    placeholder: gettext("Write a message…"),
    "aria-label": gettext("Message"),
    "data-ref": "input",
  });
  const fileInput = h("input", { type: "file", hidden: true, "data-ref": "file" });
  const picker = h(
    "div",
    { class: "cc-emoji-picker", role: "listbox", "aria-label": gettext("Emoji"), "data-ref": "emoji", hidden: true },
    EMOJI.map((e) =>
      h("button", { type: "button", class: "cc-emoji", role: "option", "aria-label": e, onclick: () => insertEmoji(e) }, e),
    ),
  );
  const voice = voiceControls({ upload: uploadFile, error: composerError });
  const form = h(
    "form",
    { class: "cc-composer", "data-ref": "composer" },
    picker,
    voice.bar,
    h("p", { class: "cc-error cc-composer-error", "data-ref": "composer-error", hidden: true }),
    h(
      "div",
      { class: "cc-composer-row" },
      h(
        "button",
        {
          type: "button",
          class: "cc-icon-btn",
          "aria-label": gettext("Insert emoji"),
          "aria-expanded": "false",
          "data-ref": "emoji-toggle",
          onclick: toggleEmoji,
        },
        "☺",
      ),
      attachButton(() => fileInput.click()),
      voice.button,
      input,
      fileInput,
      h("button", { type: "submit", class: "cc-send", "aria-label": gettext("Send") }, gettext("Send")),
    ),
  );
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
    sendTyping();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  fileInput.addEventListener("change", () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (file) uploadFile(file);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    unlockAudio();
    const text = input.value.trim();
    if (!text) return;
    if (text.length > config.limits.message_chars) {
      composerError(tooLongText(text.length, config.limits.message_chars));
      return;
    }
    composerError("");
    input.value = "";
    input.style.height = "auto";
    sendText(text);
  });
  return form;
}

/**
 * The paperclip button.
 * @param {() => void} onclick
 */
function attachButton(onclick) {
  const button = h("button", { type: "button", class: "cc-icon-btn", "aria-label": gettext("Attach a file or image"), onclick });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("cc-icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute(
    "d",
    "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z",
  );
  svg.append(path);
  button.append(svg);
  return button;
}

/**
 * The composer's error line (the banner when the composer is not on screen); "" hides it.
 * @param {string} text
 */
export function composerError(text) {
  const node = ref("composer-error");
  if (!node) return banner(text);
  node.textContent = text;
  node.hidden = !text;
}

function toggleEmoji() {
  const picker = ref("emoji");
  picker.hidden = !picker.hidden;
  ref("emoji-toggle").setAttribute("aria-expanded", String(!picker.hidden));
  if (!picker.hidden) picker.querySelector("button").focus();
}

/**
 * Puts an emoji at the caret (replacing the selection) and closes the picker.
 * @param {string} emoji
 */
function insertEmoji(emoji) {
  const input = /** @type {HTMLTextAreaElement} */ (ref("input"));
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? input.value.length;
  input.value = input.value.slice(0, start) + emoji + input.value.slice(end);
  input.focus();
  input.selectionStart = input.selectionEnd = start + emoji.length;
  ref("emoji").hidden = true;
  ref("emoji-toggle").setAttribute("aria-expanded", "false");
}

/** At most one typing event a second, and only over an open socket. */
function sendTyping() {
  const now = Date.now();
  if (now - S.lastTypingSent < 1000 || !S.socket || S.socketState !== "open") return;
  S.lastTypingSent = now;
  S.socket.send({ type: "typing", room: S.room });
}

/**
 * @param {string} text
 */
function sendText(text) {
  const clientId = uuid();
  const li = addBubble({ mine: true, text, pending: true });
  li.dataset.clientId = clientId;
  /** @type {import("./state.js").Pending} */
  const entry = { el: li, text, timer: null };
  S.pending.set(clientId, entry);
  if (S.socket && S.socketState === "open") {
    S.socket.post(S.room, text, { client_id: clientId });
    // No answer in time (a drop mid-send): the REST retry is idempotent on client_id.
    entry.timer = setTimeout(() => restPost(clientId), 6000);
  } else {
    restPost(clientId);
  }
}

/**
 * @param {string} clientId
 */
async function restPost(clientId) {
  const entry = S.pending.get(clientId);
  if (!entry) return;
  try {
    const message = await api(`/api/v1/rooms/${S.room}/messages`, {
      method: "POST",
      body: { text: entry.text, client_id: clientId },
    });
    addMessage(message, { live: false });
  } catch (error) {
    failPending(clientId, error.message);
  }
}

/**
 * Marks a pending message as not sent, with the reason.
 * @param {string} clientId
 * @param {string} detail
 */
export function failPending(clientId, detail) {
  const entry = S.pending.get(clientId);
  if (!entry) return;
  clearTimeout(entry.timer);
  S.pending.delete(clientId);
  entry.el.classList.add("cc-failed");
  entry.el.classList.remove("cc-pending");
  entry.el.append(h("span", { class: "cc-failed-note", role: "alert", text: interpolate(gettext("Not sent: %(reason)s"), { reason: detail }) }));
}

/**
 * @param {File} file
 */
async function uploadFile(file) {
  if (file.size > config.limits.upload_bytes) {
    composerError(fileTooLargeText(config.limits.upload_bytes));
    return;
  }
  composerError("");
  const clientId = uuid();
  const li = addBubble({ mine: true, text: interpolate(gettext("Uploading %(name)s…"), { name: file.name }), pending: true });
  S.pending.set(clientId, { el: li, text: file.name, timer: null });
  const form = new FormData();
  form.append("file", file);
  form.append("client_id", clientId);
  try {
    const message = await api(`/api/v1/rooms/${S.room}/files`, { method: "POST", form });
    addMessage(message, { live: false });
  } catch (error) {
    failPending(clientId, uploadFailureText(error));
  }
}
