// Unit tests of the Customers page's helpers (static/js/dashboard/customers_format.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { customFieldsFrom, customerHref, enquiryHref, listQuery, reasonText } from "../../static/js/dashboard/customers_format.js";

describe("customers_format", () => {
  it("links to a profile", () => {
    assert.equal(customerHref(42), "/app/customers/42");
  });

  it("says why two customers look alike", () => {
    assert.equal(reasonText(["email"]), "same email");
    assert.equal(reasonText(["email", "phone"]), "same email and same phone number");
    assert.equal(reasonText(["email", "phone", "name"]), "same email, same phone number and same name");
    assert.equal(reasonText(["unknown"]), "");
  });

  it("cleans the custom fields typed in the form", () => {
    assert.deepEqual(customFieldsFrom([{ name: " Plan ", value: " Gold " }, { name: "", value: "" }]), { fields: [{ name: "Plan", value: "Gold" }], error: "" });
    assert.match(customFieldsFrom([{ name: "", value: "x" }]).error, /needs a name/);
    assert.match(customFieldsFrom([{ name: "Plan", value: "a" }, { name: "plan", value: "b" }]).error, /twice/);
  });

  it("builds the list's query", () => {
    assert.equal(listQuery({ q: "  carol ", tag: 3, page: 2 }), "page=2&page_size=25&q=carol&tag=3");
    assert.equal(listQuery({}), "page=1&page_size=25");
  });

  it("opens an enquiry's room only when its transcript may be read", () => {
    const agent = { isAdmin: false, memberOf: (room) => room === 7 };
    const admin = { isAdmin: true, memberOf: () => false };
    assert.equal(enquiryHref({ room: 7, transcript: true }, agent), "/app/rooms/7");
    assert.equal(enquiryHref({ room: 8, transcript: false }, agent), null);
    assert.equal(enquiryHref({ room: 8, transcript: true }, admin), "/app/rooms/8?monitor=1");
    assert.equal(enquiryHref({ room: null, transcript: true }, admin), null);
  });
});
