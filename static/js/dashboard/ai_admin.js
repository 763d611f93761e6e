// @ts-check
// Admin page: the AI provider (Azure OpenAI or any OpenAI-compatible server) and the log of
// every call to it. The API key is write-only: the page only knows whether one is saved.
// When the environment configures the provider (CC_AI_PROVIDER) its fields are read-only.
import { gettext, interpolate } from "../i18n.js";
import { formatDateTime } from "../datetime.js";
import { api } from "./api.js";
import { clear, field, h, toast } from "./dom.js";

/**
 * @typedef {object} AISettings
 * @property {"environment" | "settings"} source
 * @property {string} provider "azure" | "openai" | ""
 * @property {string} base_url
 * @property {string} model
 * @property {string} api_version
 * @property {boolean} api_key_set
 * @property {boolean} api_key_readable
 * @property {boolean} redact
 * @property {boolean} redact_forced
 * @property {boolean} configured
 */

/**
 * @param {HTMLElement} main
 * @returns {Promise<null>}
 */
export async function render(main) {
  await paint(main);
  return null;
}

/** @param {HTMLElement} main */
async function paint(main) {
  /** @type {AISettings} */
  const s = await api("GET", "/api/v1/ai/settings");
  const fromEnv = s.source === "environment";
  const provider = /** @type {HTMLSelectElement} */ (
    h(
      "select",
      { name: "provider", disabled: fromEnv },
      h("option", { value: "", text: gettext("None (AI off)"), selected: !s.provider }),
      h("option", { value: "azure", text: gettext("Azure OpenAI"), selected: s.provider === "azure" }),
      h("option", { value: "openai", text: gettext("OpenAI or OpenAI-compatible (vLLM, Ollama…)"), selected: s.provider === "openai" }),
    )
  );
  const baseUrl = /** @type {HTMLInputElement} */ (h("input", { name: "base_url", type: "url", maxlength: 500, value: s.base_url, disabled: fromEnv, autocomplete: "off" }));
  const model = /** @type {HTMLInputElement} */ (h("input", { name: "model", maxlength: 200, value: s.model, disabled: fromEnv, autocomplete: "off" }));
  const apiVersion = /** @type {HTMLInputElement} */ (h("input", { name: "api_version", maxlength: 40, value: s.api_version, disabled: fromEnv, autocomplete: "off", placeholder: "2024-10-21" }));
  const apiKey = /** @type {HTMLInputElement} */ (
    h("input", { name: "api_key", type: "password", maxlength: 500, disabled: fromEnv, autocomplete: "new-password", placeholder: s.api_key_set ? gettext("Saved (type to replace)") : "" })
  );
  const clearKey = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", name: "clear_api_key", disabled: fromEnv || !s.api_key_set }));
  const redact = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", name: "redact", checked: s.redact || s.redact_forced, disabled: s.redact_forced }));
  const versionField = field(gettext("API version (Azure)"), apiVersion);
  const showVersion = () => (versionField.hidden = provider.value !== "azure");
  provider.addEventListener("change", showVersion);
  showVersion();

  const status = h("p", { class: s.configured ? "ai-status ok" : "ai-status muted", role: "status" });
  status.textContent = s.configured ? gettext("AI assist is on: agents see Summary, Smart reply and Suggest labels in their rooms.") : gettext("AI assist is off: nothing is sent to any provider.");
  if (s.api_key_set && !s.api_key_readable) status.textContent = gettext("The saved API key cannot be read any more (the server's secret key changed). Enter it again.");

  const form = h(
    "form",
    { class: "settings-form ai-settings", "aria-label": gettext("AI provider") },
    fromEnv ? h("p", { class: "notice", text: gettext("The provider is set by the server's environment (CC_AI_PROVIDER); only redaction can be changed here.") }) : null,
    field(gettext("Provider"), provider),
    field(gettext("Base URL"), baseUrl, gettext("Azure: https://<resource>.openai.azure.com. OpenAI: https://api.openai.com/v1. Local: e.g. http://localhost:11434/v1")),
    field(gettext("Model (Azure: deployment name)"), model),
    versionField,
    field(gettext("API key"), apiKey, s.api_key_set ? gettext("A key is saved. It is never shown; leave empty to keep it.") : gettext("Stored encrypted; never shown again.")),
    h("label", { class: "check" }, clearKey, " ", gettext("Remove the saved key")),
    h("label", { class: "check" }, redact, " ", gettext("Replace emails, phone numbers and card numbers before text is sent")),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary", text: gettext("Save") }), h("button", { type: "button", class: "test-connection", text: gettext("Test connection"), onclick: () => testConnection(testResult) })),
  );
  const testResult = h("p", { class: "ai-test-result", role: "status", "aria-live": "polite" });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    /** @type {Record<string, any>} */
    const body = { redact: redact.checked };
    if (!fromEnv) {
      Object.assign(body, { provider: provider.value, base_url: baseUrl.value.trim(), model: model.value.trim(), api_version: apiVersion.value.trim(), clear_api_key: clearKey.checked });
      if (apiKey.value) body.api_key = apiKey.value;
    }
    try {
      await api("PUT", "/api/v1/ai/settings", body);
      toast(gettext("AI settings saved."));
      await paint(main);
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), "error");
    }
  });

  const calls = h("section", { class: "ai-calls", "aria-labelledby": "ai-calls-h" });
  clear(
    main,
    h(
      "section",
      { class: "admin-page ai-admin" },
      h("h1", { text: gettext("AI assist") }),
      h("p", { class: "muted", text: gettext("Summary, smart reply and suggested labels in the room, on your Azure OpenAI resource or any OpenAI-compatible server. Only the conversation an agent asks about is sent, when they ask.") }),
      status,
      form,
      testResult,
      calls,
    ),
  );
  await paintCalls(calls);
}

