// @ts-check
// Notifications: the top bar's bell with the unread count, its drop-down panel (the newest
// ones; opening it marks those shown as read; "Mark all read"; each a link to the room, the
// Missed list, the enquiry's history or the review), and the full page at
// /app/notifications (unread only, read/unread per item, "Load more"). Live: the socket's
// notification.created adds to both and sets the count; notification.read (this person's
// other tabs, or this one) updates them; a reconnect reloads the count.
import { formatDateTime, formatRelative } from "../datetime.js";
import { gettext } from "../i18n.js";
import { api } from "./api.js";
import { clear, h, toast, uid } from "./dom.js";
import { addNewest, applyRead, badgeText, bellLabel, notificationTexts } from "./notifications_format.js";
import { app, on } from "./state.js";

/** @typedef {import("./notifications_format.js").Notification} Notification */

const PANEL_LIMIT = 8;
const PAGE_LIMIT = 30;

/**
 * A view of notifications on screen (the panel, the page): told of new ones and of reads.
 * @typedef {{added: (n: Notification) => void, read: (event: any) => void}} View
 */

/** @type {Set<View>} */
const views = new Set();
let unread = 0;

/** @param {number} count */
function setUnread(count) {
  unread = Math.max(0, Number(count) || 0);
  const badge = document.getElementById("notifications-count");
  const button = document.getElementById("notifications-button");
  if (badge) {
    badge.textContent = badgeText(unread);
    badge.hidden = unread === 0;
  }
  if (button) button.setAttribute("aria-label", bellLabel(unread));
}

/** Reloads the unread count (at start and after a reconnect: events may have been missed). */
async function refreshCount() {
  try {
    const data = await api("GET", "/api/v1/notifications?limit=1", undefined, { background: true });
    setUnread(data.unread_count);
  } catch {
    // The count stays as it was; the next event or reconnect sets it.
  }
}

/**
 * Marks these notifications read; the server's notification.read event updates every tab.
 * @param {number[]} ids
 */
async function markRead(ids) {
  if (!ids.length) return;
  try {
    const data = await api("POST", "/api/v1/notifications/read", { ids });
    setUnread(data.unread_count);
  } catch (err) {
    toast(/** @type {Error} */ (err).message, "error");
  }
}

async function markAllRead() {
  try {
    const data = await api("POST", "/api/v1/notifications/read", { all: true });
    setUnread(data.unread_count);
  } catch (err) {
    toast(/** @type {Error} */ (err).message, "error");
  }
}

/**
 * Opens what a notification links to (marking it read first if it is not).
 * @param {Notification} n
 * @param {MouseEvent} e
 * @param {() => void} [before] e.g. close the panel
 */
function follow(n, e, before) {
  if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  if (!n.read) markRead([n.id]);
  if (before) before();
  if (n.url) app.navigate(n.url);
}

/**
 * One notification: a link (when it leads somewhere) with its title, detail and time.
 * @param {Notification} n
 * @param {{onFollow?: () => void, unreadLook?: boolean}} [options] unreadLook: shown as
 *   unread (the panel keeps the look it opened with while the server marks them read)
 * @returns {HTMLElement}
 */
function itemBody(n, { onFollow, unreadLook } = {}) {
  const { title, detail } = notificationTexts(n);
  const isUnread = unreadLook === undefined ? !n.read : unreadLook;
  const parts = [
    isUnread ? h("span", { class: "visually-hidden", text: gettext("Unread:") }) : null,
    h("strong", { class: "notif-title", text: title }),
    detail ? h("span", { class: "notif-detail", text: detail }) : null,
    h("time", { class: "notif-time", datetime: n.created_at, title: formatDateTime(n.created_at), text: formatRelative(n.created_at) }),
  ];
  if (!n.url) return h("div", { class: "notif-link" }, parts);
  return h("a", { class: "notif-link", href: n.url, onclick: (/** @type {MouseEvent} */ e) => follow(n, e, onFollow) }, parts);
}

// ------------------------------------------------------------------- the top bar's panel

function setupPanel() {
  const button = /** @type {HTMLButtonElement | null} */ (document.getElementById("notifications-button"));
  const panel = document.getElementById("notifications-panel");
  if (!button || !panel) return;
  /** @type {Notification[]} */
  let items = [];
  /** @type {Set<number>} ids shown as new in this opening of the panel */
  let fresh = new Set();
  const titleId = uid("notif");
  const list = h("ul", { class: "notif-list", "aria-labelledby": titleId });
  const empty = h("p", { class: "muted small notif-empty", role: "status", text: "" });
  const allRead = h("button", { type: "button", class: "small-button", text: gettext("Mark all read") });
  const seeAll = h("a", { href: "/app/notifications", "data-nav": true, class: "small", text: gettext("See all notifications") });
  panel.setAttribute("aria-labelledby", titleId);
  clear(
    panel,
    h("div", { class: "notif-head" }, h("h2", { id: titleId, text: gettext("Notifications") }), allRead),
    list,
    empty,
    h("div", { class: "notif-foot" }, seeAll),
  );

  const isOpen = () => button.getAttribute("aria-expanded") === "true";

  function draw() {
    clear(
      list,
      items.map((n) =>
        h("li", { class: `notif-item${fresh.has(n.id) ? " unread" : ""}`, dataset: { id: n.id, kind: n.kind } }, itemBody(n, { onFollow: close, unreadLook: fresh.has(n.id) })),
      ),
    );
    empty.textContent = items.length ? "" : gettext("No notifications yet.");
    empty.hidden = items.length > 0;
  }

  async function open() {
    button.setAttribute("aria-expanded", "true");
    panel.hidden = false;
    empty.textContent = gettext("Loading…");
    empty.hidden = false;
    try {
      const data = await api("GET", `/api/v1/notifications?limit=${PANEL_LIMIT}`);
      if (!isOpen()) return;
      items = data.results;
      fresh = new Set(items.filter((n) => !n.read).map((n) => n.id));
      setUnread(data.unread_count);
      draw();
      // Seen: what the panel shows is read now (still shown as new until it closes).
      markRead([...fresh]);
    } catch (err) {
      empty.textContent = /** @type {Error} */ (err).message;
      empty.hidden = false;
    }
  }

  function close({ focus = false } = {}) {
    if (!isOpen()) return;
    button.setAttribute("aria-expanded", "false");
    panel.hidden = true;
    if (focus) button.focus();
  }

  button.addEventListener("click", () => (isOpen() ? close() : open()));
  allRead.addEventListener("click", async () => {
    await markAllRead();
    fresh = new Set();
    draw();
  });
  seeAll.addEventListener("click", () => close());
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      close({ focus: true });
    }
  });
  button.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
  });
  document.addEventListener("click", (e) => {
    const target = /** @type {Node} */ (e.target);
    if (isOpen() && !panel.contains(target) && !button.contains(target)) close();
  });
  on("route", () => close());

  views.add({
    added(n) {
      if (!isOpen()) return;
      if (addNewest(items, n)) {
        if (!n.read) fresh.add(n.id);
        items = items.slice(0, PANEL_LIMIT);
        draw();
      }
    },
    read(event) {
      applyRead(items, event);
    },
  });
}

