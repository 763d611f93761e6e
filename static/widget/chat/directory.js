// @ts-check
// Pure helpers of the directory and its live state (tests/js/widget_directory.test.js): what
// each choice shows in and out of hours, the header's subtitle, and how a
// staff.availability / tag.availability event or a fresh public config changes the config
// the widget holds.

import { gettext } from "../../js/i18n.js";
import { availabilityLabel } from "./labels.js";

/** @typedef {import("./types.js").WidgetConfig} WidgetConfig */
/** @typedef {import("./types.js").Person} Person */
/** @typedef {import("./types.js").DirectoryTag} DirectoryTag */

/**
 * What a directory choice shows: its dot's class and its word. Out of hours everyone is
 * closed (grey), whatever their availability.
 * @param {{availability?: string, available?: boolean}} entry a person or a tag
 * @param {boolean} openNow
 * @returns {{dot: string, text: string, state: string}}
 */
export function choiceStatus(entry, openNow) {
  if (!openNow) return { dot: "cc-closed", text: gettext("Closed"), state: "closed" };
  if (entry.availability !== undefined) {
    const state = entry.availability || "offline";
    return { dot: `cc-${state}`, text: availabilityLabel(state), state };
  }
  return entry.available
    ? { dot: "cc-active", text: gettext("Available"), state: "active" }
    : { dot: "cc-offline", text: gettext("Leave a message"), state: "offline" };
}

/**
 * The header's line under the company name: no promise of a quick reply out of hours.
 * @param {{open_now: boolean, greeting: string}} config
 * @returns {string}
 */
export function subtitleText(config) {
  if (!config.open_now) return gettext("Closed now: leave us a note");
  return config.greeting || gettext("We usually reply in a few minutes");
}

/**
 * Applies a staff.availability or tag.availability event to the config (in place).
 * @param {WidgetConfig} config
 * @param {{type: string, data?: any}} event
 * @returns {boolean} whether anything the directory shows changed
 */
export function applyAvailabilityEvent(config, event) {
  const data = event.data || {};
  let changed = false;
  if (event.type === "staff.availability" && typeof data.availability === "string") {
    const people = [...config.directory.staff];
    const target = config.destination && config.destination.staff;
    if (target) people.push(target);
    for (const person of people) {
      if (person.id === data.staff_id && person.availability !== data.availability) {
        person.availability = data.availability;
        changed = true;
      }
    }
  } else if (event.type === "tag.availability") {
    for (const tag of config.directory.tags) {
      if (tag.id === data.tag_id && tag.available !== !!data.available) {
        tag.available = !!data.available;
        changed = true;
      }
    }
  }
  return changed;
}

/**
 * Takes what may change while the widget is open from a fresh public config (in place).
 * @param {WidgetConfig} config
 * @param {WidgetConfig} fresh
 * @returns {{openChanged: boolean, directoryChanged: boolean, listChanged: boolean}} listChanged: the
 *   directory lists other tags or people (drawn again), not only other statuses
 */
export function mergeConfig(config, fresh) {
  const openChanged = config.open_now !== fresh.open_now;
  const before = JSON.stringify([config.directory, config.destination]);
  const directoryChanged = before !== JSON.stringify([fresh.directory, fresh.destination]);
  const listChanged = listKey(config) !== listKey(fresh);
  config.open_now = fresh.open_now;
  config.directory = fresh.directory;
  config.destination = fresh.destination;
  return { openChanged, directoryChanged, listChanged };
}

/**
 * Who and what the directory lists, without their statuses.
 * @param {WidgetConfig} config
 * @returns {string}
 */
function listKey(config) {
  const { tags, staff } = config.directory;
  return JSON.stringify([tags.map((t) => [t.id, t.name]), staff.map((p) => [p.id, p.display_name, p.avatar_url])]);
}

/**
 * Whether the config is worth reading again now: the chat is on screen, the tab is shown,
 * and no socket brings the changes.
 * @param {{visible: boolean, socketState: string, hidden: boolean}} facts
 * @returns {boolean}
 */
export function shouldPoll({ visible, socketState, hidden }) {
  return visible && !hidden && socketState !== "open";
}
