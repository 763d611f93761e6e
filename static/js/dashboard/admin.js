// Admin set-up pages: staff, tags, channels and destinations, settings.
import { api, ApiError } from "./api.js";
import { identitySection } from "./channel_identity.js";
import { clear, field, formDialog, h, toast, uid } from "./dom.js";
import { gettext, interpolate, pgettext } from "../i18n.js";
import { app, on } from "./state.js";

export async function render(main, match) {
  const section = match[1];
  const pages = { staff: staffPage, tags: tagsPage, channels: channelsPage, settings: settingsPage };
  await pages[section](main);
  // The staff page follows availability live (the admins' group gets staff.availability);
  // a reconnect may have missed some: the page is drawn again then.
  if (section === "staff") {
    const stops = [
      on("staff.availability", (data) => paintAvailability(main, data.staff_id, data.availability)),
      on("socket.open", () => staffPage(main)),
    ];
    return () => stops.forEach((stop) => stop());
  }
  return null;
}

const AVAILABILITY = {
  active: () => gettext("active"),
  busy: () => gettext("busy"),
  away: () => gettext("away"),
  offline: () => gettext("offline"),
};

function availabilityCell(availability) {
  const label = AVAILABILITY[availability] ? AVAILABILITY[availability]() : availability;
  return [h("span", { class: `dot av-${availability}`, "aria-hidden": "true" }), ` ${label}`];
}

function paintAvailability(main, staffId, availability) {
  const cell = main.querySelector(`tr[data-staff-id="${Number(staffId)}"] td.availability`);
  if (!cell) return;
  clear(cell, ...availabilityCell(availability));
  cell.dataset.availability = availability;
}

/**
 * A form dialog that stays open until the server accepts: send(data) is called on Save;
 * a refusal is shown in the dialog, its field messages on their fields (input names are
 * the API's field names, e.g. "weblink_slug", "credentials.phone_number_id").
 * Resolves with send's answer, or null when cancelled.
 * @param {string} title
 * @param {(form: HTMLFormElement) => void} build
 * @param {string} okLabel
 * @param {(data: FormData, form: HTMLFormElement) => Promise<any>} send
 * @param {{wide?: boolean}} [options]
 */
function submitDialog(title, build, okLabel, send, { wide = false } = {}) {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const form = /** @type {HTMLFormElement} */ (h("form", { novalidate: false }, h("h2", { id: titleId, text: title })));
    const summary = h("p", { class: "form-error", role: "alert", hidden: true });
    form.append(summary);
    build(form);
    const ok = h("button", { type: "submit", class: "primary", text: okLabel });
    const cancel = h("button", { type: "button", text: gettext("Cancel") });
    form.append(h("div", { class: "actions" }, cancel, ok));
    const dialog = h("dialog", { class: wide ? "dialog wide" : "dialog", "aria-labelledby": titleId }, form);
    let result = null;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form, summary);
      ok.disabled = true;
      try {
        result = await send(new FormData(form), form);
        dialog.close();
      } catch (err) {
        showErrors(form, summary, err);
      } finally {
        ok.disabled = false;
      }
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      resolve(result);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    /** @type {HTMLElement | null} */
    const first = form.querySelector("input, select, textarea");
    if (first) first.focus();
  });
}

