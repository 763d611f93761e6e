// Recent Connections: my rooms (enquiry, direct, space), each row with the customer's or
// colleague's avatar (or initials), the channel, the last message and its time, the unread
// count and how long a customer has waited; sorted by newest activity or by who has waited
// longest. Each row has a menu (its notifications: all, @mentions, mute) reachable by
// keyboard. The workspace badge counts rooms with unread messages, muted rooms left out;
// the tab's title counts their unread messages. Live over the socket. New direct chat and
// new space dialogs.
import { api } from "./api.js";
import { channelIcon, clear, field, formDialog, h, toast, uid } from "./dom.js";
import { gettext, interpolate, ngettext } from "../i18n.js";
import { attention, notify, playAlert } from "./notify.js";
import { applyChange, applyMessage, initials, longestWaiting, previewLine, rowTime, sortRows, unreadTotals, waitedFor } from "./roomrows.js";
import { app, emit, on } from "./state.js";
import { transferEndedToast } from "./states.js";

let list;
let sortSelect;
let longestLine;
const KIND_ICONS = { enquiry: "◉", direct: "@", space: "#", conference: "☎" };
const SORT_KEY = "cc.roomSort";
const MUTE_CHOICES = [
  ["all", () => gettext("All messages")],
  ["mentions", () => gettext("Only @mentions")],
  ["mute", () => gettext("Mute")],
];
/** The row whose menu is open: the list is not redrawn under it (redrawn when it closes). */
let menuOpen = null;
let dirty = false;

function sortMode() {
  return localStorage.getItem(SORT_KEY) === "waiting" ? "waiting" : "recent";
}

function avatar(room) {
  const name = room.title || room.name || "";
  // Only the server's copies (same origin): the page's CSP loads no third-party image.
  if (room.avatar_url && room.avatar_url.startsWith("/")) return h("img", { class: "room-avatar", src: room.avatar_url, alt: "", width: 32, height: 32, loading: "lazy" });
  return h("span", { class: `room-avatar initials av-${room.id % 6}`, "aria-hidden": "true", text: initials(name) });
}

function rowView(room, longest, now) {
  const current = room.id === app.currentRoom;
  const unread = current ? 0 : room.unread || 0;
  const muted = room.mute === "mute";
  const status = room.enquiry ? room.enquiry.status : "";
  const title = room.title || room.name || interpolate(gettext("Room %(id)s"), { id: room.id });
  const kindMark = room.channel ? channelIcon(room.channel) : h("span", { class: "room-kind", "aria-hidden": "true", text: KIND_ICONS[room.kind] || "•" });
  const waiting = room.waiting_since
    ? h("span", {
        class: `waiting-chip${longest ? " waiting-longest" : ""}`,
        title: longest ? gettext("Waiting longest for an answer") : gettext("Waiting for an answer"),
        text: interpolate(gettext("waiting %(time)s"), { time: waitedFor(room.waiting_since, now) }),
      })
    : null;
  const link = h(
    "a",
    {
      href: `/app/rooms/${room.id}`,
      "data-nav": true,
      class: "room-link",
      "aria-current": current ? "page" : null,
    },
    avatar(room),
    h(
      "span",
      { class: "room-main" },
      h(
        "span",
        { class: "room-line" },
        h("span", { class: "room-title", text: title }),
        room.last_message_at ? h("time", { class: "room-time", datetime: room.last_message_at, text: rowTime(room.last_message_at, new Date(now)) }) : null,
      ),
      h(
        "span",
        { class: "room-line" },
        kindMark,
        h("span", { class: "room-preview", text: previewLine(room.last_message, app.me.id) }),
        unread
          ? h("span", {
              class: `badge${muted ? " badge-muted" : ""}`,
              "aria-label": muted ? interpolate(ngettext("%(n)s unread (muted)", "%(n)s unread (muted)", unread), { n: unread }) : interpolate(ngettext("%(n)s unread", "%(n)s unread", unread), { n: unread }),
              text: String(unread),
            })
          : null,
      ),
      waiting || status || (room.mute && room.mute !== "all")
        ? h(
            "span",
            { class: "room-line room-flags" },
            waiting,
            status ? h("span", { class: `status status-${status}`, text: status }) : null,
            room.mute && room.mute !== "all" ? h("span", { class: "muted small mute-flag", title: interpolate(gettext("notifications: %(mode)s"), { mode: room.mute }), text: muted ? gettext("muted") : gettext("@ only") }) : null,
          )
        : null,
    ),
  );
  const menuButton = h("button", {
    type: "button",
    class: "room-menu-button",
    "aria-haspopup": "menu",
    "aria-expanded": "false",
    "aria-label": interpolate(gettext("Notifications for %(room)s"), { room: title }),
    title: gettext("Notifications"),
    text: "⋯",
  });
  menuButton.addEventListener("click", (e) => {
    e.preventDefault();
    openMenu(room, menuButton);
  });
  menuButton.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      openMenu(room, menuButton);
    }
  });
  return h("li", { class: `room-row${muted ? " is-muted" : ""}${room.waiting_since ? " is-waiting" : ""}`, dataset: { room: room.id } }, link, menuButton);
}

