// @ts-check
// The "Download transcript" links of a conversation: in History's transcript view and in
// the room's header (room/head.js). Plain links: the browser downloads with the session.
import { gettext } from "../i18n.js";
import { h } from "./dom.js";
import { transcriptUrls } from "./history_query.js";

/**
 * @param {number} enquiryId
 * @returns {HTMLElement}
 */
export function transcriptDownloads(enquiryId) {
  const urls = transcriptUrls(enquiryId);
  return h(
    "span",
    { class: "transcript-downloads", role: "group", "aria-label": gettext("Download transcript") },
    h("a", { href: urls.txt, class: "small-button", download: "", "data-action": "transcript-txt", title: gettext("Download transcript (text)"), text: gettext("Transcript (text)") }),
    " ",
    h("a", { href: urls.pdf, class: "small-button", download: "", "data-action": "transcript-pdf", title: gettext("Download transcript (PDF)"), text: gettext("Transcript (PDF)") }),
  );
}