/** @param {HTMLElement} out */
async function testConnection(out) {
  out.textContent = gettext("Testing…");
  out.className = "ai-test-result muted";
  try {
    const r = await api("POST", "/api/v1/ai/settings/test", {});
    out.textContent = interpolate(gettext("Connected: the provider answered in %(ms)s ms."), { ms: r.ms });
    out.className = "ai-test-result ok";
  } catch (err) {
    out.textContent = err instanceof Error ? err.message : String(err);
    out.className = "ai-test-result form-error";
  }
}

/** @param {HTMLElement} section */
async function paintCalls(section) {
  const { results } = await api("GET", "/api/v1/ai/calls?page_size=50");
  const head = h("tr", {}, [gettext("Time"), gettext("Staff"), gettext("Enquiry"), gettext("Purpose"), gettext("Tokens in / out"), gettext("Duration"), gettext("Outcome")].map((t) => h("th", { scope: "col", text: t })));
  const rows = results.map((/** @type {any} */ c) =>
    h(
      "tr",
      { class: `ai-call ${c.outcome}` },
      h("td", { text: formatDateTime(c.created_at) }),
      h("td", { text: c.staff ? c.staff.name : "—" }),
      h("td", { text: c.enquiry ? `#${c.enquiry}` : "—" }),
      h("td", { text: c.purpose }),
      h("td", { text: `${c.tokens_in} / ${c.tokens_out}` }),
      h("td", { text: interpolate(gettext("%(ms)s ms"), { ms: c.duration_ms }) }),
      h("td", { text: c.outcome === "ok" ? gettext("OK") : `${c.status} ${c.error}` }),
    ),
  );
  clear(
    section,
    h("h2", { id: "ai-calls-h", text: gettext("Recent calls") }),
    h("p", { class: "muted small", text: gettext("Every call to the provider: who, which enquiry, tokens, time and outcome. No text and no key are kept.") }),
    rows.length ? h("table", { class: "data-table" }, h("thead", {}, head), h("tbody", {}, rows)) : h("p", { class: "muted", text: gettext("No calls yet.") }),
  );
}
