// Admin set-up pages: staff, tags, channels and destinations, settings.
import { api } from "./api.js";
import { clear, field, formDialog, h, toast } from "./dom.js";
import { gettext, interpolate } from "../i18n.js";
import { app } from "./state.js";

export async function render(main, match) {
  const section = match[1];
  const pages = { staff: staffPage, tags: tagsPage, channels: channelsPage, settings: settingsPage };
  await pages[section](main);
  return null;
}

/**
 * Send a change; on success say so and redraw the page, else show the refusal.
 * @param {() => Promise<unknown>} call
 * @param {string} message
 * @param {() => unknown} redraw
 */
async function saved(call, message, redraw) {
  try {
    await call();
    toast(message);
    redraw();
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
  }
}

function tagChecks(tags, selected = []) {
  const box = h("fieldset", { class: "checks" }, h("legend", { text: "Tags" }));
  tags.forEach((t) => box.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "tags", value: t.name, checked: selected.includes(t.name) }), ` ${t.name}`)));
  if (!tags.length) box.append(h("p", { class: "small muted", text: "No tags yet." }));
  return box;
}

function roleSelect(value = "agent") {
  return h("select", { name: "role" }, ["agent", "admin"].map((r) => h("option", { value: r, text: r, selected: r === value })));
}

async function staffPage(main) {
  const [{ results: staff }, { results: tags }] = await Promise.all([api("GET", "/api/v1/staff"), api("GET", "/api/v1/tags")]);
  const add = h("button", { type: "button", class: "primary", text: "Add staff member" });
  add.addEventListener("click", async () => {
    const data = await formDialog(
      "Add staff member",
      (form) => {
        form.append(field("Email", h("input", { name: "email", type: "email", required: true })));
        form.append(field("Display name", h("input", { name: "display_name" })));
        form.append(field("Password", h("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" })));
        form.append(field("Role", roleSelect()));
        form.append(field("Concurrent enquiry limit", h("input", { name: "max_concurrent", type: "number", min: 1, max: 100, value: 5 })));
        form.append(tagChecks(tags));
      },
      "Create",
    );
    if (!data) return;
    await saved(() => api("POST", "/api/v1/staff", {
        email: data.get("email"),
        display_name: data.get("display_name"),
        password: data.get("password"),
        role: data.get("role"),
        max_concurrent: Number(data.get("max_concurrent") || 5),
        tags: data.getAll("tags"),
      }), "Staff member created.", () => staffPage(main));
  });

  async function edit(s) {
    const data = await formDialog(`Edit ${s.display_name || s.email}`, (form) => {
      form.append(field("Display name", h("input", { name: "display_name", value: s.display_name })));
      form.append(field("Role", roleSelect(s.role)));
      form.append(field("Concurrent enquiry limit", h("input", { name: "max_concurrent", type: "number", min: 1, max: 100, value: s.max_concurrent })));
      form.append(field("New password", h("input", { name: "password", type: "password", minlength: 8, autocomplete: "new-password" }), "Leave empty to keep the current one."));
      form.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "is_active", checked: s.is_active }), " Active account (unchecked: deactivated, logged out)"));
      form.append(tagChecks(tags, s.tags));
    });
    if (!data) return;
    const body = {
      display_name: data.get("display_name"),
      role: data.get("role"),
      max_concurrent: Number(data.get("max_concurrent")),
      is_active: data.get("is_active") === "on",
      tags: data.getAll("tags"),
    };
    if (data.get("password")) body.password = data.get("password");
    await saved(() => api("PATCH", `/api/v1/staff/${s.id}`, body), "Saved.", () => staffPage(main));
  }

  clear(
    main,
    h(
      "section",
      { class: "admin-page" },
      h("div", { class: "section-head" }, h("h1", { text: "Staff" }), add),
      h(
        "table",
        { class: "data-table" },
        h("thead", {}, h("tr", {}, ["Name", "Email", "Role", "Availability", "Limit", "Tags", "Account", ""].map((t) => h("th", { scope: "col", text: t })))),
        h(
          "tbody",
          {},
          staff.map((s) =>
            h(
              "tr",
              { class: s.is_active ? "" : "inactive" },
              h("td", { text: s.display_name }),
              h("td", { text: s.email }),
              h("td", { text: s.role }),
              h("td", {}, h("span", { class: `dot av-${s.availability}`, "aria-hidden": "true" }), ` ${s.availability}`),
              h("td", { text: s.max_concurrent }),
              h("td", { text: s.tags.join(", ") }),
              h("td", { text: s.is_active ? "active" : "deactivated" }),
              h("td", {}, h("button", { type: "button", class: "small-button", text: "Edit", "aria-label": `Edit ${s.display_name || s.email}`, onclick: () => edit(s) })),
            ),
          ),
        ),
      ),
    ),
  );
}

