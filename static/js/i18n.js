// @ts-check
// The dashboard's texts go through these functions so that they can be translated: the names
// are the ones GNU xgettext extracts (`manage.py makemessages -d djangojs`), and at run time
// they read Django's JavaScript catalogue (window.django, loaded by the page) when it is there,
// else they give the English text back. Placeholders are named: interpolate("%(n)s waiting", {n}).

/** @returns {any} */
function catalogue() {
  return /** @type {any} */ (globalThis).django;
}

/**
 * @param {string} msgid
 * @returns {string}
 */
export function gettext(msgid) {
  const django = catalogue();
  return django && typeof django.gettext === "function" ? django.gettext(msgid) : msgid;
}

/**
 * @param {string} singular
 * @param {string} plural
 * @param {number} count
 * @returns {string}
 */
export function ngettext(singular, plural, count) {
  const django = catalogue();
  if (django && typeof django.ngettext === "function") return django.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

/**
 * @param {string} context
 * @param {string} msgid
 * @returns {string}
 */
export function pgettext(context, msgid) {
  const django = catalogue();
  return django && typeof django.pgettext === "function" ? django.pgettext(context, msgid) : msgid;
}

/**
 * Fills "%(name)s" placeholders from values (a translated text, never HTML).
 * @param {string} text
 * @param {Record<string, string | number>} values
 * @returns {string}
 */
export function interpolate(text, values) {
  return text.replace(/%\((\w+)\)s/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

/**
 * The page's language (its <html lang>, set by the server) as a BCP 47 tag for Intl and
 * Accept-Language: "zh-hans" -> "zh-Hans", "ja" -> "ja"; "en" without a page.
 * @returns {string}
 */
export function pageLanguage() {
  const doc = /** @type {any} */ (globalThis).document;
  const lang = String((doc && doc.documentElement && doc.documentElement.lang) || "en");
  return lang.replace(/-(hans|hant)$/i, (_whole, script) => `-${script[0].toUpperCase()}${script.slice(1).toLowerCase()}`);
}
