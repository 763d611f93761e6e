// @ts-check
// Admins' monitoring of a room: watching it live over the socket without being a member,
// and leaving the read-only view by joining the enquiry or taking it over.

import { gettext } from "../../i18n.js";
import { api } from "../api.js";
import { confirmDialog, toast } from "../dom.js";
import { app } from "../state.js";
import { enquiryOf } from "./rules.js";

/** @typedef {import("./state.js").RoomState} RoomState */

/**
 * An admin monitoring is not a member: the socket watches the room so its messages and
 * typing arrive live, read-only (no read marker moves). The socket re-sends the watch on
 * every reconnect; each "watching" answer is followed by one REST catch-up (live.js), which
 * starts only once the server has joined the room's group, so nothing falls in between.
 * @param {RoomState} state
 */
export function startWatching(state) {
  // Only admins watch; others look at an offered or missed enquiry's room without it.
  if (state.watching || !app.socket || !app.me.is_admin) return;
  state.watching = true;
  app.socket.watch(state.roomId);
}

/** @param {RoomState} state */
export function stopWatching(state) {
  if (state.watching) app.socket.unwatch(state.roomId);
}

/**
 * Asks to confirm, posts an enquiry action, and opens the room as a member.
 * @param {RoomState} state
 * @param {{title: string, question: string, ok: string, path: string, done: string}} action
 */
async function becomeMember(state, { title, question, ok, path, done }) {
  if (!(await confirmDialog(title, question, ok))) return;
  try {
    await api("POST", `/api/v1/enquiries/${enquiryOf(state.info).id}/${path}`);
    toast(done);
    state.monitor = false;
    app.navigate(`/app/rooms/${state.roomId}`, { replace: true });
  } catch (err) {
    toast(err.message, "error");
  }
}

/** @param {RoomState} state */
export function join(state) {
  return becomeMember(state, {
    title: gettext("Join room"),
    question: gettext("Join this enquiry as a participant? The agent and the room are told."),
    ok: gettext("Join"),
    path: "join",
    done: gettext("You joined the room."),
  });
}

/** @param {RoomState} state */
export function takeOver(state) {
  return becomeMember(state, {
    title: gettext("Take over"),
    question: gettext("Take this enquiry over? You become its owner; the agent is told."),
    ok: gettext("Take over"),
    path: "take-over",
    done: gettext("You took the enquiry over."),
  });
}