function clearErrors(form, summary) {
  summary.hidden = true;
  summary.textContent = "";
  form.querySelectorAll(".field-error").forEach((el) => el.remove());
  form.querySelectorAll("[aria-invalid]").forEach((el) => {
    el.removeAttribute("aria-invalid");
    const ids = (el.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
    else el.removeAttribute("aria-describedby");
  });
}

/** One message per refusal: on its field where the form has one, else above the form. */
function showErrors(form, summary, err) {
  const body = err instanceof ApiError && err.body && typeof err.body === "object" ? err.body : {};
  let placed = 0;
  for (const [key, messages] of Object.entries(body)) {
    if (key === "detail" || !Array.isArray(messages)) continue;
    const input = form.querySelector(`[name="${CSS.escape(key)}"]`);
    if (!input) continue;
    const error = h("small", { class: "field-error", id: `${input.id || uid("f")}-error`, text: messages.join(" ") });
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${error.id}`.trim());
    (input.closest(".field") || input.parentElement).append(error);
    if (placed === 0) /** @type {HTMLElement} */ (input).focus();
    placed += 1;
  }
  if (!placed) {
    summary.textContent = err instanceof Error ? err.message : String(err);
    summary.hidden = false;
  }
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
  const box = h("fieldset", { class: "checks" }, h("legend", { text: gettext("Tags") }));
  tags.forEach((t) => box.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "tags", value: t.name, checked: selected.includes(t.name) }), ` ${t.name}`)));
  if (!tags.length) box.append(h("p", { class: "small muted", text: gettext("No tags yet.") }));
  return box;
}

const ROLE_LABELS = {
  agent: () => gettext("agent"),
  admin: () => gettext("admin"),
};

function roleLabel(role) {
  return ROLE_LABELS[role] ? ROLE_LABELS[role]() : role;
}

function roleSelect(value = "agent") {
  return h("select", { name: "role" }, ["agent", "admin"].map((r) => h("option", { value: r, text: roleLabel(r), selected: r === value })));
}

async function staffPage(main) {
  const [{ results: staff }, { results: tags }] = await Promise.all([api("GET", "/api/v1/staff"), api("GET", "/api/v1/tags")]);
  const add = h("button", { type: "button", class: "primary", text: gettext("Add staff member") });
  // Refusals (a taken email, a weak password) stay in the dialog, on their field.
  add.addEventListener("click", async () => {
    const created = await submitDialog(
      gettext("Add staff member"),
      (form) => {
        form.append(field(gettext("Email"), h("input", { name: "email", type: "email", required: true })));
        form.append(field(gettext("Display name"), h("input", { name: "display_name" })));
        form.append(field(gettext("Password"), h("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" })));
        form.append(field(gettext("Role"), roleSelect()));
        form.append(field(gettext("Concurrent enquiry limit"), h("input", { name: "max_concurrent", type: "number", min: 1, max: 100, value: 5 })));
        form.append(tagChecks(tags));
      },
      gettext("Create"),
      (data) =>
        api("POST", "/api/v1/staff", {
          email: data.get("email"),
          display_name: data.get("display_name"),
          password: data.get("password"),
          role: data.get("role"),
          max_concurrent: Number(data.get("max_concurrent") || 5),
          tags: data.getAll("tags"),
        }),
    );
    if (!created) return;
    toast(gettext("Staff member created."));
    staffPage(main);
  });

  async function edit(s) {
    const done = await submitDialog(
      interpolate(gettext("Edit %(name)s"), { name: s.display_name || s.email }),
      (form) => {
        form.append(field(gettext("Display name"), h("input", { name: "display_name", value: s.display_name })));
        form.append(field(gettext("Role"), roleSelect(s.role)));
        form.append(field(gettext("Concurrent enquiry limit"), h("input", { name: "max_concurrent", type: "number", min: 1, max: 100, value: s.max_concurrent })));
        form.append(field(gettext("New password"), h("input", { name: "password", type: "password", minlength: 8, autocomplete: "new-password" }), gettext("Leave empty to keep the current one.")));
        form.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "is_active", checked: s.is_active }), ` ${gettext("Active account (unchecked: deactivated, logged out)")}`));
        form.append(tagChecks(tags, s.tags));
      },
      gettext("Save"),
      (data) => {
        const body = {
          display_name: data.get("display_name"),
          role: data.get("role"),
          max_concurrent: Number(data.get("max_concurrent")),
          is_active: data.get("is_active") === "on",
          tags: data.getAll("tags"),
        };
        if (data.get("password")) body.password = data.get("password");
        return api("PATCH", `/api/v1/staff/${s.id}`, body);
      },
    );
    if (!done) return;
    toast(gettext("Saved."));
    staffPage(main);
  }

  clear(
    main,
    h(
      "section",
      { class: "admin-page" },
      h("div", { class: "section-head" }, h("h1", { text: gettext("Staff") }), add),
      h(
        "table",
        { class: "data-table" },
        h("thead", {}, h("tr", {}, [gettext("Name"), gettext("Email"), gettext("Role"), gettext("Availability"), gettext("Limit"), gettext("Tags"), gettext("Account"), ""].map((t) => h("th", { scope: "col", text: t })))),
        h(
          "tbody",
          {},
          staff.map((s) =>
            h(
              "tr",
              { class: s.is_active ? "" : "inactive", dataset: { staffId: String(s.id) } },
              h("td", { text: s.display_name }),
              h("td", { text: s.email }),
              h("td", { text: roleLabel(s.role) }),
              h("td", { class: "availability", dataset: { availability: s.availability } }, availabilityCell(s.availability)),
              h("td", { text: s.max_concurrent }),
              h("td", { text: s.tags.join(", ") }),
              h("td", { text: s.is_active ? pgettext("account", "active") : gettext("deactivated") }),
              h("td", {}, h("button", { type: "button", class: "small-button", text: gettext("Edit"), "aria-label": interpolate(gettext("Edit %(name)s"), { name: s.display_name || s.email }), onclick: () => edit(s) })),
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
  const form = h("form", { class: "inline-form", "aria-label": gettext("New tag") }, field(gettext("New tag"), name), h("button", { type: "submit", class: "primary", text: gettext("Add tag") }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await saved(() => api("POST", "/api/v1/tags", { name: name.value.trim() }), gettext("Tag created."), () => tagsPage(main));
  });
  const redraw = () => tagsPage(main);
  clear(
    main,
    h(
      "section",
      { class: "admin-page" },
      h("h1", { text: gettext("Tags") }),
      h("p", { class: "muted", text: gettext("A tag is a team: a visitor choosing it reaches every ACTIVE member.") }),
      form,
      h("ul", { class: "tag-list tag-admin" }, tags.map((t) => tagRow(t, redraw))),
    ),
  );
}

/**
 * A tag of the list: its name, whether it has custom info, and its Custom info, Rename and
 * Delete buttons.
 * @param {{id: number, name: string, custom_info?: string}} tag
 * @param {() => unknown} redraw
 */
function tagRow(tag, redraw) {
  const note = tag.custom_info ? h("small", { class: "muted", text: ` · ${gettext("has custom info")}` }) : null;
  return h(
    "li",
    { class: "tag-row", dataset: { tag: String(tag.id), tagId: String(tag.id) } },
    h("span", { class: "tag-name", text: tag.name }),
    note,
    h(
      "span",
      { class: "row-actions" },
      h("button", { type: "button", class: "small-button", text: gettext("Custom info"), "aria-label": interpolate(gettext("Custom info of %(tag)s"), { tag: tag.name }), onclick: () => tagCustomInfo(tag, redraw) }),
      h("button", { type: "button", class: "small-button", text: gettext("Rename"), "aria-label": interpolate(gettext("Rename tag %(name)s"), { name: tag.name }), onclick: () => tagRename(tag, redraw) }),
      h("button", { type: "button", class: "small-button danger", text: gettext("Delete"), "aria-label": interpolate(gettext("Delete tag %(name)s"), { name: tag.name }), onclick: () => tagDelete(tag, redraw) }),
    ),
  );
}

/**
 * The dialog that sets a tag's custom info (it wins over the channel's for enquiries to the tag).
 * @param {{id: number, name: string, custom_info?: string}} tag
 * @param {() => unknown} redraw
 */
async function tagCustomInfo(tag, redraw) {
  const data = await formDialog(interpolate(gettext("Custom info of %(tag)s"), { tag: tag.name }), (form) => {
    form.append(h("p", { class: "small muted", text: gettext("Shown to staff when an enquiry to this tag starts, instead of the channel's custom info. Never shown on a staff member's personal web link.") }));
    form.append(customInfoField(tag.custom_info || ""));
  });
  if (!data) return;
  await saved(() => api("PATCH", `/api/v1/tags/${tag.id}`, { custom_info: data.get("custom_info") }), gettext("Custom info saved."), redraw);
}

async function tagRename(tag, redraw) {
  const done = await submitDialog(
    interpolate(gettext("Rename tag %(name)s"), { name: tag.name }),
    (form) => {
      form.append(field(gettext("Name"), h("input", { name: "name", required: true, maxlength: 80, value: tag.name }), gettext("Channels and enquiries routed to this tag follow the new name.")));
    },
    gettext("Rename"),
    (data) => api("PATCH", `/api/v1/tags/${tag.id}`, { name: String(data.get("name") || "").trim() }),
  );
  if (!done) return;
  toast(gettext("Tag renamed."));
  redraw();
}

// Deleting a tag: the server says what it would do (or why it cannot) before the admin
// confirms; it checks again when asked to delete (409 if something came to depend on it).
async function tagDelete(tag, redraw) {
  let usage;
  try {
    usage = await api("GET", `/api/v1/tags/${tag.id}`);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  const blocked = usage.blockers.length > 0;
  const title = blocked ? interpolate(gettext("The tag %(name)s cannot be deleted"), { name: tag.name }) : interpolate(gettext("Delete the tag %(name)s?"), { name: tag.name });
  const titleId = uid("dlg");
  const items = blocked ? usage.blockers : usage.effects;
  const intro = blocked ? gettext("Something still depends on it:") : gettext("Deleting it:");
  const ok = h("button", { type: "submit", class: blocked ? "primary" : "primary danger", value: "ok", text: blocked ? gettext("OK") : gettext("Delete tag") });
  const cancel = h("button", { type: "submit", value: "cancel", text: gettext("Cancel"), formnovalidate: true });
  const dialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": titleId },
    h("form", { method: "dialog" }, h("h2", { id: titleId, text: title }), h("p", { text: intro }), h("ul", { class: "usage-list" }, items.map((text) => h("li", { text }))), h("div", { class: "actions" }, blocked ? null : cancel, ok)),
  );
  const confirmed = await new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(!blocked && dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    (blocked ? ok : cancel).focus();
  });
  if (!confirmed) return;
  await saved(() => api("DELETE", `/api/v1/tags/${tag.id}`), interpolate(gettext("Tag %(name)s deleted."), { name: tag.name }), redraw);
}

function customInfoField(value = "") {
  const area = h("textarea", { name: "custom_info", rows: 6 });
  area.value = value;
  const counter = h("small", { class: "counter", "aria-live": "polite" });
  const paint = () => {
    const n = area.value.length;
    const CUSTOM_INFO_MAX = app.boot.custom_info_max_chars;
    const count = interpolate(gettext("%(n)s / %(max)s characters"), { n: n.toLocaleString(), max: CUSTOM_INFO_MAX.toLocaleString() });
    counter.textContent = n > CUSTOM_INFO_MAX ? `${count} — ${gettext("too long")}` : count;
    counter.classList.toggle("over", n > CUSTOM_INFO_MAX);
    area.setCustomValidity(n > CUSTOM_INFO_MAX ? interpolate(gettext("Custom info is limited to %(max)s characters."), { max: CUSTOM_INFO_MAX.toLocaleString() }) : "");
  };
  area.addEventListener("input", paint);
  paint();
  const wrap = field(gettext("Custom info (shown to staff when the enquiry starts)"), area);
  wrap.append(counter);
  return wrap;
}

const KINDS = ["widget", "weblink", "messenger", "whatsapp", "line", "wechat", "email", "sms"];
const KIND_LABELS = {
  widget: () => gettext("Website widget"),
  weblink: () => gettext("Web link / QR code"),
  messenger: () => gettext("Facebook Messenger"),
  whatsapp: () => gettext("WhatsApp"),
  line: () => gettext("LINE"),
  wechat: () => gettext("WeChat"),
  email: () => gettext("Email"),
  sms: () => gettext("SMS (Twilio)"),
};
const VISITOR_FIELDS = {
  first_name: () => gettext("First name"),
  last_name: () => gettext("Last name"),
  email: () => gettext("Email"),
  phone: () => gettext("Phone"),
};
// A web link name: the server's rule (channels_adapters.services._SLUG). The pattern
// attribute is compiled with the "v" flag, where a "-" in a class must be escaped.
const SLUG_PATTERN = "[a-z0-9](?:[a-z0-9\\-]{0,58}[a-z0-9])?";

function check(name, label, checked) {
  return h("label", { class: "check" }, h("input", { type: "checkbox", name, checked: !!checked }), ` ${label}`);
}

/**
 * Who the staff directory lists: a checkbox per active staff member; none checked is the
 * default list (every active staff member with a tag).
 */
function directoryStaffChecks(c, staff) {
  const chosen = new Set(c && c.directory_staff ? c.directory_staff : []);
  return h(
    "fieldset",
    { class: "checks inline directory-staff" },
    h("legend", { text: gettext("People in the staff directory (none checked: everyone with a tag)") }),
    staff
      .filter((s) => s.is_active)
      .map((s) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "directory_staff", value: s.id, checked: chosen.has(s.id) }), ` ${s.display_name || s.email}`)),
  );
}

/** The widget's look, directories and visitor form, and the web link (widget and web link channels). */
function lookFields(c, staff) {
  const colour = h("input", { type: "color", name: "widget_color", value: c ? c.widget_color : "#2563eb" });
  const position = h(
    "select",
    { name: "widget_position" },
    h("option", { value: "right", text: gettext("Bottom right"), selected: !c || c.widget_position === "right" }),
    h("option", { value: "left", text: gettext("Bottom left"), selected: !!c && c.widget_position === "left" }),
  );
  const look = h(
    "fieldset",
    { class: "group" },
    h("legend", { text: gettext("Look") }),
    h("div", { class: "row-fields" }, field(gettext("Colour"), colour), field(gettext("Position"), position)),
    h(
      "div",
      { class: "row-fields" },
      field(gettext("Width on a computer (300–600 px)"), h("input", { name: "widget_width", type: "number", min: 300, max: 600, step: 1, required: true, value: c ? c.widget_width : 380 })),
      field(gettext("Height on a computer (400–900 px)"), h("input", { name: "widget_height", type: "number", min: 400, max: 900, step: 1, required: true, value: c ? c.widget_height : 600 }), gettext("Phones always show the chat full screen.")),
    ),
    field(gettext("Greeting (above the first message)"), h("input", { name: "widget_greeting", maxlength: 200, value: c ? c.widget_greeting : "" })),
    field(gettext("Logo (https:// address of an image)"), h("input", { name: "widget_logo_url", type: "url", pattern: "https://.+", maxlength: 500, value: c ? c.widget_logo_url : "", placeholder: "https://" }), gettext("An https address: the widget shows no image from a plain http one.")),
    field(gettext("Name in the header"), h("input", { name: "widget_company_name", maxlength: 120, value: c ? c.widget_company_name : "" }), gettext("Empty: the company name of Settings.")),
  );
  const required = h(
    "fieldset",
    { class: "checks inline" },
    h("legend", { text: gettext("Required fields of the visitor form") }),
    Object.entries(VISITOR_FIELDS).map(([name, label]) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "form_required_fields", value: name, checked: !!c && c.form_required_fields.includes(name) }), ` ${label()}`)),
  );
  const widget = h(
    "fieldset",
    { class: "group" },
    h("legend", { text: gettext("Directories and visitor form") }),
    check("show_tag_directory", gettext("Tag directory (the visitor chooses a team)"), c && c.show_tag_directory),
    check("show_staff_directory", gettext("Staff directory (the visitor chooses a person, with availability)"), c && c.show_staff_directory),
    directoryStaffChecks(c, staff),
    check("form_enabled", gettext("Visitor form before the first message"), c && c.form_enabled),
    required,
    check("note_button", gettext("Note button (the visitor leaves a note with pictures or files without chatting)"), c ? c.note_button : true),
    check("visitor_may_rate_anytime", gettext("Visitors may rate a conversation while chatting"), c && c.visitor_may_rate_anytime),
  );
  const link = h(
    "fieldset",
    { class: "group" },
    h("legend", { text: gettext("Web link and embedding") }),
    field(
      gettext("Web link name (for /l/<name> and its QR code)"),
      h("input", { name: "weblink_slug", maxlength: 60, pattern: SLUG_PATTERN, title: gettext("Lower-case letters, digits and dashes, e.g. sales-team."), value: c && c.weblink_slug ? c.weblink_slug : "" }),
      gettext("Lower-case letters, digits and dashes, e.g. sales-team."),
    ),
    field(gettext("Domains allowed to embed the widget (comma separated; empty: any)"), h("input", { name: "allowed_domains", value: c && c.allowed_domains ? c.allowed_domains.join(", ") : "" })),
    utmFields(c),
  );
  return [look, widget, link];
}

// The UTM parameters a web link and its QR code carry (the server's WEBLINK_UTM_KEYS).
const UTM_FIELDS = {
  utm_source: () => gettext("Source (utm_source), e.g. poster"),
  utm_medium: () => gettext("Medium (utm_medium), e.g. print"),
  utm_campaign: () => gettext("Campaign (utm_campaign), e.g. spring-sale"),
  utm_term: () => gettext("Term (utm_term)"),
  utm_content: () => gettext("Content (utm_content)"),
};

/** The web link's campaign tags: recorded with each enquiry that comes through the link. */
function utmFields(c) {
  const saved = (c && c.weblink_utm) || {};
  return h(
    "fieldset",
    { class: "utm-fields" },
    h("legend", { text: gettext("Campaign tags (UTM) of the link and its QR code") }),
    h("div", { class: "row-fields" }, Object.entries(UTM_FIELDS).map(([name, label]) => field(label(), h("input", { name: `weblink_utm.${name}`, maxlength: 100, value: saved[name] || "" })))),
  );
}

/** The UTM inputs of the form as the API's weblink_utm (empty ones left out). */
function utmFrom(data) {
  const utm = {};
  for (const name of Object.keys(UTM_FIELDS)) {
    const value = String(data.get(`weblink_utm.${name}`) || "").trim();
    if (value) utm[name] = value;
  }
  return utm;
}

function webhookUrl(kinds, c) {
  return `${kinds.public_base_url || location.origin}${c.webhook_url}`;
}

function copyButton(text, label) {
  return h("button", { type: "button", class: "small-button", text: gettext("Copy"), "aria-label": label, onclick: () => navigator.clipboard.writeText(text).then(() => toast(gettext("Copied."))) });
}

/**
 * A platform's account: each credential named as in its console, with where to find it;
 * the webhook URL to paste there; a connection test. Credentials are write-only: an edit
 * shows whether each is set, and an empty input keeps the saved value.
 */
function credentialFields(desc, kinds, c) {
  const box = h("fieldset", { class: "group credentials" }, h("legend", { text: interpolate(gettext("%(platform)s account"), { platform: desc.label }) }));
  if (desc.console) box.append(h("p", { class: "small" }, gettext("Find these in the platform's console: "), h("a", { href: desc.console, target: "_blank", rel: "noopener", text: desc.console })));
  for (const f of desc.fields) {
    const isSet = c && c.credentials_set && c.credentials_set[f.name];
    let input;
    if (f.type === "choice") {
      input = h("select", { name: `credentials.${f.name}` }, h("option", { value: "", text: c ? gettext("(keep)") : "" }), f.choices.map((v) => h("option", { value: v, text: v })));
    } else {
      input = h("input", {
        name: `credentials.${f.name}`,
        type: f.type === "port" ? "number" : f.secret ? "password" : "text",
        min: f.type === "port" ? 1 : null,
        max: f.type === "port" ? 65535 : null,
        required: f.required && !c,
        autocomplete: f.secret ? "new-password" : "off",
        spellcheck: "false",
        placeholder: isSet ? gettext("set — leave empty to keep") : "",
      });
    }
    const state = c ? (isSet ? gettext("set") : gettext("not set")) : "";
    const label = `${f.label}${f.required ? "" : ` ${gettext("(optional)")}`}`;
    const wrap = field(label, input, f.help);
    if (c) wrap.querySelector("label").append(" ", h("span", { class: isSet ? "badge set" : "badge unset", text: state }));
    if (f.name === "verify_token" || (desc.kind === "wechat" && f.name === "token")) {
      const make = h("button", { type: "button", class: "small-button", text: gettext("Generate"), "aria-label": interpolate(gettext("Generate a %(field)s"), { field: f.label }) });
      make.addEventListener("click", () => {
        const bytes = crypto.getRandomValues(new Uint8Array(12));
        input.value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        input.type = "text"; // shown: it goes into the platform's console too
      });
      wrap.append(make);
    }
    box.append(wrap);
  }
  if (desc.webhook_help) {
    const hook = h("div", { class: "field webhook" }, h("span", { class: "label", text: gettext("Webhook URL") }));
    if (c && c.webhook_url) {
      const url = webhookUrl(kinds, c);
      hook.append(h("div", { class: "copy-row" }, h("code", { class: "webhook-url", text: url }), copyButton(url, gettext("Copy the webhook URL"))));
      if (!kinds.public_base_url) hook.append(h("small", { class: "hint", text: gettext("This is the address of this page; set CC_PUBLIC_BASE_URL when the platform reaches the server by another one.") }));
    } else {
      hook.append(h("small", { class: "hint", text: gettext("Shown here once the channel is created (it contains the channel's number).") }));
    }
    hook.append(h("small", { class: "hint", text: desc.webhook_help }));
    box.append(hook);
  }
  const result = h("p", { class: "test-result", role: "status", "aria-live": "polite" });
  const test = h("button", { type: "button", text: gettext("Test connection") });
  test.addEventListener("click", async () => {
    const form = test.closest("form");
    const summary = form.querySelector(".form-error");
    clearErrors(form, summary);
    result.className = "test-result";
    result.textContent = gettext("Testing…");
    test.disabled = true;
    try {
      const answer = await api("POST", "/api/v1/channels/test-connection", { kind: desc.kind, channel: c ? c.id : null, credentials: credentialsFrom(new FormData(form)) });
      result.className = `test-result ${answer.ok ? "ok" : "failed"}`;
      result.textContent = `${answer.ok ? "✓" : "✗"} ${answer.detail}`;
    } catch (err) {
      result.textContent = "";
      showErrors(form, summary, err);
    } finally {
      test.disabled = false;
    }
  });
  box.append(h("div", { class: "test-row" }, test, result));
  return box;
}

/** The credentials typed in a form: only the fields with a value (empty keeps a saved one). */
function credentialsFrom(data) {
  const creds = {};
  for (const [key, value] of data.entries()) {
    if (!key.startsWith("credentials.") || value === "") continue;
    const name = key.slice("credentials.".length);
    creds[name] = name.endsWith("_port") ? Number(value) : String(value);
  }
  return creds;
}

async function channelsPage(main) {
  const [{ results: channels }, { results: tags }, { results: staff }, kinds] = await Promise.all([
    api("GET", "/api/v1/channels"),
    api("GET", "/api/v1/tags"),
    api("GET", "/api/v1/staff"),
    api("GET", "/api/v1/channels/kinds"),
  ]);
  const describeKind = (kind) => kinds.results.find((k) => k.kind === kind);
  const destinationSelect = (c) => {
    const select = h("select", { name: "destination", required: true });
    select.append(h("optgroup", { label: gettext("Tag (broadcast)") }, tags.map((t) => h("option", { value: `tag:${t.id}`, text: t.name, selected: c && c.destination_tag === t.id }))));
    select.append(h("optgroup", { label: gettext("Staff member (direct)") }, staff.filter((s) => s.is_active).map((s) => h("option", { value: `staff:${s.id}`, text: s.display_name || s.email, selected: c && c.destination_staff === s.id }))));
    return select;
  };
  const fromForm = (data, kind, c) => {
    const [destKind, id] = String(data.get("destination")).split(":");
    const body = {
      name: data.get("name"),
      welcome_message: data.get("welcome_message") || "",
      custom_info: data.get("custom_info") || "",
    };
    body[destKind === "tag" ? "destination_tag" : "destination_staff"] = Number(id);
    if (kind === "widget" || kind === "weblink") {
      const slug = String(data.get("weblink_slug") || "").trim();
      body.weblink_slug = slug || null;
      body.allowed_domains = String(data.get("allowed_domains") || "").split(/[\s,]+/).filter(Boolean);
      body.widget_color = data.get("widget_color");
      body.widget_position = data.get("widget_position");
      body.widget_width = Number(data.get("widget_width"));
      body.widget_height = Number(data.get("widget_height"));
      body.widget_greeting = data.get("widget_greeting") || "";
      body.widget_logo_url = String(data.get("widget_logo_url") || "").trim();
      body.widget_company_name = data.get("widget_company_name") || "";
      for (const name of ["show_tag_directory", "show_staff_directory", "form_enabled", "note_button", "visitor_may_rate_anytime"]) body[name] = data.get(name) === "on";
      body.form_required_fields = data.getAll("form_required_fields");
      body.directory_staff = data.getAll("directory_staff").map(Number);
      body.weblink_utm = utmFrom(data);
    }
    if (describeKind(kind)) {
      const creds = credentialsFrom(data);
      if (!c || Object.keys(creds).length) body.credentials = creds;
    }
    return body;
  };
  // The parts of the dialog that depend on the kind (drawn again when a new channel's kind changes).
  const kindParts = (kind, c) => {
    const desc = describeKind(kind);
    return desc ? [credentialFields(desc, kinds, c)] : lookFields(c, staff);
  };
  const build = (c) => (form) => {
    const parts = h("div", { class: "kind-parts" });
    if (!c) {
      const kind = h("select", { name: "kind" }, KINDS.map((k) => h("option", { value: k, text: KIND_LABELS[k]() })));
      kind.addEventListener("change", () => clear(parts, ...kindParts(kind.value, null)));
      form.append(field(gettext("Kind"), kind));
    }
    form.append(field(gettext("Name"), h("input", { name: "name", required: true, maxlength: 120, value: c ? c.name : "" })));
    form.append(field(gettext("Destination"), destinationSelect(c)));
    const welcome = h("textarea", { name: "welcome_message", rows: 2 });
    welcome.value = c ? c.welcome_message : "";
    form.append(field(gettext("Welcome message"), welcome));
    form.append(customInfoField(c ? c.custom_info : ""));
    clear(parts, ...kindParts(c ? c.kind : KINDS[0], c));
    form.append(parts);
    if (c) form.append(check("is_active", gettext("Active"), c.is_active));
    if (c && (c.kind === "widget" || c.kind === "weblink")) form.append(identitySection(c));
  };
  const edit = async (c) => {
    const done = await submitDialog(
      interpolate(gettext("Edit %(name)s"), { name: c.name }),
      build(c),
      gettext("Save"),
      (data) => api("PATCH", `/api/v1/channels/${c.id}`, { ...fromForm(data, c.kind, c), is_active: data.get("is_active") === "on" }),
      { wide: true },
    );
    if (!done) return;
    toast(gettext("Saved."));
    channelsPage(main);
  };
  const add = h("button", { type: "button", class: "primary", text: gettext("Add channel") });
  add.addEventListener("click", async () => {
    const created = await submitDialog(
      gettext("Add channel"),
      build(null),
      gettext("Create"),
      (data) => {
        const kind = String(data.get("kind"));
        return api("POST", "/api/v1/channels", { kind, ...fromForm(data, kind, null) });
      },
      { wide: true },
    );
    if (!created) return;
    toast(gettext("Channel created."));
    await channelsPage(main);
    // A platform channel's webhook URL exists now: show it to paste in the platform's console.
    if (created.webhook_url) edit(created);
  });
  clear(
    main,
    h(
      "section",
      { class: "admin-page" },
      h("div", { class: "section-head" }, h("h1", { text: gettext("Channels and destinations") }), add),
      h(
        "table",
        { class: "data-table" },
        h("thead", {}, h("tr", {}, [gettext("Name"), gettext("Kind"), gettext("Destination"), gettext("Key"), gettext("Links"), gettext("Welcome message"), gettext("Custom info"), gettext("State"), ""].map((t) => h("th", { scope: "col", text: t })))),
        h(
          "tbody",
          {},
          channels.map((c) =>
            h(
              "tr",
              { dataset: { channelId: String(c.id) } },
              h("td", {}, c.kind === "widget" || c.kind === "weblink" ? swatch(c.widget_color) : null, ` ${c.name}`),
              h("td", { text: KIND_LABELS[c.kind] ? KIND_LABELS[c.kind]() : c.kind }),
              h("td", { text: destinationText(c.destination) }),
              h("td", {}, h("code", { text: c.key })),
              h("td", { class: "links" }, channelLinks(c, kinds)),
              h("td", { class: "clip", text: c.welcome_message }),
              h("td", { text: interpolate(gettext("%(count)s chars"), { count: c.custom_info.length.toLocaleString() }) }),
              h("td", {}, c.is_active ? pgettext("channel", "active") : gettext("off"), credentialsState(c)),
              h("td", {}, h("button", { type: "button", class: "small-button", text: gettext("Edit"), "aria-label": interpolate(gettext("Edit channel %(name)s"), { name: c.name }), onclick: () => edit(c) })),
            ),
          ),
        ),
      ),
    ),
  );
}

/** "Sales (tag)", "Ann (staff)": a channel's destination and its type. */
function destinationText(dest) {
  if (dest.type === "tag") return interpolate(gettext("%(name)s (tag)"), { name: dest.name });
  if (dest.type === "staff") return interpolate(gettext("%(name)s (staff)"), { name: dest.name });
  return `${dest.name} (${dest.type})`;
}

/** A small square of the widget's colour (set through the CSSOM: the CSP allows no style attributes). */
function swatch(colour) {
  const el = h("span", { class: "swatch", "aria-hidden": "true" });
  el.style.backgroundColor = /^#[0-9a-f]{6}$/i.test(colour) ? colour : "#2563eb";
  return el;
}

/** "credentials: 4 of 4 set" for a platform channel. */
function credentialsState(c) {
  const entries = Object.entries(c.credentials_set || {});
  if (c.kind === "widget" || c.kind === "weblink" || !entries.length) return null;
  const set = entries.filter(([, v]) => v).length;
  return h("div", { class: "small muted", text: interpolate(gettext("credentials: %(set)s of %(all)s set"), { set, all: entries.length }) });
}

// The ways in to a channel: its web link with QR codes to download, the widget snippet,
// the webhook URL to enter in a platform's console.
function channelLinks(c, kinds) {
  const items = [];
  if (c.weblink_url) {
    // The code itself (its URL changes with the link's UTM set, so a changed one is fetched again).
    const qr = `${c.qr_svg_url}?v=${encodeURIComponent(c.weblink_url)}`;
    items.push(h("img", { class: "qr-thumb", src: qr, width: 72, height: 72, alt: interpolate(gettext("QR code of %(link)s"), { link: c.weblink_url }) }));
    items.push(h("a", { href: c.weblink_url, target: "_blank", rel: "noopener", text: c.weblink_url }));
    items.push(h("a", { href: c.qr_png_url, download: `${c.weblink_slug}.png`, text: gettext("QR PNG") }));
    items.push(h("a", { href: c.qr_svg_url, download: `${c.weblink_slug}.svg`, text: gettext("QR SVG") }));
  }
  if (c.kind === "widget") {
    const snippet = `<script src="${location.origin}/static/widget/loader.js" data-channel="${c.key}" async></script>`;
    const copy = h("button", { type: "button", class: "small-button", text: gettext("Copy embed code"), "aria-label": interpolate(gettext("Copy the embed code of %(name)s"), { name: c.name }) });
    copy.addEventListener("click", () => navigator.clipboard.writeText(snippet).then(() => toast(gettext("Embed code copied."))));
    items.push(copy);
  }
  if (c.webhook_url) items.push(h("code", { text: webhookUrl(kinds, c) }));
  return h("div", { class: "link-list" }, items);
}

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_LABELS = {
  mon: () => pgettext("weekday", "mon"),
  tue: () => pgettext("weekday", "tue"),
  wed: () => pgettext("weekday", "wed"),
  thu: () => pgettext("weekday", "thu"),
  fri: () => pgettext("weekday", "fri"),
  sat: () => pgettext("weekday", "sat"),
  sun: () => pgettext("weekday", "sun"),
};

async function settingsPage(main) {
  const s = await api("GET", "/api/v1/settings");
  const form = h("form", { class: "settings-form", "aria-label": gettext("Settings") });
  const autoClose = h("input", { type: "checkbox", name: "auto_close_enabled", checked: s.auto_close_enabled });
  const minutes = h("input", { type: "number", name: "auto_close_minutes", min: 1, max: 10080, value: s.auto_close_minutes });
  const ratings = h("input", { type: "checkbox", name: "ratings_visible_to_agents", checked: s.ratings_visible_to_agents });
  const keepOpen = h("input", { type: "checkbox", name: "agents_may_keep_open", checked: s.agents_may_keep_open });
  const company = h("input", { name: "company_name", value: s.company_name || "", maxlength: 120 });
  const requireTag = h("input", { type: "checkbox", name: "require_conversation_tag", checked: s.require_conversation_tag });
  const retentionOn = h("input", { type: "checkbox", name: "retention_on", checked: s.retention_days !== null && s.retention_days !== undefined });
  const retentionDays = h("input", { type: "number", name: "retention_days", min: 1, max: 3650, value: s.retention_days || 365 });
  const wh = s.work_hours || null;
  const hoursOn = h("input", { type: "checkbox", name: "work_hours_on", checked: !!wh });
  const tz = h("input", { name: "timezone", value: wh ? wh.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" });
  const grid = h("fieldset", { class: "work-hours" }, h("legend", { text: gettext("Work hours (one span per day; empty = closed)") }));
  const dayInputs = {};
  for (const d of DAYS) {
    const span = wh && wh.days && wh.days[d] && wh.days[d][0];
    const from = h("input", { type: "time", value: span ? span[0] : "", "aria-label": interpolate(gettext("%(day)s from"), { day: DAY_LABELS[d]() }) });
    const to = h("input", { type: "time", value: span ? span[1] : "", "aria-label": interpolate(gettext("%(day)s to"), { day: DAY_LABELS[d]() }) });
    dayInputs[d] = [from, to];
    grid.append(h("div", { class: "day" }, h("span", { class: "day-name", text: DAY_LABELS[d]() }), from, " – ", to));
  }
  form.append(
    h("h2", { text: gettext("Enquiries") }),
    h("label", { class: "check" }, autoClose, " ", gettext("Close resolved enquiries automatically")),
    field(gettext("Auto-close after (minutes)"), minutes),
    h("label", { class: "check" }, keepOpen, " ", gettext("Agents may keep a resolved enquiry open (no auto-close)")),
    h("label", { class: "check" }, ratings, " ", gettext("Agents may see ratings")),
    field(gettext("Company name"), company, gettext("Shown in the widget's header (unless a channel sets its own) and as the sender of emails to customers.")),
    h("label", { class: "check" }, requireTag, " ", gettext("Require a conversation tag before an enquiry is resolved or closed")),
    h("h2", { text: gettext("Retention") }),
    h("label", { class: "check" }, retentionOn, " ", gettext("Delete finished conversations (messages and files) after a number of days")),
    field(gettext("Keep finished conversations for (days)"), retentionDays, gettext("Checked once a day; what is deleted cannot be recovered.")),
    h("h2", { text: gettext("Work hours") }),
    h("label", { class: "check" }, hoursOn, " ", gettext("Limit enquiries to work hours (outside them enquiries are missed at once)")),
    field(gettext("Time zone"), tz, gettext("For example Europe/Berlin")),
    grid,
    h("button", { type: "submit", class: "primary", text: gettext("Save settings") }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      auto_close_enabled: autoClose.checked,
      auto_close_minutes: Number(minutes.value),
      ratings_visible_to_agents: ratings.checked,
      agents_may_keep_open: keepOpen.checked,
      company_name: company.value,
      require_conversation_tag: requireTag.checked,
      retention_days: retentionOn.checked ? Number(retentionDays.value) : null,
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
      toast(gettext("Settings saved."));
    } catch (err) {
      toast(err.message, "error");
    }
  });
  clear(main, h("section", { class: "admin-page" }, h("h1", { text: gettext("Settings") }), form));
}
