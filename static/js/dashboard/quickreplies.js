// Quick replies: the caller's own phrases and the shared ones, inserted in a chat by typing
// "/shortcut". Everyone manages their own; admins also create, edit and delete shared ones.
import { api } from "./api.js";
import { clear, confirmDialog, field, formDialog, h, toast } from "./dom.js";
import { app } from "./state.js";

const SHORTCUT_PATTERN = "[a-z0-9_\\-]{1,40}";

function replyForm(reply = null) {
  return (form) => {
    form.append(field("Shortcut", h("input", { name: "shortcut", required: true, pattern: SHORTCUT_PATTERN, maxlength: 40, value: reply ? reply.shortcut : "", autocomplete: "off" }), 'Type "/" and this in a chat: a-z, 0-9, _ and -.'));
    const text = h("textarea", { name: "text", rows: 4, required: true, maxlength: 2000 });
    if (reply) text.value = reply.text;
    form.append(field("Text", text));
    if (!reply && app.me.is_admin) {
      form.append(h("label", { class: "check" }, h("input", { type: "checkbox", name: "shared" }), " Shared with all staff"));
    }
  };
}

export async function render(main) {
  const add = h("button", { type: "button", class: "primary", text: "New quick reply" });
  const table = h("table", { class: "data-table" });
  const empty = h("p", { class: "muted small", text: "No quick replies yet." });
  clear(
    main,
    h(
      "section",
      { class: "admin-page quick-replies" },
      h("div", { class: "section-head" }, h("h1", { text: "Quick replies" }), add),
      h("p", { class: "small muted", text: 'In a chat, type "/" and the shortcut to insert the text.' }),
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
    const data = await formDialog("New quick reply", replyForm(), "Create");
    if (!data) return;
    const body = { shortcut: data.get("shortcut"), text: data.get("text"), shared: data.get("shared") === "on" };
    await save("POST", "/api/v1/quick-replies", body, "Quick reply created.");
  });

  async function edit(r) {
    const data = await formDialog(`Edit /${r.shortcut}`, replyForm(r));
    if (!data) return;
    await save("PATCH", `/api/v1/quick-replies/${r.id}`, { shortcut: data.get("shortcut"), text: data.get("text") }, "Saved.");
  }

  async function remove(r) {
    if (!(await confirmDialog("Delete quick reply", `Delete /${r.shortcut}${r.shared ? " for all staff" : ""}?`, "Delete"))) return;
    await save("DELETE", `/api/v1/quick-replies/${r.id}`, undefined, "Quick reply deleted.");
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
      h("caption", { class: "visually-hidden", text: "Quick replies" }),
      h("thead", {}, h("tr", {}, ["Shortcut", "Text", "Scope", ""].map((t) => h("th", { scope: "col", text: t })))),
      h(
        "tbody",
        {},
        replies.map((r) =>
          h(
            "tr",
            { dataset: { shortcut: r.shortcut } },
            h("td", {}, h("code", { text: `/${r.shortcut}` })),
            h("td", { class: "clip", text: r.text, title: r.text }),
            h("td", { text: r.shared ? "shared" : "mine" }),
            h(
              "td",
              {},
              mayChange(r)
                ? [
                    h("button", { type: "button", class: "small-button", text: "Edit", "aria-label": `Edit /${r.shortcut}`, onclick: () => edit(r) }),
                    " ",
                    h("button", { type: "button", class: "small-button", text: "Delete", "aria-label": `Delete /${r.shortcut}`, onclick: () => remove(r) }),
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
