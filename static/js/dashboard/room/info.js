// @ts-check
// The room information panel (enquiry, visitor form, device, UTM, destination; a direct
// chat's contact; a space's details; members; the viewer's notification setting), and
// loading the room's information again when something about the room changed.

import { api } from "../api.js";
import { clear, field, h, toast } from "../dom.js";
import { updateRoom } from "../rooms.js";
import { app } from "../state.js";
import { contactPairs, destinationPairs, enquiryPairs, kvRows, memberDetail, MUTE_OPTIONS, spacePairs, VISITOR_FIELDS } from "./format.js";
import { paintHead } from "./head.js";
import { startWatching } from "./monitoring.js";
import { monitorAfterReload } from "./rules.js";

/** @typedef {import("./state.js").RoomState} RoomState */
/** @typedef {import("./format.js").Pair} Pair */

/**
 * @param {Pair[]} pairs
 * @returns {HTMLDListElement}
 */
function kv(pairs) {
  return h(
    "dl",
    { class: "kv" },
    kvRows(pairs).map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]),
  );
}

/**
 * The visitor form. The panel is repainted on room events and on every reconnect: the form
 * keeps what staff are typing into it (unsaved edits and the focused field).
 * @param {RoomState} state
 * @param {number} enquiryId
 * @returns {HTMLFormElement}
 */
function visitorForm(state, enquiryId) {
  const { infoPanel } = state.ui;
  const v = state.info.visitor || {};
  /** @type {Record<string, string>} */
  const edited = {};
  infoPanel.querySelectorAll(".visitor-form input").forEach((/** @type {HTMLInputElement} */ el) => {
    if (el.value !== el.defaultValue) edited[el.name] = el.value;
  });
  const active = /** @type {HTMLInputElement | null} */ (infoPanel.contains(document.activeElement) ? document.activeElement : null);
  const form = h("form", { class: "visitor-form", "aria-label": "Visitor information" });
  /** @type {Record<string, HTMLInputElement>} */
  const inputs = {};
  for (const [key, label, type] of VISITOR_FIELDS) {
    inputs[key] = h("input", { name: key, type, value: v[key] || "", disabled: state.monitor && !app.me.is_admin });
    if (key in edited) inputs[key].value = edited[key];
    form.append(field(label, inputs[key]));
  }
  if (active && active.name in inputs) {
    queueMicrotask(() => {
      const el = inputs[active.name];
      el.focus();
      try {
        el.setSelectionRange(active.selectionStart, active.selectionEnd);
      } catch {
        /* email inputs have no selection API */
      }
    });
  }
  form.append(h("button", { type: "submit", class: "small-button", text: "Save visitor" }));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
    try {
      await api("PATCH", `/api/v1/enquiries/${enquiryId}/visitor`, body);
      Object.values(inputs).forEach((el) => (el.defaultValue = el.value)); // saved: no longer edits
      toast("Visitor information saved.");
      await reloadInfo(state);
      if (state.info.visitor) updateRoom(state.roomId, { title: state.info.visitor.name }); // the room list names the visitor
    } catch (err) {
      toast(err.message, "error");
    }
  });
  return form;
}

/**
 * The viewer's notification setting for the room.
 * @param {RoomState} state
 * @returns {HTMLSelectElement}
 */
function muteSelect(state) {
  const mute = h(
    "select",
    {},
    MUTE_OPTIONS.map(([v, l]) => h("option", { value: v, text: l, selected: state.info.me.mute === v })),
  );
  mute.addEventListener("change", async () => {
    try {
      await api("PATCH", `/api/v1/rooms/${state.roomId}/membership`, { mute: mute.value });
      updateRoom(state.roomId, { mute: mute.value });
      toast("Notification setting saved.");
    } catch (err) {
      toast(err.message, "error");
    }
  });
  return mute;
}

/**
 * Paints the information panel from state.info.
 * @param {RoomState} state
 */
export function paintInfo(state) {
  const { info } = state;
  /** @type {HTMLElement[]} */
  const parts = [h("h2", { class: "visually-hidden", text: "Room information" })];
  if (info.kind === "enquiry" && info.enquiry) {
    const e = info.enquiry;
    parts.push(h("h3", { text: "Enquiry" }), kv(enquiryPairs(e)));
    parts.push(h("h3", { text: "Visitor" }), visitorForm(state, e.id));
    if (info.device && Object.keys(info.device).length) parts.push(h("h3", { text: "Device" }), kv(Object.entries(info.device)));
    if (info.utm && Object.keys(info.utm).length) parts.push(h("h3", { text: "UTM" }), kv(Object.entries(info.utm)));
    if (info.destination) parts.push(h("h3", { text: "Destination" }), kv(destinationPairs(info.destination)));
  }
  if (info.kind === "direct" && info.contact) parts.push(h("h3", { text: "Contact" }), kv(contactPairs(info.contact)));
  if (info.kind === "space") parts.push(h("h3", { text: "Space" }), kv(spacePairs(info)));
  parts.push(
    h("h3", { text: "Members" }),
    h(
      "ul",
      { class: "members" },
      info.members.map((m) => h("li", {}, h("span", { class: `dot av-${m.availability}`, "aria-hidden": "true" }), `${m.name} `, h("small", { class: "muted", text: memberDetail(m) }))),
    ),
  );
  if (info.me) parts.push(h("h3", { text: "Notifications" }), field("Notify me about", muteSelect(state)));
  clear(state.ui.infoPanel, parts);
}

/**
 * Loads the room's information again and repaints the header and the panel; a viewer no
 * longer allowed in goes home. The panel is aria-busy while a reload is on its way (it will
 * be repainted): assistive technology and the browser tests then know to wait for it.
 * @param {RoomState} state
 */
export async function reloadInfo(state) {
  const { infoPanel } = state.ui;
  state.infoLoads += 1;
  infoPanel.setAttribute("aria-busy", "true");
  try {
    state.info = await api("GET", `/api/v1/rooms/${state.roomId}`);
    state.monitor = monitorAfterReload(state.info, state.monitor, state.monitorParam);
    if (state.monitor) startWatching(state);
    paintHead(state);
    paintInfo(state);
  } catch (err) {
    if (err.status === 403 || err.status === 404) {
      toast("You are no longer in this room.", "info");
      app.navigate("/app/");
    }
  } finally {
    state.infoLoads -= 1;
    if (!state.infoLoads) infoPanel.removeAttribute("aria-busy");
  }
}
