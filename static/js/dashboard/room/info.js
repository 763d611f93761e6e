// @ts-check
// The room information panel (enquiry, visitor form, device, UTM, destination; a direct
// chat's contact; a space's details; members; the viewer's notification setting), and
// loading the room's information again when something about the room changed.

import { api } from "../api.js";
import { clear, field, h, toast } from "../dom.js";
import { updateRoom } from "../rooms.js";
import { app } from "../state.js";
import { gettext, interpolate } from "../../i18n.js";
import { contactPairs, kvRows, memberDetail, MUTE_OPTIONS, spacePairs, VISITOR_FIELDS } from "./format.js";
import { customerHref } from "../customers_format.js";
import { customFieldsBody, destinationRows, deviceRows, enquiryRows, originRows, staffLocale, utmRows, visitorRows } from "./info_format.js";
import { paintHead } from "./head.js";
import { startWatching } from "./monitoring.js";
import { monitorAfterReload } from "./rules.js";
import { tagsBlock } from "./tags_picker.js";

/** @typedef {import("./state.js").RoomState} RoomState */
/** @typedef {import("./format.js").Pair} Pair */
/** @typedef {import("./info_format.js").Row} Row */

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
 * Rows of label, value and an optional note ("from browser").
 * @param {Row[]} rows
 * @param {string} [label] the list's accessible name
 * @returns {HTMLDListElement}
 */
function rowsList(rows, label) {
  return h(
    "dl",
    { class: "kv", "aria-label": label },
    rows.map(([k, v, note]) => [h("dt", { text: k }), h("dd", {}, v, note ? h("small", { class: "muted source-note", text: ` (${note})` }) : null)]),
  );
}

/** @returns {string | undefined} the staff member's locale for Intl (info_format.staffLocale) */
function locale() {
  return staffLocale(document.documentElement.lang, navigator.languages || [navigator.language]);
}

/**
 * What is being typed in an open editor of the panel (the panel is repainted on room events
 * and on every reconnect: an open editor is rebuilt with what staff typed, and the caret
 * goes back to the field it was in).
 * @param {HTMLElement} panel
 * @param {string} selector the editor's form
 * @returns {{values: Record<string, string>, rows: {name: string, value: string}[], active: HTMLInputElement | null} | null}
 */
function typed(panel, selector) {
  const form = panel.querySelector(selector);
  if (!form) return null;
  /** @type {Record<string, string>} */
  const values = {};
  form.querySelectorAll("input[name]:not([data-custom])").forEach((/** @type {HTMLInputElement} */ el) => (values[el.name] = el.value));
  const rows = [...form.querySelectorAll(".custom-field-row")].map((row) => ({
    name: /** @type {HTMLInputElement} */ (row.querySelector('[data-custom="name"]')).value,
    value: /** @type {HTMLInputElement} */ (row.querySelector('[data-custom="value"]')).value,
  }));
  const focused = document.activeElement;
  const active = focused instanceof HTMLInputElement && form.contains(focused) ? focused : null;
  return { values, rows, active };
}

/**
 * Puts the caret back where it was before a repaint (same field name in the new form).
 * @param {HTMLFormElement} form
 * @param {HTMLInputElement | null} was
 */
function refocus(form, was) {
  if (!was) return;
  const key = was.dataset.key || was.name;
  queueMicrotask(() => {
    const el = /** @type {HTMLInputElement | null} */ (form.querySelector(`[data-key="${CSS.escape(key)}"], [name="${CSS.escape(key)}"]`));
    if (!el) return;
    el.focus();
    try {
      el.setSelectionRange(was.selectionStart, was.selectionEnd);
    } catch {
      /* email inputs have no selection API */
    }
  });
}

/**
 * One name/value row of the custom fields editor.
 * @param {{name: string, value: string}} f
 * @param {number} i
 * @returns {HTMLElement}
 */
function customFieldRow(f, i) {
  const name = h("input", { "data-custom": "name", "data-key": `cf-name-${i}`, maxlength: 60, "aria-label": interpolate(gettext("Custom field %(n)s name"), { n: i + 1 }), placeholder: gettext("Name") });
  const value = h("input", { "data-custom": "value", "data-key": `cf-value-${i}`, maxlength: 500, "aria-label": interpolate(gettext("Custom field %(n)s value"), { n: i + 1 }), placeholder: gettext("Value") });
  const remove = h("button", { type: "button", class: "small-button", text: "×", "aria-label": interpolate(gettext("Remove custom field %(n)s"), { n: i + 1 }), title: gettext("Remove") });
  name.value = f.name;
  value.value = f.value;
  const row = h("div", { class: "custom-field-row" }, name, value, remove);
  remove.addEventListener("click", () => row.remove());
  return row;
}

