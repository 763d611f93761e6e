// @ts-check
// The views that lead to one another: home (the directory) ⇄ the start form → the
// conversation → home again. The entry (chat.js) fills this in, so that these modules need
// not import each other in a circle.

/** @typedef {import("./types.js").Choice} Choice */

/**
 * @typedef {object} Nav
 * @property {(choice?: Choice) => void} home the directory, or the start form when there is none; out
 *   of hours the note form, for `choice` if given (home.js)
 * @property {(choice: Choice, options?: {append?: boolean}) => void} start the start form (start.js)
 * @property {() => Promise<void>} open the conversation of S.enquiryId (conversation.js)
 * @property {() => void} restart ends the conversation on screen and goes home (conversation.js)
 * @property {(choice: Choice) => Promise<void>} choose a call-to-action: the start form, or continue / start new (cta.js)
 */

const unwired = () => {
  throw new Error("chat.js has not wired the views yet");
};

/** @type {Nav} */
export const nav = { home: unwired, start: unwired, open: unwired, restart: unwired, choose: unwired };
