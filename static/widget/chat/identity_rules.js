// @ts-check
// Widget identity verification, decided from data: pure functions (no DOM, no storage),
// unit-tested in tests/js/widget_identity.test.js. identity.js calls them and acts.
//
// The host page calls ContactCenter.setVisitor({identifier, identifier_hash, name, email,
// phone}); identifier_hash is the hex HMAC-SHA256 of the identifier with the channel's
// identity secret, computed on the host site's server. The widget sends both to
// POST /api/v1/widget/identify and uses the token it answers.

/** The fields of setVisitor that go with an identifier to the server. */
export const IDENTITY_FIELDS = ["identifier", "identifier_hash", "name", "first_name", "last_name", "email", "phone"];

/**
 * The body of POST /api/v1/widget/identify for what the host page set, or null when it set
 * no identifier (an anonymous visitor: only the start form's prefill).
 * @param {string} channelKey
 * @param {any} visitor
 * @returns {Record<string, string> | null}
 */
export function identityBody(channelKey, visitor) {
  if (!visitor || typeof visitor !== "object") return null;
  const id = visitor.identifier;
  if (!((typeof id === "string" && id !== "") || (typeof id === "number" && Number.isFinite(id)))) return null;
  /** @type {Record<string, string>} */
  const body = { channel_key: channelKey };
  for (const key of IDENTITY_FIELDS) {
    const value = visitor[key];
    if (typeof value === "string" || (key === "identifier" && typeof value === "number")) body[key] = String(value);
  }
  if (!body.identifier_hash) body.identifier_hash = "";
  return body;
}

/**
 * What to do with the server's answer.
 * - "keep": the same visitor (now verified): take the token, keep what is on screen;
 * - "switch": a new visitor (another user on this browser, or a first visit): leave the
 *   conversation on screen (not theirs) and take the token;
 * - "drop": refused while this browser's token is a verified user's: forget token and
 *   conversation, go on anonymously (someone else may be at the keyboard);
 * - "anonymous": refused, the visitor was anonymous: nothing changes, it stays anonymous;
 * - "retry": this browser's token was refused (expired, revoked): ask again without it;
 * - "later": the server could not be asked (network, rate limit): nothing changes.
 * @param {{ok: boolean, new_visitor?: boolean, status?: number}} answer an answer (ok), or a refusal's status
 * @param {string | null} verifiedAs the identifier this browser's token was verified as
 * @returns {"keep" | "switch" | "drop" | "anonymous" | "retry" | "later"}
 */
export function identityOutcome(answer, verifiedAs) {
  if (answer.ok) return answer.new_visitor ? "switch" : "keep";
  if (answer.status === 401) return "retry";
  if (answer.status === 400 || answer.status === 403) return verifiedAs ? "drop" : "anonymous";
  return "later";
}

/**
 * The console's words for a refusal (for the host site's developer, in English like the
 * loader's other warnings; the visitor sees nothing).
 * @param {{status?: number, message?: string, body?: any}} error
 * @returns {string}
 */
export function identityWarning(error) {
  const body = error.body && typeof error.body === "object" ? error.body : {};
  const field = ["identifier_hash", "identifier", "email", "channel_key"].find((k) => Array.isArray(body[k]));
  const why = field ? `${field}: ${body[field][0]}` : body.detail || error.message || `HTTP ${error.status || "?"}`;
  return `setVisitor: the identifier was not verified (${why}). The chat goes on without it (anonymous).`;
}
