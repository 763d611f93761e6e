// @ts-check
// The header's enquiry actions: resolve, transfer (to a staff member or a tag), leave.
// (Take over is monitoring.js's.) And the banner of an enquiry looked at without taking
// part: an offer (Pick up / Reject, panel.js's: accept before chatting) and a missed
// enquiry's follow-up (the customer's note, Follow up, Mark handled, Assign).

import { gettext, interpolate } from "../../i18n.js";
import { api } from "../api.js";
import { confirmDialog, field, formDialog, h, toast } from "../dom.js";
import { noteFiles } from "../note_files.js";
import { offerButtons } from "../panel.js";
import { loadRooms } from "../rooms.js";
import { app, emit, on } from "../state.js";
import { leaveTexts, staffOptionLabel, transferBody } from "./format.js";
import { paintHead } from "./head.js";
import { reloadInfo } from "./info.js";
import { enquiryOf, isOwner } from "./rules.js";
import { tagThenRetry } from "./tags_picker.js";

/** @typedef {import("./state.js").RoomState} RoomState */

/** @param {RoomState} state */
export async function resolve(state) {
  if (!(await confirmDialog("Resolve enquiry", "Mark this enquiry resolved? It closes automatically later; if the customer writes again it reopens to you.", "Resolve"))) return;
  try {
    await api("POST", `/api/v1/enquiries/${enquiryOf(state.info).id}/resolve`);
    toast(gettext("Enquiry resolved."));
    await reloadInfo(state);
  } catch (err) {
    // The admin requires a conversation tag: say so, let the owner pick tags, resolve again.
    const retried = await tagThenRetry(enquiryOf(state.info), err, () => resolveNow(state), gettext("Save tags and resolve")).catch((again) => {
      toast(again.message, "error");
      return true;
    });
    if (!retried) toast(err.message, "error");
  }
}

/** @param {RoomState} state */
async function resolveNow(state) {
  await api("POST", `/api/v1/enquiries/${enquiryOf(state.info).id}/resolve`);
  toast(gettext("Enquiry resolved."));
  await reloadInfo(state);
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

/**
 * Asks the customer for a rating: the widget shows its rating card (409 once rated).
 * @param {RoomState} state
 */
export async function rateInvite(state) {
  try {
    await api("POST", `/api/v1/enquiries/${enquiryOf(state.info).id}/rating-invite`);
    toast(gettext("The customer was asked for a rating."));
  } catch (err) {
    toast(err.message, "error");
    if (err.status === 409) await reloadInfo(state);
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
      form.append(h("p", { class: "small muted", text: gettext("The customer stays with you until the target accepts (60 s).") }));
      const target = h("select", { name: "target", required: true });
      target.append(h("optgroup", { label: gettext("Staff") }, staff.map((s) => h("option", { value: `staff:${s.id}`, text: staffOptionLabel(s) }))));
      target.append(h("optgroup", { label: gettext("Tags") }, tags.map((t) => h("option", { value: `tag:${t.name}`, text: t.name }))));
      form.append(field("Transfer to", target));
    },
    "Transfer",
  );
  if (!data) return;
  try {
    await api("POST", `/api/v1/enquiries/${enquiryOf(state.info).id}/transfer`, transferBody(String(data.get("target"))));
    toast(gettext("Transfer offered. You keep the customer until it is accepted."));
  } catch (err) {
    toast(err.message, "error");
  }
}

// ------------------------------------------------------------------ offer and missed follow-up

/** @type {WeakMap<RoomState, {offered: boolean, transfer: boolean}>} what GET /enquiries/<id> said */
const offers = new WeakMap();

/**
 * The banner's content for an enquiry on offer to the viewer (looked at before picking it
 * up) or missed (its follow-up); null otherwise (head.js then draws the monitoring banner).
 * @param {RoomState} state
 * @returns {(Node | string)[] | null}
 */
export function enquiryBanner(state) {
  const e = enquiryOf(state.info);
  if (!e) return null;
  if (e.status === "missed") return followUpBanner(state, e);
  const offer = offers.get(state);
  if (!state.info.me && offer && offer.offered) {
    return [
      h("strong", { text: offer.transfer ? gettext("Transfer offered to you. ") : gettext("Offered to you. ") }),
      gettext("Pick it up to chat with the customer; until then you only look. "),
      h("span", { class: "offer-actions" }, offerButtons({ id: e.id, visitor: state.info.visitor }, { transfer: offer.transfer })),
    ];
  }
  return null;
}

/**
 * @param {RoomState} state
 * @param {import("./state.js").RoomEnquiry} e
 * @returns {(Node | string)[]}
 */