/**
 * The visitor's details as text with an Edit button, or, while editing, the form (the four
 * visitor fields and staff's custom name/value fields).
 * @param {RoomState} state
 * @param {number} enquiryId
 * @returns {HTMLElement[]}
 */
function visitorSection(state, enquiryId) {
  const { infoPanel } = state.ui;
  const v = state.info.visitor || {};
  const custom = /** @type {{name: string, value: string}[]} */ (v.custom_fields || []);
  const canEdit = !(state.monitor && !app.me.is_admin);
  const open = typed(infoPanel, ".visitor-form");
  const head = h("div", { class: "section-head" }, h("h3", { text: gettext("Visitor") }));
  // The person behind the visitor: their profile and every conversation (customers.js).
  if (v.customer) head.append(h("a", { href: customerHref(v.customer), "data-nav": true, class: "small-button customer-link", text: gettext("Customer profile") }));
  if (!open) {
    const rows = [...visitorRows(v), ...custom.map((f) => /** @type {Row} */ ([f.name, f.value]))];
    const shown = rows.length ? rowsList(rows, gettext("Visitor details")) : h("p", { class: "small muted", text: gettext("No details yet.") });
    if (canEdit) {
      const edit = h("button", { type: "button", class: "small-button", text: gettext("Edit"), "aria-label": gettext("Edit visitor") });
      edit.addEventListener("click", () => {
        const form = visitorForm(state, enquiryId, { values: {}, rows: custom.map((f) => ({ ...f })), active: null });
        head.nextElementSibling && head.nextElementSibling.replaceWith(form);
        edit.hidden = true;
        /** @type {HTMLInputElement} */ (form.querySelector("input")).focus();
      });
      head.append(edit);
    }
    return [head, shown];
  }
  return [head, visitorForm(state, enquiryId, open)];
}

/**
 * @param {RoomState} state
 * @param {number} enquiryId
 * @param {{values: Record<string, string>, rows: {name: string, value: string}[], active: HTMLInputElement | null}} was
 * @returns {HTMLFormElement}
 */
function visitorForm(state, enquiryId, was) {
  const v = state.info.visitor || {};
  const form = h("form", { class: "visitor-form", "aria-label": gettext("Visitor information") });
  /** @type {Record<string, HTMLInputElement>} */
  const inputs = {};
  for (const [key, label, type] of VISITOR_FIELDS) {
    inputs[key] = h("input", { name: key, type });
    // Set as the property (not the attribute): the caret then goes to the end on focus.
    inputs[key].value = key in was.values ? was.values[key] : v[key] || "";
    form.append(field(gettext(label), inputs[key]));
  }
  const rows = h("div", { class: "custom-field-rows" }, was.rows.map(customFieldRow));
  const add = h("button", { type: "button", class: "small-button", text: gettext("Add field") });
  add.addEventListener("click", () => {
    const row = customFieldRow({ name: "", value: "" }, rows.children.length);
    rows.append(row);
    /** @type {HTMLInputElement} */ (row.querySelector("input")).focus();
  });
  form.append(h("fieldset", { class: "custom-fields" }, h("legend", { text: gettext("Custom fields") }), rows, add));
  const cancel = h("button", { type: "button", class: "small-button", text: gettext("Cancel") });
  cancel.addEventListener("click", () => {
    form.remove();
    paintInfo(state);
  });
  form.append(h("div", { class: "actions" }, cancel, h("button", { type: "submit", class: "small-button primary", text: gettext("Save visitor") })));
  refocus(form, was.active);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    /** @type {Record<string, any>} */
    const body = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
    body.custom_fields = customFieldsBody(
      [...rows.querySelectorAll(".custom-field-row")].map((row) => ({
        name: /** @type {HTMLInputElement} */ (row.querySelector('[data-custom="name"]')).value,
        value: /** @type {HTMLInputElement} */ (row.querySelector('[data-custom="value"]')).value,
      })),
    );
    try {
      await api("PATCH", `/api/v1/enquiries/${enquiryId}/visitor`, body);
      form.remove(); // saved: the details are shown as text again
      toast(gettext("Visitor information saved."));
      await reloadInfo(state);
      if (state.info.visitor) updateRoom(state.roomId, { title: state.info.visitor.name }); // the room list names the visitor
    } catch (err) {
      toast(err.message, "error");
    }
  });
  return form;
}

