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
//   note.js          the note form and the Note button (a note at any time)
//   notify.js        sound and notifications
//   cta.js           call-to-action buttons: the start form, or continue / start new
//   earlier.js       the visitor's earlier conversations above the current one
//   labels.js, decide.js, visitor.js, returning.js: pure helpers (tests/js/widget_*.test.js)

import { configure as configureDates } from "../js/datetime.js";
import { gettext, pageLanguage } from "../js/i18n.js";
import { openConversation, newConversation, showChatSurface } from "./chat/conversation.js";
import { openChoice } from "./chat/cta.js";
import { api } from "./chat/api.js";
import { renderHome } from "./chat/home.js";
import { installNoteButton } from "./chat/note.js";
import { firstChoice } from "./chat/decide.js";
import { nav } from "./chat/nav.js";
import { debug, setupBell, unlockAudio } from "./chat/notify.js";
import { app, banner, config, mode, query } from "./chat/page.js";
import { listenFrame, onParentMessage, toParent } from "./chat/parent.js";
import { ctaAction } from "./chat/returning.js";
import { renderStart } from "./chat/start.js";
import { S, STORE_KEY, forget, load } from "./chat/state.js";

Object.assign(nav, { home: renderHome, start: renderStart, open: openConversation, restart: newConversation, choose: openChoice });

// Exposed for tests and debugging only: what the widget decided to notify.
/** @type {any} */ (window).ccWidgetDebug = debug;

async function init() {
  configureDates({ locale: pageLanguage() }); // dates and times in the chat's language, the visitor's time zone
  toParent({ type: "cc:hello" }); // before any request: tells the loader the page is allowed here
  installNoteButton();
  window.addEventListener("message", onParentMessage);
  setupBell();
  listenFrame();
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
  // The page's own choice (data-tag / data-staff, a web link's ?tag=) starts anew after an
  // ended conversation; one going on just continues.
  // A web link page opens on its team's (or person's) start form: config.start, by the server.
  const choice = mode === "page" ? config.start || null : firstChoice(mode, query);
  if (choice && choice.staff && !choice.staffName) {
    const person = config.directory.staff.find((p) => p.id === choice.staff);
    if (person) choice.staffName = person.display_name;
  }
  if (stored.enquiry && stored.token) {
    S.enquiryId = stored.enquiry;
    S.room = stored.room;
    try {
      const enquiry = choice ? await api(`/api/v1/widget/enquiries/${S.enquiryId}`) : null;
      if (enquiry && ctaAction(enquiry) === "start") {
        forget();
      } else {
        await openConversation();
        active = true;
      }
    } catch {
      forget();
    }
  }
  if (!active) {
    if (choice) renderStart(choice);
    else renderHome();
  }
  app.dataset.ready = "true";
  toParent({
    type: "cc:ready",
    color: config.color,
    position: config.position,
    width: config.width,
    height: config.height,
    title: document.title,
    active,
    labels: { launcher: gettext("Chat with us"), chat: gettext("Chat") },
  });
}

init().catch((error) => {
  banner(gettext("The chat could not start. Please reload the page."));
  console.error(error);
});
