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

const client = createClient({
  credentials: "same-origin",
  headers: (method) => (method !== "GET" && method !== "HEAD" ? { "X-CSRFToken": csrfToken() } : {}),
  onError(status, data) {
    if (status === 401 || (status === 403 && data && (data.code === "not_logged_in" || /log in/i.test(data.detail || "")))) {
      // The session ended (idle, or a login on another device): back to the login page.
      location.assign(`/login/?next=${encodeURIComponent(location.pathname)}`);
    }
  },
});

/**
 * @param {string} method
 * @param {string} url
 * @param {any} [body] sent as JSON
 * @returns {Promise<any>}
 */
export function api(method, url, body) {
  return client.request(method, url, { body });
}

/** Multipart upload with progress: resolves with the JSON body. */
export const upload = client.upload;
