// @ts-check
// Admin page: the robot. Each channel's robot (on or off, its welcome message, hand over
// after N answers, its confidence threshold); the knowledge base it answers from (articles:
// question variants, answer, tags, language; add, edit, turn off, delete; import a CSV file
// with a per-row report of problems; try a question and see the scores); and its figures
// (resolved without a person, handovers by reason, the questions it could not answer).
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { clear, confirmDialog, field, formDialog, h, toast } from "./dom.js";

/**
 * @typedef {object} Article
 * @property {number} id
 * @property {string[]} questions
 * @property {string} answer
 * @property {string[]} tags
 * @property {boolean} enabled
 * @property {string} language
 */

/**
 * @typedef {object} RobotChannel
 * @property {number} channel
 * @property {string} channel_name
 * @property {string} channel_kind
 * @property {boolean} available
 * @property {boolean} enabled
 * @property {string} welcome_message
 * @property {number} handover_after_turns
 * @property {number} confidence_threshold
 */

/**
 * @param {HTMLElement} main
 * @returns {Promise<null>}
 */
export async function render(main) {
  const channels = h("section", { class: "robot-channels", "aria-labelledby": "robot-channels-title" });
  const kb = h("section", { class: "robot-kb", "aria-labelledby": "robot-kb-title" });
  const figures = h("section", { class: "robot-figures", "aria-labelledby": "robot-figures-title" });
  clear(
    main,
    h(
      "section",
      { class: "admin-page robot-page" },
      h("h1", { text: gettext("Robot") }),
      h("p", { class: "muted", text: gettext("A channel's robot answers new conversations first, from the knowledge base below, and hands over to people when the customer asks, when it is not sure, or after a number of answers.") }),
      channels,
      kb,
      figures,
    ),
  );
  await Promise.all([paintChannels(channels), paintKb(kb, ""), paintFigures(figures)]);
  return null;
}

/**
 * @param {() => Promise<unknown>} call
 * @param {string} message
 * @returns {Promise<boolean>}
 */
async function attempt(call, message) {
  try {
    await call();
    toast(message);
    return true;
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
    return false;
  }
}

// ------------------------------------------------------------------ channels

/** @param {HTMLElement} box */
async function paintChannels(box) {
  /** @type {{results: RobotChannel[]}} */
  const { results } = await api("GET", "/api/v1/robot/channels");
  const usable = results.filter((c) => c.available);
  clear(
    box,
    h("h2", { id: "robot-channels-title", text: gettext("Robot per channel") }),
    usable.length
      ? h("div", { class: "robot-channel-list" }, usable.map((c) => channelForm(box, c)))
      : h("p", { class: "muted", text: gettext("No website or web link channel yet.") }),
  );
}

/**
 * @param {HTMLElement} box
 * @param {RobotChannel} c
 * @returns {HTMLElement}
 */
function channelForm(box, c) {
  const enabled = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", name: "enabled", checked: c.enabled }));
  const welcome = /** @type {HTMLTextAreaElement} */ (h("textarea", { name: "welcome_message", rows: 2, maxlength: 2000, value: c.welcome_message }));
  welcome.value = c.welcome_message;
  const turns = /** @type {HTMLInputElement} */ (h("input", { type: "number", name: "handover_after_turns", min: 0, max: 100, step: 1, value: String(c.handover_after_turns) }));
  const threshold = /** @type {HTMLInputElement} */ (h("input", { type: "number", name: "confidence_threshold", min: 0, max: 1, step: 0.05, value: String(c.confidence_threshold) }));
  const form = h(
    "form",
    { class: "robot-channel", dataset: { channel: String(c.channel) }, "aria-label": interpolate(gettext("Robot of %(name)s"), { name: c.channel_name }) },
    h("h3", { text: c.channel_name }),
    h("label", { class: "check" }, enabled, " ", gettext("Robot answers first")),
    field(gettext("Robot welcome message"), welcome),
    field(gettext("Hand over after this many answers"), turns, gettext("0: never for this reason.")),
    field(gettext("Confidence threshold"), threshold, gettext("0 to 1: below it, the robot hands over instead of answering.")),
    h("button", { type: "submit", class: "primary", text: gettext("Save") }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      enabled: enabled.checked,
      welcome_message: welcome.value,
      handover_after_turns: Number(turns.value),
      confidence_threshold: Number(threshold.value),
    };
    if (await attempt(() => api("PATCH", `/api/v1/robot/channels/${c.channel}`, body), gettext("Robot settings saved."))) await paintChannels(box);
  });
  return form;
}

