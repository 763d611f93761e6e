// The chat room: history and live messages, composer (growing input, reply, files with
// upload progress, quick replies by "/shortcut", @mentions, typing), message actions
// (copy, forward, edit and recall within the edit window), enquiry actions (resolve,
// transfer, leave), admin monitoring (read-only, live) with join / take over, and the room
// information panel.
import { api, upload } from "./api.js";
import { channelIcon, clear, clockTime, confirmDialog, field, fileSize, formDialog, h, toast, uid } from "./dom.js";
import { loadRooms, markRead, updateRoom } from "./rooms.js";
import { app, emit, on } from "./state.js";
import { applySuggestion, composerToken, mentionSuggestions, quickReplySuggestions, segments } from "./text.js";

const DELIVERY = { pending: "…", sent: "✓ sent", delivered: "✓✓ delivered", read: "✓✓ read", failed: "⚠ failed" };

// A message's text as nodes: links open in a new tab without the opener, mentions marked.
function linkify(text, mentionNames) {
  return segments(text, mentionNames).map((part) => {
    if (part.kind === "link") return h("a", { href: part.text, target: "_blank", rel: "noopener noreferrer nofollow", text: part.text });
    if (part.kind === "mention") return h("span", { class: "mention", text: part.text });
    return part.text;
  });
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h("textarea", { class: "visually-hidden" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast("Copied.");
}

export async function render(main, match, params) {
  // This view is current until the dashboard routes elsewhere. A view left while it was
  // still loading must neither read nor mark anything: its listeners are removed only once
  // it has finished loading (app.js), and meanwhile new messages are not on screen.
  const routeSeq = app.routeSeq;
  const stale = () => app.routeSeq !== routeSeq;
  const roomId = Number(match[1]);
  const disposers = [];
  const messages = new Map(); // id -> message
  const pendingByClient = new Map(); // client_id -> li
  let info = null;
  let monitor = params.get("monitor") === "1";
  let replyTo = null;
  let watching = false; // monitoring over the socket ({"type": "watch"}), not by membership
  let readTimer = null;
  let typingTimer = null;
  let lastTypingSent = 0;

  try {
    info = await api("GET", `/api/v1/rooms/${roomId}`);
  } catch (err) {
    if (stale()) return null;
    clear(main, h("h1", { text: "Room" }), h("p", { class: "form-error", role: "alert", text: err.message }));
    if (err.status === 0) {
      // Offline: try again as soon as the socket is back.
      const off = on("socket.open", () => {
        off();
        app.navigate(location.pathname + location.search);
      });
      return off;
    }
    return null;
  }
  if (stale()) return null; // left before it was shown: draw nothing over the next page
  if (!info.me) monitor = true; // an admin looking without being a member
  if (!monitor) app.currentRoom = roomId;

  // ------------------------------------------------------------------ skeleton
  const title = h("h1", { class: "room-title-h", id: "room-title" });
  const subtitle = h("p", { class: "small muted room-sub" });
  const actions = h("div", { class: "room-actions", role: "toolbar", "aria-label": "Room actions" });
  const infoToggle = h("button", { type: "button", class: "small-button", "aria-expanded": "true", "aria-controls": "room-info", text: "Room info" });
  const list = h("ol", { class: "messages", "aria-label": "Messages", "aria-live": "polite", "aria-relevant": "additions" });
  const scroller = h("div", { class: "message-scroller", tabindex: "0", "aria-labelledby": "room-title" }, list);
  const jump = h("button", { type: "button", class: "jump-new small-button", hidden: true, text: "New messages ↓" });
  const typing = h("p", { class: "typing small muted", "aria-live": "polite" });
  const banner = h("div", { class: "monitor-banner", hidden: true });
  const replyBar = h("div", { class: "reply-bar", hidden: true });
  const textarea = h("textarea", { id: "composer-text", rows: 1, placeholder: "Message (/ quick reply, @ mention)", maxlength: app.boot.message_max_chars });
  const suggest = h("ul", { class: "suggest", role: "listbox", id: uid("suggest"), hidden: true, "aria-label": "Suggestions" });
  textarea.setAttribute("aria-controls", suggest.id);
  textarea.setAttribute("aria-autocomplete", "list");
  const fileInput = h("input", { type: "file", id: uid("file"), class: "visually-hidden" });
  const attach = h("label", { for: fileInput.id, class: "attach", title: "Attach a file (image, video, document, voice)" }, "+ File", h("span", { class: "visually-hidden", text: " — attach a file" }));
  const send = h("button", { type: "submit", class: "primary", text: "Send" });
  const progress = h("div", { class: "upload-progress", hidden: true });
  const composer = h(
    "form",
    { class: "composer", "aria-label": "Send a message" },
    replyBar,
    progress,
    h("div", { class: "composer-row" }, fileInput, attach, h("label", { for: "composer-text", class: "visually-hidden", text: "Message" }), textarea, send),
    suggest,
  );
  const infoPanel = h("aside", { class: "room-info", id: "room-info", "aria-label": "Room information" });
  const chatCol = h(
    "section",
    { class: "chat", "aria-labelledby": "room-title" },
    h("div", { class: "room-head" }, h("div", {}, title, subtitle), actions, infoToggle),
    banner,
    h("div", { class: "scroll-wrap" }, scroller, jump),
    typing,
    composer,
  );
  const layout = h("div", { class: "room-layout" }, chatCol, infoPanel);
  clear(main, layout);
  const narrow = window.matchMedia("(max-width: 1200px)").matches;
  const setInfo = (open) => {
    infoPanel.hidden = !open;
    infoToggle.setAttribute("aria-expanded", String(open));
    layout.classList.toggle("info-open", open);
  };
  setInfo(!narrow);
  infoToggle.addEventListener("click", () => setInfo(infoPanel.hidden));

  // ------------------------------------------------------------------ header, actions, info
  const enquiry = () => info.enquiry && info.enquiry.id ? info.enquiry : null;
  const isOwner = () => enquiry() && enquiry().owner && enquiry().owner.id === app.me.id;
  const readOnly = () => monitor || (enquiry() && ["closed", "missed"].includes(enquiry().status));

  function paintHead() {
    const e = enquiry();
    let name = info.name || `Room ${roomId}`;
    if (info.kind === "enquiry" && info.visitor) name = info.visitor.name || "Visitor";
    if (info.kind === "direct" && info.contact) name = info.contact.name;
    title.textContent = name;
    subtitle.textContent = e
      ? `Enquiry #${e.id} · ${e.channel} · ${e.status}${e.owner ? ` · owner ${e.owner.name}` : ""}`
      : info.kind === "space"
        ? `Space · ${info.members.length} members${info.description ? ` · ${info.description}` : ""}`
        : "Direct chat";
    clear(actions);
    if (e && !monitor && info.me) {
      if (isOwner() && e.status === "handling") {
        actions.append(h("button", { type: "button", class: "primary small-button", text: "Resolve", onclick: resolve }));
        actions.append(h("button", { type: "button", class: "small-button", text: "Transfer", onclick: transfer }));
      }
      if (["handling", "resolved"].includes(e.status)) {
        actions.append(h("button", { type: "button", class: "small-button", text: "Leave", onclick: leave }));
      }
      if (app.me.is_admin && !isOwner() && ["handling", "resolved"].includes(e.status)) {
        actions.append(h("button", { type: "button", class: "small-button", text: "Take over", onclick: takeOver }));
      }
    }
    if (monitor) {
      banner.hidden = false;
      clear(banner, h("strong", { text: "Monitoring (read-only). " }), "You see this room live; nobody is told and no read state changes.");
      if (e && ["handling", "resolved"].includes(e.status) && app.me.is_admin) {
        banner.append(
          h("button", { type: "button", class: "small-button", text: "Join", onclick: join }),
          h("button", { type: "button", class: "small-button", text: "Take over", onclick: takeOver }),
        );
      }
    } else banner.hidden = true;
    const ro = readOnly();
    composer.hidden = monitor;
    textarea.disabled = ro;
    send.disabled = ro;
    fileInput.disabled = ro;
    textarea.placeholder = ro && !monitor ? "This conversation is closed (read-only)." : "Message (/ quick reply, @ mention)";
  }

  function kv(pairs) {
    const dl = h("dl", { class: "kv" });
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === "") continue;
      dl.append(h("dt", { text: k }), h("dd", { text: typeof v === "object" ? JSON.stringify(v) : String(v) }));
    }
    return dl;
  }

  function paintInfo() {
    const parts = [h("h2", { class: "visually-hidden", text: "Room information" })];
    if (info.kind === "enquiry" && info.enquiry) {
      const e = info.enquiry;
      parts.push(
        h("h3", { text: "Enquiry" }),
        kv([
          ["ID", e.id],
          ["Channel", e.channel],
          ["Channel detail", [e.channel_detail && e.channel_detail.name, e.channel_detail && e.channel_detail.identity].filter(Boolean).join(" · ")],
          ["Status", e.status],
          ["Language", e.language],
          ["Location", e.location],
          ["Topic", e.topic],
          ["Started", clockTime(e.created_at)],
          ["Picked up", clockTime(e.picked_up_at)],
        ]),
      );
      const v = info.visitor || {};
      // The panel is repainted on room events and on every reconnect: keep what staff
      // are typing into the visitor form (unsaved edits and the focused field).
      const edited = {};
      infoPanel.querySelectorAll(".visitor-form input").forEach((el) => {
        if (el.value !== el.defaultValue) edited[el.name] = el.value;
      });
      const active = infoPanel.contains(document.activeElement) ? document.activeElement : null;
      const form = h("form", { class: "visitor-form", "aria-label": "Visitor information" });
      const inputs = {};
      for (const [key, label, type] of [
        ["first_name", "First name", "text"],
        ["last_name", "Last name", "text"],
        ["email", "Email", "email"],
        ["phone", "Phone", "tel"],
      ]) {
        inputs[key] = h("input", { name: key, type, value: v[key] || "", disabled: monitor && !app.me.is_admin });
        if (key in edited) inputs[key].value = edited[key];
        form.append(field(label, inputs[key]));
      }
      if (active && active.name in inputs) {
        queueMicrotask(() => {
          const el = inputs[active.name];
          el.focus();
          try {
            el.setSelectionRange(active.selectionStart, active.selectionEnd);
          } catch {
            /* email inputs have no selection API */
          }
        });
      }
      form.append(h("button", { type: "submit", class: "small-button", text: "Save visitor" }));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const body = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
        try {
          await api("PATCH", `/api/v1/enquiries/${e.id}/visitor`, body);
          Object.values(inputs).forEach((el) => (el.defaultValue = el.value)); // saved: no longer edits
          toast("Visitor information saved.");
          await reloadInfo();
          if (info.visitor) updateRoom(roomId, { title: info.visitor.name }); // the room list names the visitor
        } catch (err) {
          toast(err.message, "error");
        }
      });
      parts.push(h("h3", { text: "Visitor" }), form);
      if (info.device && Object.keys(info.device).length) parts.push(h("h3", { text: "Device" }), kv(Object.entries(info.device)));
      if (info.utm && Object.keys(info.utm).length) parts.push(h("h3", { text: "UTM" }), kv(Object.entries(info.utm)));
      if (info.destination) {
        const d = info.destination;
        parts.push(h("h3", { text: "Destination" }), kv([["Name", d.name], ["Type", d.type], ["Endpoint", d.endpoint]]));
      }
    }
    if (info.kind === "direct" && info.contact) {
      const c = info.contact;
      parts.push(h("h3", { text: "Contact" }), kv([["Name", c.name], ["Email", c.email], ["Phone", c.phone], ["Time zone", c.time_zone], ["Availability", c.availability]]));
    }
    if (info.kind === "space") {
      parts.push(h("h3", { text: "Space" }), kv([["Name", info.name], ["Description", info.description], ["Private", info.is_private ? "yes" : "no"]]));
    }
    parts.push(
      h("h3", { text: "Members" }),
      h("ul", { class: "members" }, info.members.map((m) => h("li", {}, h("span", { class: `dot av-${m.availability}`, "aria-hidden": "true" }), `${m.name} `, h("small", { class: "muted", text: `${m.role} · ${m.availability}` })))),
    );
    if (info.me) {
      const mute = h("select", {}, [["all", "All messages"], ["mentions", "Only @mentions"], ["mute", "Mute"]].map(([v, l]) => h("option", { value: v, text: l, selected: info.me.mute === v })));
      mute.addEventListener("change", async () => {
        try {
          await api("PATCH", `/api/v1/rooms/${roomId}/membership`, { mute: mute.value });
          updateRoom(roomId, { mute: mute.value });
          toast("Notification setting saved.");
        } catch (err) {
          toast(err.message, "error");
        }
      });
      parts.push(h("h3", { text: "Notifications" }), field("Notify me about", mute));
    }
    clear(infoPanel, parts);
  }

  // The panel is aria-busy while a reload is on its way (it will be repainted): assistive
  // technology and the browser tests then know to wait for it.
  let infoLoads = 0;
  async function reloadInfo() {
    infoLoads += 1;
    infoPanel.setAttribute("aria-busy", "true");
    try {
      info = await api("GET", `/api/v1/rooms/${roomId}`);
      if (!info.me && !monitor) monitor = true;
      if (info.me && monitor && params.get("monitor") !== "1") monitor = false;
      if (monitor) startWatching();
      paintHead();
      paintInfo();
    } catch (err) {
      if (err.status === 403 || err.status === 404) {
        toast("You are no longer in this room.", "info");
        app.navigate("/app/");
      }
    } finally {
      infoLoads -= 1;
      if (!infoLoads) infoPanel.removeAttribute("aria-busy");
    }
  }

  // ------------------------------------------------------------------ enquiry actions
  async function resolve() {
    if (!(await confirmDialog("Resolve enquiry", "Mark this enquiry resolved? It closes automatically later; if the customer writes again it reopens to you.", "Resolve"))) return;
    try {
      await api("POST", `/api/v1/enquiries/${enquiry().id}/resolve`);
      toast("Enquiry resolved.");
      await reloadInfo();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function leave() {
    const owner = isOwner();
    const text = owner ? "Leaving closes this enquiry at once. Leave?" : "Leave this room?";
    if (!(await confirmDialog("Leave room", text, "Leave"))) return;
    try {
      await api("POST", `/api/v1/enquiries/${enquiry().id}/leave`);
      toast(owner ? "Enquiry closed." : "You left the room.");
      await loadRooms();
      app.navigate("/app/");
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function transfer() {
    let staff = [];
    let tags = [];
    try {
      [staff, tags] = await Promise.all([api("GET", "/api/v1/staff"), api("GET", "/api/v1/tags")]).then(([s, t]) => [s.results, t.results]);
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    staff = staff.filter((s) => s.id !== app.me.id && s.is_active);
    const data = await formDialog(
      "Transfer enquiry",
      (form) => {
        form.append(h("p", { class: "small muted", text: "The customer stays with you until the target accepts (60 s)." }));
        const target = h("select", { name: "target", required: true });
        target.append(h("optgroup", { label: "Staff" }, staff.map((s) => h("option", { value: `staff:${s.id}`, text: `${s.display_name || s.email} (${s.availability})` }))));
        target.append(h("optgroup", { label: "Tags" }, tags.map((t) => h("option", { value: `tag:${t.name}`, text: t.name }))));
        form.append(field("Transfer to", target));
      },
      "Transfer",
    );
    if (!data) return;
    const [kind, value] = String(data.get("target")).split(/:(.*)/s);
    try {
      await api("POST", `/api/v1/enquiries/${enquiry().id}/transfer`, kind === "staff" ? { staff: Number(value) } : { tag: value });
      toast("Transfer offered. You keep the customer until it is accepted.");
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function join() {
    if (!(await confirmDialog("Join room", "Join this enquiry as a participant? The agent and the room are told.", "Join"))) return;
    try {
      await api("POST", `/api/v1/enquiries/${enquiry().id}/join`);
      toast("You joined the room.");
      monitor = false;
      app.navigate(`/app/rooms/${roomId}`, { replace: true });
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function takeOver() {
    if (!(await confirmDialog("Take over", "Take this enquiry over? You become its owner; the agent is told.", "Take over"))) return;
    try {
      await api("POST", `/api/v1/enquiries/${enquiry().id}/take-over`);
      toast("You took the enquiry over.");
      monitor = false;
      app.navigate(`/app/rooms/${roomId}`, { replace: true });
    } catch (err) {
      toast(err.message, "error");
    }
  }

  // ------------------------------------------------------------------ messages
  const memberNames = () => info.members.map((m) => m.name).filter(Boolean).concat(["all"]);
  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  const toBottom = () => {
    scroller.scrollTop = scroller.scrollHeight;
    jump.hidden = true;
  };
  jump.addEventListener("click", toBottom);
  scroller.addEventListener("scroll", () => {
    if (atBottom()) {
      jump.hidden = true;
      scheduleRead();
    }
  });

  function canChange(m) {
    if (m.recalled_at || m.kind === "system") return false;
    if (!m.author || m.author.type !== "staff" || m.author.id !== app.me.id) return false;
    return Date.now() - Date.parse(m.created_at) < app.boot.edit_window_seconds * 1000;
  }

  function fileView(file) {
    const cat = file.category;
    if (cat === "image") {
      // Reserve the box before the image loads: no layout jump.
      const w0 = file.width || 240;
      const h0 = file.height || 180;
      const scale = Math.min(1, 240 / w0, 180 / h0);
      return h(
        "a",
        { href: file.url, target: "_blank", rel: "noopener", class: "file-image" },
        h("img", { src: file.thumbnail_url || file.url, alt: file.name, width: Math.round(w0 * scale), height: Math.round(h0 * scale), loading: "lazy" }),
      );
    }
    if (cat === "video") return h("video", { src: file.url, controls: true, preload: "metadata", width: 240, height: 160, "aria-label": file.name });
    if (cat === "voice" || cat === "audio") return h("audio", { src: file.url, controls: true, preload: "metadata", "aria-label": file.name });
    return h("a", { href: file.url, class: "file-doc", download: file.name }, "File: ", file.name, h("small", { class: "muted", text: ` ${fileSize(file.size)}` }));
  }

  function messageView(m) {
    const mine = m.author && m.author.type === "staff" && m.author.id === app.me.id;
    const data = m.data || {};
    const classes = ["msg", `msg-${m.kind}`, `by-${m.author ? m.author.type : "system"}`];
    if (mine) classes.push("mine");
    if ((data.mentions || []).includes(app.me.id) || data.mention_all) classes.push("mentions-me");
    if (m.recalled_at) classes.push("recalled");
    const li = h("li", { class: classes.join(" "), dataset: { id: m.id }, tabindex: "-1" });
    if (m.kind === "system") {
      li.append(h("p", { class: "system-text", text: m.text }), h("time", { datetime: m.created_at, class: "small muted", text: clockTime(m.created_at) }));
      return li;
    }
    li.append(h("div", { class: "msg-meta" }, h("strong", { text: m.author ? m.author.name : "" }), " ", h("time", { datetime: m.created_at, text: clockTime(m.created_at) }), m.edited_at && !m.recalled_at ? h("span", { class: "muted small", text: " (edited)" }) : null));
    if (m.forwarded_from) li.append(h("p", { class: "small muted", text: "↪ Forwarded" }));
    if (m.reply_to) {
      const orig = messages.get(m.reply_to);
      li.append(h("blockquote", { class: "reply-quote" }, orig ? `${orig.author.name}: ${orig.recalled_at ? "message recalled" : (orig.text || (orig.data.file && orig.data.file.name) || "").slice(0, 120)}` : "Reply to an earlier message"));
    }
    if (m.recalled_at) {
      li.append(h("p", { class: "body muted", text: "Message recalled" }));
      return li;
    }
    if (m.text) li.append(h("p", { class: "body" }, linkify(m.text, memberNames())));
    if (data.file) li.append(fileView(data.file));
    // A platform file still downloading, or that could not be: its label (updated by message.edited).
    else if (data.media && data.media.label) li.append(h("p", { class: `media-state media-${data.media.state} muted`, text: data.media.label }));
    if (data.preview && (data.preview.title || data.preview.description)) {
      const p = data.preview;
      li.append(
        h(
          "a",
          { class: "preview", href: p.url, target: "_blank", rel: "noopener noreferrer nofollow" },
          // Only the server's copy (same origin); never an image from the linked page's host.
          p.image && p.image.startsWith("/api/") ? h("img", { src: p.image, alt: "", width: 64, height: 64, loading: "lazy", referrerpolicy: "no-referrer" }) : null,
          h("span", {}, h("strong", { text: p.title || p.url }), h("small", { text: p.description || "" })),
        ),
      );
    }
    const delivery = typeof data.delivery === "string" ? data.delivery : data.delivery && data.delivery.state;
    if (delivery) li.append(h("span", { class: `delivery delivery-${delivery}`, text: DELIVERY[delivery] || delivery }));
    if (!monitor) {
      const tools = h("div", { class: "msg-tools", role: "group", "aria-label": "Message actions" });
      const btn = (label, fn) => tools.append(h("button", { type: "button", class: "tool", text: label, "aria-label": `${label} message from ${m.author.name}`, onclick: () => fn(m) }));
      if (!readOnly()) btn("Reply", startReply);
      if (m.text) btn("Copy", (x) => copyText(x.text));
      btn("Forward", forward);
      if (canChange(m)) {
        if (m.kind === "text") btn("Edit", edit);
        btn("Recall", recall);
      }
      li.append(tools);
    }
    return li;
  }

  function upsert(m, { scroll = true, history = false } = {}) {
    if (m.room !== roomId || stale()) return;
    // A history page is a snapshot taken when its request started: a message that live
    // events already brought is at least as new (each later change comes as an event too),
    // so the snapshot must not put back an older version (e.g. without its link preview).
    if (history && messages.has(m.id)) return;
    const stick = atBottom();
    const known = messages.get(m.id);
    messages.set(m.id, m);
    const view = messageView(m);
    const pending = m.client_id && pendingByClient.get(m.client_id);
    if (known) {
      const old = list.querySelector(`li[data-id="${m.id}"]`);
      if (old) old.replaceWith(view);
    } else if (pending) {
      pending.replaceWith(view);
      pendingByClient.delete(m.client_id);
    } else {
      // Keep id order even if a sync answer and a live event cross.
      const after = [...list.children].find((el) => el.dataset.id && Number(el.dataset.id) > m.id);
      list.insertBefore(view, after || list.querySelector("li.pending") || null);
    }
    if (!known && app.socket && !monitor) app.socket.track(roomId, m.id);
    if (scroll) {
      if (stick || (m.author && m.author.id === app.me.id && m.author.type === "staff")) toBottom();
      else if (!known) jump.hidden = false;
    }
    if (!known) scheduleRead();
  }

  function scheduleRead() {
    if (monitor || !info.me || document.hidden || stale()) return;
    clearTimeout(readTimer);
    readTimer = setTimeout(sendRead, 300);
  }

  function sendRead() {
    readTimer = null;
    const last = Math.max(0, ...messages.keys());
    if (!info.me || !last || last <= (info.me.last_read_message_id || 0)) return;
    info.me.last_read_message_id = last;
    if (app.socketOpen) app.socket.send({ type: "read", room: roomId, message: last });
    else api("POST", `/api/v1/rooms/${roomId}/read`, { message: last }).catch(() => {});
    markRead(roomId);
  }

  // An admin monitoring is not a member: the socket watches the room so its messages and
  // typing arrive live, read-only (no read marker moves). The socket re-sends the watch on
  // every reconnect; each "watching" answer is followed by one REST catch-up, which starts
  // only once the server has joined the room's group, so nothing falls in between.
  function startWatching() {
    if (watching || !app.socket) return;
    watching = true;
    app.socket.watch(roomId);
  }

  async function loadHistory() {
    let after = Math.max(0, ...messages.keys());
    for (let i = 0; i < 20; i += 1) {
      const page = await api("GET", `/api/v1/rooms/${roomId}/messages?after=${after}&limit=500`);
      page.results.forEach((m) => upsert(m, { scroll: false, history: true }));
      if (!page.has_more || !page.results.length) break;
      after = page.results[page.results.length - 1].id;
    }
  }

  // ------------------------------------------------------------------ message actions
  function startReply(m) {
    replyTo = m.id;
    replyBar.hidden = false;
    clear(replyBar, h("span", { text: `Replying to ${m.author.name}: ${(m.text || "").slice(0, 80)}` }), h("button", { type: "button", class: "tool", text: "Cancel reply", onclick: cancelReply }));
    textarea.focus();
  }
  function cancelReply() {
    replyTo = null;
    replyBar.hidden = true;
    clear(replyBar);
  }

  async function edit(m) {
    if (!canChange(m)) return toast("The edit window has passed.", "error");
    const data = await formDialog("Edit message", (form) => {
      const area = h("textarea", { name: "text", rows: 4, required: true, maxlength: app.boot.message_max_chars });
      area.value = m.text;
      form.append(field("Message", area));
    });
    if (!data) return;
    try {
      upsert(await api("PATCH", `/api/v1/messages/${m.id}`, { text: data.get("text") }), { scroll: false });
    } catch (err) {
      toast(err.status === 404 || err.status === 405 ? "Editing is not available yet." : err.message, "error");
    }
  }

  async function recall(m) {
    if (!canChange(m)) return toast("The recall window has passed.", "error");
    if (!(await confirmDialog("Recall message", "Recall this message for everyone? A “message recalled” note stays.", "Recall"))) return;
    try {
      upsert(await api("DELETE", `/api/v1/messages/${m.id}`), { scroll: false });
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function forward(m) {
    const rooms = [...app.rooms.values()];
    const data = await formDialog(
      "Forward message",
      (form) => form.append(field("Forward to", h("select", { name: "room", required: true }, rooms.map((r) => h("option", { value: r.id, text: `${r.title} (${r.kind})` }))))),
      "Forward",
    );
    if (!data) return;
    try {
      const sent = await api("POST", `/api/v1/messages/${m.id}/forward`, { room: Number(data.get("room")), client_id: crypto.randomUUID ? crypto.randomUUID() : String(Math.random()) });
      toast("Forwarded.");
      emit("rooms.refresh", {});
      if (sent.room === roomId) upsert(sent);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  // ------------------------------------------------------------------ composer
  function grow() {
    textarea.style.height = "auto";
    textarea.style.height = `${Math.min(textarea.scrollHeight, 200)}px`;
  }

  function pendingView(text, clientId) {
    const li = h("li", { class: "msg mine pending", dataset: { client: clientId } }, h("div", { class: "msg-meta" }, h("strong", { text: app.me.display_name }), " ", h("span", { class: "small muted", text: "sending…" })), h("p", { class: "body", text }));
    pendingByClient.set(clientId, li);
    list.append(li);
    toBottom();
  }

  async function sendText() {
    const text = textarea.value.trim();
    if (!text || readOnly()) return;
    const clientId = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    const extra = { client_id: clientId };
    if (replyTo) extra.reply_to = replyTo;
    pendingView(text, clientId);
    textarea.value = "";
    grow();
    cancelReply();
    hideSuggest();
    if (app.socketOpen) {
      app.socket.post(roomId, text, extra);
    } else {
      try {
        upsert(await api("POST", `/api/v1/rooms/${roomId}/messages`, { text, ...extra }));
      } catch (err) {
        failPending(clientId, err.message, text);
      }
    }
  }

  function failPending(clientId, message, text) {
    const li = pendingByClient.get(clientId);
    if (li) {
      li.remove();
      pendingByClient.delete(clientId);
    }
    if (text && !textarea.value) {
      textarea.value = text;
      grow();
    }
    toast(message, "error");
  }

  composer.addEventListener("submit", (e) => {
    e.preventDefault();
    sendText();
  });

  fileInput.addEventListener("change", async () => {
    const file = fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    if (file.size > app.boot.max_upload_bytes) return toast(`The file is larger than ${fileSize(app.boot.max_upload_bytes)}.`, "error");
    const form = new FormData();
    form.append("file", file);
    form.append("client_id", crypto.randomUUID ? crypto.randomUUID() : String(Math.random()));
    if (replyTo) form.append("reply_to", String(replyTo));
    const bar = h("progress", { max: 100, value: 0, "aria-label": `Uploading ${file.name}` });
    const label = h("span", { class: "small", text: `Uploading ${file.name}… 0%` });
    clear(progress, label, bar);
    progress.hidden = false;
    try {
      const message = await upload(`/api/v1/rooms/${roomId}/files`, form, (f) => {
        bar.value = Math.round(f * 100);
        label.textContent = `Uploading ${file.name}… ${Math.round(f * 100)}%`;
      });
      upsert(message);
      cancelReply();
    } catch (err) {
      toast(err.status === 404 ? "File upload is not available yet." : err.message, "error");
    } finally {
      progress.hidden = true;
    }
  });

  // Quick replies ("/shortcut") and @mentions: a listbox under the input.
  let quickReplies = null;
  let options = [];
  let active = 0;
  let token = null; // {start, end, kind}

  async function updateSuggest() {
    token = composerToken(textarea.value, textarea.selectionStart);
    if (!token) return hideSuggest();
    if (token.kind === "/") {
      if (quickReplies === null) {
        quickReplies = [];
        try {
          const got = await api("GET", "/api/v1/quick-replies");
          quickReplies = Array.isArray(got) ? got : got.results || [];
        } catch {
          quickReplies = [];
        }
      }
      options = quickReplySuggestions(quickReplies, token.query);
    } else {
      const names = info.members.filter((m) => m.id !== app.me.id).map((m) => m.name);
      if (info.kind === "space") names.push("all");
      options = mentionSuggestions(names, token.query);
    }
    if (!options.length) return hideSuggest();
    active = 0;
    paintSuggest();
  }

  function paintSuggest() {
    clear(
      suggest,
      options.map((o, i) => {
        const li = h("li", { role: "option", id: `${suggest.id}-${i}`, "aria-selected": String(i === active) }, h("strong", { text: o.label }), o.detail ? h("span", { class: "small muted", text: ` ${o.detail.slice(0, 80)}` }) : null);
        li.addEventListener("mousedown", (e) => {
          e.preventDefault();
          choose(i);
        });
        return li;
      }),
    );
    suggest.hidden = false;
    textarea.setAttribute("aria-expanded", "true");
    textarea.setAttribute("aria-activedescendant", `${suggest.id}-${active}`);
  }

  function hideSuggest() {
    suggest.hidden = true;
    options = [];
    textarea.setAttribute("aria-expanded", "false");
    textarea.removeAttribute("aria-activedescendant");
  }

  function choose(i) {
    const o = options[i];
    if (!o || !token) return;
    const next = applySuggestion(textarea.value, token, o.insert);
    textarea.value = next.value;
    textarea.setSelectionRange(next.caret, next.caret);
    hideSuggest();
    grow();
    textarea.focus();
  }

  textarea.addEventListener("keydown", (e) => {
    if (!suggest.hidden && options.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
        paintSuggest();
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        choose(active);
        return;
      }
      if (e.key === "Escape") {
        hideSuggest();
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText();
    }
  });
  textarea.addEventListener("input", () => {
    grow();
    updateSuggest();
    if (app.socketOpen && Date.now() - lastTypingSent > 1500 && textarea.value.trim()) {
      lastTypingSent = Date.now();
      app.socket.send({ type: "typing", room: roomId });
    }
  });
  textarea.addEventListener("blur", () => setTimeout(hideSuggest, 150));

  // ------------------------------------------------------------------ live events
  disposers.push(
    on("message.created", ({ message }) => upsert(message)),
    on("message.edited", ({ message }) => upsert(message, { scroll: false })),
    on("message.recalled", ({ message }) => upsert(message, { scroll: false })),
    on("message.ack", ({ message }) => message && upsert(message)),
    on("error", (data) => {
      // (data.retrying: the socket sends it again by itself.)
      if (data.request === "message.post" && data.client_id && pendingByClient.has(data.client_id) && !data.retrying) {
        const li = pendingByClient.get(data.client_id);
        failPending(data.client_id, data.detail, li ? li.querySelector(".body").textContent : "");
      }
    }),
    on("typing", (data) => {
      if (data.room_id !== roomId || (data.author.type === "staff" && data.author.id === app.me.id)) return;
      typing.textContent = `${data.author.name} is typing…`;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => (typing.textContent = ""), 3500);
    }),
    on("room.taken_over", (data) => data.room_id === roomId && reloadInfo()),
    on("room.member_joined", (data) => data.room_id === roomId && reloadInfo()),
    on("room.member_left", (data) => data.room_id === roomId && reloadInfo()),
    on("enquiry.transferred", (data) => enquiry() && data.enquiry_id === enquiry().id && reloadInfo()),
    ...["enquiry.resolved", "enquiry.reopened", "enquiry.closed"].map((t) => on(t, (data) => enquiry() && data.enquiry_id === enquiry().id && reloadInfo())),
    on("socket.open", async () => {
      // The socket's own sync catches up tracked rooms; reload the panel state too.
      await reloadInfo();
      if (!watching) await loadHistory().catch(() => {}); // also fills a history that failed to load
    }),
    on("watching", (data) => data.room === roomId && loadHistory().catch(() => {})),
    on("error", (data) => {
      if (data.request === "watch" && data.room === roomId) toast(`Live monitoring is off: ${data.detail}`, "error");
    }),
  );
  const onVisible = () => !document.hidden && scheduleRead();
  document.addEventListener("visibilitychange", onVisible);

  paintHead();
  paintInfo();
  try {
    await loadHistory();
  } catch (err) {
    toast(err.message, "error");
  }
  if (stale()) return dispose;
  toBottom();
  scheduleRead();
  if (monitor) {
    startWatching();
  } else {
    emit("route", {}); // repaint the room list without this room's badge
    // Ready to type, unless the user already went elsewhere while the history loaded (a
    // slow load must not move the caret out of a field they are typing in).
    if (!document.activeElement || document.activeElement === document.body) textarea.focus();
  }

  return dispose;

  function dispose() {
    disposers.forEach((d) => d());
    document.removeEventListener("visibilitychange", onVisible);
    if (watching) app.socket.unwatch(roomId);
    // Leaving right after a message came in: it was on screen, so it is read.
    if (readTimer) {
      clearTimeout(readTimer);
      sendRead();
    }
    clearTimeout(typingTimer);
  }
}

export { channelIcon };
