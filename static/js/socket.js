// One websocket client for the dashboard and the widget.
//
// - Reconnects with capped exponential back-off and reports its state
//   ("connecting" | "open" | "reconnecting" | "closed") to onState.
// - Remembers the last message id it has seen per room; after every (re)connect it asks
//   the server for what it missed ({"type": "sync", "rooms": {roomId: lastId}}), so a drop
//   loses nothing. Messages are de-duplicated by id before they reach onEvent.
// - send() queues while disconnected and flushes on open; posts carry a client_id so a
//   retry after a drop is idempotent on the server.

export class CCSocket {
  constructor(url, { onEvent = () => {}, onState = () => {}, maxDelayMs = 15000 } = {}) {
    this.url = url;
    this.onEvent = onEvent;
    this.onState = onState;
    this.maxDelayMs = maxDelayMs;
    this.lastIds = new Map(); // room id -> last message id seen
    this.seen = new Set(); // message ids delivered (bounded below)
    this.queue = [];
    this.attempt = 0;
    this.closedByUs = false;
    this.ws = null;
    this.connect();
  }

  connect() {
    this.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.onState("open");
      this.resync();
      const pending = this.queue.splice(0);
      pending.forEach((msg) => ws.send(JSON.stringify(msg)));
    });
    ws.addEventListener("message", (e) => {
      let event;
      try {
        event = JSON.parse(e.data);
      } catch {
        return;
      }
      this.dispatch(event);
    });
    ws.addEventListener("close", (e) => {
      if (this.closedByUs || e.code === 4001 || e.code === 4401) {
        this.onState("closed", e.code);
        return;
      }
      this.attempt += 1;
      const delay = Math.min(this.maxDelayMs, 500 * 2 ** Math.min(this.attempt, 6)) * (0.75 + Math.random() / 2);
      this.onState("reconnecting");
      setTimeout(() => this.connect(), delay);
    });
  }

  track(roomId, lastId = 0) {
    const known = this.lastIds.get(roomId) || 0;
    this.lastIds.set(roomId, Math.max(known, lastId));
  }

  resync() {
    if (this.lastIds.size === 0) return;
    const rooms = {};
    this.lastIds.forEach((id, room) => (rooms[room] = id));
    this.send({ type: "sync", rooms });
  }

  remember(message) {
    if (!message || !message.id) return true;
    const key = `${message.id}:${message.edited_at || ""}:${message.recalled_at || ""}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > 5000) this.seen = new Set(Array.from(this.seen).slice(-2500));
    this.track(message.room, message.id);
    return true;
  }

  dispatch(event) {
    if (event.type === "sync.messages") {
      (event.data.messages || []).forEach((m) => {
        if (this.remember(m)) this.onEvent({ type: "message.created", data: { message: m } });
      });
      return;
    }
    if (event.type && event.type.startsWith("message.") && event.data && event.data.message) {
      if (!this.remember(event.data.message)) return;
    }
    this.onEvent(event);
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
    } else {
      this.queue.push(message);
    }
  }

  post(room, text, extra = {}) {
    const clientId = extra.client_id || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()));
    this.send({ type: "message.post", room, text, client_id: clientId, ...extra });
    return clientId;
  }

  close() {
    this.closedByUs = true;
    if (this.ws) this.ws.close();
  }
}

export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}
