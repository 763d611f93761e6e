// @ts-check
// Recording a voice message with MediaRecorder, for the dashboard's composer and the
// widget's: ask for the microphone, record in the best format the browser offers
// (voice_rules.js), stop by itself at the maximum length, and give the recording as a File
// for the ordinary upload. The microphone is released as soon as recording stops.

import { VOICE_MAX_SECONDS, pickVoiceType, voiceFileName } from "./voice_rules.js";

/**
 * @typedef {object} Recording a recording under way
 * @property {() => Promise<File | null>} finish stops (if still recording) and gives the
 *   recording (null when nothing was recorded)
 * @property {() => void} cancel stops and drops it
 * @property {() => number} elapsed milliseconds recorded
 */

/** @param {MediaStream} stream */
function release(stream) {
  stream.getTracks().forEach((t) => t.stop());
}

/** @returns {Error} what the browser's lack of recording is reported as */
function notSupported() {
  const err = new Error("This browser cannot record audio here.");
  err.name = "NotSupportedError";
  return err;
}

/**
 * Asks for the microphone and starts recording. Rejects with getUserMedia's error (its name
 * says why: NotAllowedError, NotFoundError...) or a NotSupportedError.
 * @param {{maxSeconds?: number, onLimit?: () => void, onError?: () => void}} [options]
 *   onLimit: recording stopped at the maximum length; onError: the recorder failed (dropped)
 * @returns {Promise<Recording>}
 */
export async function startRecording({ maxSeconds = VOICE_MAX_SECONDS, onLimit = () => {}, onError = () => {} } = {}) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === "undefined") throw notSupported();
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const type = pickVoiceType((t) => MediaRecorder.isTypeSupported(t));
  /** @type {MediaRecorder} */
  let recorder;
  try {
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  } catch {
    release(stream);
    throw notSupported();
  }
  /** @type {Blob[]} */
  const chunks = [];
  let dropped = false;
  let ended = 0;
  const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve, { once: true }));
  recorder.addEventListener("dataavailable", (e) => {
    if (!dropped && e.data && e.data.size) chunks.push(e.data);
  });
  recorder.addEventListener("error", () => {
    if (dropped) return;
    cancel();
    onError();
  });
  const end = () => {
    clearTimeout(limit);
    if (recorder.state !== "inactive") recorder.stop();
    release(stream);
    if (!ended) ended = performance.now();
  };
  const limit = setTimeout(() => {
    end();
    onLimit();
  }, maxSeconds * 1000);
  const cancel = () => {
    dropped = true;
    chunks.length = 0;
    end();
  };
  const finish = async () => {
    end();
    await stopped;
    if (dropped) return null;
    const kind = (chunks[0] && chunks[0].type) || recorder.mimeType || type || "audio/webm";
    const blob = new Blob(chunks, { type: kind });
    return blob.size ? new File([blob], voiceFileName(kind, new Date()), { type: kind }) : null;
  };
  recorder.start();
  const started = performance.now();
  return { finish, cancel, elapsed: () => (ended || performance.now()) - started };
}
