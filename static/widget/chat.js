// The visitor's chat window: inside the loader's iframe (mode "frame") or on a web link's
// Engage Now page (mode "page"). Plain DOM, every user text set with textContent.
//
// The conversation survives reloads and new tabs: visitor token + enquiry id + room id are
// kept in localStorage under one key per channel. Live updates come over the shared socket
// client (static/js/socket.js: reconnect, sync after a drop, dedupe by id); REST is the
// fallback and the source of truth (every enquiry.* event re-reads the enquiry).

import { h as el } from "../js/h.js";
import { createClient } from "../js/rest.js";
import { CCSocket, wsUrl } from "../js/socket.js";

const config = JSON.parse(document.getElementById("cc-config").textContent);
const app = document.getElementById("cc-app");
const mode = app.dataset.mode;
const query = new URLSearchParams(location.search);
const parentOrigin = mode === "frame" ? safeOrigin(query.get("parent")) : null;
const STORE_KEY = `cc-widget:${config.key}`;
const NOTIFY_FOLD_MS = 3000; // consecutive messages within 3 s give one notification
const EMOJI = "😀 😂 😊 😍 🤔 😅 😢 😮 😡 👍 👎 👏 🙏 👋 🙌 💪 🎉 ❤️ 💔 🔥 ✅ ❌ ⭐ ☕ 📎 📷 📞 ✉️ 🕒 💡 🚀 🤝".split(" ");

const $ = (sel, el = app) => el.querySelector(sel);
const ref = (name) => $(`[data-ref="${name}"]`);

const S = {
  token: null,
  enquiryId: null,
  room: null,
  enquiry: null,
  lastId: 0,
  socket: null,
  socketState: "closed",
  visible: mode === "page",
  prefill: {},
  choice: {},
  pending: new Map(), // client_id -> {el, text, timer}
  rendered: new Set(),
  lastIncomingAt: 0,
  typingTimer: null,
  lastTypingSent: 0,
  audio: null,
  pollTimer: null,
};

// Exposed for tests and debugging only: what the widget decided to notify.
window.ccWidgetDebug = { notifications: [], sounds: 0 };

// ------------------------------------------------------------------ helpers

function safeOrigin(value) {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function load() {
  try {
    return JSON.parse(localStorage.getItem(STORE_KEY) || "{}") || {};
  } catch {
    return {};
  }
}

function save() {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify({ token: S.token, enquiry: S.enquiryId, room: S.room }));
  } catch {
    /* storage blocked: the conversation lasts as long as the page */
  }
}

function toParent(message) {
  if (mode === "frame" && parentOrigin && window.parent !== window) window.parent.postMessage(message, parentOrigin);
}

function banner(text, kind = "error") {
  const node = ref("banner");
  node.textContent = text || "";
  node.dataset.kind = kind;
  node.hidden = !text;
}

// The shared REST client (static/js/rest.js) with the visitor's token; every answer may
// bring a renewed token. Errors show the server's detail, or a plain sentence.
const rest = createClient({
  credentials: "omit",
  headers: () => (S.token ? { Authorization: `Visitor ${S.token}` } : {}),
  onResponse: (response) => renewToken(response.headers.get("X-Visitor-Token")),
  message(status, body) {
    if (status === 0) return "No connection. Check your network and try again.";
    if (body && body.detail) return body.detail;
    if (status === 429) return "Too many requests. Please wait a moment.";
    return `Request failed (${status}).`;
  },
});

function api(path, { method = "GET", body = undefined, form = undefined } = {}) {
  return rest.request(method, path, { body, form });
}

// Visitor tokens expire (the server's CC_VISITOR_TOKEN_MAX_AGE_SECONDS); while the visitor
// is active the server hands out a fresh one (the X-Visitor-Token header on REST answers, a
// visitor.token_renewed event on the socket): keep it, for this page and the next visit.
function renewToken(token) {
  if (!token || token === S.token) return;
  S.token = token;
  save();
  if (S.socket) S.socket.url = visitorSocketUrl();
}

function visitorSocketUrl() {
  return wsUrl(`/ws/visitor/?visitor_token=${encodeURIComponent(S.token)}`);
}

function fieldError(error, name) {
  const body = error.body || {};
  const pick = (v) => (Array.isArray(v) ? v[0] : typeof v === "string" ? v : null);
  return pick(body.visitor && body.visitor[name]) || pick(body[`visitor.${name}`]) || pick(body[name]);
}

function initials(name) {
  return (name || "?")
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0].toUpperCase())
    .join("");
}

