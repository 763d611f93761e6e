// Admins' enquiry overview: Open (with time waited) and Handling (with owner) columns, live,
// today's figures and the hourly trend; Monitor, Join, Take over, Go to chat room / Proceed,
// each confirmed (Join and Take over then say what happened in a toast); a whole card opens
// its room (read-only when the admin is not in it).
import { svg } from "../h.js";
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { formatTime, formatWeekday } from "../datetime.js";
import { channelIcon, clear, confirmDialog, duration, h, toast } from "./dom.js";
import { app, on } from "./state.js";
import { trendBars, trendSummary } from "./trend.js";

const CHART_WIDTH = 480;
const CHART_HEIGHT = 72;

/** The room of an enquiry as this admin may open it: its own, or monitored read-only. */
function roomUrl(e) {
  return `/app/rooms/${e.room}${app.rooms.has(e.room) ? "" : "?monitor=1"}`;
}

function weekdayOf(isoDate) {
  // Noon UTC of that calendar day: the same weekday in every time zone within ±12 h.
  return formatWeekday(`${isoDate}T12:00:00Z`);
}

function trendFigure(trend) {
  const weekday = weekdayOf(trend.last_week_date);
  const { today, lastWeek } = trendBars(trend, CHART_WIDTH, CHART_HEIGHT);
  const bar = (b, cls, label) =>
    svg("rect", { class: cls, x: b.x.toFixed(1), y: b.y.toFixed(1), width: b.width.toFixed(1), height: b.height.toFixed(1) }, svg("title", { text: interpolate(label, { hour: String(b.hour).padStart(2, "0"), n: b.count }) }));
  // Hour boundaries; the outer labels lean inwards so that the chart does not clip them.
  const anchors = { 0: "start", 24: "end" };
  const ticks = [0, 6, 12, 18, 24].map((hour) => svg("text", { x: (hour * CHART_WIDTH) / 24, y: CHART_HEIGHT + 12, "text-anchor": anchors[hour] || "middle", text: `${String(hour).padStart(2, "0")}:00` }));
  const now = svg("line", { class: "trend-now", x1: ((trend.hour + 1) * CHART_WIDTH) / 24, x2: ((trend.hour + 1) * CHART_WIDTH) / 24, y1: 0, y2: CHART_HEIGHT });
  const summary = trendSummary(trend, weekday);
  return h(
    "figure",
    { class: "ov-trend" },
    h(
      "figcaption",
      {},
      h("strong", { text: gettext("Enquiries per hour") }),
      " ",
      h("span", { class: "legend legend-today", text: gettext("today") }),
      " ",
      h("span", { class: "legend legend-week", text: interpolate(gettext("last %(weekday)s"), { weekday }) }),
    ),
    svg(
      "svg",
      { class: "trend-chart", viewBox: `0 0 ${CHART_WIDTH} ${CHART_HEIGHT + 16}`, role: "img", "aria-label": summary },
      svg("line", { class: "trend-axis", x1: 0, x2: CHART_WIDTH, y1: CHART_HEIGHT, y2: CHART_HEIGHT }),
      lastWeek.map((b) => bar(b, "trend-week", interpolate(gettext("last %(weekday)s"), { weekday }) + " %(hour)s:00: %(n)s")),
      today.map((b) => bar(b, "trend-today", gettext("today") + " %(hour)s:00: %(n)s")),
      now,
      ticks,
    ),
    h("p", { class: "small muted trend-summary", text: summary }),
  );
}

