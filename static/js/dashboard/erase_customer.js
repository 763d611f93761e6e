// @ts-check
// "Erase…" for a customer (admins): a confirmation that asks why and that the admin
// understands it cannot be undone, then POST /api/v1/customers/{id}/erase. For the
// Customers page: `eraseButton(customer, onDone)` gives the button (null for agents and for
// a customer already erased).
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { field, formDialog, h, toast } from "./dom.js";
import { app } from "./state.js";

/**
 * @typedef {object} ErasableCustomer
 * @property {number} id
 * @property {string} [name]
 * @property {string | null} [erased_at]
 */

/**
 * Asks, then erases. Resolves with the erasure record, or null when cancelled or refused.
 * @param {ErasableCustomer} customer
 * @returns {Promise<any>}
 */
export async function eraseCustomer(customer) {
  const who = customer.name || interpolate(gettext("Customer %(id)s"), { id: customer.id });
  const data = await formDialog(
    interpolate(gettext("Erase %(name)s's data?"), { name: who }),
    (/** @type {HTMLFormElement} */ form) => {
      form.append(
        h("p", { text: gettext("Their name, email, phone, custom fields and notes, every visitor's details, their messages and files in every conversation, and their notes are erased everywhere, search and exports included. Staff's replies stay. This cannot be undone.") }),
        field(gettext("Reason"), h("input", { name: "reason", required: true, maxlength: 200, autocomplete: "off" }), gettext("For example: the customer's request of 1 May (no personal data).")),
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "understood", required: true }), " ", gettext("I understand this cannot be undone")),
      );
    },
    gettext("Erase"),
  );
  if (!data) return null;
  try {
    const record = await api("POST", `/api/v1/customers/${customer.id}/erase`, { reason: String(data.get("reason") || "").trim() });
    toast(interpolate(gettext("Erased: %(messages)s messages, %(files)s files."), { messages: record.counts.messages, files: record.counts.files }));
    return record;
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
    return null;
  }
}

/**
 * The Erase… button, for admins (null otherwise, or when already erased).
 * @param {ErasableCustomer} customer
 * @param {(record: any) => unknown} onDone
 * @returns {HTMLElement | null}
 */
export function eraseButton(customer, onDone) {
  if (!app.me || !app.me.is_admin || customer.erased_at) return null;
  return h("button", {
    type: "button",
    class: "small-button danger",
    text: gettext("Erase…"),
    onclick: async () => {
      const record = await eraseCustomer(customer);
      if (record) onDone(record);
    },
  });
}
