// @ts-check
// Sending a file: the server's size limit checked first, then an upload with its progress
// bar above the composer; the file message replaces nothing (it comes back as the answer).

import { upload } from "../api.js";
import { clear, h, toast } from "../dom.js";
import { app } from "../state.js";
import { cancelReply, newClientId } from "./composer.js";
import { errorText, tooLargeText, uploadLabel, uploadPercent } from "./format.js";
import { upsert } from "./messages.js";
import { gettext, interpolate } from "../../i18n.js";

/** @typedef {import("./state.js").RoomState} RoomState */

/**
 * Uploads a file chosen in the composer.
 * @param {RoomState} state
 * @param {File} file
 */
export async function sendFile(state, file) {
  const { progress } = state.ui;
  if (file.size > app.boot.max_upload_bytes) return toast(tooLargeText(app.boot.max_upload_bytes), "error");
  const form = new FormData();
  form.append("file", file);
  form.append("client_id", newClientId());
  if (state.replyTo) form.append("reply_to", String(state.replyTo));
  const bar = h("progress", { max: 100, value: 0, "aria-label": interpolate(gettext("Uploading %(name)s"), { name: file.name }) });
  const label = h("span", { class: "small", text: uploadLabel(file.name, 0) });
  clear(progress, label, bar);
  progress.hidden = false;
  try {
    const message = await upload(`/api/v1/rooms/${state.roomId}/files`, form, (f) => {
      bar.value = uploadPercent(f);
      label.textContent = uploadLabel(file.name, f);
    });
    upsert(state, message);
    cancelReply(state);
  } catch (err) {
    toast(errorText(err, [404], gettext("File upload is not available yet.")), "error");
  } finally {
    progress.hidden = true;
  }
}

/**
 * The file input's listener.
 * @param {RoomState} state
 */
export function wireUpload(state) {
  const { fileInput } = state.ui;
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    await sendFile(state, file);
  });
}
