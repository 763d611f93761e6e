// Unit tests of the room view's pure texts (static/js/dashboard/room/format.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { clockTime } from "../../static/js/dashboard/dom.js";
import {
  composerPlaceholder,
  contactPairs,
  deliveryLabel,
  deliveryState,
  destinationPairs,
  enquiryPairs,
  errorText,
  fileShape,
  imageBox,
  kvRows,
  leaveTexts,
  memberDetail,
  replyingTo,
  replyQuote,
  roomOptionLabel,
  roomSubtitle,
  roomTitle,
  spacePairs,
  staffOptionLabel,
  tooLargeText,
  transferBody,
  typingText,
  uploadLabel,
  uploadPercent,
} from "../../static/js/dashboard/room/format.js";

const members = [
  { id: 1, name: "Alice Agent", role: "owner", availability: "active" },
  { id: 2, name: "Bob Agent", role: "participant", availability: "away" },
];

describe("delivery", () => {
  it("reads the state as a string or an object, and labels it", () => {
    assert.equal(deliveryState({ delivery: "sent" }), "sent");
    assert.equal(deliveryState({ delivery: { state: "read" } }), "read");
    assert.equal(deliveryState({}), undefined);
    assert.equal(deliveryLabel("pending"), "…");
    assert.equal(deliveryLabel("delivered"), "✓✓ delivered");
    assert.equal(deliveryLabel("failed"), "⚠ failed");
    assert.equal(deliveryLabel("bounced"), "bounced", "an unknown state as it is");
  });
});

describe("roomTitle", () => {
  it("names the visitor, the contact or the room", () => {
    assert.equal(roomTitle({ kind: "enquiry", members, me: null, name: "", visitor: { name: "Ann" } }, 3), "Ann");
    assert.equal(roomTitle({ kind: "enquiry", members, me: null, name: "", visitor: { name: "" } }, 3), "Visitor");
    assert.equal(roomTitle({ kind: "enquiry", members, me: null, name: "" }, 3), "Room 3");
    assert.equal(roomTitle({ kind: "direct", members, me: null, name: "", contact: { name: "Bob Agent" } }, 3), "Bob Agent");
    assert.equal(roomTitle({ kind: "space", members, me: null, name: "Team" }, 3), "Team");
  });
});

describe("roomSubtitle", () => {
  it("describes the enquiry", () => {
    const info = { kind: "enquiry", members, me: null, enquiry: { id: 12, channel: "widget", status: "handling", owner: { id: 1, name: "Alice Agent" } } };
    assert.equal(roomSubtitle(info), "Enquiry #12 · widget · handling · owner Alice Agent");
    info.enquiry.owner = null;
    assert.equal(roomSubtitle(info), "Enquiry #12 · widget · handling");
  });

  it("describes a space and a direct chat", () => {
    assert.equal(roomSubtitle({ kind: "space", members, me: null, description: "Day shift" }), "Space · 2 members · Day shift");
    assert.equal(roomSubtitle({ kind: "space", members, me: null, description: "" }), "Space · 2 members");
    assert.equal(roomSubtitle({ kind: "direct", members, me: null }), "Direct chat");
  });
});

describe("composerPlaceholder", () => {
  it("says when a conversation is closed, but not while monitoring", () => {
    assert.equal(composerPlaceholder(false, false), "Message (/ quick reply, @ mention)");
    assert.equal(composerPlaceholder(true, false), "This conversation is closed (read-only).");
    assert.equal(composerPlaceholder(true, true), "Message (/ quick reply, @ mention)");
  });
});

describe("replyQuote and replyingTo", () => {
  const orig = { id: 1, room: 7, kind: "text", text: "x".repeat(200), author: { type: "visitor", id: null, name: "Ann" }, created_at: "", data: {} };

  it("quotes the start of the message replied to", () => {
    assert.equal(replyQuote(orig), `Ann: ${"x".repeat(120)}`);
    assert.equal(replyQuote({ ...orig, recalled_at: "t" }), "Ann: message recalled");
    assert.equal(replyQuote({ ...orig, kind: "file", text: "", data: { file: { name: "label.png", url: "", category: "image" } } }), "Ann: label.png");
    assert.equal(replyQuote(undefined), "Reply to an earlier message");
  });

  it("shows what is being replied to above the composer", () => {
    assert.equal(replyingTo(orig), `Replying to Ann: ${"x".repeat(80)}`);
    assert.equal(replyingTo({ ...orig, text: "" }), "Replying to Ann: ");
  });
});

describe("typing and upload texts", () => {
  it("says who is typing", () => {
    assert.equal(typingText("Ann"), "Ann is typing…");
  });

  it("shows upload progress in whole percent", () => {
    assert.equal(uploadPercent(0.456), 46);
    assert.equal(uploadLabel("a.pdf", 0), "Uploading a.pdf… 0%");
    assert.equal(uploadLabel("a.pdf", 1), "Uploading a.pdf… 100%");
    assert.equal(tooLargeText(10 * 1024 * 1024), "The file is larger than 10.0 MB.");
  });
});

