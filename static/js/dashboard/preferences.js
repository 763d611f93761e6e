// @ts-check
// The staff member's language and time zone (README "Languages"): a small dialog from the top
// bar, saved on the staff record (PATCH /api/v1/me/preferences). The page then reloads, so
// that its texts, the JavaScript catalogue, <html lang> and every date follow the choice.
import { gettext, interpolate } from "../i18n.js";
import { api } from "./api.js";
import { field, formDialog, h, toast } from "./dom.js";
import { app } from "./state.js";

/** @returns {string[]} the time zones the browser knows (IANA names) */
function timeZones() {
  const intl = /** @type {any} */ (Intl);
  try {
    return typeof intl.supportedValuesOf === "function" ? intl.supportedValuesOf("timeZone") : [];
  } catch {
    return [];
  }
}

/**
 * The dialog's fields.
 * @param {HTMLFormElement} form
 */
function build(form) {
  const me = app.me || {};
  const languages = /** @type {{code: string, name: string}[]} */ (app.boot.languages || []);
  const language = h(
    "select",
    { name: "language" },
    h("option", { value: "", text: gettext("The browser's language") }),
    languages.map((l) => h("option", { value: l.code, text: l.name, lang: l.code })),
  );
  language.value = me.language || "";
  form.append(field(gettext("Language"), language));

  const zones = timeZones();
  if (me.time_zone && !zones.includes(me.time_zone)) zones.unshift(me.time_zone);
  const business = app.boot.business_time_zone || "UTC";
  const zone = h(
    "select",
    { name: "time_zone" },
    h("option", { value: "", text: interpolate(gettext("The business's time zone (%(zone)s)"), { zone: business }) }),
    zones.map((z) => h("option", { value: z, text: z.replaceAll("_", " ") })),
  );
  zone.value = me.time_zone || "";
  form.append(field(gettext("Time zone"), zone, gettext("Dates and times in the dashboard are shown in this time zone.")));
}

export function setupPreferences() {
  const button = document.getElementById("locale-settings");
  if (!button) return;
  button.addEventListener("click", async () => {
    const data = await formDialog(gettext("Language and time zone"), build);
    if (!data) return;
    const body = { language: String(data.get("language") || ""), time_zone: String(data.get("time_zone") || "") };
    try {
      await api("PATCH", "/api/v1/me/preferences", body);
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    location.reload();
  });
}
