// @ts-check
// The message list: each message's view (text with links and @mentions, file, link
// preview, delivery state, action buttons), putting history and live messages in id order,
// following new messages at the bottom, and moving the read marker.

import { gettext, interpolate } from "../../i18n.js";
import { api } from "../api.js";
import { clockTime, fileSize, h } from "../dom.js";
import { markRead } from "../rooms.js";
import { app } from "../state.js";
import { LINK_ATTRS } from "../../links.js";
import { segments } from "../text.js";
import { deliveryLine } from "./delivery.js";
import { fileShape, imageBox, replyQuote } from "./format.js";
import { canChange, insertionIndex, isAtBottom, isMine, isReadOnly, lastMessageId, linkNames, messageClasses, messageTools, readMarkerDue, scrollAfterMessage } from "./rules.js";
import { voiceLabel } from "../../voice_rules.js";

/** @typedef {import("./state.js").RoomState} RoomState */
/** @typedef {import("./state.js").Message} Message */
/** @typedef {import("./state.js").MessageFile} MessageFile */

/**
 * A message's text as nodes: links open in a new tab without the opener, mentions marked.
 * @param {string} text
 * @param {string[]} mentionNames
 * @returns {(Node | string)[]}
 */
function linkify(text, mentionNames) {
  return segments(text, mentionNames).map((part) => {
    if (part.kind === "link") return h("a", { href: part.href, ...LINK_ATTRS, text: part.text });
    if (part.kind === "mention") return h("span", { class: "mention", text: part.text });
    return part.text;
  });
}

/**
 * @param {MessageFile} file
 * @returns {HTMLElement}
 */
function fileView(file) {
  const shape = fileShape(file);
  if (shape === "image") {
    // Reserve the box before the image loads: no layout jump.
    const box = imageBox(file);
    return h(
      "a",
      { href: file.url, target: "_blank", rel: "noopener", class: "file-image" },
      h("img", { src: file.thumbnail_url || file.url, alt: file.name, width: box.width, height: box.height, loading: "lazy" }),
    );
  }
  if (shape === "video") return h("video", { src: file.url, controls: true, preload: "metadata", width: 240, height: 160, "aria-label": file.name });
  if (shape === "audio") return h("div", { class: "file-audio" }, h("audio", { src: file.url, controls: true, preload: "metadata", "aria-label": file.name }), h("small", { class: "muted", text: voiceLabel(file) }));
  return h("a", { href: file.url, class: "file-doc", download: file.name }, "File: ", file.name, h("small", { class: "muted", text: ` ${fileSize(file.size)}` }));
}

/**
 * "↪ Forwarded from Vera Visitor" (who wrote the original; older forwards did not keep it).
 * @param {{author?: string} | undefined} forwarded
 * @returns {HTMLElement}
 */
function forwardedLine(forwarded) {
  const text = forwarded && forwarded.author ? interpolate(gettext("↪ Forwarded from %(author)s"), { author: forwarded.author }) : gettext("↪ Forwarded");
  return h("p", { class: "small muted forwarded", text });
}

/**
 * Whether the viewer may still edit or recall a message now.
 * @param {Message} m
 * @returns {boolean}
 */
export function canChangeNow(m) {
  return canChange(m, app.me.id, app.boot.edit_window_seconds, Date.now());
}

/**
 * Where a robot's answer came from: its articles, how sure it was, whether AI wrote it.
 * @param {Record<string, any>} data
 * @returns {string}
 */
function robotSource(data) {
  const ids = (data.articles || []).map((/** @type {number} */ id) => `#${id}`).join(", ");
  const text = interpolate(gettext("From knowledge base %(articles)s, match %(score)s/100"), { articles: ids, score: Math.round((data.score || 0) * 100) });
  return data.ai ? `${text} · ${gettext("written by AI")}` : text;
}

/**
 * A message's list item.
 * @param {RoomState} state
 * @param {Message} m
 * @returns {HTMLLIElement}
 */
function messageView(state, m) {
  const data = m.data || {};
  const li = h("li", { class: messageClasses(m, app.me.id), dataset: { id: m.id }, tabindex: "-1" });
  if (m.kind === "system") {
    // The robot's messages (robot app) say so: agents see which answers were the robot's.
    if (data.bot === "robot") {
      li.classList.add("robot-message");
      li.append(h("strong", { class: "robot-label", text: gettext("Robot") }), " ");
    }
    li.append(h("p", { class: "system-text", text: m.text }), h("time", { datetime: m.created_at, class: "small muted", text: clockTime(m.created_at) }));
    if (data.bot === "robot" && data.robot === "answer") li.append(h("small", { class: "robot-source muted", text: robotSource(data) }));
    return li;
  }
  li.append(h("div", { class: "msg-meta" }, h("strong", { text: m.author ? m.author.name : "" }), " ", h("time", { datetime: m.created_at, text: clockTime(m.created_at) }), m.edited_at && !m.recalled_at ? h("span", { class: "muted small", text: " (edited)" }) : null));
  if (m.forwarded_from) li.append(forwardedLine(data.forwarded));
  if (m.reply_to) li.append(h("blockquote", { class: "reply-quote" }, replyQuote(state.messages.get(m.reply_to))));
  if (m.recalled_at) {
    li.append(h("p", { class: "body muted", text: gettext("Message recalled") }));
    return li;
  }
  if (m.text) li.append(h("p", { class: "body" }, linkify(m.text, linkNames(state.info))));
  if (data.file) li.append(fileView(data.file));
  // A platform file still downloading, or that could not be: its label (updated by message.edited).
  else if (data.media && data.media.label) li.append(h("p", { class: `media-state media-${data.media.state} muted`, text: data.media.label }));
  if (data.preview && (data.preview.title || data.preview.description)) {
    const p = data.preview;
    li.append(
      h(
        "a",
        { class: "preview", href: p.url, target: "_blank", rel: "noopener noreferrer nofollow" },
        // Only the server's copy (same origin); never an image from the linked page's host.
        p.image && p.image.startsWith("/api/") ? h("img", { src: p.image, alt: "", width: 64, height: 64, loading: "lazy", referrerpolicy: "no-referrer" }) : null,
        h("span", {}, h("strong", { text: p.title || p.url }), h("small", { text: p.description || "" })),
      ),
    );
  }
  const delivery = deliveryLine(m, !isReadOnly(state.info, state.monitor) && Boolean(state.info.me));
  if (delivery) li.append(delivery);
  const tools = messageTools(m, { monitor: state.monitor, readOnly: isReadOnly(state.info, state.monitor), changeable: canChangeNow(m) });
  if (tools.length) {
    const on = state.handlers;
    const actions = { Reply: on.reply, Copy: on.copy, Forward: on.forward, Edit: on.edit, Recall: on.recall };
    const group = h("div", { class: "msg-tools", role: "group", "aria-label": gettext("Message actions") });
    for (const label of tools) {
      group.append(h("button", { type: "button", class: "tool", text: label, "aria-label": `${label} message from ${m.author.name}`, onclick: () => actions[label](m) }));
    }
    li.append(group);
  }
  return li;
}

