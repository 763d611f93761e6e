/*! Contact center widget loader.
 * <script src="https://HOST/static/widget/loader.js" data-channel="KEY" async></script>
 * Optional: data-position="left|right", data-color="#2563eb", data-label="Chat with us",
 * data-lang="ja" (the chat's language: en, zh-hans, zh-hant, ja, th; else the browser's),
 * data-tag="Sales" / data-staff="12" (open that tag or staff member directly),
 * data-open="true" (open at load), data-launcher="false" (no button: use the API).
 * API: window.ContactCenter.open(), .close(), .toggle(), .setVisitor({first_name, last_name,
 * email, phone}), .openTag(name), .openStaff(id). A signed-in user: .setVisitor({identifier,
 * identifier_hash, name, email, phone}), identifier_hash = hex HMAC-SHA256(identifier, the
 * channel's identity secret) made on your server; .logout() when they sign out.
 * Everything it draws lives in one shadow root: no CSS in or out. Any error is caught and
 * logged; the host page never breaks because of the widget.
 * On a phone (a coarse pointer and a small screen, or a narrow window) the open chat fills
 * the visual viewport, also on a page without a viewport meta tag (zoomed out to 980 px: the
 * panel is scaled back to the device's size) and above the on-screen keyboard; the launcher
 * is hidden meanwhile (the chat's own close button and Escape close it). On a desktop the
 * panel has the channel's size and can be dragged by its header (for this page session). */
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

    var clean = function (text) {
      return String(text).replace(/[&<>"']/g, "");
    };
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
      "display:flex;align-items:center;justify-content:center;padding:0;font:600 14px system-ui,sans-serif;" +
      "transform-origin:" + side + " bottom;touch-action:manipulation}" +
      ".cc-launcher:focus-visible{outline:3px solid #111;outline-offset:3px;box-shadow:0 0 0 6px #fff}" +
      ".cc-launcher svg{width:28px;height:28px;fill:#fff}" +
      ".cc-badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#dc2626;" +
      "color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center;padding:0 5px;box-sizing:border-box}" +
      ".cc-panel{position:fixed;bottom:92px;" + side + ":20px;width:380px;height:600px;max-width:calc(100vw - 40px);" +
      "max-height:calc(100vh - 112px);border-radius:14px;overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.3);" +
      "background:#fff;display:none;z-index:1;transform-origin:0 0}" +
      ".cc-panel.cc-open{display:block}" +
      ".cc-panel.cc-phone{max-width:none;max-height:none;border-radius:0;box-shadow:none}" +
      ".cc-panel iframe{border:0;width:100%;height:100%;display:block;color-scheme:normal}" +
      "[hidden]{display:none!important}" +
      "</style>" +
      '<div class="cc-panel" id="cc-panel" role="dialog" aria-label="Chat"></div>' +
      '<button class="cc-launcher" type="button" aria-expanded="false" aria-controls="cc-panel" aria-label="' +
      clean(label) +
      '"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>' +
      '<span class="cc-badge" aria-hidden="true" hidden>0</span></button>';
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
    var size = { width: 380, height: 600 }; // the channel's desktop size (cc:ready)
    var posKey = "cc-widget-pos:" + key;
    var dragged = readPos(); // {x, y}: where the visitor dragged the panel on this page
    var phone = null; // the last layout: full screen (true) or the desktop panel (false)

    function post(message) {
      if (!ready) return queue.push(message);
      try {
        iframe.contentWindow.postMessage(message, ORIGIN);
      } catch (e) {
        warn("postMessage failed", e);
      }
    }
    function store(name, value) {
      try {
        if (value === null) sessionStorage.removeItem(name);
        else sessionStorage.setItem(name, value);
      } catch (e) {
        /* storage may be blocked */
      }
    }
    function stored(name) {
      try {
        return sessionStorage.getItem(name);
      } catch (e) {
        return null; // storage may be blocked
      }
    }
    function readPos() {
      try {
        var p = JSON.parse(stored(posKey) || "null");
        return p && isFinite(p.x) && isFinite(p.y) ? { x: Number(p.x), y: Number(p.y) } : null;
      } catch (e) {
        return null;
      }
    }
    // The launcher's name says how many messages wait: "Chat with us, 2 unread messages" (the
    // chat page answers cc:count-label with the text in the visitor's language).
    function name(text) {
      launcher.setAttribute("aria-label", clean(label) + (text ? ", " + text : ""));
    }
    function setUnread(n) {
      unread = n;
      badge.textContent = String(n > 99 ? "99+" : n);
      badge.hidden = n <= 0;
      name(n > 0 ? n + (n === 1 ? " unread message" : " unread messages") : "");
      if (n > 0) post({ type: "cc:count-label", count: n });
    }
    function remember(open) {
      store(openKey, open ? "1" : "0");
    }

    // A phone: a coarse pointer on a small screen (the layout viewport of a page without a
    // viewport meta tag is 980 px wide, so the width alone does not tell), or a narrow window.
    function isPhone() {
      var vv = window.visualViewport;
      var visible = vv ? vv.width * vv.scale : window.innerWidth;
      if (visible <= 480) return true;
      var coarse = window.matchMedia ? window.matchMedia("(pointer: coarse)").matches : false;
      var touch = coarse || navigator.maxTouchPoints > 0 || "ontouchstart" in window;
      return touch && Math.min(screen.width, screen.height) <= 600;
    }
    function px(n) {
      return Math.round(n * 100) / 100 + "px";
    }
    function clamp(n, low, high) {
      return Math.max(low, Math.min(n, high));
    }
    // Places the launcher and the panel for this screen. On a phone the panel covers the
    // visual viewport (what is on screen, above the keyboard), at the device's scale.
    function layout() {
      var st = panel.style;
      var vv = window.visualViewport;
      var scale = vv ? vv.scale || 1 : 1;
      var nowPhone = isPhone();
      panel.classList.toggle("cc-phone", nowPhone);
      host.setAttribute("data-layout", nowPhone ? "phone" : "desktop");
      // Zoomed out (no viewport meta): the launcher keeps a finger's size.
      launcher.style.transform = nowPhone && scale < 0.95 ? "scale(" + Math.min(1 / scale, 4) + ")" : "";
      launcher.hidden = !showLauncher || (nowPhone && isOpen);
      if (nowPhone) {
        st.left = px(vv ? vv.offsetLeft : 0);
        st.top = px(vv ? vv.offsetTop : 0);
        st.right = st.bottom = "auto";
        st.width = px((vv ? vv.width : window.innerWidth) * scale);
        st.height = px((vv ? vv.height : window.innerHeight) * scale);
        st.transform = scale !== 1 ? "scale(" + 1 / scale + ")" : "";
      } else {
        st.transform = "";
        st.width = size.width + "px";
        st.height = size.height + "px";
        var w = Math.min(size.width, window.innerWidth - 40);
        var h = Math.min(size.height, window.innerHeight - 112);
        if (dragged) {
          st.left = px(clamp(dragged.x, 0, Math.max(0, window.innerWidth - w)));
          st.top = px(clamp(dragged.y, 0, Math.max(0, window.innerHeight - h)));
          st.right = st.bottom = "auto";
        } else {
          st.left = st.right = st.top = "auto";
          st.bottom = "92px";
          st[where] = "20px";
        }
      }
      if (nowPhone !== phone) {
        phone = nowPhone;
        post({ type: "cc:layout", phone: nowPhone, draggable: !nowPhone });
      }
    }
    var pending = false;
    function relayout() {
      if (pending) return;
      pending = true;
      (window.requestAnimationFrame || setTimeout)(function () {
        pending = false;
        try {
          layout();
        } catch (e) {
          warn("layout failed", e);
        }
      });
    }
    window.addEventListener("resize", relayout);
    if (window.visualViewport) {
      window.visualViewport.addEventListener("resize", relayout);
      window.visualViewport.addEventListener("scroll", relayout);
    }
    var where = side;

    // focus: the visitor asked (a click, a key, the page's API): the chat takes the focus.
    function open(focus) {
      isOpen = true;
      panel.classList.add("cc-open");
      launcher.setAttribute("aria-expanded", "true");
      setUnread(0);
      remember(true);
      layout();
      post({ type: "cc:visible", visible: true, focus: focus !== false });
      if (focus !== false) {
        try {
          iframe.focus();
        } catch (e) {
          /* the chat still opens */
        }
      }
    }
    function close() {
      var inside = document.activeElement === host;
      isOpen = false;
      panel.classList.remove("cc-open");
      launcher.setAttribute("aria-expanded", "false");
      remember(false);
      layout();
      post({ type: "cc:visible", visible: false });
      // The focus was in the chat: back to the launcher (not lost on the page's body).
      if (inside && !launcher.hidden) launcher.focus();
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
    function onEscape(event) {
      if (isOpen && (event.key === "Escape" || event.key === "Esc")) {
        close();
        if (!launcher.hidden) launcher.focus();
      }
    }
    root.addEventListener("keydown", onEscape);
    document.addEventListener("keydown", function (event) {
      // Escape on the page closes the chat when nothing else has the focus.
      if (event.target === document.body || event.target === document.documentElement) onEscape(event);
    });

    // The visitor drags the panel by the chat's header (the chat sends the pointer's moves).
    function drag(dx, dy) {
      if (!isOpen || phone) return;
      var rect = panel.getBoundingClientRect();
      var x = clamp(rect.left + dx, 0, Math.max(0, window.innerWidth - rect.width));
      var y = clamp(rect.top + dy, 0, Math.max(0, window.innerHeight - rect.height));
      dragged = { x: x, y: y };
      layout();
    }

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
            launcher.style.left = launcher.style.right = "auto";
            launcher.style[other] = "20px";
            launcher.style.transformOrigin = other + " bottom";
            where = other;
          }
          if (isFinite(data.width) && isFinite(data.height)) {
            size = { width: clamp(Number(data.width), 300, 600), height: clamp(Number(data.height), 400, 900) };
          }
          if (data.title) panel.setAttribute("aria-label", String(data.title).slice(0, 120));
          queue.splice(0).forEach(post);
          phone = null; // tell the chat the layout again, now that it listens
          layout();
          post({ type: "cc:visible", visible: isOpen });
          if (data.active && stored(openKey) === "1" && !isOpen) open(false);
        } else if (data.type === "cc:close") {
          close();
          if (data.focus && !launcher.hidden) launcher.focus();
        } else if (data.type === "cc:unread" && !isOpen) {
          setUnread(unread + (Number(data.count) || 1));
        } else if (data.type === "cc:count-label" && Number(data.count) === unread && unread > 0) {
          name(String(data.text || "").slice(0, 80));
        } else if (data.type === "cc:warn") {
          warn(String(data.text || "").slice(0, 400));
        } else if (data.type === "cc:drag") {
          drag(Number(data.dx) || 0, Number(data.dy) || 0);
        } else if (data.type === "cc:drag-end" && dragged && !phone) {
          store(posKey, JSON.stringify(dragged));
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
    layout();

    function mount() {
      (document.body || document.documentElement).appendChild(host);
    }
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount);

    window.ContactCenter = {
      __loaded: true,
      open: function () {
        open();
      },
      close: close,
      toggle: function () {
        return isOpen ? close() : open();
      },
      setVisitor: function (visitor) {
        var clean = {};
        ["first_name", "last_name", "name", "email", "phone", "identifier", "identifier_hash"].forEach(function (k) {
          var v = visitor && visitor[k];
          if (typeof v === "string" || (k === "identifier" && typeof v === "number")) clean[k] = String(v).slice(0, 1000);
        });
        post({ type: "cc:visitor", visitor: clean });
      },
      logout: function () {
        post({ type: "cc:logout" });
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
    if (attr("open", "") === "true") open(false);
  } catch (err) {
    warn("widget failed to load", err);
  }
})();
