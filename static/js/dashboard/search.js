// @ts-check
// Search (SPEC section 9): the box in the top bar, with results as you type (debounced,
// stale requests aborted, a keyboard-navigable listbox), and the Search page
// /app/search?q=&scope= with scope tabs, filters and highlighted snippets. Snippets are
// plain text from the API; highlights are <mark> elements built with textContent only.
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { channelIcon, clear, h } from "./dom.js";
import { formatDateTime } from "../datetime.js";
import { app } from "./state.js";
import { debounce, highlightParts, nextIndex, resultHref, searchQuery, worthSearching } from "./search_text.js";

/**
 * @typedef {{type: string, enquiry: number|null, room: number|null, message: number|null, customer: number|null,
 *   snippet: string, highlights: number[][], time: string, status: string|null, topic: string,
 *   channel: {id: number, kind: string, name: string}|null, name: string, from: string|null, open: string}} Result
 */

const SCOPES = () => [
  ["messages", gettext("Messages")],
  ["enquiries", gettext("Conversations")],
  ["customers", gettext("Customers")],
];
const SUGGEST_LIMIT = 8;

/**
 * GET /api/v1/search, aborting the previous request of the same ``slot``.
 * @param {{controller: AbortController|null}} slot
 * @param {Record<string, string|number|null|undefined>} params
 * @returns {Promise<{results: Result[], next_offset: number|null}|null>} null when aborted
 */
async function fetchResults(slot, params) {
  if (slot.controller) slot.controller.abort();
  const controller = new AbortController();
  slot.controller = controller;
  try {
    const page = await api("GET", `/api/v1/search?${searchQuery(params)}`, undefined, { signal: controller.signal });
    return controller.signal.aborted ? null : page;
  } catch (err) {
    if (controller.signal.aborted) return null;
    throw err;
  } finally {
    if (slot.controller === controller) slot.controller = null;
  }
}

/**
 * The snippet with its highlights as <mark> (text only).
 * @param {Result} r
 * @returns {HTMLElement}
 */
function snippetView(r) {
  const p = h("span", { class: "search-snippet" });
  for (const part of highlightParts(r.snippet, r.highlights)) {
    p.append(part.hit ? h("mark", { text: part.text }) : document.createTextNode(part.text));
  }
  return p;
}

/**
 * @param {Result} r
 * @returns {string}
 */
function resultLabel(r) {
  return [r.name, r.channel ? r.channel.name : "", r.time ? formatDateTime(r.time) : ""].filter(Boolean).join(" · ");
}

// ------------------------------------------------------------------ top bar box

