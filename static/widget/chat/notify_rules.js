// @ts-check
// Pure rules of the widget's notifications (no DOM): one notification per burst of agent
// messages that always shows the burst's latest text, and the visitor's mute switch as it is
// kept in localStorage. Unit-tested in tests/js/widget_notify.test.js.

/**
 * One notification as the widget decided it (window.ccWidgetDebug.notifications holds these).
 * @typedef {object} NotificationEntry
 * @property {string} title
 * @property {string} body the latest message's text
 * @property {number} count the messages of the burst
 * @property {boolean} shown whether a system notification was shown for it
 */

/**
 * The notification log after an agent message: a new entry, or, within a burst, the last
 * entry updated to the newest text (the system notification is then replaced, same tag).
 * @param {NotificationEntry[]} log changed in place
 * @param {{title: string, body: string}} text the new message's notification text
 * @param {{folded: boolean, unseen: boolean}} how folded: within 3 s of the previous
 *   message; unseen: the chat is not on screen (so a system notification is shown)
 * @returns {{entry: NotificationEntry, isNew: boolean}} isNew: a new burst (sound plays)
 */
export function recordNotification(log, text, { folded, unseen }) {
  const last = log[log.length - 1];
  if (folded && last) {
    last.title = text.title;
    last.body = text.body;
    last.count += 1;
    last.shown = last.shown || unseen;
    return { entry: last, isNew: false };
  }
  const entry = { title: text.title, body: text.body, count: 1, shown: unseen };
  log.push(entry);
  return { entry, isNew: true };
}

/**
 * The localStorage key of the visitor's mute switch for one channel.
 * @param {string} channelKey
 * @returns {string}
 */
export function muteKey(channelKey) {
  return `cc-widget-mute:${channelKey}`;
}

/**
 * Whether a stored value means muted ("1"); anything else, or nothing, is not.
 * @param {string | null | undefined} value
 * @returns {boolean}
 */
export function isMutedValue(value) {
  return value === "1";
}
