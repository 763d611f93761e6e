// @ts-check
// DOM helpers of the dashboard over the shared h() (static/js/h.js). Every text from users
// goes in through textContent (h() children that are strings become text nodes): never
// innerHTML with data.

import { h } from "../h.js";
import { gettext, interpolate } from "../i18n.js";
import { formatClock, formatDuration } from "../datetime.js";

export { clear, h } from "../h.js";

export function $(selector, root = document) {
  return root.querySelector(selector);
}

let idCounter = 0;
export function uid(prefix = "cc") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// A labelled form field: returns [wrapper, input].
export function field(label, input, hint) {
  if (!input.id) input.id = uid("f");
  const wrap = h("div", { class: "field" }, h("label", { for: input.id, text: label }), input);
  if (hint) {
    const hintEl = h("small", { class: "hint", id: `${input.id}-hint`, text: hint });
    input.setAttribute("aria-describedby", hintEl.id);
    wrap.append(hintEl);
  }
  return wrap;
}

// Durations and times in the staff member's locale and time zone (datetime.js).
export function duration(seconds) {
  return formatDuration(seconds);
}

export function secondsBetween(from, to) {
  if (!from || !to) return null;
  return (new Date(to).getTime() - new Date(from).getTime()) / 1000;
}

export function clockTime(iso) {
  return formatClock(iso);
}

export function fileSize(bytes) {
  if (!bytes && bytes !== 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// Text badges rather than emoji: they render the same with any font.
export const CHANNEL_ICONS = {
  widget: "Web",
  weblink: "Link",
  messenger: "FB",
  whatsapp: "WA",
  line: "LINE",
  wechat: "WC",
  email: "Mail",
};

export function channelIcon(kind) {
  return h("span", { class: `channel-icon ch-${kind}`, role: "img", "aria-label": interpolate(gettext("channel %(kind)s"), { kind }), title: kind }, CHANNEL_ICONS[kind] || kind);
}

// Toasts stand above the room's composer (never over its Send button), bottom right
// elsewhere: the region's bottom follows the composer's top edge.
const TOAST_GAP = 12;
let toastWatch = null;

export function placeToasts() {
  const region = document.getElementById("toasts");
  if (!region) return;
  const composer = /** @type {HTMLElement | null} */ (document.querySelector(".composer:not([hidden])"));
  const top = composer && composer.isConnected ? composer.getBoundingClientRect().top : null;
  region.style.bottom = top === null ? "" : `${Math.max(TOAST_GAP, window.innerHeight - top + TOAST_GAP)}px`;
  // Follow the composer while toasts show (it grows with its text, or is expanded).
  if (composer && region.children.length && typeof ResizeObserver !== "undefined") {
    if (!toastWatch) {
      toastWatch = new ResizeObserver(() => placeToasts());
      window.addEventListener("resize", placeToasts);
    }
    toastWatch.disconnect();
    toastWatch.observe(composer);
  }
}

// Toasts: a polite live region, each toast gone after a while (or on click).
export function toast(message, kind = "info", ms = 6000) {
  const region = document.getElementById("toasts");
  if (!region) return;
  // One event may reach a socket through two groups (staff.<id> and room.<id>): one toast.
  if ([...region.children].some((t) => t.textContent === message)) return;
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  el.addEventListener("click", () => el.remove());
  region.append(el);
  placeToasts();
  setTimeout(() => el.remove(), ms);
}

// A modal confirmation (native <dialog>: focus trap, Escape cancels). Resolves true/false.
export function confirmDialog(title, text, okLabel = gettext("Confirm")) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "submit", class: "primary", value: "ok", text: okLabel });
    const cancel = h("button", { type: "submit", value: "cancel", text: gettext("Cancel"), formnovalidate: true });
    const titleId = uid("dlg");
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": titleId },
      h("form", { method: "dialog" }, h("h2", { id: titleId, text: title }), h("p", { text }), h("div", { class: "actions" }, cancel, ok)),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}

// A modal form dialog: build(form) adds fields; resolves with FormData or null.
export function formDialog(title, build, okLabel = gettext("Save")) {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const form = h("form", { method: "dialog" }, h("h2", { id: titleId, text: title }));
    build(form);
    const ok = h("button", { type: "submit", class: "primary", value: "ok", text: okLabel });
    const cancel = h("button", { type: "button", text: gettext("Cancel") });
    form.append(h("div", { class: "actions" }, cancel, ok));
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId }, form);
    let result = null;
    form.addEventListener("submit", (e) => {
      if (e.submitter === ok) result = new FormData(form);
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      resolve(result);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    /** @type {HTMLElement | null} */
    const first = form.querySelector("input, select, textarea");
    if (first) first.focus();
  });
}