/** The bell, its count and its live updates; called once by app.js. */
export function setupNotifications() {
  setupPanel();
  setUnread(0);
  refreshCount();
  on("notification.created", (data) => {
    setUnread(data.unread);
    if (data.notification) for (const view of views) view.added(data.notification);
  });
  on("notification.read", (data) => {
    setUnread(data.unread);
    for (const view of views) view.read(data);
  });
  on("socket.open", () => refreshCount());
}

// ------------------------------------------------------------------- the page

/**
 * The Notifications page (/app/notifications).
 * @param {HTMLElement} main
 * @param {RegExpMatchArray} _match
 * @param {URLSearchParams} params ?unread=1: unread ones only
 * @returns {Promise<() => void>}
 */
export async function render(main, _match, params) {
  let unreadOnly = params.get("unread") === "1";
  /** @type {Notification[]} */
  let items = [];
  /** @type {number | null} */
  let nextBefore = null;
  const titleId = uid("notif-page");
  const list = h("ul", { class: "notif-list notif-page-list", "aria-labelledby": titleId });
  const status = h("p", { class: "muted", role: "status" });
  const more = h("button", { type: "button", text: gettext("Load more"), hidden: true });
  const filter = /** @type {HTMLInputElement} */ (h("input", { type: "checkbox", id: uid("notif-unread"), checked: unreadOnly }));
  const allRead = h("button", { type: "button", text: gettext("Mark all read") });

  /**
   * @param {Notification} n
   * @returns {HTMLElement}
   */
  function row(n) {
    const toggle = h("button", {
      type: "button",
      class: "small-button notif-toggle",
      text: n.read ? gettext("Mark unread") : gettext("Mark read"),
      onclick: async () => {
        try {
          const data = await api("PATCH", `/api/v1/notifications/${n.id}`, { read: !n.read });
          n.read = data.read;
          setUnread(data.unread_count);
          redraw();
        } catch (err) {
          toast(/** @type {Error} */ (err).message, "error");
        }
      },
    });
    return h("li", { class: `notif-item${n.read ? "" : " unread"}`, dataset: { id: n.id, kind: n.kind } }, itemBody(n), toggle);
  }

  function redraw() {
    const shown = unreadOnly ? items.filter((n) => !n.read) : items;
    clear(list, shown.map(row));
    status.textContent = shown.length ? "" : unreadOnly ? gettext("No unread notifications.") : gettext("No notifications yet.");
    more.hidden = nextBefore === null;
  }

  /** @param {boolean} reset */
  async function load(reset) {
    const query = new URLSearchParams({ limit: String(PAGE_LIMIT) });
    if (unreadOnly) query.set("unread", "1");
    if (!reset && nextBefore !== null) query.set("before", String(nextBefore));
    try {
      const data = await api("GET", `/api/v1/notifications?${query}`);
      items = reset ? data.results : items.concat(data.results);
      nextBefore = data.next_before;
      setUnread(data.unread_count);
      redraw();
    } catch (err) {
      status.textContent = /** @type {Error} */ (err).message;
    }
  }

  filter.addEventListener("change", () => {
    unreadOnly = filter.checked;
    const url = unreadOnly ? "/app/notifications?unread=1" : "/app/notifications";
    history.replaceState({}, "", url);
    nextBefore = null;
    load(true);
  });
  allRead.addEventListener("click", () => markAllRead());
  more.addEventListener("click", () => load(false));

  clear(
    main,
    h(
      "section",
      { class: "notif-page", "aria-labelledby": titleId },
      h("h1", { id: titleId, text: gettext("Notifications") }),
      h("div", { class: "notif-tools" }, h("label", { class: "checkbox", for: filter.id }, filter, " ", gettext("Unread only")), allRead),
      list,
      status,
      more,
    ),
  );
  await load(true);

  /** @type {View} */
  const view = {
    added(n) {
      if (addNewest(items, n)) redraw();
    },
    read(event) {
      if (applyRead(items, event).length || event.all) redraw();
    },
  };
  views.add(view);
  return () => {
    views.delete(view);
  };
}
