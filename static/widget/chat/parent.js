// @ts-check
// The protocol with the host page's loader (static/widget/loader.js), in frame mode only,
// and only with the origin the loader named (?parent=).
//
// To the loader: cc:hello (the page loaded here: framing is allowed), cc:ready {color,
// position, active}, cc:close, cc:unread {count}, cc:notify {title, body}.
// From the loader: cc:visible {visible}, cc:visitor {visitor} (ContactCenter.setVisitor),
// cc:open-tag {tag}, cc:open-staff {staff}.

import { fromHostPage, prefillFields } from "./decide.js";
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
      if (S.visible) {
        const input = ref("input");
        if (input) input.focus();
      }
      break;
    case "cc:visitor":
      for (const [k, v] of Object.entries(prefillFields(data.visitor))) {
        S.prefill[k] = v;
        const input = /** @type {HTMLInputElement | null} */ (app.querySelector(`.cc-start [name="${k}"]`));
        if (input && !input.value) input.value = v;
      }
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
