// @ts-check
// Conversation tags as a tree (two levels: "Billing" > "Refund"), for the admin page and the
// room's picker. Pure: no DOM.

/**
 * @typedef {object} ConversationTag
 * @property {number} id
 * @property {string} name
 * @property {number | null} parent the parent's id (null: a top-level tag)
 * @property {string | null} [parent_name]
 * @property {string} [label] "Parent > Child"
 * @property {number} [enquiries] how many enquiries carry it (admin list)
 */

/**
 * @typedef {object} TagGroup
 * @property {ConversationTag} root
 * @property {ConversationTag[]} children
 */

/**
 * Top-level tags by name, each with its children by name. A child whose parent is not in
 * the list is shown as a group of its own (its parent's name, no root tag to pick).
 * @param {ConversationTag[]} tags
 * @returns {TagGroup[]}
 */
export function groupTags(tags) {
  const byName = (/** @type {ConversationTag} */ a, /** @type {ConversationTag} */ b) => a.name.localeCompare(b.name);
  const roots = tags.filter((t) => t.parent === null || t.parent === undefined).sort(byName);
  /** @type {Map<number, ConversationTag[]>} */
  const children = new Map();
  for (const t of tags) {
    if (t.parent === null || t.parent === undefined) continue;
    const list = children.get(t.parent) || [];
    list.push(t);
    children.set(t.parent, list);
  }
  const groups = roots.map((root) => ({ root, children: (children.get(root.id) || []).sort(byName) }));
  const known = new Set(roots.map((r) => r.id));
  for (const [parentId, list] of children) {
    if (known.has(parentId)) continue;
    const name = list[0].parent_name || "";
    groups.push({ root: { id: parentId, name, parent: null }, children: list.sort(byName) });
  }
  return groups;
}

/**
 * "Billing > Refund" (or the name of a top-level tag).
 * @param {ConversationTag} tag
 * @returns {string}
 */
export function tagLabel(tag) {
  if (tag.label) return tag.label;
  return tag.parent_name ? `${tag.parent_name} > ${tag.name}` : tag.name;
}

/**
 * The ids of the tags chosen, in a stable order, with no duplicates.
 * @param {Iterable<number | string>} ids
 * @returns {number[]}
 */
export function chosenIds(ids) {
  return [...new Set([...ids].map(Number).filter((n) => Number.isInteger(n) && n > 0))].sort((a, b) => a - b);
}

/**
 * Top-level tags an admin may put a new tag under (every one: a child has no children).
 * @param {ConversationTag[]} tags
 * @returns {ConversationTag[]}
 */
export function parentChoices(tags) {
  return tags.filter((t) => t.parent === null || t.parent === undefined).sort((a, b) => a.name.localeCompare(b.name));
}
