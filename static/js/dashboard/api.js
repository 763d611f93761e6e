// REST client of the dashboard: same-origin session cookie, CSRF header on unsafe methods,
// JSON in and out, errors as ApiError with the server's clear message.

export class ApiError extends Error {
  constructor(status, body) {
    super(ApiError.describe(status, body));
    this.status = status;
    this.body = body;
  }

  static describe(status, body) {
    if (body && typeof body === "object") {
      if (typeof body.detail === "string") {
        const fields = Object.entries(body).filter(([k, v]) => k !== "detail" && Array.isArray(v));
        const extra = fields.map(([k, v]) => `${k}: ${v.join(" ")}`).join("; ");
        return extra && !body.detail.includes(extra) ? `${body.detail} (${extra})` : body.detail;
      }
      const parts = Object.entries(body).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(" ") : v}`);
      if (parts.length) return parts.join("; ");
    }
    if (status === 0) return "The server cannot be reached. Check the connection and try again.";
    return `Request failed (HTTP ${status}).`;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, null);
  }
  if (response.status === 204) return null;
  let data;
  const text = await response.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401 || (response.status === 403 && data && /log in/i.test(data.detail || ""))) {
      // The session ended (idle, or a login on another device): back to the login page.
      location.assign(`/login/?next=${encodeURIComponent(location.pathname)}`);
    }
    throw new ApiError(response.status, data);
  }
  return data;
}

// Multipart upload with progress (fetch has no upload progress): resolves with the JSON body.
export function upload(url, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      let data;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, null)));
    xhr.send(formData);
  });
}