export function setupSearchBox() {
  const input = /** @type {HTMLInputElement|null} */ (document.getElementById("search-input"));
  const list = /** @type {HTMLUListElement|null} */ (document.getElementById("search-suggest"));
  if (!input || !list) return;
  const slot = { controller: null };
  /** @type {Result[]} */
  let shown = [];
  let active = -1;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  /** @param {number} index */
  const activate = (index) => {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", `search-option-${index}`);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  };
  /** @param {string} href */
  const go = (href) => {
    close();
    if (app.navigate) app.navigate(href);
    else location.assign(href);
  };
  const toPage = () => go(`/app/search?${searchQuery({ q: input.value.trim() })}`);

  /** @param {string} q */
  const paint = (q, /** @type {Result[]} */ results) => {
    shown = results;
    const items = results.map((r, i) =>
      h(
        "li",
        { id: `search-option-${i}`, role: "option", "aria-selected": "false", class: "search-option", onmousedown: (/** @type {Event} */ e) => e.preventDefault(), onclick: () => go(resultHref(r)) },
        snippetView(r),
        h("small", { class: "muted", text: resultLabel(r) }),
      ),
    );
    items.push(
      h("li", { id: `search-option-${results.length}`, role: "option", "aria-selected": "false", class: "search-option search-all", onmousedown: (/** @type {Event} */ e) => e.preventDefault(), onclick: toPage }, interpolate(gettext('See all results for "%(q)s"'), { q })),
    );
    clear(list, ...items);
    if (!results.length) list.prepend(h("li", { class: "search-empty muted", role: "presentation", text: gettext("No messages found.") }));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    activate(-1);
  };

  const suggest = debounce(async (/** @type {string} */ q) => {
    if (!worthSearching(q)) return close();
    try {
      const page = await fetchResults(slot, { q, scope: "messages", limit: SUGGEST_LIMIT });
      if (page && input.value.trim() === q) paint(q, page.results);
    } catch (err) {
      if (/** @type {any} */ (err).status === 400) close();
    }
  }, 200);

  input.addEventListener("input", () => suggest(input.value.trim()));
  input.addEventListener("keydown", (e) => {
    const count = list.hidden ? 0 : list.querySelectorAll("[role=option]").length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!count) return;
      e.preventDefault();
      activate(nextIndex(active, e.key === "ArrowDown" ? 1 : -1, count));
    } else if (e.key === "Enter") {
      e.preventDefault();
      suggest.cancel();
      if (active >= 0 && active < shown.length) go(resultHref(shown[active]));
      else if (input.value.trim()) toPage();
    } else if (e.key === "Escape") {
      suggest.cancel();
      if (slot.controller) slot.controller.abort();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}

// ------------------------------------------------------------------ the Search page

/**
 * /app/search?q=&scope=&from=&to=&status=
 * @param {HTMLElement} main
 * @param {RegExpMatchArray} _match
 * @param {URLSearchParams} params
 * @returns {Promise<() => void>}
 */
export async function render(main, _match, params) {
  const state = {
    q: params.get("q") || "",
    scope: params.get("scope") || "messages",
    from: params.get("from") || "",
    to: params.get("to") || "",
    status: params.get("status") || "",
  };
  const slot = { controller: null };
  const q = h("input", { type: "search", name: "q", value: state.q, maxlength: 200, "aria-label": gettext("Search"), autocomplete: "off", class: "search-page-input" });
  const from = h("input", { type: "date", name: "from", value: state.from });
  const to = h("input", { type: "date", name: "to", value: state.to });
  const status = h(
    "select",
    { name: "status" },
    h("option", { value: "", text: gettext("Any status") }),
    h("option", { value: "resolved,closed,missed", text: gettext("Finished") }),
    h("option", { value: "open,handling", text: gettext("Ongoing") }),
  );
  /** @type {HTMLSelectElement} */ (status).value = state.status;
  const form = h(
    "form",
    { class: "search-form", role: "search" },
    q,
    h("label", {}, h("span", { text: gettext("From") }), from),
    h("label", {}, h("span", { text: gettext("To") }), to),
    h("label", {}, h("span", { text: gettext("Status") }), status),
    h("button", { type: "submit", class: "primary", text: gettext("Search") }),
  );
  const tabs = h("div", { class: "search-tabs", role: "tablist", "aria-label": gettext("What to search") });
  const results = h("ol", { class: "search-results", id: "search-results", "aria-live": "polite" });
  const more = h("button", { type: "button", text: gettext("More results"), hidden: true });
  const summary = h("p", { class: "muted small", role: "status" });
  clear(main, h("section", { class: "admin-page search-page" }, h("h1", { text: gettext("Search") }), form, tabs, summary, results, more));

  let nextOffset = /** @type {number|null} */ (null);

  const paintTabs = () => {
    clear(
      tabs,
      ...SCOPES().map(([value, label]) =>
        h("button", {
          type: "button",
          role: "tab",
          id: `search-tab-${value}`,
          "aria-selected": String(state.scope === value),
          "aria-controls": "search-results",
          tabindex: state.scope === value ? "0" : "-1",
          text: label,
          onclick: () => {
            state.scope = value;
            update();
          },
        }),
      ),
    );
  };
  tabs.addEventListener("keydown", (e) => {
    const keys = { ArrowRight: 1, ArrowLeft: -1 };
    if (!(e.key in keys)) return;
    const values = SCOPES().map(([v]) => v);
    state.scope = values[nextIndex(values.indexOf(state.scope), keys[/** @type {"ArrowRight"|"ArrowLeft"} */ (e.key)], values.length)];
    update();
    const tab = document.getElementById(`search-tab-${state.scope}`);
    if (tab) tab.focus();
  });

  /** @param {Result} r */
  const row = (r) =>
    h(
      "li",
      { class: "search-result" },
      h(
        "a",
        { href: resultHref(r), "data-nav": "" },
        h("span", { class: "search-result-head" }, r.channel ? channelIcon(r.channel.kind) : null, h("strong", { text: r.name }), h("span", { class: "muted small", text: resultLabel(r).replace(r.name, "").replace(/^ · /, "") })),
        r.topic ? h("span", { class: "search-topic small", text: r.topic }) : null,
        snippetView(r),
      ),
    );

  const load = async (/** @type {number} */ offset) => {
    if (!state.q.trim()) {
      clear(results);
      summary.textContent = gettext("Type words to search for: English, 中文, 日本語, ไทย…");
      more.hidden = true;
      return;
    }
    summary.textContent = gettext("Searching…");
    try {
      const page = await fetchResults(slot, { ...state, limit: 20, offset });
      if (!page) return;
      if (!offset) clear(results);
      page.results.forEach((r) => results.append(row(r)));
      nextOffset = page.next_offset;
      more.hidden = nextOffset === null;
      const count = results.children.length;
      summary.textContent = count ? interpolate(gettext("%(n)s results"), { n: count }) : gettext("Nothing found.");
    } catch (err) {
      summary.textContent = /** @type {any} */ (err).message;
    }
  };

  const update = () => {
    paintTabs();
    const url = `/app/search?${searchQuery(state)}`;
    if (location.pathname + location.search !== url) history.replaceState({}, "", url);
    load(0);
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    state.q = /** @type {HTMLInputElement} */ (q).value.trim();
    state.from = /** @type {HTMLInputElement} */ (from).value;
    state.to = /** @type {HTMLInputElement} */ (to).value;
    state.status = /** @type {HTMLSelectElement} */ (status).value;
    update();
  });
  more.addEventListener("click", () => {
    if (nextOffset !== null) load(nextOffset);
  });
  const box = /** @type {HTMLInputElement|null} */ (document.getElementById("search-input"));
  if (box && state.q) box.value = state.q;
  update();
  return () => {
    if (slot.controller) slot.controller.abort();
  };
}

/**
 * The room view opened from a search result (?message=<id>): that message scrolled into
 * view and highlighted for a moment.
 * @param {HTMLElement} root the room's message list
 * @param {string|null} messageId
 * @returns {boolean} found
 */
export function focusMessage(root, messageId) {
  if (!messageId || !/^\d+$/.test(messageId)) return false;
  const li = /** @type {HTMLElement|null} */ (root.querySelector(`li[data-id="${messageId}"]`));
  if (!li) return false;
  li.classList.add("search-hit");
  li.scrollIntoView({ block: "center" });
  li.focus({ preventScroll: true });
  return true;
}
