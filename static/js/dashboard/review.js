// @ts-check
// Review (Reports > Review): quality review of conversations against the admins' rubric.
// Admins pick an agent and "5 random conversations from last week" (GET
// /api/v1/reviews/sample), open one (History's transcript view, history.js) and score each
// criterion 1-5 with a comment (POST /api/v1/reviews, or PATCH their own review); they see
// past reviews and per-agent averages, and edit the rubric (/api/v1/review-criteria).
// Agents see the reviews of their own conversations, read-only.
import { formatDateTime } from "../datetime.js";
import { gettext, interpolate, ngettext } from "../i18n.js";
import { api } from "./api.js";
import { channelIcon, clear, confirmDialog, field, formDialog, h, toast, uid } from "./dom.js";
import { transcriptView } from "./history.js";
import { reportsNav } from "./reports.js";
import { formatTotal, missingScores, reviewBody, reviewQuery, scoredCriteria, summaryTable, weightedTotal } from "./review_format.js";
import { app } from "./state.js";

/** @typedef {import("./review_format.js").Criterion} Criterion */

/**
 * The page's one state object.
 * @typedef {{
 *   isAdmin: boolean,
 *   criteria: Criterion[],
 *   staff: Array<{id: number, display_name: string}>,
 *   filters: {agent: string, from: string, to: string},
 *   gone: boolean,
 *   els: Record<string, HTMLElement>,
 * }} ReviewState
 */

const SAMPLE_COUNT = 5;

/**
 * @param {HTMLElement} main
 * @param {RegExpMatchArray} match match[1]: an enquiry to open at once, or undefined
 * @param {URLSearchParams} params ?agent= preselects an agent
 * @returns {Promise<() => void>}
 */
export async function render(main, match, params) {
  const isAdmin = Boolean(app.me.is_admin);
  const [criteria, staff] = await Promise.all([loadCriteria(isAdmin), isAdmin ? api("GET", "/api/v1/staff").then((d) => d.results || []) : Promise.resolve([])]);
  /** @type {ReviewState} */
  const state = {
    isAdmin,
    criteria,
    staff,
    filters: { agent: params.get("agent") || "", from: "", to: "" },
    gone: false,
    els: {},
  };
  state.els.panel = h("section", { class: "review-panel", id: "review-panel", "aria-label": gettext("Conversation under review"), hidden: true });
  state.els.reviews = h("div", { class: "review-list" });
  state.els.summary = h("div", { class: "review-summary" });
  state.els.rubric = h("div", { class: "review-rubric" });
  clear(
    main,
    h(
      "section",
      { class: "list-view review-page" },
      reportsNav("review"),
      h("h1", { text: gettext("Review") }),
      isAdmin
        ? h("p", { class: "muted", text: gettext("Pick conversations of an agent, read them and score each criterion of the rubric from 1 (poor) to 5 (excellent). The agent is told of your review.") })
        : h("p", { class: "muted", text: gettext("Reviews of your conversations by the admins, with your averages.") }),
      isAdmin ? samplePicker(state) : null,
      state.els.panel,
      h("h2", { text: isAdmin ? gettext("Past reviews") : gettext("Your reviews") }),
      filtersForm(state),
      state.els.reviews,
      h("h2", { text: isAdmin ? gettext("Averages per agent") : gettext("Your averages") }),
      state.els.summary,
      isAdmin ? h("h2", { text: gettext("Rubric") }) : null,
      isAdmin ? state.els.rubric : null,
    ),
  );
  if (isAdmin) paintRubric(state);
  await Promise.all([loadReviews(state), loadSummary(state)]);
  if (match[1]) await openConversation(state, Number(match[1]));
  return () => {
    state.gone = true;
  };
}

/**
 * @param {boolean} archived also the archived criteria
 * @returns {Promise<Criterion[]>}
 */
async function loadCriteria(archived) {
  const data = await api("GET", `/api/v1/review-criteria${archived ? "?archived=1" : ""}`);
  return data.results || [];
}

/**
 * @param {ReviewState} state
 * @param {string} id
 * @param {string} anyLabel
 * @returns {HTMLSelectElement}
 */
