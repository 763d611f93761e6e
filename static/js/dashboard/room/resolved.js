// @ts-check
// A resolved enquiry's bar under the room's header: when it closes by itself (a live
// countdown from the server's auto_close_at), and for its owner Keep open (when the admin's
// setting allows agents to; admins always may) and Close now. The server's events
// (enquiry.resolved, .reopened, .closed) reload the room's information, which repaints it.

import { api } from "../api.js";
import { clear, clockTime, confirmDialog, h, toast } from "../dom.js";
import { gettext } from "../../i18n.js";
import { app } from "../state.js";
import { autoCloseText } from "../states.js";
import { enquiryOf, isOwner } from "./rules.js";
import { tagThenRetry } from "./tags_picker.js";

/** @typedef {import("./state.js").RoomState} RoomState */

/** @type {WeakMap<RoomState, {bar: HTMLElement, text: HTMLElement, timer: number | null}>} */
const bars = new WeakMap();

/** @type {{at: number, allowed: boolean} | null} */
let setting = null;

/** @returns {Promise<boolean>} agents may keep resolved enquiries open (admin setting) */
async function keepOpenAllowed() {
  if (app.me.is_admin) return true;
  if (setting && Date.now() - setting.at < 30000) return setting.allowed;
  try {
    const s = await api("GET", "/api/v1/settings");
    setting = { at: Date.now(), allowed: Boolean(s.agents_may_keep_open) };
  } catch {
    setting = { at: Date.now(), allowed: false };
  }
  return setting.allowed;
}

/**
 * @param {RoomState} state
 * @param {"keep-open" | "close"} action
 */
async function act(state, action) {
  const e = enquiryOf(state.info);
  if (!e) return;
  if (action === "close" && !(await confirmDialog(gettext("Close enquiry"), gettext("Close this resolved enquiry now? The conversation becomes read-only."), gettext("Close now")))) return;
  try {
    await api("POST", `/api/v1/enquiries/${e.id}/${action}`);
    toast(action === "close" ? gettext("Enquiry closed.") : gettext("Kept open: this enquiry will not close automatically."));
  } catch (err) {
    const again = async () => {
      await api("POST", `/api/v1/enquiries/${e.id}/${action}`);
      toast(gettext("Enquiry closed."));
    };
    const retried = await tagThenRetry(e, err, again, gettext("Save tags and close")).catch((failed) => {
      toast(failed.message, "error");
      return true;
    });
    if (!retried) toast(err.message, "error");
  }
}

/**
 * Paints (or hides) the bar from state.info.
 * @param {RoomState} state
 */
export function paintResolved(state) {
  let known = bars.get(state);
  if (!known) {
    const text = h("span", { class: "resolved-text" });
    const bar = h("div", { class: "resolved-bar", role: "status", hidden: true }, text);
    state.ui.banner.after(bar);
    known = { bar, text, timer: null };
    bars.set(state, known);
  }
  const { bar, text } = known;
  const e = enquiryOf(state.info);
  if (known.timer) clearInterval(known.timer);
  known.timer = null;
  if (!e || e.status !== "resolved" || state.monitor) {
    bar.hidden = true;
    return;
  }
  bar.hidden = false;
  const tick = () => {
    if (!bar.isConnected) {
      clearInterval(known.timer);
      return;
    }
    text.textContent = autoCloseText(e, Date.now(), clockTime);
  };
  tick();
  if (e.auto_close_at) known.timer = window.setInterval(tick, 1000);
  clear(bar, text);
  if (!isOwner(state.info, app.me.id)) return;
  const buttons = h("span", { class: "resolved-actions" });
  bar.append(buttons);
  if (e.auto_close_at) {
    keepOpenAllowed().then((allowed) => {
      if (allowed && bar.isConnected) buttons.prepend(h("button", { type: "button", class: "small-button", text: gettext("Keep open"), onclick: () => act(state, "keep-open") }));
    });
  }
  buttons.append(h("button", { type: "button", class: "small-button", text: gettext("Close now"), onclick: () => act(state, "close") }));
}
