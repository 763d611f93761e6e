// @ts-check
// Admin page: outgoing webhooks (integrations.webhooks). Register a URL with the events it
// receives (its signing secret is shown once, and on request), send a test event, enable
// or disable it, rotate the secret, delete it; read each hook's delivery log (status code,
// tries, duration, error, next try) and send a delivery again.
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { clear, clockTime, confirmDialog, field, h, toast } from "./dom.js";

/**
 * @typedef {{id: number, name: string, url: string, events: string[], is_active: boolean,
 *   failures_in_row: number, disabled_reason: string, secret_hint: string}} Hook
 * @typedef {{number: number, status_code: number | null, duration_ms: number, error: string,
 *   next_try_at: string | null, created_at: string}} Attempt
 * @typedef {{id: number, event_id: string, event_type: string, state: string, attempts: number,
 *   next_try_at: string | null, last_status_code: number | null, last_error: string,
 *   created_at: string, attempt_log: Attempt[]}} Delivery
 * @typedef {{type: string, label: string}} EventType
 */

const STATE_LABELS = {
  pending: () => gettext("pending"),
  delivered: () => gettext("delivered"),
  failed: () => gettext("failed"),
};

/**
 * @param {HTMLElement} main
 * @returns {Promise<null>}
 */
export async function render(main) {
  await paint(main);
  return null;
}

/**
 * Run a change, say so and repaint; or show the refusal.
 * @param {HTMLElement} main
 * @param {() => Promise<unknown>} call
 * @param {string} message
 */
async function change(main, call, message) {
  try {
    await call();
    toast(message);
    await paint(main);
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
  }
}

/**
 * The secret, shown in a dialog with a Copy button.
 * @param {string} title
 * @param {string} secret
 */
function showSecret(title, secret) {
  const code = h("code", { class: "webhook-secret", text: secret });
  const copy = h("button", { type: "button", class: "small-button", text: gettext("Copy") });
  copy.addEventListener("click", () => {
    navigator.clipboard?.writeText(secret).then(
      () => toast(gettext("Secret copied.")),
      () => toast(gettext("Select the secret and copy it."), "error"),
    );
  });
  const close = h("button", { type: "submit", class: "primary", text: gettext("Done") });
  const dialog = h(
    "dialog",
    { class: "dialog", "aria-label": title },
    h(
      "form",
      { method: "dialog" },
      h("h2", { text: title }),
      h("p", { text: gettext("Your receiver checks each request's X-CC-Signature with this secret. Keep it private.") }),
      h("p", {}, code, " ", copy),
      h("div", { class: "actions" }, close),
    ),
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

/**
 * Checkboxes of the event types.
 * @param {EventType[]} types
 * @param {string[]} chosen
 */
function eventChecks(types, chosen) {
  return h(
    "fieldset",
    { class: "checks inline webhook-events" },
    h("legend", { text: gettext("Events") }),
    types.map((t) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "events", value: t.type, checked: chosen.includes(t.type) }), ` ${t.label}`)),
  );
}

