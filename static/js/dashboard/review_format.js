// @ts-check
// Pure helpers of the Review page (review.js): the total a set of scores gives, which
// criteria still need a score, the body of a review, the summary as table rows. No DOM
// here: tests/js/review_format.test.js.

/**
 * @typedef {{id: number, name: string, description: string, weight: number, active: boolean, position: number, archived: boolean}} Criterion
 * @typedef {{criterion: number, count: number, average: number}} CriterionAverage
 * @typedef {{agent: {id: number, name: string}, reviews: number, average: number, criteria: CriterionAverage[]}} SummaryRow
 */

/**
 * The criteria a new review scores: the active ones of the rubric, in its order.
 * @param {Criterion[]} criteria
 * @returns {Criterion[]}
 */
export function scoredCriteria(criteria) {
  return criteria.filter((c) => c.active && !c.archived).sort((a, b) => a.position - b.position || a.id - b.id);
}

/**
 * The weighted mean of the scores given so far (as the server computes it: two decimals,
 * half up), or null before any.
 * @param {Criterion[]} criteria
 * @param {Record<string, number>} scores {criterion id: 1-5}
 * @returns {number | null}
 */
export function weightedTotal(criteria, scores) {
  let sum = 0;
  let weights = 0;
  for (const c of criteria) {
    const score = scores[String(c.id)];
    if (!Number.isInteger(score) || score < 1 || score > 5) continue;
    sum += score * c.weight;
    weights += c.weight;
  }
  if (!weights) return null;
  // Integers first: (sum * 100) / weights, rounded half up, without float drift.
  return Math.floor((sum * 200 + weights) / (2 * weights)) / 100;
}

/**
 * The names of the criteria without a score yet.
 * @param {Criterion[]} criteria the ones to score (scoredCriteria)
 * @param {Record<string, number>} scores
 * @returns {string[]}
 */
export function missingScores(criteria, scores) {
  return criteria.filter((c) => !Number.isInteger(scores[String(c.id)])).map((c) => c.name);
}

/**
 * A total as shown: "4.25"; "—" for none.
 * @param {number | null | undefined} total
 * @returns {string}
 */
export function formatTotal(total) {
  return typeof total === "number" && Number.isFinite(total) ? total.toFixed(2) : "—";
}

/**
 * The body of POST /api/v1/reviews (enquiry given) or PATCH /api/v1/reviews/{id}.
 * @param {Criterion[]} criteria the ones scored
 * @param {Record<string, number>} scores
 * @param {string} comment
 * @param {number} [enquiry]
 * @returns {{scores: Record<string, number>, comment: string, enquiry?: number}}
 */
export function reviewBody(criteria, scores, comment, enquiry) {
  /** @type {Record<string, number>} */
  const picked = {};
  for (const c of criteria) if (Number.isInteger(scores[String(c.id)])) picked[String(c.id)] = scores[String(c.id)];
  const body = { scores: picked, comment: comment.trim() };
  return enquiry === undefined ? body : { enquiry, ...body };
}

/**
 * The summary as table rows: per agent, their average per column criterion (null where
 * none was scored in the range).
 * @param {{criteria: Criterion[], rows: SummaryRow[]}} summary
 * @returns {Array<{agent: string, agentId: number, reviews: number, average: number, cells: Array<number | null>}>}
 */
export function summaryTable(summary) {
  return summary.rows.map((row) => {
    const byId = new Map(row.criteria.map((c) => [c.criterion, c.average]));
    return {
      agent: row.agent.name,
      agentId: row.agent.id,
      reviews: row.reviews,
      average: row.average,
      cells: summary.criteria.map((c) => (byId.has(c.id) ? /** @type {number} */ (byId.get(c.id)) : null)),
    };
  });
}

/**
 * The query string of a review list or summary: the values that are set.
 * @param {Record<string, string | number | null | undefined>} values
 * @returns {string}
 */
export function reviewQuery(values) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    const text = value === null || value === undefined ? "" : String(value).trim();
    if (text) params.set(name, text);
  }
  return params.toString();
}
