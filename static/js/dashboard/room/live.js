// @ts-check
// The open room's live events (from the socket, through the dashboard's bus): messages,
// refused posts, typing, membership and enquiry changes, reconnects and monitoring answers.

import { gettext, interpolate } from "../../i18n.js";
import { toast } from "../dom.js";
import { on } from "../state.js";
import { postRefused, showTyping } from "./composer.js";
import { reloadInfo } from "./info.js";
import { loadHistory, scheduleRead, upsert } from "./messages.js";
import { enquiryOf } from "./rules.js";

/** @typedef {import("./state.js").RoomState} RoomState */

/** Events that change who is in the room. */
const MEMBERSHIP_EVENTS = ["room.taken_over", "room.member_joined", "room.member_left"];
/** Events that change the room's enquiry. */
const ENQUIRY_EVENTS = ["enquiry.transferred", "enquiry.resolved", "enquiry.reopened", "enquiry.closed", "enquiry.updated"];

/**
 * Subscribes the view to its events; the unsubscribers go to state.disposers.
 * @param {RoomState} state
 */
export function subscribe(state) {
  /** @param {{enquiry_id: number}} data */
  const aboutMyEnquiry = (data) => {
    const e = enquiryOf(state.info);
    return e && data.enquiry_id === e.id;
  };
  state.disposers.push(
    on("message.created", ({ message }) => upsert(state, message)),
    on("message.edited", ({ message }) => upsert(state, message, { scroll: false })),
    // A link preview fetched after the message was posted.
    on("message.preview", ({ message }) => upsert(state, message, { scroll: false })),
    on("message.recalled", ({ message }) => upsert(state, message, { scroll: false })),
    on("message.ack", ({ message }) => message && upsert(state, message)),
    // (data.retrying: the socket sends it again by itself.)
    on("error", (data) => postRefused(state, data)),
    on("typing", (data) => showTyping(state, data)),
    ...MEMBERSHIP_EVENTS.map((t) => on(t, (data) => data.room_id === state.roomId && reloadInfo(state))),
    ...ENQUIRY_EVENTS.map((t) => on(t, (data) => aboutMyEnquiry(data) && reloadInfo(state))),
    on("socket.open", async () => {
      // The socket's own sync catches up tracked rooms; reload the panel state too.
      await reloadInfo(state);
      if (!state.watching) await loadHistory(state).catch(() => {}); // also fills a history that failed to load
    }),
    on("watching", (data) => data.room === state.roomId && loadHistory(state).catch(() => {})),
    on("error", (data) => {
      if (data.request === "watch" && data.room === state.roomId) toast(interpolate(gettext("Live monitoring is off: %(reason)s"), { reason: data.detail }), "error");
    }),
  );
  const onVisible = () => !document.hidden && scheduleRead(state);
  document.addEventListener("visibilitychange", onVisible);
  state.disposers.push(() => document.removeEventListener("visibilitychange", onVisible));
}
