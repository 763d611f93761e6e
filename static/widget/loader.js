/*! Contact center widget loader.
 * <script src="https://HOST/static/widget/loader.js" data-channel="KEY" async></script>
 * Optional: data-position="left|right", data-color="#2563eb", data-label="Chat with us",
 * data-lang="ja" (the chat's language: en, zh-hans, zh-hant, ja, th; else the browser's),
 * data-tag="Sales" / data-staff="12" (open that tag or staff member directly),
 * data-open="true" (open at load), data-launcher="false" (no button: use the API).
 * API: window.ContactCenter.open(), .close(), .toggle(), .setVisitor({first_name, last_name,
 * email, phone}), .openTag(name), .openStaff(id).
 * Everything it draws lives in one shadow root: no CSS in or out. Any error is caught and
 * logged; the host page never breaks because of the widget. */
(function () {
  "use strict";
  var PREFIX = "[ContactCenter]";
  function warn(msg, err) {
    try {
      if (window.console && console.warn) console.warn(PREFIX, msg, err || "");
    } catch (e) {
      /* nothing more to do */
    }
  }
  try {
    if (window.ContactCenter && window.ContactCenter.__loaded) return;
    var script =
      document.currentScript ||
      document.querySelector('script[data-channel][src*="/widget/loader.js"]');
    if (!script) return warn("loader script tag not found");
    var key = script.getAttribute("data-channel") || "";
    if (!/^[A-Za-z0-9_-]{4,40}$/.test(key)) return warn("missing or invalid data-channel");
    var base = new URL(script.src, location.href);
    var ORIGIN = base.origin;
    var attr = function (name, fallback) {
      var v = script.getAttribute("data-" + name);
      return v === null || v === "" ? fallback : v;
    };
    var color = /^#[0-9a-fA-F]{6}$/.test(attr("color", "")) ? attr("color") : "";
    var position = attr("position", "") === "left" ? "left" : attr("position", "") === "right" ? "right" : "";
    // The launcher's label: data-label, else the chat's own (in the visitor's language, sent
    // with cc:ready), "Chat with us" until then.
    var ownLabel = attr("label", "") !== "";
    var label = String(attr("label", "Chat with us")).slice(0, 60);
    // data-lang="ja" (any language tag): the chat's language; else the browser's.
    var lang = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/.test(attr("lang", "")) ? attr("lang") : "";
    var showLauncher = attr("launcher", "true") !== "false";
    var openKey = "cc-widget-open:" + key;

    // Host page context for the enquiry: utm_* of this page, and where the chat started.
    var utm = {};
    new URLSearchParams(location.search).forEach(function (value, name) {
      if (/^utm_[A-Za-z0-9_]{1,58}$/.test(name) && Object.keys(utm).length < 20) utm[name] = value.slice(0, 500);
    });
    var params = new URLSearchParams();
    params.set("parent", location.origin);
    params.set("page", (location.origin + location.pathname).slice(0, 500));
    params.set("title", String(document.title || "").slice(0, 200));
    Object.keys(utm).forEach(function (k) {
      params.set(k, utm[k]);
    });
    if (attr("tag", "")) params.set("tag", attr("tag"));
    if (attr("staff", "")) params.set("staff", attr("staff"));
    if (lang) params.set("lang", lang);

    var host = document.createElement("div");
    host.setAttribute("data-contactcenter", key);
    // Only the host element is in the page's DOM; it resets inherited styles.
    host.style.cssText = "all:initial;position:fixed;z-index:2147483000;bottom:0;width:0;height:0;";
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var side = position || "right";
    var accent = color || "#2563eb";
    root.innerHTML =
      "<style>" +
      ":host{all:initial}" +
      ".cc-launcher{position:fixed;bottom:20px;" + side + ":20px;width:60px;height:60px;border-radius:50%;border:0;" +
      "background:var(--cc-accent," + accent + ");color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);" +
      "display:flex;align-items:center;justify-content:center;padding:0;font:600 14px system-ui,sans-serif}" +
      ".cc-launcher:focus-visible{outline:3px solid #111;outline-offset:3px}" +
      ".cc-launcher svg{width:28px;height:28px;fill:#fff}" +
      ".cc-badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#dc2626;" +
      "color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center;padding:0 5px;box-sizing:border-box}" +
      ".cc-panel{position:fixed;bottom:92px;" + side + ":20px;width:380px;height:600px;max-width:calc(100vw - 40px);" +
      "max-height:calc(100vh - 112px);border-radius:14px;overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.3);" +
      "background:#fff;display:none}" +
      ".cc-panel.cc-open{display:block}" +
      ".cc-panel iframe{border:0;width:100%;height:100%;display:block;color-scheme:normal}" +
      "@media (max-width:480px){.cc-panel{bottom:0;" + side + ":0;width:100vw;height:100vh;max-width:none;" +
      "max-height:none;border-radius:0}}" +
      "[hidden]{display:none!important}" +
      "</style>" +
      '<div class="cc-panel" role="dialog" aria-label="Chat"></div>' +
      '<button class="cc-launcher" type="button" aria-expanded="false" aria-label="' +
      label.replace(/[&<>"']/g, "") +
      '"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>' +
      '<span class="cc-badge" hidden>0</span></button>';
    var panel = root.querySelector(".cc-panel");
    var launcher = root.querySelector(".cc-launcher");
    var badge = root.querySelector(".cc-badge");
    if (!showLauncher) launcher.hidden = true;

    var iframe = document.createElement("iframe");
    iframe.title = "Chat";
    iframe.setAttribute("allow", "autoplay; microphone");
    iframe.src = ORIGIN + "/widget/" + encodeURIComponent(key) + "/?" + params.toString();
    panel.appendChild(iframe);

    var ready = false;
    var alive = false; // the chat page answered: it was allowed to load here
    var queue = [];
    var isOpen = false;
    var unread = 0;

    function post(message) {
      if (!ready) return queue.push(message);
      try {
        iframe.contentWindow.postMessage(message, ORIGIN);
      } catch (e) {
        warn("postMessage failed", e);
      }
    }
    function setUnread(n) {
      unread = n;
      badge.textContent = String(n > 99 ? "99+" : n);
      badge.hidden = n <= 0;
    }
    function remember(open) {
      try {
        sessionStorage.setItem(openKey, open ? "1" : "0");
      } catch (e) {
        /* storage may be blocked */
      }
    }
    function open() {
      isOpen = true;
      panel.classList.add("cc-open");
      launcher.setAttribute("aria-expanded", "true");
      setUnread(0);
      remember(true);
      post({ type: "cc:visible", visible: true });
    }
    function close() {
      isOpen = false;
      panel.classList.remove("cc-open");
      launcher.setAttribute("aria-expanded", "false");
      remember(false);
      post({ type: "cc:visible", visible: false });
    }
    launcher.addEventListener("click", function () {
      try {
        if (isOpen) return close();
        open();
        // Asked only after the visitor's own click, so that agent replies can notify.
        if (window.Notification && Notification.permission === "default") Notification.requestPermission();
      } catch (e) {
        warn("open failed", e);
      }
    });

    window.addEventListener("message", function (event) {
      // Only our own iframe, from our own origin, is listened to.
      if (event.origin !== ORIGIN || event.source !== iframe.contentWindow) return;
      var data = event.data || {};
      alive = true;
      try {
        if (data.type === "cc:ready") {
          ready = true;
          if (data.labels && typeof data.labels === "object") {
            if (!ownLabel && data.labels.launcher) launcher.setAttribute("aria-label", String(data.labels.launcher).slice(0, 60));
            if (data.labels.chat) {
              iframe.title = String(data.labels.chat).slice(0, 60);
              panel.setAttribute("aria-label", iframe.title);
            }
          }
          if (data.color && !color) host.style.setProperty("--cc-accent", String(data.color));
          if (data.position && !position && data.position !== side) {
            var other = data.position === "left" ? "left" : "right";
            launcher.style.left = launcher.style.right = panel.style.left = panel.style.right = "auto";
            launcher.style[other] = "20px";
            panel.style[other] = "20px";
          }
          queue.splice(0).forEach(post);
          post({ type: "cc:visible", visible: isOpen });
          var wasOpen = false;
          try {
            wasOpen = sessionStorage.getItem(openKey) === "1";
          } catch (e) {
            /* storage may be blocked */
          }
          if (data.active && wasOpen && !isOpen) open();
        } else if (data.type === "cc:close") {
          close();
        } else if (data.type === "cc:unread" && !isOpen) {
          setUnread(unread + (Number(data.count) || 1));
        } else if (data.type === "cc:notify" && window.Notification && Notification.permission === "granted") {
          var n = new Notification(String(data.title || "New message").slice(0, 80), {
            body: String(data.body || "").slice(0, 200),
            tag: "cc-" + key,
          });
          n.onclick = function () {
            window.focus();
            open();
          };
        }
      } catch (e) {
        warn("message handling failed", e);
      }
    });
    iframe.addEventListener("load", function () {
      // A site that is not allowed gets an empty, blocked frame: hide the launcher.
      setTimeout(function () {
        if (!alive) {
          host.style.display = "none";
          warn("the chat could not be loaded here (is this domain allowed for the channel?)");
        }
      }, 4000);
    });

    function mount() {
      (document.body || document.documentElement).appendChild(host);
    }
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount);

    window.ContactCenter = {
      __loaded: true,
      open: open,
      close: close,
      toggle: function () {
        return isOpen ? close() : open();
      },
      setVisitor: function (visitor) {
        var clean = {};
        ["first_name", "last_name", "email", "phone"].forEach(function (k) {
          if (visitor && typeof visitor[k] === "string") clean[k] = visitor[k].slice(0, 254);
        });
        post({ type: "cc:visitor", visitor: clean });
      },
      openTag: function (name) {
        post({ type: "cc:open-tag", tag: String(name || "").slice(0, 80) });
        open();
      },
      openStaff: function (id) {
        post({ type: "cc:open-staff", staff: Number(id) || 0 });
        open();
      },
    };
    if (attr("open", "") === "true") open();
  } catch (err) {
    warn("widget failed to load", err);
  }
})();
