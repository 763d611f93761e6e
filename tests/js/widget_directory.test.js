// Unit tests of the directory's live state (static/widget/chat/directory.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  applyAvailabilityEvent,
  choiceStatus,
  mergeConfig,
  shouldPoll,
  subtitleText,
} from "../../static/widget/chat/directory.js";

function config() {
  return {
    open_now: true,
    greeting: "",
    destination: { type: "staff", name: "Ann", staff: { id: 1, display_name: "Ann", availability: "active" } },
    directory: {
      tags: [{ id: 7, name: "Sales", available: true }],
      staff: [
        { id: 1, display_name: "Ann", availability: "active" },
        { id: 2, display_name: "Bob", availability: "busy" },
      ],
    },
  };
}

describe("choiceStatus", () => {
  it("shows availability within hours", () => {
    assert.deepEqual(choiceStatus({ availability: "away" }, true), { dot: "cc-away", text: "Away", state: "away" });
    assert.equal(choiceStatus({ available: true }, true).text, "Available");
    assert.deepEqual(choiceStatus({ available: false }, true), { dot: "cc-offline", text: "Leave a message", state: "offline" });
  });
  it("shows everyone closed out of hours", () => {
    for (const entry of [{ availability: "active" }, { available: true }]) {
      assert.deepEqual(choiceStatus(entry, false), { dot: "cc-closed", text: "Closed", state: "closed" });
    }
  });
});

describe("subtitleText", () => {
  it("promises no quick reply out of hours, even with a greeting", () => {
    assert.equal(subtitleText({ open_now: false, greeting: "We reply in 2 minutes" }), "Closed now: leave us a note");
    assert.equal(subtitleText({ open_now: true, greeting: "" }), "We usually reply in a few minutes");
    assert.equal(subtitleText({ open_now: true, greeting: "Hi!" }), "Hi!");
  });
});

describe("applyAvailabilityEvent", () => {
  it("updates the person in the directory and as the destination", () => {
    const c = config();
    assert.equal(applyAvailabilityEvent(c, { type: "staff.availability", data: { staff_id: 1, availability: "away" } }), true);
    assert.equal(c.directory.staff[0].availability, "away");
    assert.equal(c.destination.staff.availability, "away");
    assert.equal(applyAvailabilityEvent(c, { type: "staff.availability", data: { staff_id: 1, availability: "away" } }), false);
  });
  it("ignores people and tags it does not list", () => {
    const c = config();
    assert.equal(applyAvailabilityEvent(c, { type: "staff.availability", data: { staff_id: 9, availability: "away" } }), false);
    assert.equal(applyAvailabilityEvent(c, { type: "tag.availability", data: { tag_id: 9, available: false } }), false);
    assert.equal(applyAvailabilityEvent(c, { type: "message.created", data: {} }), false);
  });
  it("flips a tag", () => {
    const c = config();
    assert.equal(applyAvailabilityEvent(c, { type: "tag.availability", data: { tag_id: 7, available: false } }), true);
    assert.equal(c.directory.tags[0].available, false);
  });
});

describe("mergeConfig", () => {
  it("tells hours, statuses and list changes apart", () => {
    const c = config();
    const fresh = config();
    assert.deepEqual(mergeConfig(c, fresh), { openChanged: false, directoryChanged: false, listChanged: false });
    const away = config();
    away.directory.staff[1].availability = "away";
    assert.deepEqual(mergeConfig(c, away), { openChanged: false, directoryChanged: true, listChanged: false });
    assert.equal(c.directory.staff[1].availability, "away");
    const closed = config();
    closed.open_now = false;
    closed.directory.staff.pop();
    assert.deepEqual(mergeConfig(c, closed), { openChanged: true, directoryChanged: true, listChanged: true });
    assert.equal(c.open_now, false);
  });
});

describe("shouldPoll", () => {
  it("polls only on screen and without a socket", () => {
    assert.equal(shouldPoll({ visible: true, socketState: "closed", hidden: false }), true);
    assert.equal(shouldPoll({ visible: false, socketState: "closed", hidden: false }), false);
    assert.equal(shouldPoll({ visible: true, socketState: "open", hidden: false }), false);
    assert.equal(shouldPoll({ visible: true, socketState: "closed", hidden: true }), false);
  });
});
