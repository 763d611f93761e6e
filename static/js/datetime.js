// @ts-check
// Dates, times and durations of the dashboard and the widget. The dashboard shows them in the
// staff member's locale and time zone (README "Languages"): its app.js configures this module
// from the page's boot data (the page's language and the staff member's time zone). The widget
// never configures it: the visitor's browser locale and time zone. Every view formats through
// these functions rather than calling toLocaleString itself. The clock follows the locale: 24-hour where it says so
// (zh-Hans, en-GB), 12-hour elsewhere (en-US, zh-Hant): hour12 is never forced.
import { gettext, interpolate } from "./i18n.js";

/** @type {{ locale: string | undefined, timeZone: string | undefined }} */
const current = { locale: undefined, timeZone: undefined };

/**
 * The language and script of a locale ("zh-Hans" for zh-CN and zh-hans, "en-Latn" for en-GB).
 * @param {string} tag
 * @returns {string}
 */
function languageScript(tag) {
  try {
    const loc = new Intl.Locale(tag).maximize();
    return `${loc.language}-${loc.script || ""}`;
  } catch {
    return "";
  }
}

/**
 * The locale to format in for a page language: the first of the browser's preferred locales of
 * the same language and script (its region's conventions: en-GB's 24-hour clock), else the page
 * language itself.
 * @param {string} language a Django language code ("en", "zh-hans")
 * @param {readonly string[]} [preferred] the browser's languages (navigator.languages)
 * @returns {string}
 */
export function localeFor(language, preferred = []) {
  const wanted = languageScript(language);
  if (wanted) {
    for (const tag of preferred) {
      if (languageScript(tag) === wanted) return new Intl.Locale(tag).toString();
    }
  }
  try {
    return new Intl.Locale(language).toString();
  } catch {
    return "en";
  }
}

/**
 * @param {{ locale?: string, timeZone?: string }} options locale: a BCP 47 tag or Django
 *   language code; timeZone: an IANA name (an unknown one is ignored: the browser's)
 */
export function configure({ locale, timeZone } = {}) {
  current.locale = locale ? localeFor(locale, typeof navigator !== "undefined" ? navigator.languages || [] : []) : undefined;
  current.timeZone = timeZone && isTimeZone(timeZone) ? timeZone : undefined;
}

/** @returns {string} the locale dates are formatted in */
export function currentLocale() {
  return current.locale || new Intl.DateTimeFormat().resolvedOptions().locale;
}

/** @returns {string} the time zone dates are shown in */
export function currentTimeZone() {
  return current.timeZone || new Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/**
 * @param {string} name
 * @returns {boolean}
 */
export function isTimeZone(name) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the locale's clock is 24-hour.
 * @param {string} [locale]
 * @returns {boolean}
 */
export function uses24Hour(locale = currentLocale()) {
  const options = new Intl.DateTimeFormat(locale, { hour: "numeric" }).resolvedOptions();
  return options.hourCycle ? options.hourCycle === "h23" || options.hourCycle === "h24" : !options.hour12;
}

/**
 * @param {Date | string | number | null | undefined} value
 * @returns {Date | null}
 */
function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * @param {Intl.DateTimeFormatOptions} options
 * @returns {Intl.DateTimeFormat}
 */
function formatter(options) {
  return new Intl.DateTimeFormat(currentLocale(), { timeZone: currentTimeZone(), ...options });
}

/**
 * "07:05" / "7:05 PM".
 * @param {Date | string | number | null | undefined} value
 * @returns {string}
 */
export function formatTime(value) {
  const d = toDate(value);
  // The locale's own short time pattern (zh-Hans "HH:mm", en "h:mm a", zh-Hant "Bh:mm").
  return d ? formatter({ timeStyle: "short" }).format(d) : "";
}

/**
 * "2026年1月5日" / "Jan 5, 2026".
 * @param {Date | string | number | null | undefined} value
 * @returns {string}
 */
export function formatDate(value) {
  const d = toDate(value);
  return d ? formatter({ dateStyle: "medium" }).format(d) : "";
}

/**
 * "1月5日" / "Jan 5": a short day of the month, for lists.
 * @param {Date | string | number | null | undefined} value
 * @returns {string}
 */
export function formatShortDate(value) {
  const d = toDate(value);
  return d ? formatter({ month: "short", day: "numeric" }).format(d) : "";
}

/**
 * The weekday's name ("Monday", "星期一").
 * @param {Date | string | number | null | undefined} value
 * @returns {string}
 */
export function formatWeekday(value) {
  const d = toDate(value);
  return d ? formatter({ weekday: "long" }).format(d) : "";
}

/**
 * "2026年1月5日 23:30" / "Jan 5, 2026, 11:30 PM".
 * @param {Date | string | number | null | undefined} value
 * @returns {string}
 */
export function formatDateTime(value) {
  const d = toDate(value);
  return d ? formatter({ dateStyle: "medium", timeStyle: "short" }).format(d) : "";
}

/**
 * @param {Date} d
 * @returns {string} the calendar day of d in the current time zone
 */
function dayOf(d) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: currentTimeZone(), year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
}

