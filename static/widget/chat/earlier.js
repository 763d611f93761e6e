// @ts-check
// A returning visitor's earlier conversations, read-only above the current one: one divider
// per conversation (its date and who answered) and its messages drawn with messages.js's
// bubbles. The newest page comes at once; older ones with "Show earlier conversations" or
// by scrolling to the top. Only this visitor's conversations of this channel (the history
// API answers for the visitor token only).

import { h } from "../../js/h.js";
import { gettext } from "../../js/i18n.js";
import { api } from "./api.js";
import { bubble } from "./messages.js";
import { config, ref } from "./page.js";
import { dividerText, historyUrl, keptScrollTop } from "./returning.js";
import { S } from "./state.js";

/** @typedef {import("./returning.js").EarlierConversation} EarlierConversation */
/** @typedef {import("./types.js").Message} Message */

/**
 * What is shown of the history in the list on screen.
 * @type {{list: HTMLElement | null, before: number | null, more: boolean, loading: boolean, shown: number}}
 */
const E = { list: null, before: null, more: false, loading: false, shown: 0 };

/** The earlier conversations' messages by id (their reply quotes look them up). */
const earlierKnown = /** @type {Map<number, Message>} */ (new Map());

/**
 * One message of an earlier conversation (as messages.js's addMessage draws one, read-only).
 * @param {Message} message
 * @returns {HTMLLIElement}
 */
function earlierBubble(message) {
  earlierKnown.set(message.id, message);
  const li = bubble(message, { readOnly: true, quote: (id) => earlierKnown.get(id) });
  li.classList.add("cc-earlier-msg");
  li.dataset.earlierId = String(message.id);
  return li;
}

/**
 * @param {string} text
 * @param {string} [extra]
 * @returns {HTMLLIElement}
 */
function divider(text, extra = "") {
  return h("li", { class: `cc-earlier-divider ${extra}`.trim(), role: "separator", "aria-label": text }, h("span", { text }));
}

/**
 * @param {EarlierConversation} conversation
 * @returns {HTMLLIElement[]}
 */
function conversationItems(conversation) {
  const items = [divider(dividerText(conversation), "cc-earlier-start")];
  if (conversation.messages_truncated) {
    items.push(h("li", { class: "cc-msg cc-system cc-earlier-msg", text: gettext("Older messages of this conversation are not shown.") }));
  }
  for (const message of conversation.messages) items.push(earlierBubble(message));
  return items;
}

/** Loads the next (older) page of earlier conversations above those shown. */
export async function loadEarlier() {
  const list = E.list;
  if (!list || E.loading || !E.more) return;
  E.loading = true;
  const more = ref("earlier-more");
  try {
    const page = await api(historyUrl(config.key, E.before));
    if (list !== ref("messages") || !more) return; // the view changed meanwhile
    const kept = { scrollTop: list.scrollTop, scrollHeight: list.scrollHeight };
    const atBottom = kept.scrollHeight - kept.scrollTop - list.clientHeight < 8;
    /** @type {EarlierConversation[]} */
    const conversations = page.results;
    if (!E.shown && conversations.length) more.after(divider(gettext("Current conversation"), "cc-earlier-now"));
    // Newest first from the server: the oldest goes on top.
    more.after(...conversations.slice().reverse().flatMap(conversationItems));
    E.shown += conversations.length;
    if (conversations.length) E.before = conversations[conversations.length - 1].id;
    E.more = !!page.has_more;
    more.hidden = !E.more;
    list.dataset.earlier = String(E.shown);
    list.scrollTop = E.shown === conversations.length && atBottom ? list.scrollHeight : keptScrollTop(kept, list.scrollHeight);
  } catch (error) {
    // A token no longer valid: nothing to show. The network: try again with the button.
    if (error.status === 401 || error.status === 403) E.more = false;
    if (more) more.hidden = !E.more;
  } finally {
    E.loading = false;
  }
}

/** Puts the earlier conversations' place on top of the messages on screen and loads the newest. */
export function mountEarlier() {
  const list = ref("messages");
  if (!list || !S.token) return;
  Object.assign(E, { list, before: S.enquiryId, more: true, loading: false, shown: 0 });
  const more = h(
    "li",
    { class: "cc-earlier-more", "data-ref": "earlier-more", hidden: true },
    h("button", { type: "button", class: "cc-link", onclick: () => loadEarlier() }, gettext("Show earlier conversations")),
  );
  list.prepend(more);
  list.addEventListener(
    "scroll",
    () => {
      if (list.scrollTop < 8 && E.shown > 0) loadEarlier();
    },
    { passive: true },
  );
  loadEarlier();
}
