// @ts-check
// Sound and notifications for the agent's messages. One notification (and one sound) per
// burst: a message within 3 s of the previous one is folded into it. Unseen messages are
// counted on the loader's launcher; in frame mode the loader shows the notification (the
// host page holds the permission), on a web link page the browser's Notification does.

import { foldsIntoLast } from "./decide.js";
import { notificationText } from "./labels.js";
import { config, mode } from "./page.js";
import { toParent } from "./parent.js";
import { S, STORE_KEY } from "./state.js";

/** @typedef {import("./types.js").Message} Message */

/**
 * What the widget decided to notify, for tests and debugging only (window.ccWidgetDebug).
 * @type {{notifications: {title: string, body: string, count: number, shown: boolean}[], sounds: number}}
 */
export const debug = { notifications: [], sounds: 0 };

/** Browsers allow sound only after a user gesture: called from the visitor's clicks. */
export function unlockAudio() {
  if (S.audio) return;
  try {
    const Ctx = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
    if (Ctx) S.audio = new Ctx();
  } catch {
    S.audio = null;
  }
}

function playSound() {
  debug.sounds += 1;
  try {
    if (!S.audio) return;
    const osc = S.audio.createOscillator();
    const gain = S.audio.createGain();
    osc.type = "sine";
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, S.audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, S.audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, S.audio.currentTime + 0.3);
    osc.connect(gain).connect(S.audio.destination);
    osc.start();
    osc.stop(S.audio.currentTime + 0.32);
  } catch {
    /* no sound is fine */
  }
}

function isSeen() {
  return S.visible && document.visibilityState === "visible";
}

/**
 * A live message from the agent arrived.
 * @param {Message} message
 */
export function notifyIncoming(message) {
  const now = Date.now();
  const folded = foldsIntoLast(now, S.lastIncomingAt);
  S.lastIncomingAt = now;
  if (!isSeen()) toParent({ type: "cc:unread", count: 1 });
  const log = debug.notifications;
  if (folded && log.length) {
    log[log.length - 1].count += 1;
    return;
  }
  playSound();
  const { title, body } = notificationText(message, config.company_name);
  log.push({ title, body, count: 1, shown: !isSeen() });
  if (isSeen()) return;
  if (mode === "frame") {
    toParent({ type: "cc:notify", title, body });
  } else if (window.Notification && Notification.permission === "granted") {
    try {
      new Notification(title, { body, tag: STORE_KEY });
    } catch {
      /* some browsers only allow notifications from a service worker */
    }
  }
}
