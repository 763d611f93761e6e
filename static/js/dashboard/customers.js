// @ts-check
// Customers: the list (search as you type, a customer tag filter, paging) and a customer's
// profile (their fields, customer tags, notes and custom fields to edit; the channels and
// platform ids behind them; every conversation they had, each opening its room; customers
// who look like them, with Merge; and the merges that can still be undone). Agents see the
// customers they have served, admins all (the server decides: GET /api/v1/customers).
import { formatDateTime } from "../datetime.js";
import { gettext, interpolate, ngettext } from "../i18n.js";
import { api } from "./api.js";
import { channelIcon, clear, confirmDialog, field, h, toast } from "./dom.js";
import { eraseButton } from "./erase_customer.js";
import { customFieldsFrom, customerHref, enquiryHref, listQuery, reasonText } from "./customers_format.js";
import { app } from "./state.js";

const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 250;

/**
 * @param {HTMLElement} main
 * @param {RegExpMatchArray} match match[1]: a customer id, or undefined for the list
 * @param {URLSearchParams} params
 * @returns {Promise<(() => void) | null>}
 */
export async function render(main, match, params) {
  if (match[1]) return renderProfile(main, Number(match[1]));
  return renderList(main, params);
}

/** @returns {Promise<any[]>} */
async function customerTags() {
  try {
    const tags = await api("GET", "/api/v1/customer-tags");
    return Array.isArray(tags) ? tags : [];
  } catch (err) {
    toast(err.message, "error");
    return [];
  }
}

/**
 * @param {any[]} tags
 * @returns {HTMLElement}
 */
function tagChips(tags) {
  return h(
    "span",
    { class: "customer-tags" },
    tags.map((t) => {
      const chip = h("span", { class: "customer-tag", text: t.name });
      if (t.color) chip.style.borderColor = t.color; // CSSOM: allowed by the page's CSP, a style attribute is not
      return chip;
    }),
  );
}

// ------------------------------------------------------------------ the list

/**
 * @param {HTMLElement} main
 * @param {URLSearchParams} params
 * @returns {Promise<() => void>}
 */
async function renderList(main, params) {
  let page = 1;
  let gone = false;
  let timer = 0;
  let seq = 0;
  const search = /** @type {HTMLInputElement} */ (
    h("input", { type: "search", id: "customer-search", value: params.get("q") || "", maxlength: 200, autocomplete: "off", placeholder: gettext("Name, email, phone or platform id") })
  );
  const tag = /** @type {HTMLSelectElement} */ (h("select", { id: "customer-tag-filter" }, h("option", { value: "", text: gettext("any tag") })));
  const table = h("table", { class: "data-table customer-list" });
  const summary = h("p", { class: "small muted", role: "status" });
  const pager = h("nav", { class: "pager", "aria-label": gettext("Pages") });
  const filters = h("form", { class: "filters", role: "search", "aria-label": gettext("Find customers") }, field(gettext("Search"), search), field(gettext("Customer tag"), tag));
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    page = 1;
    load();
  });
  clear(main, h("section", { class: "list-view customers-page" }, h("h1", { text: gettext("Customers") }), filters, summary, table, pager));
  for (const t of await customerTags()) tag.append(h("option", { value: t.id, text: t.name }));
  if (params.get("tag")) tag.value = params.get("tag") || "";

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      page = 1;
      load();
    }, SEARCH_DELAY_MS);
  });
  tag.addEventListener("change", () => {
    page = 1;
    load();
  });

  async function load() {
    seq += 1;
    const mine = seq;
    let data;
    try {
      data = await api("GET", `/api/v1/customers?${listQuery({ q: search.value, tag: tag.value, page, pageSize: PAGE_SIZE })}`);
    } catch (err) {
      if (!gone) toast(err.message, "error");
      return;
    }
    if (gone || mine !== seq) return; // a newer search is on its way
    draw(data);
  }

  /** @param {any} data */
  function draw(data) {
    const rows = data.results || [];
    const head = [gettext("Name"), gettext("Email"), gettext("Phone"), gettext("Channels"), gettext("Tags"), gettext("Conversations"), gettext("Last seen")];
    clear(
      table,
      h("caption", { class: "visually-hidden", text: gettext("Customers") }),
      h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col", text: t })))),
      h(
        "tbody",
        {},
        rows.map((c) => {
          const href = customerHref(c.id);
          const tr = h(
            "tr",
            { class: "clickable", dataset: { customer: c.id } },
            h("td", {}, h("a", { href, "data-nav": true, class: "row-link", text: c.name })),
            h("td", { text: c.email || "—" }),
            h("td", { text: c.phone || "—" }),
            h("td", {}, c.channels.map((/** @type {string} */ k) => [channelIcon(k), " "])),
            h("td", {}, tagChips(c.tags)),
            h("td", { text: c.enquiry_count }),
            h("td", { text: c.last_seen_at ? formatDateTime(c.last_seen_at) : "—" }),
          );
          tr.addEventListener("click", (event) => {
            if (/** @type {HTMLElement} */ (event.target).closest("a, button")) return;
            app.navigate(href);
          });
          return tr;
        }),
      ),
    );
    const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
    summary.textContent = data.count
      ? interpolate(ngettext("%(count)s customer · page %(page)s of %(pages)s", "%(count)s customers · page %(page)s of %(pages)s", data.count), { count: data.count, page, pages })
      : gettext("No customers found.");
    clear(
      pager,
      h("button", { type: "button", class: "small-button", disabled: !data.previous, text: gettext("← Previous"), onclick: () => ((page -= 1), load()) }),
      h("button", { type: "button", class: "small-button", disabled: !data.next, text: gettext("Next →"), onclick: () => ((page += 1), load()) }),
    );
  }

  await load();
  return () => {
    gone = true;
    clearTimeout(timer);
  };
}

