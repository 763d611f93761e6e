// @ts-check
// An enquiry's conversation tags in the room's information panel (chips; Edit tags for its
// owner and admins: a dialog of checkboxes grouped by parent tag), and the way through a
// resolve or close the server refused for want of a tag (the admin's setting): the same
// dialog says why, saves the tags, and tries again.

import { api } from "../api.js";
import { formDialog, h, toast } from "../dom.js";
import { gettext, interpolate } from "../../i18n.js";
import { app } from "../state.js";
import { chosenIds, groupTags, tagLabel } from "../tag_tree.js";

/** @typedef {import("../tag_tree.js").ConversationTag} ConversationTag */

/**
 * @typedef {object} TaggedEnquiry
 * @property {number} id
 * @property {{id: number} | null} [owner]
 * @property {ConversationTag[]} [tags]
 */

/** The server's refusal code for "a conversation tag is required". */
export const TAG_REQUIRED = "conversation_tag_required";

/**
 * @param {TaggedEnquiry} e
 * @returns {boolean} the viewer may set its topic and tags (its owner, or an admin)
 */
export function canTag(e) {
  return Boolean(app.me && (app.me.is_admin || (e.owner && e.owner.id === app.me.id)));
}

/**
 * Asks which tags the enquiry has. Resolves with the chosen ids, or null when cancelled.
 * @param {TaggedEnquiry} e
 * @param {{title?: string, note?: string, okLabel?: string}} [options] note: why it is asked
 * @returns {Promise<number[] | null>}
 */
export async function pickTags(e, options = {}) {
  /** @type {{results: ConversationTag[]}} */
  const { results } = await api("GET", "/api/v1/conversation-tags");
  const had = new Set((e.tags || []).map((t) => t.id));
  const data = await formDialog(
    options.title || gettext("Conversation tags"),
    (/** @type {HTMLFormElement} */ form) => {
      form.classList.add("ctag-picker");
      if (options.note) form.append(h("p", { class: "form-error", role: "alert", text: options.note }));
      if (!results.length) form.append(h("p", { class: "muted", text: gettext("No conversation tags yet: an admin defines them on the Conversation tags page.") }));
      /**
       * @param {ConversationTag} t
       * @param {string} text
       */
      const check = (t, text) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "tag", value: String(t.id), checked: had.has(t.id), "aria-label": tagLabel(t) }), ` ${text}`);
      for (const g of groupTags(results)) {
        const rootIsTag = results.some((t) => t.id === g.root.id);
        form.append(
          h(
            "fieldset",
            { class: "checks ctag-group" },
            h("legend", { text: g.root.name }),
            rootIsTag ? check(g.root, interpolate(gettext("%(name)s (in general)"), { name: g.root.name })) : null,
            g.children.map((c) => check(c, c.name)),
          ),
        );
      }
    },
    options.okLabel || gettext("Save tags"),
  );
  if (!data) return null;
  return chosenIds(data.getAll("tag").map(String));
}

/**
 * Sets the enquiry's tags (the whole list).
 * @param {number} enquiryId
 * @param {number[]} ids
 */
export function saveTags(enquiryId, ids) {
  return api("PATCH", `/api/v1/enquiries/${enquiryId}`, { tags: ids });
}

/**
 * The panel's tags line: chips, and Edit tags for the owner and admins.
 * @param {TaggedEnquiry} e
 * @param {() => Promise<unknown>} onSaved reloads the panel
 * @returns {HTMLElement | null}
 */
export function tagsBlock(e, onSaved) {
  const tags = e.tags || [];
  const editable = canTag(e);
  if (!editable && !tags.length) return null;
  const chips = tags.length
    ? h("ul", { class: "ctag-chips", "aria-label": gettext("Conversation tags") }, tags.map((t) => h("li", { class: "ctag-chip", text: tagLabel(t) })))
    : h("span", { class: "muted", text: gettext("No tags") });
  const wrap = h("div", { class: "ctags" }, h("strong", { text: `${gettext("Tags")}: ` }), chips);
  if (editable) {
    const edit = h("button", { type: "button", class: "small-button link-button", text: tags.length ? gettext("Edit tags") : gettext("Add tags") });
    edit.addEventListener("click", async () => {
      try {
        const ids = await pickTags(e);
        if (ids === null) return;
        await saveTags(e.id, ids);
        toast(gettext("Tags saved."));
        await onSaved();
      } catch (err) {
        toast(err instanceof Error ? err.message : String(err), "error");
      }
    });
    wrap.append(" ", edit);
  }
  return h("div", { class: "small" }, wrap);
}

/**
 * After a resolve or close refused because a tag is required: ask for tags (saying why),
 * save them and run ``retry`` once more. Returns whether it was retried.
 * @param {TaggedEnquiry} e
 * @param {any} err the refusal
 * @param {() => Promise<unknown>} retry
 * @param {string} okLabel
 * @returns {Promise<boolean>}
 */
export async function tagThenRetry(e, err, retry, okLabel) {
  if (!(err && err.status === 409 && err.body && err.body.code === TAG_REQUIRED)) return false;
  const ids = await pickTags(e, { title: gettext("Tag this conversation"), note: err.message, okLabel });
  if (ids === null) return true;
  if (!ids.length) {
    toast(err.message, "error");
    return true;
  }
  await saveTags(e.id, ids);
  await retry();
  return true;
}
