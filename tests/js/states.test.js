// Unit tests of the texts of states made visible (static/js/dashboard/states.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { autoCloseText, clock, deliveryText, limitText, offerCountdown, offerTexts, offerWithdrawnText, secondsLeft, transferEndedToast } from "../../static/js/dashboard/states.js";

const NOW = Date.parse("2026-11-30T12:00:00Z");

describe("transfer offer", () => {
  const base = { id: 1, from_staff: 2, from_staff_name: "Olive Owner", to_staff: null, to_staff_name: null, to_tag: null, to_tag_name: null, deadline_at: "2026-11-30T12:00:42Z" };
  it("names who transfers to me", () => {
    const t = offerTexts({ ...base, to_staff: 7, to_staff_name: "Tom" }, 7);
    assert.equal(t.who, "Olive Owner is transferring this enquiry to you");
    assert.equal(t.target, "Transfer offered to you personally");
  });
  it("names the tag, not the old destination", () => {
    const t = offerTexts({ ...base, to_tag: 3, to_tag_name: "Billing" }, 7);
    assert.equal(t.who, "Olive Owner is transferring this enquiry to the Billing team");
    assert.equal(t.target, "Transfer offered to tag Billing");
  });
  it("counts down from the server's deadline", () => {
    assert.deepEqual(offerCountdown(base.deadline_at, NOW), { text: "0:42 left to accept", seconds: 42, urgent: false });
    assert.equal(offerCountdown(base.deadline_at, NOW + 30000).urgent, true);
    assert.equal(offerCountdown(base.deadline_at, NOW + 60000).text, "Offer expiring…");
  });
});

describe("clock and seconds", () => {
  it("formats", () => {
    assert.equal(clock(5), "0:05");
    assert.equal(clock(905), "15:05");
    assert.equal(clock(3725), "1:02:05");
    assert.equal(secondsLeft(null, NOW), null);
    assert.equal(secondsLeft("2026-11-30T11:00:00Z", NOW), 0);
  });
});

describe("limit", () => {
  it("speaks only at the limit", () => {
    assert.equal(limitText({ handling: 1, max_concurrent: 2, at_limit: false }), "");
    assert.equal(limitText(null), "");
    assert.match(limitText({ handling: 2, max_concurrent: 2, at_limit: true }), /^You're at your limit of 2 conversations: new enquiries are not offered to you\./);
  });
});

describe("auto-close", () => {
  const timeOf = () => "12:15";
  it("says when, or that it was kept open", () => {
    assert.equal(autoCloseText({ status: "handling", auto_close_at: null }, NOW, timeOf), "");
    assert.equal(
      autoCloseText({ status: "resolved", auto_close_at: "2026-11-30T12:15:00Z" }, NOW, timeOf),
      "Resolved: closes automatically at 12:15 (in 15:00) unless the customer writes again.",
    );
    assert.equal(autoCloseText({ status: "resolved", auto_close_at: null }, NOW, timeOf), "Resolved and kept open: it will not close automatically.");
    assert.equal(autoCloseText({ status: "resolved", auto_close_at: "2026-11-30T11:00:00Z" }, NOW, timeOf), "Resolved: closing now…");
  });
});

describe("delivery", () => {
  it("labels each state; failed offers retry with the reason", () => {
    assert.equal(deliveryText(undefined), null);
    assert.deepEqual(deliveryText({ state: "pending" }), { state: "pending", label: "Sending…", error: "", retry: false });
    assert.equal(deliveryText("read").label, "✓✓ Read");
    assert.deepEqual(deliveryText({ state: "failed", error: "No matching user" }), { state: "failed", label: "⚠ Not delivered", error: "No matching user", retry: true });
  });
});

describe("transfer ended", () => {
  const ev = { enquiry_id: 9, owner_id: 1, owner_name: "Olive", transfer_id: 3 };
  it("tells the previous owner only what they did not do", () => {
    assert.match(transferEndedToast({ ...ev, state: "lapsed", reason: "timeout" }, 1), /in time; it stays with you/);
    assert.match(transferEndedToast({ ...ev, state: "lapsed", reason: "rejected" }, 1), /declined/);
    assert.equal(transferEndedToast({ ...ev, state: "lapsed", reason: "closed" }, 1), "");
    assert.equal(transferEndedToast({ ...ev, state: "lapsed", reason: "timeout" }, 5), ""); // an admin watching
    assert.equal(transferEndedToast({ ...ev, state: "accepted", owner_id: 4, owner_name: "Tom", from_id: 1 }, 1), "Tom accepted your transfer of enquiry #9: it is theirs now.");
    assert.equal(transferEndedToast({ ...ev, state: "accepted", owner_id: 4, owner_name: "Tom", from_id: 1 }, 5), "");
  });
});

describe("offer withdrawn", () => {
  it("tells the target why the offer went", () => {
    assert.equal(offerWithdrawnText({ reason: "closed", owner_name: "Alice" }, "Cleo"), "Transfer of Cleo cancelled: Alice left and closed the enquiry.");
    assert.match(offerWithdrawnText({ reason: "timeout", owner_name: "Alice" }, "Cleo"), /not accepted in time/);
    assert.equal(offerWithdrawnText({ reason: "rejected", owner_name: "Alice" }, "Cleo"), "");
  });
});
