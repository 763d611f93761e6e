// @ts-check
// Pure helpers of the History page (history.js): the query string of a page of History,
// the transcript's download links, and a rating in words. No DOM here: tests/js/history_query.test.js.

/** The filters the History page sends, in the order of the form. */
export const FILTER_NAMES = ["from", "to", "channel", "tag", "conversation_tag", "owner", "rating", "customer"];

/**
 * The query string of a History page: the filters that have a value (trimmed), the cursor
 * of the page after the last one shown, and the page size.
 * @param {Record<string, string | undefined | null>} values
 * @param {{cursor?: string | null, limit?: number}} [page]
 * @returns {string}
 */
export function historyQuery(values, { cursor = null, limit = 50 } = {}) {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = (values[name] || "").trim();
    if (value) params.set(name, value);
  }
  if (cursor) params.set("cursor", cursor);
  params.set("limit", String(limit));
  return params.toString();
}

/**
 * The filters of a History URL (e.g. /app/history?customer=4 from a customer's page).
 * @param {URLSearchParams} params
 * @returns {Record<string, string>}
 */
export function filtersFromParams(params) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(name);
    if (value) out[name] = value;
  }
  return out;
}

/**
 * Where a conversation's transcript downloads (the API's, with the staff session).
 * @param {number} enquiryId
 * @returns {{txt: string, pdf: string}}
 */
export function transcriptUrls(enquiryId) {
  const base = `/api/v1/enquiries/${enquiryId}/transcript`;
  return { txt: `${base}.txt`, pdf: `${base}.pdf` };
}

/**
 * "★★★★☆" for a score of 4 (1-5); "" for none.
 * @param {{score: number} | null | undefined} rating
 * @returns {string}
 */
export function stars(rating) {
  if (!rating || !rating.score) return "";
  const score = Math.max(0, Math.min(5, Math.round(rating.score)));
  return "★".repeat(score) + "☆".repeat(5 - score);
}
