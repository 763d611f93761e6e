// @ts-check
// One websocket client for the dashboard and the widget.
//
// - Reconnects with capped exponential back-off and reports its state
//   ("connecting" | "open" | "reconnecting" | "closed") to onState.
// - Remembers the last message id it has seen per room; after every (re)connect it asks
//   the server for what it missed ({"type": "sync", "rooms": {roomId: lastId}}), so a drop
//   loses nothing. Messages are de-duplicated by id before they reach onEvent.
// - send() queues while disconnected and flushes on open; posts carry a client_id so a
//   retry after a drop is idempotent on the server.
// - post() keeps each message until the server answers it (message.ack, or an error): one
//   sent just before a drop, whose answer never came, is sent again after the reconnect
//   (the server returns the first message if it had arrived after all). A 5xx error is
//   retried after a pause; a 4xx refusal is final. A 503 "busy" is handled like a slow_down
//   (below): the server holds the socket's later posts behind it.
// - Pushback: a {"type": "slow_down", "data": {"client_id", "retry_after_ms"}} answer means
//   the server did not take that post (nothing stored) and holds the socket's later posts.
//   Posting pauses (new posts wait in the unacked list); after retry_after_ms the first
//   refused post is sent again alone, and once it is acked the posts written after it
//   follow, in order (the ones before it were taken and get their acks). Nothing is dropped
//   and nothing doubles: a post that went in after all is answered with the stored message.
// - watch(room) / unwatch(room): admins' live monitoring of a room they are not in; the
//   watches are sent again after every reconnect (the server forgets them with the socket).
// - Close codes: 4001 (session ended) and 4401 (not authenticated) are final. Any other close
//   reconnects and syncs, 4503 included: the server closes with it when its realtime link
//   (Redis) was interrupted and this socket may have missed events; reconnecting is
//   refused until Redis is back, and the state shows "reconnecting" meanwhile.
// - A connection refused before it opened (the server turns a dead session's handshake
//   away, which browsers report as 1006, not 4401) asks verify(), if given: false makes
//   the close final ("closed" with 4401) instead of "reconnecting" for ever.
// - A dropped socket waits with back-off, but tries again at once when the browser comes
//   back online or the tab becomes visible (the back-off starts over). Only one socket at
//   a time: a pending retry is cancelled, an open or connecting socket is left alone.

/** @typedef {"connecting" | "open" | "reconnecting" | "closed"} SocketState */
/** @typedef {{type: string, data?: any, [key: string]: any}} ServerEvent */
/** @typedef {{type: string, [key: string]: any}} ClientMessage */
/**
 * @typedef {object} SocketOptions
 * @property {(event: ServerEvent) => void} [onEvent] every event after de-duplication
 * @property {(state: SocketState, code?: number) => void} [onState] connection state changes
 * @property {number} [maxDelayMs] the longest wait between two reconnect attempts
 * @property {() => Promise<boolean>} [verify] after a connection refused before opening:
 *   whether the credentials are still good (false: the close is final)
 */