function agentSelect(state, id, anyLabel) {
  return /** @type {HTMLSelectElement} */ (
    h(
      "select",
      { id, name: "agent" },
      h("option", { value: "", text: anyLabel }),
      state.staff.map((s) => h("option", { value: String(s.id), text: s.display_name, selected: String(s.id) === state.filters.agent })),
    )
  );
}

// ---------------------------------------------------------------- the sample

/**
 * @param {ReviewState} state
 * @returns {HTMLElement}
 */
function samplePicker(state) {
  const agent = agentSelect(state, "review-sample-agent", gettext("Choose an agent"));
  agent.required = true;
  const button = h("button", { type: "submit", class: "primary", "data-action": "pick-sample", text: interpolate(gettext("Pick %(n)s random from last week"), { n: SAMPLE_COUNT }) });
  const status = h("p", { class: "small muted", role: "status" });
  const list = h("div", { class: "review-sample" });
  const form = h("form", { class: "filters review-sample-form", "aria-label": gettext("Pick conversations to review") }, field(gettext("Agent"), agent), button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!agent.value) return;
    status.textContent = gettext("Loading…");
    let data;
    try {
      data = await api("GET", `/api/v1/reviews/sample?${reviewQuery({ agent: agent.value, count: SAMPLE_COUNT })}`);
    } catch (err) {
      status.textContent = "";
      toast(err.message, "error");
      return;
    }
    if (state.gone) return;
    const range = interpolate(gettext("%(from)s to %(to)s"), { from: formatDateTime(data.from), to: formatDateTime(data.to) });
    status.textContent = data.results.length
      ? interpolate(ngettext("%(n)s conversation not reviewed yet (%(range)s).", "%(n)s conversations not reviewed yet (%(range)s).", data.results.length), { n: data.results.length, range })
      : interpolate(gettext("No finished conversation of this agent left to review (%(range)s)."), { range });
    clear(list, data.results.length ? sampleTable(state, data.results) : null);
  });
  return h("section", { class: "review-picker", "aria-labelledby": "review-pick-title" }, h("h2", { id: "review-pick-title", text: gettext("Pick conversations") }), form, status, list);
}

/**
 * @param {ReviewState} state
 * @param {any[]} rows rows of the sample
 * @returns {HTMLElement}
 */
