// @ts-check
// The visitor's chat window: inside the loader's iframe (mode "frame") or on a web link's
// Engage Now page (mode "page"). Plain DOM, every user text set with textContent.
//
// This entry wires the modules of chat/ and starts. Over one state object (chat/state.js,
// kept in localStorage so the conversation survives reloads and new tabs):
//   page.js          the page read once (config, #cc-app, mode) and shared DOM helpers
//   api.js           REST (static/js/rest.js) with the visitor's token, token renewal
//   parent.js        the postMessage protocol with static/widget/loader.js
//   home.js          welcome and directory        start.js      the start form
//   conversation.js  the chat's state and events   messages.js   bubbles, files, history
//   composer.js      text, emoji, attachments       after.js      note and rating forms
//   notify.js        sound and notifications
//   labels.js, decide.js, visitor.js: pure helpers (tests/js/widget_*.test.js)

import { gettext } from "../js/i18n.js";
import { openConversation, newConversation, showChatSurface } from "./chat/conversation.js";
import { renderHome } from "./chat/home.js";
import { firstChoice } from "./chat/decide.js";
import { nav } from "./chat/nav.js";
import { debug, unlockAudio } from "./chat/notify.js";
import { app, banner, config, mode, query } from "./chat/page.js";
import { onParentMessage, toParent } from "./chat/parent.js";
import { renderStart } from "./chat/start.js";
import { S, STORE_KEY, forget, load } from "./chat/state.js";

Object.assign(nav, { home: renderHome, start: renderStart, open: openConversation, restart: newConversation });

// Exposed for tests and debugging only: what the widget decided to notify.
/** @type {any} */ (window).ccWidgetDebug = debug;

async function init() {
  toParent({ type: "cc:hello" }); // before any request: tells the loader the page is allowed here
  window.addEventListener("message", onParentMessage);
  app.addEventListener("click", (e) => {
    if (/** @type {Element} */ (e.target).closest('[data-action="close"]')) toParent({ type: "cc:close" });
  });
  const engage = document.querySelector('[data-action="engage"]');
  if (engage) {
    engage.addEventListener("click", () => {
      unlockAudio();
      showChatSurface();
      const first = /** @type {HTMLElement | null} */ (app.querySelector("input, textarea"));
      if (first) first.focus();
    });
  }
  window.addEventListener("storage", (e) => {
    // Another tab of the same visitor started or ended a conversation: follow it.
    if (e.key !== STORE_KEY) return;
    const stored = load();
    if (stored.enquiry && stored.enquiry !== S.enquiryId) {
      Object.assign(S, { token: stored.token, enquiryId: stored.enquiry, room: stored.room, lastId: 0 });
      openConversation().catch(() => {});
    }
  });
  const stored = load();
  S.token = stored.token || null;
  let active = false;
  if (stored.enquiry && stored.token) {
    S.enquiryId = stored.enquiry;
    S.room = stored.room;
    try {
      await openConversation();
      active = true;
    } catch {
      forget();
    }
  }
  if (!active) {
    const choice = firstChoice(mode, query);
    if (choice) renderStart(choice);
    else renderHome();
  }
  app.dataset.ready = "true";
  toParent({ type: "cc:ready", color: config.color, position: config.position, active, labels: { launcher: gettext("Chat with us"), chat: gettext("Chat") } });
}

init().catch((error) => {
  banner(gettext("The chat could not start. Please reload the page."));
  console.error(error);
});
