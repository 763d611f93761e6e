// Admins' enquiry overview: Open (with time waited) and Handling (with owner) columns, live,
// today's counts; Monitor, Join, Take over, Go to chat room / Proceed, each confirmed.
import { api } from "./api.js";
import { channelIcon, clear, confirmDialog, duration, h, toast } from "./dom.js";
import { app, on } from "./state.js";

export async function render(main) {
  const counts = h("dl", { class: "counts", "aria-label": "Today" });
  const openCol = h("ul", { class: "ov-list", "aria-labelledby": "ov-open" });
  const handlingCol = h("ul", { class: "ov-list", "aria-labelledby": "ov-handling" });
  const updated = h("p", { class: "small muted", role: "status" });
  clear(
    main,
    h(
      "section",
      { class: "overview" },
      h("h1", { text: "Enquiry overview" }),
      counts,
      updated,
      h(
        "div",
        { class: "ov-columns" },
        h("section", { class: "ov-col" }, h("h2", { id: "ov-open", text: "Open" }), openCol),
        h("section", { class: "ov-col" }, h("h2", { id: "ov-handling", text: "Handling" }), handlingCol),
      ),
    ),
  );
  const waits = [];

  async function act(enquiry, kind) {
    const name = enquiry.visitor.name;
    const texts = {
      monitor: ["Monitor", `Watch the conversation with ${name} read-only? Nobody is told.`, "Monitor"],
      join: ["Join", `Join the conversation with ${name} as a participant? The agent sees a notice.`, "Join"],
      take: ["Take over", `Take over the enquiry of ${name}? You become the owner; the agent is told.`, "Take over"],
      go: ["Go to chat room", `Open the chat room with ${name}?`, "Go"],
    };
    const [title, text, ok] = texts[kind];
    if (!(await confirmDialog(title, text, ok))) return;
    try {
      if (kind === "join") await api("POST", `/api/v1/enquiries/${enquiry.id}/join`);
      if (kind === "take") await api("POST", `/api/v1/enquiries/${enquiry.id}/take-over`);
      if (kind !== "monitor") {
        const { loadRooms } = await import("./rooms.js");
        await loadRooms();
      }
      app.navigate(`/app/rooms/${enquiry.room}${kind === "monitor" ? "?monitor=1" : ""}`);
    } catch (err) {
      toast(err.message, "error");
      load();
    }
  }

  function card(e, column) {
    const visitor = e.visitor.name || "Visitor";
    const wait = h("span", { class: "wait", text: column === "open" ? duration(e.waited_seconds) : "" });
    if (column === "open") waits.push([wait, Date.now() - e.waited_seconds * 1000]);
    const mine = e.owner && e.owner.id === app.me.id;
    const member = app.rooms.has(e.room);
    const buttons = [];
    const btn = (label, kind) => buttons.push(h("button", { type: "button", class: "small-button", text: label, "aria-label": `${label}: ${visitor}`, onclick: () => act(e, kind) }));
    if (e.room) btn("Monitor", "monitor");
    if (column === "handling") {
      if (!member) btn("Join", "join");
      if (!mine) btn("Take over", "take");
      if (member) btn(mine ? "Proceed" : "Go to chat room", "go");
    }
    return h(
      "li",
      { class: "ov-card", dataset: { enquiry: e.id } },
      h("div", { class: "enquiry-head" }, channelIcon(e.via || e.channel_kind), h("strong", { text: visitor }), wait),
      h("p", { class: "first-message", text: e.first_message }),
      h("p", { class: "small muted", text: column === "open" ? `To ${e.destination.name}` : `Owner: ${e.owner ? e.owner.display_name : "—"} · ${e.destination.name}${e.status === "resolved" ? " · resolved" : ""}` }),
      h("div", { class: "actions" }, buttons),
    );
  }

  async function load() {
    let data;
    try {
      data = await api("GET", "/api/v1/monitoring/overview");
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    waits.length = 0;
    const t = data.today;
    clear(
      counts,
      [["Open", t.open], ["Handling", t.handling], ["Missed today", t.missed], ["Resolved today", t.resolved], ["Opened today", t.opened]].map(([k, v]) =>
        h("div", { class: "count" }, h("dt", { text: k }), h("dd", { text: String(v) })),
      ),
    );
    clear(openCol, data.open.length ? data.open.map((e) => card(e, "open")) : h("li", { class: "muted small", text: "Nobody is waiting." }));
    clear(handlingCol, data.handling.length ? data.handling.map((e) => card(e, "handling")) : h("li", { class: "muted small", text: "No enquiry in hand." }));
    updated.textContent = `Live · updated ${new Date().toLocaleTimeString()}`;
  }

  let timer = null;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 200);
  };
  const types = ["enquiry.opened", "enquiry.picked_up", "enquiry.taken", "enquiry.missed", "enquiry.resolved", "enquiry.reopened", "enquiry.closed", "enquiry.transferred", "room.taken_over", "room.member_joined", "socket.open"];
  const disposers = types.map((t) => on(t, soon));
  const tick = setInterval(() => waits.forEach(([el, since]) => (el.textContent = duration((Date.now() - since) / 1000))), 1000);
  // A slow safety refresh in case an event was missed while the socket was down.
  const refresh = setInterval(load, 30000);
  await load();
  return () => {
    disposers.forEach((d) => d());
    clearInterval(tick);
    clearInterval(refresh);
    clearTimeout(timer);
  };
}
