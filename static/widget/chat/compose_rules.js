// @ts-check
// Pure rules of the widget's composer (no DOM): which pasted or dropped files may be staged
// for sending and what to say about the others, the name of a pasted screenshot, and where
// the arrow keys move in the emoji picker's grid. Unit-tested in tests/js/widget_compose.test.js.

import { gettext, interpolate, ngettext } from "../../js/i18n.js";

/** At most this many files wait in the composer's preview (each is sent as its own message). */
export const MAX_ATTACHMENTS = 10;

/** The emoji picker's columns (chat.css: grid-template-columns: repeat(8, ...)). */
export const EMOJI_COLUMNS = 8;

/**
 * @typedef {object} TransferLike what a ClipboardEvent's clipboardData or a DragEvent's
 *   dataTransfer offers
 * @property {ArrayLike<File>} [files]
 * @property {ArrayLike<{kind: string, getAsFile: () => File | null}>} [items]
 * @property {ArrayLike<string>} [types]
 */

/**
 * The files a paste or a drop carries (none for plain text).
 * @param {TransferLike | null | undefined} transfer
 * @returns {File[]}
 */
export function transferFiles(transfer) {
  if (!transfer) return [];
  if (transfer.files && transfer.files.length) return Array.from(transfer.files);
  // Some browsers list a pasted image only among the items.
  /** @type {File[]} */
  const files = [];
  for (const item of Array.from(transfer.items || [])) {
    const file = item.kind === "file" ? item.getAsFile() : null;
    if (file) files.push(file);
  }
  return files;
}

/**
 * The files a paste should stage, or none when the paste is text: office programs and web
 * pages put a picture of the copied text (a file) beside the rich text; then the text wins.
 * A screenshot, a copied picture ("Copy image": HTML and a file, no plain text) or copied
 * files give their files.
 * @param {(TransferLike & {getData?: (type: string) => string}) | null | undefined} clipboard
 * @returns {File[]}
 */
export function pastedFiles(clipboard) {
  const files = transferFiles(clipboard);
  if (!files.length || !clipboard) return files;
  const types = Array.from(clipboard.types || []);
  const rich = types.includes("text/html") || types.includes("text/rtf");
  const plain = types.includes("text/plain") && clipboard.getData ? clipboard.getData("text/plain").trim() : "";
  return rich && plain ? [] : files;
}

/**
 * Whether a drag carries files (its types are known before the drop, its files are not).
 * @param {TransferLike | null | undefined} transfer
 * @returns {boolean}
 */
export function carriesFiles(transfer) {
  return !!transfer && Array.from(transfer.types || []).includes("Files");
}

/**
 * @param {number} bytes
 * @returns {string} "2 MB", "640 KB"
 */
export function sizeText(bytes) {
  if (bytes >= 1048576) return interpolate(gettext("%(n)s MB"), { n: (bytes / 1048576).toFixed(1).replace(/\.0$/, "") });
  return interpolate(gettext("%(n)s KB"), { n: Math.max(1, Math.ceil(bytes / 1024)) });
}

/**
 * The checks of every file the visitor sends (the file button's, a paste's, a drop's): not
 * empty, within the server's upload limit, and no more than MAX_ATTACHMENTS waiting. The
 * server checks the content again.
 * @template {{name: string, size: number}} F
 * @param {number} staged how many files already wait in the preview
 * @param {F[]} files the new ones
 * @param {{uploadBytes: number, maxCount?: number}} limits
 * @returns {{accepted: F[], error: string}} error: "" when all were accepted
 */
export function checkAttachments(staged, files, { uploadBytes, maxCount = MAX_ATTACHMENTS }) {
  /** @type {F[]} */
  const accepted = [];
  /** @type {string[]} */
  const errors = [];
  let dropped = 0;
  for (const file of files) {
    const name = file.name || gettext("file");
    if (!file.size) {
      errors.push(interpolate(gettext("%(name)s is empty."), { name }));
    } else if (file.size > uploadBytes) {
      errors.push(interpolate(gettext("%(name)s is too large (at most %(limit)s)."), { name, limit: sizeText(uploadBytes) }));
    } else if (staged + accepted.length >= maxCount) {
      dropped += 1;
    } else {
      accepted.push(file);
    }
  }
  if (dropped) {
    errors.push(
      interpolate(ngettext("At most %(n)s file can be sent at a time.", "At most %(n)s files can be sent at a time.", maxCount), { n: maxCount }) +
        " " +
        interpolate(ngettext("%(left)s file was left out.", "%(left)s files were left out.", dropped), { left: dropped }),
    );
  }
  return { accepted, error: errors.join(" ") };
}

/**
 * The name a pasted file is sent under: browsers call every pasted screenshot "image.png",
 * so such a generic name becomes "screenshot-2026-12-01-0251.png"; real names are kept.
 * @param {string} name
 * @param {string} type the file's MIME type
 * @param {Date} when
 * @returns {string}
 */
export function pastedFileName(name, type, when) {
  if (name && !/^image\.[a-z0-9]+$/i.test(name)) return name;
  const ext = (name.match(/\.([a-z0-9]+)$/i) || [])[1] || (type.split("/")[1] || "png").replace(/[^a-z0-9]/gi, "") || "png";
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  const stamp = `${when.getFullYear()}-${two(when.getMonth() + 1)}-${two(when.getDate())}-${two(when.getHours())}${two(when.getMinutes())}`;
  return `screenshot-${stamp}.${ext.toLowerCase()}`;
}

/**
 * Whether the file is a picture the preview can show as a thumbnail.
 * @param {{type: string}} file
 * @returns {boolean}
 */
export function isPreviewableImage(file) {
  return /^image\/(png|jpeg|gif|webp|bmp)$/i.test(file.type || "");
}

/**
 * Where a key moves the focus in the emoji grid, or null for a key the grid does not use.
 * Left/Right wrap around; Up/Down move a row and stop at the edges; Home/End go to the ends.
 * @param {number} index the focused emoji
 * @param {string} key KeyboardEvent.key
 * @param {number} count how many emoji
 * @param {number} [columns]
 * @returns {number | null}
 */
export function emojiTarget(index, key, count, columns = EMOJI_COLUMNS) {
  if (count <= 0) return null;
  switch (key) {
    case "ArrowRight":
      return (index + 1) % count;
    case "ArrowLeft":
      return (index - 1 + count) % count;
    case "ArrowDown":
      return index + columns < count ? index + columns : index;
    case "ArrowUp":
      return index - columns >= 0 ? index - columns : index;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}
