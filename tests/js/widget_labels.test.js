// Unit tests of the widget's texts (static/widget/chat/labels.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  availabilityLabel,
  counterText,
  errorText,
  fieldInput,
  fileButtonText,
  fileTooLargeText,
  initials,
  notificationText,
  starLabel,
  statusText,
  tooLongText,
  typingText,
  uploadFailureText,
} from "../../static/widget/chat/labels.js";

describe("initials", () => {
  it("takes the first letters of up to two words, in capitals", () => {
    assert.equal(initials("alice agent"), "AA");
    assert.equal(initials("  Bo   van der Berg "), "BV");
    assert.equal(initials("Zoë"), "Z");
  });

  it("shows ? without a name", () => {
    assert.equal(initials(""), "?");
    assert.equal(initials(null), "?");
    assert.equal(initials(undefined), "?");
  });
});

describe("availabilityLabel", () => {
  it("names the known states and passes others through", () => {
    assert.equal(availabilityLabel("active"), "Available");
    assert.equal(availabilityLabel("busy"), "Busy");
    assert.equal(availabilityLabel("away"), "Away");
    assert.equal(availabilityLabel("offline"), "Offline");
    assert.equal(availabilityLabel("lunch"), "lunch");
  });
});

describe("fieldInput", () => {
  it("gives each start-form field its input type, length and autocomplete", () => {
    assert.deepEqual(fieldInput("first_name"), { type: "text", maxlength: 100, autocomplete: "given-name" });
    assert.deepEqual(fieldInput("last_name"), { type: "text", maxlength: 100, autocomplete: "family-name" });
    assert.deepEqual(fieldInput("email"), { type: "email", maxlength: 254, autocomplete: "email" });
    assert.deepEqual(fieldInput("phone"), { type: "tel", maxlength: 40, autocomplete: "tel" });
    assert.deepEqual(fieldInput("other"), { type: "text", maxlength: 100, autocomplete: undefined });
  });
});

describe("limits", () => {
  it("says how long a message is and may be", () => {
    assert.equal(
      tooLongText(10001, 10000),
      `Your message is too long: ${(10001).toLocaleString()} characters, at most ${(10000).toLocaleString()}.`,
    );
    assert.equal(tooLongText(12, 10), "Your message is too long: 12 characters, at most 10.");
  });

  it("gives the upload limit in whole MB", () => {
    assert.equal(fileTooLargeText(10 * 1048576), "This file is too large (at most 10 MB).");
    assert.equal(fileTooLargeText(1.5 * 1048576), "This file is too large (at most 1 MB).");
  });

  it("counts a note's characters", () => {
    assert.equal(counterText(0, 500), "0 / 500");
    assert.equal(counterText(42, 500), "42 / 500");
  });
});

describe("files", () => {
  it("labels the download with the name and the size rounded up to KB", () => {
    assert.equal(fileButtonText({ url: "/f", name: "receipt.png", size: 1025 }), "⬇ receipt.png (2 KB)");
    assert.equal(fileButtonText({ url: "/f", name: "a.pdf" }), "⬇ a.pdf");
    assert.equal(fileButtonText({ url: "/f", size: 0 }), "⬇ file");
  });

  it("explains an upload refused where files are not accepted, else the server's message", () => {
    assert.equal(uploadFailureText({ status: 404, message: "Not found." }), "files cannot be sent here.");
    assert.equal(uploadFailureText({ status: 405, message: "x" }), "files cannot be sent here.");
    assert.equal(uploadFailureText({ status: 413, message: "The file is too large." }), "The file is too large.");
  });
});

describe("statusText", () => {
  it("shows the queue position while waiting", () => {
    assert.equal(
      statusText({ id: 1, status: "open", queue_position: 3 }),
      "Waiting for an agent. You are number 3 in the queue.",
    );
    assert.equal(statusText({ id: 1, status: "open", queue_position: null }), "Waiting for an agent…");
  });

  it("says the virtual assistant answers while the robot holds the conversation", () => {
    assert.match(statusText({ id: 1, status: "open", queue_position: null, with_robot: true }), /virtual assistant/);
  });

  it("names the agent who joined", () => {
    const owner = { id: 2, display_name: "Alice Agent", availability: "active" };
    assert.equal(statusText({ id: 1, status: "handling", owner }), "Alice Agent joined the conversation.");
    assert.equal(statusText({ id: 1, status: "handling", owner: null }), "An agent joined.");
  });

  it("explains a missed conversation by its reason", () => {
    assert.equal(statusText({ id: 1, status: "missed", missed_reason: "out_of_hours" }), "We are closed right now.");
    assert.equal(statusText({ id: 1, status: "missed", missed_reason: "timeout" }), "Sorry, nobody could answer in time.");
  });

  it("has a sentence for resolved and closed, and the raw status otherwise", () => {
    assert.match(statusText({ id: 1, status: "resolved" }), /^This conversation was marked as resolved\./);
    assert.equal(statusText({ id: 1, status: "closed" }), "This conversation is closed.");
    assert.equal(statusText({ id: 1, status: "paused" }), "paused");
  });
});

describe("short texts", () => {
  it("labels stars and typing", () => {
    assert.equal(starLabel(1), "1 star");
    assert.equal(starLabel(5), "5 stars");
    assert.equal(typingText({ name: "Alice" }), "Alice is typing…");
    assert.equal(typingText({}), "The agent is typing…");
  });
});

describe("notificationText", () => {
  const message = (over) => ({ id: 1, room: 1, kind: "text", text: "Hello", author: { type: "staff", name: "Alice" }, ...over });

  it("titles with the author, or the company without a name", () => {
    assert.deepEqual(notificationText(message(), "Acme"), { title: "Alice", body: "Hello" });
    assert.equal(notificationText(message({ author: { type: "staff" } }), "Acme").title, "Acme");
  });

  it("cuts the body at 140 characters and says a file was sent", () => {
    assert.equal(notificationText(message({ text: "x".repeat(200) }), "Acme").body.length, 140);
    assert.equal(notificationText(message({ kind: "file", text: "caption" }), "Acme").body, "Sent a file");
  });
});

describe("errorText", () => {
  it("prefers the server's detail, with plain sentences for no connection and 429", () => {
    assert.equal(errorText(0, null), "No connection. Check your network and try again.");
    assert.equal(errorText(409, { detail: "You already have a conversation." }), "You already have a conversation.");
    assert.equal(errorText(429, null), "Too many requests. Please wait a moment.");
    assert.equal(errorText(429, { detail: "Slow down." }), "Slow down.");
    assert.equal(errorText(500, { email: ["bad"] }), "Request failed (500).");
  });
});
