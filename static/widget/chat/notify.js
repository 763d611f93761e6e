// @ts-check
// Sound and notifications for the agent's messages. One notification (and one sound) per
// burst: a message within 3 s of the previous one is folded into it, and the notification
// then shows the burst's latest text (the same tag replaces it, without a new alert). Unseen
// messages are counted on the loader's launcher; in frame mode the loader shows the
// notification (the host page holds the permission), on a web link page the browser's
// Notification does. The header's bell (templates/widget/_app.html, data-action="mute")
// turns sound and notifications off, remembered per channel in localStorage.

import { gettext } from "../../js/i18n.js";
import { foldsIntoLast } from "./decide.js";
import { notificationText } from "./labels.js";
import { isMutedValue, muteKey, recordNotification } from "./notify_rules.js";
import { app, config, mode } from "./page.js";
import { toParent } from "./parent.js";
import { S, STORE_KEY } from "./state.js";

/** @typedef {import("./types.js").Message} Message */

/**
 * What the widget decided to notify, for tests and debugging only (window.ccWidgetDebug).
 * Nothing is recorded while the visitor has muted the widget.
 * @type {{notifications: import("./notify_rules.js").NotificationEntry[], sounds: number}}
 */
export const debug = { notifications: [], sounds: 0 };

const MUTE_KEY = muteKey(config.key);

/** @returns {boolean} whether the visitor turned sound and notifications off */
export function isMuted() {
  try {
    return isMutedValue(localStorage.getItem(MUTE_KEY));
  } catch {
    return false; // storage blocked: the bell still works for this page (see setMuted)
  }
}

/** The bell's state when storage is blocked. */
let mutedHere = false;

/**
 * @param {boolean} muted
 */
function setMuted(muted) {
  mutedHere = muted;
  try {
    if (muted) localStorage.setItem(MUTE_KEY, "1");
    else localStorage.removeItem(MUTE_KEY);
  } catch {
    /* storage blocked: muted for this page only */
  }
  showBell();
}

function muted() {
  return mutedHere || isMuted();
}

function showBell() {
  const bell = app.querySelector('[data-action="mute"]');
  if (!bell) return;
  const on = muted();
  // A toggle button: the name stays "Mute sound", aria-pressed says whether it is on.
  bell.setAttribute("aria-pressed", String(on));
  bell.setAttribute("title", on ? gettext("Sound and notifications are off") : gettext("Mute sound"));
}

/** Wires the header's bell; called once at start. */
export function setupBell() {
  const bell = app.querySelector('[data-action="mute"]');
  if (!bell) return;
  mutedHere = isMuted();
  showBell();
  bell.addEventListener("click", () => {
    unlockAudio();
    setMuted(!muted());
  });
  // Another tab of the same channel flipped it.
  window.addEventListener("storage", (e) => {
    if (e.key !== MUTE_KEY) return;
    mutedHere = isMutedValue(e.newValue);
    showBell();
  });
}

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
  const unseen = !isSeen();
  if (unseen) toParent({ type: "cc:unread", count: 1 });
  if (muted()) return;
  const text = notificationText(message, config.company_name);
  const { isNew } = recordNotification(debug.notifications, text, { folded, unseen });
  if (isNew) playSound();
  if (unseen) showNotification(text.title, text.body);
}

/**
 * Shows (or, within a burst, replaces: the same tag, renotify false) the system notification.
 * @param {string} title
 * @param {string} body
 */
function showNotification(title, body) {
  if (mode === "frame") {
    // The loader's Notification uses one tag per channel: a second one replaces the first.
    toParent({ type: "cc:notify", title, body });
  } else if (window.Notification && Notification.permission === "granted") {
    try {
      // renotify (not in TypeScript's DOM types yet): false replaces without a new alert.
      new Notification(title, /** @type {NotificationOptions} */ ({ body, tag: STORE_KEY, renotify: false }));
    } catch {
      /* some browsers only allow notifications from a service worker */
    }
  }
}