function followUpBanner(state, e) {
  const f = e.follow_up || { handled: false, handled_at: null, handled_by: null, assignee: null };
  const note = e.note;
  const reason = (e.missed_reason || "").replaceAll("_", " ");
  const status = f.handled
    ? interpolate(gettext("Handled by %(name)s."), { name: f.handled_by ? f.handled_by.display_name : "—" })
    : gettext("Not handled yet.");
  const buttons = [];
  if (!state.info.me) {
    buttons.push(h("button", { type: "button", class: "primary small-button", text: gettext("Follow up"), onclick: () => followUpJoin(state) }));
  }
  buttons.push(
    h("button", { type: "button", class: "small-button", text: f.handled ? gettext("Mark not handled") : gettext("Mark handled"), onclick: () => followUpSet(state, { handled: !f.handled }) }),
    h("button", { type: "button", class: "small-button", text: gettext("Assign…"), onclick: () => followUpAssign(state) }),
  );
  return [
    h(
      "div",
      { class: "follow-up-card", role: "region", "aria-label": gettext("Missed enquiry follow-up") },
      h("p", {}, h("strong", { text: gettext("Missed enquiry") }), reason ? ` (${reason}). ` : ". ", status, f.assignee ? " " + interpolate(gettext("Assigned to %(name)s."), { name: f.assignee.display_name }) : ""),
      note
        ? h(
            "blockquote",
            { class: "follow-up-note" },
            h("p", { class: "note-text", text: note.text }),
            noteFiles(note),
            note.contact ? h("p", { class: "small" }, `${gettext("Contact")}: `, h("strong", { class: "note-contact", text: note.contact })) : null,
          )
        : h("p", { class: "small muted", text: gettext("The customer left no note.") }),
      h(
        "p",
        { class: "small muted" },
        state.info.me
          ? gettext("Your reply goes to the customer by the channel they came from (a widget visitor reads it when they come back, and gets it by email when they left an address).")
          : gettext("Follow up to reply to the customer by the channel they came from."),
      ),
      h("div", { class: "actions" }, buttons),
    ),
  ];
}

/** @param {RoomState} state */
async function followUpJoin(state) {
  try {
    await api("POST", `/api/v1/enquiries/${enquiryOf(state.info).id}/follow-up`);
    if (state.stale()) return;
    // The same view takes part from now on (no second load of the room): a member, on screen.
    state.monitor = false;
    app.currentRoom = state.roomId;
    await reloadInfo(state);
    if (state.stale()) return;
    toast(gettext("You are following up this enquiry: write to the customer below."));
    state.ui.textarea.focus();
    loadRooms().then(() => emit("route", {}));
  } catch (err) {
    toast(err.message, "error");
  }
}

/**
 * @param {RoomState} state
 * @param {{handled?: boolean, assignee?: number | null}} changes
 */
async function followUpSet(state, changes) {
  try {
    const e = await api("PATCH", `/api/v1/enquiries/${enquiryOf(state.info).id}/follow-up`, changes);
    const f = e.follow_up || {};
    if ("handled" in changes) toast(f.handled ? gettext("Marked handled.") : gettext("Marked not handled."));
    else toast(f.assignee ? interpolate(gettext("Assigned to %(name)s."), { name: f.assignee.display_name }) : gettext("Unassigned."));
    await reloadInfo(state);
  } catch (err) {
    toast(err.message, "error");
  }
}

/** @param {RoomState} state */
async function followUpAssign(state) {
  let staff = [];
  try {
    staff = (await api("GET", "/api/v1/staff")).results.filter((s) => s.is_active);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  const current = enquiryOf(state.info).follow_up?.assignee?.id ?? "";
  const data = await formDialog(
    gettext("Assign the follow-up"),
    (form) => {
      const select = h(
        "select",
        { name: "assignee", id: "follow-up-assignee" },
        h("option", { value: "", text: gettext("Nobody") }),
        staff.map((s) => h("option", { value: String(s.id), text: staffOptionLabel(s), selected: s.id === current })),
      );
      form.append(field(gettext("Colleague"), select));
    },
    gettext("Assign"),
  );
  if (!data) return;
  const value = String(data.get("assignee") || "");
  await followUpSet(state, { assignee: value ? Number(value) : null });
}

/**
 * Asks whether the enquiry is offered to the viewer when they look without being a member,
 * then redraws the banner; and follows the enquiry's changes (taken, missed, followed up).
 * @param {RoomState} state
 */
export function wireEnquiryBanner(state) {
  const e = enquiryOf(state.info);
  if (!e) return;
  if (!state.info.me && ["open", "handling"].includes(e.status)) {
    api("GET", `/api/v1/enquiries/${e.id}`)
      .then((found) => {
        if (state.stale()) return;
        offers.set(state, { offered: Boolean(found.offered), transfer: Boolean(found.transfer && found.transfer.to_staff === app.me.id) });
        paintHead(state);
      })
      .catch(() => {});
  }
  for (const type of ["enquiry.follow_up", "enquiry.taken", "enquiry.missed", "enquiry.picked_up"]) {
    state.disposers.push(
      on(type, (data) => {
        const id = data.enquiry_id || (data.enquiry && data.enquiry.id);
        const current = enquiryOf(state.info);
        if (!current || id !== current.id || state.stale()) return;
        offers.delete(state);
        reloadInfo(state);
      }),
    );
  }
}
