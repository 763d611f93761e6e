// @ts-check
// The dashboard's REST client (the shared one, static/js/rest.js): same-origin session
// cookie, CSRF header on unsafe methods; an ended session goes back to the login page.
import { ApiError, createClient } from "../rest.js";

export { ApiError };

/** @returns {string} */
export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  /** @type {HTMLMetaElement | null} */
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// Idle logout means idle: only a person's actions renew the session (the server's idle
// clock). A request made within ACTIVE_MS of a person's input (a click, a key, a wheel or
// touch) counts as theirs; any other (timers, refreshes, reloads after a socket event)
// carries BACKGROUND_HEADER, which the server does not count as activity.
export const BACKGROUND_HEADER = "X-CC-Background";
const ACTIVE_MS = 30000;
let lastInput = Date.now(); // opening or reloading the page is a person's action
if (typeof window !== "undefined") {
  for (const type of ["pointerdown", "keydown", "wheel", "touchstart"]) {
    window.addEventListener(type, () => (lastInput = Date.now()), { capture: true, passive: true });
  }
}

/** @returns {boolean} whether a person used the page within the last ACTIVE_MS */
export function personActive() {
  return Date.now() - lastInput < ACTIVE_MS;
}

/**
 * The login page, saying why the session ended (a session.ended reason, or "ended").
 * @param {string} reason
 */
export function toLogin(reason) {
  const params = new URLSearchParams({ reason, next: location.pathname });
  location.assign(`/login/?${params}`);
}

const client = createClient({
  credentials: "same-origin",
  headers: (method) => ({
    ...(method !== "GET" && method !== "HEAD" ? { "X-CSRFToken": csrfToken() } : {}),
    ...(personActive() ? {} : { [BACKGROUND_HEADER]: "1" }),
  }),
  onError(status, data) {
    if (status === 401 || (status === 403 && data && (data.code === "not_logged_in" || /log in/i.test(data.detail || "")))) {
      // The session ended (idle, or a login on another device): back to the login page.
      toLogin("ended");
    }
  },
});

/**
 * @param {string} method
 * @param {string} url
 * @param {any} [body] sent as JSON
 * @param {{background?: boolean, signal?: AbortSignal}} [options] background: made by a timer or a refresh,
 *   never by a person (does not keep the session alive, whatever the person did lately);
 *   signal: aborts the request (search as you type drops the stale one)
 * @returns {Promise<any>}
 */
export function api(method, url, body, { background = false, signal } = {}) {
  return client.request(method, url, { body, headers: background ? { [BACKGROUND_HEADER]: "1" } : {}, signal });
}

/** Multipart upload with progress: resolves with the JSON body. */
export const upload = client.upload;