async function tagsPage(main) {
  const { results: tags } = await api("GET", "/api/v1/tags");
  const name = h("input", { name: "name", required: true, maxlength: 80 });
  const form = h("form", { class: "inline-form", "aria-label": "New tag" }, field("New tag", name), h("button", { type: "submit", class: "primary", text: "Add tag" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await saved(() => api("POST", "/api/v1/tags", { name: name.value.trim() }), "Tag created.", () => tagsPage(main));
  });
  clear(main, h("section", { class: "admin-page" }, h("h1", { text: "Tags" }), h("p", { class: "muted", text: "A tag is a team: a visitor choosing it reaches every ACTIVE member." }), form, h("ul", { class: "tag-list" }, tags.map((t) => tagRow(t, () => tagsPage(main))))));
}

/**
 * A tag in the Tags page: its name, whether it has custom info, and the dialog that sets it
 * (a tag's custom info wins over the channel's for enquiries to the tag).
 * @param {{id: number, name: string, custom_info?: string}} t
 * @param {() => unknown} redraw
 */
function tagRow(t, redraw) {
  const edit = h("button", { type: "button", class: "small-button", text: gettext("Custom info"), "aria-label": interpolate(gettext("Custom info of %(tag)s"), { tag: t.name }) });
  edit.addEventListener("click", async () => {
    const data = await formDialog(interpolate(gettext("Custom info of %(tag)s"), { tag: t.name }), (form) => {
      form.append(h("p", { class: "small muted", text: gettext("Shown to staff when an enquiry to this tag starts, instead of the channel's custom info. Never shown on a staff member's personal web link.") }));
      form.append(customInfoField(t.custom_info || ""));
    });
    if (!data) return;
    await saved(() => api("PATCH", `/api/v1/tags/${t.id}`, { custom_info: data.get("custom_info") }), gettext("Custom info saved."), redraw);
  });
  const note = t.custom_info ? h("small", { class: "muted", text: ` · ${gettext("has custom info")}` }) : null;
  return h("li", { dataset: { tag: t.id } }, h("span", { class: "tag-name", text: t.name }), note, " ", edit);
}

function customInfoField(value = "") {
  const area = h("textarea", { name: "custom_info", rows: 6 });
  area.value = value;
  const counter = h("small", { class: "counter", "aria-live": "polite" });
  const paint = () => {
    const n = area.value.length;
    const CUSTOM_INFO_MAX = app.boot.custom_info_max_chars;
    counter.textContent = `${n.toLocaleString()} / ${CUSTOM_INFO_MAX.toLocaleString()} characters${n > CUSTOM_INFO_MAX ? " — too long" : ""}`;
    counter.classList.toggle("over", n > CUSTOM_INFO_MAX);
    area.setCustomValidity(n > CUSTOM_INFO_MAX ? `Custom info is limited to ${CUSTOM_INFO_MAX.toLocaleString()} characters.` : "");
  };
  area.addEventListener("input", paint);
  paint();
  const wrap = field("Custom info (shown to staff when the enquiry starts)", area);
  wrap.append(counter);
  return wrap;
}

async function channelsPage(main) {
  const [{ results: channels }, { results: tags }, { results: staff }] = await Promise.all([
    api("GET", "/api/v1/channels"),
    api("GET", "/api/v1/tags"),
    api("GET", "/api/v1/staff"),
  ]);
  const destinationSelect = (c) => {
    const select = h("select", { name: "destination", required: true });
    select.append(h("optgroup", { label: "Tag (broadcast)" }, tags.map((t) => h("option", { value: `tag:${t.id}`, text: t.name, selected: c && c.destination_tag === t.id }))));
    select.append(h("optgroup", { label: "Staff member (direct)" }, staff.filter((s) => s.is_active).map((s) => h("option", { value: `staff:${s.id}`, text: s.display_name || s.email, selected: c && c.destination_staff === s.id }))));
    return select;
  };
  const fromForm = (data) => {
    const [kind, id] = String(data.get("destination")).split(":");
    const body = {
      name: data.get("name"),
      welcome_message: data.get("welcome_message") || "",
      custom_info: data.get("custom_info") || "",
    };
    body[kind === "tag" ? "destination_tag" : "destination_staff"] = Number(id);
    const slug = String(data.get("weblink_slug") || "").trim();
    body.weblink_slug = slug || null;
    const domains = String(data.get("allowed_domains") || "").split(/[\s,]+/).filter(Boolean);
    body.allowed_domains = domains;
    return body;
  };
  const build = (c) => (form) => {
    if (!c) form.append(field("Kind", h("select", { name: "kind" }, ["widget", "weblink", "messenger", "whatsapp", "line", "wechat", "email"].map((k) => h("option", { value: k, text: k })))));
    form.append(field("Name", h("input", { name: "name", required: true, maxlength: 120, value: c ? c.name : "" })));
    form.append(field("Destination", destinationSelect(c)));
    const welcome = h("textarea", { name: "welcome_message", rows: 2 });
    welcome.value = c ? c.welcome_message : "";
    form.append(field("Welcome message", welcome));
    form.append(customInfoField(c ? c.custom_info : ""));
    form.append(field("Web link slug (for /l/<slug> and its QR code)", h("input", { name: "weblink_slug", maxlength: 60, pattern: "[a-z0-9-]*", value: c && c.weblink_slug ? c.weblink_slug : "" })));
    form.append(field("Domains allowed to embed the widget (comma separated; empty: any)", h("input", { name: "allowed_domains", value: c && c.allowed_domains ? c.allowed_domains.join(", ") : "" })));
    if (c) form.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "is_active", checked: c.is_active }), " Active"));
  };
  const add = h("button", { type: "button", class: "primary", text: "Add channel" });
  add.addEventListener("click", async () => {
    const data = await formDialog("Add channel", build(null), "Create");
    if (!data) return;
    await saved(() => api("POST", "/api/v1/channels", { kind: data.get("kind"), ...fromForm(data) }), "Channel created.", () => channelsPage(main));
  });
  const edit = async (c) => {
    const data = await formDialog(`Edit ${c.name}`, build(c));
    if (!data) return;
    await saved(() => api("PATCH", `/api/v1/channels/${c.id}`, { ...fromForm(data), is_active: data.get("is_active") === "on" }), "Saved.", () => channelsPage(main));
  };
  clear(
    main,
    h(
      "section",
      { class: "admin-page" },
      h("div", { class: "section-head" }, h("h1", { text: "Channels and destinations" }), add),
      h(
        "table",
        { class: "data-table" },
        h("thead", {}, h("tr", {}, ["Name", "Kind", "Destination", "Key", "Links", "Welcome message", "Custom info", "State", ""].map((t) => h("th", { scope: "col", text: t })))),
        h(
          "tbody",
          {},
          channels.map((c) =>
            h(
              "tr",
              {},
              h("td", { text: c.name }),
              h("td", { text: c.kind }),
              h("td", { text: `${c.destination.name} (${c.destination.type})` }),
              h("td", {}, h("code", { text: c.key })),
              h("td", { class: "links" }, channelLinks(c)),
              h("td", { class: "clip", text: c.welcome_message }),
              h("td", { text: `${c.custom_info.length.toLocaleString()} chars` }),
              h("td", { text: c.is_active ? "active" : "off" }),
              h("td", {}, h("button", { type: "button", class: "small-button", text: "Edit", "aria-label": `Edit channel ${c.name}`, onclick: () => edit(c) })),
            ),
          ),
        ),
      ),
    ),
  );
}

