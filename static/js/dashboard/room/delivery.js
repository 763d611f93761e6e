// @ts-check
// A staff reply's delivery to a platform or email customer, under the message: Sending…,
// then Sent / Delivered / Read (the platform's status webhooks, as message.edited events),
// or Not delivered with the platform's reason and Retry, which sends it again through the
// same outbound path (POST /api/v1/messages/<id>/retry-send; a second click changes nothing).

import { api } from "../api.js";
import { h, toast } from "../dom.js";
import { gettext, interpolate } from "../../i18n.js";
import { deliveryText } from "../states.js";

/** @typedef {import("./state.js").Message} Message */

/**
 * The delivery line of a message, or null when it is not sent to a platform.
 * @param {Message} m
 * @param {boolean} canRetry the viewer may send it again (a member of the live room)
 * @returns {HTMLElement | null}
 */
export function deliveryLine(m, canRetry) {
  const d = deliveryText(m.data && m.data.delivery);
  if (!d) return null;
  const line = h("p", { class: `delivery delivery-${d.state}`, role: d.state === "failed" ? "alert" : null }, h("span", { class: "delivery-label", text: d.label }));
  // Sent from the room as an SMS to the customer's phone (room/sms.js).
  if (m.data && m.data.sms && m.data.sms.to) line.prepend(h("span", { class: "delivery-sms", text: interpolate(gettext("SMS to %(phone)s"), { phone: String(m.data.sms.to) }) }), " · ");
  if (d.error) line.append(": ", h("span", { class: "delivery-error", text: d.error }));
  if (d.retry && canRetry) {
    const retry = h("button", { type: "button", class: "tool delivery-retry", text: gettext("Retry") });
    retry.setAttribute("aria-label", gettext("Send this message again"));
    retry.addEventListener("click", async () => {
      retry.disabled = true;
      try {
        // The answer is "pending"; the message.edited event repaints the line as Sending….
        await api("POST", `/api/v1/messages/${m.id}/retry-send`);
      } catch (err) {
        toast(err.message, "error");
        retry.disabled = false;
      }
    });
    line.append(" ", retry);
  }
  return line;
}