// ------------------------------------------------------------------ knowledge base

/**
 * The article's fields from a form (questions one per line, tags comma-separated).
 * @param {FormData} data
 */
function articleBody(data) {
  return {
    questions: String(data.get("questions") || "").split("\n").map((q) => q.trim()).filter(Boolean),
    answer: String(data.get("answer") || ""),
    tags: String(data.get("tags") || "").split(",").map((t) => t.trim()).filter(Boolean),
    language: String(data.get("language") || "").trim(),
    enabled: data.get("enabled") === "on",
  };
}

/**
 * Fills a form with an article's fields.
 * @param {HTMLFormElement} form
 * @param {Partial<Article>} article
 */
function articleFields(form, article) {
  const questions = /** @type {HTMLTextAreaElement} */ (h("textarea", { name: "questions", rows: 3, required: true }));
  questions.value = (article.questions || []).join("\n");
  const answer = /** @type {HTMLTextAreaElement} */ (h("textarea", { name: "answer", rows: 4, required: true, maxlength: 5000 }));
  answer.value = article.answer || "";
  form.append(
    field(gettext("Questions (one per line)"), questions, gettext("The ways customers ask it, in any language.")),
    field(gettext("Answer"), answer),
    field(gettext("Tags (comma-separated)"), h("input", { name: "tags", value: (article.tags || []).join(", ") })),
    field(gettext("Language (optional)"), h("input", { name: "language", maxlength: 20, value: article.language || "", placeholder: "en, zh, ja, th" })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "enabled", checked: article.enabled !== false }), " ", gettext("Enabled")),
  );
}

/**
 * @param {HTMLElement} box
 * @param {string} q
 * @param {Partial<Article>} [draft]
 */
async function newArticle(box, q, draft = {}) {
  const data = await formDialog(gettext("New article"), (/** @type {HTMLFormElement} */ form) => articleFields(form, draft), gettext("Add article"));
  if (!data) return;
  if (await attempt(() => api("POST", "/api/v1/kb/articles", articleBody(data)), gettext("Article added."))) await paintKb(box, q);
}

/**
 * @param {HTMLElement} box
 * @param {string} q
 */
async function paintKb(box, q) {
  const query = q ? `?q=${encodeURIComponent(q)}` : "";
  /** @type {{results: Article[]}} */
  const { results } = await api("GET", `/api/v1/kb/articles${query}`);
  const search = /** @type {HTMLInputElement} */ (h("input", { type: "search", name: "q", value: q, maxlength: 200, placeholder: gettext("Find articles…") }));
  const searchForm = h("form", { class: "inline-form robot-kb-search", role: "search" }, field(gettext("Find"), search), h("button", { type: "submit", text: gettext("Find") }));
  searchForm.addEventListener("submit", (e) => {
    e.preventDefault();
    paintKb(box, search.value.trim());
  });
  clear(
    box,
    h("h2", { id: "robot-kb-title", text: gettext("Knowledge base") }),
    h("div", { class: "row-actions" }, h("button", { type: "button", class: "primary robot-new-article", text: gettext("New article"), onclick: () => newArticle(box, q) })),
    importForm(box),
    tryForm(),
    searchForm,
    results.length
      ? h("ul", { class: "robot-articles", "aria-label": gettext("Articles") }, results.map((a) => articleRow(box, q, a)))
      : h("p", { class: "muted", text: q ? gettext("No article matches.") : gettext("No articles yet.") }),
  );
}