// The ways in to a channel: its web link with QR codes to download, the widget snippet,
// the webhook URL to enter in a platform's console.
function channelLinks(c) {
  const items = [];
  if (c.weblink_url) {
    items.push(h("a", { href: c.weblink_url, target: "_blank", rel: "noopener", text: c.weblink_url }));
    items.push(h("a", { href: c.qr_png_url, download: `${c.weblink_slug}.png`, text: "QR PNG" }));
    items.push(h("a", { href: c.qr_svg_url, download: `${c.weblink_slug}.svg`, text: "QR SVG" }));
  }
  if (c.kind === "widget") {
    const snippet = `<script src="${location.origin}/static/widget/loader.js" data-channel="${c.key}" async></script>`;
    const copy = h("button", { type: "button", class: "small-button", text: "Copy embed code", "aria-label": `Copy the embed code of ${c.name}` });
    copy.addEventListener("click", () => navigator.clipboard.writeText(snippet).then(() => toast("Embed code copied.")));
    items.push(copy);
  }
  if (c.webhook_url) items.push(h("code", { text: `${location.origin}${c.webhook_url}` }));
  return h("div", { class: "link-list" }, items);
}

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

async function settingsPage(main) {
  const s = await api("GET", "/api/v1/settings");
  const form = h("form", { class: "settings-form", "aria-label": "Settings" });
  const autoClose = h("input", { type: "checkbox", name: "auto_close_enabled", checked: s.auto_close_enabled });
  const minutes = h("input", { type: "number", name: "auto_close_minutes", min: 1, max: 10080, value: s.auto_close_minutes });
  const ratings = h("input", { type: "checkbox", name: "ratings_visible_to_agents", checked: s.ratings_visible_to_agents });
  const keepOpen = h("input", { type: "checkbox", name: "agents_may_keep_open", checked: s.agents_may_keep_open });
  const company = h("input", { name: "company_name", value: s.company_name || "", maxlength: 120 });
  const wh = s.work_hours || null;
  const hoursOn = h("input", { type: "checkbox", name: "work_hours_on", checked: !!wh });
  const tz = h("input", { name: "timezone", value: wh ? wh.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" });
  const grid = h("fieldset", { class: "work-hours" }, h("legend", { text: "Work hours (one span per day; empty = closed)" }));
  const dayInputs = {};
  for (const d of DAYS) {
    const span = wh && wh.days && wh.days[d] && wh.days[d][0];
    const from = h("input", { type: "time", value: span ? span[0] : "", "aria-label": `${d} from` });
    const to = h("input", { type: "time", value: span ? span[1] : "", "aria-label": `${d} to` });
    dayInputs[d] = [from, to];
    grid.append(h("div", { class: "day" }, h("span", { class: "day-name", text: d }), from, " – ", to));
  }
  form.append(
    h("h2", { text: "Enquiries" }),
    h("label", { class: "check" }, autoClose, " Close resolved enquiries automatically"),
    field("Auto-close after (minutes)", minutes),
    h("label", { class: "check" }, keepOpen, " ", gettext("Agents may keep a resolved enquiry open (no auto-close)")),
    h("label", { class: "check" }, ratings, " Agents may see ratings"),
    field("Company name", company),
    h("h2", { text: "Work hours" }),
    h("label", { class: "check" }, hoursOn, " Limit enquiries to work hours (outside them enquiries are missed at once)"),
    field("Time zone", tz, "For example Europe/Berlin"),
    grid,
    h("button", { type: "submit", class: "primary", text: "Save settings" }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      auto_close_enabled: autoClose.checked,
      auto_close_minutes: Number(minutes.value),
      ratings_visible_to_agents: ratings.checked,
      agents_may_keep_open: keepOpen.checked,
      company_name: company.value,
      work_hours: null,
    };
    if (hoursOn.checked) {
      const days = {};
      for (const d of DAYS) {
        const [from, to] = dayInputs[d];
        days[d] = from.value && to.value ? [[from.value, to.value]] : [];
      }
      body.work_hours = { timezone: tz.value.trim(), days };
    }
    try {
      await api("PATCH", "/api/v1/settings", body);
      toast("Settings saved.");
    } catch (err) {
      toast(err.message, "error");
    }
  });
  clear(main, h("section", { class: "admin-page" }, h("h1", { text: "Settings" }), form));
}
