// @ts-check
// The conversation's messages: bubbles (the visitor's own show at once as pending and are
// confirmed by the server's copy, matched on client_id), edits ("edited") and recalls (a
// placeholder, no file), reply quotes, links, link previews, files (images shown inline;
// downloads carry the visitor's token), day headings and times, the history, following
// the bottom (or a "New messages ↓" pill when the visitor scrolled up), "… is typing".
//
// bubble(message) draws one message and decorate(list) its list's day headings and times:
// both work on any list (a transcript of an earlier conversation reuses them, readOnly).
// What to show is decided by pure helpers (reading.js, ../../js/links.js,
// ../../js/datetime.js); this module only draws.

import { dayKey, dayLabel, formatDateTime, formatTime } from "../../js/datetime.js";
import { h } from "../../js/h.js";
import { gettext, interpolate } from "../../js/i18n.js";
import { LINK_ATTRS, linkParts } from "../../js/links.js";
import { voiceLabel } from "../../js/voice_rules.js";
import { api, fileBlobUrl } from "./api.js";
import { bubbleClass } from "./decide.js";
import { fileButtonText, typingText } from "./labels.js";
import { notifyIncoming } from "./notify.js";
import { banner, ref } from "./page.js";
import { authorKey, isEdited, isRemoved, previewCard, quoteOf, timeline } from "./reading.js";
import { S } from "./state.js";

/** @typedef {import("./types.js").Message} Message */
/** @typedef {import("./types.js").FileInfo} FileInfo */

/** The messages of the live conversation by id (reply quotes look them up). */
const known = /** @type {Map<number, Message>} */ (new Map());

/** Whether the visitor is at the bottom of the live list (kept by its scroll events). */
let stuck = true;

/** How close to the end (px) counts as at the bottom. */
const BOTTOM_SLACK = 32;

/**
 * @param {HTMLElement} list
 * @returns {boolean}
 */
function atBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight <= BOTTOM_SLACK;
}

/**
 * The live list, its scrolling followed from the first use.
 * @returns {HTMLElement}
 */
function liveList() {
  const list = ref("messages");
  if (!list.dataset.followed) {
    list.dataset.followed = "true";
    stuck = true;
    let lastTop = list.scrollTop;
    list.addEventListener("scroll", () => {
      // Only the visitor scrolling up leaves the bottom: content that grew under a list at
      // the bottom (a picture decoding before its load event) does not.
      if (atBottom(list)) stuck = true;
      else if (list.scrollTop < lastTop - 1) stuck = false;
      lastTop = list.scrollTop;
      if (stuck) jumpPill(list).hidden = true;
    });
    // Shown after being hidden (the loader's panel opens), a phone turned, the composer grown:
    // a visitor who was at the bottom stays there.
    new ResizeObserver(() => {
      if (stuck) toBottom(list);
    }).observe(list);
  }
  return list;
}

/**
 * The "New messages ↓" pill under the list (made on first use).
 * @param {HTMLElement} list
 * @returns {HTMLElement}
 */
function jumpPill(list) {
  const next = list.nextElementSibling;
  if (next && next.classList.contains("cc-jump")) return /** @type {HTMLElement} */ (next);
  const pill = h("button", { type: "button", class: "cc-jump", hidden: true, onclick: () => toBottom(list) }, gettext("New messages ↓"));
  list.after(pill);
  return pill;
}

/**
 * Scrolls the list to its end; the pill goes.
 * @param {HTMLElement} list
 */
function toBottom(list) {
  list.scrollTop = list.scrollHeight;
  stuck = true;
  jumpPill(list).hidden = true;
}

/**
 * Appends a bubble of the visitor's that the server has not confirmed yet (composer.js) and
 * scrolls to it; addMessage puts the server's copy in its place.
 * @param {{mine: boolean, text: string, pending?: boolean, kind?: string, author?: string | null, system?: boolean}} bubble
 * @returns {HTMLLIElement}
 */
export function addBubble({ mine, text, pending = false, kind = "text", author = null, system = false }) {
  const list = liveList();
  const li = h("li", { class: bubbleClass({ mine, system, pending }) });
  if (!mine && !system && author) li.append(h("span", { class: "cc-author", text: author }));
  if (kind === "text" || system) li.append(h("span", { class: "cc-text", text }));
  list.append(li);
  toBottom(list);
  return li;
}

/**
 * A text as nodes: http(s) and mailto links clickable (a new tab, no opener), the rest text.
 * @param {string} text
 * @returns {(Node | string)[]}
 */
function linkified(text) {
  return linkParts(text).map((part) => (part.kind === "link" ? h("a", { href: part.href, ...LINK_ATTRS, text: part.text }) : part.text));
}

