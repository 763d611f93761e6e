// Quick replies: the caller's own phrases and the shared ones, inserted in a chat by typing
// "/shortcut". Everyone manages their own; admins also create, edit and delete shared ones.
import { api } from "./api.js";
import { clear, confirmDialog, field, formDialog, h, toast } from "./dom.js";
import { app } from "./state.js";
import { gettext, interpolate } from "../i18n.js";

const SHORTCUT_PATTERN = "[a-z0-9_\\-]{1,40}";

function replyForm(reply = null) {
  return (form) => {
    form.append(field(gettext("Shortcut"), h("input", { name: "shortcut", required: true, pattern: SHORTCUT_PATTERN, maxlength: 40, value: reply ? reply.shortcut : "", autocomplete: "off" }), gettext('Type "/" and this in a chat: a-z, 0-9, _ and -.')));
    const text = h("textarea", { name: "text", rows: 4, required: true, maxlength: 2000 });
    if (reply) text.value = reply.text;
    form.append(field(gettext("Text"), text));
    if (!reply && app.me.is_admin) {
      form.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "shared" }), " " + gettext("Shared with all staff")));
    }
  };
}

export async function render(main) {
  const add = h("button", { type: "button", class: "primary", text: gettext("New quick reply") });
  const table = h("table", { class: "data-table" });
  const empty = h("p", { class: "muted small", text: gettext("No quick replies yet.") });
  clear(
    main,
    h(
      "section",
      { class: "admin-page quick-replies" },
      h("div", { class: "section-head" }, h("h1", { text: gettext("Quick replies") }), add),
      h("p", { class: "small muted", text: gettext('In a chat, type "/" and the shortcut to insert the text.') }),
      table,
      empty,
    ),
  );

  async function save(method, url, body, done) {
    try {
      await api(method, url, body);
      toast(done);
      await load();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  add.addEventListener("click", async () => {
    const data = await formDialog(gettext("New quick reply"), replyForm(), gettext("Create"));
    if (!data) return;
    const body = { shortcut: data.get("shortcut"), text: data.get("text"), shared: data.get("shared") === "on" };
    await save("POST", "/api/v1/quick-replies", body, gettext("Quick reply created."));
  });

  async function edit(r) {
    const data = await formDialog(interpolate(gettext("Edit /%(shortcut)s"), { shortcut: r.shortcut }), replyForm(r));
    if (!data) return;
    await save("PATCH", `/api/v1/quick-replies/${r.id}`, { shortcut: data.get("shortcut"), text: data.get("text") }, gettext("Saved."));
  }

  async function remove(r) {
    if (!(await confirmDialog(
        gettext("Delete quick reply"),
        interpolate(r.shared ? gettext("Delete /%(shortcut)s for all staff?") : gettext("Delete /%(shortcut)s?"), { shortcut: r.shortcut }),
        gettext("Delete"),
      ))) return;
    await save("DELETE", `/api/v1/quick-replies/${r.id}`, undefined, gettext("Quick reply deleted."));
  }

  async function load() {
    let replies;
    try {
      const got = await api("GET", "/api/v1/quick-replies");
      replies = Array.isArray(got) ? got : got.results || [];
    } catch (err) {
      toast(err.message, "error");
      return;
    }
    empty.hidden = replies.length > 0;
    const mayChange = (r) => (r.shared ? app.me.is_admin : r.owner === app.me.id);
    clear(
      table,
      h("caption", { class: "visually-hidden", text: gettext("Quick replies") }),
      h("thead", {}, h("tr", {}, [gettext("Shortcut"), gettext("Text"), gettext("Scope"), ""].map((t) => h("th", { scope: "col", text: t })))),
      h(
        "tbody",
        {},
        replies.map((r) =>
          h(
            "tr",
            { dataset: { shortcut: r.shortcut } },
            h("td", {}, h("code", { text: `/${r.shortcut}` })),
            h("td", { class: "clip", text: r.text, title: r.text }),
            h("td", { text: r.shared ? gettext("shared") : gettext("mine") }),
            h(
              "td",
              {},
              mayChange(r)
                ? [
                    h("button", { type: "button", class: "small-button", text: gettext("Edit"), "aria-label": interpolate(gettext("Edit /%(shortcut)s"), { shortcut: r.shortcut }), onclick: () => edit(r) }),
                    " ",
                    h("button", { type: "button", class: "small-button", text: gettext("Delete"), "aria-label": interpolate(gettext("Delete /%(shortcut)s"), { shortcut: r.shortcut }), onclick: () => remove(r) }),
                  ]
                : "",
            ),
          ),
        ),
      ),
    );
  }

  await load();
  return null;
}
