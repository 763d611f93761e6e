// @ts-check
// The composer's suggestions: quick replies after "/", members after "@", in a listbox under
// the input (arrows move, Enter or Tab chooses, Escape closes).

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { app } from "../state.js";
import { applySuggestion, composerToken, mentionSuggestions, quickReplySuggestions } from "../text.js";
import { growInput } from "./layout.js";
import { mentionNames, nextSuggestion } from "./rules.js";

/** @typedef {import("./state.js").RoomState} RoomState */

/**
 * The quick replies, loaded once per opened room (none if they cannot be loaded).
 * @param {RoomState} state
 * @returns {Promise<{shortcut: string, text: string}[]>}
 */
async function quickReplies(state) {
  if (state.suggest.replies === null) {
    state.suggest.replies = [];
    try {
      const got = await api("GET", "/api/v1/quick-replies");
      state.suggest.replies = Array.isArray(got) ? got : got.results || [];
    } catch {
      state.suggest.replies = [];
    }
  }
  return state.suggest.replies;
}

/**
 * Shows the suggestions for what is typed before the caret, or hides them.
 * @param {RoomState} state
 */
export async function updateSuggest(state) {
  const { textarea } = state.ui;
  const s = state.suggest;
  s.token = composerToken(textarea.value, textarea.selectionStart);
  if (!s.token) return hideSuggest(state);
  if (s.token.kind === "/") {
    s.options = quickReplySuggestions(await quickReplies(state), s.token.query);
  } else {
    s.options = mentionSuggestions(mentionNames(state.info, app.me.id), s.token.query);
  }
  if (!s.options.length) return hideSuggest(state);
  s.active = 0;
  paintSuggest(state);
}

/** @param {RoomState} state */
function paintSuggest(state) {
  const { suggest, textarea } = state.ui;
  const s = state.suggest;
  clear(
    suggest,
    s.options.map((o, i) => {
      const li = h("li", { role: "option", id: `${suggest.id}-${i}`, "aria-selected": String(i === s.active) }, h("strong", { text: o.label }), o.detail ? h("span", { class: "small muted", text: ` ${o.detail.slice(0, 80)}` }) : null);
      li.addEventListener("mousedown", (e) => {
        e.preventDefault();
        choose(state, i);
      });
      return li;
    }),
  );
  suggest.hidden = false;
  textarea.setAttribute("aria-expanded", "true");
  textarea.setAttribute("aria-activedescendant", `${suggest.id}-${s.active}`);
}

/** @param {RoomState} state */
export function hideSuggest(state) {
  const { suggest, textarea } = state.ui;
  suggest.hidden = true;
  state.suggest.options = [];
  textarea.setAttribute("aria-expanded", "false");
  textarea.removeAttribute("aria-activedescendant");
}

/**
 * Puts a suggestion in place of the token being typed.
 * @param {RoomState} state
 * @param {number} i
 */
function choose(state, i) {
  const { textarea } = state.ui;
  const { options, token } = state.suggest;
  const o = options[i];
  if (!o || !token) return;
  const next = applySuggestion(textarea.value, token, o.insert);
  textarea.value = next.value;
  textarea.setSelectionRange(next.caret, next.caret);
  hideSuggest(state);
  growInput(state.ui);
  textarea.focus();
}

/**
 * The composer's keys while suggestions are shown.
 * @param {RoomState} state
 * @param {KeyboardEvent} e
 * @returns {boolean} the key was for the suggestions (nothing else to do with it)
 */
export function suggestKey(state, e) {
  const s = state.suggest;
  if (state.ui.suggest.hidden || !s.options.length) return false;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    s.active = nextSuggestion(s.active, e.key, s.options.length);
    paintSuggest(state);
    return true;
  }
  if (e.key === "Enter" || e.key === "Tab") {
    e.preventDefault();
    choose(state, s.active);
    return true;
  }
  if (e.key === "Escape") {
    hideSuggest(state);
    return true;
  }
  return false;
}
