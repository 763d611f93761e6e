// @ts-check
// Shared state of the dashboard page and a tiny event bus. Socket events are re-emitted
// on the bus by their type ("enquiry.opened", "message.created", ...) and as "*".

const bus = new EventTarget();

/**
 * @typedef {object} DashboardApp
 * @property {any} boot the server's configuration for the page (the cc-boot JSON: limits)
 * @property {any} me the signed-in staff member (/api/v1/me, plus is_admin); null until loaded
 * @property {import("../socket.js").CCSocket | null} socket
 * @property {boolean} socketOpen
 * @property {number | null} currentRoom id of the room on screen (not a monitored one)
 * @property {Map<number, any>} rooms room id -> room list row
 * @property {number} [routeSeq] counts the routes taken (app.js): a view whose number is
 *   no longer current was left
 * @property {(url: string, options?: {replace?: boolean}) => any} navigate shows a page of
 *   the dashboard without reloading (app.js)
 */

/** @type {DashboardApp} */
export const app = {
  boot: JSON.parse(document.getElementById("cc-boot").textContent),
  me: null, // filled from /api/v1/me
  socket: null,
  socketOpen: false,
  currentRoom: null, // id of the room on screen (not a monitored one)
  rooms: new Map(), // room id -> room list row
  navigate: () => {},
};

/**
 * Listens to an event of the bus.
 * @param {string} type
 * @param {(detail: any) => void} fn
 * @returns {() => void} stops listening
 */
export function on(type, fn) {
  /** @param {Event} e */
  const listener = (e) => fn(/** @type {CustomEvent} */ (e).detail);
  bus.addEventListener(type, listener);
  return () => bus.removeEventListener(type, listener);
}

/**
 * @param {string} type
 * @param {any} detail
 */
export function emit(type, detail) {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}
