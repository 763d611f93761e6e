// @ts-check
// "Send SMS" in an enquiry's room header: when the customer has a phone number with its
// country code and an SMS channel (Twilio) is set up, a member of the room writes a text
// that goes to that phone (POST /api/v1/rooms/<id>/sms). It shows in the room as the
// agent's message with its delivery state (sending, sent, delivered, failed).

import { gettext, interpolate } from "../../i18n.js";
import { api } from "../api.js";
import { clear, field, formDialog, h, toast } from "../dom.js";
import { enquiryOf } from "./rules.js";

/** @typedef {import("./state.js").RoomState} RoomState */
/** @typedef {{available: boolean, phone: string, channel_name: string, reason: string}} SmsTarget */

const SMS_MAX = 1600;
/** @type {WeakMap<RoomState, {key: string, target: Promise<SmsTarget | null>}>} */
const known = new WeakMap();

/**
 * What GET /rooms/<id>/sms says, asked again only when the enquiry's state or the
 * customer's phone changed.
 * @param {RoomState} state
 * @returns {Promise<SmsTarget | null>}
 */
function smsTarget(state) {
  const e = enquiryOf(state.info);
  const key = JSON.stringify([e && e.status, state.info && state.info.visitor ? state.info.visitor.phone : null]);
  const cached = known.get(state);
  if (cached && cached.key === key) return cached.target;
  const target = api("GET", `/api/v1/rooms/${state.roomId}/sms`).catch(() => null);
  known.set(state, { key, target });
  return target;
}

/**
 * Fill ``slot`` with the Send SMS button when an SMS can be sent from this room.
 * @param {RoomState} state
 * @param {HTMLElement} slot
 */
export async function paintSmsAction(state, slot) {
  const e = enquiryOf(state.info);
  if (!e || state.monitor || !state.info || !state.info.me || e.channel === "sms") return;
  const target = await smsTarget(state);
  if (!target || !target.available || !slot.isConnected) return;
  clear(slot, h("button", { type: "button", class: "small-button", "data-action": "send-sms", text: gettext("Send SMS"), onclick: () => sendSms(state, target) }));
}

/**
 * @param {RoomState} state
 * @param {SmsTarget} target
 */
async function sendSms(state, target) {
  const data = await formDialog(
    gettext("Send SMS"),
    (/** @type {HTMLFormElement} */ form) => {
      form.append(
        h("p", { class: "muted", text: interpolate(gettext("To %(phone)s, through %(channel)s. It also shows in this room."), { phone: target.phone, channel: target.channel_name }) }),
        field(gettext("Text"), h("textarea", { name: "text", rows: 4, required: true, maxlength: SMS_MAX }), interpolate(gettext("At most %(n)s characters."), { n: SMS_MAX })),
      );
    },
    gettext("Send SMS"),
  );
  if (!data) return;
  const text = String(data.get("text") || "").trim();
  if (!text) return;
  try {
    await api("POST", `/api/v1/rooms/${state.roomId}/sms`, { text, client_id: `sms-${Date.now()}-${Math.random().toString(36).slice(2, 10)}` });
    toast(interpolate(gettext("SMS on its way to %(phone)s."), { phone: target.phone }));
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
  }
}
