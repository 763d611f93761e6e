// @ts-check
// The composer: text (Enter sends, Shift+Enter a new line), the emoji picker (arrow keys move,
// Enter inserts at the caret, Escape or a click outside closes), attachments (the file button
// sends at once; a pasted screenshot or files dropped onto the chat wait in a preview above
// the text, each with a Remove button, until Send), voice messages (voice.js).
// A message shows at once as pending; it goes over the socket when it is open, with a REST
// retry after 6 s without an answer (idempotent on client_id), else over REST at once.

import { h } from "../../js/h.js";
import { gettext, interpolate, ngettext } from "../../js/i18n.js";
import { api } from "./api.js";
import { EMOJI_COLUMNS, carriesFiles, checkAttachments, emojiTarget, isPreviewableImage, pastedFileName, pastedFiles, sizeText, transferFiles } from "./compose_rules.js";
import { EMOJI, tooLongText, uploadFailureText } from "./labels.js";
import { addBubble, addMessage } from "./messages.js";
import { unlockAudio } from "./notify.js";
import { app, banner, config, ref } from "./page.js";
import { S } from "./state.js";
import { voiceControls } from "./voice.js";

const SVG = "http://www.w3.org/2000/svg";

/** @typedef {{file: File, url: string}} Staged a file waiting in the preview (url: its thumbnail) */

/** The files waiting in the composer's preview, in order. */
/** @type {Staged[]} */
let staged = [];

/** @returns {string} a client_id */
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** @returns {HTMLFormElement} the composer form (data-ref="composer") */
export function composer() {
  clearStaged();
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
    { class: "cc-emoji-picker", role: "group", "aria-label": gettext("Emoji"), "data-ref": "emoji", hidden: true },
    EMOJI.map((e, i) =>
      h("button", { type: "button", class: "cc-emoji", "aria-label": e, tabindex: i === 0 ? 0 : -1, onclick: () => insertEmoji(e) }, e),
    ),
  );
  picker.addEventListener("keydown", onPickerKey);
  // Tabbing out of the open picker closes it (a click elsewhere: installOutsideClose).
  picker.addEventListener("focusout", (e) => {
    const to = /** @type {Node | null} */ (e.relatedTarget);
    if (to && !picker.contains(to) && to !== ref("emoji-toggle")) closeEmoji(false);
  });
  const voice = voiceControls({ upload: uploadFile, error: composerError });
  const form = h(
    "form",
    { class: "cc-composer", "data-ref": "composer" },
    picker,
    voice.bar,
    h("p", { class: "cc-error cc-composer-error", "data-ref": "composer-error", role: "alert", hidden: true }),
    h("ul", { class: "cc-attachments", "data-ref": "attachments", "aria-label": gettext("Files to send"), hidden: true }),
    h("p", { class: "cc-visually-hidden", "data-ref": "attachments-status", role: "status" }),
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
          "aria-haspopup": "true",
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
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  // A pasted screenshot (or copied files) waits in the preview; pasted text goes in as usual.
  form.addEventListener("paste", (e) => {
    const files = pastedFiles(e.clipboardData);
    if (!files.length) return;
    e.preventDefault();
    const now = new Date();
    stage(
      files.map((f) => {
        const name = pastedFileName(f.name, f.type, now);
        return name === f.name ? f : new File([f], name, { type: f.type });
      }),
    );
  });
  fileInput.addEventListener("change", () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    composerError("");
    if (file) uploadFile(file);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    unlockAudio();
    const text = input.value.trim();
    if (!text && !staged.length) return;
    if (text.length > config.limits.message_chars) {
      composerError(tooLongText(text.length, config.limits.message_chars));
      return;
    }
    composerError("");
    input.value = "";
    input.style.height = "auto";
    if (text) sendText(text);
    const files = staged.map((s) => s.file);
    clearStaged();
    sendFiles(files);
  });
  installDropZone();
  installOutsideClose();
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