/**
 * @param {HTMLElement} box
 * @param {string} q
 * @param {Article} a
 * @returns {HTMLElement}
 */
function articleRow(box, q, a) {
  const edit = async () => {
    const data = await formDialog(gettext("Edit article"), (/** @type {HTMLFormElement} */ form) => articleFields(form, a));
    if (!data) return;
    if (await attempt(() => api("PATCH", `/api/v1/kb/articles/${a.id}`, articleBody(data)), gettext("Article saved."))) await paintKb(box, q);
  };
  const toggle = async () => {
    if (await attempt(() => api("PATCH", `/api/v1/kb/articles/${a.id}`, { enabled: !a.enabled }), a.enabled ? gettext("Article turned off.") : gettext("Article turned on."))) await paintKb(box, q);
  };
  const remove = async () => {
    if (!(await confirmDialog(gettext("Delete this article?"), a.questions[0] || "", gettext("Delete")))) return;
    if (await attempt(() => api("DELETE", `/api/v1/kb/articles/${a.id}`), gettext("Article deleted."))) await paintKb(box, q);
  };
  return h(
    "li",
    { class: `robot-article${a.enabled ? "" : " is-disabled"}`, dataset: { articleId: String(a.id) } },
    h("div", { class: "robot-article-q" }, h("strong", { text: `#${a.id} ${a.questions[0] || ""}` }), a.questions.length > 1 ? h("small", { class: "muted", text: ` (+${a.questions.length - 1})` }) : null, a.enabled ? null : h("span", { class: "badge muted", text: gettext("off") })),
    h("p", { class: "robot-article-a", text: a.answer }),
    a.tags.length || a.language ? h("small", { class: "muted", text: [a.language, ...a.tags].filter(Boolean).join(" · ") }) : null,
    h(
      "span",
      { class: "row-actions" },
      h("button", { type: "button", class: "small-button", text: gettext("Edit"), onclick: edit }),
      h("button", { type: "button", class: "small-button", text: a.enabled ? gettext("Turn off") : gettext("Turn on"), onclick: toggle }),
      h("button", { type: "button", class: "small-button danger", text: gettext("Delete"), onclick: remove }),
    ),
  );
}

/**
 * Import a CSV file (read here, sent as text): created, or every bad row listed.
 * @param {HTMLElement} box
 * @returns {HTMLElement}
 */
function importForm(box) {
  const file = /** @type {HTMLInputElement} */ (h("input", { type: "file", name: "file", accept: ".csv,text/csv", required: true }));
  const report = h("div", { class: "robot-import-report", role: "status" });
  const form = h(
    "form",
    { class: "inline-form robot-import", "aria-label": gettext("Import articles from CSV") },
    field(gettext("Import CSV"), file, gettext("Columns: question (variants separated by |), answer, tags, enabled, language. All rows or none are imported.")),
    h("button", { type: "submit", text: gettext("Import") }),
    report,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    try {
      const done = await api("POST", "/api/v1/kb/articles/import", { csv: await chosen.text() });
      toast(interpolate(gettext("%(n)s articles imported."), { n: done.created }));
      await paintKb(box, "");
    } catch (err) {
      const body = /** @type {any} */ (err).body || {};
      const rows = Array.isArray(body.errors) ? body.errors : [];
      clear(
        report,
        h("p", { class: "form-error", role: "alert", text: typeof body.detail === "string" ? body.detail : err instanceof Error ? err.message : String(err) }),
        rows.length
          ? h(
              "table",
              { class: "robot-import-errors" },
              h("thead", {}, h("tr", {}, h("th", { text: gettext("Row") }), h("th", { text: gettext("Column") }), h("th", { text: gettext("Problem") }))),
              h("tbody", {}, rows.map((/** @type {{row: number, field: string, detail: string}} */ r) => h("tr", {}, h("td", { text: String(r.row) }), h("td", { text: r.field }), h("td", { text: r.detail })))),
            )
          : null,
      );
    }
  });
  return form;
}

