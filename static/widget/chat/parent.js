// @ts-check
// The protocol with the host page's loader (static/widget/loader.js), in frame mode only,
// and only with the origin the loader named (?parent=).
//
// To the loader: cc:hello (the page loaded here: framing is allowed), cc:ready {color,
// position, width, height, title, active}, cc:close {focus} (focus: give the launcher the
// focus), cc:unread {count}, cc:count-label {count, text} (the launcher's words for its
// count), cc:notify {title, body}, cc:drag {dx, dy} and cc:drag-end (the header dragged).
// From the loader: cc:visible {visible, focus} (focus: the visitor opened it, the chat takes
// the focus), cc:layout {phone, draggable}, cc:count-label {count}, cc:visitor {visitor}
// (ContactCenter.setVisitor; with an identifier: verified, identity.js), cc:logout
// (ContactCenter.logout), cc:open-tag {tag}, cc:open-staff {staff}. To the loader also
// cc:warn {text}: a message for the host page's console (a refused identifier).

import { h } from "../../js/h.js";
import { gettext, ngettext, interpolate } from "../../js/i18n.js";
import { fromHostPage, prefillFields } from "./decide.js";
import { identify, logout } from "./identity.js";
import { nav } from "./nav.js";
import { app, config, mode, parentOrigin, ref } from "./page.js";
import { S } from "./state.js";

/**
 * @param {{type: string, [key: string]: any}} message
 */
export function toParent(message) {
  if (mode === "frame" && parentOrigin && window.parent !== window) window.parent.postMessage(message, parentOrigin);
}

/**
 * A command of the host page.
 * @param {MessageEvent} event
 */
export function onParentMessage(event) {
  if (!fromHostPage(event, mode, parentOrigin, window.parent)) return;
  const data = event.data || {};
  switch (data.type) {
    case "cc:visible":
      S.visible = !!data.visible;
      if (S.visible && data.focus) focusChat();
      break;
    case "cc:layout":
      app.dataset.layout = data.phone ? "phone" : "desktop";
      app.dataset.draggable = String(!!data.draggable);
      break;
    case "cc:count-label": {
      const count = Number(data.count) || 0;
      const text = interpolate(ngettext("%(count)s unread message", "%(count)s unread messages", count), { count });
      toParent({ type: "cc:count-label", count, text });
      break;
    }
    case "cc:visitor":
      for (const [k, v] of Object.entries(prefillFields(data.visitor))) {
        S.prefill[k] = v;
        const input = /** @type {HTMLInputElement | null} */ (app.querySelector(`.cc-start [name="${k}"]`));
        if (input && !input.value) input.value = v;
      }
      identify(data.visitor).catch(() => {});
      break;
    case "cc:logout":
      logout().catch(() => {});
      break;
    case "cc:open-tag":
      // Also with a conversation before (cta.js: the start form, or continue / start new).
      if (data.tag) nav.choose({ tag: String(data.tag) }).catch(() => {});
      break;
    case "cc:open-staff": {
      if (data.staff) {
        const person = config.directory.staff.find((p) => p.id === data.staff);
        nav.choose({ staff: data.staff, staffName: person ? person.display_name : "" }).catch(() => {});
      }
      break;
    }
    default:
  }
}

/**
 * The chat just opened: the focus goes to the message box, else the view's first field, else
 * the heading (so that a screen reader starts in the chat and Tab continues there).
 */
export function focusChat() {
  const field = /** @type {HTMLElement | null} */ (
    ref("input") || app.querySelector(".cc-body input:not([type=hidden]):not([type=file]), .cc-body textarea")
  );
  const target = field || /** @type {HTMLElement | null} */ (app.querySelector("#cc-heading"));
  if (target) target.focus();
}

/**
 * The frame's own keys and pointer: Escape closes the chat (the emoji picker first), and on a
 * desktop the header drags the panel (the loader moves it; not on phones). Call once.
 */
export function listenFrame() {
  if (mode !== "frame") return;
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape" || e.defaultPrevented) return;
    const picker = ref("emoji");
    if (picker && !picker.hidden) {
      picker.hidden = true;
      const toggle = ref("emoji-toggle");
      toggle?.setAttribute("aria-expanded", "false");
      toggle?.focus();
      return;
    }
    e.preventDefault();
    toParent({ type: "cc:close", focus: true });
  });
  const header = /** @type {HTMLElement | null} */ (app.querySelector(".cc-header"));
  if (!header) return;
  // The keyboard's way to move the panel: the arrow keys on this button (shown on desktops).
  const move = h("button", {
    type: "button",
    class: "cc-icon-btn cc-move",
    "aria-label": gettext("Move the chat window (arrow keys)"),
    title: gettext("Move the chat window (arrow keys)"),
    text: "✥",
  });
  move.addEventListener("keydown", (e) => {
    const step = e.shiftKey ? 80 : 20;
    const delta = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
    if (!delta) return;
    e.preventDefault();
    toParent({ type: "cc:drag", dx: delta[0], dy: delta[1] });
    toParent({ type: "cc:drag-end" });
  });
  header.insertBefore(move, header.querySelector('[data-action="close"]'));
  /** @type {{x: number, y: number} | null} */
  let last = null;
  header.addEventListener("pointerdown", (e) => {
    const onControl = /** @type {Element} */ (e.target).closest("button:not(.cc-move), a, input, textarea, select");
    if (app.dataset.draggable !== "true" || e.pointerType === "touch" || e.button !== 0 || onControl) return;
    e.preventDefault();
    header.setPointerCapture(e.pointerId);
    // Screen coordinates: the frame moves under the pointer, the screen does not.
    last = { x: e.screenX, y: e.screenY };
  });
  header.addEventListener("pointermove", (e) => {
    if (!last) return;
    const dx = e.screenX - last.x;
    const dy = e.screenY - last.y;
    if (!dx && !dy) return;
    last = { x: e.screenX, y: e.screenY };
    toParent({ type: "cc:drag", dx, dy });
  });
  const end = () => {
    if (!last) return;
    last = null;
    toParent({ type: "cc:drag-end" });
  };
  header.addEventListener("pointerup", end);
  header.addEventListener("pointercancel", end);
  header.addEventListener("lostpointercapture", end);
}
