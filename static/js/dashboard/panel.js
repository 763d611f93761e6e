// Open Enquiry panel: enquiries offered to me (and transfers offered to me), with channel,
// visitor, first message and a live waiting time. New ones ring and notify; taken, missed,
// rejected and lapsed ones vanish at once. Admins also see every other open enquiry, as a
// read-only "waiting" row: only offered ones (enquiry.offered) can be picked up or rejected.
import { api } from "./api.js";
import { channelIcon, clear, duration, h, toast } from "./dom.js";
import { attention, notify, playAlert } from "./notify.js";
import { gettext, interpolate } from "../i18n.js";
import { enquiryKindText } from "./room/info_format.js";
import { app, emit, on } from "./state.js";
import { offerCountdown, offerTexts, offerWithdrawnText } from "./states.js";

const items = new Map(); // enquiry id -> {enquiry, transferId, li}
let list;

function waited(enquiry) {
  return (Date.now() - new Date(enquiry.created_at).getTime()) / 1000;
}

// Agents only ever get offers; an admin's copy of a new enquiry says offered: false.
const isOffered = (enquiry) => enquiry.offered !== false;

function render(entry) {
  const { enquiry, transferId } = entry;
  const offered = isOffered(enquiry);
  const visitor = enquiry.visitor || {};
  const name = visitor.name || visitor.first_name || "Visitor";
  const wait = h("span", { class: "wait", "aria-label": gettext("waiting time"), text: duration(waited(enquiry)) });
  const [reject, pick] = offerButtons(enquiry, { transfer: Boolean(transferId) });
  // The server's copy of the platform's photo (same origin), so the page loads nothing from other hosts.
  const avatar = visitor.photo_url && visitor.photo_url.startsWith("/api/")
    ? h("img", { class: "avatar", src: visitor.photo_url, alt: "", width: 28, height: 28 })
    : h("span", { class: "avatar", "aria-hidden": "true", text: (name[0] || "?").toUpperCase() });
  const li = h(
    "li",
    { class: "enquiry-card", dataset: { enquiry: enquiry.id } },
    h(
      "div",
      { class: "enquiry-head" },
      avatar,
      channelIcon(enquiry.via || enquiry.channel_kind),
      h("strong", { class: "visitor-name", text: name }),
      wait,
    ),
    transferId ? transferOffer(entry) : null,
    h("p", { class: "first-message", text: enquiry.first_message || "" }),
    // A transfer's card names its target (above), not the enquiry's old destination.
    transferId
      ? h("p", { class: "small muted enquiry-via", text: enquiryKindText(enquiry.via || enquiry.channel_kind) })
      : h("p", { class: "small muted enquiry-via", text: [enquiryKindText(enquiry.via || enquiry.channel_kind), enquiry.destination ? interpolate(gettext("To %(destination)s"), { destination: enquiry.destination.name }) : ""].filter(Boolean).join(" · ") }),
    offered
      ? h("div", { class: "actions" }, reject, pick)
      : h("p", { class: "small muted waiting-row", text: gettext("Waiting · not offered to you") }),
  );
  if (!offered) li.classList.add("read-only");
  entry.li = li;
  entry.wait = wait;
  return li;
}

/**
 * A transfer offer: who is transferring to whom, and a live countdown from the server's
 * deadline (ticked by setupPanel's timer through entry.countdown).
 */
function transferOffer(entry) {
  const transfer = entry.enquiry.transfer;
  if (!transfer) return h("p", { class: "small tag-note", text: gettext("Transfer offered to you") });
  const texts = offerTexts(transfer, app.me.id);
  const countdown = h("span", { class: "offer-countdown", role: "timer", "aria-live": "off" });
  entry.countdown = countdown;
  tickOffer(entry);
  return h(
    "div",
    { class: "transfer-offer" },
    h("p", { class: "small tag-note offer-who", text: texts.who }),
    h("p", { class: "small muted offer-target" }, texts.target, " · ", countdown),
  );
}

