// @ts-check
// The header's enquiry actions: resolve, transfer (to a staff member or a tag), leave.
// (Take over is monitoring.js's.)

import { api } from "../api.js";
import { confirmDialog, field, formDialog, h, toast } from "../dom.js";
import { loadRooms } from "../rooms.js";
import { app } from "../state.js";
import { leaveTexts, staffOptionLabel, transferBody } from "./format.js";
import { reloadInfo } from "./info.js";
import { enquiryOf, isOwner } from "./rules.js";

/** @typedef {import("./state.js").RoomState} RoomState */

/** @param {RoomState} state */
export async function resolve(state) {
  if (!(await confirmDialog("Resolve enquiry", "Mark this enquiry resolved? It closes automatically later; if the customer writes again it reopens to you.", "Resolve"))) return;
  try {
    await api("POST", `/api/v1/enquiries/${enquiryOf(state.info).id}/resolve`);
    toast("Enquiry resolved.");
    await reloadInfo(state);
  } catch (err) {
    toast(err.message, "error");
  }
}

/** @param {RoomState} state */
export async function leave(state) {
  const texts = leaveTexts(isOwner(state.info, app.me.id));
  if (!(await confirmDialog("Leave room", texts.question, "Leave"))) return;
  try {
    await api("POST", `/api/v1/enquiries/${enquiryOf(state.info).id}/leave`);
    toast(texts.done);
    await loadRooms();
    app.navigate("/app/");
  } catch (err) {
    // The transfer's target accepted a moment before this Leave: the enquiry is theirs (the
    // server says whose); nothing was closed and there is nothing left to leave.
    if (err.status === 409 && err.body && err.body.code === "transferred") {
      toast(err.message, "warn", 10000);
      await loadRooms();
      app.navigate("/app/");
      return;
    }
    toast(err.message, "error");
  }
}

/** @param {RoomState} state */
export async function transfer(state) {
  let staff = [];
  let tags = [];
  try {
    [staff, tags] = await Promise.all([api("GET", "/api/v1/staff"), api("GET", "/api/v1/tags")]).then(([s, t]) => [s.results, t.results]);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  staff = staff.filter((s) => s.id !== app.me.id && s.is_active);
  const data = await formDialog(
    "Transfer enquiry",
    (form) => {
      form.append(h("p", { class: "small muted", text: "The customer stays with you until the target accepts (60 s)." }));
      const target = h("select", { name: "target", required: true });
      target.append(h("optgroup", { label: "Staff" }, staff.map((s) => h("option", { value: `staff:${s.id}`, text: staffOptionLabel(s) }))));
      target.append(h("optgroup", { label: "Tags" }, tags.map((t) => h("option", { value: `tag:${t.name}`, text: t.name }))));
      form.append(field("Transfer to", target));
    },
    "Transfer",
  );
  if (!data) return;
  try {
    await api("POST", `/api/v1/enquiries/${enquiryOf(state.info).id}/transfer`, transferBody(String(data.get("target"))));
    toast("Transfer offered. You keep the customer until it is accepted.");
  } catch (err) {
    toast(err.message, "error");
  }
}