/**
 * The quote above a reply.
 * @param {Message | undefined} original
 * @returns {HTMLElement}
 */
function quoteView(original) {
  const q = quoteOf(original);
  return h("blockquote", { class: "cc-quote" }, q.author ? h("strong", { class: "cc-quote-author", text: q.author }) : null, h("span", { class: "cc-quote-text", text: q.text }));
}

/**
 * @param {FileInfo} file
 * @param {boolean} follow keep the live list at the bottom when the image has loaded
 * @returns {HTMLElement}
 */
function fileView(file, follow) {
  const box = h("div", { class: "cc-file" });
  if (file.category === "image" && (file.thumbnail_url || file.url)) {
    const img = h("img", { class: "cc-image", alt: file.name || gettext("image") });
    if (follow) {
      // The picture grows the list: keep a visitor who was at the bottom there.
      img.addEventListener("load", () => {
        const list = ref("messages");
        if (list && stuck && list.contains(img)) toBottom(list);
      });
    }
    fileBlobUrl(file.thumbnail_url || file.url)
      .then((src) => {
        img.src = src;
      })
      .catch(() => img.replaceWith(h("span", { text: file.name || gettext("image") })));
    box.append(img);
  }
  if ((file.category === "voice" || file.category === "audio") && file.url) {
    // The download needs the visitor's token: the player gets a blob: copy.
    const player = h("audio", { class: "cc-audio", controls: true, preload: "metadata", "aria-label": file.name || gettext("voice message") });
    fileBlobUrl(file.url)
      .then((src) => {
        player.src = src;
      })
      .catch(() => player.replaceWith(h("span", { text: file.name || gettext("voice message") })));
    box.append(player, h("span", { class: "cc-voice-label", text: voiceLabel(file) }));
  }
  box.append(
    h(
      "button",
      {
        type: "button",
        class: "cc-link cc-download",
        onclick: async () => {
          try {
            const href = await fileBlobUrl(file.url);
            const a = h("a", { href, download: file.name || gettext("file") });
            document.body.append(a);
            a.click();
            a.remove();
          } catch (e) {
            banner(interpolate(gettext("Could not download the file: %(error)s"), { error: e.message }));
          }
        },
      },
      fileButtonText(file),
    ),
  );
  return box;
}

/**
 * A message's link preview card (title, description, site, image), or null. The image is
 * the server's copy fetched with the visitor's token, or an https one.
 * @param {Message} message
 * @returns {HTMLElement | null}
 */
function previewView(message) {
  const p = previewCard(message);
  if (!p) return null;
  const card = h(
    "a",
    { class: "cc-preview", href: p.url, ...LINK_ATTRS },
    h("strong", { class: "cc-preview-title", text: p.title }),
    p.description ? h("small", { class: "cc-preview-description", text: p.description }) : null,
    p.site ? h("span", { class: "cc-preview-site", text: p.site }) : null,
  );
  if (p.image) {
    const img = h("img", { class: "cc-preview-image", alt: "", width: 56, height: 56, referrerpolicy: "no-referrer" });
    if (p.image.startsWith("/")) {
      fileBlobUrl(p.image)
        .then((src) => {
          img.src = src;
        })
        .catch(() => img.remove());
    } else {
      img.src = p.image;
      img.addEventListener("error", () => img.remove());
    }
    card.prepend(img);
  }
  return card;
}

/**
 * One message's bubble. readOnly: not a message of the live conversation (a transcript):
 * its pictures do not move the live list. quote: finds the message a reply quotes.
 * @param {Message} message
 * @param {{readOnly?: boolean, quote?: (id: number) => Message | undefined}} [options]
 * @returns {HTMLLIElement}
 */
export function bubble(message, { readOnly = false, quote = (id) => known.get(id) } = {}) {
  // The robot's messages read as a reply from the virtual assistant, not as a system line.
  const robot = !!message.data && message.data.bot === "robot";
  const system = message.author.type === "system" && !robot;
  const mine = message.author.type === "visitor";
  const removed = isRemoved(message);
  const li = h("li", {
    class: `${bubbleClass({ mine, system })} cc-run-start${removed ? " cc-recalled" : ""}`,
    dataset: { id: String(message.id), author: authorKey(message), at: message.created_at || "" },
  });
  if (robot) {
    li.classList.add("cc-robot");
    li.append(h("span", { class: "cc-author", text: gettext("Virtual assistant") }));
  } else if (!mine && !system && message.author.name) li.append(h("span", { class: "cc-author", text: message.author.name }));
  if (message.reply_to && !robot) {
    li.dataset.replyTo = String(message.reply_to);
    li.append(quoteView(quote(message.reply_to)));
  }
  if (removed) {
    li.append(h("span", { class: "cc-text", text: gettext("Message recalled") }));
  } else {
    if (message.text) li.append(h("span", { class: "cc-text" }, system ? message.text : linkified(message.text)));
    const file = message.data && message.data.file;
    if (file) li.append(fileView(file, !readOnly));
    const preview = previewView(message);
    if (preview) li.append(preview);
  }
  const meta = h("span", { class: "cc-meta" });
  if (isEdited(message)) meta.append(h("span", { class: "cc-edited", text: gettext("edited") }));
  if (message.created_at) meta.append(h("time", { class: "cc-time", datetime: message.created_at, title: formatDateTime(message.created_at), text: formatTime(message.created_at) }));
  li.append(meta);
  return li;
}