/**
 * The enquiry's topic: text, with Edit for its owner and admins (an inline form while editing).
 * @param {RoomState} state
 * @param {import("./state.js").RoomEnquiry} e
 * @returns {HTMLElement | null}
 */
function topicBlock(state, e) {
  const canEdit = app.me.is_admin || Boolean(e.owner && e.owner.id === app.me.id);
  const open = typed(state.ui.infoPanel, ".topic-form");
  if (!canEdit && !e.topic) return null;
  const wrap = h("div", { class: "topic" });
  const showText = () => {
    const text = h("span", { class: e.topic ? "topic-text" : "topic-text muted", text: e.topic || gettext("No topic") });
    const line = h("p", { class: "small" }, h("strong", { text: `${gettext("Topic")}: ` }), text);
    if (canEdit) {
      const edit = h("button", { type: "button", class: "small-button link-button", text: e.topic ? gettext("Edit") : gettext("Set topic"), "aria-label": gettext("Edit topic") });
      edit.addEventListener("click", () => showForm({ values: {}, active: null }, true));
      line.append(" ", edit);
    }
    clear(wrap, line);
  };
  /**
   * @param {{values: Record<string, string>, active: HTMLInputElement | null}} was
   * @param {boolean} focus
   */
  const showForm = (was, focus) => {
    const input = h("input", { name: "topic", maxlength: 200 });
    input.value = "topic" in was.values ? was.values.topic : e.topic || "";
    const cancel = h("button", { type: "button", class: "small-button", text: gettext("Cancel") });
    const form = h("form", { class: "topic-form inline-form", "aria-label": gettext("Topic") }, field(gettext("Topic"), input), cancel, h("button", { type: "submit", class: "small-button primary", text: gettext("Save topic") }));
    cancel.addEventListener("click", showText);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("PATCH", `/api/v1/enquiries/${e.id}`, { topic: input.value.trim() });
        form.remove();
        toast(gettext("Topic saved."));
        await reloadInfo(state);
      } catch (err) {
        toast(err.message, "error");
      }
    });
    clear(wrap, form);
    if (focus) input.focus();
    else refocus(form, was.active);
  };
  if (open && canEdit) showForm(open, false);
  else showText();
  return wrap;
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
      toast(gettext("Notification setting saved."));
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
  const parts = [h("h2", { class: "visually-hidden", text: gettext("Room information") })];
  if (info.kind === "enquiry" && info.enquiry) {
    const e = info.enquiry;
    const loc = locale();
    const now = new Date();
    parts.push(h("h3", { text: gettext("Enquiry") }), rowsList(enquiryRows(e, loc, now), gettext("Enquiry details")));
    const topic = topicBlock(state, e);
    if (topic) parts.push(topic);
    const tags = tagsBlock(e, () => reloadInfo(state));
    if (tags) parts.push(tags);
    const origin = originRows(e.origin, loc, now);
    if (origin.length) parts.push(h("h3", { text: gettext("Customer") }), rowsList(origin, gettext("Language and location")));
    parts.push(...visitorSection(state, e.id));
    const device = deviceRows(info.device || {});
    if (device.length) parts.push(h("h3", { text: gettext("Device") }), rowsList(device, gettext("Device")));
    const utm = utmRows(info.utm || {});
    if (utm.length) parts.push(h("h3", { text: gettext("Campaign (UTM)") }), rowsList(utm, gettext("Campaign (UTM)")));
    if (info.destination) parts.push(h("h3", { text: gettext("Destination") }), rowsList(destinationRows(info.destination), gettext("Destination")));
  }
  if (info.kind === "direct" && info.contact) parts.push(h("h3", { text: gettext("Contact") }), kv(contactPairs(info.contact)));
  if (info.kind === "space") parts.push(h("h3", { text: gettext("Space") }), kv(spacePairs(info)));
  parts.push(
    h("h3", { text: gettext("Members") }),
    h(
      "ul",
      { class: "members" },
      info.members.map((m) => h("li", {}, h("span", { class: `dot av-${m.availability}`, "aria-hidden": "true" }), `${m.name} `, h("small", { class: "muted", text: memberDetail(m) }))),
    ),
  );
  if (info.me) parts.push(h("h3", { text: gettext("Notifications") }), field(gettext("Notify me about"), muteSelect(state)));
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
      toast(gettext("You are no longer in this room."), "info");
      app.navigate("/app/");
    }
  } finally {
    state.infoLoads -= 1;
    if (!state.infoLoads) infoPanel.removeAttribute("aria-busy");
  }
}
