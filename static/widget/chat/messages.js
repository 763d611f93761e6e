// @ts-check
// The conversation's messages: bubbles (the visitor's own show at once as pending and are
// confirmed by the server's copy, matched on client_id), edits and recalls, files (images
// shown inline; downloads carry the visitor's token), the history, "… is typing".

import { gettext, interpolate } from "../../js/i18n.js";
import { h } from "../../js/h.js";
import { api, fileBlobUrl } from "./api.js";
import { bubbleClass } from "./decide.js";
import { voiceLabel } from "../../js/voice_rules.js";
import { fileButtonText, typingText } from "./labels.js";
import { notifyIncoming } from "./notify.js";
import { banner, ref } from "./page.js";
import { S } from "./state.js";

/** @typedef {import("./types.js").Message} Message */
/** @typedef {import("./types.js").FileInfo} FileInfo */

/**
 * Appends a bubble to the messages and scrolls to it.
 * @param {{mine: boolean, text: string, pending?: boolean, kind?: string, author?: string | null, system?: boolean}} bubble
 * @returns {HTMLLIElement}
 */
export function addBubble({ mine, text, pending = false, kind = "text", author = null, system = false }) {
  const list = ref("messages");
  const li = h("li", { class: bubbleClass({ mine, system, pending }) });
  if (!mine && !system && author) li.append(h("span", { class: "cc-author", text: author }));
  if (kind === "text" || system) li.append(h("span", { class: "cc-text", text }));
  list.append(li);
  list.scrollTop = list.scrollHeight;
  li.scrollIntoView({ block: "end" });
  return li;
}

/**
 * @param {HTMLElement} li
 * @param {FileInfo} file
 */
function renderFile(li, file) {
  const box = h("div", { class: "cc-file" });
  li.append(box);
  if (file.category === "image" && (file.thumbnail_url || file.url)) {
    const img = h("img", { class: "cc-image", alt: file.name || gettext("image") });
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
            banner(interpolate(gettext("Could not download the file: %(reason)s"), { reason: e.message }));
          }
        },
      },
      fileButtonText(file),
    ),
  );
}

/**
 * The link preview of a message (drawn again when it changes; gone when recalled). The
 * image is the server's copy, fetched with the visitor's token; never the linked host's.
 * @param {HTMLElement} li
 * @param {Message} message
 */
export function renderPreview(li, message) {
  li.querySelector(".cc-preview")?.remove();
  const p = message.data && message.data.preview;
  if (message.recalled_at || !p || !(p.title || p.description) || !/^https?:\/\//.test(p.url || "")) return;
  const card = h(
    "a",
    { class: "cc-preview", href: p.url, target: "_blank", rel: "noopener noreferrer nofollow" },
    h("strong", { text: p.title || p.url }),
    p.description ? h("small", { text: p.description }) : null,
  );
  if (p.image && p.image.startsWith("/api/")) {
    const img = h("img", { class: "cc-preview-image", alt: "", width: 56, height: 56 });
    fileBlobUrl(p.image)
      .then((src) => {
        img.src = src;
      })
      .catch(() => img.remove());
    card.prepend(img);
  }
  li.append(card);
}

/**
 * Shows a message of the room (new, or a new version of one on screen). Live messages from
 * the agent hide "… is typing" and notify.
 * @param {Message | null | undefined} message
 * @param {{live: boolean}} how
 */
export function addMessage(message, { live }) {
  if (!message || message.room !== S.room) return;
  S.lastId = Math.max(S.lastId, message.id);
  if (S.socket) S.socket.track(S.room, message.id);
  const existing = ref("messages").querySelector(`[data-id="${message.id}"]`);
  if (existing) {
    if (message.recalled_at) {
      existing.querySelector(".cc-text")?.replaceChildren(gettext("Message recalled"));
      existing.classList.add("cc-recalled");
    } else if (message.edited_at) {
      const t = existing.querySelector(".cc-text");
      if (t) t.textContent = message.text;
    }
    renderPreview(/** @type {HTMLElement} */ (existing), message);
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
      text: message.recalled_at ? gettext("Message recalled") : message.text,
      kind: message.kind,
      author: message.author.name,
    });
  }
  li.dataset.id = String(message.id);
  const file = message.data && message.data.file;
  if (file && !message.recalled_at) {
    if (message.text) li.append(h("span", { class: "cc-text", text: message.text }));
    renderFile(li, file);
  }
  renderPreview(li, message);
  if (live && message.author.type === "staff") {
    hideTyping();
    notifyIncoming(message);
  }
}

/** Reads the room's messages after S.lastId, page by page. */
export async function loadHistory() {
  for (;;) {
    const page = await api(`/api/v1/rooms/${S.room}/messages?after=${S.lastId}&limit=500`);
    page.results.forEach((/** @type {Message} */ m) => addMessage(m, { live: false }));
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
