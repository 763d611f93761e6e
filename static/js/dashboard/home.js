// The Chats start screen: what to do next.
import { clear, h } from "./dom.js";
import { app } from "./state.js";

export function render(main) {
  clear(
    main,
    h(
      "section",
      { class: "home" },
      h("h1", { text: `Hello, ${app.me.display_name || app.me.email}` }),
      h("p", { text: "Pick up an enquiry from the Open enquiries panel, or open a room from Recent connections." }),
      h("p", { class: "muted", text: "Only ACTIVE staff are alerted: set your availability at the top right." }),
    ),
  );
}
