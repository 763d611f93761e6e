// @ts-check
// Live report pages: a refresh soon after the socket's enquiry events (debounced: a burst of
// events is one request), when the socket comes back, and a slow safety refresh in case an
// event was missed while the socket was down. Refreshes are background requests (they do not
// keep the session alive, api.js).
import { on } from "./state.js";

/** The events that change the enquiries' figures (contactcenter/org/events.py). */
export const ENQUIRY_EVENTS = [
  "enquiry.opened",
  "enquiry.picked_up",
  "enquiry.taken",
  "enquiry.missed",
  "enquiry.resolved",
  "enquiry.reopened",
  "enquiry.closed",
  "enquiry.transferred",
  "enquiry.rated",
  "room.taken_over",
  "socket.open",
];

/**
 * @param {() => any} refresh
 * @param {{types?: string[], delay?: number, every?: number}} [options] delay: ms after the last
 *   event of a burst; every: ms between safety refreshes
 * @returns {() => void} stops it
 */
export function live(refresh, { types = ENQUIRY_EVENTS, delay = 1000, every = 60000 } = {}) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  };
  const disposers = types.map((type) => on(type, soon));
  const interval = setInterval(refresh, every);
  return () => {
    disposers.forEach((d) => d());
    clearTimeout(timer);
    clearInterval(interval);
  };
}
