// @ts-check
// What a message's buttons do: copy its text, forward it to another room, and edit or
// recall one's own message within the edit window (Reply is the composer's: composer.js).

import { api } from "../api.js";
import { confirmDialog, field, formDialog, h, toast } from "../dom.js";
import { app, emit } from "../state.js";
import { newClientId } from "./composer.js";
import { errorText, roomOptionLabel } from "./format.js";
import { canChangeNow, upsert } from "./messages.js";
import { gettext } from "../../i18n.js";

/** @typedef {import("./state.js").RoomState} RoomState */
/** @typedef {import("./state.js").Message} Message */

/**
 * Copies text to the clipboard (through a hidden text area where the clipboard API is
 * refused, e.g. on plain http).
 * @param {string} text
 */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h("textarea", { class: "visually-hidden" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast(gettext("Copied."));
}

/**
 * @param {RoomState} state
 * @param {Message} m
 */
export async function editMessage(state, m) {
  if (!canChangeNow(m)) return toast(gettext("The edit window has passed."), "error");
  const data = await formDialog(gettext("Edit message"), (form) => {
    const area = h("textarea", { name: "text", rows: 4, required: true, maxlength: app.boot.message_max_chars });
    area.value = m.text;
    form.append(field(gettext("Message"), area));
  });
  if (!data) return;
  try {
    upsert(state, await api("PATCH", `/api/v1/messages/${m.id}`, { text: data.get("text") }), { scroll: false });
  } catch (err) {
    toast(errorText(err, [404, 405], gettext("Editing is not available yet.")), "error");
  }
}

/**
 * @param {RoomState} state
 * @param {Message} m
 */
export async function recallMessage(state, m) {
  if (!canChangeNow(m)) return toast(gettext("The recall window has passed."), "error");
  if (!(await confirmDialog(gettext("Recall message"), gettext("Recall this message for everyone? A “message recalled” note stays."), gettext("Recall")))) return;
  try {
    upsert(state, await api("DELETE", `/api/v1/messages/${m.id}`), { scroll: false });
  } catch (err) {
    toast(err.message, "error");
  }
}

/**
 * Forwards a message to one of the viewer's rooms.
 * @param {RoomState} state
 * @param {Message} m
 */
export async function forwardMessage(state, m) {
  const rooms = [...app.rooms.values()];
  const data = await formDialog(
    gettext("Forward message"),
    (form) => form.append(field(gettext("Forward to"), h("select", { name: "room", required: true }, rooms.map((r) => h("option", { value: r.id, text: roomOptionLabel(r) }))))),
    gettext("Forward"),
  );
  if (!data) return;
  try {
    const sent = await api("POST", `/api/v1/messages/${m.id}/forward`, { room: Number(data.get("room")), client_id: newClientId() });
    toast(gettext("Forwarded."));
    emit("rooms.refresh", {});
    if (sent.room === state.roomId) upsert(state, sent);
  } catch (err) {
    toast(err.message, "error");
  }
}
