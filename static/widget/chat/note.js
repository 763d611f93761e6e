// @ts-check
// Notes: the form (text, contact, pictures and files) and the Note button that opens it at
// any time (the header and the home view) when the channel has it (config.note_button),
// hidden while a conversation goes on.
//
// noteForm({onSent}) posts a note without chatting (POST /api/v1/widget/notes: an enquiry
// missed at once, on the staff's missed list); with enquiryId it is the note of that missed
// conversation (POST /api/v1/widget/enquiries/<id>/note). Both send multipart with the files.

import { h } from "../../js/h.js";
import { gettext, interpolate } from "../../js/i18n.js";
import { api } from "./api.js";
import { identityReady } from "./identity.js";
import { counterText } from "./labels.js";
import { nav } from "./nav.js";
import { noteButtonShown, noteFilesProblem, sizeText } from "./note_rules.js";
import { app, banner, clearBody, config, query, showError } from "./page.js";
import { S, save } from "./state.js";
import { deviceInfo, fieldError, utmParams } from "./visitor.js";
import { browserFacts } from "./start.js";

/** @typedef {import("./types.js").Choice} Choice */

/**
 * @typedef {object} NoteFormOptions
 * @property {(result: any) => void} onSent called with the server's answer: for a note without
 *   chatting {id, status, visitor_token, note}; for a missed conversation's note, its enquiry
 * @property {number} [enquiryId] a missed conversation: the note goes on it
 * @property {Choice} [choice] the team or person the note is for ({}: the channel's destination)
 * @property {string} [title] the heading (default "Leave us a note")
 * @property {string} [intro] the line under it
 */

/**
 * The note form. Its ids (#cc-note, #cc-note-contact, #cc-note-files) are unique: one
 * note form at a time.
 * @param {NoteFormOptions} options
 * @returns {HTMLFormElement}
 */
export function noteForm({ onSent, enquiryId = undefined, choice = {}, title = "", intro = "" }) {
  const limit = config.limits.note_chars;
  const maxFiles = config.limits.note_files || 5;
  const maxBytes = config.limits.upload_bytes;
  const known = S.prefill.email || S.prefill.phone || S.enquiry?.visitor?.email || S.enquiry?.visitor?.phone || "";
  // A note without chatting must say how to reach the visitor (unless the host page told).
  const contactRequired = !enquiryId && !known;
  /** @type {File[]} */
  let files = [];
  /** @type {Map<File, string>} a picture's preview (blob: URL), released when it goes */
  const previews = new Map();
  /** @param {File} file */
  const preview = (file) => {
    if (!file.type.startsWith("image/")) return null;
    if (!previews.has(file)) previews.set(file, URL.createObjectURL(file));
    return h("img", { class: "cc-note-thumb", src: previews.get(file), alt: "", width: 32, height: 32 });
  };
  const counter = h("span", { class: "cc-counter", "aria-live": "polite", text: counterText(0, limit) });
  const text = h("textarea", { id: "cc-note", name: "text", rows: 4, required: true, maxlength: limit });
  const contact = h("input", {
    id: "cc-note-contact",
    name: "contact",
    maxlength: 255,
    autocomplete: "email",
    required: contactRequired,
    value: known,
  });
  const picker = h("input", {
    id: "cc-note-files",
    type: "file",
    multiple: true,
    class: "cc-note-picker",
    accept: "image/*,video/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp,.txt,.csv",
  });
  const list = h("ul", { class: "cc-note-files", "aria-label": gettext("Files to send") });
  const drawFiles = () => {
    list.replaceChildren(
      ...files.map((file, i) =>
        h(
          "li",
          { class: "cc-note-file" },
          preview(file),
          h("span", { class: "cc-note-file-name", text: file.name }),
          h("span", { class: "cc-note-file-size", text: sizeText(file.size) }),
          h(
            "button",
            {
              type: "button",
              class: "cc-link",
              "aria-label": interpolate(gettext("Remove %(name)s"), { name: file.name }),
              onclick: () => {
                files = files.filter((_f, j) => j !== i);
                const url = previews.get(file);
                if (url) URL.revokeObjectURL(url);
                previews.delete(file);
                drawFiles();
              },
            },
            "✕",
          ),
        ),
      ),
    );
    list.hidden = !files.length;
  };
  picker.addEventListener("change", () => {
    const chosen = [...(picker.files || [])];
    picker.value = "";
    const problem = noteFilesProblem([...files, ...chosen], { maxFiles, maxBytes });
    showError(form, "files", problem || "");
    if (problem) return;
    files = [...files, ...chosen];
    drawFiles();
  });
  const submit = h("button", { type: "submit", class: "cc-btn" }, gettext("Send note"));
  const form = h(
    "form",
    { class: "cc-note", "aria-labelledby": "cc-note-title", novalidate: true },
    h("h3", { id: "cc-note-title", text: title || gettext("Leave us a note") }),
    h("p", { text: intro || gettext("Tell us what you need and how to reach you; we will follow up.") }),
    h("label", { for: "cc-note" }, gettext("Your note")),
    text,
    counter,
    h("p", { class: "cc-error", hidden: true, "data-error": "text" }),
    h("label", { for: "cc-note-contact" }, contactRequired ? gettext("Email or phone") : gettext("Email or phone (optional)")),
    contact,
    h("p", { class: "cc-error", hidden: true, "data-error": "contact" }),
    h(
      "div",
      { class: "cc-note-attach" },
      h("label", { for: "cc-note-files", class: "cc-btn cc-secondary cc-note-add" }, gettext("Add pictures or files")),
      picker,
    ),
    list,
    h("p", { class: "cc-error", hidden: true, "data-error": "files" }),
    h("p", { class: "cc-error", hidden: true, "data-error": "note" }),
    submit,
  );
  list.hidden = true;
  text.addEventListener("input", () => (counter.textContent = counterText(text.value.length, limit)));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const name of ["text", "contact", "files", "note"]) showError(form, name, "");
    const value = text.value.trim();
    if (!value) return showError(form, "text", gettext("Write a note first."));
    if (value.length > limit) {
      return showError(form, "text", interpolate(gettext("A note is limited to %(n)s characters."), { n: limit.toLocaleString() }));
    }
    const reach = contact.value.trim();
    if (contactRequired && !reach) {
      return showError(form, "contact", gettext("Tell us how to reach you: an email address or a phone number."));
    }
    const body = new FormData();
    body.append("text", value);
    body.append("contact", reach);
    for (const file of files) body.append("files", file, file.name);
    if (!enquiryId) {
      body.append("channel_key", config.key);
      body.append("visitor", JSON.stringify(S.prefill));
      body.append("device", JSON.stringify(deviceInfo(browserFacts())));
      body.append("utm", JSON.stringify(utmParams(query)));
      if (choice.tag) body.append("tag", choice.tag);
      if (choice.staff) body.append("staff", String(choice.staff));
    }
    submit.disabled = true;
    try {
      if (!enquiryId) await identityReady(); // the host page's setVisitor: a note of the verified visitor
      const path = enquiryId ? `/api/v1/widget/enquiries/${enquiryId}/note` : "/api/v1/widget/notes";
      const result = await api(path, { method: "POST", form: body });
      if (!enquiryId && result.visitor_token) {
        // The same visitor next time (a conversation, another note); no conversation to keep.
        S.token = result.visitor_token;
        save();
      }
      previews.forEach((url) => URL.revokeObjectURL(url));
      onSent(result);
    } catch (error) {
      submit.disabled = false;
      let placed = false;
      for (const name of ["text", "contact", "files"]) {
        const message = fieldError(error, name);
        if (message) placed = showError(form, name, message) || placed;
      }
      if (!placed) showError(form, "note", error.message);
    }
  });
  return form;
}

