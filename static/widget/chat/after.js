// @ts-check
// Under the messages once the chat is over: the note form (a missed conversation) or its
// thanks, the rating form (after resolve) or its thanks, "Start a new conversation".

import { gettext, interpolate } from "../../js/i18n.js";
import { h } from "../../js/h.js";
import { api } from "./api.js";
import { afterChat, afterChatKey } from "./decide.js";
import { counterText, starLabel } from "./labels.js";
import { config, showError } from "./page.js";
import { S } from "./state.js";
import { fieldError } from "./visitor.js";

/** @typedef {import("./types.js").Enquiry} Enquiry */

/**
 * @typedef {object} AfterActions
 * @property {(enquiry: Enquiry) => void} onEnquiry shows the enquiry the server answered with
 * @property {() => void} onRestart "Start a new conversation"
 */

/**
 * Draws the area again when what it shows has changed (a half-written note survives other
 * updates of the enquiry).
 * @param {HTMLElement} after the data-ref="after" element
 * @param {Enquiry} enquiry
 * @param {AfterActions} actions
 */
export function renderAfter(after, enquiry, actions) {
  const key = afterChatKey(enquiry);
  if (after.dataset.key === key) return;
  after.dataset.key = key;
  after.replaceChildren();
  const show = afterChat(enquiry);
  if (show.note === "form") after.append(noteForm(actions));
  else if (show.note === "thanks") {
    after.append(h("p", { class: "cc-thanks", text: gettext("Thank you. We received your note and will get back to you.") }));
  }
  if (show.rating === "form") after.append(ratingForm(actions));
  else if (show.rating === "thanks") after.append(h("p", { class: "cc-thanks", text: gettext("Thank you for your rating!") }));
  if (show.restart) {
    after.append(
      h("button", { type: "button", class: "cc-btn cc-secondary cc-new", onclick: () => actions.onRestart() }, gettext("Start a new conversation")),
    );
  }
}

/**
 * @param {AfterActions} actions
 */
function noteForm({ onEnquiry }) {
  const limit = config.limits.note_chars;
  const counter = h("span", { class: "cc-counter", "aria-live": "polite", text: counterText(0, limit) });
  const text = h("textarea", { id: "cc-note", name: "text", rows: 4, required: true, maxlength: limit });
  const contact = h("input", {
    id: "cc-note-contact",
    name: "contact",
    maxlength: 255,
    value: S.prefill.email || S.enquiry?.visitor?.email || S.enquiry?.visitor?.phone || "",
  });
  const form = h(
    "form",
    { class: "cc-note", "aria-labelledby": "cc-note-title" },
    h("h3", { id: "cc-note-title", text: gettext("Leave us a note") }),
    h("p", { text: gettext("Tell us what you need and how to reach you; we will follow up.") }),
    h("label", { for: "cc-note" }, gettext("Your note")),
    text,
    counter,
    h("label", { for: "cc-note-contact" }, gettext("Email or phone")),
    contact,
    h("p", { class: "cc-error", hidden: true, "data-error": "note" }),
    h("button", { type: "submit", class: "cc-btn" }, gettext("Send note")),
  );
  text.addEventListener("input", () => (counter.textContent = counterText(text.value.length, limit)));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) return showError(form, "note", gettext("Write a note first."));
    if (value.length > limit) return showError(form, "note", interpolate(gettext("A note is limited to %(limit)s characters."), { limit: limit.toLocaleString() }));
    try {
      const enquiry = await api(`/api/v1/widget/enquiries/${S.enquiryId}/note`, {
        method: "POST",
        body: { text: value, contact: contact.value.trim() },
      });
      onEnquiry(enquiry);
    } catch (error) {
      showError(form, "note", fieldError(error, "text") || error.message);
    }
  });
  return form;
}

/**
 * @param {AfterActions} actions
 */
function ratingForm({ onEnquiry }) {
  let score = 0;
  const stars = [1, 2, 3, 4, 5].map((n) =>
    h(
      "button",
      {
        type: "button",
        class: "cc-star",
        "aria-label": starLabel(n),
        "aria-pressed": "false",
        "data-score": n,
        onclick: () => {
          score = n;
          stars.forEach((s, i) => {
            s.classList.toggle("cc-on", i < n);
            s.setAttribute("aria-pressed", String(i < n));
          });
        },
      },
      "★",
    ),
  );
  const comment = h("textarea", { id: "cc-rating-comment", name: "comment", rows: 2, maxlength: 2000 });
  const form = h(
    "form",
    { class: "cc-rating", "aria-labelledby": "cc-rating-title" },
    h("h3", { id: "cc-rating-title", text: gettext("How did we do?") }),
    h("div", { class: "cc-stars", role: "group", "aria-label": gettext("Rating") }, stars),
    h("label", { for: "cc-rating-comment" }, gettext("Comment (optional)")),
    comment,
    h("p", { class: "cc-error", hidden: true, "data-error": "rating" }),
    h("button", { type: "submit", class: "cc-btn" }, gettext("Send rating")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!score) return showError(form, "rating", gettext("Choose 1 to 5 stars."));
    try {
      const enquiry = await api(`/api/v1/widget/enquiries/${S.enquiryId}/rating`, {
        method: "POST",
        body: { score, comment: comment.value.trim() },
      });
      onEnquiry(enquiry);
    } catch (error) {
      showError(form, "rating", error.message);
    }
  });
  return form;
}
