// @ts-check
// The one state object of the widget (S), and its persistence.
//
// The conversation survives reloads and new tabs: the visitor token, the enquiry id and the
// room id are kept in localStorage under one key per channel ("cc-widget:<channel key>"),
// as {"token": ..., "enquiry": ..., "room": ...}. Visitors' browsers hold this shape: keep it.

import { config, mode } from "./page.js";

/** @typedef {import("./types.js").Enquiry} Enquiry */
/** @typedef {import("./types.js").Choice} Choice */
/** @typedef {import("../../js/socket.js").CCSocket} CCSocket */
/** @typedef {import("../../js/socket.js").SocketState} SocketState */

/**
 * A message the visitor sent that the server has not confirmed yet.
 * @typedef {object} Pending
 * @property {HTMLElement} el its bubble
 * @property {string} text the text (or the file's name)
 * @property {ReturnType<typeof setTimeout> | null} timer the REST retry if the socket does not answer
 */

/**
 * @typedef {object} WidgetState
 * @property {string | null} token the visitor token (the server renews it while the visitor is active)
 * @property {number | null} enquiryId the conversation going on, if any
 * @property {number | null} room its room
 * @property {Enquiry | null} enquiry its last known state
 * @property {number} lastId the highest message id shown (history and sync start after it)
 * @property {CCSocket | null} socket
 * @property {SocketState} socketState
 * @property {boolean} visible whether the chat is on screen (the loader's panel is open, or a web link page)
 * @property {Record<string, string>} prefill visitor fields from the host page or typed before
 * @property {Choice} choice the team or person chosen for the next conversation
 * @property {Map<string, Pending>} pending client_id -> a message not yet confirmed
 * @property {number} lastIncomingAt when the last agent message came (ms), to fold notifications
 * @property {ReturnType<typeof setTimeout> | null} typingTimer hides "… is typing"
 * @property {number} lastTypingSent when the visitor's last typing event went (ms)
 * @property {AudioContext | null} audio unlocked by the visitor's first click
 * @property {ReturnType<typeof setInterval> | null} pollTimer the REST polling while the socket is down
 */

/** @type {WidgetState} */
export const S = {
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
  pending: new Map(),
  lastIncomingAt: 0,
  typingTimer: null,
  lastTypingSent: 0,
  audio: null,
  pollTimer: null,
};

/** @typedef {{token?: string | null, enquiry?: number | null, room?: number | null}} Stored */

/**
 * @param {string} channelKey
 * @returns {string}
 */
export function storeKey(channelKey) {
  return `cc-widget:${channelKey}`;
}

export const STORE_KEY = storeKey(config.key);

/**
 * The stored record from its JSON; {} when there is none or it is broken.
 * @param {string | null} text
 * @returns {Stored}
 */
export function parseStored(text) {
  try {
    return JSON.parse(text || "{}") || {};
  } catch {
    return {};
  }
}

/**
 * The record stored for a state.
 * @param {WidgetState} state
 * @returns {Stored}
 */
export function storedRecord(state) {
  return { token: state.token, enquiry: state.enquiryId, room: state.room };
}

/** @returns {Stored} what this browser remembers of the channel ({} if nothing or storage is blocked) */
export function load() {
  try {
    return parseStored(localStorage.getItem(STORE_KEY));
  } catch {
    return {};
  }
}

export function save() {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(storedRecord(S)));
  } catch {
    /* storage blocked: the conversation lasts as long as the page */
  }
}

/** Forgets the conversation (ended elsewhere, or its token refused); keeps the token. */
export function forget() {
  S.enquiryId = null;
  S.room = null;
  S.enquiry = null;
  S.lastId = 0;
  save();
}
