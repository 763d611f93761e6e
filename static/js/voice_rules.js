// @ts-check
// Pure rules and texts of voice messages, for the dashboard and the widget alike (no DOM, no
// globals): which recording format to ask MediaRecorder for, the file name, the elapsed-time
// line, the length of a message, and what to say when the microphone cannot be used.
// recorder.js records; dashboard/room/voice.js and widget/chat/voice.js put these on
// screen; tests/js/voice.test.js tests them.

import { gettext, interpolate } from "./i18n.js";

/** The longest voice message, in seconds: recording stops there. */
export const VOICE_MAX_SECONDS = 120;

// Formats in order of preference: Ogg/Opus (Firefox) is WhatsApp's own voice-note format;
// WebM/Opus (Chromium) gets its Duration written in by the server, which also remuxes it to
// Ogg/Opus for WhatsApp; MP4 (Safari) is what LINE plays. The server checks the recording's
// content, whatever the type says.
export const VOICE_TYPES = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg"];

/**
 * The first format the browser records, or "" (the browser's default).
 * @param {(type: string) => boolean} isSupported MediaRecorder.isTypeSupported
 * @returns {string}
 */
export function pickVoiceType(isSupported) {
  return VOICE_TYPES.find((t) => isSupported(t)) || "";
}

/**
 * The file name of a recording: "voice-message-2026-11-30-2314.webm".
 * @param {string} mimeType what the recorder wrote (may carry codecs)
 * @param {Date} when
 * @returns {string}
 */
export function voiceFileName(mimeType, when) {
  const base = mimeType.split(";")[0].trim().toLowerCase();
  const ext = { "audio/mp4": ".m4a", "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/wav": ".wav" }[base] || ".webm";
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  const stamp = `${when.getFullYear()}-${two(when.getMonth() + 1)}-${two(when.getDate())}-${two(when.getHours())}${two(when.getMinutes())}`;
  return `voice-message-${stamp}${ext}`;
}

/**
 * "m:ss" of a length in milliseconds (rounded down to the second).
 * @param {number} ms
 * @returns {string}
 */
export function clockLength(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/**
 * The recording line: "Recording 0:07 / 2:00".
 * @param {number} elapsedMs
 * @param {number} [maxSeconds]
 * @returns {string}
 */
export function recordingText(elapsedMs, maxSeconds = VOICE_MAX_SECONDS) {
  return interpolate(gettext("Recording %(elapsed)s / %(max)s"), { elapsed: clockLength(elapsedMs), max: clockLength(maxSeconds * 1000) });
}

/**
 * The line once recording stopped at the maximum length.
 * @param {number} maxSeconds
 * @returns {string}
 */
export function maxReachedText(maxSeconds = VOICE_MAX_SECONDS) {
  return interpolate(gettext("Maximum length reached (%(max)s): send it or cancel."), { max: clockLength(maxSeconds * 1000) });
}

/**
 * What a voice message shows beside its player: "Voice message · 0:07" (no length when the
 * server could not read one).
 * @param {{duration_ms?: number | null}} file
 * @returns {string}
 */
export function voiceLabel(file) {
  return file.duration_ms ? interpolate(gettext("Voice message · %(length)s"), { length: clockLength(file.duration_ms) }) : gettext("Voice message");
}

/**
 * Why recording could not start.
 * @param {{name?: string} | null | undefined} err getUserMedia's rejection (a DOMException), or
 *   null when the browser offers no recording at all
 * @returns {string}
 */
export function micErrorText(err) {
  const name = err && err.name;
  if (!err || name === "NotSupportedError") return gettext("This browser cannot record audio here (recording needs a current browser and an HTTPS page).");
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return gettext("The microphone is blocked. Allow it for this site in the browser's settings to record a voice message.");
  }
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
    return gettext("No microphone was found. Connect one to record a voice message.");
  }
  if (name === "NotReadableError" || name === "AbortError" || name === "TrackStartError") {
    return gettext("The microphone could not be started: another application may be using it.");
  }
  return gettext("The microphone is not available.");
}
