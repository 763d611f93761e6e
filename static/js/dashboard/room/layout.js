// @ts-check
// The room view's elements: the header, the message list with its "New messages ↓" button,
// the typing line, the composer and the information panel (shown beside the chat on wide
// screens, behind the "Room info" button on narrow ones).

import { gettext } from "../../i18n.js";
import { clear, h, uid } from "../dom.js";
import { app } from "../state.js";

/** @typedef {import("./state.js").RoomState} RoomState */
/** @typedef {import("./state.js").RoomUi} RoomUi */

/**
 * Builds the view's elements into state.ui and draws them into main.
 * @param {RoomState} state
 * @param {HTMLElement} main
 * @returns {RoomUi}
 */
export function buildLayout(state, main) {
  const title = h("h1", { class: "room-title-h", id: "room-title" });
  const subtitle = h("p", { class: "small muted room-sub" });
  const actions = h("div", { class: "room-actions", role: "toolbar", "aria-label": gettext("Room actions") });
  const infoToggle = h("button", { type: "button", class: "small-button", "aria-expanded": "true", "aria-controls": "room-info", text: gettext("Room info") });
  const list = h("ol", { class: "messages", "aria-label": gettext("Messages"), "aria-live": "polite", "aria-relevant": "additions" });
  const scroller = h("div", { class: "message-scroller", tabindex: "0", "aria-labelledby": "room-title" }, list);
  const jump = h("button", { type: "button", class: "jump-new small-button", hidden: true, text: gettext("New messages ↓") });
  const typing = h("p", { class: "typing small muted", "aria-live": "polite" });
  const banner = h("div", { class: "monitor-banner", hidden: true });
  const replyBar = h("div", { class: "reply-bar", hidden: true });
  const textarea = h("textarea", { id: "composer-text", rows: 1, placeholder: gettext("Message (/ quick reply, @ mention)"), maxlength: app.boot.message_max_chars });
  const suggest = h("ul", { class: "suggest", role: "listbox", id: uid("suggest"), hidden: true, "aria-label": gettext("Suggestions") });
  textarea.setAttribute("aria-controls", suggest.id);
  textarea.setAttribute("aria-autocomplete", "list");
  const fileInput = h("input", { type: "file", id: uid("file"), class: "visually-hidden" });
  const attach = h("label", { for: fileInput.id, class: "attach", title: gettext("Attach a file (image, video, document, voice)") }, gettext("+ File"), h("span", { class: "visually-hidden", text: gettext(" — attach a file") }));
  const send = h("button", { type: "submit", class: "primary", text: gettext("Send") });
  const progress = h("div", { class: "upload-progress", hidden: true });
  const composer = h(
    "form",
    { class: "composer", "aria-label": gettext("Send a message") },
    replyBar,
    progress,
    h("div", { class: "composer-row" }, fileInput, attach, h("label", { for: "composer-text", class: "visually-hidden", text: gettext("Message") }), textarea, send),
    suggest,
  );
  const infoPanel = h("aside", { class: "room-info", id: "room-info", "aria-label": gettext("Room information") });
  const chatCol = h(
    "section",
    { class: "chat", "aria-labelledby": "room-title" },
    h("div", { class: "room-head" }, h("div", {}, title, subtitle), actions, infoToggle),
    banner,
    h("div", { class: "scroll-wrap" }, scroller, jump),
    typing,
    composer,
  );
  const layout = h("div", { class: "room-layout" }, chatCol, infoPanel);
  clear(main, layout);
  const ui = { main, layout, title, subtitle, actions, infoToggle, list, scroller, jump, typing, banner, replyBar, textarea, suggest, fileInput, send, progress, composer, infoPanel };
  state.ui = ui;

  setInfoOpen(ui, !window.matchMedia("(max-width: 1200px)").matches);
  infoToggle.addEventListener("click", () => setInfoOpen(ui, infoPanel.hidden));
  return ui;
}

/**
 * Shows or hides the information panel.
 * @param {RoomUi} ui
 * @param {boolean} open
 */
export function setInfoOpen(ui, open) {
  ui.infoPanel.hidden = !open;
  ui.infoToggle.setAttribute("aria-expanded", String(open));
  ui.layout.classList.toggle("info-open", open);
}

/**
 * The composer grows with its text, up to 200 px.
 * @param {RoomUi} ui
 */
export function growInput(ui) {
  ui.textarea.style.height = "auto";
  ui.textarea.style.height = `${Math.min(ui.textarea.scrollHeight, 200)}px`;
}
