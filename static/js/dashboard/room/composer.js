// @ts-check
// The composer: the growing input, Enter to send (Shift+Enter for a new line), the reply
// bar, the "sending…" line of a message on its way (socket, or REST while offline),
// typing notices both ways.

import { gettext } from "../../i18n.js";
import { api } from "../api.js";
import { clear, h, placeToasts, toast } from "../dom.js";
import { app } from "../state.js";
import { replyingTo, typingText } from "./format.js";
import { growInput } from "./layout.js";
import { toBottom, upsert } from "./messages.js";
import { isReadOnly, typingDue } from "./rules.js";
import { hideSuggest, suggestKey, updateSuggest } from "./suggest.js";

/** @typedef {import("./state.js").RoomState} RoomState */
/** @typedef {import("./state.js").Message} Message */

/** @returns {string} a new client_id (makes a post idempotent on the server) */
export function newClientId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

/**
 * @param {RoomState} state
 * @param {Message} m the message replied to
 */
export function startReply(state, m) {
  const { replyBar, textarea } = state.ui;
  state.replyTo = m.id;
  replyBar.hidden = false;
  clear(replyBar, h("span", { text: replyingTo(m) }), h("button", { type: "button", class: "tool", text: gettext("Cancel reply"), onclick: () => cancelReply(state) }));
  textarea.focus();
}

/** @param {RoomState} state */
export function cancelReply(state) {
  state.replyTo = null;
  state.ui.replyBar.hidden = true;
  clear(state.ui.replyBar);
}

/**
 * The "sending…" line of a message on its way, replaced by the message once it is in.
 * @param {RoomState} state
 * @param {string} text
 * @param {string} clientId
 */
function pendingView(state, text, clientId) {
  const li = h("li", { class: "msg mine pending", dataset: { client: clientId } }, h("div", { class: "msg-meta" }, h("strong", { text: app.me.display_name }), " ", h("span", { class: "small muted", text: gettext("sending…") })), h("p", { class: "body", text }));
  state.pendingByClient.set(clientId, li);
  state.ui.list.append(li);
  toBottom(state);
}

/**
 * Sends the composer's text.
 * @param {RoomState} state
 */
export async function sendText(state) {
  const { textarea } = state.ui;
  const text = textarea.value.trim();
  if (!text || isReadOnly(state.info, state.monitor)) return;
  const clientId = newClientId();
  /** @type {{client_id: string, reply_to?: number}} */
  const extra = { client_id: clientId };
  if (state.replyTo) extra.reply_to = state.replyTo;
  pendingView(state, text, clientId);
  textarea.value = "";
  growInput(state.ui);
  cancelReply(state);
  hideSuggest(state);
  if (app.socketOpen) {
    app.socket.post(state.roomId, text, extra);
  } else {
    try {
      upsert(state, await api("POST", `/api/v1/rooms/${state.roomId}/messages`, { text, ...extra }));
    } catch (err) {
      failPending(state, clientId, err.message, text);
    }
  }
}

/**
 * A post was refused: its "sending…" line goes, its text comes back into an empty composer.
 * @param {RoomState} state
 * @param {string} clientId
 * @param {string} message why
 * @param {string} text the refused text
 */
export function failPending(state, clientId, message, text) {
  const { textarea } = state.ui;
  const li = state.pendingByClient.get(clientId);
  if (li) {
    li.remove();
    state.pendingByClient.delete(clientId);
  }
  if (text && !textarea.value) {
    textarea.value = text;
    growInput(state.ui);
  }
  toast(message, "error");
}

/**
 * The socket refused a post for good (a retried one stays "sending…").
 * @param {RoomState} state
 * @param {{request?: string, client_id?: string, detail?: string, retrying?: boolean}} data the error event
 */
export function postRefused(state, data) {
  if (data.request === "message.post" && data.client_id && state.pendingByClient.has(data.client_id) && !data.retrying) {
    const li = state.pendingByClient.get(data.client_id);
    failPending(state, data.client_id, data.detail, li ? li.querySelector(".body").textContent : "");
  }
}

/**
 * Someone else in the room is typing.
 * @param {RoomState} state
 * @param {{room_id: number, author: {type: string, id: number | null, name: string}}} data
 */
export function showTyping(state, data) {
  if (data.room_id !== state.roomId || (data.author.type === "staff" && data.author.id === app.me.id)) return;
  const { typing } = state.ui;
  typing.textContent = typingText(data.author.name);
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => (typing.textContent = ""), 3500);
}

/** The composer's size is the agent's choice, kept across rooms and reloads. */
const EXPANDED_KEY = "cc.composerExpanded";

/**
 * Expands the composer (a tall input for a long answer) or collapses it (one line that
 * grows with the text), and says so on its button.
 * @param {RoomState} state
 * @param {HTMLButtonElement} button
 * @param {boolean} expanded
 */
function setExpanded(state, button, expanded) {
  state.ui.composer.classList.toggle("expanded", expanded);
  button.setAttribute("aria-expanded", String(expanded));
  button.textContent = expanded ? "⤡" : "⤢";
  button.title = expanded ? gettext("Collapse the message box") : gettext("Expand the message box");
  button.setAttribute("aria-label", button.title);
  localStorage.setItem(EXPANDED_KEY, expanded ? "1" : "0");
  growInput(state.ui);
  placeToasts();
}

/**
 * The expand/collapse button, before Send.
 * @param {RoomState} state
 */
function wireExpand(state) {
  const { send, textarea } = state.ui;
  if (!textarea.id) return;
  const button = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "composer-expand tool", "aria-controls": textarea.id }));
  button.addEventListener("click", () => {
    setExpanded(state, button, !state.ui.composer.classList.contains("expanded"));
    textarea.focus();
  });
  send.before(button);
  setExpanded(state, button, localStorage.getItem(EXPANDED_KEY) === "1");
}

/**
 * The composer's listeners.
 * @param {RoomState} state
 */
export function wireComposer(state) {
  const { composer, textarea } = state.ui;
  wireExpand(state);
  composer.addEventListener("submit", (e) => {
    e.preventDefault();
    sendText(state);
  });
  textarea.addEventListener("keydown", (e) => {
    if (suggestKey(state, e)) return;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText(state);
    }
  });
  textarea.addEventListener("input", () => {
    growInput(state.ui);
    updateSuggest(state);
    if (app.socketOpen && typingDue(Date.now(), state.lastTypingSent, textarea.value)) {
      state.lastTypingSent = Date.now();
      app.socket.send({ type: "typing", room: state.roomId });
    }
  });
  textarea.addEventListener("blur", () => setTimeout(() => hideSuggest(state), 150));
}