function tickOffer(entry) {
  const transfer = entry.enquiry.transfer;
  if (!entry.countdown || !transfer) return;
  const left = offerCountdown(transfer.deadline_at, Date.now());
  entry.countdown.textContent = left.text;
  entry.countdown.classList.toggle("urgent", left.urgent);
}

function paint() {
  const count = items.size;
  const badge = document.getElementById("panel-count");
  badge.textContent = String(count);
  badge.hidden = count === 0;
  document.getElementById("panel-empty").hidden = count > 0;
  attention("enquiries", count);
}

function add(enquiry, transferId = null, { alert = false } = {}) {
  const known = items.get(enquiry.id);
  if (known && (isOffered(known.enquiry) || !isOffered(enquiry))) return;
  addedCount += 1;
  const entry = { enquiry, transferId, added: addedCount };
  items.set(enquiry.id, entry);
  const li = render(entry);
  if (known) {
    // An admin's read-only row that turns out to be offered to them as well.
    known.li.replaceWith(li);
    paint();
    return;
  }
  // Oldest first: the one waiting longest is on top.
  const after = [...list.children].find((el) => {
    const other = items.get(Number(el.dataset.enquiry));
    return other && new Date(other.enquiry.created_at) > new Date(enquiry.created_at);
  });
  list.insertBefore(li, after || null);
  paint();
  if (alert && isOffered(enquiry)) {
    playAlert();
    const name = (enquiry.visitor && enquiry.visitor.name) || "A visitor";
    const kind = enquiryKindText(enquiry.via || enquiry.channel_kind); // "Web link enquiry", not "Widget enquiry"
    notify(transferId ? `Transfer: ${name}` : `${kind}: ${name}`, enquiry.first_message || "", () => {});
  }
}

// Transfer offers dropped from the panel lately (transfer id -> visitor name), so that the
// enquiry.transferred event that says why can still be told.
const offersGone = new Map();

const visitorName = (enquiry) => (enquiry.visitor && enquiry.visitor.name) || "Visitor";

export function removeEnquiry(id) {
  const entry = items.get(id);
  if (!entry) return;
  items.delete(id);
  if (entry.transferId) {
    offersGone.set(entry.transferId, visitorName(entry.enquiry));
    setTimeout(() => offersGone.delete(entry.transferId), 30000);
  }
  entry.li.remove();
  paint();
}

// Pick up (or accept a transfer) and reject: the one way to act on an offer, used by this
// panel, the lists (lists.js) and the room of an offered enquiry (room/enquiry_actions.js).

/**
 * Picks up an offered enquiry (or accepts its transfer) and opens its room. An offer that
 * is gone (taken, missed, withdrawn) leaves the panel with the server's reason.
 * @param {number} id
 * @param {HTMLButtonElement} button disabled while the request runs
 * @returns {Promise<boolean>} picked up
 */
export async function pickUpEnquiry(id, button) {
  button.disabled = true;
  try {
    const enquiry = await api("POST", `/api/v1/enquiries/${id}/pick-up`);
    removeEnquiry(id);
    emit("rooms.refresh", {});
    if (enquiry.room) app.navigate(`/app/rooms/${enquiry.room}`);
    return true;
  } catch (err) {
    if (err.status === 409 || err.status === 403 || err.status === 404) removeEnquiry(id);
    toast(err.message, "error");
    button.disabled = false;
    return false;
  }
}

/**
 * Rejects an offered enquiry (or transfer): it leaves my panel only.
 * @param {number} id
 * @param {HTMLButtonElement} button disabled while the request runs
 * @returns {Promise<boolean>} rejected
 */
export async function rejectEnquiry(id, button) {
  button.disabled = true;
  try {
    await api("POST", `/api/v1/enquiries/${id}/reject`);
    removeEnquiry(id);
    return true;
  } catch (err) {
    if (err.status === 409) removeEnquiry(id);
    toast(err.message, "error");
    button.disabled = false;
    return false;
  }
}

