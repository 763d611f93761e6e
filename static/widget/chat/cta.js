// @ts-check
// Call-to-action buttons (ContactCenter.openTag / openStaff on the host page, the loader's
// data-tag / data-staff, a web link's ?tag=): a conversation with that team or person.
// With none going on (none at all, or it ended: missed, resolved, closed) the start form
// opens for it; with one going on (waiting or chatting, maybe in another tab) a card asks
// whether to continue it or start a new one, which then ends it (the start request names
// it in "replaces": the server ends it and opens the new one together).

import { h } from "../../js/h.js";
import { gettext } from "../../js/i18n.js";
import { api } from "./api.js";
import { leaveConversation, pauseConversation } from "./conversation.js";
import { nav } from "./nav.js";
import { ref } from "./page.js";
import { ctaAction, startNewLabel } from "./returning.js";
import { S } from "./state.js";

/** @typedef {import("./types.js").Choice} Choice */
/** @typedef {import("./types.js").Enquiry} Enquiry */

/**
 * The conversation this browser remembers, as the server has it now (null: none, or its
 * token no longer reads it).
 * @returns {Promise<Enquiry | null>}
 */
async function currentEnquiry() {
  if (!S.enquiryId) return null;
  try {
    return await api(`/api/v1/widget/enquiries/${S.enquiryId}`);
  } catch (error) {
    if (error.status === 401 || error.status === 403 || error.status === 404) return null;
    return S.enquiry; // the network: decide on what is known
  }
}

/**
 * A call-to-action for ``choice``.
 * @param {Choice} choice
 */
export async function openChoice(choice) {
  const enquiry = await currentEnquiry();
  if (ctaAction(enquiry) === "start") {
    if (S.enquiryId) leaveConversation();
    nav.start(choice);
    return;
  }
  if (!ref("messages") || S.enquiryId !== (S.enquiry && S.enquiry.id)) await nav.open();
  showChoiceCard(choice);
}

/**
 * The card over the conversation going on: continue it, or start a new one with ``choice``.
 * @param {Choice} choice
 */
export function showChoiceCard(choice) {
  ref("cta-card")?.remove();
  const composerForm = ref("composer");
  if (!composerForm) return;
  const card = h(
    "section",
    { class: "cc-cta-card", "data-ref": "cta-card", role: "group", "aria-labelledby": "cc-cta-title" },
    h("p", { id: "cc-cta-title", class: "cc-cta-title", text: gettext("You have a conversation going on.") }),
    h(
      "button",
      {
        type: "button",
        class: "cc-btn",
        "data-action": "continue",
        onclick: () => {
          card.remove();
          const input = ref("input");
          if (input) input.focus();
        },
      },
      gettext("Continue your conversation"),
    ),
    h(
      "button",
      {
        type: "button",
        class: "cc-btn cc-secondary",
        "data-action": "start-new",
        onclick: () => {
          const replaces = S.enquiryId || undefined;
          pauseConversation();
          nav.start({ ...choice, replaces });
        },
      },
      startNewLabel(choice),
    ),
    h("p", { class: "cc-cta-hint", text: gettext("Starting a new one ends the conversation going on.") }),
  );
  card.addEventListener("keydown", (e) => {
    if (e.key === "Escape") /** @type {HTMLElement} */ (card.querySelector('[data-action="continue"]')).click();
  });
  composerForm.before(card);
  card.scrollIntoView({ block: "nearest" });
  /** @type {HTMLElement} */ (card.querySelector("button")).focus();
}
