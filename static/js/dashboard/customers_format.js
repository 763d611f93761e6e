// @ts-check
// Pure helpers of the Customers page (static/js/dashboard/customers.js): links, the words
// for why two customers look alike, the custom fields typed in the profile form, and the
// search the list asks the server for. No DOM here: tests/js/customers_format.test.js.
import { gettext, interpolate } from "../i18n.js";

/**
 * @param {number} id
 * @returns {string}
 */
export function customerHref(id) {
  return `/app/customers/${id}`;
}

/**
 * Why a possible duplicate looks like the customer, in words ("same email and phone").
 * @param {string[]} reasons "email" | "phone" | "name"
 * @returns {string}
 */
export function reasonText(reasons) {
  const words = {
    email: gettext("same email"),
    phone: gettext("same phone number"),
    name: gettext("same name"),
  };
  const known = reasons.filter((r) => r in words).map((r) => words[r]);
  if (!known.length) return "";
  if (known.length === 1) return known[0];
  return interpolate(gettext("%(first)s and %(last)s"), { first: known.slice(0, -1).join(", "), last: known[known.length - 1] });
}

/**
 * The custom fields of the profile form: rows with neither name nor value dropped, names
 * and values trimmed. Returns the list, or the first problem in words.
 * @param {{name: string, value: string}[]} rows
 * @returns {{fields: {name: string, value: string}[], error: string}}
 */
export function customFieldsFrom(rows) {
  /** @type {{name: string, value: string}[]} */
  const fields = [];
  const seen = new Set();
  for (const row of rows) {
    const name = (row.name || "").trim();
    const value = (row.value || "").trim();
    if (!name && !value) continue;
    if (!name) return { fields: [], error: gettext("A custom field needs a name.") };
    const key = name.toLocaleLowerCase();
    if (seen.has(key)) return { fields: [], error: interpolate(gettext("The custom field %(name)s is given twice."), { name }) };
    seen.add(key);
    fields.push({ name, value });
  }
  return { fields, error: "" };
}

/**
 * The list's query string: search text (trimmed), tag and page.
 * @param {{q?: string, tag?: string | number, page?: number, pageSize?: number}} opts
 * @returns {string}
 */
export function listQuery({ q = "", tag = "", page = 1, pageSize = 25 }) {
  const params = new URLSearchParams({ page: String(page), page_size: String(pageSize) });
  const text = q.trim();
  if (text) params.set("q", text);
  if (tag !== "" && tag !== null && tag !== undefined) params.set("tag", String(tag));
  return params.toString();
}

/**
 * Where an enquiry of the interaction record opens: its room as a member, an admin's
 * monitoring view, or nowhere (the caller may not open its transcript).
 * @param {{room: number | null, transcript: boolean}} row
 * @param {{isAdmin: boolean, memberOf: (room: number) => boolean}} me
 * @returns {string | null}
 */
export function enquiryHref(row, me) {
  if (!row.room || !row.transcript) return null;
  if (me.memberOf(row.room)) return `/app/rooms/${row.room}`;
  return me.isAdmin ? `/app/rooms/${row.room}?monitor=1` : `/app/rooms/${row.room}`;
}
