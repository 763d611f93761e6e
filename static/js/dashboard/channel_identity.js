// @ts-check
// The channel dialog's "Identity verification" part (widget and web link channels, admins):
// the channel's identity secret, hidden until shown, to copy onto the host site's server,
// and a button that rotates it (GET /api/v1/channels/<id>/identity, POST .../identity/rotate).
// The host site signs its signed-in user's id with it: ContactCenter.setVisitor({identifier,
// identifier_hash}), identifier_hash = hex HMAC-SHA256(identifier, secret).

import { api } from "./api.js";
import { confirmDialog, h, toast, uid } from "./dom.js";
import { gettext } from "../i18n.js";

/**
 * @param {{id: number, name: string}} channel
 * @returns {HTMLElement}
 */
export function identitySection(channel) {
  const id = uid("identity");
  const secret = /** @type {HTMLInputElement} */ (
    h("input", { id, type: "password", readonly: true, autocomplete: "off", spellcheck: false, class: "identity-secret", value: "" })
  );
  const show = h("button", { type: "button", class: "small-button", text: gettext("Show"), "aria-pressed": "false" });
  const copy = h("button", { type: "button", class: "small-button", text: gettext("Copy") });
  const rotate = h("button", { type: "button", class: "small-button", text: gettext("Rotate secret") });
  const status = h("small", { class: "hint", role: "status", "aria-live": "polite" });
  /** @param {{identity_secret: string}} body */
  const fill = (body) => {
    secret.value = body.identity_secret;
  };
  show.addEventListener("click", () => {
    const shown = secret.type === "password";
    secret.type = shown ? "text" : "password";
    show.textContent = shown ? gettext("Hide") : gettext("Show");
    show.setAttribute("aria-pressed", String(shown));
  });
  copy.addEventListener("click", () => {
    navigator.clipboard.writeText(secret.value).then(() => toast(gettext("Copied.")));
  });
  rotate.addEventListener("click", async () => {
    const sure = await confirmDialog(
      gettext("Rotate the identity secret?"),
      gettext("Hashes made with the current secret are refused from now on: update the host site's server at the same time."),
      gettext("Rotate secret"),
    );
    if (!sure) return;
    try {
      fill(await api("POST", `/api/v1/channels/${channel.id}/identity/rotate`));
      status.textContent = gettext("A new secret is in use.");
    } catch (error) {
      status.textContent = error.message;
    }
  });
  api("GET", `/api/v1/channels/${channel.id}/identity`)
    .then(fill)
    .catch((error) => {
      status.textContent = error.message;
    });
  return h(
    "fieldset",
    { class: "group identity-verification" },
    h("legend", { text: gettext("Identity verification") }),
    h(
      "p",
      { class: "hint" },
      gettext(
        "Signed-in users of your site are the same customer on every device when your server signs their id: " +
          "ContactCenter.setVisitor({identifier, identifier_hash}) with identifier_hash = hex HMAC-SHA256 of the identifier with this secret. " +
          "Keep the secret on your server; a wrong hash is refused.",
      ),
    ),
    h("label", { for: id, text: gettext("Identity secret") }),
    h("div", { class: "identity-row" }, secret, show, copy, rotate),
    status,
  );
}
