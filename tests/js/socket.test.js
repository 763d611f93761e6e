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

  it("ignores frames that are not JSON", () => {
    const { ws, events } = start();
    ws.open();
    ws.fire("message", { data: "not json" });
    assert.deepEqual(events, []);
  });
});