/** @param {HTMLElement} main */
async function paint(main) {
  /** @type {[{results: Hook[]}, {results: EventType[]}]} */
  const [{ results: hooks }, { results: types }] = await Promise.all([api("GET", "/api/v1/webhooks"), api("GET", "/api/v1/webhooks/event-types")]);
  const labels = Object.fromEntries(types.map((t) => [t.type, t.label]));
  const name = h("input", { name: "name", maxlength: 120, autocomplete: "off" });
  const url = h("input", { name: "url", type: "url", required: true, maxlength: 2000, placeholder: "https://", autocomplete: "off" });
  const form = /** @type {HTMLFormElement} */ (
    h(
      "form",
      { class: "webhook-new", "aria-label": gettext("New webhook") },
      h("div", { class: "row-fields" }, field(gettext("Name"), name), field(gettext("URL that receives the events"), url, gettext("A public https:// address (port 443 or 80)."))),
      eventChecks(types, ["enquiry.opened", "enquiry.resolved"]),
      h("button", { type: "submit", class: "primary", text: gettext("Add webhook") }),
    )
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const body = { name: String(data.get("name") || "").trim(), url: String(data.get("url") || "").trim(), events: data.getAll("events").map(String) };
    try {
      const created = await api("POST", "/api/v1/webhooks", body);
      await paint(main);
      toast(gettext("Webhook added."));
      showSecret(gettext("Signing secret of the new webhook"), created.secret);
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), "error");
    }
  });
  const list = hooks.length
    ? h(
        "table",
        { class: "data-table webhooks-table" },
        h("thead", {}, h("tr", {}, [gettext("Webhook"), gettext("Events"), gettext("State"), gettext("Actions")].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", {}, hooks.map((hook) => hookRow(main, hook, labels))),
      )
    : h("p", { class: "muted", text: gettext("No webhooks yet.") });
  clear(
    main,
    h(
      "section",
      { class: "admin-page webhooks" },
      h("h1", { text: gettext("Webhooks") }),
      h("p", { class: "muted", text: gettext("Other systems (a CRM, a ticket tool) receive the events they choose as signed JSON, retried with back-off when they do not answer 2xx. A webhook that keeps failing is disabled automatically.") }),
      form,
      list,
      h("div", { id: "webhook-deliveries" }),
    ),
  );
}

/**
 * @param {HTMLElement} main
 * @param {Hook} hook
 * @param {Record<string, string>} labels
 */
function hookRow(main, hook, labels) {
  const title = hook.name || hook.url;
  const state = hook.is_active
    ? h("span", { class: "badge ok", text: gettext("active") })
    : h("span", {}, h("span", { class: "badge", text: gettext("disabled") }), hook.disabled_reason ? h("small", { class: "muted", text: ` ${hook.disabled_reason}` }) : null);
  const button = (/** @type {string} */ text, /** @type {string} */ label, /** @type {() => void} */ onclick, extra = "") =>
    h("button", { type: "button", class: `small-button ${extra}`.trim(), text, "aria-label": interpolate(label, { name: title }), onclick });
  return h(
    "tr",
    { class: hook.is_active ? "" : "inactive", dataset: { webhookId: String(hook.id) } },
    h("td", {}, hook.name ? h("strong", { text: hook.name }) : null, h("div", { class: "clip" }, h("code", { text: hook.url, title: hook.url }))),
    h("td", { text: hook.events.map((e) => labels[e] || e).join(", ") }),
    h("td", {}, state, hook.failures_in_row ? h("div", { class: "muted", text: interpolate(gettext("%(n)s failed tries in a row"), { n: hook.failures_in_row }) }) : null),
    h(
      "td",
      { class: "row-actions" },
      button(gettext("Send test"), gettext("Send a test event to %(name)s"), () => sendTest(main, hook)),
      button(gettext("Deliveries"), gettext("Deliveries of %(name)s"), () => showDeliveries(hook)),
      button(gettext("Secret"), gettext("Show the secret of %(name)s"), async () => showSecret(interpolate(gettext("Signing secret of %(name)s"), { name: title }), (await api("GET", `/api/v1/webhooks/${hook.id}/secret`)).secret)),
      button(gettext("New secret"), gettext("Make a new secret for %(name)s"), () => rotate(main, hook, title)),
      button(hook.is_active ? gettext("Disable") : gettext("Enable"), hook.is_active ? gettext("Disable %(name)s") : gettext("Enable %(name)s"), () =>
        change(main, () => api("PATCH", `/api/v1/webhooks/${hook.id}`, { is_active: !hook.is_active }), hook.is_active ? gettext("Webhook disabled.") : gettext("Webhook enabled.")),
      ),
      button(gettext("Delete"), gettext("Delete %(name)s"), () => remove(main, hook, title), "danger"),
    ),
  );
}

/**
 * @param {HTMLElement} main
 * @param {Hook} hook
 */
async function sendTest(main, hook) {
  try {
    /** @type {Delivery} */
    const delivery = await api("POST", `/api/v1/webhooks/${hook.id}/test`);
    if (delivery.state === "delivered") toast(interpolate(gettext("Test event delivered (HTTP %(code)s)."), { code: delivery.last_status_code ?? "" }));
    else toast(interpolate(gettext("The test event was not accepted: %(error)s. It will be tried again."), { error: delivery.last_error }), "error");
    await paint(main);
    await showDeliveries(hook);
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
  }
}

/**
 * @param {HTMLElement} main
 * @param {Hook} hook
 * @param {string} title
 */
async function rotate(main, hook, title) {
  const ok = await confirmDialog(interpolate(gettext("Make a new secret for %(name)s?"), { name: title }), gettext("Requests are signed with the new secret from now on; the receiver must use it too."), gettext("New secret"));
  if (!ok) return;
  try {
    const { secret } = await api("POST", `/api/v1/webhooks/${hook.id}/secret`);
    showSecret(interpolate(gettext("New signing secret of %(name)s"), { name: title }), secret);
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
  }
}

/**
 * @param {HTMLElement} main
 * @param {Hook} hook
 * @param {string} title
 */
async function remove(main, hook, title) {
  const ok = await confirmDialog(interpolate(gettext("Delete the webhook %(name)s?"), { name: title }), gettext("It receives nothing more, and its delivery log goes with it."), gettext("Delete"));
  if (!ok) return;
  await change(main, () => api("DELETE", `/api/v1/webhooks/${hook.id}`), gettext("Webhook deleted."));
}

/**
 * The hook's delivery log, below the list.
 * @param {Hook} hook
 */
async function showDeliveries(hook) {
  const box = document.getElementById("webhook-deliveries");
  if (!box) return;
  /** @type {{results: Delivery[]}} */
  const { results } = await api("GET", `/api/v1/webhooks/${hook.id}/deliveries?limit=50`);
  const rows = results.map((d) => {
    const last = d.attempt_log[d.attempt_log.length - 1];
    const again = d.state === "pending" ? null : h("button", { type: "button", class: "small-button", text: gettext("Send again"), "aria-label": interpolate(gettext("Send delivery %(id)s again"), { id: d.id }), onclick: () => redeliver(hook, d) });
    return h(
      "tr",
      { dataset: { deliveryId: String(d.id) } },
      h("td", { text: clockTime(d.created_at) }),
      h("td", {}, h("code", { text: d.event_type })),
      h("td", {}, h("span", { class: `badge delivery-${d.state}`, text: (STATE_LABELS[d.state] || (() => d.state))() })),
      h("td", { text: String(d.attempts) }),
      h("td", { text: d.last_status_code === null ? "—" : String(d.last_status_code) }),
      h("td", { text: last ? interpolate(gettext("%(ms)s ms"), { ms: last.duration_ms }) : "—" }),
      h("td", { class: "clip", text: d.last_error || "", title: d.last_error || "" }),
      h("td", { text: d.next_try_at ? clockTime(d.next_try_at) : "—" }),
      h("td", {}, again),
    );
  });
  clear(
    box,
    h("h2", { text: interpolate(gettext("Deliveries of %(name)s"), { name: hook.name || hook.url }) }),
    rows.length
      ? h(
          "table",
          { class: "data-table webhook-deliveries" },
          h("thead", {}, h("tr", {}, [gettext("Time"), gettext("Event"), gettext("State"), gettext("Tries"), gettext("Status"), gettext("Duration"), gettext("Error"), gettext("Next try"), ""].map((t) => h("th", { scope: "col", text: t })))),
          h("tbody", {}, rows),
        )
      : h("p", { class: "muted", text: gettext("Nothing delivered yet.") }),
  );
}

/**
 * @param {Hook} hook
 * @param {Delivery} delivery
 */
async function redeliver(hook, delivery) {
  try {
    await api("POST", `/api/v1/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`);
    toast(gettext("Queued to be sent again."));
    await showDeliveries(hook);
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
  }
}