/**
 * The Pick up (or Accept) and Reject buttons of an offer, as the panel draws them.
 * @param {{id: number, visitor?: {name?: string}}} enquiry
 * @param {{transfer?: boolean, onDone?: () => void}} [options]
 * @returns {HTMLButtonElement[]} [reject, pick up]
 */
export function offerButtons(enquiry, { transfer = false, onDone = () => {} } = {}) {
  const name = (enquiry.visitor && enquiry.visitor.name) || gettext("Visitor");
  const pick = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "primary small-button", text: transfer ? gettext("Accept") : gettext("Pick up") }));
  const reject = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "small-button", text: gettext("Reject") }));
  pick.setAttribute("aria-label", interpolate(transfer ? gettext("Accept transfer of enquiry from %(name)s") : gettext("Pick up enquiry from %(name)s"), { name }));
  reject.setAttribute("aria-label", interpolate(gettext("Reject enquiry from %(name)s"), { name }));
  pick.addEventListener("click", async () => {
    if (await pickUpEnquiry(enquiry.id, pick)) onDone();
  });
  reject.addEventListener("click", async () => {
    if (await rejectEnquiry(enquiry.id, reject)) onDone();
  });
  return [reject, pick];
}

// Rows added so far: a list that was asked for before a row came live (enquiry.opened while
// the request ran) must not drop that row as gone.
let addedCount = 0;

async function load() {
  try {
    const before = addedCount;
    const page = await api("GET", "/api/v1/enquiries?status=open&page_size=100");
    const fresh = new Set();
    for (const enquiry of page.results || []) {
      // (Admins get every open enquiry here; those not offered to them stay read-only.)
      fresh.add(enquiry.id);
      // A pending transfer offered to me (to me or to one of my tags): the row is its offer.
      const transferId = enquiry.transfer && enquiry.status !== "open" ? enquiry.transfer.id : null;
      const known = items.get(enquiry.id);
      if (known && isOffered(known.enquiry) !== isOffered(enquiry)) removeEnquiry(enquiry.id); // offer changed
      add(enquiry, transferId);
    }
    for (const [id, entry] of [...items.entries()]) if (!fresh.has(id) && entry.added <= before) removeEnquiry(id);
  } catch (err) {
    toast(interpolate(gettext("Open enquiries: %(error)s"), { error: err.message }), "error");
  }
}

export function setupPanel() {
  list = document.getElementById("open-enquiries");
  clear(list);
  paint();
  on("enquiry.opened", (data) => {
    add(data.enquiry, data.transfer_id || null, { alert: true });
  });
  for (const type of ["enquiry.taken", "enquiry.missed", "enquiry.rejected", "enquiry.closed", "enquiry.picked_up"]) {
    on(type, (data) => {
      const id = data.enquiry_id || (data.enquiry && data.enquiry.id);
      // picked_up reaches admins for every enquiry: drop it only when it is not an offered transfer.
      if (type === "enquiry.picked_up" && items.get(id) && items.get(id).transferId) return;
      removeEnquiry(id);
    });
  }
  on("enquiry.transferred", (data) => {
    const entry = items.get(data.enquiry_id);
    const live = entry && entry.transferId === data.transfer_id;
    if (data.state === "offered" || !(live || offersGone.has(data.transfer_id))) return;
    // An offer that went before I answered: say why, not just vanish (its enquiry.taken may
    // have dropped the card a moment before this event came).
    const visitor = live ? visitorName(entry.enquiry) : offersGone.get(data.transfer_id);
    offersGone.delete(data.transfer_id);
    if (live) removeEnquiry(data.enquiry_id);
    const why = data.state === "lapsed" ? offerWithdrawnText(data, visitor) : "";
    if (why) toast(why, "warn", 10000);
  });
  on("socket.open", load); // first connect and every reconnect: catch up with what changed
  setInterval(() => {
    items.forEach((entry) => {
      entry.wait.textContent = duration(waited(entry.enquiry));
      tickOffer(entry);
    });
  }, 1000);
}
