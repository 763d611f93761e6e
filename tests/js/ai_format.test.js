import { test } from "node:test";
import assert from "node:assert/strict";

import { labelsPlan, parseSSE } from "../../static/js/dashboard/ai_format.js";

test("parseSSE reads complete events and keeps the tail", () => {
  const { events, rest } = parseSSE('event: delta\ndata: {"text": "Hel"}\n\nevent: delta\ndata: {"text": "lo"}\n\nevent: do');
  assert.deepEqual(events, [
    { event: "delta", data: { text: "Hel" } },
    { event: "delta", data: { text: "lo" } },
  ]);
  assert.equal(rest, "event: do");
  const more = parseSSE(rest + 'ne\r\ndata: {"summary": "x"}\r\n\r\n');
  assert.deepEqual(more.events, [{ event: "done", data: { summary: "x" } }]);
  assert.equal(more.rest, "");
});

test("labelsPlan adds to what the enquiry and the customer carry", () => {
  const result = {
    topic: "Late delivery",
    tags: [{ id: 3, label: "Shipping" }],
    customer_tags: [{ id: 9, name: "VIP" }],
    suggested_new: { tags: [], customer_tags: [] },
    current: { topic: "", tags: [1], customer: 5, customer_tags: [9] },
  };
  assert.deepEqual(labelsPlan(result), { enquiry: { topic: "Late delivery", tags: [1, 3] }, customer: null });
  assert.deepEqual(labelsPlan({ ...result, tags: [], current: { ...result.current, topic: "Late delivery", customer_tags: [] } }), {
    enquiry: null,
    customer: { id: 5, tags: [9] },
  });
});
