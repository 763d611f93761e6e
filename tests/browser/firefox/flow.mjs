// The agent's main flow in Firefox (Debian's firefox-esr over WebDriver BiDi, driven by
// puppeteer-core; no browser download, no geckodriver). Run by tests/browser/test_firefox.py:
//   BASE=http://127.0.0.1:PORT EMAIL=... PASSWORD=... VISITOR=Name SHOTS=dir node flow.mjs
// Logs in, sees the waiting enquiry in the Open Enquiry panel, picks it up, sends a reply,
// waits for the visitor's answer to arrive live, and checks the layout at 1280 and 1024 px.
import puppeteer from "puppeteer-core";

const { BASE, EMAIL, PASSWORD, VISITOR, SHOTS } = process.env;
const TIMEOUT = 15000;

function step(name) {
  console.log(`step: ${name}`);
}

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
  headless: true,
  extraPrefsFirefox: { "app.update.enabled": false, "network.captive-portal-service.enabled": false },
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.setViewport({ width: 1280, height: 800 });

  step("login");
  await page.goto(`${BASE}/login/`);
  await page.type("#login-email", EMAIL);
  await page.type("#login-password", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  await page.waitForFunction(() => document.querySelector("#socket-state")?.textContent.trim() === "Live");

  step("panel");
  const pick = `button[aria-label="Pick up enquiry from ${VISITOR}"]`;
  await page.waitForSelector(pick, { visible: true });
  await page.click(pick);

  step("chat");
  await page.waitForSelector("#composer-text", { visible: true });
  await page.type("#composer-text", "Hello from Firefox");
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll(".messages li")).some((m) => m.textContent.includes("Hello from Firefox")),
  );
  console.log("sent");

  step("live reply");
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll(".messages li")).some((m) => m.textContent.includes("Reply seen in Firefox")),
  );
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/firefox-chat-room.png` });

  step("layout");
  for (const width of [1280, 1024]) {
    await page.setViewport({ width, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) throw new Error(`page overflows by ${overflow}px at ${width}px`);
    const sendVisible = await page.evaluate(() => {
      const r = document.querySelector("#composer-text").getBoundingClientRect();
      return r.right <= window.innerWidth && r.bottom <= window.innerHeight && r.width > 0;
    });
    if (!sendVisible) throw new Error(`composer not visible at ${width}px`);
  }
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
  console.log("ok");
} finally {
  await browser.close();
}
