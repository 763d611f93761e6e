// @ts-check
// The room's header (name, subtitle, enquiry actions), the monitoring banner (with join and
// take over for admins), and whether the composer can be used.

import { clear, h } from "../dom.js";
import { app } from "../state.js";
import { enquiryBanner } from "./enquiry_actions.js";
import { composerPlaceholder, roomSubtitle, roomTitle } from "./format.js";
import { paintResolved } from "./resolved.js";
import { headActions, isReadOnly, monitorActions, rateInviteAllowed } from "./rules.js";
import { paintSmsAction } from "./sms.js";
import { gettext } from "../../i18n.js";
import { transcriptDownloads } from "../transcript_links.js";

/** @typedef {import("./state.js").RoomState} RoomState */

/**
 * Paints the header and the banner from state.info and state.monitor.
 * @param {RoomState} state
 */
export function paintHead(state) {
  const { info, monitor } = state;
  const { title, subtitle, actions, banner, composer, textarea, send, fileInput } = state.ui;
  const on = state.handlers;
  title.textContent = roomTitle(info, state.roomId);
  subtitle.textContent = roomSubtitle(info);

  const buttons = {
    resolve: () => h("button", { type: "button", class: "primary small-button", text: gettext("Resolve"), onclick: on.resolve }),
    transfer: () => h("button", { type: "button", class: "small-button", text: gettext("Transfer"), onclick: on.transfer }),
    leave: () => h("button", { type: "button", class: "small-button", text: gettext("Leave"), onclick: on.leave }),
    takeOver: () => h("button", { type: "button", class: "small-button", text: gettext("Take over"), onclick: on.takeOver }),
    join: () => h("button", { type: "button", class: "small-button", text: gettext("Join"), onclick: on.join }),
  };
  const viewer = { monitor, meId: app.me.id, isAdmin: app.me.is_admin };
  const smsSlot = h("span", { class: "sms-action" });
  clear(
    actions,
    headActions(info, viewer).map((a) => buttons[a]()),
    rateInviteAllowed(info, viewer)
      ? h("button", { type: "button", class: "small-button", "data-action": "rating-invite", text: gettext("Ask for a rating"), onclick: on.rateInvite })
      : null,
    smsSlot,
    info && info.enquiry ? transcriptDownloads(info.enquiry.id) : null,
  );
  paintSmsAction(state, smsSlot); // filled once the server says an SMS can go
  const enquiryNotice = enquiryBanner(state); // an offer, or a missed enquiry's follow-up
  if (enquiryNotice) {
    banner.hidden = false;
    clear(banner, ...enquiryNotice);
  } else if (monitor) {
    banner.hidden = false;
    clear(banner, h("strong", { text: gettext("Monitoring (read-only). ") }), gettext("You see this room live; nobody is told and no read state changes."));
    banner.append(...monitorActions(info, app.me.is_admin).map((a) => buttons[a]()));
  } else banner.hidden = true;

  const ro = isReadOnly(info, monitor);
  composer.hidden = monitor;
  textarea.disabled = ro;
  send.disabled = ro;
  fileInput.disabled = ro;
  textarea.placeholder = composerPlaceholder(ro, monitor);
  paintResolved(state); // a resolved enquiry: when it auto-closes, keep open, close now
}
