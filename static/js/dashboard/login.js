// Login page: POST /api/v1/auth/session, then into the dashboard.
import { gettext } from "../i18n.js";
import { api } from "./api.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  error.hidden = true;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    await api("POST", "/api/v1/auth/session", {
      email: form.email.value.trim(),
      password: form.password.value,
    });
    location.assign(form.dataset.next || "/app/");
  } catch (err) {
    error.textContent = err.message || gettext("Could not log in.");
    error.hidden = false;
    button.disabled = false;
    form.password.focus();
  }
});
