// @ts-check
// Out of hours: the note form straight away, on home (home.js draws the directory under
// it, everyone closed). Nothing new on the server: sending it opens an enquiry the usual
// way (POST /api/v1/widget/enquiries, the note as its first message), which is missed at
// once with the reason out_of_hours (enquiries.services.enquiry_open), then leaves the note
// and the contact on it (POST /api/v1/widget/enquiries/<id>/note), and shows that
// conversation with its thanks. Should the hours have started in between, the enquiry is a
// live one and the visitor is simply in the conversation.

import { h } from "../../js/h.js";
import { gettext, interpolate } from "../../js/i18n.js";
import { api } from "./api.js";
import { counterText, FIELD_LABELS, fieldInput } from "./labels.js";
import { nav } from "./nav.js";
import { noteFilesProblem } from "./note_rules.js";
import { banner, config, mode, query, showError } from "./page.js";
import { browserFacts } from "./start.js";
import { S, save } from "./state.js";
import { checkStart, deviceInfo, fieldError, utmParams } from "./visitor.js";

/** @typedef {import("./types.js").Choice} Choice */

/**
 * Appends the out-of-hours note form to `body`.
 * @param {HTMLElement} body
 * @returns {(choice: Choice) => void} sets whom the note is for (a directory choice)
 */
export function leaveNoteView(body) {
  S.choice = {};
  const limit = Math.min(config.limits.note_chars, config.limits.message_chars);
  const target = h("p", { class: "cc-target", hidden: true });
  const counter = h("span", { class: "cc-counter", "aria-live": "polite", text: counterText(0, limit) });
  const text = h("textarea", { id: "cc-closed-note", name: "message", rows: 4, required: true, maxlength: limit });
  // Pictures or files go with the note (checked as chat uploads are, on the server too).
  const picker = h("input", { id: "cc-closed-files", type: "file", multiple: true, class: "cc-note-picker" });
  const form = h(
    "form",
    { class: "cc-note cc-closed-note", novalidate: true, "aria-labelledby": "cc-closed-title" },
    h("h3", { id: "cc-closed-title", text: gettext("Leave us a note") }),
    h("p", { text: gettext("Tell us what you need and how to reach you; we will follow up when we are back.") }),
    target,
    visitorFields(),
    h("label", { for: "cc-closed-note" }, gettext("Your note")),
    text,
    counter,
    h("p", { class: "cc-error", hidden: true, "data-error": "message" }),
    h(
      "div",
      { class: "cc-note-attach" },
      h("label", { for: "cc-closed-files", class: "cc-btn cc-secondary cc-note-add" }, gettext("Add pictures or files")),
      picker,
    ),
    h("p", { class: "cc-error", hidden: true, "data-error": "files" }),
    h("button", { type: "submit", class: "cc-btn" }, gettext("Send note")),
  );
  picker.addEventListener("change", () => {
    const names = [...(picker.files || [])].map((f) => f.name).join(", ");
    showError(form, "files", filesProblem(picker) || "");
    picker.title = names;
  });
  text.addEventListener("input", () => (counter.textContent = counterText(text.value.length, limit)));
  form.addEventListener("input", (e) => {
    // A field being corrected loses its error.
    const name = /** @type {HTMLInputElement} */ (e.target).name;
    if (name) showError(form, name, "");
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    sendNote(form, limit);
  });
  body.append(form);
  if (S.visible) text.focus();
  return (choice) => {
    S.choice = choice;
    const name = choice.tag || choice.staffName || "";
    target.replaceChildren(gettext("For: "), h("strong", { text: name }));
    target.hidden = !name;
    for (const button of body.querySelectorAll(".cc-choice")) {
      const el = /** @type {HTMLElement} */ (button);
      const chosen = choice.tag ? el.dataset.tag === choice.tag : el.dataset.staff === String(choice.staff);
      el.setAttribute("aria-pressed", String(chosen));
    }
    text.focus();
  };
}

/**
 * What is wrong with the chosen files (too many, too large), or "".
 * @param {HTMLInputElement} picker
 * @returns {string}
 */
function filesProblem(picker) {
  const files = [...(picker.files || [])];
  return noteFilesProblem(files, { maxFiles: config.limits.note_files || 5, maxBytes: config.limits.upload_bytes }) || "";
}