function paint() {
  if (menuOpen) {
    dirty = true;
    return;
  }
  dirty = false;
  const all = [...app.rooms.values()];
  const rows = sortRows(all, sortMode());
  const longest = longestWaiting(all);
  const now = Date.now();
  // Keyboard focus stays on the row it was on across a redraw.
  const focused = /** @type {HTMLElement | null} */ (document.activeElement && list.contains(document.activeElement) ? document.activeElement : null);
  const focusRoom = focused ? focused.closest("li")?.dataset.room : null;
  const focusMenu = focused ? focused.classList.contains("room-menu-button") : false;
  clear(
    list,
    rows.map((room) => rowView(room, longest && longest.id === room.id, now)),
  );
  if (focusRoom) {
    const again = list.querySelector(`li[data-room="${focusRoom}"] ${focusMenu ? ".room-menu-button" : ".room-link"}`);
    if (again) again.focus();
  }
  document.getElementById("rooms-empty").hidden = rows.length > 0;
  if (longest) {
    clear(
      longestLine,
      h("span", { text: gettext("Waiting longest:") }),
      " ",
      h("a", { href: `/app/rooms/${longest.id}`, "data-nav": true, text: longest.title || longest.name || "" }),
      " ",
      h("span", { class: "muted", text: waitedFor(longest.waiting_since, now) }),
    );
  }
  longestLine.hidden = !longest;
  const totals = unreadTotals(rows, app.currentRoom);
  const badge = document.getElementById("workspace-unread");
  badge.textContent = String(totals.rooms);
  badge.hidden = totals.rooms === 0;
  badge.setAttribute("aria-label", interpolate(ngettext("%(n)s room with unread messages", "%(n)s rooms with unread messages", totals.rooms), { n: totals.rooms }));
  attention("rooms", totals.messages);
}

// ------------------------------------------------------------- the row's menu

function closeMenu({ focus = true } = {}) {
  const open = document.querySelector(".room-menu");
  if (open) open.remove();
  const button = menuOpen ? menuOpen.button : null;
  menuOpen = null;
  if (button) button.setAttribute("aria-expanded", "false");
  document.removeEventListener("pointerdown", outside, true);
  if (dirty) paint();
  if (focus && button) {
    const again = button.isConnected ? button : list.querySelector(`li[data-room="${button.closest("li")?.dataset.room}"] .room-menu-button`);
    if (again) again.focus();
  }
}

function outside(e) {
  if (!e.target.closest(".room-menu") && !e.target.closest(".room-menu-button")) closeMenu({ focus: false });
}

async function setMute(room, mute) {
  closeMenu();
  if (room.mute === mute) return;
  try {
    const member = await api("PATCH", `/api/v1/rooms/${room.id}/membership`, { mute });
    updateRoom(room.id, { mute: member.mute, unread: member.unread });
    emit("room.mute_changed", { room_id: room.id, mute: member.mute });
    const label = Object.fromEntries(MUTE_CHOICES.map(([k, text]) => [k, text()]))[member.mute];
    toast(interpolate(gettext("%(room)s: %(mode)s"), { room: room.title || room.name || "", mode: label }));
  } catch (err) {
    toast(err.message, "error");
  }
}

