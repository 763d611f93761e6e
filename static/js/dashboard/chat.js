// @ts-check
// The chat room (/app/rooms/<id>): history and live messages, composer (growing input,
// reply, files with upload progress, quick replies by "/shortcut", @mentions, typing),
// message actions (copy, forward, edit and recall within the edit window), enquiry actions
// (resolve, transfer, leave), admin monitoring (read-only, live) with join / take over, and
// the room information panel.
//
// This module only opens the room: it creates the room's one state object (room/state.js)
// and wires the modules of room/ over it. Each module's functions take that state.

import { gettext } from "../i18n.js";
import { api } from "./api.js";
import { clear, h, toast } from "./dom.js";
import { app, emit, on } from "./state.js";
import { startReply, wireComposer } from "./room/composer.js";
import { leave, rateInvite, resolve, transfer, wireEnquiryBanner } from "./room/enquiry_actions.js";
import { paintHead } from "./room/head.js";
import { paintInfo } from "./room/info.js";
import { buildLayout } from "./room/layout.js";
import { subscribe } from "./room/live.js";
import { copyText, editMessage, forwardMessage, recallMessage } from "./room/message_actions.js";
import { loadHistory, scheduleRead, sendRead, toBottom, wireScrolling } from "./room/messages.js";
import { join, startWatching, stopWatching, takeOver } from "./room/monitoring.js";
import { focusMessage } from "./search.js";
import { createRoomState } from "./room/state.js";
import { wireUpload } from "./room/upload.js";
import { wireVoice } from "./room/voice.js";
import { wireAI } from "./room/ai.js";

/** @typedef {import("./room/state.js").RoomState} RoomState */

/**
 * Opens a room; resolves with the view's cleanup (or null when there is nothing to undo).
 * @param {HTMLElement} main
 * @param {RegExpMatchArray} match the route's match: match[1] is the room's id
 * @param {URLSearchParams} params the page's query (?monitor=1)
 * @returns {Promise<(() => void) | null>}
 */
export async function render(main, match, params) {
  // This view is current until the dashboard routes elsewhere. A view left while it was
  // still loading must neither read nor mark anything: its listeners are removed only once
  // it has finished loading (app.js), and meanwhile new messages are not on screen.
  const routeSeq = app.routeSeq;
  const state = createRoomState({
    roomId: Number(match[1]),
    monitorParam: params.get("monitor") === "1",
    stale: () => app.routeSeq !== routeSeq,
  });

  try {
    state.info = await api("GET", `/api/v1/rooms/${state.roomId}`);
  } catch (err) {
    if (state.stale()) return null;
    clear(main, h("h1", { text: gettext("Room") }), h("p", { class: "form-error", role: "alert", text: err.message }));
    if (err.status === 0) {
      // Offline: try again as soon as the socket is back.
      const off = on("socket.open", () => {
        off();
        app.navigate(location.pathname + location.search);
      });
      return off;
    }
    return null;
  }
  if (state.stale()) return null; // left before it was shown: draw nothing over the next page
  if (!state.info.me) state.monitor = true; // an admin looking without being a member
  if (!state.monitor) app.currentRoom = state.roomId;

  state.handlers = {
    reply: (m) => startReply(state, m),
    copy: (m) => copyText(m.text),
    forward: (m) => forwardMessage(state, m),
    edit: (m) => editMessage(state, m),
    recall: (m) => recallMessage(state, m),
    resolve: () => resolve(state),
    transfer: () => transfer(state),
    leave: () => leave(state),
    join: () => join(state),
    takeOver: () => takeOver(state),
    rateInvite: () => rateInvite(state),
  };
  const { textarea } = buildLayout(state, main);
  wireScrolling(state);
  wireComposer(state);
  wireUpload(state);
  wireVoice(state);
  wireAI(state); // in the background: the AI buttons appear when a provider is configured
  subscribe(state);

  paintHead(state);
  paintInfo(state);
  wireEnquiryBanner(state); // an offer to pick up, a missed enquiry to follow up
  try {
    await loadHistory(state);
  } catch (err) {
    toast(err.message, "error");
  }
  const dispose = () => disposeRoom(state);
  if (state.stale()) return dispose;
  toBottom(state);
  focusMessage(state.ui.list, params.get("message")); // opened from a search result
  scheduleRead(state);
  if (state.monitor) {
    startWatching(state);
  } else {
    emit("route", {}); // repaint the room list without this room's badge
    // Ready to type, unless the user already went elsewhere while the history loaded (a
    // slow load must not move the caret out of a field they are typing in).
    if (!document.activeElement || document.activeElement === document.body) textarea.focus();
  }
  return dispose;
}

/**
 * The view goes: its listeners, its watch and its timers end.
 * @param {RoomState} state
 */
function disposeRoom(state) {
  state.disposers.forEach((d) => d());
  stopWatching(state);
  // Leaving right after a message came in: it was on screen, so it is read.
  if (state.readTimer) {
    clearTimeout(state.readTimer);
    sendRead(state);
  }
  clearTimeout(state.typingTimer);
}