describe("fileShape and imageBox", () => {
  const file = (category, extra = {}) => ({ url: "/f", name: "f", category, ...extra });

  it("shows images, videos, sound and other files", () => {
    assert.equal(fileShape(file("image")), "image");
    assert.equal(fileShape(file("video")), "video");
    assert.equal(fileShape(file("voice")), "audio");
    assert.equal(fileShape(file("audio")), "audio");
    assert.equal(fileShape(file("document")), "document");
  });

  it("reserves at most 240 x 180, keeping proportions, never enlarging", () => {
    assert.deepEqual(imageBox(file("image", { width: 120, height: 80 })), { width: 120, height: 80 });
    assert.deepEqual(imageBox(file("image", { width: 1200, height: 600 })), { width: 240, height: 120 });
    assert.deepEqual(imageBox(file("image", { width: 300, height: 900 })), { width: 60, height: 180 });
    assert.deepEqual(imageBox(file("image")), { width: 240, height: 180 });
  });
});

describe("kvRows and the panel's sections", () => {
  it("leaves empty values out and writes objects as JSON", () => {
    assert.deepEqual(
      kvRows([
        ["A", 1],
        ["B", ""],
        ["C", null],
        ["D", undefined],
        ["E", { x: 1 }],
        ["F", false],
        ["G", 0],
      ]),
      [
        ["A", "1"],
        ["E", '{"x":1}'],
        ["F", "false"],
        ["G", "0"],
      ],
    );
  });

  it("lists the enquiry", () => {
    const e = { id: 4, channel: "whatsapp", channel_detail: { id: 1, name: "WA", identity: "+1555" }, status: "handling", language: "en", location: "", topic: "", created_at: "2026-01-01T10:00:00Z", picked_up_at: null };
    const rows = kvRows(enquiryPairs(e));
    assert.deepEqual(rows, [
      ["ID", "4"],
      ["Channel", "whatsapp"],
      ["Channel detail", "WA · +1555"],
      ["Status", "handling"],
      ["Language", "en"],
      ["Started", clockTime("2026-01-01T10:00:00Z")],
    ]);
    assert.deepEqual(enquiryPairs({ ...e, channel_detail: null })[2], ["Channel detail", ""]);
  });

  it("lists the destination, the contact and the space", () => {
    assert.deepEqual(destinationPairs({ name: "Support", type: "tag", endpoint: "Support" }), [
      ["Name", "Support"],
      ["Type", "tag"],
      ["Endpoint", "Support"],
    ]);
    assert.deepEqual(kvRows(contactPairs({ name: "Bob", email: "b@example.com", phone: "", time_zone: "UTC", availability: "away" })), [
      ["Name", "Bob"],
      ["Email", "b@example.com"],
      ["Time zone", "UTC"],
      ["Availability", "away"],
    ]);
    assert.deepEqual(spacePairs({ kind: "space", members, me: null, name: "Team", description: "", is_private: true })[2], ["Private", "yes"]);
    assert.deepEqual(spacePairs({ kind: "space", members, me: null, name: "Team" })[2], ["Private", "no"]);
    assert.equal(memberDetail(members[1]), "participant · away");
  });
});

describe("transferBody", () => {
  it("reads a staff member or a tag (whose name may hold colons)", () => {
    assert.deepEqual(transferBody("staff:12"), { staff: 12 });
    assert.deepEqual(transferBody("tag:Support"), { tag: "Support" });
    assert.deepEqual(transferBody("tag:a:b"), { tag: "a:b" });
  });
});

describe("option labels and other texts", () => {
  it("labels staff and rooms", () => {
    assert.equal(staffOptionLabel({ display_name: "Bob Agent", email: "b@example.com", availability: "active" }), "Bob Agent (active)");
    assert.equal(staffOptionLabel({ display_name: "", email: "b@example.com", availability: "away" }), "b@example.com (away)");
    assert.equal(roomOptionLabel({ title: "Ann", kind: "enquiry" }), "Ann (enquiry)");
  });

  it("warns an owner that leaving closes the enquiry", () => {
    assert.deepEqual(leaveTexts(true), { question: "Leaving closes this enquiry at once. Leave?", done: "Enquiry closed." });
    assert.deepEqual(leaveTexts(false), { question: "Leave this room?", done: "You left the room." });
  });

  it("explains an endpoint the server lacks", () => {
    assert.equal(errorText({ status: 404, message: "Not found." }, [404, 405], "Not available yet."), "Not available yet.");
    assert.equal(errorText({ status: 400, message: "Too long." }, [404, 405], "Not available yet."), "Too long.");
  });
});
