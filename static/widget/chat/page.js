// @ts-check
// The page the chat runs in, read once at start: the server's configuration (#cc-config), the
// app's root (#cc-app, from templates/widget/_app.html), the mode ("frame" inside the
// loader's iframe, "page" on a web link's Engage Now page), the query string and the host
// page's origin. And the small DOM helpers the views share.

import { h } from "../../js/h.js";
import { initials, availabilityLabel } from "./labels.js";
import { safeOrigin } from "./visitor.js";

/** @typedef {import("./types.js").Person} Person */

/** @type {import("./types.js").WidgetConfig} */
export const config = JSON.parse(document.getElementById("cc-config").textContent);
export const app = document.getElementById("cc-app");
/** "frame" or "page" */
export const mode = app.dataset.mode;
export const query = new URLSearchParams(location.search);
/** The host page's origin (from the loader's ?parent=), the only one postMessage talks to. */
export const parentOrigin = mode === "frame" ? safeOrigin(query.get("parent")) : null;

/**
 * The element of the app with data-ref="name" (null when that view is not on screen).
 * @param {string} name
 * @returns {HTMLElement | null}
 */
export function ref(name) {
  return app.querySelector(`[data-ref="${name}"]`);
}

/**
 * The banner under the header; an empty text hides it.
 * @param {string} text
 * @param {string} [kind]
 */
export function banner(text, kind = "error") {
  const node = ref("banner");
  node.textContent = text || "";
  node.dataset.kind = kind;
  node.hidden = !text;
}

/** Empties the body for the next view. */
export function clearBody() {
  const body = ref("body");
  body.replaceChildren();
  return body;
}

/**
 * Shows (or with "" hides) a form's error under the field `name`; false when the form has no
 * such error line.
 * @param {HTMLFormElement} form
 * @param {string} name
 * @param {string} message
 * @returns {boolean}
 */
export function showError(form, name, message) {
  const node = /** @type {HTMLElement | null} */ (form.querySelector(`[data-error="${name}"]`));
  if (!node) return false;
  node.textContent = message;
  node.hidden = !message;
  // The error line is the field's description: read out with the field, and the field is
  // marked invalid (the field of the error is data-error-for, else the one named `name`).
  if (!node.id) node.id = `cc-error-${form.className.split(" ")[0] || "form"}-${name}`;
  const fieldName = node.dataset.errorFor || name;
  const input = form.querySelector(`[name="${fieldName}"]`);
  if (input) {
    input.setAttribute("aria-invalid", message ? "true" : "false");
    const others = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== node.id);
    if (message) others.push(node.id);
    if (others.length) input.setAttribute("aria-describedby", others.join(" "));
    else input.removeAttribute("aria-describedby");
  }
  return true;
}

/**
 * Moves the focus to the form's first field marked invalid (after showError); false when none.
 * @param {HTMLFormElement} form
 * @returns {boolean}
 */
export function focusFirstInvalid(form) {
  const first = /** @type {HTMLElement | null} */ (form.querySelector('[aria-invalid="true"]'));
  if (first) first.focus();
  return !!first;
}

/**
 * A staff member's picture (http(s) only), or their initials.
 * @param {Person | null | undefined} person
 * @param {number} [size]
 * @returns {HTMLElement}
 */
export function avatar(person, size = 36) {
  if (person && person.avatar_url && /^https?:\/\//.test(person.avatar_url)) {
    return h("img", { class: "cc-avatar", src: person.avatar_url, alt: "", width: size, height: size });
  }
  return h("span", { class: "cc-avatar cc-avatar-initials", "aria-hidden": "true", text: initials(person?.display_name) });
}

/**
 * A staff member's availability: a coloured dot and its word.
 * @param {Person} person
 * @param {string} className "cc-choice-status" (directory) or "cc-agent-status" (the agent on top)
 * @returns {HTMLElement}
 */
export function availability(person, className) {
  return h(
    "span",
    { class: `${className} cc-status-${person.availability}` },
    h("span", { class: `cc-dot cc-${person.availability}`, "aria-hidden": "true" }),
    availabilityLabel(person.availability),
  );
}
