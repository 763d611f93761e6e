// @ts-check
// The files a visitor's note carries (a note left with the widget's Note button or on a
// missed conversation): each a file message of the enquiry's room, downloaded as the room's
// files are (the staff session's cookie). Shown in the Missed list and the follow-up card.

import { gettext, interpolate } from "../i18n.js";
import { h } from "./dom.js";

/**
 * @typedef {object} NoteFile
 * @property {number} message_id
 * @property {string} name
 * @property {string} category "image" | "video" | "document" | "voice"
 * @property {number} size
 * @property {string} url
 * @property {string | null} thumbnail_url
 */

/**
 * The note's files as links (a picture as its thumbnail), or null without files.
 * @param {{files?: NoteFile[]} | null | undefined} note
 * @returns {HTMLElement | null}
 */
export function noteFiles(note) {
  const files = (note && note.files) || [];
  if (!files.length) return null;
  return h(
    "ul",
    { class: "note-files", "aria-label": gettext("Files of the note") },
    files.map((f) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            href: f.url,
            target: "_blank",
            rel: "noopener",
            class: "note-file",
            title: interpolate(gettext("Open %(name)s"), { name: f.name }),
            onclick: (/** @type {Event} */ e) => e.stopPropagation(), // not the row's click
          },
          f.thumbnail_url ? h("img", { src: f.thumbnail_url, alt: f.name, width: 48, height: 48, loading: "lazy" }) : "📎 ",
          f.thumbnail_url ? null : f.name,
        ),
      ),
    ),
  );
}
