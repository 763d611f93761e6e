// Dashboard entry point: profile, availability, socket (with its state on screen), the
// sidebar (Open Enquiry panel, Recent Connections) and a router between sections that
// never reloads the page, so the socket and the panel stay live.
import { CCSocket, wsUrl } from "../socket.js";
import { gettext, interpolate, pgettext } from "../i18n.js";
import { api, toLogin } from "./api.js";
import { configure as configureDates } from "../datetime.js";
import { clear, h, toast } from "./dom.js";
import { setupLimit } from "./limit.js";
import { setupToggles } from "./notify.js";
import { setupNotifications } from "./notifications.js";
import { setupPanel } from "./panel.js";
import { setupPreferences } from "./preferences.js";
import { setupRooms } from "./rooms.js";
import { setupSearchBox } from "./search.js";
import { app, emit } from "./state.js";

const main = document.getElementById("main");
let cleanup = null;
/** The reason of the session.ended event, if one came before the socket closed. */
let sessionEndReason = "";

// Dates and times in the staff member's language and time zone (datetime.js), from the start.
configureDates({ locale: app.boot.locale, timeZone: app.boot.time_zone });

const STATE_LABELS = {
  connecting: gettext("Connecting…"),
  open: gettext("Live"),
  reconnecting: gettext("Reconnecting…"),
  closed: gettext("Disconnected"),
};

const AVAILABILITY_LABELS = {
  active: pgettext("availability", "active"),
  busy: pgettext("availability", "busy"),
  away: pgettext("availability", "away"),
  offline: pgettext("availability", "offline"),
};

function setSocketState(state, code) {
  const el = document.getElementById("socket-state");
  el.dataset.state = state;
  el.textContent = STATE_LABELS[state] || state;
  const wasOpen = app.socketOpen;
  app.socketOpen = state === "open";
  if (state === "closed" && (code === 4001 || code === 4401)) {
    // The session is over (the server said why in session.ended, if it could): straight to
    // the login page, which shows the reason, instead of a dashboard that cannot work.
    el.textContent = gettext("Session ended");
    toLogin(sessionEndReason || "ended");
  }
  if (state === "open" && !wasOpen) emit("socket.open", {});
}

async function setupAvailability() {
  const select = document.getElementById("availability");
  select.value = app.me.availability;
  select.dataset.value = app.me.availability;
  select.addEventListener("change", async () => {
    try {
      const me = await api("PATCH", "/api/v1/me", { availability: select.value });
      app.me = me;
      select.dataset.value = me.availability;
      toast(interpolate(gettext("You are now %(availability)s."), { availability: AVAILABILITY_LABELS[me.availability] || me.availability }));
    } catch (err) {
      select.value = app.me.availability;
      toast(err.message, "error");
    }
  });
}

// ------------------------------------------------------------------- routing

const ROUTES = [
  [/^\/app\/?$/, () => import("./home.js").then((m) => m.render)],
  [/^\/app\/rooms\/(\d+)$/, () => import("./chat.js").then((m) => m.render)],
  [/^\/app\/(inbox|assigned|missed)$/, () => import("./lists.js").then((m) => m.render)],
  [/^\/app\/quick-replies$/, () => import("./quickreplies.js").then((m) => m.render)],
  [/^\/app\/customers(?:\/(\d+))?$/, () => import("./customers.js").then((m) => m.render)],
  [/^\/app\/history(?:\/(\d+))?$/, () => import("./history.js").then((m) => m.render)],
  [/^\/app\/search$/, () => import("./search.js").then((m) => m.render)],
  [/^\/app\/exports$/, () => import("./exports.js").then((m) => m.render)],
  [/^\/app\/reports\/review(?:\/(\d+))?$/, () => import("./review.js").then((m) => m.render)],
  [/^\/app\/reports(?:\/(home|analytics|monitor))?$/, () => import("./reports.js").then((m) => m.render)],
  [/^\/app\/notifications$/, () => import("./notifications.js").then((m) => m.render)],
  [/^\/app\/reports\/voc$/, () => import("./voc.js").then((m) => m.render)],
  [/^\/app\/admin\/(overview)$/, () => import("./overview.js").then((m) => m.render)],
  [/^\/app\/admin\/(staff|tags|channels|settings)$/, () => import("./admin.js").then((m) => m.render)],
  [/^\/app\/admin\/conversation-tags$/, () => import("./conversation_tags.js").then((m) => m.render)],
  [/^\/app\/admin\/ai$/, () => import("./ai_admin.js").then((m) => m.render)],
  [/^\/app\/admin\/webhooks$/, () => import("./webhooks.js").then((m) => m.render)],
  [/^\/app\/admin\/robot$/, () => import("./robot.js").then((m) => m.render)],
];

