// @ts-check
// The one REST client of the dashboard and the widget: JSON in and out (or a multipart form),
// errors as ApiError with the server's clear message. Each page configures its client: the
// dashboard with its session cookie and CSRF header, the widget with its visitor token.
import { gettext, interpolate } from "./i18n.js";

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status; 0 when the server could not be reached
   * @param {any} body the parsed JSON body of the answer, or null
   * @param {string} [message] the text shown to people; describe(status, body) by default
   */
  constructor(status, body, message) {
    super(message ?? describe(status, body));
    this.status = status;
    this.body = body;
  }
}

/**
 * A readable message from an error answer: the server's detail with its field messages.
 * @param {number} status
 * @param {any} body
 * @returns {string}
 */
export function describe(status, body) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") {
      // A field message the detail already says is not said twice.
      const fields = Object.entries(body).filter(([k, v]) => k !== "detail" && Array.isArray(v) && !v.every((m) => body.detail.includes(String(m))));
      const extra = fields.map(([k, v]) => `${k}: ${v.join(" ")}`).join("; ");
      return extra && !body.detail.includes(extra) ? `${body.detail} (${extra})` : body.detail;
    }
    const parts = Object.entries(body).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(" ") : v}`);
    if (parts.length) return parts.join("; ");
  }
  if (status === 0) return gettext("The server cannot be reached. Check the connection and try again.");
  return interpolate(gettext("Request failed (HTTP %(status)s)."), { status });
}

/**
 * Parses a JSON text; null for an empty or broken one.
 * @param {string} text
 * @returns {any}
 */
export function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/**
 * @typedef {object} ClientOptions
 * @property {RequestCredentials} [credentials] "same-origin" (session cookie) or "omit"
 * @property {(method: string) => Record<string, string>} [headers] extra headers of a request
 * @property {(response: Response) => void} [onResponse] sees every answer (headers) first
 * @property {(status: number, body: any) => void} [onError] sees every error answer before it is thrown
 * @property {(status: number, body: any) => string} [message] the text of an ApiError
 * @property {typeof fetch} [fetch] for tests
 */

/**
 * @param {ClientOptions} [options]
 */
export function createClient({
  credentials = "same-origin",
  headers = () => ({}),
  onResponse = () => {},
  onError = () => {},
  message = describe,
  fetch: fetchFn = (...args) => fetch(...args),
} = {}) {
  /**
   * @param {string} method
   * @param {string} url
   * @param {{body?: any, form?: FormData, headers?: Record<string, string>, signal?: AbortSignal}} [payload] a JSON body or a multipart form; extra headers of this request; an AbortSignal
   * @returns {Promise<any>} the parsed JSON answer (null for 204)
   */
  async function request(method, url, { body, form, headers: extra = {}, signal } = {}) {
    /** @type {Record<string, string>} */
    const all = { Accept: "application/json", ...headers(method), ...extra };
    /** @type {RequestInit} */
    const init = { method, headers: all, credentials };
    if (signal) init.signal = signal;
    if (form !== undefined) init.body = form;
    else if (body !== undefined) {
      all["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetchFn(url, init);
    } catch {
      throw new ApiError(0, null, message(0, null));
    }
    onResponse(response);
    if (response.status === 204) return null;
    const data = parseJson(await response.text());
    if (!response.ok) {
      onError(response.status, data);
      throw new ApiError(response.status, data, message(response.status, data));
    }
    return data;
  }

  /**
   * Multipart upload with progress (fetch has no upload progress): resolves with the JSON body.
   * @param {string} url
   * @param {FormData} formData
   * @param {(fraction: number) => void} [onProgress]
   * @returns {Promise<any>}
   */
  function upload(url, formData, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      for (const [name, value] of Object.entries({ Accept: "application/json", ...headers("POST") })) xhr.setRequestHeader(name, value);
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
      });
      xhr.addEventListener("load", () => {
        const data = parseJson(xhr.responseText);
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new ApiError(xhr.status, data, message(xhr.status, data)));
      });
      xhr.addEventListener("error", () => reject(new ApiError(0, null, message(0, null))));
      xhr.send(formData);
    });
  }

  return { request, upload };
}