/**
 * The note view: the form in the body, "‹ Back" to home; once sent, the thanks.
 * @param {Choice} [choice]
 */
export function renderNote(choice = {}) {
  const body = clearBody();
  banner("");
  const back = h("button", { type: "button", class: "cc-link cc-back", onclick: () => nav.home() }, gettext("‹ Back"));
  const form = noteForm({
    choice,
    onSent: () => {
      body.replaceChildren(
        h(
          "section",
          { class: "cc-note-sent", role: "status" },
          h("p", { class: "cc-thanks", text: gettext("Thank you. We received your note and will get back to you.") }),
          h("button", { type: "button", class: "cc-btn cc-secondary", onclick: () => nav.home() }, gettext("Back")),
        ),
      );
    },
  });
  body.append(back, form);
  updateNoteButton();
  if (S.visible) /** @type {HTMLElement} */ (form.querySelector("#cc-note")).focus();
}

/**
 * The home view's entry to the note (null when the channel has no Note button).
 * @returns {HTMLElement | null}
 */
export function noteEntry() {
  updateNoteButton();
  if (!config.note_button) return null;
  return h(
    "button",
    { type: "button", class: "cc-btn cc-secondary cc-note-entry", "data-action": "note", onclick: () => renderNote() },
    gettext("Leave a note instead"),
  );
}

/** Puts the Note button in the header (once), before the close button. */
export function installNoteButton() {
  const header = app.querySelector(".cc-header");
  if (!header || header.querySelector('[data-action="note-header"]')) return;
  const button = h(
    "button",
    {
      type: "button",
      class: "cc-icon-btn cc-note-btn",
      "data-action": "note-header",
      "aria-label": gettext("Leave a note"),
      title: gettext("Leave a note"),
      hidden: true,
      onclick: () => {
        // From an ended conversation on screen: leave it first, as "Start a new conversation" does.
        if (S.enquiryId) nav.restart();
        renderNote();
      },
    },
    "✉",
  );
  header.insertBefore(button, header.querySelector('[data-action="close"]'));
  updateNoteButton();
}

/** Shows the header's Note button unless a conversation goes on (or the channel has none). */
export function updateNoteButton() {
  const button = /** @type {HTMLElement | null} */ (app.querySelector('[data-action="note-header"]'));
  if (!button) return;
  const onScreen = S.enquiryId ? S.enquiry : null;
  button.hidden = !noteButtonShown(Boolean(config.note_button), onScreen);
}
