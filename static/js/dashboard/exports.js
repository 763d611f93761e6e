// @ts-check
// Export: ask for a file of enquiries, messages, notes or customers (CSV or XLSX) with
// History's filters, then follow it in the list of my exports (polled while any is being
// written) and download it until it expires. The server writes it in the background with
// my rights at that time (history/exports.py); only I can download it.
import { formatDateTime } from "../datetime.js";
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { clear, field, fileSize, h, toast } from "./dom.js";
import { FORMATS, KINDS, anyActive, exportFilters, isActive, kindLabel, statusText } from "./exports_state.js";

const POLL_MS = 1000;

/**
 * @param {string} url
 * @returns {Promise<any[]>} the list's results, or [] when it cannot be read
 */
async function options(url) {
  try {
    const got = await api("GET", url);
    return Array.isArray(got) ? got : got.results || [];
  } catch {
    return [];
  }
}

/**
 * A select of ``items`` ({id, label}) after an "any" option.
 * @param {string} name
 * @param {string} anyLabel
 * @param {{id: number | string, label: string}[]} items
 */
function choice(name, anyLabel, items) {
  return h(
    "select",
    { name },
    h("option", { value: "", text: anyLabel }),
    items.map((item) => h("option", { value: String(item.id), text: item.label })),
  );
}

/**
 * @param {HTMLElement} main
 * @returns {Promise<() => void>} stops polling when the page is left
 */
export async function render(main) {
  const [channels, tags, staff, conversationTags] = await Promise.all([
    options("/api/v1/channels"),
    options("/api/v1/tags"),
    options("/api/v1/staff"),
    options("/api/v1/conversation-tags"),
  ]);
  const kind = h("select", { name: "kind", required: true }, KINDS.map((k) => h("option", { value: k, text: kindLabel(k) })));
  const format = h("select", { name: "format", required: true }, FORMATS.map((f) => h("option", { value: f, text: f.toUpperCase() })));
  const from = h("input", { type: "date", name: "from" });
  const to = h("input", { type: "date", name: "to" });
  const ratings = [1, 2, 3, 4, 5].map((n) => ({ id: n, label: "★".repeat(n) }));
  // GET /api/v1/conversation-tags gives each tag's "Parent > Child" label, parents first.
  const conversationTagItems = conversationTags.map((t) => ({ id: t.id, label: t.label || (t.parent_name ? `${t.parent_name} > ${t.name}` : t.name) }));
  const submit = h("button", { type: "submit", class: "primary", text: gettext("Export") });
  const form = h(
    "form",
    { class: "export-form", "aria-label": gettext("New export") },
    h(
      "div",
      { class: "filters" },
      field(gettext("What"), kind),
      field(gettext("Format"), format),
      field(gettext("From"), from),
      field(gettext("To"), to),
      field(gettext("Channel"), choice("channel", gettext("any channel"), channels.map((c) => ({ id: c.id, label: c.name })))),
      field(gettext("Tag"), choice("tag", gettext("any tag"), tags.map((t) => ({ id: t.id, label: t.name })))),
      conversationTagItems.length
        ? field(gettext("Conversation tag"), choice("conversation_tag", gettext("any conversation tag"), conversationTagItems))
        : null,
      field(gettext("Owner"), choice("owner", gettext("anyone"), staff.map((s) => ({ id: s.id, label: s.display_name || s.email })))),
      field(gettext("Rating"), choice("rating", gettext("any rating"), ratings)),
      field(gettext("Customer"), h("input", { type: "text", name: "customer", inputmode: "numeric", pattern: "\\d*", size: 8, autocomplete: "off" }), gettext("The customer's number (optional).")),
    ),
    h("p", { class: "small muted", text: gettext("You get what you may see now: as an agent, the conversations you served and their customers. Files are kept for 7 days.") }),
    h("div", { class: "form-actions" }, submit),
  );
  const table = h("table", { class: "data-table exports-table" });
  const empty = h("p", { class: "muted small", text: gettext("No exports yet.") });
  clear(
    main,
    h(
      "section",
      { class: "admin-page exports-page" },
      h("div", { class: "section-head" }, h("h1", { text: gettext("Export") })),
      form,
      h("h2", { text: gettext("My exports") }),
      table,
      empty,
    ),
  );

  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let stopped = false;

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    /** @type {Record<string, string>} */
    const values = {};
    data.forEach((value, key) => {
      values[key] = String(value);
    });
    submit.disabled = true;
    try {
      await api("POST", "/api/v1/exports", { kind: values.kind, format: values.format, filters: exportFilters(values) });
      toast(gettext("Export requested. It appears below when it is ready."));
      await load();
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), "error");
    } finally {
      submit.disabled = false;
    }
  });

  /** @param {import("./exports_state.js").ExportItem} e */
  function row(e) {
    const progress = isActive(e)
      ? h("progress", { max: 100, value: e.progress, "aria-label": interpolate(gettext("Export %(id)s progress"), { id: e.id }) })
      : null;
    return h(
      "tr",
      { dataset: { export: String(e.id), status: e.status } },
      h("td", { text: formatDateTime(e.created_at) }),
      h("td", { text: kindLabel(e.kind) }),
      h("td", { text: e.format.toUpperCase() }),
      h("td", { class: "export-status" }, progress, " ", h("span", { text: statusText(e) })),
      h("td", { class: "num", text: String(e.rows) }),
      h("td", { text: e.status === "done" && !e.expired ? fileSize(e.size) : "" }),
      h("td", { text: e.expires_at ? formatDateTime(e.expires_at) : "" }),
      h(
        "td",
        {},
        e.download_url
          ? h("a", { href: e.download_url, download: "", class: "small-button", text: gettext("Download"), "aria-label": interpolate(gettext("Download export %(id)s"), { id: e.id }) })
          : "",
      ),
    );
  }

  async function load() {
    if (timer) clearTimeout(timer);
    timer = null;
    /** @type {import("./exports_state.js").ExportItem[]} */
    let list;
    try {
      list = (await api("GET", "/api/v1/exports", undefined, { background: true })).results;
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), "error");
      list = [];
    }
    if (stopped) return;
    empty.hidden = list.length > 0;
    table.hidden = list.length === 0;
    clear(
      table,
      h("caption", { class: "visually-hidden", text: gettext("My exports") }),
      h(
        "thead",
        {},
        h("tr", {}, [gettext("Requested"), gettext("What"), gettext("Format"), gettext("Status"), gettext("Rows"), gettext("Size"), gettext("Expires"), ""].map((t) => h("th", { scope: "col", text: t }))),
      ),
      h("tbody", {}, list.map(row)),
    );
    if (anyActive(list)) timer = setTimeout(load, POLL_MS);
  }

  await load();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
