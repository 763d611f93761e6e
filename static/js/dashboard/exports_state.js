// @ts-check
// Pure helpers of the Export page (exports.js): the filters sent with a request, and how an
// export's state reads in the list. No DOM, no network: unit-tested in tests/js.
import { gettext, interpolate } from "../i18n.js";

/**
 * @typedef {{id: number, kind: string, format: string, status: string, progress: number, rows: number,
 *   size: number, error: string, created_at: string, expires_at: string | null, expired: boolean,
 *   download_url: string | null}} ExportItem
 */

export const KINDS = ["enquiries", "messages", "notes", "customers"];
export const FORMATS = ["csv", "xlsx"];
const NUMBERS = ["channel", "tag", "conversation_tag", "owner", "rating", "customer"];
const TEXTS = ["from", "to", "status"];

/**
 * The ``filters`` object of POST /api/v1/exports from the form's values: empty ones left
 * out, ids as numbers (a value that is not a whole number is sent as typed: the server
 * answers which field is wrong).
 * @param {Record<string, string | null | undefined>} values
 * @returns {Record<string, string | number>}
 */
export function exportFilters(values) {
  /** @type {Record<string, string | number>} */
  const out = {};
  for (const key of TEXTS) {
    const v = (values[key] || "").trim();
    if (v) out[key] = v;
  }
  for (const key of NUMBERS) {
    const v = (values[key] || "").trim();
    if (!v) continue;
    out[key] = /^\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}

/**
 * @param {ExportItem} e
 * @returns {boolean} still being written (the page polls while any is)
 */
export function isActive(e) {
  return e.status === "pending" || e.status === "running";
}

/**
 * @param {ExportItem[]} list
 * @returns {boolean}
 */
export function anyActive(list) {
  return list.some(isActive);
}

/**
 * The kind's label.
 * @param {string} kind
 * @returns {string}
 */
export function kindLabel(kind) {
  /** @type {Record<string, string>} */
  const labels = {
    enquiries: gettext("Enquiries"),
    messages: gettext("Messages"),
    notes: gettext("Notes"),
    customers: gettext("Customers"),
  };
  return labels[kind] || kind;
}

/**
 * What the Status cell says.
 * @param {ExportItem} e
 * @returns {string}
 */
export function statusText(e) {
  if (e.status === "pending") return gettext("Waiting to start");
  if (e.status === "running") return interpolate(gettext("Writing… %(progress)s%"), { progress: e.progress });
  if (e.status === "failed") return e.error ? interpolate(gettext("Failed: %(error)s"), { error: e.error }) : gettext("Failed");
  if (e.expired) return gettext("Expired");
  return gettext("Ready");
}
