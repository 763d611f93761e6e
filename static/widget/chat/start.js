// @ts-check
// The start form: the visitor's details (if the channel asks for them) and the first
// message; sending it opens the enquiry and the conversation.

import { h } from "../../js/h.js";
import { gettext } from "../../js/i18n.js";
import { hasDirectory } from "./decide.js";
import { api } from "./api.js";
import { identityReady } from "./identity.js";
import { FIELD_LABELS, fieldInput } from "./labels.js";
import { nav } from "./nav.js";
import { unlockAudio } from "./notify.js";
import { banner, clearBody, config, focusFirstInvalid, mode, query, ref, showError } from "./page.js";
import { S, load, save } from "./state.js";
import { checkStart, deviceInfo, fieldError, utmParams } from "./visitor.js";

/** @typedef {import("./types.js").Choice} Choice */

/**
 * @param {Choice} choice the team or person chosen ({} for the default destination)
 * @param {{append?: boolean}} [options] append: under home's intro (no directory, no Back)
 */
export function renderStart(choice, { append = false } = {}) {
  // Out of hours a chosen team or person (a call to action) gets the note form (home).
  if (!config.open_now && !append) return nav.home(choice);
  S.choice = choice || {};
  const body = append ? ref("body") : clearBody();
  banner("");
  const form = h("form", { class: "cc-start", novalidate: true, "aria-label": gettext("Start a conversation") });
  if (choice.replaces) {
    // From the call-to-action card (cta.js): the conversation going on is still there.
    form.append(h("button", { type: "button", class: "cc-link", onclick: () => nav.open() }, gettext("‹ Back to your conversation")));
  } else if (!append && hasDirectory(config.directory)) {
    form.append(h("button", { type: "button", class: "cc-link", onclick: () => nav.home() }, gettext("‹ Back")));
  }
  const target = choice.tag || choice.staffName;
  if (target) form.append(h("p", { class: "cc-target" }, gettext("To: "), h("strong", { text: target })));
  if (choice.replaces) form.append(h("p", { class: "cc-notice", text: gettext("Your conversation going on ends when you start this one.") }));
  if (config.form.enabled) {
    const fieldset = h("fieldset", { class: "cc-fields" }, h("legend", { text: gettext("About you") }));
    for (const name of config.form.fields) {
      const required = config.form.required.includes(name);
      const id = `cc-f-${name}`;
      const input = fieldInput(name);
      fieldset.append(
        h(
          "div",
          { class: "cc-field" },
          h("label", { for: id }, FIELD_LABELS[name], required ? h("span", { class: "cc-req", text: " *" }) : gettext(" (optional)")),
          h("input", {
            id,
            name,
            type: input.type,
            required,
            maxlength: input.maxlength,
            autocomplete: input.autocomplete,
            value: S.prefill[name] || "",
          }),
          h("p", { class: "cc-error", id: `${id}-error`, "data-error": name, hidden: true }),
        ),
      );
    }
    form.append(fieldset);
  }
  form.append(
    h("label", { for: "cc-first-message", class: "cc-label" }, gettext("Your message")),
    h("textarea", {
      id: "cc-first-message",
      name: "message",
      rows: 3,
      required: true,
      placeholder: gettext("How can we help?"),
    }),
    h("p", { class: "cc-error", "data-error": "message", hidden: true }),
    h("button", { type: "submit", class: "cc-btn" }, gettext("Start chat")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    startEnquiry(form);
  });
  body.append(form);
  const first = /** @type {HTMLElement | null} */ (form.querySelector("input, textarea"));
  if (first && S.visible) first.focus();
}

/**
 * Takes over the conversation another tab of this visitor started (its record in storage).
 * @returns {boolean} whether there is one
 */
function adoptStored() {
  const stored = load();
  if (!stored.enquiry || !stored.token) return false;
  Object.assign(S, { token: stored.token, enquiryId: stored.enquiry, room: stored.room, enquiry: null, lastId: 0 });
  return true;
}

/** @returns {import("./visitor.js").BrowserFacts} */
export function browserFacts() {
  const browser = /** @type {Navigator & {userAgentData?: {platform?: string}}} */ (navigator);
  return {
    mode,
    query,
    location,
    title: document.title,
    navigator: browser,
    screen,
    viewport: { width: window.innerWidth, height: window.innerHeight },
    touch: "ontouchstart" in window,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    localTime: new Date().toString(),
  };
}

/**
 * @param {HTMLFormElement} form
 */
async function startEnquiry(form) {
  unlockAudio();
  if (mode === "page" && window.Notification && Notification.permission === "default") Notification.requestPermission();
  form.querySelectorAll("[data-error]").forEach((n) => showError(form, /** @type {HTMLElement} */ (n).dataset.error, ""));
  const { message, visitor, errors } = checkStart({
    values: Object.fromEntries(new FormData(form).entries()),
    form: config.form,
    messageChars: config.limits.message_chars,
    prefill: S.prefill,
  });
  let bad = false;
  for (const [name, text] of errors) bad = showError(form, name, text) || bad;
  if (bad) return void focusFirstInvalid(form);
  for (const [k, v] of Object.entries(visitor)) if (v) S.prefill[k] = v;
  const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));
  submit.disabled = true;
  try {
    /** @type {Record<string, any>} */
    const body = { channel_key: config.key, message, visitor, device: deviceInfo(browserFacts()), utm: utmParams(query), entry: mode === "page" ? "weblink" : "widget" };
    if (S.choice.tag) body.tag = S.choice.tag;
    if (S.choice.staff) body.staff = S.choice.staff;
    if (S.choice.replaces) body.replaces = S.choice.replaces;
    await identityReady(); // the host page's setVisitor: start as the verified visitor
    const got = await api("/api/v1/widget/enquiries", { method: "POST", body });
    S.token = got.visitor_token;
    S.enquiryId = got.id;
    S.room = got.room;
    S.lastId = 0;
    save();
    await nav.open();
  } catch (error) {
    submit.disabled = false;
    if (error.status === 409 && error.body && error.body.code === "enquiry_in_progress" && adoptStored()) {
      // Started meanwhile in another tab: continue it or start this one instead (cta.js).
      nav.choose(S.choice).catch(() => {});
      return;
    }
    let placed = false;
    for (const name of [...config.form.fields, "message"]) {
      const msg = fieldError(error, name);
      if (msg) placed = showError(form, name, msg) || placed;
    }
    focusFirstInvalid(form);
    if (!placed || error.status === 429 || error.status === 409) banner(error.message);
  }
}
