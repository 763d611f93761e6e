// @ts-check
// Alert sound (with a mute toggle kept in localStorage), browser notifications (the Notify
// button shows on / off / blocked: on needs the browser's permission and the agent's
// choice, kept in localStorage), and the tab's attention: the count in the title and the
// favicon with a dot.
import { gettext } from "../i18n.js";
import { toast } from "./dom.js";
import { titleWithCount } from "./roomrows.js";

const SOUND_KEY = "cc.sound";
const NOTIFY_KEY = "cc.notify";
const audio = new Audio("/static/sounds/alert.wav");
audio.preload = "auto";

export function soundOn() {
  return localStorage.getItem(SOUND_KEY) !== "off";
}

export function setSound(on) {
  localStorage.setItem(SOUND_KEY, on ? "on" : "off");
}

export function playAlert() {
  if (!soundOn()) return;
  try {
    audio.currentTime = 0;
    const played = audio.play();
    if (played && played.catch) played.catch(() => {}); // autoplay refused before any click
  } catch {
    /* no audio device */
  }
}

/**
 * on: the browser allows notifications and the agent wants them; off: not asked yet or
 * turned off here; blocked: refused in the browser's settings (only the browser can undo
 * it); unsupported: no notifications in this browser.
 * @returns {"on" | "off" | "blocked" | "unsupported"}
 */
export function notifyState() {
  if (!("Notification" in window)) return "unsupported";
  if (Notification.permission === "denied") return "blocked";
  if (Notification.permission === "granted" && localStorage.getItem(NOTIFY_KEY) !== "off") return "on";
  return "off";
}

let lastNotified = 0;
/**
 * @param {string} title
 * @param {string} body
 * @param {() => void} [onClick]
 */
export function notify(title, body, onClick) {
  if (notifyState() !== "on") return;
  if (document.hasFocus() && Date.now() - lastNotified < 3000) return;
  lastNotified = Date.now();
  try {
    const n = new Notification(title, { body, tag: title });
    n.onclick = () => {
      window.focus();
      if (onClick) onClick();
      n.close();
    };
  } catch {
    /* not allowed in this context */
  }
}

export function setupToggles() {
  const sound = document.getElementById("sound-toggle");
  const paint = () => {
    const on = soundOn();
    sound.setAttribute("aria-pressed", String(on));
    sound.firstChild.textContent = on ? gettext("Sound on") : gettext("Sound off");
    sound.title = on ? gettext("Alert sound on (click to mute)") : gettext("Alert sound muted (click to turn on)");
    sound.querySelector(".visually-hidden").textContent = sound.title;
  };
  sound.addEventListener("click", () => {
    setSound(!soundOn());
    paint();
  });
  paint();

  const bell = /** @type {HTMLButtonElement} */ (document.getElementById("notify-toggle"));
  const paintBell = () => {
    const state = notifyState();
    bell.dataset.state = state;
    bell.disabled = false;
    bell.setAttribute("aria-pressed", String(state === "on"));
    bell.firstChild.textContent = {
      on: gettext("Notify on"),
      off: gettext("Notify off"),
      blocked: gettext("Notify blocked"),
      unsupported: gettext("No notifications"),
    }[state];
    bell.title = {
      on: gettext("Browser notifications are on (click to turn them off)"),
      off: gettext("Browser notifications are off (click to turn them on)"),
      blocked: gettext("Browser notifications are blocked in this browser's settings for this site: allow them there, then click here"),
      unsupported: gettext("This browser has no notifications"),
    }[state];
    bell.querySelector(".visually-hidden").textContent = bell.title;
  };
  bell.addEventListener("click", async () => {
    const state = notifyState();
    if (state === "on") localStorage.setItem(NOTIFY_KEY, "off");
    else if (state === "off") {
      localStorage.setItem(NOTIFY_KEY, "on");
      if (Notification.permission === "default") await Notification.requestPermission();
    } else if (state === "blocked") {
      // Only the browser can lift the block: say where.
      toast(gettext("Notifications are blocked for this site: allow them in the browser's site settings (the icon left of the address), then click Notify again."), "warn", 10000);
    }
    paintBell();
  });
  // The permission may change in the browser's settings while the page is open.
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions
      .query({ name: "notifications" })
      .then((status) => status.addEventListener("change", paintBell))
      .catch(() => {});
  }
  paintBell();
}

// ------------------------------------------------------------------ the tab's attention

/** The page's own title, without a count (translated by the template). */
const baseTitle = titleWithCount(document.title, 0);
/** @type {Map<string, number>} what asks for attention: source -> count */
const counts = new Map();

/**
 * Sets one source's count (the panel's waiting enquiries, the rooms' unread messages);
 * the tab's title shows their sum ("(3) Dashboard · …") and the favicon a dot.
 * @param {string} source
 * @param {number} count
 */
export function attention(source, count) {
  counts.set(source, Math.max(0, count || 0));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const title = titleWithCount(baseTitle, total);
  if (document.title !== title) document.title = title;
  const icon = /** @type {HTMLLinkElement | null} */ (document.getElementById("favicon"));
  if (icon) {
    const href = icon.dataset[total > 0 ? "alert" : "plain"];
    if (href && icon.getAttribute("href") !== href) icon.setAttribute("href", href);
  }
}
