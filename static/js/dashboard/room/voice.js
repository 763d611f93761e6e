// @ts-check
// Voice messages from the composer: the "Voice" button asks for the microphone and records
// with MediaRecorder; a bar above the composer shows the recording (elapsed time against the
// maximum length, where it stops by itself) with Cancel and Send. The recording goes out as
// a file message through the composer's upload (room/upload.js: size check, progress, the
// server's checks by content). A refused or missing microphone is said in the bar.

import { h } from "../dom.js";
import { gettext } from "../../i18n.js";
import { sendFile } from "./upload.js";
import { VOICE_MAX_SECONDS, maxReachedText, micErrorText, pickVoiceType, recordingText, voiceFileName } from "./voice_rules.js";

/** @typedef {import("./state.js").RoomState} RoomState */

/**
 * @typedef {object} VoiceUi
 * @property {HTMLButtonElement} button the composer's "Voice" button
 * @property {HTMLElement} bar the recording bar above the composer
 * @property {HTMLElement} status "Recording 0:07 / 2:00"
 * @property {HTMLElement} error why the microphone cannot be used
 * @property {HTMLButtonElement} send
 * @property {HTMLButtonElement} cancel
 */

/**
 * @typedef {object} VoiceState one room view's recorder
 * @property {"idle" | "starting" | "recording" | "stopped"} phase
 * @property {MediaStream | null} stream the microphone, released as soon as recording stops
 * @property {MediaRecorder | null} recorder
 * @property {Blob[]} chunks
 * @property {string} type what the recorder writes
 * @property {number} startedAt performance.now() at the start
 * @property {ReturnType<typeof setInterval> | null} ticker redraws the elapsed time
 * @property {ReturnType<typeof setTimeout> | null} limit stops at VOICE_MAX_SECONDS
 * @property {boolean} sendWhenStopped Send was pressed while recording
 * @property {VoiceUi} ui
 */

/**
 * Adds the Voice button and the recording bar to the composer.
 * @param {RoomState} state
 */
export function wireVoice(state) {
  const { send, progress, textarea } = state.ui;
  const button = h("button", { type: "button", class: "attach voice-record", "aria-label": gettext("Record a voice message"), title: gettext("Record a voice message") }, gettext("Voice"));
  const status = h("span", { class: "voice-status", role: "timer" });
  const error = h("p", { class: "form-error voice-error", role: "alert", hidden: true });
  const cancel = h("button", { type: "button", class: "small-button", text: gettext("Cancel") });
  const sendVoice = h("button", { type: "button", class: "primary small-button", text: gettext("Send voice message") });
  const bar = h("div", { class: "voice-bar", hidden: true, role: "group", "aria-label": gettext("Voice message") }, h("span", { class: "voice-dot", "aria-hidden": "true" }), status, cancel, sendVoice);
  progress.after(bar, error);
  send.before(button);

  /** @type {VoiceState} */
  const v = {
    phase: "idle",
    stream: null,
    recorder: null,
    chunks: [],
    type: "",
    startedAt: 0,
    ticker: null,
    limit: null,
    sendWhenStopped: false,
    ui: { button, bar, status, error, send: sendVoice, cancel },
  };
  // Usable when the composer is (the header disables it in read-only rooms), and not twice.
  const sync = () => (button.disabled = textarea.disabled || v.phase !== "idle");
  const watch = new MutationObserver(sync);
  watch.observe(textarea, { attributes: true, attributeFilter: ["disabled"] });
  sync();

  button.addEventListener("click", () => startRecording(state, v, sync));
  cancel.addEventListener("click", () => cancelRecording(v, sync, true));
  sendVoice.addEventListener("click", () => sendRecording(state, v, sync));
  bar.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      cancelRecording(v, sync, true);
    }
  });
  state.disposers.push(() => {
    watch.disconnect();
    cancelRecording(v, sync, false);
  });
}

/**
 * @param {VoiceState} v
 * @param {string} message "" hides it
 */
function showError(v, message) {
  v.ui.error.textContent = message;
  v.ui.error.hidden = !message;
}

/** @param {MediaStream | null} stream */
function release(stream) {
  if (stream) stream.getTracks().forEach((t) => t.stop());
}

/**
 * Asks for the microphone and starts recording.
 * @param {RoomState} state
 * @param {VoiceState} v
 * @param {() => void} sync
 */
