// Alert sound (with a mute toggle kept in localStorage) and browser notifications.
const SOUND_KEY = "cc.sound";
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

let lastNotified = 0;
export function notify(title, body, onClick) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
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
    sound.firstChild.textContent = on ? "Sound on" : "Sound off";
    sound.title = on ? "Alert sound on (click to mute)" : "Alert sound muted (click to turn on)";
    sound.querySelector(".visually-hidden").textContent = sound.title;
  };
  sound.addEventListener("click", () => {
    setSound(!soundOn());
    paint();
  });
  paint();

  const bell = document.getElementById("notify-toggle");
  const paintBell = () => {
    const state = "Notification" in window ? Notification.permission : "unsupported";
    bell.dataset.state = state;
    bell.title = {
      granted: "Browser notifications are on",
      denied: "Browser notifications are blocked in this browser's settings",
      default: "Turn on browser notifications",
      unsupported: "This browser has no notifications",
    }[state];
    bell.querySelector(".visually-hidden").textContent = bell.title;
    bell.disabled = state !== "default";
  };
  bell.addEventListener("click", async () => {
    if ("Notification" in window) await Notification.requestPermission();
    paintBell();
  });
  paintBell();
}
