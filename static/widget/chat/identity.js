// @ts-check
// Widget identity verification: the host page's ContactCenter.setVisitor({identifier,
// identifier_hash, ...}) (parent.js) is checked by the server, which answers the token of
// that user's visitor on this browser; a refusal is logged in the host page's console and
// the chat goes on anonymously. ContactCenter.logout() forgets a verified visitor (the
// host site's user signed out). The decisions are identity_rules.js's.
//
// The identifier this browser's token was verified as is kept beside the conversation's
// record, under "cc-widget-identity:<channel key>" (state.js's record keeps its shape).

import { api, renewToken } from "./api.js";
import { identityBody, identityOutcome, identityWarning } from "./identity_rules.js";
import { nav } from "./nav.js";
import { config } from "./page.js";
import { toParent } from "./parent.js";
import { S, save } from "./state.js";

const IDENTITY_KEY = `cc-widget-identity:${config.key}`;

/** @type {Promise<void>} */
let pending = Promise.resolve();

/** Settles once the identification under way (if any) has its answer: start.js waits for it. */
export function identityReady() {
  return pending;
}

/** @returns {string | null} */
function verifiedAs() {
  try {
    return localStorage.getItem(IDENTITY_KEY);
  } catch {
    return null;
  }
}

/** @param {string | null} identifier */
function rememberIdentity(identifier) {
  try {
    if (identifier) localStorage.setItem(IDENTITY_KEY, identifier);
    else localStorage.removeItem(IDENTITY_KEY);
  } catch {
    /* storage blocked: verified for this page only */
  }
}

/**
 * Another visitor from now on (token or none): the conversation on screen is not theirs.
 * @param {string | null} token
 */
function switchVisitor(token) {
  const showing = S.enquiryId !== null;
  if (showing) nav.restart(); // leaves the conversation, keeps the token, shows home
  S.token = token;
  save();
}

/**
 * Verifies the host page's user (setVisitor with an identifier).
 * @param {any} visitor
 * @returns {Promise<void>}
 */
export function identify(visitor) {
  const body = identityBody(config.key, visitor);
  if (!body) return pending;
  const run = async () => {
    const before = verifiedAs();
    try {
      let got;
      try {
        got = await api("/api/v1/widget/identify", { method: "POST", body });
      } catch (error) {
        if (identityOutcome({ ok: false, status: error.status || 0 }, before) !== "retry") throw error;
        switchVisitor(null); // its token is no longer valid: as a browser without one
        got = await api("/api/v1/widget/identify", { method: "POST", body });
      }
      const action = identityOutcome({ ok: true, new_visitor: !!got.new_visitor }, before);
      if (action === "switch") switchVisitor(got.visitor_token);
      else renewToken(got.visitor_token); // the same visitor: also the socket's next reconnect
      rememberIdentity(body.identifier);
      document.documentElement.dataset.identity = "verified";
    } catch (error) {
      const action = identityOutcome({ ok: false, status: error.status || 0 }, before);
      if (action === "later") return;
      const text = identityWarning(error);
      console.warn("[ContactCenter]", text);
      toParent({ type: "cc:warn", text });
      if (action === "drop") {
        switchVisitor(null);
        rememberIdentity(null);
      }
      document.documentElement.dataset.identity = "refused";
    }
  };
  pending = pending.then(run, run);
  return pending;
}

/** The host site's user signed out (ContactCenter.logout()): a verified visitor is forgotten here. */
export function logout() {
  const run = async () => {
    if (!verifiedAs()) return;
    switchVisitor(null);
    rememberIdentity(null);
    document.documentElement.dataset.identity = "";
  };
  pending = pending.then(run, run);
  return pending;
}