/**
 * @param {RoomState} state
 * @returns {boolean} the list is scrolled to its end
 */
export function atBottom(state) {
  const s = state.ui.scroller;
  return isAtBottom(s.scrollHeight, s.scrollTop, s.clientHeight);
}

/** @param {RoomState} state */
export function toBottom(state) {
  state.ui.scroller.scrollTop = state.ui.scroller.scrollHeight;
  state.ui.jump.hidden = true;
}

/**
 * Shows a message, new or changed, in its place.
 * @param {RoomState} state
 * @param {Message} m
 * @param {{scroll?: boolean, history?: boolean}} [options] scroll: follow it (or offer to);
 *   history: it comes from a history page
 */
export function upsert(state, m, { scroll = true, history = false } = {}) {
  if (m.room !== state.roomId || state.stale()) return;
  // A history page is a snapshot taken when its request started: a message that live
  // events already brought is at least as new (each later change comes as an event too),
  // so the snapshot must not put back an older version (e.g. without its link preview).
  if (history && state.messages.has(m.id)) return;
  const { list, jump } = state.ui;
  const stick = atBottom(state);
  const known = state.messages.get(m.id);
  state.messages.set(m.id, m);
  const view = messageView(state, m);
  const pending = m.client_id && state.pendingByClient.get(m.client_id);
  if (known) {
    const old = list.querySelector(`li[data-id="${m.id}"]`);
    if (old) old.replaceWith(view);
  } else if (pending) {
    pending.replaceWith(view);
    state.pendingByClient.delete(m.client_id);
  } else {
    // Keep id order even if a sync answer and a live event cross.
    const items = /** @type {HTMLElement[]} */ ([...list.children]);
    const index = insertionIndex(
      items.map((el) => (el.dataset.id ? Number(el.dataset.id) : null)),
      m.id,
    );
    list.insertBefore(view, index >= 0 ? items[index] : list.querySelector("li.pending") || null);
  }
  if (!known && app.socket && !state.monitor) app.socket.track(state.roomId, m.id);
  if (scroll) {
    const next = scrollAfterMessage({ stick, mine: isMine(m, app.me.id), known: Boolean(known) });
    if (next === "bottom") toBottom(state);
    else if (next === "jump") jump.hidden = false;
  }
  if (!known) scheduleRead(state);
}

/**
 * Moves the read marker soon, if this view may (a member, the tab visible).
 * @param {RoomState} state
 */
export function scheduleRead(state) {
  if (state.monitor || !state.info.me || document.hidden || state.stale()) return;
  clearTimeout(state.readTimer);
  state.readTimer = setTimeout(() => sendRead(state), 300);
}

/**
 * Moves the read marker to the newest message on screen (socket, or REST while offline).
 * @param {RoomState} state
 */
export function sendRead(state) {
  state.readTimer = null;
  const me = state.info.me;
  if (!me) return;
  const last = readMarkerDue(lastMessageId(state.messages.keys()), me.last_read_message_id);
  if (!last) return;
  me.last_read_message_id = last;
  if (app.socketOpen) app.socket.send({ type: "read", room: state.roomId, message: last });
  else api("POST", `/api/v1/rooms/${state.roomId}/read`, { message: last }).catch(() => {});
  markRead(state.roomId);
}

/**
 * Loads the messages after the newest on screen (all of them on first load), page by page.
 * @param {RoomState} state
 */
export async function loadHistory(state) {
  let after = lastMessageId(state.messages.keys());
  for (let i = 0; i < 20; i += 1) {
    const page = await api("GET", `/api/v1/rooms/${state.roomId}/messages?after=${after}&limit=500`);
    page.results.forEach((m) => upsert(state, m, { scroll: false, history: true }));
    if (!page.has_more || !page.results.length) break;
    after = page.results[page.results.length - 1].id;
  }
}

/**
 * The "New messages ↓" button, and reading by scrolling to the end.
 * @param {RoomState} state
 */
export function wireScrolling(state) {
  const { jump, scroller } = state.ui;
  jump.addEventListener("click", () => toBottom(state));
  scroller.addEventListener("scroll", () => {
    if (atBottom(state)) {
      jump.hidden = true;
      scheduleRead(state);
    }
  });
}
