// @ts-check
// AI assist in an enquiry room (shown only when an admin configured a provider): Summary,
// Smart reply and Suggest labels. Answers stream in as the provider writes them; reply
// drafts go into the composer to be edited (never sent by themselves); suggested labels
// are applied with one click through the enquiry's and the customer's own APIs.

import { gettext, interpolate } from "../../i18n.js";
import { ApiError, api, csrfToken } from "../api.js";
import { labelsPlan, parseSSE } from "../ai_format.js";
import { clear, h, toast } from "../dom.js";
import { reloadInfo } from "./info.js";
import { growInput } from "./layout.js";
import { enquiryOf, isReadOnly } from "./rules.js";

/** @typedef {import("./state.js").RoomState} RoomState */
/** @typedef {import("../ai_format.js").LabelsResult} LabelsResult */

/**
 * Adds the AI toolbar above the composer when AI is configured and the room is an enquiry's.
 * @param {RoomState} state
 */
export async function wireAI(state) {
  const enquiry = enquiryOf(state.info);
  if (!enquiry) return;
  let status;
  try {
    status = await api("GET", "/api/v1/ai/status", undefined, { background: true });
  } catch {
    return; // no AI buttons is the safe default
  }
  if (!status.configured || state.stale()) return;
  const panel = h("div", { class: "ai-panel", role: "region", "aria-label": gettext("AI assist"), "aria-live": "polite", hidden: true });
  const buttons = {
    summary: h("button", { type: "button", class: "small-button ai-summary", text: gettext("Summary") }),
    reply: h("button", { type: "button", class: "small-button ai-reply", text: gettext("Smart reply") }),
    labels: h("button", { type: "button", class: "small-button ai-labels", text: gettext("Suggest labels") }),
  };
  if (isReadOnly(state.info, state.monitor)) buttons.reply.hidden = true;
  const bar = h("div", { class: "ai-bar", role: "toolbar", "aria-label": gettext("AI assist") }, h("span", { class: "ai-mark small muted", "aria-hidden": "true", text: "AI" }), buttons.summary, buttons.reply, buttons.labels);
  state.ui.composer.before(bar, panel);
  const ctx = { state, panel, buttons: Object.values(buttons), enquiryId: enquiry.id };
  buttons.summary.addEventListener("click", () => run(ctx, "summary"));
  buttons.reply.addEventListener("click", () => run(ctx, "reply"));
  buttons.labels.addEventListener("click", () => run(ctx, "labels"));
}

/**
 * @typedef {object} AICtx
 * @property {RoomState} state
 * @property {HTMLElement} panel
 * @property {HTMLElement[]} buttons
 * @property {number} enquiryId
 */

const THINKING = {
  summary: gettext("Summarising the conversation…"),
  reply: gettext("Writing reply drafts…"),
  labels: gettext("Choosing a topic and tags…"),
};

/**
 * @param {AICtx} ctx
 * @param {"summary" | "reply" | "labels"} kind
 */
async function run(ctx, kind) {
  const { panel } = ctx;
  ctx.buttons.forEach((b) => ((/** @type {HTMLButtonElement} */ (b)).disabled = true));
  const live = h("p", { class: "ai-live" });
  const close = h("button", { type: "button", class: "tool ai-close", "aria-label": gettext("Close AI answer"), text: "×", onclick: () => hide(panel) });
  panel.hidden = false;
  panel.setAttribute("aria-busy", "true");
  panel.classList.remove("ai-error");
  clear(panel, close, h("p", { class: "ai-thinking", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), " ", THINKING[kind]), live);
  try {
    const url = `/api/v1/enquiries/${ctx.enquiryId}/ai/${kind}`;
    const result = kind === "labels" ? await api("POST", url, {}) : await streamed(url, (text) => (live.textContent += text));
    if (ctx.state.stale()) return;
    clear(panel, close);
    if (kind === "summary") showSummary(ctx, result.summary);
    else if (kind === "reply") showDrafts(ctx, result.suggestions);
    else showLabels(ctx, result);
  } catch (err) {
    panel.classList.add("ai-error");
    clear(panel, close, h("p", { class: "form-error", role: "alert", text: err instanceof Error ? err.message : String(err) }));
  } finally {
    panel.removeAttribute("aria-busy");
    ctx.buttons.forEach((b) => ((/** @type {HTMLButtonElement} */ (b)).disabled = false));
  }
}

/** @param {HTMLElement} panel */
function hide(panel) {
  panel.hidden = true;
  clear(panel);
}

/**
 * POSTs for server-sent events; calls onDelta with each piece of text; resolves with the
 * final answer (the "done" event), rejects with the server's detail.
 * @param {string} url
 * @param {(text: string) => void} onDelta
 * @returns {Promise<any>}
 */