function sampleTable(state, rows) {
  return h(
    "table",
    { class: "data-table review-sample-table" },
    h("caption", { class: "visually-hidden", text: gettext("Conversations to review") }),
    h("thead", {}, h("tr", {}, ["#", gettext("Channel"), gettext("Customer"), gettext("Started"), gettext("Topic / first message"), gettext("Action")].map((t) => h("th", { scope: "col", text: t })))),
    h(
      "tbody",
      {},
      rows.map((e) =>
        h(
          "tr",
          { dataset: { enquiry: String(e.id) } },
          h("td", { text: `#${e.id}` }),
          h("td", {}, channelIcon(e.via), " ", e.channel.name),
          h("td", { text: e.customer }),
          h("td", { class: "nowrap", text: formatDateTime(e.created_at) }),
          h("td", { class: "clip", title: e.topic || e.first_message, text: e.topic || e.first_message }),
          h("td", {}, h("button", { type: "button", class: "small-button", "data-action": "open-review", "aria-label": interpolate(gettext("Review conversation #%(id)s"), { id: e.id }), text: gettext("Review"), onclick: () => openConversation(state, e.id) })),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------- one conversation

/**
 * Show a conversation's transcript and, for admins, the scoring form (their own review to
 * change, if they wrote one); agents see the reviews of it.
 * @param {ReviewState} state
 * @param {number} enquiryId
 */
async function openConversation(state, enquiryId) {
  const panel = state.els.panel;
  panel.hidden = false;
  clear(panel, h("p", { class: "muted", text: gettext("Loading…") }));
  let transcript;
  let existing;
  try {
    [transcript, existing] = await Promise.all([api("GET", `/api/v1/history/${enquiryId}`), api("GET", `/api/v1/reviews?${reviewQuery({ enquiry: enquiryId })}`)]);
  } catch (err) {
    clear(panel, h("p", { class: "form-error", role: "alert", text: err.message }));
    return;
  }
  if (state.gone) return;
  const mine = existing.results.find((r) => r.reviewer.id === app.me.id) || null;
  const others = existing.results.filter((r) => r !== mine);
  const close = h("button", {
    type: "button",
    class: "small-button",
    "data-action": "close-review",
    text: gettext("Close"),
    onclick: () => {
      panel.hidden = true;
      clear(panel);
    },
  });
  const side = h(
    "div",
    { class: "review-side" },
    state.isAdmin ? scoreForm(state, enquiryId, mine) : null,
    (state.isAdmin ? others : existing.results).map((r) => reviewCard(r)),
    !state.isAdmin && !existing.results.length ? h("p", { class: "muted", text: gettext("No review of this conversation.") }) : null,
  );
  clear(panel, h("div", { class: "review-panel-head" }, close), h("div", { class: "review-columns" }, transcriptView(transcript, { back: null, heading: "h2" }), side));
  panel.scrollIntoView({ block: "start" });
  const first = /** @type {HTMLElement | null} */ (panel.querySelector(".review-form input, .review-card"));
  if (first) first.focus({ preventScroll: true });
}

/**
 * The scoring form: one radio group per criterion of the rubric, a comment, Save.
 * @param {ReviewState} state
 * @param {number} enquiryId
 * @param {any | null} mine the caller's review of it, to change
 * @returns {HTMLElement}
 */
function scoreForm(state, enquiryId, mine) {
  const criteria = scoredCriteria(state.criteria);
  /** @type {Record<string, number>} */
  const scores = {};
  if (mine) for (const s of mine.scores) if (criteria.some((c) => c.id === s.criterion)) scores[String(s.criterion)] = s.score;
  const total = h("p", { class: "review-total", role: "status", "aria-live": "polite" });
  const problem = h("p", { class: "form-error", role: "alert" });
  const showTotal = () => {
    total.textContent = interpolate(gettext("Total: %(total)s"), { total: formatTotal(weightedTotal(criteria, scores)) });
  };
  showTotal();
  const groups = criteria.map((c) => {
    const name = uid("score");
    const descId = c.description ? uid("desc") : "";
    return h(
      "fieldset",
      { class: "score-group", dataset: { criterion: String(c.id) }, ...(descId ? { "aria-describedby": descId } : {}) },
      h("legend", {}, c.name, c.weight !== 1 ? h("small", { class: "muted", text: ` · ${interpolate(gettext("weight %(w)s"), { w: c.weight })}` }) : null),
      descId ? h("small", { class: "hint", id: descId, text: c.description }) : null,
      h(
        "div",
        { class: "score-options" },
        [1, 2, 3, 4, 5].map((n) => {
          const input = /** @type {HTMLInputElement} */ (h("input", { type: "radio", name, value: String(n), checked: scores[String(c.id)] === n, "aria-label": interpolate(gettext("%(criterion)s: %(n)s of 5"), { criterion: c.name, n }) }));
          input.addEventListener("change", () => {
            scores[String(c.id)] = n;
            showTotal();
          });
          return h("label", { class: "score-option" }, input, h("span", { text: String(n), "aria-hidden": "true" }));
        }),
      ),
    );
  });
  const comment = /** @type {HTMLTextAreaElement} */ (h("textarea", { name: "comment", rows: 3, maxlength: 4000, text: mine ? mine.comment : "" }));
  const save = h("button", { type: "submit", class: "primary", "data-action": "save-review", text: mine ? gettext("Save changes") : gettext("Save review") });
  const form = h(
    "form",
    { class: "review-form", "aria-label": interpolate(gettext("Review of conversation #%(id)s"), { id: enquiryId }), novalidate: true },
    h("h2", { text: mine ? gettext("Your review") : gettext("Score this conversation") }),
    criteria.length ? groups : h("p", { class: "muted", text: gettext("The rubric has no active criterion: add one below first.") }),
    field(gettext("Comment"), comment),
    total,
    problem,
    h("div", { class: "actions" }, save),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.textContent = "";
    const missing = missingScores(criteria, scores);
    if (missing.length) {
      problem.textContent = interpolate(gettext("Score every criterion; missing: %(names)s."), { names: missing.join(", ") });
      const firstMissing = /** @type {HTMLInputElement | null} */ (form.querySelector(`fieldset[data-criterion="${criteria.find((c) => missing.includes(c.name))?.id}"] input`));
      if (firstMissing) firstMissing.focus();
      return;
    }
    try {
      if (mine) await api("PATCH", `/api/v1/reviews/${mine.id}`, reviewBody(criteria, scores, comment.value));
      else await api("POST", "/api/v1/reviews", reviewBody(criteria, scores, comment.value, enquiryId));
    } catch (err) {
      const fields = err.body || {};
      problem.textContent = (fields.scores && fields.scores[0]) || (fields.comment && fields.comment[0]) || err.message;
      return;
    }
    toast(gettext("Review saved."));
    document.querySelectorAll(`.review-sample-table tr[data-enquiry="${enquiryId}"]`).forEach((tr) => tr.remove());
    await Promise.all([loadReviews(state), loadSummary(state)]);
    await openConversation(state, enquiryId);
  });
  return form;
}

/**
 * A review, read-only.
 * @param {any} r
 * @returns {HTMLElement}
 */
function reviewCard(r) {
  return h(
    "article",
    { class: "review-card", tabindex: "-1", dataset: { review: String(r.id) } },
    h("h3", { text: interpolate(gettext("Review by %(name)s"), { name: r.reviewer.name }) }),
    h("p", { class: "small muted" }, h("time", { datetime: r.updated_at, text: formatDateTime(r.updated_at) })),
    h("p", { class: "review-total", text: interpolate(gettext("Total: %(total)s"), { total: formatTotal(r.total) }) }),
    h(
      "dl",
      { class: "kv review-scores" },
      r.scores.map((s) => [h("dt", { text: s.name }), h("dd", { text: interpolate(gettext("%(n)s of 5"), { n: s.score }) })]),
    ),
    r.comment ? h("p", { class: "review-comment", text: r.comment }) : null,
  );
}

// ---------------------------------------------------------------- past reviews and averages

/**
 * @param {ReviewState} state
 * @returns {HTMLElement}
 */
function filtersForm(state) {
  const from = /** @type {HTMLInputElement} */ (h("input", { id: "review-from", name: "from", type: "date" }));
  const to = /** @type {HTMLInputElement} */ (h("input", { id: "review-to", name: "to", type: "date" }));
  const agent = state.isAdmin ? agentSelect(state, "review-agent", gettext("everyone")) : null;
  const form = h(
    "form",
    { class: "filters review-filters", "aria-label": gettext("Filters") },
    agent ? field(gettext("Agent"), agent) : null,
    field(gettext("Conversations from"), from),
    field(gettext("To"), to),
    h("button", { type: "submit", class: "primary small-button", text: gettext("Apply") }),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    state.filters = { agent: agent ? agent.value : "", from: from.value, to: to.value };
    loadReviews(state);
    loadSummary(state);
  });
  return form;
}

/** @param {ReviewState} state */
async function loadReviews(state) {
  let data;
  try {
    data = await api("GET", `/api/v1/reviews?${reviewQuery({ ...state.filters, limit: 100 })}`);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  if (state.gone) return;
  if (!data.results.length) {
    clear(state.els.reviews, h("p", { class: "muted", text: gettext("No review yet.") }));
    return;
  }
  clear(
    state.els.reviews,
    h(
      "table",
      { class: "data-table reviews-table" },
      h("caption", { class: "visually-hidden", text: gettext("Reviews") }),
      h("thead", {}, h("tr", {}, [gettext("Conversation"), gettext("Customer"), gettext("Agent"), gettext("Reviewer"), gettext("Total"), gettext("Comment"), gettext("Reviewed"), gettext("Actions")].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, data.results.map((r) => reviewRow(state, r))),
    ),
    data.next_cursor ? h("p", { class: "small muted", text: gettext("The 100 newest are shown: narrow the dates to see older ones.") }) : null,
  );
}

/**
 * @param {ReviewState} state
 * @param {any} r
 * @returns {HTMLElement}
 */
function reviewRow(state, r) {
  const scores = r.scores.map((s) => `${s.name} ${s.score}`).join(" · ");
  return h(
    "tr",
    { dataset: { review: String(r.id) } },
    h("td", {}, h("button", { type: "button", class: "link-button", "data-action": "open-review", text: `#${r.enquiry.id}`, "aria-label": interpolate(gettext("Open conversation #%(id)s"), { id: r.enquiry.id }), onclick: () => openConversation(state, r.enquiry.id) })),
    h("td", {}, channelIcon(r.enquiry.via), " ", r.enquiry.customer),
    h("td", { text: r.agent.name }),
    h("td", { text: r.reviewer.name }),
    h("td", { class: "review-total-cell", title: scores, text: formatTotal(r.total) }),
    h("td", { class: "clip", title: r.comment, text: r.comment }),
    h("td", { class: "nowrap", text: formatDateTime(r.created_at) }),
    h(
      "td",
      { class: "row-actions" },
      r.editable ? h("button", { type: "button", class: "small-button", text: gettext("Edit"), "aria-label": interpolate(gettext("Edit the review of #%(id)s"), { id: r.enquiry.id }), onclick: () => openConversation(state, r.enquiry.id) }) : null,
      r.deletable
        ? h("button", {
            type: "button",
            class: "small-button danger",
            text: gettext("Delete"),
            "aria-label": interpolate(gettext("Delete the review of #%(id)s"), { id: r.enquiry.id }),
            onclick: async () => {
              if (!(await confirmDialog(gettext("Delete this review?"), interpolate(gettext("The review of conversation #%(id)s by %(name)s is deleted for good."), { id: r.enquiry.id, name: r.reviewer.name }), gettext("Delete")))) return;
              try {
                await api("DELETE", `/api/v1/reviews/${r.id}`);
              } catch (err) {
                toast(err.message, "error");
                return;
              }
              toast(gettext("Review deleted."));
              await Promise.all([loadReviews(state), loadSummary(state)]);
            },
          })
        : null,
    ),
  );
}

/** @param {ReviewState} state */
async function loadSummary(state) {
  let data;
  try {
    data = await api("GET", `/api/v1/reviews/summary?${reviewQuery(state.filters)}`);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  if (state.gone) return;
  if (!data.rows.length) {
    clear(state.els.summary, h("p", { class: "muted", text: gettext("No review in this period.") }));
    return;
  }
  clear(
    state.els.summary,
    h(
      "table",
      { class: "data-table review-summary-table" },
      h("caption", { class: "visually-hidden", text: gettext("Averages per agent") }),
      h("thead", {}, h("tr", {}, [gettext("Agent"), gettext("Reviews"), gettext("Average"), ...data.criteria.map((c) => c.name)].map((t) => h("th", { scope: "col", text: t })))),
      h(
        "tbody",
        {},
        summaryTable(data).map((row) => h("tr", { dataset: { agent: String(row.agentId) } }, h("th", { scope: "row", text: row.agent }), h("td", { text: String(row.reviews) }), h("td", { text: formatTotal(row.average) }), row.cells.map((v) => h("td", { text: formatTotal(v) })))),
      ),
    ),
  );
}

// ---------------------------------------------------------------- the rubric (admins)

/**
 * Send a change of the rubric; reload it and say so, or show the refusal.
 * @param {ReviewState} state
 * @param {() => Promise<any>} call
 * @param {string | ((result: any) => string)} message a text, or one made from the answer
 */
async function rubricChange(state, call, message) {
  try {
    const result = await call();
    toast(typeof message === "function" ? message(result) : message);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  state.criteria = await loadCriteria(true);
  if (!state.gone) paintRubric(state);
}

/** @param {ReviewState} state */
function paintRubric(state) {
  const current = state.criteria.filter((c) => !c.archived);
  const name = /** @type {HTMLInputElement} */ (h("input", { name: "name", required: true, maxlength: 80, autocomplete: "off" }));
  const description = /** @type {HTMLInputElement} */ (h("input", { name: "description", maxlength: 1000, autocomplete: "off" }));
  const weight = /** @type {HTMLInputElement} */ (h("input", { name: "weight", type: "number", min: "1", max: "100", value: "1", required: true }));
  const add = h(
    "form",
    { class: "inline-form review-criterion-new", "aria-label": gettext("Add a criterion to the rubric") },
    field(gettext("New criterion"), name),
    field(gettext("Description"), description),
    field(gettext("Weight"), weight),
    h("button", { type: "submit", class: "primary", text: gettext("Add criterion") }),
  );
  add.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), description: description.value.trim(), weight: Number(weight.value) };
    rubricChange(state, () => api("POST", "/api/v1/review-criteria", body), gettext("Criterion added."));
  });
  const rows = current.map((c, index) =>
    h(
      "tr",
      { dataset: { criterion: String(c.id) } },
      h("th", { scope: "row", text: c.name }),
      h("td", { text: c.description }),
      h("td", { text: String(c.weight) }),
      h("td", { text: c.active ? gettext("yes") : gettext("no") }),
      h(
        "td",
        { class: "row-actions" },
        h("button", { type: "button", class: "small-button", text: "↑", disabled: index === 0, "aria-label": interpolate(gettext("Move %(name)s up"), { name: c.name }), onclick: () => rubricChange(state, () => api("PATCH", `/api/v1/review-criteria/${c.id}`, { position: index - 1 }), gettext("Rubric reordered.")) }),
        h("button", { type: "button", class: "small-button", text: "↓", disabled: index === current.length - 1, "aria-label": interpolate(gettext("Move %(name)s down"), { name: c.name }), onclick: () => rubricChange(state, () => api("PATCH", `/api/v1/review-criteria/${c.id}`, { position: index + 1 }), gettext("Rubric reordered.")) }),
        h("button", { type: "button", class: "small-button", text: gettext("Edit"), "aria-label": interpolate(gettext("Edit %(name)s"), { name: c.name }), onclick: () => editCriterion(state, c) }),
        h("button", {
          type: "button",
          class: "small-button danger",
          text: gettext("Delete"),
          "aria-label": interpolate(gettext("Delete %(name)s"), { name: c.name }),
          onclick: async () => {
            if (!(await confirmDialog(interpolate(gettext("Delete %(name)s?"), { name: c.name }), gettext("If reviews scored it, it is archived instead: those reviews keep it."), gettext("Delete")))) return;
            rubricChange(state, () => api("DELETE", `/api/v1/review-criteria/${c.id}`), (/** @type {any} */ result) => (result && result.archived ? gettext("Criterion archived: reviews had scored it.") : gettext("Criterion deleted.")));
          },
        }),
      ),
    ),
  );
  clear(
    state.els.rubric,
    h("p", { class: "muted", text: gettext("Each review scores every active criterion from 1 to 5; the total is their mean weighted by the weights.") }),
    current.length
      ? h(
          "table",
          { class: "data-table rubric-table" },
          h("caption", { class: "visually-hidden", text: gettext("Rubric") }),
          h("thead", {}, h("tr", {}, [gettext("Criterion"), gettext("Description"), gettext("Weight"), gettext("Active"), gettext("Actions")].map((t) => h("th", { scope: "col", text: t })))),
          h("tbody", {}, rows),
        )
      : h("p", { class: "muted", text: gettext("No criterion yet.") }),
    add,
  );
}

/**
 * @param {ReviewState} state
 * @param {Criterion} c
 */
async function editCriterion(state, c) {
  const data = await formDialog(interpolate(gettext("Edit %(name)s"), { name: c.name }), (form) => {
    form.append(
      field(gettext("Name"), h("input", { name: "name", value: c.name, required: true, maxlength: 80 })),
      field(gettext("Description"), h("textarea", { name: "description", rows: 3, maxlength: 1000, text: c.description })),
      field(gettext("Weight"), h("input", { name: "weight", type: "number", min: "1", max: "100", value: String(c.weight), required: true })),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "active", checked: c.active }), " ", gettext("Active (scored in new reviews)")),
    );
  });
  if (!data) return;
  const body = { name: String(data.get("name") || "").trim(), description: String(data.get("description") || "").trim(), weight: Number(data.get("weight")), active: data.get("active") === "on" };
  await rubricChange(state, () => api("PATCH", `/api/v1/review-criteria/${c.id}`, body), gettext("Criterion saved."));
}
