// Unit tests of the voice recorder (static/js/recorder.js) over a fake microphone and a fake
// MediaRecorder: the format asked for, the file given, the microphone released, the stop at
// the maximum length, cancel, and the errors when recording cannot start.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";

import { startRecording } from "../../static/js/recorder.js";

/** @type {{stopped: number, asked: number, refuse: string | null, recorders: FakeRecorder[], supported: string[]}} */
let world;

class FakeRecorder extends EventTarget {
  /** @param {any} stream @param {{mimeType?: string}} [options] */
  constructor(stream, options = {}) {
    super();
    this.stream = stream;
    this.mimeType = options.mimeType || "audio/webm";
    this.state = "inactive";
    world.recorders.push(this);
  }
  /** @param {string} type */
  static isTypeSupported(type) {
    return world.supported.includes(type);
  }
  start() {
    this.state = "recording";
  }
  stop() {
    if (this.state === "inactive") return;
    this.state = "inactive";
    // As browsers do: the data, then "stop", after the call returns.
    setTimeout(() => {
      const data = new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3])], { type: this.mimeType });
      this.dispatchEvent(Object.assign(new Event("dataavailable"), { data }));
      this.dispatchEvent(new Event("stop"));
    }, 0);
  }
}

beforeEach(() => {
  world = { stopped: 0, asked: 0, refuse: null, recorders: [], supported: ["audio/webm;codecs=opus", "audio/webm"] };
  const track = { stop: () => (world.stopped += 1) };
  Object.defineProperty(globalThis, "navigator", {
    configurable: true,
    value: {
      mediaDevices: {
        getUserMedia: async () => {
          world.asked += 1;
          if (world.refuse) throw Object.assign(new Error("refused"), { name: world.refuse });
          return { getTracks: () => [track] };
        },
      },
    },
  });
  globalThis.MediaRecorder = /** @type {any} */ (FakeRecorder);
});

afterEach(() => {
  delete globalThis.navigator;
  delete globalThis.MediaRecorder;
});

describe("recorder", () => {
  it("records in the preferred format and gives a file, the microphone released", async () => {
    const recording = await startRecording();
    const [recorder] = world.recorders;
    assert.equal(recorder.mimeType, "audio/webm;codecs=opus");
    assert.equal(recorder.state, "recording");
    const file = await recording.finish();
    assert.ok(file instanceof File);
    assert.match(file.name, /^voice-message-\d{4}-\d{2}-\d{2}-\d{4}\.webm$/);
    assert.equal(file.type, "audio/webm;codecs=opus");
    assert.equal(file.size, 7);
    assert.equal(world.stopped, 1);
    assert.ok(recording.elapsed() >= 0);
  });

  it("stops by itself at the maximum length and keeps what it recorded", async () => {
    let limited = 0;
    const recording = await startRecording({ maxSeconds: 0.02, onLimit: () => (limited += 1) });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(limited, 1);
    assert.equal(world.recorders[0].state, "inactive");
    assert.equal(world.stopped, 1);
    const frozen = recording.elapsed();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(recording.elapsed(), frozen); // the time stopped with the recording
    assert.equal((await recording.finish()).size, 7);
  });

  it("drops a cancelled recording", async () => {
    const recording = await startRecording();
    recording.cancel();
    assert.equal(world.stopped, 1);
    assert.equal(await recording.finish(), null);
  });

  it("rejects with the browser's reason when the microphone is refused", async () => {
    world.refuse = "NotAllowedError";
    await assert.rejects(startRecording(), { name: "NotAllowedError" });
    assert.equal(world.recorders.length, 0);
  });

  it("rejects as not supported without MediaRecorder, asking for nothing", async () => {
    delete globalThis.MediaRecorder;
    await assert.rejects(startRecording(), { name: "NotSupportedError" });
    assert.equal(world.asked, 0);
  });

  it("lets the browser choose when it names none of the formats", async () => {
    world.supported = [];
    const recording = await startRecording();
    assert.equal(world.recorders[0].mimeType, "audio/webm");
    recording.cancel();
  });
});
