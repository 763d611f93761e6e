// @ts-check
// Keeping what the widget shows of the organisation current while it is open: staff and
// tag availability, and whether it is within work hours.
//
// With a socket (a conversation), the server sends staff.availability ({staff_id,
// availability}: the people of this channel's directory and the visitor's agent) and
// tag.availability ({tag_id, available}); conversation.js hands them to availabilityEvent.
// Without one (home, the start form), the public config is read again every
// config.refresh_seconds (20 s) while the chat is on screen; the server answers 304 when
// nothing changed (ETag). Either way the config is updated in place and the view that shows
// the directory (home.js) is told.

import { applyAvailabilityEvent, mergeConfig, shouldPoll } from "./directory.js";
import { config } from "./page.js";
import { S } from "./state.js";

/** @typedef {import("./types.js").Person} Person */
/** @typedef {{openChanged: boolean, directoryChanged: boolean, listChanged: boolean}} Change */

/** @type {((change: Change) => void) | null} */
let listener = null;
/** @type {ReturnType<typeof setInterval> | null} */
let timer = null;
let etag = "";

/**
 * Who redraws on a change (home.js).
 * @param {(change: Change) => void} fn
 */
export function onDirectoryChange(fn) {
  listener = fn;
}

/** Starts reading the public config periodically (once; later calls do nothing). */
export function startConfigPoll() {
  if (timer) return;
  const seconds = Math.max(1, Number(config.refresh_seconds) || 20);
  timer = setInterval(() => {
    const facts = { visible: S.visible, socketState: S.socketState, hidden: document.visibilityState === "hidden" };
    if (shouldPoll(facts)) refreshConfig().catch(() => {});
  }, seconds * 1000);
}

/** Reads the public config again; tells the listener what changed. */
export async function refreshConfig() {
  /** @type {Record<string, string>} */
  const headers = etag ? { "If-None-Match": etag } : {};
  const response = await fetch(`/api/v1/widget/channels/${encodeURIComponent(config.key)}`, { credentials: "omit", headers });
  if (response.status === 304 || !response.ok) return;
  etag = response.headers.get("ETag") || "";
  const change = mergeConfig(config, await response.json());
  if ((change.openChanged || change.directoryChanged) && listener) listener(change);
}

/**
 * A staff.availability or tag.availability event of the visitor's socket.
 * @param {{type: string, data?: any}} event
 * @param {Person | null | undefined} owner the agent shown on top, if any
 * @returns {boolean} whether the agent's availability changed (the header is drawn again)
 */
export function availabilityEvent(event, owner) {
  if (applyAvailabilityEvent(config, event) && listener) {
    listener({ openChanged: false, directoryChanged: true, listChanged: false });
  }
  const data = event.data || {};
  if (event.type !== "staff.availability" || !owner || owner.id !== data.staff_id) return false;
  if (owner.availability === data.availability) return false;
  owner.availability = data.availability;
  return true;
}
