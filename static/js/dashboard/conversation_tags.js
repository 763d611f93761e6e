// @ts-check
// Admin page: the conversation tag tree (what conversations were about: "Billing" >
// "Refund"; two levels). Add a tag at the top or under a top-level tag, rename or move one,
// delete one (with its children; the enquiries that had them lose them, said before).
import { gettext, interpolate, ngettext } from "../i18n.js";
import { api } from "./api.js";
import { clear, confirmDialog, field, formDialog, h, toast } from "./dom.js";
import { groupTags, parentChoices } from "./tag_tree.js";

/** @typedef {import("./tag_tree.js").ConversationTag} ConversationTag */

/**
 * @param {HTMLElement} main
 * @returns {Promise<null>}
 */
export async function render(main) {
  await paint(main);
  return null;
}

/**
 * A select of the top-level tags (and "top level").
 * @param {ConversationTag[]} tags
 * @param {number | null} selected
 * @param {number | null} [exclude] a tag that cannot be its own parent
 * @returns {HTMLSelectElement}
 */
function parentSelect(tags, selected, exclude = null) {
  return /** @type {HTMLSelectElement} */ (
    h(
      "select",
      { name: "parent" },
      h("option", { value: "", text: gettext("(top level)"), selected: selected === null }),
      parentChoices(tags)
        .filter((t) => t.id !== exclude)
        .map((t) => h("option", { value: String(t.id), text: t.name, selected: t.id === selected })),
    )
  );
}

/**
 * Send a change; say so and repaint, or show the refusal.
 * @param {HTMLElement} main
 * @param {() => Promise<unknown>} call
 * @param {string} message
 */
async function change(main, call, message) {
  try {
    await call();
    toast(message);
    await paint(main);
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), "error");
  }
}

/** @param {HTMLElement} main */
async function paint(main) {
  /** @type {{results: ConversationTag[]}} */
  const { results: tags } = await api("GET", "/api/v1/conversation-tags");
  const name = /** @type {HTMLInputElement} */ (h("input", { name: "name", required: true, maxlength: 60, autocomplete: "off" }));
  const parent = parentSelect(tags, null);
  const form = h(
    "form",
    { class: "inline-form ctag-new", "aria-label": gettext("New conversation tag") },
    field(gettext("New tag"), name),
    field(gettext("Under"), parent),
    h("button", { type: "submit", class: "primary", text: gettext("Add tag") }),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), parent: parent.value ? Number(parent.value) : null };
    change(main, () => api("POST", "/api/v1/conversation-tags", body), gettext("Conversation tag added."));
  });
  const groups = groupTags(tags);
  const tree = groups.length
    ? h(
        "ul",
        { class: "ctag-tree", "aria-label": gettext("Conversation tags") },
        groups.map((g) =>
          h("li", { class: "ctag-root", dataset: { ctagId: String(g.root.id) } }, row(main, tags, g.root, g.children.length), g.children.length ? h("ul", { class: "ctag-children" }, g.children.map((c) => h("li", { class: "ctag-child", dataset: { ctagId: String(c.id) } }, row(main, tags, c, 0)))) : null),
        ),
      )
    : h("p", { class: "muted", text: gettext("No conversation tags yet.") });
  clear(
    main,
    h(
      "section",
      { class: "admin-page conversation-tags" },
      h("h1", { text: gettext("Conversation tags") }),
      h("p", { class: "muted", text: gettext("What conversations were about, in two levels (for example Billing > Refund). The owner of an enquiry, or an admin, sets them in the room's information panel; History, Search and Exports filter by them.") }),
      form,
      tree,
    ),
  );
}

/**
 * One tag: its name, how many enquiries carry it, and Rename / Move / Delete.
 * @param {HTMLElement} main
 * @param {ConversationTag[]} tags
 * @param {ConversationTag} tag
 * @param {number} childCount
 * @returns {HTMLElement}
 */
function row(main, tags, tag, childCount) {
  const used = tag.enquiries || 0;
  return h(
    "div",
    { class: "ctag-row" },
    h("span", { class: "ctag-name", text: tag.name }),
    h("small", { class: "muted", text: ` · ${interpolate(ngettext("%(n)s enquiry", "%(n)s enquiries", used), { n: used })}` }),
    h(
      "span",
      { class: "row-actions" },
      h("button", { type: "button", class: "small-button", text: gettext("Rename"), "aria-label": interpolate(gettext("Rename %(name)s"), { name: tag.name }), onclick: () => rename(main, tag) }),
      childCount ? null : h("button", { type: "button", class: "small-button", text: gettext("Move"), "aria-label": interpolate(gettext("Move %(name)s"), { name: tag.name }), onclick: () => move(main, tags, tag) }),
      h("button", { type: "button", class: "small-button danger", text: gettext("Delete"), "aria-label": interpolate(gettext("Delete %(name)s"), { name: tag.name }), onclick: () => remove(main, tag, childCount) }),
    ),
  );
}

/**
 * @param {HTMLElement} main
 * @param {ConversationTag} tag
 */
async function rename(main, tag) {
  const data = await formDialog(interpolate(gettext("Rename %(name)s"), { name: tag.name }), (/** @type {HTMLFormElement} */ form) => {
    form.append(field(gettext("Name"), h("input", { name: "name", required: true, maxlength: 60, value: tag.name })));
  });
  if (!data) return;
  const name = String(data.get("name") || "").trim();
  await change(main, () => api("PATCH", `/api/v1/conversation-tags/${tag.id}`, { name }), gettext("Conversation tag renamed."));
}

/**
 * @param {HTMLElement} main
 * @param {ConversationTag[]} tags
 * @param {ConversationTag} tag
 */
async function move(main, tags, tag) {
  const data = await formDialog(interpolate(gettext("Move %(name)s"), { name: tag.name }), (/** @type {HTMLFormElement} */ form) => {
    form.append(field(gettext("Under"), parentSelect(tags, tag.parent ?? null, tag.id)));
  });
  if (!data) return;
  const value = String(data.get("parent") || "");
  await change(main, () => api("PATCH", `/api/v1/conversation-tags/${tag.id}`, { parent: value ? Number(value) : null }), gettext("Conversation tag moved."));
}

/**
 * @param {HTMLElement} main
 * @param {ConversationTag} tag
 * @param {number} childCount
 */
async function remove(main, tag, childCount) {
  const parts = [];
  if (childCount) parts.push(interpolate(ngettext("The %(n)s tag under it is deleted too.", "The %(n)s tags under it are deleted too.", childCount), { n: childCount }));
  const used = tag.enquiries || 0;
  if (used) parts.push(interpolate(ngettext("%(n)s enquiry loses it.", "%(n)s enquiries lose it.", used), { n: used }));
  else parts.push(gettext("No enquiry has it."));
  const ok = await confirmDialog(interpolate(gettext("Delete the conversation tag %(name)s?"), { name: tag.name }), parts.join(" "), gettext("Delete tag"));
  if (!ok) return;
  await change(main, () => api("DELETE", `/api/v1/conversation-tags/${tag.id}`), interpolate(gettext("Conversation tag %(name)s deleted."), { name: tag.name }));
}
