// Unit tests of voice messages' pure rules and texts (static/js/voice_rules.js)
// (the dashboard's and the widget's).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { VOICE_MAX_SECONDS, VOICE_TYPES, clockLength, maxReachedText, micErrorText, pickVoiceType, recordingText, voiceFileName, voiceLabel } from "../../static/js/voice_rules.js";

describe("recording format", () => {
  it("takes the first format the browser records", () => {
    assert.equal(pickVoiceType((t) => t === "audio/webm;codecs=opus" || t === "audio/mp4"), "audio/webm;codecs=opus");
    assert.equal(pickVoiceType((t) => t.startsWith("audio/ogg")), "audio/ogg;codecs=opus");
    assert.equal(pickVoiceType((t) => t === "audio/mp4"), "audio/mp4");
    assert.equal(pickVoiceType(() => false), "");
  });
  it("asks only for audio types the server accepts", () => {
    for (const t of VOICE_TYPES) assert.match(t, /^audio\/(webm|ogg|mp4)(;|$)/);
  });
});

describe("file name", () => {
  const when = new Date(2026, 10, 30, 9, 5);
  it("names the recording by its time and its container", () => {
    assert.equal(voiceFileName("audio/webm;codecs=opus", when), "voice-message-2026-11-30-0905.webm");
    assert.equal(voiceFileName("audio/ogg; codecs=opus", when), "voice-message-2026-11-30-0905.ogg");
    assert.equal(voiceFileName("audio/mp4", when), "voice-message-2026-11-30-0905.m4a");
    assert.equal(voiceFileName("", when), "voice-message-2026-11-30-0905.webm");
  });
});

describe("lengths", () => {
  it("shows minutes and seconds, rounded down", () => {
    assert.equal(clockLength(0), "0:00");
    assert.equal(clockLength(7999), "0:07");
    assert.equal(clockLength(125000), "2:05");
    assert.equal(clockLength(-5), "0:00");
  });
  it("shows the elapsed time against the maximum", () => {
    assert.equal(VOICE_MAX_SECONDS, 120);
    assert.equal(recordingText(7200), "Recording 0:07 / 2:00");
    assert.equal(recordingText(61000, 90), "Recording 1:01 / 1:30");
    assert.match(maxReachedText(), /Maximum length reached \(2:00\)/);
  });
  it("labels a voice message with its length when the server read one", () => {
    assert.equal(voiceLabel({ duration_ms: 4300 }), "Voice message · 0:04");
    assert.equal(voiceLabel({ duration_ms: null }), "Voice message");
    assert.equal(voiceLabel({}), "Voice message");
    assert.equal(voiceLabel({ duration_ms: 64000 }), "Voice message · 1:04");
  });
});

describe("microphone errors", () => {
  it("says why recording cannot start", () => {
    assert.match(micErrorText({ name: "NotAllowedError" }), /microphone is blocked/);
    assert.match(micErrorText({ name: "SecurityError" }), /microphone is blocked/);
    assert.match(micErrorText({ name: "NotFoundError" }), /No microphone was found/);
    assert.match(micErrorText({ name: "NotReadableError" }), /another application/);
    assert.match(micErrorText({ name: "Whatever" }), /not available/);
    assert.match(micErrorText(null), /cannot record audio here/);
  });
});
