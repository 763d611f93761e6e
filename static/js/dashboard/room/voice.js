// @ts-check
// Voice messages from the composer: the "Voice" button asks for the microphone and records
// (../../recorder.js); a bar above the composer shows the recording (elapsed time against
// the maximum length, where it stops by itself) with Cancel and Send. The recording goes out
// as a file message through the composer's upload (room/upload.js: size check, progress,
// the server's checks by content). A refused or missing microphone is said in the composer.

import { gettext } from "../../i18n.js";
import { startRecording } from "../../recorder.js";
import { maxReachedText, micErrorText, recordingText } from "../../voice_rules.js";
import { h } from "../dom.js";
import { sendFile } from "./upload.js";

/** @typedef {import("./state.js").RoomState} RoomState */
/** @typedef {import("../../recorder.js").Recording} Recording */

/**
 * @typedef {object} VoiceState one room view's recording
 * @property {"idle" | "starting" | "recording" | "stopped"} phase
 * @property {Recording | null} recording
 * @property {ReturnType<typeof setInterval> | null} ticker redraws the elapsed time
 * @property {HTMLButtonElement} button the composer's "Voice" button
 * @property {HTMLElement} bar the recording bar above the composer
 * @property {HTMLElement} status "Recording 0:07 / 2:00"
 * @property {HTMLElement} error why the microphone cannot be used
 * @property {HTMLButtonElement} send
 * @property {() => void} sync enables the Voice button when it may be used
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
  const v = { phase: "idle", recording: null, ticker: null, button, bar, status, error, send: sendVoice, sync: () => {} };
  // Usable when the composer is (the header disables it in read-only rooms), and not twice.
  v.sync = () => (button.disabled = textarea.disabled || v.phase !== "idle");
  const watch = new MutationObserver(v.sync);
  watch.observe(textarea, { attributes: true, attributeFilter: ["disabled"] });
  v.sync();

  button.addEventListener("click", () => start(state, v));
  cancel.addEventListener("click", () => {
    drop(v);
    button.focus();
  });
  sendVoice.addEventListener("click", () => deliver(state, v));
  bar.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      drop(v);
      button.focus();
    }
  });
  state.disposers.push(() => {
    watch.disconnect();
    drop(v);
  });
}

/**
 * @param {VoiceState} v
 * @param {string} message "" hides it
 */
function showError(v, message) {
  v.error.textContent = message;
  v.error.hidden = !message;
}

/**
 * Asks for the microphone and starts recording.
 * @param {RoomState} state
 * @param {VoiceState} v
 */
async function start(state, v) {
  if (v.phase !== "idle") return;
  showError(v, "");
  v.phase = "starting";
  v.sync();
  /** @type {Recording} */
  let recording;
  try {
    recording = await startRecording({
      onLimit: () => limitReached(v),
      onError: () => {
        reset(v);
        showError(v, gettext("Recording failed. Try again."));
      },
    });
  } catch (err) {
    if (v.phase === "starting") reset(v);
    showError(v, micErrorText(err));
    return;
  }
  if (state.stale() || v.phase !== "starting") {
    recording.cancel(); // cancelled, or the view went, while the browser asked
    return;
  }
  v.recording = recording;
  v.phase = "recording";
  v.bar.hidden = false;
  v.bar.classList.add("recording");
  v.status.textContent = recordingText(0);
  v.ticker = setInterval(() => (v.status.textContent = recordingText(recording.elapsed())), 250);
  v.send.focus();
}

/**
 * Recording stopped by itself at the maximum length: it waits for Send or Cancel.
 * @param {VoiceState} v
 */
function limitReached(v) {
  clearInterval(v.ticker);
  v.phase = "stopped";
  v.bar.classList.remove("recording");
  v.status.textContent = maxReachedText();
}

/**
 * Send: stops the recording and uploads it.
 * @param {RoomState} state
 * @param {VoiceState} v
 */
async function deliver(state, v) {
  const recording = v.recording;
  if (!recording) return;
  v.recording = null; // one send
  reset(v);
  const file = await recording.finish();
  if (!file) {
    showError(v, gettext("Nothing was recorded. Check the microphone and try again."));
    return;
  }
  if (!state.stale()) await sendFile(state, file);
}

/**
 * Cancel (or the view going): stops recording and drops it.
 * @param {VoiceState} v
 */
function drop(v) {
  if (v.recording) v.recording.cancel();
  reset(v);
}

/**
 * Back to idle: nothing recording, the bar hidden.
 * @param {VoiceState} v
 */
function reset(v) {
  clearInterval(v.ticker);
  Object.assign(v, { phase: "idle", recording: null, ticker: null });
  v.bar.hidden = true;
  v.bar.classList.remove("recording");
  v.sync();
}
