// Shared state of the dashboard page and a tiny event bus. Socket events are re-emitted
// on the bus by their type ("enquiry.opened", "message.created", ...) and as "*".

const bus = new EventTarget();

export const app = {
  boot: JSON.parse(document.getElementById("cc-boot").textContent),
  me: null, // filled from /api/v1/me
  socket: null,
  socketOpen: false,
  currentRoom: null, // id of the room on screen (not a monitored one)
  rooms: new Map(), // room id -> room list row
  navigate: () => {},
};

export function on(type, fn) {
  const listener = (e) => fn(e.detail);
  bus.addEventListener(type, listener);
  return () => bus.removeEventListener(type, listener);
}

export function emit(type, detail) {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}
