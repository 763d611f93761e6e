// @ts-check
// The conversation on screen: its layout, the agent and status on top, the enquiry's state,
// live events over the shared socket client (static/js/socket.js: reconnect, sync after a
// drop, dedupe by id) with REST polling as the fallback. REST is the source of truth: every
// enquiry.* event reads the enquiry again.

import { gettext, interpolate } from "../../js/i18n.js";
import { h } from "../../js/h.js";
import { CCSocket } from "../../js/socket.js";
import { renderAfter } from "./after.js";
import { api, renewToken, visitorSocketUrl } from "./api.js";
import { composer, composerError, failPending } from "./composer.js";
import { agentShown, concernsEnquiry, conversationEnded } from "./decide.js";
import { statusText } from "./labels.js";
import { availabilityEvent } from "./live.js";
import { mountEarlier } from "./earlier.js";
import { addMessage, loadHistory, showTyping } from "./messages.js";
import { nav } from "./nav.js";
import { updateNoteButton } from "./note.js";
import { app, availability, avatar, clearBody, config, mode, ref } from "./page.js";
import { S, forget, save } from "./state.js";

/** @typedef {import("./types.js").Enquiry} Enquiry */
/** @typedef {import("./types.js").Person} Person */
/** @typedef {import("../../js/socket.js").ServerEvent} ServerEvent */

function renderChat() {
  const body = clearBody();
  body.classList.add("cc-chatting");
  body.append(
    h("div", { class: "cc-agent", "data-ref": "agent", hidden: true }),
    h("p", { class: "cc-status", "data-ref": "status", role: "status" }),
    h("ol", { class: "cc-messages", "data-ref": "messages", "aria-label": gettext("Messages") }),
    h("p", { class: "cc-typing", "data-ref": "typing", hidden: true }),
    h("div", { class: "cc-after", "data-ref": "after" }),
    composer(),
  );
}

/**
 * @param {string} text
 */
function setStatus(text) {
  const node = ref("status");
  if (node) node.textContent = text;
  app.dataset.status = S.enquiry ? S.enquiry.status : "";
}

/**
 * The agent on top (picture, name, availability), hidden without one.
 * @param {Person | null} owner
 */
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
    h(
      "div",
      { class: "cc-agent-text" },
      h("strong", { class: "cc-agent-name", text: owner.display_name }),
      availability(owner, "cc-agent-status"),
    ),
  );
  ref("subtitle").textContent = interpolate(gettext("You are chatting with %(name)s"), { name: owner.display_name });
}

/**
 * Shows the enquiry's state: agent, status line, composer, and the area after the chat.
 * @param {Enquiry} enquiry
 */
export function applyEnquiry(enquiry) {
  S.enquiry = enquiry;
  const after = ref("after");
  const composerForm = ref("composer");
  if (!after || !composerForm) return;
  renderAgent(agentShown(enquiry));
  composerForm.hidden = conversationEnded(enquiry);
  setStatus(statusText(enquiry));
  renderAfter(after, enquiry, { onEnquiry: applyEnquiry, onRestart: newConversation });
  updateNoteButton();
}

async function refreshEnquiry() {
  if (!S.enquiryId) return;
  try {
    applyEnquiry(await api(`/api/v1/widget/enquiries/${S.enquiryId}`));
  } catch (error) {
    if (error.status === 401 || error.status === 403 || error.status === 404) forget();
  }
}

/**
 * An event of the visitor's socket.
 * @param {ServerEvent} event
 */
function onEvent(event) {
  const data = event.data || {};
  switch (event.type) {
    case "message.created":
    case "message.edited":
    case "message.preview":
    case "message.recalled":
      addMessage(data.message, { live: event.type === "message.created" });
      break;
    case "message.ack":
      // The server took the visitor's message: its bubble is confirmed now, without waiting
      // for the room's message.created (the same message: shown once, by id).
      if (data.message) addMessage(data.message, { live: false });
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
    case "staff.availability":
    case "tag.availability":
      if (availabilityEvent(event, S.enquiry && S.enquiry.owner) && S.enquiry) applyEnquiry(S.enquiry);
      break;
    case "enquiry.transferred":
      if (data.enquiry_id === S.enquiryId && data.state === "accepted") {
        setStatus(interpolate(gettext("You were transferred to %(name)s."), { name: data.owner_name }));
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
        if (concernsEnquiry(data, S.enquiryId)) refreshEnquiry();
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
      page.results.forEach((/** @type {import("./types.js").Message} */ m) => addMessage(m, { live: true }));
      await refreshEnquiry();
    } catch {
      /* next time */
    }
  }, 5000);
}

/** Opens the conversation of S.enquiryId: its history, its state, the socket. */
export async function openConversation() {
  showChatSurface();
  renderChat();
  S.lastId = 0; // a new list: its whole history (also back from the start form, cta.js)
  const enquiry = await api(`/api/v1/widget/enquiries/${S.enquiryId}`);
  S.room = enquiry.room || S.room;
  save();
  await loadHistory();
  mountEarlier();
  applyEnquiry(enquiry);
  connect();
}

/** Stops following the conversation (socket, polling) but remembers it: the start form
 * that replaces it is on screen, and Back opens it again. */
export function pauseConversation() {
  if (S.socket) S.socket.close();
  S.socket = null;
  clearInterval(S.pollTimer);
  ref("body").classList.remove("cc-chatting");
}

/** Forgets the conversation on screen (over, or left for another); keeps the visitor's token. */
export function leaveConversation() {
  pauseConversation();
  forget();
  ref("subtitle").textContent = config.greeting || gettext("We usually reply in a few minutes");
}

/** Leaves the conversation on screen (over) for the home view (a web link page: its start form). */
export function newConversation() {
  leaveConversation();
  // A web link page starts again where it opened: its team's start form.
  if (mode === "page" && config.start) nav.start(config.start);
  else nav.home();
}

/** On a web link page: the chat replaces the Engage Now card. */
export function showChatSurface() {
  if (mode !== "page") return;
  const chat = /** @type {HTMLElement | null} */ (document.querySelector('[data-ref="engage-chat"]'));
  if (chat) chat.hidden = false;
  const engage = /** @type {HTMLElement | null} */ (document.querySelector(".cc-engage-now"));
  if (engage) engage.hidden = true;
}