async function startRecording(state, v, sync) {
  if (v.phase !== "idle") return;
  showError(v, "");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === "undefined") {
    showError(v, micErrorText(null));
    return;
  }
  v.phase = "starting";
  sync();
  /** @type {MediaStream} */
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (err) {
    v.phase = "idle";
    sync();
    showError(v, micErrorText(err));
    return;
  }
  if (state.stale() || v.phase !== "starting") {
    release(stream);
    return;
  }
  const type = pickVoiceType((t) => MediaRecorder.isTypeSupported(t));
  /** @type {MediaRecorder} */
  let recorder;
  try {
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  } catch {
    release(stream);
    v.phase = "idle";
    sync();
    showError(v, micErrorText(null));
    return;
  }
  Object.assign(v, { stream, recorder, chunks: [], type: recorder.mimeType || type, sendWhenStopped: false });
  // A cancelled recorder (no longer v.recorder) may still report: it is ignored.
  recorder.addEventListener("dataavailable", (e) => {
    if (v.recorder === recorder && e.data && e.data.size) v.chunks.push(e.data);
  });
  recorder.addEventListener("stop", () => {
    if (v.recorder === recorder) stopped(state, v, sync);
  });
  recorder.addEventListener("error", () => {
    if (v.recorder !== recorder) return;
    cancelRecording(v, sync, false);
    showError(v, gettext("Recording failed. Try again."));
  });
  recorder.start();
  v.phase = "recording";
  v.startedAt = performance.now();
  v.ui.bar.hidden = false;
  v.ui.bar.classList.add("recording");
  v.ui.status.textContent = recordingText(0);
  v.ticker = setInterval(() => (v.ui.status.textContent = recordingText(performance.now() - v.startedAt)), 250);
  v.limit = setTimeout(() => {
    if (v.phase === "recording" && v.recorder) v.recorder.stop();
  }, VOICE_MAX_SECONDS * 1000);
  v.ui.send.focus();
}

/**
 * The recorder has stopped (at the maximum length, or for Send or Cancel): the microphone is
 * released, and the recording is sent, dropped, or kept for Send.
 * @param {RoomState} state
 * @param {VoiceState} v
 * @param {() => void} sync
 */
function stopped(state, v, sync) {
  clearInterval(v.ticker);
  clearTimeout(v.limit);
  release(v.stream);
  v.stream = null;
  if (state.stale()) return reset(v, sync);
  v.phase = "stopped";
  v.ui.bar.classList.remove("recording");
  if (v.sendWhenStopped) {
    deliver(state, v, sync);
    return;
  }
  v.ui.status.textContent = maxReachedText();
}

/**
 * Send: stops a recording still going, then uploads it.
 * @param {RoomState} state
 * @param {VoiceState} v
 * @param {() => void} sync
 */
function sendRecording(state, v, sync) {
  if (v.phase === "recording" && v.recorder) {
    v.sendWhenStopped = true;
    v.ui.send.disabled = true;
    v.recorder.stop();
  } else if (v.phase === "stopped") deliver(state, v, sync);
}

/**
 * @param {RoomState} state
 * @param {VoiceState} v
 * @param {() => void} sync
 */
async function deliver(state, v, sync) {
  const type = (v.chunks[0] && v.chunks[0].type) || v.type || "audio/webm";
  const blob = new Blob(v.chunks, { type });
  reset(v, sync);
  if (!blob.size) {
    showError(v, gettext("Nothing was recorded. Check the microphone and try again."));
    return;
  }
  await sendFile(state, new File([blob], voiceFileName(type, new Date()), { type }));
}

/**
 * Cancel (or the view going): stops recording, drops what was recorded.
 * @param {VoiceState} v
 * @param {() => void} sync
 * @param {boolean} refocus give the focus back to the Voice button
 */
function cancelRecording(v, sync, refocus) {
  const recorder = v.recorder;
  clearInterval(v.ticker);
  clearTimeout(v.limit);
  release(v.stream);
  v.stream = null;
  reset(v, sync);
  if (recorder && recorder.state !== "inactive") recorder.stop();
  if (refocus) v.ui.button.focus();
}

/**
 * Back to idle: nothing recorded, the bar hidden.
 * @param {VoiceState} v
 * @param {() => void} sync
 */
function reset(v, sync) {
  Object.assign(v, { phase: "idle", recorder: null, chunks: [], sendWhenStopped: false, ticker: null, limit: null });
  v.ui.bar.hidden = true;
  v.ui.bar.classList.remove("recording");
  v.ui.send.disabled = false;
  sync();
}