export async function render(main) {
  const counts = h("dl", { class: "counts", "aria-label": gettext("Today") });
  const trendBox = h("div", { class: "ov-trend-box" });
  const openCol = h("ul", { class: "ov-list", "aria-labelledby": "ov-open" });
  const handlingCol = h("ul", { class: "ov-list", "aria-labelledby": "ov-handling" });
  const updated = h("p", { class: "small muted", role: "status" });
  clear(
    main,
    h(
      "section",
      { class: "overview" },
      h("h1", { text: gettext("Enquiry overview") }),
      h("div", { class: "ov-today" }, counts, trendBox),
      updated,
      h(
        "div",
        { class: "ov-columns" },
        h("section", { class: "ov-col" }, h("h2", { id: "ov-open", text: gettext("Open") }), openCol),
        h("section", { class: "ov-col" }, h("h2", { id: "ov-handling", text: gettext("Handling") }), handlingCol),
      ),
    ),
  );
  const waits = [];

  async function act(enquiry, kind) {
    const name = enquiry.visitor.name;
    const texts = {
      monitor: [gettext("Monitor"), interpolate(gettext("Watch the conversation with %(name)s read-only? Nobody is told."), { name }), gettext("Monitor")],
      join: [gettext("Join"), interpolate(gettext("Join the conversation with %(name)s as a participant? The agent sees a notice."), { name }), gettext("Join")],
      take: [gettext("Take over"), interpolate(gettext("Take over the enquiry of %(name)s? You become the owner; the agent is told."), { name }), gettext("Take over")],
      go: [gettext("Go to chat room"), interpolate(gettext("Open the chat room with %(name)s?"), { name }), gettext("Go")],
    };
    const [title, text, ok] = texts[kind];
    if (!(await confirmDialog(title, text, ok))) return;
    const agent = enquiry.owner ? enquiry.owner.display_name : gettext("The agent");
    try {
      if (kind === "join") await api("POST", `/api/v1/enquiries/${enquiry.id}/join`);
      if (kind === "take") await api("POST", `/api/v1/enquiries/${enquiry.id}/take-over`);
      if (kind !== "monitor") {
        const { loadRooms } = await import("./rooms.js");
        await loadRooms();
      }
      // Said once it is done (SPEC 5: the agent is told too, by a toast and a system message).
      if (kind === "join") toast(interpolate(gettext("You joined the conversation with %(name)s. %(agent)s sees a notice."), { name, agent }));
      if (kind === "take") toast(interpolate(gettext("You took over the enquiry of %(name)s. %(agent)s was told and stays in the room."), { name, agent }));
      app.navigate(`/app/rooms/${enquiry.room}${kind === "monitor" ? "?monitor=1" : ""}`);
    } catch (err) {
      toast(err.message, "error");
      load({ background: true });
    }
  }

  function card(e, column) {
    const visitor = e.visitor.name || gettext("Visitor");
    const wait = h("span", { class: "wait", text: column === "open" ? duration(e.waited_seconds) : "" });
    if (column === "open") waits.push([wait, Date.now() - e.waited_seconds * 1000]);
    const mine = e.owner && e.owner.id === app.me.id;
    const member = app.rooms.has(e.room);
    const buttons = [];
    const btn = (label, kind) => buttons.push(h("button", { type: "button", class: "small-button", text: label, "aria-label": `${label}: ${visitor}`, onclick: () => act(e, kind) }));
    if (e.room) btn(gettext("Monitor"), "monitor");
    if (column === "handling") {
      if (!member) btn(gettext("Join"), "join");
      if (!mine) btn(gettext("Take over"), "take");
      if (member) btn(mine ? gettext("Proceed") : gettext("Go to chat room"), "go");
    }
    // The name is the card's link; its ::after covers the card (dashboard.css), so the
    // whole card opens the room, and the buttons above it still work.
    const name = e.room ? h("a", { class: "ov-card-link", href: roomUrl(e), "data-nav": true, text: visitor }) : h("span", { text: visitor });
    const where =
      column === "open"
        ? interpolate(gettext("To %(destination)s"), { destination: e.destination.name })
        : interpolate(gettext("Owner: %(owner)s · %(destination)s"), { owner: e.owner ? e.owner.display_name : "—", destination: e.destination.name });
    return h(
      "li",
      { class: `ov-card${e.room ? " ov-card-linked" : ""}`, dataset: { enquiry: e.id } },
      h("div", { class: "enquiry-head" }, channelIcon(e.via || e.channel_kind), h("strong", {}, name), wait),
      h("p", { class: "first-message", text: e.first_message }),
      h("p", { class: "small muted", text: where }),
      h("div", { class: "actions" }, buttons),
    );
  }

  async function load({ background = false } = {}) {
    let data;
    try {
      // Refreshes and reloads after events are not a person's doing: they must not keep
      // the session alive (api.js, item "idle logout that means idle").
      data = await api("GET", "/api/v1/monitoring/overview", undefined, { background });
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    waits.length = 0;
    const t = data.today;
    const figures = [
      [gettext("Open"), String(t.open)],
      [gettext("Handling"), String(t.handling)],
      [gettext("Missed today"), String(t.missed)],
      [gettext("Resolved today"), String(t.resolved)],
      [gettext("Opened today"), String(t.opened)],
      [gettext("First response today"), t.first_response_avg_seconds == null ? "—" : duration(t.first_response_avg_seconds)],
    ];
    clear(
      counts,
      figures.map(([k, v]) => h("div", { class: "count" }, h("dt", { text: k }), h("dd", { text: v }))),
    );
    counts.title = interpolate(gettext("Today in %(zone)s; each enquiry counted once. First response: the mean, from the customer's first message."), { zone: t.time_zone });
    clear(trendBox, data.trend ? trendFigure(data.trend) : null);
    clear(openCol, data.open.length ? data.open.map((e) => card(e, "open")) : h("li", { class: "muted small", text: gettext("Nobody is waiting.") }));
    clear(handlingCol, data.handling.length ? data.handling.map((e) => card(e, "handling")) : h("li", { class: "muted small", text: gettext("No enquiry in hand.") }));
    updated.textContent = interpolate(gettext("Live · updated %(time)s"), { time: formatTime(new Date()) });
  }

  let timer = null;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => load({ background: true }), 200);
  };
  const types = ["enquiry.opened", "enquiry.picked_up", "enquiry.taken", "enquiry.missed", "enquiry.resolved", "enquiry.reopened", "enquiry.closed", "enquiry.transferred", "room.taken_over", "room.member_joined", "socket.open"];
  const disposers = types.map((t) => on(t, soon));
  const tick = setInterval(() => waits.forEach(([el, since]) => (el.textContent = duration((Date.now() - since) / 1000))), 1000);
  // A slow safety refresh in case an event was missed while the socket was down.
  const refresh = setInterval(() => load({ background: true }), 30000);
  await load();
  return () => {
    disposers.forEach((d) => d());
    clearInterval(tick);
    clearInterval(refresh);
    clearTimeout(timer);
  };
}