/**
 * The calendar day of a moment in the current time zone ("2026-01-05"), "" for no date.
 * @param {Date | string | number | null | undefined} value
 * @returns {string}
 */
export function dayKey(value) {
  const d = toDate(value);
  return d ? dayOf(d) : "";
}

/**
 * The heading of a day in a conversation: "Today", "Yesterday", else the weekday and date
 * ("Monday, Jan 5" this year, "Jan 5, 2025" before), in the current time zone.
 * @param {Date | string | number | null | undefined} value
 * @param {Date} [now]
 * @returns {string}
 */
export function dayLabel(value, now = new Date()) {
  const d = toDate(value);
  if (!d) return "";
  const day = dayOf(d);
  if (day === dayOf(now)) return gettext("Today");
  // The day before today's noon is yesterday whatever the daylight-saving changes.
  const noon = new Date(`${dayOf(now)}T12:00:00Z`);
  if (day === new Date(noon.getTime() - 24 * 3600 * 1000).toISOString().slice(0, 10)) return gettext("Yesterday");
  if (day.slice(0, 4) === dayOf(now).slice(0, 4)) return formatter({ weekday: "long", month: "short", day: "numeric" }).format(d);
  return formatDate(d);
}

/**
 * Whether two moments fall on the same calendar day in the staff member's time zone.
 * @param {Date} a
 * @param {Date} b
 * @returns {boolean}
 */
export function sameDay(a, b) {
  return dayOf(a) === dayOf(b);
}

/**
 * A message's time: the time alone today (in the staff member's time zone), else date and time.
 * @param {Date | string | number | null | undefined} value
 * @param {Date} [now]
 * @returns {string}
 */
export function formatClock(value, now = new Date()) {
  const d = toDate(value);
  if (!d) return "";
  return dayOf(d) === dayOf(now) ? formatTime(d) : formatDateTime(d);
}

/**
 * "3 minutes ago", "in 2 hours", "昨天".
 * @param {Date | string | number | null | undefined} value
 * @param {Date | number} [now]
 * @returns {string}
 */
export function formatRelative(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return "";
  const seconds = (d.getTime() - Number(now)) / 1000;
  const rtf = new Intl.RelativeTimeFormat(currentLocale(), { numeric: "auto" });
  /** @type {[Intl.RelativeTimeFormatUnit, number][]} */
  const units = [
    ["year", 365 * 24 * 3600],
    ["month", 30 * 24 * 3600],
    ["week", 7 * 24 * 3600],
    ["day", 24 * 3600],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return rtf.format(Math.round(seconds), "second");
}

/**
 * A duration ("45s", "3m 05s", "2h 05m"; "3分05秒" in Chinese): waiting times, handling times.
 * @param {number | null | undefined} seconds
 * @returns {string}
 */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return interpolate(gettext("%(s)ss"), { s });
  const m = Math.floor(s / 60);
  if (m < 60) return interpolate(gettext("%(m)sm %(ss)ss"), { m, ss: String(s % 60).padStart(2, "0") });
  const hrs = Math.floor(m / 60);
  return interpolate(gettext("%(h)sh %(mm)sm"), { h: hrs, mm: String(m % 60).padStart(2, "0") });
}

/**
 * A number in the locale ("10,000").
 * @param {number} n
 * @returns {string}
 */
export function formatNumber(n) {
  return new Intl.NumberFormat(currentLocale()).format(n);
}