/** "Try a question": the best articles and their scores, as the robot would see them. */
function tryForm() {
  const text = /** @type {HTMLInputElement} */ (h("input", { name: "text", required: true, maxlength: 2000, placeholder: gettext("A customer's question") }));
  const out = h("ol", { class: "robot-try-results", "aria-live": "polite" });
  const form = h("form", { class: "inline-form robot-try" }, field(gettext("Try a question"), text), h("button", { type: "submit", text: gettext("Try") }), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      /** @type {{results: {article: Article, score: number, question: string}[]}} */
      const { results } = await api("POST", "/api/v1/kb/match", { text: text.value });
      clear(out, ...(results.length ? results.map((m) => h("li", { text: `${Math.round(m.score * 100)}% · #${m.article.id} ${m.question}` })) : [h("li", { class: "muted", text: gettext("No article shares a word with it.") })]));
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), "error");
    }
  });
  return form;
}

// ------------------------------------------------------------------ figures

/**
 * @param {HTMLElement} box
 * @param {string} [from]
 * @param {string} [to]
 */
async function paintFigures(box, from = "", to = "") {
  const params = new URLSearchParams();
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  const query = params.toString();
  let stats;
  try {
    stats = await api("GET", `/api/v1/robot/stats${query ? `?${query}` : ""}`);
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
    return;
  }
  const fromInput = /** @type {HTMLInputElement} */ (h("input", { type: "date", name: "from", value: from }));
  const toInput = /** @type {HTMLInputElement} */ (h("input", { type: "date", name: "to", value: to }));
  const period = h("form", { class: "inline-form robot-period" }, field(gettext("From"), fromInput), field(gettext("To"), toInput), h("button", { type: "submit", text: gettext("Show") }));
  period.addEventListener("submit", (e) => {
    e.preventDefault();
    paintFigures(box, fromInput.value, toInput.value);
  });
  const share = stats.resolved_share === null ? "–" : `${Math.round(stats.resolved_share * 100)}%`;
  /** @type {[string, string][]} */
  const tiles = [
    [gettext("Resolved by the robot"), share],
    [gettext("Conversations"), String(stats.conversations)],
    [gettext("Handed over"), String(stats.handed_over)],
    [gettext("Customer asked"), String(stats.handovers.asked)],
    [gettext("Not sure"), String(stats.handovers.low_confidence)],
    [gettext("After N answers"), String(stats.handovers.turns)],
    [gettext("Answers"), String(stats.answers)],
  ];
  clear(
    box,
    h("h2", { id: "robot-figures-title", text: gettext("Figures") }),
    period,
    h("dl", { class: "robot-tiles" }, tiles.map(([label, value]) => h("div", { class: "robot-tile" }, h("dt", { text: label }), h("dd", { text: value })))),
    h("h3", { text: gettext("Questions it could not answer") }),
    stats.unanswered.length
      ? h(
          "ul",
          { class: "robot-unanswered" },
          stats.unanswered.map((/** @type {{question: string, count: number, examples: string[]}} */ u) =>
            h(
              "li",
              {},
              h("strong", { text: `${u.count} × ` }),
              h("span", { text: u.question }),
              u.examples.length ? h("small", { class: "muted", text: ` (${u.examples.join(" / ")})` }) : null,
              " ",
              h("button", { type: "button", class: "small-button", text: gettext("Write an article"), onclick: () => newArticle(/** @type {HTMLElement} */ (document.querySelector(".robot-kb")), "", { questions: [u.question, ...u.examples] }) }),
            ),
          ),
        )
      : h("p", { class: "muted", text: gettext("None in this period.") }),
  );
}
