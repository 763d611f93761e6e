// @ts-check
// Home: the welcome message, the closed-hours notice and the directory (teams and people
// to talk to). Without a directory it is the start form at once.

import { gettext } from "../../js/i18n.js";
import { h } from "../../js/h.js";
import { hasDirectory } from "./decide.js";
import { nav } from "./nav.js";
import { avatar, availability, clearBody, config } from "./page.js";

export function renderHome() {
  const body = clearBody();
  const { tags, staff } = config.directory;
  const intro = h(
    "section",
    { class: "cc-intro" },
    config.welcome_message ? h("p", { class: "cc-welcome", text: config.welcome_message }) : null,
    config.open_now
      ? null
      : h("p", { class: "cc-notice", text: gettext("We are closed right now. Leave a message and we will get back to you.") }),
  );
  body.append(intro);
  if (!hasDirectory(config.directory)) {
    nav.start({}, { append: true });
    return;
  }
  if (tags.length) {
    body.append(
      directory(
        "cc-tags-title",
        gettext("Choose a team"),
        tags.map((tag) =>
          h(
            "button",
            { type: "button", class: "cc-choice", "data-tag": tag.name, onclick: () => nav.start({ tag: tag.name }) },
            h("span", { class: `cc-dot ${tag.available ? "cc-active" : "cc-offline"}`, "aria-hidden": "true" }),
            h("span", { class: "cc-choice-name", text: tag.name }),
            h("span", { class: "cc-choice-status", text: tag.available ? gettext("Available") : gettext("Leave a message") }),
          ),
        ),
      ),
    );
  }
  if (staff.length) {
    body.append(
      directory(
        "cc-staff-title",
        gettext("Or talk to someone you know"),
        staff.map((person) =>
          h(
            "button",
            {
              type: "button",
              class: "cc-choice",
              "data-staff": person.id,
              onclick: () => nav.start({ staff: person.id, staffName: person.display_name }),
            },
            avatar(person, 28),
            h("span", { class: "cc-choice-name", text: person.display_name }),
            availability(person, "cc-choice-status"),
          ),
        ),
      ),
    );
  }
  body.append(
    h("button", { type: "button", class: "cc-btn cc-start-default", onclick: () => nav.start({}) }, gettext("Start a conversation")),
  );
}

/**
 * A titled list of choices.
 * @param {string} id the title's id
 * @param {string} title
 * @param {HTMLElement[]} choices
 */
function directory(id, title, choices) {
  return h(
    "section",
    { class: "cc-directory", "aria-labelledby": id },
    h("h2", { id, text: title }),
    h(
      "ul",
      { class: "cc-list" },
      choices.map((choice) => h("li", {}, choice)),
    ),
  );
}
