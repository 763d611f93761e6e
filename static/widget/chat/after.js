// @ts-check
// Under the messages: once the chat is over, the note form (a missed conversation, with
// files: note.js) or its thanks, "Start a new conversation"; the rating card after resolve,
// after the agent ended the chat, when the agent asks for it, or on the visitor's own
// "Rate this conversation" where the channel allows it (note_rules.ratingShown); its thanks.

import { gettext } from "../../js/i18n.js";
import { h } from "../../js/h.js";
import { api } from "./api.js";
import { afterChat, afterChatKey, starStep } from "./decide.js";
import { starLabel } from "./labels.js";
import { noteForm } from "./note.js";
import { ratingShown } from "./note_rules.js";
import { ref, showError } from "./page.js";
import { S } from "./state.js";

/** @typedef {import("./types.js").Enquiry} Enquiry */

/**
 * @typedef {object} AfterActions
 * @property {(enquiry: Enquiry) => void} onEnquiry shows the enquiry the server answered with
 * @property {() => void} onRestart "Start a new conversation"
 */

/** Enquiries whose visitor chose "Rate this conversation" (the card stays open). */
const ratingAsked = new Set();

/**
 * Draws the area again when what it shows has changed (a half-written note survives other
 * updates of the enquiry). The messages above keep their latest in view as it grows.
 * @param {HTMLElement} after the data-ref="after" element
 * @param {Enquiry} enquiry
 * @param {AfterActions} actions
 */
export function renderAfter(after, enquiry, actions) {
  const rating = ratingShown(enquiry, ratingAsked.has(enquiry.id));
  const key = `${afterChatKey(enquiry)}:${rating}`;
  if (after.dataset.key === key) return;
  after.dataset.key = key;
  keepLatestInView();
  after.replaceChildren();
  const show = afterChat(enquiry);
  if (show.person) after.append(personButton(enquiry, actions));
  if (show.note === "form") {
    after.append(noteForm({ enquiryId: enquiry.id, onSent: actions.onEnquiry }));
  } else if (show.note === "thanks") {
    after.append(h("p", { class: "cc-thanks", text: gettext("Thank you. We received your note and will get back to you.") }));
  }
  if (rating === "form") after.append(ratingForm(actions));
  else if (rating === "thanks") after.append(h("p", { class: "cc-thanks", text: gettext("Thank you for your rating!") }));
  else if (rating === "offer") {
    after.append(
      h(
        "button",
        {
          type: "button",
          class: "cc-link cc-rate-offer",
          onclick: () => {
            ratingAsked.add(enquiry.id);
            renderAfter(after, enquiry, actions);
            const first = /** @type {HTMLElement | null} */ (after.querySelector(".cc-star"));
            if (first) first.focus();
          },
        },
        gettext("☆ Rate this conversation"),
      ),
    );
  }
  if (show.restart) {
    after.append(
      h("button", { type: "button", class: "cc-btn cc-secondary cc-new", onclick: () => actions.onRestart() }, gettext("Start a new conversation")),
    );
  }
}

/**
 * The message list keeps its latest message in view while the area under it grows or
 * shrinks (a rating card must not hide the agent's last words): when the list was scrolled
 * to the bottom, it stays there through a resize. Installed once per list.
 */
function keepLatestInView() {
  const list = ref("messages");
  if (!list || list.dataset.keepLatest || typeof ResizeObserver === "undefined") return;
  list.dataset.keepLatest = "true";
  let atBottom = true;
  list.addEventListener("scroll", () => {
    atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  });
  new ResizeObserver(() => {
    if (atBottom) list.scrollTop = list.scrollHeight;
  }).observe(list);
}

/**
 * The rating card, compact: the question and the stars on one line; the comment and Send
 * open once a star is chosen.
 * @param {AfterActions} actions
 */
function ratingForm({ onEnquiry }) {
  let score = 0;
  const details = h("div", { class: "cc-rating-details", hidden: true });
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
          details.hidden = false;
          showError(form, "rating", "");
        },
      },
      "★",
    ),
  );
  const comment = h("textarea", { id: "cc-rating-comment", name: "comment", rows: 1, maxlength: 2000 });
  details.append(
    h("label", { for: "cc-rating-comment" }, gettext("Comment (optional)")),
    comment,
    h("button", { type: "submit", class: "cc-btn" }, gettext("Send rating")),
  );
  const form = h(
    "form",
    { class: "cc-rating", "aria-labelledby": "cc-rating-title" },
    h(
      "div",
      { class: "cc-rating-head" },
      h("h3", { id: "cc-rating-title", text: gettext("How did we do?") }),
      h(
        "div",
        {
          class: "cc-stars",
          role: "group",
          "aria-label": gettext("Rating"),
          "aria-describedby": "cc-rating-error",
          onkeydown: (/** @type {KeyboardEvent} */ e) => starKey(e, stars),
        },
        stars,
      ),
    ),
    details,
    h("p", { class: "cc-error", id: "cc-rating-error", hidden: true, "data-error": "rating" }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!score) return showError(form, "rating", gettext("Choose 1 to 5 stars.")) && stars[0].focus();
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

/**
 * The arrow keys (and Home, End) on the stars choose the next or previous score.
 * @param {KeyboardEvent} e
 * @param {HTMLElement[]} stars
 */
function starKey(e, stars) {
  const at = stars.indexOf(/** @type {HTMLElement} */ (e.target));
  const next = starStep(e.key, at, stars.length);
  if (at < 0 || next === null) return;
  e.preventDefault();
  stars[next].focus();
  stars[next].click();
}


/**
 * "Talk to a person" while the robot answers: the robot hands over at once.
 * @param {Enquiry} enquiry
 * @param {AfterActions} actions
 * @returns {HTMLElement}
 */
function personButton(enquiry, actions) {
  const button = /** @type {HTMLButtonElement} */ (
    h("button", { type: "button", class: "cc-btn cc-secondary cc-robot-person" }, gettext("Talk to a person"))
  );
  const problem = h("p", { class: "cc-error", role: "alert", hidden: true });
  button.addEventListener("click", async () => {
    button.disabled = true;
    problem.hidden = true;
    try {
      await api(`/api/v1/widget/enquiries/${enquiry.id}/robot/handover`, { method: "POST" });
      actions.onEnquiry(await api(`/api/v1/widget/enquiries/${enquiry.id}`));
    } catch (error) {
      button.disabled = false;
      problem.textContent = error.message || gettext("Sorry, that did not work. Try again.");
      problem.hidden = false;
    }
  });
  return h("div", { class: "cc-robot-person-box" }, button, problem);
}