// ------------------------------------------------------------------ one customer

/**
 * @param {HTMLElement} main
 * @param {number} id
 * @returns {Promise<() => void>}
 */
async function renderProfile(main, id) {
  let gone = false;
  const allTags = await customerTags();
  const title = h("h1", { text: gettext("Customer") });
  // Admins: Erase… (an erased customer is listed nowhere: back to the list after it).
  const tools = h("div", { class: "customer-tools" });
  const back = h("a", { href: "/app/customers", "data-nav": true, class: "small", text: gettext("← All customers") });
  const profile = h("section", { class: "customer-profile", "aria-label": gettext("Profile") });
  const identities = h("section", { class: "customer-identities", "aria-labelledby": "customer-identities-h" });
  const record = h("section", { class: "customer-record", "aria-labelledby": "customer-record-h" });
  const duplicates = h("section", { class: "customer-duplicates", "aria-labelledby": "customer-duplicates-h" });
  const merges = h("section", { class: "customer-merges", "aria-labelledby": "customer-merges-h" });
  clear(main, h("div", { class: "customer-page admin-page" }, back, title, tools, h("div", { class: "customer-columns" }, h("div", {}, profile, merges, identities), h("div", {}, record, duplicates))));

  async function load() {
    let customer;
    try {
      customer = await api("GET", `/api/v1/customers/${id}`);
    } catch (err) {
      if (!gone) clear(main, back, h("h1", { text: gettext("Customer") }), h("p", { class: "form-error", role: "alert", text: err.message }));
      return;
    }
    if (gone) return;
    title.textContent = customer.display_name;
    const erase = eraseButton({ id: customer.id, name: customer.display_name, erased_at: customer.erased_at }, () => app.navigate("/app/customers"));
    tools.replaceChildren(...(erase ? [erase] : []));
    drawProfile(customer);
    drawMerges(customer);
    drawIdentities(customer);
    await Promise.all([loadRecord(), loadDuplicates()]);
  }

  /** @param {any} c */
  function drawProfile(c) {
    const name = /** @type {HTMLInputElement} */ (h("input", { name: "name", value: c.name, maxlength: 200, autocomplete: "off" }));
    const email = /** @type {HTMLInputElement} */ (h("input", { name: "email", type: "email", value: c.email, maxlength: 254, autocomplete: "off" }));
    const phone = /** @type {HTMLInputElement} */ (h("input", { name: "phone", type: "tel", value: c.phone, maxlength: 40, autocomplete: "off" }));
    const notes = /** @type {HTMLTextAreaElement} */ (h("textarea", { name: "notes", rows: 4, maxlength: 10000 }));
    notes.value = c.notes;
    const chosen = new Set(c.tags.map((/** @type {any} */ t) => t.id));
    const tagBoxes = h(
      "fieldset",
      { class: "customer-tag-choice" },
      h("legend", { text: gettext("Customer tags") }),
      allTags.length
        ? allTags.map((t) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "tags", value: t.id, checked: chosen.has(t.id) }), " ", t.name))
        : h("p", { class: "small muted", text: app.me.is_admin ? gettext("No customer tags yet: create them below.") : gettext("No customer tags yet.") }),
    );
    const fieldRows = h("div", { class: "custom-field-rows" });
    /** @param {{name: string, value: string}} f */
    const addRow = (f) => {
      const rowName = h("input", { class: "cf-name", value: f.name, maxlength: 60, "aria-label": gettext("Field name"), placeholder: gettext("Name") });
      const rowValue = h("input", { class: "cf-value", value: f.value, maxlength: 500, "aria-label": gettext("Field value"), placeholder: gettext("Value") });
      const row = h("div", { class: "custom-field-row" }, rowName, rowValue);
      row.append(h("button", { type: "button", class: "small-button", text: gettext("Remove"), "aria-label": gettext("Remove field"), onclick: () => row.remove() }));
      fieldRows.append(row);
    };
    (c.custom_fields || []).forEach(addRow);
    const addField = h("button", { type: "button", class: "small-button", text: gettext("Add field"), onclick: () => addRow({ name: "", value: "" }) });
    const problem = h("p", { class: "form-error", role: "alert", hidden: true });
    const save = h("button", { type: "submit", class: "primary", text: gettext("Save customer") });
    const form = h(
      "form",
      { class: "customer-form", "aria-label": gettext("Customer information") },
      field(gettext("Name"), name),
      field(gettext("Email"), email),
      field(gettext("Phone"), phone),
      tagBoxes,
      h("fieldset", {}, h("legend", { text: gettext("Custom fields") }), fieldRows, addField),
      field(gettext("Notes about the customer"), notes),
      problem,
      h("div", { class: "actions" }, save),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      problem.hidden = true;
      const rows = [...fieldRows.querySelectorAll(".custom-field-row")].map((row) => ({
        name: /** @type {HTMLInputElement} */ (row.querySelector(".cf-name")).value,
        value: /** @type {HTMLInputElement} */ (row.querySelector(".cf-value")).value,
      }));
      const custom = customFieldsFrom(rows);
      if (custom.error) {
        problem.textContent = custom.error;
        problem.hidden = false;
        return;
      }
      const tags = [...form.querySelectorAll('input[name="tags"]:checked')].map((box) => Number(/** @type {HTMLInputElement} */ (box).value));
      save.disabled = true;
      try {
        const saved = await api("PATCH", `/api/v1/customers/${id}`, { name: name.value, email: email.value, phone: phone.value, notes: notes.value, custom_fields: custom.fields, tags });
        title.textContent = saved.display_name;
        toast(gettext("Customer saved."));
        drawProfile(saved);
      } catch (err) {
        problem.textContent = err.message;
        problem.hidden = false;
      } finally {
        save.disabled = false;
      }
    });
    clear(profile, h("h2", { text: gettext("Profile") }), form, app.me.is_admin ? newTagForm() : null);
  }

  function newTagForm() {
    const input = /** @type {HTMLInputElement} */ (h("input", { name: "tag", maxlength: 60, required: true, autocomplete: "off" }));
    const form = h("form", { class: "inline-form new-customer-tag", "aria-label": gettext("New customer tag") }, field(gettext("New customer tag"), input), h("button", { type: "submit", class: "small-button", text: gettext("Create tag") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const tag = await api("POST", "/api/v1/customer-tags", { name: input.value });
        allTags.push(tag);
        allTags.sort((a, b) => a.name.localeCompare(b.name));
        toast(interpolate(gettext("Customer tag %(name)s created."), { name: tag.name }));
        await load();
      } catch (err) {
        toast(err.message, "error");
      }
    });
    return form;
  }

  /** @param {any} c */
  function drawMerges(c) {
    if (!c.merges.length) {
      clear(merges);
      return;
    }
    clear(
      merges,
      h("h2", { id: "customer-merges-h", text: gettext("Merged customers") }),
      h(
        "ul",
        { class: "plain-list" },
        c.merges.map((/** @type {any} */ m) =>
          h(
            "li",
            { dataset: { merge: m.id } },
            interpolate(gettext("%(name)s, merged %(when)s by %(who)s. "), { name: m.other_name, when: formatDateTime(m.created_at), who: m.actor || "—" }),
            h("span", { class: "small muted", text: interpolate(gettext("Can be undone until %(when)s."), { when: formatDateTime(m.undo_until) }) }),
            " ",
            h("button", { type: "button", class: "small-button", text: gettext("Undo merge"), onclick: () => undo(m) }),
          ),
        ),
      ),
    );
  }

  /** @param {any} m */
  async function undo(m) {
    if (!(await confirmDialog(gettext("Undo merge"), interpolate(gettext("Separate %(name)s again, with their conversations?"), { name: m.other_name }), gettext("Undo merge")))) return;
    try {
      await api("POST", `/api/v1/customers/${id}/merges/${m.id}/undo`);
      toast(gettext("Merge undone."));
      await load();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  /** @param {any} c */
  function drawIdentities(c) {
    clear(
      identities,
      h("h2", { id: "customer-identities-h", text: gettext("Channels and identities") }),
      h(
        "ul",
        { class: "plain-list" },
        c.identities.map((/** @type {any} */ i) =>
          h(
            "li",
            {},
            i.channel ? [channelIcon(i.channel.kind), ` ${i.channel.name}`] : gettext("No channel"),
            i.channel_identity ? h("code", { class: "small", text: ` ${i.channel_identity}` }) : "",
            " — ",
            [i.name, i.email, i.phone].filter(Boolean).join(" · "),
          ),
        ),
      ),
    );
  }

  async function loadRecord() {
    let data;
    try {
      data = await api("GET", `/api/v1/customers/${id}/enquiries?page_size=100`);
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    if (gone) return;
    const me = { isAdmin: Boolean(app.me.is_admin), memberOf: (/** @type {number} */ room) => app.rooms.has(room) };
    const head = [gettext("Started"), gettext("Channel"), gettext("Status"), gettext("Topic / first message"), gettext("Owner"), gettext("Rating"), ""];
    clear(
      record,
      h("h2", { id: "customer-record-h", text: interpolate(ngettext("%(count)s conversation", "%(count)s conversations", data.count), { count: data.count }) }),
      h(
        "table",
        { class: "data-table customer-enquiries" },
        h("caption", { class: "visually-hidden", text: gettext("Conversations") }),
        h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col", text: t })))),
        h(
          "tbody",
          {},
          data.results.map((/** @type {any} */ e) => {
            const href = enquiryHref(e, me);
            return h(
              "tr",
              { dataset: { enquiry: e.id } },
              h("td", { text: formatDateTime(e.created_at) }),
              h("td", {}, channelIcon(e.via), ` ${e.channel.name}`),
              h("td", {}, h("span", { class: `status status-${e.status}`, text: gettext(e.status) })),
              h("td", { class: "clip", text: e.topic || e.first_message, title: e.topic || e.first_message }),
              h("td", { text: e.owner ? e.owner.display_name : "—" }),
              h("td", { text: e.rating ? "★".repeat(e.rating) : "—" }),
              h("td", {}, href ? h("a", { href, "data-nav": true, text: gettext("Open conversation") }) : h("span", { class: "small muted", text: gettext("not yours") })),
            );
          }),
        ),
      ),
    );
  }

  async function loadDuplicates() {
    let data;
    try {
      data = await api("GET", `/api/v1/customers/${id}/duplicates`);
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    if (gone) return;
    const found = data.results || [];
    clear(
      duplicates,
      h("h2", { id: "customer-duplicates-h", text: gettext("Possible duplicates") }),
      found.length
        ? h(
            "ul",
            { class: "plain-list duplicate-list" },
            found.map((/** @type {any} */ d) =>
              h(
                "li",
                { dataset: { customer: d.id } },
                h("a", { href: customerHref(d.id), "data-nav": true, text: d.name }),
                " ",
                h("span", { class: "small muted", text: `(${reasonText(d.reasons)}; ${[d.email, d.phone].filter(Boolean).join(" · ") || "—"})` }),
                " ",
                h("button", { type: "button", class: "small-button", text: gettext("Merge"), "aria-label": interpolate(gettext("Merge %(name)s into this customer"), { name: d.name }), onclick: () => merge(d) }),
              ),
            ),
          )
        : h("p", { class: "small muted", text: gettext("No customer looks like this one.") }),
    );
  }

  /** @param {any} d */
  async function merge(d) {
    const text = interpolate(gettext("Merge %(name)s into this customer? Their conversations, channels and tags move here. You can undo it for 30 days."), { name: d.name });
    if (!(await confirmDialog(gettext("Merge customers"), text, gettext("Merge")))) return;
    try {
      await api("POST", `/api/v1/customers/${id}/merge`, { other: d.id });
      toast(gettext("Customers merged."));
      await load();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  await load();
  return () => {
    gone = true;
  };
}
