// @ts-check
// The server, as the visitor reaches it: the shared REST client (static/js/rest.js) with the
// visitor's token, the socket's URL, and authenticated file downloads.
//
// Visitor tokens expire (the server's CC_VISITOR_TOKEN_MAX_AGE_SECONDS); while the visitor
// is active the server hands out a fresh one (the X-Visitor-Token header on REST answers, a
// visitor.token_renewed event on the socket): keep it, for this page and the next visit.

import { pageLanguage } from "../../js/i18n.js";
import { createClient } from "../../js/rest.js";
import { wsUrl } from "../../js/socket.js";
import { errorText } from "./labels.js";
import { S, save } from "./state.js";

const rest = createClient({
  credentials: "omit",
  // The page's language (?lang= or the browser's, chosen by the server): the answers' too.
  headers: () => ({ "Accept-Language": pageLanguage(), ...(S.token ? { Authorization: `Visitor ${S.token}` } : {}) }),
  onResponse: (response) => renewToken(response.headers.get("X-Visitor-Token")),
  message: errorText,
});

/**
 * One REST call; rejects with an ApiError whose message the visitor can read.
 * @param {string} path
 * @param {{method?: string, body?: any, form?: FormData}} [request]
 * @returns {Promise<any>}
 */
export function api(path, { method = "GET", body = undefined, form = undefined } = {}) {
  return rest.request(method, path, { body, form });
}

/**
 * Keeps a renewed visitor token (stored, and used by the socket's next reconnect).
 * @param {string | null | undefined} token
 */
export function renewToken(token) {
  if (!token || token === S.token) return;
  S.token = token;
  save();
  if (S.socket) S.socket.url = visitorSocketUrl();
}

export function visitorSocketUrl() {
  return wsUrl(`/ws/visitor/?visitor_token=${encodeURIComponent(S.token)}&lang=${encodeURIComponent(pageLanguage())}`);
}

/**
 * A file of the conversation as a blob: URL (the download needs the visitor's token).
 * @param {string} url
 * @returns {Promise<string>}
 */
export async function fileBlobUrl(url) {
  const response = await fetch(url, { headers: { Authorization: `Visitor ${S.token}` }, credentials: "omit" });
  if (!response.ok) throw new Error(`download failed (${response.status})`);
  return URL.createObjectURL(await response.blob());
}
