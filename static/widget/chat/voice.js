// @ts-check
// The visitor's voice messages: the microphone button of the composer records
// (../../js/recorder.js); a bar above the composer shows the elapsed time against the
// maximum length, with Cancel and Send; the recording goes out as the composer's file
// uploads do. In the loader's iframe the microphone needs the frame's allow="microphone"
// (loader.js gives it); a refused or missing microphone is said in the composer's error line.

import { gettext } from "../../js/i18n.js";
import { h } from "../../js/h.js";
import { startRecording } from "../../js/recorder.js";
import { maxReachedText, micErrorText, recordingText } from "../../js/voice_rules.js";

const SVG = "http://www.w3.org/2000/svg";

/** @typedef {import("../../js/recorder.js").Recording} Recording */

/**
 * The microphone button and the recording bar.
 * @param {{upload: (file: File) => void, error: (text: string) => void}} composer the
 *   composer's upload and error line
 * @returns {{button: HTMLButtonElement, bar: HTMLElement}}
 */
export function voiceControls({ upload, error }) {
  const status = h("span", { class: "cc-voice-status", role: "timer" });
  const send = h("button", { type: "button", class: "cc-voice-send", text: gettext("Send") });
  const cancel = h("button", { type: "button", class: "cc-link", text: gettext("Cancel") });
  const bar = h("div", { class: "cc-voice-bar", role: "group", "aria-label": gettext("Voice message"), hidden: true }, h("span", { class: "cc-voice-dot", "aria-hidden": "true" }), status, cancel, send);
  const button = h("button", { type: "button", class: "cc-icon-btn", "aria-label": gettext("Record a voice message") });
  button.append(micIcon());

  /** @type {Recording | null} */
  let recording = null;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let ticker;
  const reset = () => {
    clearInterval(ticker);
    recording = null;
    bar.hidden = true;
    button.disabled = false;
  };

  button.addEventListener("click", async () => {
    if (button.disabled) return;
    error("");
    button.disabled = true;
    try {
      recording = await startRecording({
        onLimit: () => {
          clearInterval(ticker);
          status.textContent = maxReachedText();
        },
        onError: () => {
          reset();
          error(gettext("Recording failed. Try again."));
        },
      });
    } catch (err) {
      reset();
      error(micErrorText(err));
      return;
    }
    const current = recording;
    bar.hidden = false;
    status.textContent = recordingText(0);
    ticker = setInterval(() => (status.textContent = recordingText(current.elapsed())), 250);
    send.focus();
  });
  cancel.addEventListener("click", () => {
    if (recording) recording.cancel();
    reset();
    button.focus();
  });
  send.addEventListener("click", async () => {
    const current = recording;
    if (!current) return;
    reset();
    const file = await current.finish();
    if (file) upload(file);
    else error(gettext("Nothing was recorded. Check the microphone and try again."));
  });
  return { button, bar };
}

/** @returns {SVGSVGElement} a microphone */
function micIcon() {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("cc-icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2z");
  svg.append(path);
  return svg;
}