/** Whether the composer is on screen and takes messages (not a missed or closed chat). */
function composerOpen() {
  const form = ref("composer");
  return !!form && !form.hidden && !!S.room;
}

// ---- Attachments waiting in the preview ----

/**
 * Adds files to the preview, after the checks every upload gets; says why others were left out.
 * @param {File[]} files
 */
function stage(files) {
  const { accepted, error } = checkAttachments(staged.length, files, { uploadBytes: config.limits.upload_bytes });
  composerError(error);
  for (const file of accepted) staged.push({ file, url: isPreviewableImage(file) ? URL.createObjectURL(file) : "" });
  renderStaged();
}

/**
 * @param {number} index
 */
function unstage(index) {
  const [gone] = staged.splice(index, 1);
  if (gone && gone.url) URL.revokeObjectURL(gone.url);
  composerError(""); // what was said about the files is outdated
  renderStaged();
  const input = ref("input");
  if (input) input.focus();
}

function clearStaged() {
  for (const s of staged) if (s.url) URL.revokeObjectURL(s.url);
  staged = [];
  renderStaged();
}

function renderStaged() {
  const list = ref("attachments");
  if (!list) return;
  list.hidden = !staged.length;
  // Said to screen readers: the preview itself is not a live region.
  ref("attachments-status").textContent = staged.length
    ? interpolate(ngettext("%(n)s file ready to send", "%(n)s files ready to send", staged.length), { n: staged.length })
    : "";
  list.replaceChildren(
    ...staged.map(({ file, url }, index) =>
      h(
        "li",
        { class: "cc-attachment" },
        url
          ? h("img", { class: "cc-attachment-thumb", src: url, alt: "", width: 48, height: 48 })
          : h("span", { class: "cc-attachment-thumb cc-attachment-icon", "aria-hidden": "true", text: "📄" }),
        h("span", { class: "cc-attachment-name", text: file.name }),
        h("span", { class: "cc-attachment-size", text: sizeText(file.size) }),
        h("button", {
          type: "button",
          class: "cc-icon-btn cc-attachment-remove",
          "aria-label": interpolate(gettext("Remove %(name)s"), { name: file.name }),
          text: "×",
          onclick: () => unstage(index),
        }),
      ),
    ),
  );
}

// ---- Dropping files onto the chat ----

let dropInstalled = false;

/** Files dragged over the chat show a drop zone; dropped, they wait in the preview. Once per page. */
function installDropZone() {
  if (dropInstalled) return;
  dropInstalled = true;
  const zone = h("div", { class: "cc-dropzone", "data-ref": "dropzone", hidden: true }, h("p", { class: "cc-dropzone-text", text: gettext("Drop files here to send them") }));
  app.append(zone);
  let depth = 0; // dragenter/dragleave pairs of the children crossed
  const hide = () => {
    depth = 0;
    zone.hidden = true;
  };
  document.addEventListener("dragenter", (e) => {
    if (!carriesFiles(e.dataTransfer)) return;
    e.preventDefault();
    depth += 1;
    zone.hidden = !composerOpen();
  });
  document.addEventListener("dragover", (e) => {
    if (!carriesFiles(e.dataTransfer)) return;
    // Always taken, so that a file dropped elsewhere is not opened in place of the chat.
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = composerOpen() ? "copy" : "none";
  });
  document.addEventListener("dragleave", (e) => {
    if (!carriesFiles(e.dataTransfer)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) hide();
  });
  document.addEventListener("dragend", hide);
  document.addEventListener("drop", (e) => {
    if (!carriesFiles(e.dataTransfer) && !transferFiles(e.dataTransfer).length) return;
    e.preventDefault();
    hide();
    if (!composerOpen()) return;
    const files = transferFiles(e.dataTransfer);
    if (files.length) stage(files);
    const input = ref("input");
    if (input) input.focus();
  });
}

// ---- The emoji picker ----

let outsideInstalled = false;

