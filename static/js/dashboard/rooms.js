// Recent Connections: my rooms (enquiry, direct, space), newest activity first, each with
// its unread badge; the workspace badge counts rooms with unread messages. New direct
// chat and new space dialogs.
import { api } from "./api.js";
import { clear, field, formDialog, h, toast } from "./dom.js";
import { notify, playAlert } from "./notify.js";
import { app, emit, on } from "./state.js";
import { transferEndedToast } from "./states.js";

let list;
const KIND_ICONS = { enquiry: "◉", direct: "@", space: "#", conference: "☎" };

function paint() {
  const rows = [...app.rooms.values()].sort((a, b) => {
    const ta = a.last_message_at ? Date.parse(a.last_message_at) : 0;
    const tb = b.last_message_at ? Date.parse(b.last_message_at) : 0;
    return tb - ta || b.id - a.id;
  });
  clear(
    list,
    rows.map((room) => {
      const unread = room.id === app.currentRoom ? 0 : room.unread || 0;
      const status = room.enquiry ? room.enquiry.status : "";
      const link = h(
        "a",
        {
          href: `/app/rooms/${room.id}`,
          "data-nav": true,
          class: "room-link",
          "aria-current": room.id === app.currentRoom ? "page" : null,
        },
        h("span", { class: "room-kind", "aria-hidden": "true", text: KIND_ICONS[room.kind] || "•" }),
        h("span", { class: "room-title", text: room.title || room.name || `Room ${room.id}` }),
        status ? h("span", { class: `status status-${status}`, text: status }) : null,
        room.mute && room.mute !== "all" ? h("span", { class: "muted small", title: `notifications: ${room.mute}`, text: room.mute === "mute" ? "muted" : "@ only" }) : null,
        unread ? h("span", { class: "badge", "aria-label": `${unread} unread`, text: String(unread) }) : null,
      );
      return h("li", { dataset: { room: room.id } }, link);
    }),
  );
  document.getElementById("rooms-empty").hidden = rows.length > 0;
  const withUnread = rows.filter((r) => r.id !== app.currentRoom && r.unread > 0).length;
  const badge = document.getElementById("workspace-unread");
  badge.textContent = String(withUnread);
  badge.hidden = withUnread === 0;
  badge.setAttribute("aria-label", `${withUnread} rooms with unread messages`);
}

export async function loadRooms() {
  try {
    const page = await api("GET", "/api/v1/rooms?page_size=100");
    app.rooms.clear();
    for (const row of page.results || page) app.rooms.set(row.id, row);
  } catch (err) {
    if (err.status !== 404) toast(`Rooms: ${err.message}`, "error");
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
      const members = h("fieldset", { class: "checks" }, h("legend", { text: "Members" }));
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
  document.getElementById("new-direct").addEventListener("click", newDirect);
  document.getElementById("new-space").addEventListener("click", newSpace);
  on("socket.open", loadRooms);
  on("rooms.refresh", refreshSoon);
  on("route", paint);
  on("message.created", ({ message }) => {
    const room = app.rooms.get(message.room);
    if (!room) {
      refreshSoon();
      return;
    }
    room.last_message_at = message.created_at;
    const mine = message.author && message.author.type === "staff" && message.author.id === app.me.id;
    if (!mine && message.room !== app.currentRoom) {
      room.unread = (room.unread || 0) + 1;
      room.liveUnread = [...(room.liveUnread || []), message.id];
      if (room.mute === "all" || !room.mute) {
        playAlert();
        notify(`${message.author.name}: ${room.title}`, message.text || "sent a file");
      }
    }
    paint();
  });
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
      toast(`${data.by_name} took over ${room ? room.title : `enquiry #${data.enquiry_id}`}.`, "warn", 12000);
    }
  });
  on("room.member_joined", (data) => {
    if (data.staff_id !== app.me.id && data.enquiry_id && app.rooms.has(data.room_id)) {
      toast(`${data.staff_name} joined ${app.rooms.get(data.room_id).title}.`, "warn", 10000);
    }
  });
  on("enquiry.transferred", (data) => {
    // Only what the previous owner did not do themselves, said as it happened (states.js).
    const text = transferEndedToast(data, app.me.id);
    if (text) toast(text, data.state === "lapsed" ? "warn" : "info", 10000);
  });
  emit("rooms.ready", {});
}
