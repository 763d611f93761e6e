// @ts-check
// The concurrent-limit banner of the Open Enquiry panel: at their limit an agent is offered
// no new enquiry (SPEC 3) and is told so, and why, instead of a silent empty panel. Kept
// live: the load is asked again (GET /api/v1/me/load) after each event that changes what
// the agent handles (pick up, resolve, reopen, close, transfer, take over) and on reconnect.

import { api } from "./api.js";
import { h } from "./dom.js";
import { app, on } from "./state.js";
import { limitText } from "./states.js";

const EVENTS = ["enquiry.picked_up", "enquiry.resolved", "enquiry.reopened", "enquiry.closed", "enquiry.transferred", "room.taken_over", "room.member_left", "socket.open"];

/** @type {HTMLElement | null} */
let banner = null;
/** @type {number | null} */
let timer = null;

async function refresh() {
  timer = null;
  if (!banner) return;
  try {
    const load = await api("GET", "/api/v1/me/load");
    const text = limitText(load);
    banner.textContent = text;
    banner.hidden = !text;
    banner.dataset.handling = String(load.handling);
  } catch {
    // Offline for a moment: the next event or reconnect asks again.
  }
}

/** Asks again soon; a burst of events costs one request. */
function refreshSoon() {
  if (timer == null) timer = window.setTimeout(refresh, 250);
}

export function setupLimit() {
  const list = document.getElementById("open-enquiries");
  if (!list) return;
  banner = h("p", { id: "limit-banner", class: "limit-banner small", role: "status", hidden: true });
  list.before(banner);
  for (const type of EVENTS) on(type, refreshSoon);
  on("staff.availability", (data) => data.staff_id === app.me.id && refreshSoon());
}
