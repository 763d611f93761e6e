// Unit tests of the widget composer's pure rules (static/widget/chat/compose_rules.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  MAX_ATTACHMENTS,
  carriesFiles,
  checkAttachments,
  emojiTarget,
  isPreviewableImage,
  pastedFileName,
  pastedFiles,
  sizeText,
  transferFiles,
} from "../../static/widget/chat/compose_rules.js";

const file = (name, size, type = "image/png") => ({ name, size, type });
const MB = 1048576;

describe("transferFiles", () => {
  it("takes the files list, else the file items, else nothing", () => {
    const a = file("a.png", 3);
    assert.deepEqual(transferFiles({ files: [a], items: [] }), [a]);
    const b = file("image.png", 5);
    const items = [
      { kind: "string", getAsFile: () => null },
      { kind: "file", getAsFile: () => b },
      { kind: "file", getAsFile: () => null },
    ];
    assert.deepEqual(transferFiles({ files: [], items }), [b]);
    assert.deepEqual(transferFiles({ files: [], items: [{ kind: "string", getAsFile: () => null }] }), []);
    assert.deepEqual(transferFiles(null), []);
  });
});

describe("pastedFiles", () => {
  const shot = file("image.png", 9);
  const clip = (types, plain = "") => ({ files: [shot], types, getData: (t) => (t === "text/plain" ? plain : "") });
  it("gives a screenshot, a copied picture and copied files", () => {
    assert.deepEqual(pastedFiles(clip(["Files"])), [shot]);
    assert.deepEqual(pastedFiles(clip(["text/html", "Files"])), [shot]);
    assert.deepEqual(pastedFiles(clip(["text/plain", "Files"], "report.pdf")), [shot]);
  });
  it("leaves rich text with its picture to the browser", () => {
    assert.deepEqual(pastedFiles(clip(["text/plain", "text/html", "text/rtf", "Files"], "Q3 totals")), []);
    assert.deepEqual(pastedFiles(clip(["text/plain", "text/html", "Files"], "  ")), [shot]);
  });
  it("gives nothing for plain text", () => {
    assert.deepEqual(pastedFiles({ files: [], items: [], types: ["text/plain"], getData: () => "hi" }), []);
    assert.deepEqual(pastedFiles(null), []);
  });
});

describe("carriesFiles", () => {
  it("is true only for a drag of files", () => {
    assert.equal(carriesFiles({ types: ["Files"] }), true);
    assert.equal(carriesFiles({ types: ["text/plain", "text/html"] }), false);
    assert.equal(carriesFiles(undefined), false);
  });
});

describe("checkAttachments", () => {
  it("accepts files within the limit", () => {
    const files = [file("a.png", 10), file("b.pdf", 2 * MB, "application/pdf")];
    assert.deepEqual(checkAttachments(0, files, { uploadBytes: 5 * MB }), { accepted: files, error: "" });
  });
  it("refuses empty and too large files, by name, and keeps the others", () => {
    const ok = file("ok.png", 10);
    const { accepted, error } = checkAttachments(0, [file("big.mov", 6 * MB), ok, file("empty.txt", 0)], { uploadBytes: 5 * MB });
    assert.deepEqual(accepted, [ok]);
    assert.equal(error, "big.mov is too large (at most 5 MB). empty.txt is empty.");
  });
  it("leaves out what is past the maximum, counting those already waiting", () => {
    assert.equal(MAX_ATTACHMENTS, 10);
    const files = [1, 2, 3, 4].map((n) => file(`${n}.png`, 1));
    const { accepted, error } = checkAttachments(8, files, { uploadBytes: MB });
    assert.deepEqual(accepted.map((f) => f.name), ["1.png", "2.png"]);
    assert.equal(error, "At most 10 files can be sent at a time. 2 files were left out.");
    assert.equal(checkAttachments(1, files, { uploadBytes: MB, maxCount: 1 }).error, "At most 1 file can be sent at a time. 4 files were left out.");
    assert.equal(checkAttachments(0, files, { uploadBytes: MB, maxCount: 3 }).error, "At most 3 files can be sent at a time. 1 file was left out.");
  });
});

describe("sizeText", () => {
  it("says KB under a megabyte, MB above", () => {
    assert.equal(sizeText(1), "1 KB");
    assert.equal(sizeText(2048), "2 KB");
    assert.equal(sizeText(10 * MB), "10 MB");
    assert.equal(sizeText(1.5 * MB), "1.5 MB");
  });
});

describe("pastedFileName", () => {
  const when = new Date(2026, 11, 1, 2, 51);
  it("names a pasted screenshot by the time", () => {
    assert.equal(pastedFileName("image.png", "image/png", when), "screenshot-2026-12-01-0251.png");
    assert.equal(pastedFileName("", "image/jpeg", when), "screenshot-2026-12-01-0251.jpeg");
    assert.equal(pastedFileName("", "", when), "screenshot-2026-12-01-0251.png");
  });
  it("keeps a real name", () => {
    assert.equal(pastedFileName("invoice.pdf", "application/pdf", when), "invoice.pdf");
    assert.equal(pastedFileName("my image.png", "image/png", when), "my image.png");
  });
});

describe("isPreviewableImage", () => {
  it("is true for the pictures a browser shows", () => {
    assert.equal(isPreviewableImage({ type: "image/png" }), true);
    assert.equal(isPreviewableImage({ type: "image/svg+xml" }), false);
    assert.equal(isPreviewableImage({ type: "application/pdf" }), false);
  });
});

describe("emojiTarget", () => {
  it("moves by one with wrap-around, by a row without", () => {
    assert.equal(emojiTarget(0, "ArrowRight", 32, 8), 1);
    assert.equal(emojiTarget(31, "ArrowRight", 32, 8), 0);
    assert.equal(emojiTarget(0, "ArrowLeft", 32, 8), 31);
    assert.equal(emojiTarget(3, "ArrowDown", 32, 8), 11);
    assert.equal(emojiTarget(27, "ArrowDown", 32, 8), 27);
    assert.equal(emojiTarget(11, "ArrowUp", 32, 8), 3);
    assert.equal(emojiTarget(3, "ArrowUp", 32, 8), 3);
    assert.equal(emojiTarget(5, "Home", 32, 8), 0);
    assert.equal(emojiTarget(5, "End", 32, 8), 31);
  });
  it("ignores other keys and an empty grid", () => {
    assert.equal(emojiTarget(5, "Enter", 32, 8), null);
    assert.equal(emojiTarget(0, "ArrowRight", 0, 8), null);
  });
});