export class CCSocket {
  /**
   * @param {string} url the websocket URL (see wsUrl)
   * @param {SocketOptions} [options]
   */
  constructor(url, { onEvent = () => {}, onState = () => {}, maxDelayMs = 15000, verify = undefined } = {}) {
    this.url = url;
    this.verify = verify;
    this.onEvent = onEvent;
    this.onState = onState;
    this.maxDelayMs = maxDelayMs;
    /** @type {Map<number, number>} room id -> last message id seen */
    this.lastIds = new Map();
    /** @type {Set<string>} keys of the message versions delivered (bounded below) */
    this.seen = new Set();
    /** @type {ClientMessage[]} */
    this.queue = [];
    /** @type {Map<string, ClientMessage>} client_id -> message.post not yet answered */
    this.unacked = new Map();
    /** @type {Map<string, number>} client_id -> 5xx retries so far */
    this.retries = new Map();
    /** @type {Set<number>} rooms watched (admins' monitoring) */
    this.watched = new Set();
    /** True while the server asked us to slow down: posts wait until resumePosts(). */
    this.paused = false;
    /** @type {Set<string>} client_ids of posts to send (again): refused by slow_down, or written while paused */
    this.toSend = new Set();
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.pauseTimer = null;
    /** @type {string | null} the refused post sent again alone; the rest follow its ack */
    this.probe = null;
    this.attempt = 0;
    this.closedByUs = false;
    /** True after a final close (4001, 4401 or close()): never reconnects. */
    this.dead = false;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.retryTimer = null;
    this.wake = () => this.reconnectNow();
    this.onVisible = () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    };
    if (typeof window !== "undefined") window.addEventListener("online", this.wake);
    if (typeof document !== "undefined") document.addEventListener("visibilitychange", this.onVisible);
    this.connect();
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      opened = true;
      this.attempt = 0;
      this.watched.forEach((room) => ws.send(JSON.stringify({ type: "watch", room })));
      this.onState("open");
      this.resync();
      // Posts go out from the unacked list (in the order written), other messages as queued.
      // While paused by a slow_down they wait for resumePosts(), which then sends them all.
      const pending = this.queue.splice(0).filter((msg) => msg.type !== "message.post");
      pending.forEach((msg) => ws.send(JSON.stringify(msg)));
      this.probe = null;
      if (this.paused) this.toSend = new Set(this.unacked.keys()); // all of them, after the pause
      else {
        this.toSend.clear();
        this.unacked.forEach((msg) => ws.send(JSON.stringify(msg)));
      }
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
      if (this.ws !== ws || this.dead) return; // a socket we already replaced, or given up
      if (this.closedByUs || e.code === 4001 || e.code === 4401) {
        this.dead = true;
        this.onState("closed", e.code);
        return;
      }
      this.attempt += 1;
      const delay = Math.min(this.maxDelayMs, 500 * 2 ** Math.min(this.attempt, 6)) * (0.75 + Math.random() / 2);
      this.onState("reconnecting");
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.connect(), delay);
      if (!opened && this.verify) this.checkRefusal(ws);
    });
  }

  /**
   * A connection was refused before it opened: if verify() says the credentials are dead,
   * stop for good (the retry already scheduled is cancelled).
   * @param {WebSocket} ws the refused socket
   */
  checkRefusal(ws) {
    if (!this.verify) return;
    this.verify().then(
      (alive) => {
        if (alive || this.closedByUs || this.dead) return;
        const current = this.ws;
        if (current && current !== ws && current.readyState === WebSocket.OPEN) return; // back meanwhile
        this.dead = true;
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
        if (current && current !== ws) current.close();
        this.onState("closed", 4401);
      },
      () => {}, // could not tell (offline): keep trying
    );
  }

  // Back online / tab visible again: if the socket is down and waiting out its back-off,
  // connect now with a fresh back-off. A socket that is open or connecting is kept.
  reconnectNow() {
    if (this.closedByUs || this.dead || this.retryTimer === null) return;
    const state = this.ws ? this.ws.readyState : WebSocket.CLOSED;
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) return;
    this.attempt = 0; // the back-off starts over
    this.connect();
  }

  /** @param {number} room */
  watch(room) {
    this.watched.add(room);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "watch", room }));
  }

  /** @param {number} room */
  unwatch(room) {
    if (!this.watched.delete(room)) return;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "unwatch", room }));
  }

  /**
   * Follows a room: after every reconnect the server is asked for its messages after lastId.
   * @param {number} roomId
   * @param {number} [lastId]
   */
  track(roomId, lastId = 0) {
    const known = this.lastIds.get(roomId) || 0;
    this.lastIds.set(roomId, Math.max(known, lastId));
  }

  resync() {
    if (this.lastIds.size === 0) return;
    /** @type {Record<number, number>} */
    const rooms = {};
    this.lastIds.forEach((id, room) => (rooms[room] = id));
    this.send({ type: "sync", rooms });
  }

  /**
   * Records a message version; false when this exact version was delivered already.
   * @param {any} message
   * @returns {boolean}
   */
  remember(message, follow = true) {
    if (!message || !message.id) return true;
    // The data is part of the key: a link preview or a delivery state arrives as
    // message.edited with the same edited_at, and must not be taken for a repeat.
    const key = `${message.id}:${message.edited_at || ""}:${message.recalled_at || ""}:${JSON.stringify(message.data || {})}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > 5000) this.seen = new Set(Array.from(this.seen).slice(-2500));
    if (follow) this.track(message.room, message.id);
    return true;
  }

  /**
   * The server pushed back on a post: pause posting for retry_after_ms, then resend.
   * @param {any} data the slow_down frame's data
   */
  slowDown(data) {
    if (!data || data.request !== "message.post") return;
    if (this.unacked.has(data.client_id)) this.toSend.add(data.client_id);
    this.paused = true;
    clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => this.resumePosts(), Math.max(0, Number(data.retry_after_ms) || 1000));
  }

  /** @returns {string[]} the posts to send (again), in the order written */
  waiting() {
    return Array.from(this.unacked.keys()).filter((id) => this.toSend.has(id));
  }

  // The wait asked for by slow_down is over: send the earliest refused post again, alone.
  resumePosts() {
    this.pauseTimer = null;
    this.paused = false;
    const first = this.waiting()[0];
    if (first === undefined || !this.ws || this.ws.readyState !== WebSocket.OPEN) return; // sent on open
    this.probe = first;
    this.toSend.delete(first);
    this.ws.send(JSON.stringify(this.unacked.get(first)));
  }

  // The probe was taken: send the others waiting, in the order written.
  flushWaiting() {
    if (this.paused || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.waiting().forEach((id) => {
      this.toSend.delete(id);
      this.ws.send(JSON.stringify(this.unacked.get(id)));
    });
  }

  /** @param {ServerEvent} event */
  dispatch(event) {
    if (event.type === "slow_down") this.slowDown(event.data);
    if (event.type === "message.ack" || event.type === "error") this.answered(event);
    if (event.type === "sync.messages") {
      (event.data.messages || []).forEach((m) => {
        if (this.remember(m)) this.onEvent({ type: "message.created", data: { message: m } });
        else if (m && m.id) this.track(m.room, m.id); // the server's list is complete up to here
      });
      return;
    }
    if (event.type && event.type.startsWith("message.") && event.data && event.data.message) {
      // An ack does not move the room's last id: it can arrive before the live event of a
      // message committed just before it, and a resync from the ack's id would skip that one.
      if (!this.remember(event.data.message, event.type !== "message.ack")) return;
    }
    this.onEvent(event);
  }

  /**
   * Sends now, or queues until the socket is open.
   * @param {ClientMessage} message
   */
  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
    } else {
      this.queue.push(message);
    }
  }

  /**
   * Posts a message; kept and sent again after a reconnect until the server answers it.
   * @param {number} room
   * @param {string} text
   * @param {Record<string, any>} [extra] more fields of the post (client_id, reply_to, ...)
   * @returns {string} the post's client_id
   */
  post(room, text, extra = {}) {
    const clientId = extra.client_id || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random()));
    const message = { type: "message.post", room, text, client_id: clientId, ...extra };
    this.unacked.set(clientId, message);
    // While paused, or while a probe waits for its ack, it goes out later, after the earlier ones.
    if (!this.paused && this.probe === null) this.send(message);
    else this.toSend.add(clientId);
    return clientId;
  }

  // The server answered a post (ack or error): forget it, or retry a server-side failure.
  /** @param {ServerEvent} event */
  answered(event) {
    const data = event.data || {};
    if (event.type === "message.ack") {
      this.unacked.delete(data.client_id);
      this.retries.delete(data.client_id);
      this.toSend.delete(data.client_id);
      if (this.probe !== null && data.client_id === this.probe) {
        this.probe = null;
        this.flushWaiting();
      }
    } else if (event.type === "error" && data.request === "message.post" && data.client_id) {
      const message = this.unacked.get(data.client_id);
      if (!message) return;
      const tries = this.retries.get(data.client_id) || 0;
      if (data.code === "busy" && tries < 5) {
        // 503 "busy" (it waited too long on a row lock; nothing stored): the server holds
        // this socket's later posts behind it, as after a slow_down; so does the client,
        // and it resends from this one, in order, after retry_after (longer each time).
        data.retrying = true;
        this.retries.set(data.client_id, tries + 1);
        const wait = Math.max(1000 * 2 ** tries, 1000 * (Number(data.retry_after) || 1));
        this.slowDown({ request: "message.post", client_id: data.client_id, retry_after_ms: wait });
      } else if (data.status >= 500 && tries < 5) {
        // A server-side failure (503 "busy" included): sent again after a pause, at least
        // the server's retry_after. Pages see data.retrying and keep showing it as sending.
        data.retrying = true;
        this.retries.set(data.client_id, tries + 1);
        setTimeout(() => {
          if (this.unacked.get(data.client_id) !== message) return;
          if (this.paused || (this.probe !== null && this.probe !== data.client_id)) this.toSend.add(data.client_id);
          else this.send(message);
        }, Math.max(1000 * 2 ** (tries + 1), 1000 * (Number(data.retry_after) || 0)));
      } else {
        this.unacked.delete(data.client_id);
        this.retries.delete(data.client_id);
        this.toSend.delete(data.client_id);
        if (this.probe === data.client_id) {
          this.probe = null; // refused for good: the others go on
          this.flushWaiting();
        }
      }
    }
  }

  close() {
    this.closedByUs = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    if (typeof window !== "undefined") window.removeEventListener("online", this.wake);
    if (typeof document !== "undefined") document.removeEventListener("visibilitychange", this.onVisible);
    if (this.ws) this.ws.close();
  }
}

/**
 * The websocket URL of a path on this page's host (wss: on an https: page).
 * @param {string} path
 * @returns {string}
 */
export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}
