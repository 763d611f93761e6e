// @ts-check
// Pure helpers of dashboard search (static/js/dashboard/search.js): no DOM, tested with
// node --test (tests/js/search_text.test.js).

/**
 * @typedef {{text: string, hit: boolean}} Part
 * @typedef {{type: string, enquiry: number|null, room: number|null, message: number|null, customer: number|null, open: string}} ResultLink
 */

/**
 * The snippet cut into plain and highlighted parts by the API's [start, end) ranges
 * (bad, overlapping or out-of-range ranges are clamped or skipped, never thrown on).
 * @param {string} snippet
 * @param {number[][]} highlights
 * @returns {Part[]}
 */
export function highlightParts(snippet, highlights) {
  /** @type {Part[]} */
  const parts = [];
  let at = 0;
  const ranges = (highlights || [])
    .filter((r) => Array.isArray(r) && r.length === 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]))
    .map(([a, b]) => [Math.max(0, Math.min(a, snippet.length)), Math.max(0, Math.min(b, snippet.length))])
    .sort((x, y) => x[0] - y[0]);
  for (const [start, end] of ranges) {
    if (end <= start || start < at) continue;
    if (start > at) parts.push({ text: snippet.slice(at, start), hit: false });
    parts.push({ text: snippet.slice(start, end), hit: true });
    at = end;
  }
  if (at < snippet.length) parts.push({ text: snippet.slice(at), hit: false });
  return parts;
}

/**
 * A function that runs ``fn`` ``ms`` after the last call (the latest arguments win);
 * ``cancel()`` drops a pending call. Timers are injectable for tests.
 * @template {any[]} A
 * @param {(...args: A) => void} fn
 * @param {number} ms
 * @param {{set: (f: () => void, ms: number) => any, clear: (id: any) => void}} [timers]
 * @returns {((...args: A) => void) & {cancel: () => void}}
 */
export function debounce(fn, ms, timers = { set: (f, t) => setTimeout(f, t), clear: (id) => clearTimeout(id) }) {
  /** @type {any} */
  let id = null;
  const run = /** @type {((...args: A) => void) & {cancel: () => void}} */ (
    (...args) => {
      if (id !== null) timers.clear(id);
      id = timers.set(() => {
        id = null;
        fn(...args);
      }, ms);
    }
  );
  run.cancel = () => {
    if (id !== null) timers.clear(id);
    id = null;
  };
  return run;
}

/**
 * Is this query worth sending as the user types? (Not blank; a word of one Latin letter
 * alone finds too much to be useful, one Chinese or Japanese character does not.)
 * @param {string} q
 * @returns {boolean}
 */
export function worthSearching(q) {
  const text = q.trim();
  if (!text) return false;
  if (text.length >= 2) return true;
  return [...text].some((ch) => ch.charCodeAt(0) > 127);
}

/**
 * The next active option of a listbox of ``count`` options moved by ``delta`` (wraps;
 * -1 is "none": the input keeps focus).
 * @param {number} current
 * @param {number} delta
 * @param {number} count
 * @returns {number}
 */
export function nextIndex(current, delta, count) {
  if (count <= 0) return -1;
  if (current < 0) return delta > 0 ? 0 : count - 1;
  return (current + delta + count) % count;
}

/**
 * Where a result leads: a message in its live room (scrolled to and highlighted), or the
 * enquiry's read-only history when the agent is no longer in the room; a customer.
 * @param {ResultLink} r
 * @returns {string}
 */
export function resultHref(r) {
  if (r.type === "customer" && r.customer) return `/app/customers/${r.customer}`;
  const anchor = r.message ? `?message=${r.message}` : "";
  if (r.open === "room" && r.room) return `/app/rooms/${r.room}${anchor}`;
  if (r.enquiry) return `/app/history/${r.enquiry}${anchor}`;
  return "/app/search";
}

/**
 * The query string of the Search page from its state (empty values left out).
 * @param {Record<string, string|number|null|undefined>} state
 * @returns {string}
 */
export function searchQuery(state) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) {
    if (value === null || value === undefined || value === "") continue;
    params.set(key, String(value));
  }
  return params.toString();
}