/**
 * The day headings and times of a list of bubbles: a heading ("Today", "Yesterday", a date)
 * before each day; of each run of one author, the name over the first message and the time
 * under the last. Drawn again
 * as a whole (cheap: it reads only the bubbles' data-author and data-at).
 * @param {HTMLElement} list
 * @param {Date} [now]
 */
export function decorate(list, now = new Date()) {
  list.querySelectorAll(":scope > .cc-day").forEach((d) => d.remove());
  const items = /** @type {HTMLElement[]} */ ([...list.querySelectorAll(":scope > li[data-at]:not([data-at=''])")]);
  const marks = timeline(
    items.map((li) => ({ author: li.dataset.author || "", at: Date.parse(li.dataset.at || "") })),
    (at) => dayKey(at),
  );
  items.forEach((li, i) => {
    const { day, first, time } = marks[i];
    if (day) li.before(h("li", { class: "cc-day", role: "separator" }, h("span", { text: dayLabel(li.dataset.at, now) })));
    const clock = /** @type {HTMLElement | null} */ (li.querySelector(":scope > .cc-meta > .cc-time"));
    if (clock) clock.hidden = !time;
    li.classList.toggle("cc-run-start", first);
    li.classList.toggle("cc-run-end", time);
  });
}

/**
 * Shows a message of the room (new, or a new version of one on screen). Live messages from
 * the agent hide "… is typing" and notify. history: part of a page of the history (the
 * caller decorates and scrolls once for the page).
 * @param {Message | null | undefined} message
 * @param {{live: boolean, history?: boolean}} how
 */
export function addMessage(message, { live, history = false }) {
  if (!message || message.room !== S.room) return;
  S.lastId = Math.max(S.lastId, message.id);
  if (S.socket) S.socket.track(S.room, message.id);
  known.set(message.id, message);
  const list = liveList();
  const wasStuck = stuck;
  const li = bubble(message);
  const existing = list.querySelector(`:scope > [data-id="${message.id}"]`);
  const mine = message.author.type === "visitor";
  if (existing) {
    // The same file: keep its box (no second download, no image blinking).
    const oldFile = existing.querySelector(":scope > .cc-file");
    const newFile = li.querySelector(":scope > .cc-file");
    if (oldFile && newFile) newFile.replaceWith(oldFile);
    existing.replaceWith(li);
    list.querySelectorAll(`:scope > [data-reply-to="${message.id}"] > .cc-quote`).forEach((q) => q.replaceWith(quoteView(message)));
  } else {
    const pending = message.client_id && S.pending.get(message.client_id);
    if (pending) {
      clearTimeout(pending.timer);
      S.pending.delete(message.client_id);
      pending.el.replaceWith(li);
    } else {
      // Before the visitor's messages still on their way: they come last once confirmed.
      list.insertBefore(li, list.querySelector(":scope > li.cc-msg:not([data-id])"));
    }
  }
  if (history) return;
  decorate(list);
  if (wasStuck || (mine && !existing)) toBottom(list);
  else if (!existing) jumpPill(list).hidden = false;
  if (live && message.author.type === "staff") {
    hideTyping();
    notifyIncoming(message);
  }
}

/** Reads the room's messages after S.lastId, page by page. */
export async function loadHistory() {
  const list = liveList();
  for (;;) {
    const page = await api(`/api/v1/rooms/${S.room}/messages?after=${S.lastId}&limit=500`);
    page.results.forEach((/** @type {Message} */ m) => addMessage(m, { live: false, history: true }));
    decorate(list);
    if (stuck) toBottom(list);
    if (!page.has_more || !page.results.length) break;
  }
}

/**
 * @param {{name?: string}} author
 */
export function showTyping(author) {
  const node = ref("typing");
  if (!node) return;
  node.textContent = typingText(author);
  node.hidden = false;
  clearTimeout(S.typingTimer);
  S.typingTimer = setTimeout(hideTyping, 3500);
}

export function hideTyping() {
  const node = ref("typing");
  if (node) node.hidden = true;
}