function avatar(person, size = 36) {
  if (person && person.avatar_url && /^https?:\/\//.test(person.avatar_url)) {
    return el("img", { class: "cc-avatar", src: person.avatar_url, alt: "", width: size, height: size });
  }
  return el("span", { class: "cc-avatar cc-avatar-initials", "aria-hidden": "true", text: initials(person?.display_name) });
}

const AVAILABILITY = { active: "Available", busy: "Busy", away: "Away", offline: "Offline" };

function deviceInfo() {
  const info = {
    platform: (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "",
    user_agent: navigator.userAgent,
    screen: `${screen.width}x${screen.height}`,
    viewport: `${window.innerWidth}x${window.innerHeight}`,
    language: navigator.language || "",
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "",
    local_time: new Date().toString(),
    touch: "ontouchstart" in window,
    page: mode === "frame" ? query.get("page") || "" : location.origin + location.pathname,
    page_title: mode === "frame" ? query.get("title") || "" : document.title,
    channel: mode === "frame" ? "widget" : "weblink",
  };
  for (const k of Object.keys(info)) if (typeof info[k] === "string") info[k] = info[k].slice(0, 500);
  return info;
}

function utmParams() {
  const source = mode === "frame" ? query : new URLSearchParams(location.search);
  const utm = {};
  source.forEach((value, name) => {
    if (/^utm_[A-Za-z0-9_]{1,58}$/.test(name) && Object.keys(utm).length < 20) utm[name] = value.slice(0, 500);
  });
  return utm;
}

// ------------------------------------------------------------------ sound and notifications

function unlockAudio() {
  if (S.audio) return;
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) S.audio = new Ctx();
  } catch {
    S.audio = null;
  }
}