/** The channel's visitor fields, or one "Email or phone" when it has no form. */
function visitorFields() {
  if (!config.form.enabled) {
    return h(
      "div",
      { class: "cc-field" },
      h("label", { for: "cc-closed-contact" }, gettext("Email or phone"), h("span", { class: "cc-req", text: " *" })),
      h("input", { id: "cc-closed-contact", name: "contact", maxlength: 255, required: true, value: S.prefill.email || S.prefill.phone || "" }),
      h("p", { class: "cc-error", hidden: true, "data-error": "contact" }),
    );
  }
  const fieldset = h("fieldset", { class: "cc-fields" }, h("legend", { text: gettext("About you") }));
  for (const name of config.form.fields) {
    const required = config.form.required.includes(name) || (name === "email" && !config.form.required.includes("phone"));
    const id = `cc-c-${name}`;
    const input = fieldInput(name);
    fieldset.append(
      h(
        "div",
        { class: "cc-field" },
        h("label", { for: id }, gettext(FIELD_LABELS[name]), required ? h("span", { class: "cc-req", text: " *" }) : gettext(" (optional)")),
        h("input", { id, name, type: input.type, required, maxlength: input.maxlength, autocomplete: input.autocomplete, value: S.prefill[name] || "" }),
        h("p", { class: "cc-error", hidden: true, "data-error": name }),
      ),
    );
  }
  return fieldset;
}

/**
 * @param {HTMLFormElement} form
 * @param {number} limit
 */
async function sendNote(form, limit) {
  form.querySelectorAll("[data-error]").forEach((n) => (/** @type {HTMLElement} */ (n).hidden = true));
  const picker = /** @type {HTMLInputElement} */ (form.querySelector("#cc-closed-files"));
  const files = [...(picker.files || [])];
  const values = Object.fromEntries(new FormData(form).entries());
  const { message, visitor, errors } = checkStart({
    values,
    form: { ...config.form, required: config.form.enabled ? config.form.required : [] },
    messageChars: limit,
    prefill: S.prefill,
  });
  const contact = config.form.enabled ? visitor.email || visitor.phone || "" : String(values.contact || "").trim();
  if (!message) errors.push(["message", gettext("Write your note first.")]);
  if (!contact) errors.push([config.form.enabled ? "email" : "contact", gettext("Tell us how to reach you.")]);
  const problem = filesProblem(picker);
  if (problem) errors.push(["files", problem]);
  let bad = false;
  for (const [name, text] of errors) bad = showError(form, name, text) || bad;
  if (bad) return;
  const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));
  submit.disabled = true;
  banner("");
  try {
    const got = await leaveClosedNote({ text: message, contact, visitor, choice: S.choice, files });
    await nav.open();
    if (got.status !== "missed") banner(gettext("We are open again: your note started a conversation."), "info");
  } catch (error) {
    submit.disabled = false;
    let placed = false;
    for (const name of [...config.form.fields, "message"]) {
      const msg = fieldError(error, name) || (name === "message" ? fieldError(error, "text") : null);
      if (msg) placed = showError(form, name, msg) || placed;
    }
    if (!placed) banner(error.message || interpolate(gettext("Sorry, the note could not be sent (%(status)s)."), { status: error.status }));
  }
}

/**
 * Leaves a note out of hours: opens the enquiry (missed at once) and leaves the note on it.
 * Keeps the conversation in S (so a reload shows it). Resolves with the enquiry as opened.
 * @param {{text: string, contact: string, visitor: Record<string, string>, choice: Choice, files?: File[]}} note
 * @returns {Promise<{id: number, status: string}>}
 */
export async function leaveClosedNote({ text, contact, visitor, choice, files = [] }) {
  /** @type {Record<string, any>} */
  const body = {
    channel_key: config.key,
    message: text,
    visitor,
    device: deviceInfo(browserFacts()),
    utm: utmParams(query),
    entry: mode === "page" ? "weblink" : "widget",
  };
  if (choice.tag) body.tag = choice.tag;
  if (choice.staff) body.staff = choice.staff;
  const got = await api("/api/v1/widget/enquiries", { method: "POST", body });
  S.token = got.visitor_token;
  S.enquiryId = got.id;
  S.room = got.room;
  S.lastId = 0;
  save();
  if (got.status === "missed") {
    try {
      const form = new FormData();
      form.append("text", text);
      form.append("contact", contact);
      for (const file of files) form.append("files", file, file.name);
      await api(`/api/v1/widget/enquiries/${got.id}/note`, { method: "POST", form });
    } catch {
      // The conversation on screen offers the note form again (after.js): nothing is lost.
    }
  }
  return got;
}