function openMenu(room, button) {
  if (menuOpen && menuOpen.button === button) {
    closeMenu();
    return;
  }
  if (menuOpen) closeMenu({ focus: false });
  const id = uid("room-menu");
  const items = MUTE_CHOICES.map(([value, text]) =>
    h("li", {
      role: "menuitemradio",
      tabindex: "-1",
      "aria-checked": String((room.mute || "all") === value),
      dataset: { value },
      text: text(),
      onclick: () => setMute(room, value),
    }),
  );
  const menu = h("ul", { class: "room-menu", role: "menu", id, "aria-label": gettext("Notifications") }, items);
  menu.addEventListener("keydown", (e) => {
    const index = items.indexOf(/** @type {any} */ (document.activeElement));
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = (index + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items[next].focus();
    } else if (e.key === "Home" || e.key === "End") {
      e.preventDefault();
      items[e.key === "Home" ? 0 : items.length - 1].focus();
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      if (index >= 0) setMute(room, items[index].dataset.value);
    } else if (e.key === "Escape" || e.key === "Tab") {
      e.preventDefault();
      closeMenu();
    }
  });
  button.setAttribute("aria-expanded", "true");
  button.setAttribute("aria-controls", id);
  button.closest("li").append(menu);
  menuOpen = { roomId: room.id, button };
  document.addEventListener("pointerdown", outside, true);
  const checked = items.find((i) => i.getAttribute("aria-checked") === "true") || items[0];
  checked.focus();
}

export async function loadRooms() {
  try {
    const page = await api("GET", "/api/v1/rooms?page_size=100");
    app.rooms.clear();
    for (const row of page.results || page) app.rooms.set(row.id, row);
  } catch (err) {
    if (err.status !== 404) toast(interpolate(gettext("Rooms: %(error)s"), { error: err.message }), "error");
    // Fallback without the room list endpoint: my enquiries in hand.
    try {
      const page = await api("GET", "/api/v1/enquiries?status=handling&page_size=100");
      for (const e of page.results || []) {
        if (e.room) app.rooms.set(e.room, { id: e.room, kind: "enquiry", title: e.visitor.name, unread: 0, enquiry: { id: e.id, status: e.status } });
      }
    } catch {
      /* shown above */
    }
  }
  paint();
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(loadRooms, 250);
}

export function markRead(roomId) {
  const room = app.rooms.get(roomId);
  if (room && room.unread) {
    room.unread = 0;
    room.liveUnread = [];
    paint();
  }
}

// A change made on the room's page (its notification mode, the visitor's name): the list
// shows it at once.
export function updateRoom(roomId, changes) {
  const room = app.rooms.get(roomId);
  if (!room) return;
  Object.assign(room, changes);
  paint();
}

// Active colleagues to pick from (null after showing why they could not be loaded).
async function colleagues() {
  try {
    return ((await api("GET", "/api/v1/staff")).results || []).filter((s) => s.id !== app.me.id && s.is_active);
  } catch (err) {
    toast(err.message, "error");
    return null;
  }
}

async function newDirect() {
  const staff = await colleagues();
  if (!staff) return;
  const data = await formDialog(
    "New direct chat",
    (form) => {
      const select = h("select", { name: "staff", required: true }, staff.map((s) => h("option", { value: s.id, text: `${s.display_name || s.email} (${s.availability})` })));
      form.append(field("Colleague", select));
    },
    "Open chat",
  );
  if (!data) return;
  try {
    const room = await api("POST", "/api/v1/rooms/direct", { staff: Number(data.get("staff")) });
    await loadRooms();
    app.navigate(`/app/rooms/${room.id}`);
  } catch (err) {
    toast(err.message, "error");
  }
}

async function newSpace() {
  const staff = await colleagues();
  if (!staff) return;
  const data = await formDialog(
    "New space",
    (form) => {
      form.append(field("Name", h("input", { name: "name", required: true, maxlength: 120 })));
      form.append(field("Description", h("textarea", { name: "description", rows: 2 })));
      form.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "is_private" }), " Private (invited members only)"));
      const members = h("fieldset", { class: "checks" }, h("legend", { text: gettext("Members") }));
      staff.forEach((s) => members.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "members", value: s.id }), ` ${s.display_name || s.email}`)));
      form.append(members);
    },
    "Create space",
  );
  if (!data) return;
  try {
    const room = await api("POST", "/api/v1/rooms/spaces", {
      name: data.get("name"),
      description: data.get("description") || "",
      is_private: data.get("is_private") === "on",
      members: data.getAll("members").map(Number),
    });
    await loadRooms();
    app.navigate(`/app/rooms/${room.id}`);
  } catch (err) {
    toast(err.message, "error");
  }
}