function playSound() {
  window.ccWidgetDebug.sounds += 1;
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

// One notification (and one sound) per burst: a message within 3 s of the previous one is
// folded into it.
function notifyIncoming(message) {
  const now = Date.now();
  const folded = now - S.lastIncomingAt < NOTIFY_FOLD_MS;
  S.lastIncomingAt = now;
  if (!isSeen()) toParent({ type: "cc:unread", count: 1 });
  const log = window.ccWidgetDebug.notifications;
  if (folded && log.length) {
    log[log.length - 1].count += 1;
    return;
  }
  playSound();
  const title = `${message.author.name || config.company_name}`;
  const body = message.kind === "file" ? "Sent a file" : message.text.slice(0, 140);
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

// ------------------------------------------------------------------ views: before the chat

function clearBody() {
  const body = ref("body");
  body.replaceChildren();
  return body;
}

function renderHome() {
  const body = clearBody();
  const { tags, staff } = config.directory;
  const intro = el(
    "section",
    { class: "cc-intro" },
    config.welcome_message ? el("p", { class: "cc-welcome", text: config.welcome_message }) : null,
    config.open_now
      ? null
      : el("p", { class: "cc-notice", text: "We are closed right now. Leave a message and we will get back to you." }),
  );
  body.append(intro);
  if (!tags.length && !staff.length) {
    renderStart({}, { append: true });
    return;
  }
  if (tags.length) {
    body.append(
      el(
        "section",
        { class: "cc-directory", "aria-labelledby": "cc-tags-title" },
        el("h2", { id: "cc-tags-title", text: "Choose a team" }),
        el(
          "ul",
          { class: "cc-list" },
          tags.map((tag) =>
            el(
              "li",
              {},
              el(
                "button",
                { type: "button", class: "cc-choice", "data-tag": tag.name, onclick: () => renderStart({ tag: tag.name }) },
                el("span", { class: `cc-dot ${tag.available ? "cc-active" : "cc-offline"}`, "aria-hidden": "true" }),
                el("span", { class: "cc-choice-name", text: tag.name }),
                el("span", { class: "cc-choice-status", text: tag.available ? "Available" : "Leave a message" }),
              ),
            ),
          ),
        ),
      ),
    );
  }
  if (staff.length) {
    body.append(
      el(
        "section",
        { class: "cc-directory", "aria-labelledby": "cc-staff-title" },
        el("h2", { id: "cc-staff-title", text: "Or talk to someone you know" }),
        el(
          "ul",
          { class: "cc-list" },
          staff.map((person) =>
            el(
              "li",
              {},
              el(
                "button",
                {
                  type: "button",
                  class: "cc-choice",
                  "data-staff": person.id,
                  onclick: () => renderStart({ staff: person.id, staffName: person.display_name }),
                },
                avatar(person, 28),
                el("span", { class: "cc-choice-name", text: person.display_name }),
                el(
                  "span",
                  { class: `cc-choice-status cc-status-${person.availability}` },
                  el("span", { class: `cc-dot cc-${person.availability}`, "aria-hidden": "true" }),
                  AVAILABILITY[person.availability] || person.availability,
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }
  body.append(
    el("button", { type: "button", class: "cc-btn cc-start-default", onclick: () => renderStart({}) }, "Start a conversation"),
  );
}

const LABELS = { first_name: "First name", last_name: "Last name", email: "Email", phone: "Phone" };
const INPUT_TYPES = { email: "email", phone: "tel" };

function renderStart(choice, { append = false } = {}) {
  S.choice = choice || {};
  const body = append ? ref("body") : clearBody();
  banner("");
  const form = el("form", { class: "cc-start", novalidate: true, "aria-label": "Start a conversation" });
  if (!append && (config.directory.tags.length || config.directory.staff.length)) {
    form.append(el("button", { type: "button", class: "cc-link", onclick: renderHome }, "‹ Back"));
  }
  const target = choice.tag || choice.staffName;
  if (target) form.append(el("p", { class: "cc-target" }, "To: ", el("strong", { text: target })));
  if (config.form.enabled) {
    const fieldset = el("fieldset", { class: "cc-fields" }, el("legend", { text: "About you" }));
    for (const name of config.form.fields) {
      const required = config.form.required.includes(name);
      const id = `cc-f-${name}`;
      fieldset.append(
        el(
          "div",
          { class: "cc-field" },
          el("label", { for: id }, LABELS[name], required ? el("span", { class: "cc-req", text: " *" }) : " (optional)"),
          el("input", {
            id,
            name,
            type: INPUT_TYPES[name] || "text",
            required,
            maxlength: name === "email" ? 254 : name === "phone" ? 40 : 100,
            autocomplete: { first_name: "given-name", last_name: "family-name", email: "email", phone: "tel" }[name],
            value: S.prefill[name] || "",
          }),
          el("p", { class: "cc-error", id: `${id}-error`, "data-error": name, hidden: true }),
        ),
      );
    }
    form.append(fieldset);
  }
  form.append(
    el("label", { for: "cc-first-message", class: "cc-label" }, "Your message"),
    el("textarea", {
      id: "cc-first-message",
      name: "message",
      rows: 3,
      required: true,
      placeholder: "How can we help?",
    }),
    el("p", { class: "cc-error", "data-error": "message", hidden: true }),
    el("button", { type: "submit", class: "cc-btn" }, "Start chat"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    startEnquiry(form);
  });
  body.append(form);
  const first = form.querySelector("input, textarea");
  if (first && S.visible) first.focus();
}

function showError(form, name, message) {
  const node = form.querySelector(`[data-error="${name}"]`);
  if (!node) return false;
  node.textContent = message;
  node.hidden = !message;
  const input = form.querySelector(`[name="${name}"]`);
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
  return true;
}

async function startEnquiry(form) {
  unlockAudio();
  if (mode === "page" && window.Notification && Notification.permission === "default") Notification.requestPermission();
  const values = Object.fromEntries(new FormData(form).entries());
  const message = String(values.message || "").trim();
  form.querySelectorAll("[data-error]").forEach((n) => (n.hidden = true));
  let bad = false;
  const visitor = {};
  if (config.form.enabled) {
    for (const name of config.form.fields) {
      const value = String(values[name] || "").trim();
      visitor[name] = value;
      if (config.form.required.includes(name) && !value) bad = showError(form, name, `${LABELS[name]} is required.`) || bad;
    }
    if (visitor.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(visitor.email)) {
      bad = showError(form, "email", "Enter a valid email address.") || bad;
    }
  } else {
    Object.assign(visitor, S.prefill);
  }
  if (!message) bad = showError(form, "message", "Write a message to start the conversation.") || bad;
  if (message.length > config.limits.message_chars) {
    bad =
      showError(
        form,
        "message",
        `Your message is too long: ${message.length.toLocaleString()} characters, at most ${config.limits.message_chars.toLocaleString()}.`,
      ) || bad;
  }
  if (bad) return;
  for (const [k, v] of Object.entries(visitor)) if (v) S.prefill[k] = v;
  const submit = form.querySelector('button[type="submit"]');
  submit.disabled = true;
  try {
    const body = { channel_key: config.key, message, visitor, device: deviceInfo(), utm: utmParams() };
    if (S.choice.tag) body.tag = S.choice.tag;
    if (S.choice.staff) body.staff = S.choice.staff;
    const got = await api("/api/v1/widget/enquiries", { method: "POST", body });
    S.token = got.visitor_token;
    S.enquiryId = got.id;
    S.room = got.room;
    S.lastId = 0;
    save();
    await openConversation();
  } catch (error) {
    submit.disabled = false;
    let placed = false;
    for (const name of [...config.form.fields, "message"]) {
      const msg = fieldError(error, name);
      if (msg) placed = showError(form, name, msg) || placed;
    }
    if (!placed || error.status === 429 || error.status === 409) banner(error.message);
  }
}

// ------------------------------------------------------------------ the chat

function renderChat() {
  const body = clearBody();
  body.classList.add("cc-chatting");
  body.append(
    el("div", { class: "cc-agent", "data-ref": "agent", hidden: true }),
    el("p", { class: "cc-status", "data-ref": "status", role: "status" }),
    el("ol", { class: "cc-messages", "data-ref": "messages", "aria-label": "Messages" }),
    el("p", { class: "cc-typing", "data-ref": "typing", hidden: true }),
    el("div", { class: "cc-after", "data-ref": "after" }),
    composer(),
  );
}

function composer() {
  const input = el("textarea", {
    id: "cc-input",
    rows: 1,
    placeholder: "Write a message…",
    "aria-label": "Message",
    "data-ref": "input",
  });
  const fileInput = el("input", { type: "file", hidden: true, "data-ref": "file" });
  const picker = el(
    "div",
    { class: "cc-emoji-picker", role: "listbox", "aria-label": "Emoji", "data-ref": "emoji", hidden: true },
    EMOJI.map((e) =>
      el("button", { type: "button", class: "cc-emoji", role: "option", "aria-label": e, onclick: () => insertEmoji(e) }, e),
    ),
  );
  const form = el(
    "form",
    { class: "cc-composer", "data-ref": "composer" },
    picker,
    el("p", { class: "cc-error cc-composer-error", "data-ref": "composer-error", hidden: true }),
    el(
      "div",
      { class: "cc-composer-row" },
      el(
        "button",
        {
          type: "button",
          class: "cc-icon-btn",
          "aria-label": "Insert emoji",
          "aria-expanded": "false",
          "data-ref": "emoji-toggle",
          onclick: toggleEmoji,
        },
        "☺",
      ),
      attachButton(() => fileInput.click()),
      input,
      fileInput,
      el("button", { type: "submit", class: "cc-send", "aria-label": "Send" }, "Send"),
    ),
  );
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
    sendTyping();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  fileInput.addEventListener("change", () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (file) uploadFile(file);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    unlockAudio();
    const text = input.value.trim();
    if (!text) return;
    if (text.length > config.limits.message_chars) {
      composerError(
        `Your message is too long: ${text.length.toLocaleString()} characters, at most ${config.limits.message_chars.toLocaleString()}.`,
      );
      return;
    }
    composerError("");
    input.value = "";
    input.style.height = "auto";
    sendText(text);
  });
  return form;
}

function attachButton(onclick) {
  const button = el("button", { type: "button", class: "cc-icon-btn", "aria-label": "Attach a file or image", onclick });
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("cc-icon");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute(
    "d",
    "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z",
  );
  svg.append(path);
  button.append(svg);
  return button;
}

function composerError(text) {
  const node = ref("composer-error");
  if (!node) return banner(text);
  node.textContent = text;
  node.hidden = !text;
}

function toggleEmoji() {
  const picker = ref("emoji");
  picker.hidden = !picker.hidden;
  ref("emoji-toggle").setAttribute("aria-expanded", String(!picker.hidden));
  if (!picker.hidden) picker.querySelector("button").focus();
}

function insertEmoji(emoji) {
  const input = ref("input");
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? input.value.length;
  input.value = input.value.slice(0, start) + emoji + input.value.slice(end);
  input.focus();
  input.selectionStart = input.selectionEnd = start + emoji.length;
  ref("emoji").hidden = true;
  ref("emoji-toggle").setAttribute("aria-expanded", "false");
}

function sendTyping() {
  const now = Date.now();
  if (now - S.lastTypingSent < 1000 || !S.socket || S.socketState !== "open") return;
  S.lastTypingSent = now;
  S.socket.send({ type: "typing", room: S.room });
}

function sendText(text) {
  const clientId = uuid();
  const li = addBubble({ mine: true, text, pending: true });
  li.dataset.clientId = clientId;
  const entry = { el: li, text, timer: null };
  S.pending.set(clientId, entry);
  if (S.socket && S.socketState === "open") {
    S.socket.post(S.room, text, { client_id: clientId });
    // No answer in time (a drop mid-send): the REST retry is idempotent on client_id.
    entry.timer = setTimeout(() => restPost(clientId), 6000);
  } else {
    restPost(clientId);
  }
}

async function restPost(clientId) {
  const entry = S.pending.get(clientId);
  if (!entry) return;
  try {
    const message = await api(`/api/v1/rooms/${S.room}/messages`, {
      method: "POST",
      body: { text: entry.text, client_id: clientId },
    });
    addMessage(message, { live: false });
  } catch (error) {
    failPending(clientId, error.message);
  }
}

function failPending(clientId, detail) {
  const entry = S.pending.get(clientId);
  if (!entry) return;
  clearTimeout(entry.timer);
  S.pending.delete(clientId);
  entry.el.classList.add("cc-failed");
  entry.el.classList.remove("cc-pending");
  entry.el.append(el("span", { class: "cc-failed-note", role: "alert", text: `Not sent: ${detail}` }));
}

async function uploadFile(file) {
  if (file.size > config.limits.upload_bytes) {
    composerError(`This file is too large (at most ${Math.floor(config.limits.upload_bytes / 1048576)} MB).`);
    return;
  }
  composerError("");
  const clientId = uuid();
  const li = addBubble({ mine: true, text: `Uploading ${file.name}…`, pending: true });
  S.pending.set(clientId, { el: li, text: file.name, timer: null });
  const form = new FormData();
  form.append("file", file);
  form.append("client_id", clientId);
  try {
    const message = await api(`/api/v1/rooms/${S.room}/files`, { method: "POST", form });
    addMessage(message, { live: false });
  } catch (error) {
    failPending(clientId, error.status === 404 || error.status === 405 ? "files cannot be sent here." : error.message);
  }
}

function addBubble({ mine, text, pending = false, kind = "text", author = null, system = false }) {
  const list = ref("messages");
  const li = el("li", {
    class: `cc-msg ${system ? "cc-system" : mine ? "cc-mine" : "cc-theirs"}${pending ? " cc-pending" : ""}`,
  });
  if (!mine && !system && author) li.append(el("span", { class: "cc-author", text: author }));
  if (kind === "text" || system) li.append(el("span", { class: "cc-text", text }));
  list.append(li);
  list.scrollTop = list.scrollHeight;
  li.scrollIntoView({ block: "end" });
  return li;
}

async function fileBlobUrl(url) {
  const response = await fetch(url, { headers: { Authorization: `Visitor ${S.token}` }, credentials: "omit" });
  if (!response.ok) throw new Error(`download failed (${response.status})`);
  return URL.createObjectURL(await response.blob());
}

function renderFile(li, file) {
  const box = el("div", { class: "cc-file" });
  li.append(box);
  if (file.category === "image" && (file.thumbnail_url || file.url)) {
    const img = el("img", { class: "cc-image", alt: file.name || "image" });
    fileBlobUrl(file.thumbnail_url || file.url)
      .then((src) => {
        img.src = src;
      })
      .catch(() => img.replaceWith(el("span", { text: file.name || "image" })));
    box.append(img);
  }
  box.append(
    el(
      "button",
      {
        type: "button",
        class: "cc-link cc-download",
        onclick: async () => {
          try {
            const href = await fileBlobUrl(file.url);
            const a = el("a", { href, download: file.name || "file" });
            document.body.append(a);
            a.click();
            a.remove();
          } catch (e) {
            banner(`Could not download the file: ${e.message}`);
          }
        },
      },
      `⬇ ${file.name || "file"}${file.size ? ` (${Math.ceil(file.size / 1024)} KB)` : ""}`,
    ),
  );
}

function addMessage(message, { live }) {
  if (!message || message.room !== S.room) return;
  S.lastId = Math.max(S.lastId, message.id);
  if (S.socket) S.socket.track(S.room, message.id);
  const existing = ref("messages").querySelector(`[data-id="${message.id}"]`);
  if (existing) {
    if (message.recalled_at) {
      existing.querySelector(".cc-text")?.replaceChildren("Message recalled");
      existing.classList.add("cc-recalled");
    } else if (message.edited_at) {
      const t = existing.querySelector(".cc-text");
      if (t) t.textContent = message.text;
    }
    return;
  }
  const mine = message.author.type === "visitor";
  const pending = message.client_id && S.pending.get(message.client_id);
  let li;
  if (pending) {
    clearTimeout(pending.timer);
    S.pending.delete(message.client_id);
    li = pending.el;
    li.classList.remove("cc-pending");
    if (message.kind === "file") li.replaceChildren();
  } else {
    const system = message.author.type === "system";
    li = addBubble({
      mine,
      system,
      text: message.recalled_at ? "Message recalled" : message.text,
      kind: message.kind,
      author: message.author.name,
    });
  }
  li.dataset.id = message.id;
  const file = message.data && message.data.file;
  if (file && !message.recalled_at) {
    if (message.text) li.append(el("span", { class: "cc-text", text: message.text }));
    renderFile(li, file);
  }
  if (live && message.author.type === "staff") {
    hideTyping();
    notifyIncoming(message);
  }
}

async function loadHistory() {
  for (;;) {
    const page = await api(`/api/v1/rooms/${S.room}/messages?after=${S.lastId}&limit=500`);
    page.results.forEach((m) => addMessage(m, { live: false }));
    if (!page.has_more || !page.results.length) break;
  }
}

function showTyping(author) {
  const node = ref("typing");
  if (!node) return;
  node.textContent = `${author.name || "The agent"} is typing…`;
  node.hidden = false;
  clearTimeout(S.typingTimer);
  S.typingTimer = setTimeout(hideTyping, 3500);
}

function hideTyping() {
  const node = ref("typing");
  if (node) node.hidden = true;
}

function setStatus(text) {
  const node = ref("status");
  if (node) node.textContent = text;
  app.dataset.status = S.enquiry ? S.enquiry.status : "";
}

function renderAgent(owner) {
  const box = ref("agent");
  if (!box) return;
  if (!owner) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.replaceChildren(
    avatar(owner, 40),
    el(
      "div",
      { class: "cc-agent-text" },
      el("strong", { class: "cc-agent-name", text: owner.display_name }),
      el(
        "span",
        { class: `cc-agent-status cc-status-${owner.availability}` },
        el("span", { class: `cc-dot cc-${owner.availability}`, "aria-hidden": "true" }),
        AVAILABILITY[owner.availability] || owner.availability,
      ),
    ),
  );
  ref("subtitle").textContent = `You are chatting with ${owner.display_name}`;
}

function applyEnquiry(enquiry) {
  S.enquiry = enquiry;
  const after = ref("after");
  const composerForm = ref("composer");
  if (!after || !composerForm) return;
  renderAgent(["handling", "resolved"].includes(enquiry.status) ? enquiry.owner : null);
  const ended = enquiry.status === "missed" || enquiry.status === "closed";
  composerForm.hidden = ended;
  switch (enquiry.status) {
    case "open":
      setStatus(
        enquiry.queue_position
          ? `Waiting for an agent. You are number ${enquiry.queue_position} in the queue.`
          : "Waiting for an agent…",
      );
      break;
    case "handling":
      setStatus(enquiry.owner ? `${enquiry.owner.display_name} joined the conversation.` : "An agent joined.");
      break;
    case "resolved":
      setStatus("This conversation was marked as resolved. Write again if you need more help.");
      break;
    case "missed":
      setStatus(
        enquiry.missed_reason === "out_of_hours"
          ? "We are closed right now."
          : "Sorry, nobody could answer in time.",
      );
      break;
    case "closed":
      setStatus("This conversation is closed.");
      break;
    default:
      setStatus(enquiry.status);
  }
  renderAfter(after, enquiry);
}

function renderAfter(after, enquiry) {
  const key = `${enquiry.status}:${enquiry.can_leave_note}:${enquiry.can_rate}:${!!enquiry.note}:${!!enquiry.rating}`;
  if (after.dataset.key === key) return;
  after.dataset.key = key;
  after.replaceChildren();
  if (enquiry.can_leave_note) after.append(noteForm());
  else if (enquiry.status === "missed" && enquiry.note) {
    after.append(el("p", { class: "cc-thanks", text: "Thank you. We received your note and will get back to you." }));
  }
  if (enquiry.can_rate) after.append(ratingForm());
  else if (enquiry.rating) after.append(el("p", { class: "cc-thanks", text: "Thank you for your rating!" }));
  if (enquiry.status === "missed" || enquiry.status === "closed") {
    after.append(
      el("button", { type: "button", class: "cc-btn cc-secondary cc-new", onclick: newConversation }, "Start a new conversation"),
    );
  }
}

function noteForm() {
  const limit = config.limits.note_chars;
  const counter = el("span", { class: "cc-counter", "aria-live": "polite", text: `0 / ${limit.toLocaleString()}` });
  const text = el("textarea", { id: "cc-note", name: "text", rows: 4, required: true, maxlength: limit });
  const form = el(
    "form",
    { class: "cc-note", "aria-labelledby": "cc-note-title" },
    el("h3", { id: "cc-note-title", text: "Leave us a note" }),
    el("p", { text: "Tell us what you need and how to reach you; we will follow up." }),
    el("label", { for: "cc-note" }, "Your note"),
    text,
    counter,
    el("label", { for: "cc-note-contact" }, "Email or phone"),
    el("input", {
      id: "cc-note-contact",
      name: "contact",
      maxlength: 255,
      value: S.prefill.email || S.enquiry?.visitor?.email || S.enquiry?.visitor?.phone || "",
    }),
    el("p", { class: "cc-error", hidden: true, "data-error": "note" }),
    el("button", { type: "submit", class: "cc-btn" }, "Send note"),
  );
  text.addEventListener("input", () => (counter.textContent = `${text.value.length.toLocaleString()} / ${limit.toLocaleString()}`));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) return showError(form, "note", "Write a note first.");
    if (value.length > limit) return showError(form, "note", `A note is limited to ${limit.toLocaleString()} characters.`);
    try {
      const enquiry = await api(`/api/v1/widget/enquiries/${S.enquiryId}/note`, {
        method: "POST",
        body: { text: value, contact: form.elements.contact.value.trim() },
      });
      applyEnquiry(enquiry);
    } catch (error) {
      showError(form, "note", fieldError(error, "text") || error.message);
    }
  });
  return form;
}

function ratingForm() {
  let score = 0;
  const stars = [1, 2, 3, 4, 5].map((n) =>
    el(
      "button",
      {
        type: "button",
        class: "cc-star",
        "aria-label": `${n} star${n > 1 ? "s" : ""}`,
        "aria-pressed": "false",
        "data-score": n,
        onclick: () => {
          score = n;
          stars.forEach((s, i) => {
            s.classList.toggle("cc-on", i < n);
            s.setAttribute("aria-pressed", String(i < n));
          });
        },
      },
      "★",
    ),
  );
  const form = el(
    "form",
    { class: "cc-rating", "aria-labelledby": "cc-rating-title" },
    el("h3", { id: "cc-rating-title", text: "How did we do?" }),
    el("div", { class: "cc-stars", role: "group", "aria-label": "Rating" }, stars),
    el("label", { for: "cc-rating-comment" }, "Comment (optional)"),
    el("textarea", { id: "cc-rating-comment", name: "comment", rows: 2, maxlength: 2000 }),
    el("p", { class: "cc-error", hidden: true, "data-error": "rating" }),
    el("button", { type: "submit", class: "cc-btn" }, "Send rating"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!score) return showError(form, "rating", "Choose 1 to 5 stars.");
    try {
      const enquiry = await api(`/api/v1/widget/enquiries/${S.enquiryId}/rating`, {
        method: "POST",
        body: { score, comment: form.elements.comment.value.trim() },
      });
      applyEnquiry(enquiry);
    } catch (error) {
      showError(form, "rating", error.message);
    }
  });
  return form;
}

async function refreshEnquiry() {
  if (!S.enquiryId) return;
  try {
    applyEnquiry(await api(`/api/v1/widget/enquiries/${S.enquiryId}`));
  } catch (error) {
    if (error.status === 401 || error.status === 403 || error.status === 404) forget();
  }
}

function onEvent(event) {
  const data = event.data || {};
  switch (event.type) {
    case "message.created":
    case "message.edited":
    case "message.recalled":
      addMessage(data.message, { live: event.type === "message.created" });
      break;
    case "message.ack":
      break;
    case "visitor.token_renewed":
      renewToken(data.token);
      break;
    case "queue.position":
      if (data.enquiry_id === S.enquiryId && S.enquiry && S.enquiry.status === "open") {
        S.enquiry.queue_position = data.position;
        applyEnquiry(S.enquiry);
      }
      break;
    case "typing":
      if (data.room_id === S.room && data.author && data.author.type === "staff") showTyping(data.author);
      break;
    case "enquiry.transferred":
      if (data.enquiry_id === S.enquiryId && data.state === "accepted") {
        setStatus(`You were transferred to ${data.owner_name}.`);
      }
      refreshEnquiry();
      break;
    case "error":
      if (data.retrying) break; // the socket sends it again by itself
      if (data.client_id && S.pending.has(data.client_id)) failPending(data.client_id, data.detail);
      else if (data.request === "message.post") composerError(data.detail);
      break;
    default:
      if (event.type.startsWith("enquiry.") || event.type.startsWith("room.")) {
        const id = data.enquiry_id || (data.enquiry && data.enquiry.id);
        if (!id || id === S.enquiryId) refreshEnquiry();
      }
  }
}

function connect() {
  if (S.socket) S.socket.close();
  const socket = new CCSocket(visitorSocketUrl(), {
    onEvent,
    onState: (state, code) => {
      S.socketState = state;
      app.dataset.socket = state;
      if (state === "open") refreshEnquiry();
      if (state === "closed" && code === 4401) forget();
    },
  });
  socket.track(S.room, S.lastId);
  S.socket = socket;
  // Websockets blocked somewhere on the way: fall back to polling the REST API.
  clearInterval(S.pollTimer);
  S.pollTimer = setInterval(async () => {
    if (S.socketState === "open" || !S.room) return;
    try {
      const page = await api(`/api/v1/rooms/${S.room}/messages?after=${S.lastId}`);
      page.results.forEach((m) => addMessage(m, { live: true }));
      await refreshEnquiry();
    } catch {
      /* next time */
    }
  }, 5000);
}

async function openConversation() {
  showChatSurface();
  renderChat();
  const enquiry = await api(`/api/v1/widget/enquiries/${S.enquiryId}`);
  S.room = enquiry.room || S.room;
  save();
  await loadHistory();
  applyEnquiry(enquiry);
  connect();
}

function forget() {
  S.enquiryId = null;
  S.room = null;
  S.enquiry = null;
  S.lastId = 0;
  save();
}

function newConversation() {
  if (S.socket) S.socket.close();
  S.socket = null;
  clearInterval(S.pollTimer);
  forget();
  ref("body").classList.remove("cc-chatting");
  ref("subtitle").textContent = config.greeting || "We usually reply in a few minutes";
  renderHome();
}

function showChatSurface() {
  if (mode !== "page") return;
  const chat = document.querySelector('[data-ref="engage-chat"]');
  if (chat) chat.hidden = false;
  const engage = document.querySelector(".cc-engage-now");
  if (engage) engage.hidden = true;
}

// ------------------------------------------------------------------ host page commands

function onParentMessage(event) {
  if (mode !== "frame" || event.source !== window.parent || event.origin !== parentOrigin) return;
  const data = event.data || {};
  switch (data.type) {
    case "cc:visible":
      S.visible = !!data.visible;
      if (S.visible) {
        const input = ref("input");
        if (input) input.focus();
      }
      break;
    case "cc:visitor":
      for (const [k, v] of Object.entries(data.visitor || {})) {
        if (k in LABELS && typeof v === "string") {
          S.prefill[k] = v;
          const input = app.querySelector(`.cc-start [name="${k}"]`);
          if (input && !input.value) input.value = v;
        }
      }
      break;
    case "cc:open-tag":
      if (!S.enquiryId && data.tag) renderStart({ tag: String(data.tag) });
      break;
    case "cc:open-staff": {
      if (!S.enquiryId && data.staff) {
        const person = config.directory.staff.find((p) => p.id === data.staff);
        renderStart({ staff: data.staff, staffName: person ? person.display_name : "" });
      }
      break;
    }
    default:
  }
}

// ------------------------------------------------------------------ start

async function init() {
  toParent({ type: "cc:hello" }); // before any request: tells the loader the page is allowed here
  window.addEventListener("message", onParentMessage);
  app.addEventListener("click", (e) => {
    if (e.target.closest('[data-action="close"]')) toParent({ type: "cc:close" });
  });
  const engage = document.querySelector('[data-action="engage"]');
  if (engage) {
    engage.addEventListener("click", () => {
      unlockAudio();
      showChatSurface();
      const first = app.querySelector("input, textarea");
      if (first) first.focus();
    });
  }
  window.addEventListener("storage", (e) => {
    // Another tab of the same visitor started or ended a conversation: follow it.
    if (e.key !== STORE_KEY) return;
    const stored = load();
    if (stored.enquiry && stored.enquiry !== S.enquiryId) {
      Object.assign(S, { token: stored.token, enquiryId: stored.enquiry, room: stored.room, lastId: 0 });
      openConversation().catch(() => {});
    }
  });
  const stored = load();
  S.token = stored.token || null;
  let active = false;
  if (stored.enquiry && stored.token) {
    S.enquiryId = stored.enquiry;
    S.room = stored.room;
    try {
      await openConversation();
      active = true;
    } catch {
      forget();
    }
  }
  if (!active) {
    const tag = query.get("tag");
    const staff = Number(query.get("staff")) || 0;
    if (mode === "frame" && tag) renderStart({ tag });
    else if (mode === "frame" && staff) renderStart({ staff });
    else renderHome();
  }
  app.dataset.ready = "true";
  toParent({ type: "cc:ready", color: config.color, position: config.position, active });
}

init().catch((error) => {
  banner("The chat could not start. Please reload the page.");
  console.error(error);
});