async function route() {
  // Each route is numbered: a view that finishes loading after the user went elsewhere is
  // dropped (its cleanup runs at once) instead of taking over from the newer one.
  app.routeSeq = (app.routeSeq || 0) + 1;
  const seq = app.routeSeq;
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.error(err);
    }
    cleanup = null;
  }
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  const section = path.replace(/^\/app\/?/, "") || "chats";
  document.querySelectorAll("[data-section]").forEach((a) => {
    const current =
      a.dataset.section === section ||
      (section.startsWith("rooms/") && a.dataset.section === "chats") ||
      (section.startsWith("customers/") && a.dataset.section === "customers") ||
      (section.startsWith("history/") && a.dataset.section === "history") ||
      (section.startsWith("reports/") && a.dataset.section === "reports");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  app.currentRoom = null;
  for (const [pattern, load] of ROUTES) {
    const match = path.match(pattern);
    if (!match) continue;
    if (path.startsWith("/app/admin/") && !app.me.is_admin) break;
    clear(main, h("p", { class: "muted", text: gettext("Loading…") }));
    let done = null;
    try {
      const render = await load();
      done = (await render(main, match, params)) || null;
    } catch (err) {
      console.error(err);
      if (seq === app.routeSeq) clear(main, h("p", { class: "form-error", role: "alert", text: err.message || gettext("This page could not be shown.") }));
    }
    if (seq !== app.routeSeq) {
      if (done) {
        try {
          done();
        } catch (err) {
          console.error(err);
        }
      }
      return;
    }
    cleanup = done;
    emit("route", { path });
    return;
  }
  clear(main, h("h1", { text: gettext("Not found") }));
}

function navigate(url, { replace = false } = {}) {
  if (url === location.pathname + location.search) return route();
  if (replace) history.replaceState({}, "", url);
  else history.pushState({}, "", url);
  return route();
}

async function start() {
  app.navigate = navigate;
  try {
    app.me = await api("GET", "/api/v1/me");
  } catch (err) {
    clear(main, h("p", { class: "form-error", role: "alert", text: err.message }));
    return;
  }
  app.me.is_admin = app.me.role === "admin";
  setupToggles();
  await setupAvailability();
  setupPreferences();

  document.addEventListener("click", (e) => {
    const link = e.target.closest("a[data-nav]");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(link.getAttribute("href"));
  });
  window.addEventListener("popstate", route);

  app.socket = new CCSocket(wsUrl("/ws/staff/"), {
    onState: setSocketState,
    // A reconnect turned away: is the session still alive? (A background request: it must
    // not keep the session going.) A 401/403 sends api.js to the login page anyway.
    verify: () =>
      api("GET", "/api/v1/me", undefined, { background: true }).then(
        () => true,
        (err) => !(err.status === 401 || err.status === 403),
      ),
    onEvent: (event) => {
      if (event.type === "session.ended") sessionEndReason = (event.data && event.data.reason) || "ended";
      if (event.type === "staff.availability" && event.data.staff_id === app.me.id) {
        app.me.availability = event.data.availability;
        document.getElementById("availability").value = event.data.availability;
      }
      emit(event.type, event.data || {});
      emit("*", event);
    },
  });
  window.ccApp = app; // for debugging and the browser tests

  setupPanel();
  setupLimit();
  setupRooms();
  setupSearchBox();
  setupNotifications();
  await route();
}

start();
