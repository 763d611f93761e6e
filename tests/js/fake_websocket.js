// A stand-in for the browser's WebSocket: tests open, feed and close each socket by hand.

export class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  /** @type {FakeWebSocket[]} every socket made, oldest first */
  static made = [];

  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    /** @type {any[]} what the client sent, parsed */
    this.sent = [];
    /** @type {Map<string, Function[]>} */
    this.listeners = new Map();
    FakeWebSocket.made.push(this);
  }

  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(fn);
  }

  fire(type, event) {
    (this.listeners.get(type) || []).forEach((fn) => fn(event));
  }

  send(text) {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(text));
  }

  close() {
    this.serverClose(1000);
  }

  // The server side's actions.
  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.fire("open", {});
  }

  receive(event) {
    this.fire("message", { data: JSON.stringify(event) });
  }

  serverClose(code) {
    if (this.readyState === FakeWebSocket.CLOSED) return;
    this.readyState = FakeWebSocket.CLOSED;
    this.fire("close", { code });
  }

  static latest() {
    return FakeWebSocket.made[FakeWebSocket.made.length - 1];
  }

  static install() {
    FakeWebSocket.made = [];
    globalThis.WebSocket = /** @type {any} */ (FakeWebSocket);
  }
}