/** A click (or touch) outside the open picker and its button closes it. Once per page. */
function installOutsideClose() {
  if (outsideInstalled) return;
  outsideInstalled = true;
  document.addEventListener("pointerdown", (e) => {
    const picker = ref("emoji");
    if (!picker || picker.hidden) return;
    const target = /** @type {Node} */ (e.target);
    if (picker.contains(target) || ref("emoji-toggle").contains(target)) return;
    closeEmoji(false);
  });
}

function toggleEmoji() {
  const picker = ref("emoji");
  if (!picker.hidden) return closeEmoji(true);
  picker.hidden = false;
  ref("emoji-toggle").setAttribute("aria-expanded", "true");
  const current = /** @type {HTMLElement | null} */ (picker.querySelector('[tabindex="0"]')) || picker.querySelector("button");
  current.focus();
}

/**
 * @param {boolean} focusButton put the focus back on the emoji button (Escape, the button)
 */
function closeEmoji(focusButton) {
  const picker = ref("emoji");
  if (!picker || picker.hidden) return;
  picker.hidden = true;
  const toggle = ref("emoji-toggle");
  toggle.setAttribute("aria-expanded", "false");
  if (focusButton) toggle.focus();
}

/**
 * Arrow keys, Home and End move between the emoji (one tab stop: the focused one); Escape
 * closes; Enter and Space press the focused emoji's button (inserting it).
 * @param {KeyboardEvent} e
 */
function onPickerKey(e) {
  if (e.key === "Escape") {
    e.preventDefault();
    e.stopPropagation();
    closeEmoji(true);
    return;
  }
  const buttons = /** @type {HTMLButtonElement[]} */ (Array.from(ref("emoji").querySelectorAll("button")));
  const index = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
  const next = emojiTarget(Math.max(0, index), e.key, buttons.length, EMOJI_COLUMNS);
  if (next === null) return;
  e.preventDefault();
  buttons.forEach((b, i) => b.setAttribute("tabindex", i === next ? "0" : "-1"));
  buttons[next].focus();
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
  closeEmoji(false);
  input.focus();
  input.selectionStart = input.selectionEnd = start + emoji.length;
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
  S.lastIncomingAt = 0; // the visitor answered: the agent's next message starts a new burst
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
  // A file's bubble said "Uploading <name>…": now just its name (a text's is unchanged).
  const text = entry.el.querySelector(".cc-text");
  if (text) text.textContent = entry.text;
  entry.el.classList.add("cc-failed");
  entry.el.classList.remove("cc-pending");
  entry.el.append(h("span", { class: "cc-failed-note", role: "alert", text: interpolate(gettext("Not sent: %(reason)s"), { reason: detail }) }));
}

/**
 * Sends files one after the other (so they arrive in order), each as its own message; every
 * one shows as pending at once.
 * @param {File[]} files already checked (checkAttachments)
 */
async function sendFiles(files) {
  const queued = files.map((file) => ({ file, clientId: pendingUpload(file) }));
  for (const { file, clientId } of queued) await postFile(file, clientId);
}

/**
 * Sends one file (the file button's or a recording), after the checks.
 * @param {File} file
 */
async function uploadFile(file) {
  const { accepted, error } = checkAttachments(0, [file], { uploadBytes: config.limits.upload_bytes });
  if (!accepted.length) {
    composerError(error);
    return;
  }
  await postFile(file, pendingUpload(file));
}

/**
 * The pending bubble of a file about to be sent.
 * @param {File} file
 * @returns {string} its client_id
 */
function pendingUpload(file) {
  S.lastIncomingAt = 0; // the visitor answered: the agent's next message starts a new burst
  const clientId = uuid();
  const li = addBubble({ mine: true, text: interpolate(gettext("Uploading %(name)s…"), { name: file.name }), pending: true });
  S.pending.set(clientId, { el: li, text: file.name, timer: null });
  return clientId;
}

/**
 * @param {File} file
 * @param {string} clientId its pending bubble's
 */
async function postFile(file, clientId) {
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
