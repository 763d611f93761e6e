// @ts-check
// Pure helpers of AI assist in the room: reading server-sent events as they arrive, and
// what one click on suggested labels sends (added to what the enquiry and customer carry).

/**
 * @typedef {{event: string, data: any}} SSEvent
 */

/**
 * Splits the server-sent events complete in ``buffer``; ``rest`` is the incomplete tail to
 * keep for the next chunk.
 * @param {string} buffer
 * @returns {{events: SSEvent[], rest: string}}
 */
export function parseSSE(buffer) {
  const normalized = buffer.replace(/\r\n/g, "\n");
  const blocks = normalized.split("\n\n");
  const rest = blocks.pop() || "";
  /** @type {SSEvent[]} */
  const events = [];
  for (const block of blocks) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (!data.length) continue;
    let parsed;
    try {
      parsed = JSON.parse(data.join("\n"));
    } catch {
      parsed = data.join("\n");
    }
    events.push({ event, data: parsed });
  }
  return { events, rest };
}

/**
 * @typedef {object} LabelsResult the answer of POST .../ai/labels
 * @property {string} topic
 * @property {{id: number, label: string}[]} tags
 * @property {{id: number, name: string}[]} customer_tags
 * @property {{tags: string[], customer_tags: string[]}} suggested_new
 * @property {{topic: string, tags: number[], customer: number | null, customer_tags: number[]}} current
 */

/**
 * The requests that apply suggested labels: the enquiry's topic and tags (added to its
 * own), and the customer's tags (added to theirs); null where there is nothing to change.
 * @param {LabelsResult} result
 * @param {{topic?: boolean}} [options] topic: false leaves the topic alone
 * @returns {{enquiry: {topic?: string, tags?: number[]} | null, customer: {id: number, tags: number[]} | null}}
 */
export function labelsPlan(result, { topic = true } = {}) {
  /** @type {{topic?: string, tags?: number[]}} */
  const enquiry = {};
  if (topic && result.topic && result.topic !== result.current.topic) enquiry.topic = result.topic;
  const tags = [...new Set([...result.current.tags, ...result.tags.map((t) => t.id)])];
  if (tags.length !== result.current.tags.length) enquiry.tags = tags;
  let customer = null;
  if (result.current.customer) {
    const ctags = [...new Set([...result.current.customer_tags, ...result.customer_tags.map((t) => t.id)])];
    if (ctags.length !== result.current.customer_tags.length) customer = { id: result.current.customer, tags: ctags };
  }
  return { enquiry: Object.keys(enquiry).length ? enquiry : null, customer };
}
