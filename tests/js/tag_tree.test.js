// Unit tests of the conversation tag tree helpers (static/js/dashboard/tag_tree.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { chosenIds, groupTags, parentChoices, tagLabel } from "../../static/js/dashboard/tag_tree.js";

const TAGS = [
  { id: 3, name: "Refund", parent: 1, parent_name: "Billing" },
  { id: 1, name: "Billing", parent: null },
  { id: 2, name: "Account", parent: null },
  { id: 4, name: "Invoice", parent: 1, parent_name: "Billing" },
  { id: 9, name: "Lost", parent: 8, parent_name: "Gone" },
];

describe("groupTags", () => {
  it("puts roots by name, each with its children by name", () => {
    const groups = groupTags(TAGS);
    assert.deepEqual(
      groups.map((g) => [g.root.name, g.children.map((c) => c.name)]),
      [
        ["Account", []],
        ["Billing", ["Invoice", "Refund"]],
        ["Gone", ["Lost"]],
      ],
    );
  });
  it("is empty for no tags", () => assert.deepEqual(groupTags([]), []));
});

describe("tagLabel", () => {
  it("uses the server's label, else builds it", () => {
    assert.equal(tagLabel({ id: 1, name: "Refund", parent: 2, parent_name: "Billing" }), "Billing > Refund");
    assert.equal(tagLabel({ id: 1, name: "Billing", parent: null }), "Billing");
    assert.equal(tagLabel({ id: 1, name: "x", parent: null, label: "Y > x" }), "Y > x");
  });
});

describe("chosenIds", () => {
  it("keeps positive whole numbers once, sorted", () => assert.deepEqual(chosenIds(["4", 2, 4, "x", 0, -1, 1.5]), [2, 4]));
});

describe("parentChoices", () => {
  it("offers top-level tags only", () => assert.deepEqual(parentChoices(TAGS).map((t) => t.id), [2, 1]));
});