export function setupRooms() {
  list = document.getElementById("room-list");
  sortSelect = h(
    "select",
    { class: "room-sort", "aria-label": gettext("Sort rooms") },
    h("option", { value: "recent", text: gettext("Newest activity") }),
    h("option", { value: "waiting", text: gettext("Waiting longest") }),
  );
  sortSelect.value = sortMode();
  sortSelect.addEventListener("change", () => {
    localStorage.setItem(SORT_KEY, sortSelect.value);
    paint();
  });
  longestLine = h("p", { class: "longest-waiting small", role: "status", hidden: true });
  list.before(h("div", { class: "room-list-tools" }, sortSelect), longestLine);
  // The waiting times move on by themselves.
  setInterval(() => {
    if ([...app.rooms.values()].some((r) => r.waiting_since)) paint();
  }, 20_000);
  document.getElementById("new-direct").addEventListener("click", newDirect);
  document.getElementById("new-space").addEventListener("click", newSpace);
  on("socket.open", loadRooms);
  on("rooms.refresh", refreshSoon);
  on("route", paint);
  // My own posts come back as message.ack (the socket then drops the same message.created).
  on("message.ack", ({ message }) => message && onMessage(message));
  on("message.created", ({ message }) => onMessage(message));
  const onMessage = (message) => {
    const room = app.rooms.get(message.room);
    if (!room) {
      refreshSoon();
      return;
    }
    applyMessage(room, message);
    const mine = message.author && message.author.type === "staff" && message.author.id === app.me.id;
    // As the server counts (rooms.selectors.unread_condition): notices of direct rooms and
    // spaces are no unread messages.
    const notice = message.kind === "system" && room.kind !== "enquiry";
    if (!mine && !notice && message.room !== app.currentRoom) {
      room.unread = (room.unread || 0) + 1;
      room.liveUnread = [...(room.liveUnread || []), message.id];
      if (room.mute === "all" || !room.mute) {
        playAlert();
        notify(`${message.author.name}: ${room.title}`, message.text || "sent a file");
      }
    }
    paint();
  };
  for (const type of ["message.edited", "message.recalled"]) {
    on(type, ({ message }) => {
      const room = message && app.rooms.get(message.room);
      if (room && applyChange(room, message)) paint();
    });
  }
  on("mention.created", ({ room_id: roomId, message }) => {
    const room = app.rooms.get(roomId);
    if (room && room.mute === "mentions" && roomId !== app.currentRoom) {
      playAlert();
      notify(`${message.author.name} mentioned you`, message.text || "");
    }
  });
  for (const type of [
    "room.member_joined",
    "room.member_left",
    "room.taken_over",
    "enquiry.picked_up",
    "enquiry.resolved",
    "enquiry.reopened",
    "enquiry.closed",
    "enquiry.transferred",
  ]) {
    on(type, refreshSoon);
  }
  on("read", (data) => {
    if (data.staff_id !== app.me.id) return;
    const room = app.rooms.get(data.room_id);
    if (!room || !room.unread) return;
    // Read up to data.message_id (here or in another tab). Messages counted since that
    // came after it stay unread: the read sent when leaving a room can come back after
    // newer messages arrived (slow server or network).
    room.liveUnread = (room.liveUnread || []).filter((id) => id > data.message_id);
    room.unread = room.liveUnread.length;
    paint();
  });
  // Supervision and transfers: the agent is told at once, wherever they are in the dashboard.
  on("room.taken_over", (data) => {
    if (data.previous_owner_id === app.me.id && data.by_id !== app.me.id) {
      const room = app.rooms.get(data.room_id);
      toast(interpolate(gettext("%(name)s took over %(room)s."), { name: data.by_name, room: room ? room.title : interpolate(gettext("enquiry #%(id)s"), { id: data.enquiry_id }) }), "warn", 12000);
    }
  });
  on("room.member_joined", (data) => {
    if (data.staff_id !== app.me.id && data.enquiry_id && app.rooms.has(data.room_id)) {
      toast(interpolate(gettext("%(name)s joined %(room)s."), { name: data.staff_name, room: app.rooms.get(data.room_id).title }), "warn", 10000);
    }
  });
  on("enquiry.transferred", (data) => {
    // Only what the previous owner did not do themselves, said as it happened (states.js).
    const text = transferEndedToast(data, app.me.id);
    if (text) toast(text, data.state === "lapsed" ? "warn" : "info", 10000);
  });
  emit("rooms.ready", {});
}