async function streamed(url, onDelta) {
  let res;
  try {
    res = await fetch(`${url}?stream=1`, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "text/event-stream", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: "{}",
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (!res.ok || !res.body) {
    const body = await res.json().catch(() => null);
    throw new ApiError(res.status, body);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const parsed = parseSSE(buffer);
    buffer = parsed.rest;
    for (const e of parsed.events) {
      if (e.event === "delta") onDelta(String(e.data.text || ""));
      else if (e.event === "done") return e.data;
      else if (e.event === "error") throw new Error(e.data.detail || gettext("The AI provider failed."));
    }
  }
  throw new Error(gettext("The AI answer was cut off. Try again."));
}

/**
 * @param {AICtx} ctx
 * @param {string} summary
 */
function showSummary(ctx, summary) {
  const text = /** @type {HTMLTextAreaElement} */ (h("textarea", { class: "ai-summary-text", rows: 5, "aria-label": gettext("Summary (you can edit it before saving)") }));
  text.value = summary;
  const save = h("button", {
    type: "button",
    class: "small-button primary ai-save-note",
    text: gettext("Save as note"),
    onclick: async () => {
      try {
        await api("POST", `/api/v1/enquiries/${ctx.enquiryId}/ai/summary/note`, { text: text.value });
        toast(gettext("Summary saved as a note (staff only; shown in History)."));
        hide(ctx.panel);
      } catch (err) {
        toast(err instanceof Error ? err.message : String(err), "error");
      }
    },
  });
  ctx.panel.append(h("h3", { class: "ai-h", text: gettext("AI summary") }), text, h("div", { class: "ai-actions" }, save));
}

/**
 * @param {AICtx} ctx
 * @param {string[]} drafts
 */
function showDrafts(ctx, drafts) {
  const { textarea } = ctx.state.ui;
  ctx.panel.append(
    h("h3", { class: "ai-h", text: gettext("Reply drafts (edit before sending)") }),
    h(
      "ul",
      { class: "ai-drafts" },
      drafts.map((draft, i) =>
        h(
          "li",
          { class: "ai-draft" },
          h("p", { class: "body", text: draft }),
          h("button", {
            type: "button",
            class: "small-button ai-insert",
            text: gettext("Insert"),
            "aria-label": interpolate(gettext("Insert draft %(n)s into the message box"), { n: i + 1 }),
            onclick: () => {
              textarea.value = draft;
              growInput(ctx.state.ui);
              textarea.focus();
              hide(ctx.panel);
            },
          }),
        ),
      ),
    ),
  );
}

/**
 * @param {AICtx} ctx
 * @param {LabelsResult} result
 */
function showLabels(ctx, result) {
  const plan = labelsPlan(result);
  const chips = (/** @type {string[]} */ names) => h("span", { class: "ai-chips" }, names.map((n) => h("span", { class: "chip", text: n })));
  const rows = [
    [gettext("Topic"), result.topic ? chips([result.topic]) : h("span", { class: "muted", text: "—" })],
    [gettext("Conversation tags"), result.tags.length ? chips(result.tags.map((t) => t.label)) : h("span", { class: "muted", text: "—" })],
    [gettext("Customer tags"), result.customer_tags.length ? chips(result.customer_tags.map((t) => t.name)) : h("span", { class: "muted", text: "—" })],
  ];
  const news = [...result.suggested_new.tags, ...result.suggested_new.customer_tags];
  const apply = h("button", {
    type: "button",
    class: "small-button primary ai-apply",
    text: gettext("Apply"),
    disabled: !plan.enquiry && !plan.customer,
    onclick: async () => {
      try {
        if (plan.enquiry) await api("PATCH", `/api/v1/enquiries/${ctx.enquiryId}`, plan.enquiry);
        if (plan.customer) await api("PATCH", `/api/v1/customers/${plan.customer.id}`, { tags: plan.customer.tags });
        toast(gettext("Labels applied."));
        hide(ctx.panel);
        await reloadInfo(ctx.state);
      } catch (err) {
        toast(err instanceof Error ? err.message : String(err), "error");
      }
    },
  });
  ctx.panel.append(
    h("h3", { class: "ai-h", text: gettext("Suggested labels") }),
    h("dl", { class: "ai-labels-list" }, rows.map(([label, value]) => [h("dt", { text: /** @type {string} */ (label) }), h("dd", {}, value)]).flat()),
    news.length ? h("p", { class: "small muted ai-new", text: interpolate(gettext("Ideas for new tags (an admin can create them): %(names)s"), { names: news.join(", ") }) }) : null,
    h("div", { class: "ai-actions" }, apply),
  );
}
