// The Chats start screen: what to do next.
import { clear, h } from "./dom.js";
import { gettext, interpolate } from "../i18n.js";
import { currentTimeZone, formatDateTime } from "../datetime.js";
import { app } from "./state.js";

export function render(main) {
  clear(
    main,
    h(
      "section",
      { class: "home" },
      h("h1", { text: interpolate(gettext("Hello, %(name)s"), { name: app.me.display_name || app.me.email }) }),
      h("p", { text: gettext("Pick up an enquiry from the Open enquiries panel, or open a room from Recent connections.") }),
      h("p", { class: "muted", text: gettext("Only ACTIVE staff are alerted: set your availability at the top right.") }),
      // Which clock the dashboard shows (the language and time zone control changes it).
      h("p", { class: "muted small", id: "home-clock", text: interpolate(gettext("Now: %(now)s (%(zone)s)"), { now: formatDateTime(new Date()), zone: currentTimeZone() }) }),
    ),
  );
}
