// Unit tests of static/js/socket.js over a fake WebSocket and mocked timers.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";

import { CCSocket } from "../../static/js/socket.js";
import { FakeWebSocket } from "./fake_websocket.js";

/** @param {any} [options] */
function start(options = {}) {
  const events = [];
  const states = [];
  const socket = new CCSocket("ws://test/ws/", {
    onEvent: (e) => events.push(e),
    onState: (s, code) => states.push(code === undefined ? s : `${s}:${code}`),
    ...options,
  });
  return { socket, events, states, ws: FakeWebSocket.latest() };
}

const message = (id, room = 7, extra = {}) => ({ id, room, text: `m${id}`, ...extra });

describe("CCSocket", () => {
  beforeEach(() => {
    FakeWebSocket.install();
    mock.timers.enable({ apis: ["setTimeout"] });
    mock.method(Math, "random", () => 0.5); // the jitter factor is then exactly 1
  });
  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  it("reports connecting then open", () => {
    const { ws, states } = start();
    ws.open();
    assert.deepEqual(states, ["connecting", "open"]);
  });

  it("reconnects with a doubling, capped back-off", () => {
    const { ws, states } = start({ maxDelayMs: 4000 });
    ws.open();
    ws.serverClose(1006);
    assert.equal(states.at(-1), "reconnecting");
    assert.equal(FakeWebSocket.made.length, 1);
    mock.timers.tick(999);
    assert.equal(FakeWebSocket.made.length, 1, "no retry before 1 s (500 ms * 2)");
    mock.timers.tick(1);
    assert.equal(FakeWebSocket.made.length, 2);
    FakeWebSocket.latest().serverClose(1006); // second failure in a row: 2 s
    mock.timers.tick(1999);
    assert.equal(FakeWebSocket.made.length, 2);
    mock.timers.tick(1);
    assert.equal(FakeWebSocket.made.length, 3);
    FakeWebSocket.latest().serverClose(1006); // third: 4 s (the cap)
    mock.timers.tick(4000);
    assert.equal(FakeWebSocket.made.length, 4);
    FakeWebSocket.latest().serverClose(1006); // fourth: 8 s, capped to 4 s
    mock.timers.tick(4000);
    assert.equal(FakeWebSocket.made.length, 5);
    FakeWebSocket.latest().open();
    FakeWebSocket.latest().serverClose(1006); // an open resets the back-off
    mock.timers.tick(1000);
    assert.equal(FakeWebSocket.made.length, 6);
  });

  it("reconnects after 4503 (realtime link lost) but not after 4001 or 4401", () => {
    for (const [code, reconnects] of [
      [4503, true],
      [4001, false],
      [4401, false],
    ]) {
      FakeWebSocket.install();
      const { ws, states } = start();
      ws.open();
      ws.serverClose(code);
      mock.timers.tick(60000);
      assert.equal(FakeWebSocket.made.length, reconnects ? 2 : 1, `close code ${code}`);
      if (!reconnects) assert.equal(states.at(-1), `closed:${code}`);
    }
  });

  it("does not reconnect after close()", () => {
    const { socket, ws, states } = start();
    ws.open();
    socket.close();
    mock.timers.tick(60000);
    assert.equal(FakeWebSocket.made.length, 1);
    assert.equal(states.at(-1), "closed:1000");
  });

  it("queues messages while connecting and sends them on open", () => {
    const { socket, ws } = start();
    socket.send({ type: "typing", room: 7 });
    assert.deepEqual(ws.sent, []);
    ws.open();
    assert.deepEqual(ws.sent, [{ type: "typing", room: 7 }]);
  });

  it("sends a post again after a reconnect until it is acknowledged", () => {
    const { socket, ws } = start();
    ws.open();
    const clientId = socket.post(7, "hello");
    assert.deepEqual(ws.sent, [{ type: "message.post", room: 7, text: "hello", client_id: clientId }]);
    ws.serverClose(1006); // dropped before the answer came
    mock.timers.tick(1000);
    const second = FakeWebSocket.latest();
    second.open();
    const posts = second.sent.filter((m) => m.type === "message.post");
    assert.deepEqual(posts, [{ type: "message.post", room: 7, text: "hello", client_id: clientId }]);
    second.receive({ type: "message.ack", data: { client_id: clientId } });
    second.serverClose(1006);
    mock.timers.tick(1000);
    const third = FakeWebSocket.latest();
    third.open();
    assert.deepEqual(
      third.sent.filter((m) => m.type === "message.post"),
      [],
      "an acknowledged post is not sent again",
    );
  });

  it("sends a post written while disconnected exactly once on open", () => {
    const { socket, ws } = start();
    const clientId = socket.post(7, "early", { client_id: "c-1" });
    assert.equal(clientId, "c-1");
    ws.open();
    assert.deepEqual(
      ws.sent.filter((m) => m.type === "message.post").map((m) => m.client_id),
      ["c-1"],
    );
  });

  it("retries a post refused with a 5xx after a pause, and drops one refused with a 4xx", () => {
    const { socket, ws, events } = start();
    ws.open();
    socket.post(7, "a", { client_id: "five" });
    socket.post(7, "b", { client_id: "four" });
    ws.sent.length = 0;
    ws.receive({ type: "error", data: { request: "message.post", client_id: "five", status: 503 } });
    ws.receive({ type: "error", data: { request: "message.post", client_id: "four", status: 400 } });
    assert.equal(events[0].data.retrying, true);
    assert.equal(events[1].data.retrying, undefined);
    mock.timers.tick(1999);
    assert.deepEqual(ws.sent, []);
    mock.timers.tick(1);
    assert.deepEqual(
      ws.sent.map((m) => m.client_id),
      ["five"],
    );
    assert.deepEqual([...socket.unacked.keys()], ["five"]);
  });

  it("delivers each message version once", () => {
    const { ws, events } = start();
    ws.open();
    ws.receive({ type: "message.created", data: { message: message(1) } });
    ws.receive({ type: "message.created", data: { message: message(1) } }); // through a second group
    ws.receive({ type: "message.edited", data: { message: message(1, 7, { edited_at: "t1" }) } });
    ws.receive({ type: "message.edited", data: { message: message(1, 7, { edited_at: "t1", data: { preview: {} } }) } });
    ws.receive({ type: "message.edited", data: { message: message(1, 7, { edited_at: "t1", data: { preview: {} } }) } });
    assert.deepEqual(
      events.map((e) => e.type),
      ["message.created", "message.edited", "message.edited"],
    );
  });

  it("asks for missed messages of tracked rooms after a reconnect, and de-duplicates them", () => {
    const { socket, ws, events } = start();
    socket.track(7, 10);
    socket.track(9, 3);
    socket.track(7, 4); // never goes back
    ws.open();
    assert.deepEqual(ws.sent, [{ type: "sync", rooms: { 7: 10, 9: 3 } }]);
    ws.receive({ type: "message.created", data: { message: message(11) } });
    ws.serverClose(1006);
    mock.timers.tick(1000);
    const second = FakeWebSocket.latest();
    second.open();
    assert.deepEqual(second.sent, [{ type: "sync", rooms: { 7: 11, 9: 3 } }]);
    second.receive({ type: "sync.messages", data: { messages: [message(11), message(12)] } });
    assert.deepEqual(
      events.map((e) => [e.type, e.data.message.id]),
      [
        ["message.created", 11],
        ["message.created", 12],
      ],
    );
    assert.equal(socket.lastIds.get(7), 12);
  });

  it("does not move a room's last id on an ack: an earlier message may still be on its way", () => {
    const { socket, ws, events } = start();
    ws.open();
    ws.receive({ type: "message.created", data: { message: message(10) } });
    const clientId = socket.post(7, "mine");
    ws.receive({ type: "message.ack", data: { client_id: clientId, message: message(12, 7, { client_id: clientId }) } });
    assert.equal(socket.lastIds.get(7), 10);
    ws.serverClose(1006);
    mock.timers.tick(1000);
    const second = FakeWebSocket.latest();
    second.open();
    assert.deepEqual(second.sent, [{ type: "sync", rooms: { 7: 10 } }]);
    // Message 11 (the other side's) was committed before the ack but never arrived live.
    second.receive({ type: "sync.messages", data: { messages: [message(11), message(12, 7, { client_id: clientId })] } });
    assert.deepEqual(
      events.filter((e) => e.type === "message.created").map((e) => e.data.message.id),
      [10, 11],
    );
    assert.equal(socket.lastIds.get(7), 12);
  });

  it("sends the watches again after a reconnect", () => {
    const { socket, ws } = start();
    ws.open();
    socket.watch(5);
    socket.watch(6);
    socket.unwatch(6);
    assert.deepEqual(ws.sent, [
      { type: "watch", room: 5 },
      { type: "watch", room: 6 },
      { type: "unwatch", room: 6 },
    ]);
    ws.serverClose(1006);
    mock.timers.tick(1000);
    FakeWebSocket.latest().open();
    assert.deepEqual(FakeWebSocket.latest().sent, [{ type: "watch", room: 5 }]);
  });

  it("reconnects at once when asked while waiting out the back-off", () => {
    const { socket, ws } = start();
    ws.open();
    ws.serverClose(1006);
    socket.reconnectNow();
    assert.equal(FakeWebSocket.made.length, 2);
    socket.reconnectNow(); // connecting: left alone
    assert.equal(FakeWebSocket.made.length, 2);
  });

  it("gives up on a post after five 5xx refusals", () => {
    const { socket, ws, events } = start();
    ws.open();
    socket.post(7, "a", { client_id: "c" });
    const refuse = () => ws.receive({ type: "error", data: { request: "message.post", client_id: "c", status: 500 } });
    const waits = [2000, 4000, 8000, 16000, 32000];
    for (const wait of waits) {
      refuse();
      ws.sent.length = 0;
      mock.timers.tick(wait);
      assert.deepEqual(
        ws.sent.map((m) => m.client_id),
        ["c"],
        `sent again after ${wait} ms`,
      );
    }
    refuse(); // the sixth answer is final
    assert.equal(events.at(-1).data.retrying, undefined);
    assert.equal(socket.unacked.size, 0);
    ws.sent.length = 0;
    mock.timers.tick(120000);
    assert.deepEqual(ws.sent, []);
  });

  it("waits at least the server's retry_after before sending a refused post again", () => {
    const { socket, ws } = start();
    ws.open();
    socket.post(7, "a", { client_id: "c" });
    ws.sent.length = 0;
    ws.receive({ type: "error", data: { request: "message.post", client_id: "c", status: 503, retry_after: 5 } });
    mock.timers.tick(4999);
    assert.deepEqual(ws.sent, []);
    mock.timers.tick(1);
    assert.deepEqual(
      ws.sent.map((m) => m.client_id),
      ["c"],
    );
  });

  it("does not send a post again once it was acknowledged during the pause", () => {
    const { socket, ws } = start();
    ws.open();
    socket.post(7, "a", { client_id: "c" });
    ws.receive({ type: "error", data: { request: "message.post", client_id: "c", status: 503 } });
    ws.receive({ type: "message.ack", data: { client_id: "c", message: message(1) } });
    ws.sent.length = 0;
    mock.timers.tick(60000);
    assert.deepEqual(ws.sent, []);
    assert.equal(socket.unacked.size, 0);
  });

  it("leaves posts alone on errors of other requests", () => {
    const { socket, ws, events } = start();
    ws.open();
    socket.post(7, "a", { client_id: "c" });
    ws.receive({ type: "error", data: { request: "watch", room: 7, status: 403 } });
    ws.receive({ type: "error", data: { request: "message.post", client_id: "other", status: 400 } });
    assert.deepEqual([...socket.unacked.keys()], ["c"]);
    assert.equal(events.length, 2, "errors still reach the page");
  });

  it("on open sends the watches, then the sync, then queued messages, then unanswered posts", () => {
    const { socket, ws, states } = start();
    socket.watch(3);
    socket.track(7, 10);
    socket.send({ type: "typing", room: 7 });
    socket.post(7, "first", { client_id: "p1" });
    socket.send({ type: "read", room: 7, message: 10 });
    socket.post(7, "second", { client_id: "p2" });
    assert.deepEqual(ws.sent, []);
    ws.open();
    assert.deepEqual(
      ws.sent.map((m) => m.type + (m.client_id ? `:${m.client_id}` : "")),
      ["watch", "sync", "typing", "read", "message.post:p1", "message.post:p2"],
    );
    assert.equal(states.at(-1), "open");
  });

  it("spreads reconnect attempts by a random factor between 0.75 and 1.25", () => {
    mock.method(Math, "random", () => 0);
    const { ws } = start();
    ws.open();
    ws.serverClose(1006);
    mock.timers.tick(749);
    assert.equal(FakeWebSocket.made.length, 1);
    mock.timers.tick(1);
    assert.equal(FakeWebSocket.made.length, 2, "1 s * 0.75");
    mock.method(Math, "random", () => 0.999);
    FakeWebSocket.latest().serverClose(1006);
    mock.timers.tick(2498); // 2 s * (0.75 + 0.999 / 2) = 2499 ms
    assert.equal(FakeWebSocket.made.length, 2);
    mock.timers.tick(1);
    assert.equal(FakeWebSocket.made.length, 3, "2 s * 1.25, nearly");
  });

  it("ignores the close of a socket it has already replaced", () => {
    const { socket, ws, states } = start();
    ws.open();
    ws.serverClose(1006);
    socket.reconnectNow();
    const second = FakeWebSocket.latest();
    second.open();
    ws.fire("close", { code: 1006 }); // a late event of the first socket
    mock.timers.tick(60000);
    assert.equal(FakeWebSocket.made.length, 2);
    assert.equal(states.at(-1), "open");
  });

  it("does not reconnect on request while open, or after a final close", () => {
    const { socket, ws } = start();
    ws.open();
    socket.reconnectNow();
    assert.equal(FakeWebSocket.made.length, 1, "open: left alone");
    ws.serverClose(4001);
    socket.reconnectNow();
    mock.timers.tick(60000);
    assert.equal(FakeWebSocket.made.length, 1, "a final close stays closed");
  });

  it("passes events without a message on, and messages without an id, every time", () => {
    const { ws, events } = start();
    ws.open();
    ws.receive({ type: "typing", data: { room_id: 7 } });
    ws.receive({ type: "typing", data: { room_id: 7 } });
    ws.receive({ type: "message.created", data: { message: { room: 7, text: "no id" } } });
    ws.receive({ type: "message.created", data: { message: { room: 7, text: "no id" } } });
    assert.equal(events.length, 4);
  });

  it("treats a recall as a new version of a message, and follows rooms it hears from", () => {
    const { socket, ws, events } = start();
    ws.open();
    ws.receive({ type: "message.created", data: { message: message(4, 9) } });
    ws.receive({ type: "message.recalled", data: { message: message(4, 9, { recalled_at: "t2" }) } });
    ws.receive({ type: "message.recalled", data: { message: message(4, 9, { recalled_at: "t2" }) } });
    assert.deepEqual(
      events.map((e) => e.type),
      ["message.created", "message.recalled"],
    );
    assert.equal(socket.lastIds.get(9), 4);
  });

  it("keeps its memory of delivered versions bounded, newest kept", () => {
    const { socket, ws, events } = start();
    ws.open();
    for (let id = 1; id <= 5001; id += 1) ws.receive({ type: "message.created", data: { message: message(id) } });
    assert.equal(socket.seen.size, 2500);
    ws.receive({ type: "message.created", data: { message: message(5001) } });
    assert.equal(events.length, 5001, "a recent message is still known");
  });

  it("reconnects at once when the browser comes back online or the tab becomes visible", () => {
    const saved = { window: globalThis.window, document: globalThis.document };
    const win = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: "hidden" });
    globalThis.window = /** @type {any} */ (win);
    globalThis.document = /** @type {any} */ (doc);
    try {
      const { socket, ws } = start();
      ws.open();
      ws.serverClose(1006);
      win.dispatchEvent(new Event("online"));
      assert.equal(FakeWebSocket.made.length, 2, "online");
      FakeWebSocket.latest().serverClose(1006);
      doc.dispatchEvent(new Event("visibilitychange"));
      assert.equal(FakeWebSocket.made.length, 2, "still hidden: waits out the back-off");
      doc.visibilityState = "visible";
      doc.dispatchEvent(new Event("visibilitychange"));
      assert.equal(FakeWebSocket.made.length, 3, "visible");
      socket.close();
      const wakes = mock.method(socket, "reconnectNow");
      win.dispatchEvent(new Event("online"));
      doc.dispatchEvent(new Event("visibilitychange"));
      assert.equal(wakes.mock.callCount(), 0, "close() stops listening");
      mock.timers.tick(60000);
      assert.equal(FakeWebSocket.made.length, 3);
    } finally {
      globalThis.window = saved.window;
      globalThis.document = saved.document;
    }
  });

  it("a refused connection asks verify(): dead credentials make the close final", async () => {
    let alive = true;
    const checks = [];
    const { ws, states } = start({ verify: () => (checks.push(1), Promise.resolve(alive)) });
    ws.open();
    ws.serverClose(1006); // a drop after being open: no check
    assert.equal(checks.length, 0);
    mock.timers.tick(1000);
    FakeWebSocket.latest().serverClose(1006); // refused before opening: checked, still alive
    await Promise.resolve();
    assert.equal(checks.length, 1);
    assert.equal(states.at(-1), "reconnecting");
    alive = false; // the session ended meanwhile
    mock.timers.tick(2000);
    assert.equal(FakeWebSocket.made.length, 3);
    FakeWebSocket.latest().serverClose(1006);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(states.at(-1), "closed:4401");
    mock.timers.tick(60000);
    assert.equal(FakeWebSocket.made.length, 3, "no more attempts");
  });

  it("ignores frames that are not JSON", () => {
    const { ws, events } = start();
    ws.open();
    ws.fire("message", { data: "not json" });
    assert.deepEqual(events, []);
  });

  it("pauses posting on slow_down and resends in order from the refused post", () => {
    const { socket, ws } = start();
    ws.open();
    ["a", "b", "c"].forEach((id) => socket.post(7, id, { client_id: id }));
    assert.deepEqual(ws.sent.map((m) => m.client_id), ["a", "b", "c"]);
    ws.receive({ type: "message.ack", data: { client_id: "a", message: message(1) } });
    ws.receive({ type: "slow_down", data: { request: "message.post", client_id: "b", room: 7, retry_after_ms: 300 } });
    ws.receive({ type: "slow_down", data: { request: "message.post", client_id: "c", room: 7, retry_after_ms: 300 } });
    socket.post(7, "d", { client_id: "d" }); // written during the pause: waits
    assert.equal(ws.sent.length, 3);
    mock.timers.tick(299);
    assert.equal(ws.sent.length, 3, "nothing before retry_after_ms");
    mock.timers.tick(1);
    assert.deepEqual(ws.sent.slice(3).map((m) => m.client_id), ["b"], "the refused post alone first");
    socket.post(7, "e", { client_id: "e" }); // written while the probe waits: waits too
    assert.equal(ws.sent.length, 4);
    ws.receive({ type: "message.ack", data: { client_id: "b", message: message(2) } });
    assert.deepEqual(ws.sent.slice(4).map((m) => m.client_id), ["c", "d", "e"], "the rest in order once it is taken");
    ["c", "d", "e"].forEach((id, i) => ws.receive({ type: "message.ack", data: { client_id: id, message: message(3 + i) } }));
    assert.equal(socket.unacked.size, 0);
    socket.post(7, "f", { client_id: "f" });
    mock.timers.tick(60000);
    assert.deepEqual(ws.sent.slice(7).map((m) => m.client_id), ["f"], "each sent once after the pause");
  });

  it("slow_downs of posts sent before the first one was read keep them behind it", () => {
    // A loaded server reads b and c (sent before the client read a's slow_down) after the
    // client has sent a again: they are refused too (held behind a, server side), and the
    // client sends them again only behind a, in the order written.
    const { socket, ws } = start();
    ws.open();
    const posts = () => ws.sent.map((m) => m.client_id);
    const slow = (id, ms) =>
      ws.receive({ type: "slow_down", data: { request: "message.post", client_id: id, room: 7, retry_after_ms: ms } });
    ["a", "b", "c"].forEach((id) => socket.post(7, id, { client_id: id }));
    slow("a", 100);
    mock.timers.tick(100);
    assert.deepEqual(posts(), ["a", "b", "c", "a"], "the refused post alone");
    slow("b", 50);
    slow("c", 50);
    socket.post(7, "d", { client_id: "d" });
    mock.timers.tick(50);
    assert.deepEqual(posts().slice(4), ["b"], "the next refused one, on the wire behind a");
    slow("a", 100); // the writer was still full: a refused again, and b held behind it
    slow("b", 100);
    mock.timers.tick(100);
    assert.deepEqual(posts().slice(5), ["a"], "a alone again, before everything written after it");
    ws.receive({ type: "message.ack", data: { client_id: "a", message: message(1) } });
    assert.deepEqual(posts().slice(6), ["b", "c", "d"], "then the rest, in the order written");
  });

  it("a 503 busy pauses posting like a slow_down and resends in order from the busy post", () => {
    // The server holds the socket's later posts behind a busy one (they come back as
    // slow_down): the client must not send them before it, whatever order the answers take.
    const { socket, ws, events } = start();
    ws.open();
    const posts = () => ws.sent.map((m) => m.client_id);
    ["a", "b", "c"].forEach((id) => socket.post(7, id, { client_id: id }));
    ws.receive({ type: "slow_down", data: { request: "message.post", client_id: "b", room: 7, retry_after_ms: 50 } });
    ws.receive({
      type: "error",
      data: { request: "message.post", client_id: "a", status: 503, code: "busy", retry_after: 1 },
    });
    ws.receive({ type: "slow_down", data: { request: "message.post", client_id: "c", room: 7, retry_after_ms: 50 } });
    assert.equal(events.find((e) => e.type === "error").data.retrying, true);
    socket.post(7, "d", { client_id: "d" }); // written during the pause: waits
    mock.timers.tick(49);
    assert.deepEqual(posts(), ["a", "b", "c"]);
    mock.timers.tick(1);
    assert.deepEqual(posts().slice(3), ["a"], "the busy post alone first, not b after the shorter wait");
    ws.receive({ type: "message.ack", data: { client_id: "a", message: message(1) } });
    assert.deepEqual(posts().slice(4), ["b", "c", "d"], "then the rest, in the order written");
    ["b", "c", "d"].forEach((id, i) => ws.receive({ type: "message.ack", data: { client_id: id, message: message(2 + i) } }));
    mock.timers.tick(60000);
    assert.equal(ws.sent.length, 7, "each sent once");
    assert.equal(socket.unacked.size, 0);
  });

  it("a post busy again and again waits longer each time, and is given up after five", () => {
    const { socket, ws } = start();
    ws.open();
    socket.post(7, "a", { client_id: "a" });
    const busy = () =>
      ws.receive({
        type: "error",
        data: { request: "message.post", client_id: "a", status: 503, code: "busy", retry_after: 1 },
      });
    const waits = [];
    for (let i = 0; i < 5; i++) {
      const before = ws.sent.length;
      busy();
      let waited = 0;
      while (ws.sent.length === before && waited < 100000) {
        mock.timers.tick(100);
        waited += 100;
      }
      waits.push(waited);
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000]);
    busy(); // the sixth answer is final
    assert.equal(socket.unacked.size, 0);
  });

  it("a reconnect during a slow_down pause waits for it, then sends every unanswered post", () => {
    const { socket, ws } = start();
    ws.open();
    socket.post(7, "a", { client_id: "a" });
    socket.post(7, "b", { client_id: "b" });
    ws.receive({ type: "slow_down", data: { request: "message.post", client_id: "b", retry_after_ms: 2000 } });
    ws.serverClose(1006);
    mock.timers.tick(1000); // the reconnect
    const again = FakeWebSocket.latest();
    assert.notEqual(again, ws);
    again.open();
    assert.deepEqual(again.sent.filter((m) => m.type === "message.post"), [], "paused: no posts yet");
    mock.timers.tick(1000);
    const posts = () => again.sent.filter((m) => m.type === "message.post").map((m) => m.client_id);
    assert.deepEqual(posts(), ["a"], "the first unanswered post alone");
    again.receive({ type: "message.ack", data: { client_id: "a", message: message(1) } });
    assert.deepEqual(posts(), ["a", "b"]);
  });
});
