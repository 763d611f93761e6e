// @ts-check
// Home: the welcome message and the directory (teams and people to talk to). Without a
// directory it is the start form at once. Out of hours (config.open_now false) it is the
// note form at once (closed.js) over a directory where everyone is closed; a choice there
// says whom the note is for. The statuses follow availability live (chat/live.js calls
// refreshDirectory).

import { gettext } from "../../js/i18n.js";
import { h } from "../../js/h.js";
import { leaveNoteView } from "./closed.js";
import { hasDirectory } from "./decide.js";
import { choiceStatus, subtitleText } from "./directory.js";
import { onDirectoryChange, startConfigPoll } from "./live.js";
import { nav } from "./nav.js";
import { noteEntry } from "./note.js";
import { app, avatar, clearBody, config, ref } from "./page.js";

/** @typedef {import("./types.js").Choice} Choice */

onDirectoryChange(({ openChanged, listChanged }) => {
  if (!homeShown()) return;
  // Drawn again when the hours or the list changed, unless the visitor is writing a note.
  const note = /** @type {HTMLTextAreaElement | null} */ (document.getElementById("cc-closed-note"));
  if ((openChanged || listChanged) && !(note && note.value.trim())) renderHome();
  else refreshDirectory();
});

/**
 * @param {Choice} [choice] out of hours: whom the note is for (a call to action)
 */
export function renderHome(choice) {
  startConfigPoll();
  const body = clearBody();
  const open = config.open_now;
  const subtitle = ref("subtitle");
  if (subtitle) subtitle.textContent = subtitleText(config);
  app.dataset.open = String(open);
  const { tags, staff } = config.directory;
  const intro = h(
    "section",
    { class: "cc-intro", "data-ref": "home" },
    config.welcome_message && open ? h("p", { class: "cc-welcome", text: config.welcome_message }) : null,
    open
      ? null
      : h("p", {
          class: "cc-notice",
          text: gettext("We are closed right now. Leave a note and we will get back to you when we are back."),
        }),
  );
  body.append(intro);
  /** @type {((choice: Choice) => void) | null} */
  let chooseFor = null;
  // The Note button (note.js): null when the channel has none; out of hours the note form is shown already.
  const note = open ? noteEntry() : null;
  if (!open) chooseFor = leaveNoteView(body);
  else if (!hasDirectory(config.directory)) {
    nav.start({}, { append: true });
    if (note) body.append(note);
    return;
  }
  /** @param {Choice} choice */
  const choose = (choice) => (chooseFor ? chooseFor(choice) : nav.start(choice));
  if (tags.length) {
    body.append(
      directory(
        "cc-tags-title",
        open ? gettext("Choose a team") : gettext("Teams"),
        tags.map((tag) =>
          h(
            "button",
            { type: "button", class: "cc-choice", "data-tag": tag.name, "data-tag-id": tag.id, onclick: () => choose({ tag: tag.name }) },
            h("span", { class: "cc-dot", "aria-hidden": "true" }),
            h("span", { class: "cc-choice-name", text: tag.name }),
            h("span", { class: "cc-choice-status" }),
          ),
        ),
      ),
    );
  }
  if (staff.length) {
    body.append(
      directory(
        "cc-staff-title",
        open ? gettext("Or talk to someone you know") : gettext("People"),
        staff.map((person) =>
          h(
            "button",
            {
              type: "button",
              class: "cc-choice",
              "data-staff": person.id,
              onclick: () => choose({ staff: person.id, staffName: person.display_name }),
            },
            avatar(person, 28),
            h("span", { class: "cc-choice-name", text: person.display_name }),
            h("span", { class: "cc-choice-status" }, h("span", { class: "cc-dot", "aria-hidden": "true" }), h("span", { class: "cc-status-text" })),
          ),
        ),
      ),
    );
  }
  refreshDirectory();
  if (chooseFor && choice && (choice.tag || choice.staff)) chooseFor(staffNamed(choice));
  if (open) {
    body.append(
      h("button", { type: "button", class: "cc-btn cc-start-default", onclick: () => nav.start({}) }, gettext("Start a conversation")),
      ...(note ? [note] : []),
    );
  }
}

/**
 * A choice with the person's name from the directory (a call to action gives only the id).
 * @param {Choice} choice
 * @returns {Choice}
 */
function staffNamed(choice) {
  if (!choice.staff || choice.staffName) return choice;
  const person = config.directory.staff.find((p) => p.id === choice.staff);
  return { ...choice, staffName: person ? person.display_name : "" };
}

/** Whether home is on screen. */
export function homeShown() {
  return !!ref("home");
}

/**
 * Draws each choice's status from the config again (a live availability change), without
 * touching anything else on screen.
 */
export function refreshDirectory() {
  const open = config.open_now;
  const subtitle = ref("subtitle");
  if (subtitle && homeShown()) subtitle.textContent = subtitleText(config);
  app.dataset.open = String(open);
  for (const tag of config.directory.tags) {
    const button = app.querySelector(`.cc-choice[data-tag-id="${tag.id}"]`);
    if (!button) continue;
    const status = choiceStatus(tag, open);
    button.querySelector(".cc-dot").className = `cc-dot ${status.dot}`;
    button.querySelector(".cc-choice-status").textContent = status.text;
    button.setAttribute("data-state", status.state);
  }
  for (const person of config.directory.staff) {
    const button = app.querySelector(`.cc-choice[data-staff="${person.id}"]`);
    if (!button) continue;
    const status = choiceStatus(person, open);
    const line = button.querySelector(".cc-choice-status");
    line.className = `cc-choice-status cc-status-${status.state}`;
    line.querySelector(".cc-dot").className = `cc-dot ${status.dot}`;
    line.querySelector(".cc-status-text").textContent = status.text;
    button.setAttribute("data-state", status.state);
  }
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
