// Headless Chromium for the page tests (Debian's /usr/bin/chromium driven by playwright-core), and
// the dashboard on a free port; shared by test/web and test/report.
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import { startDashboard } from "../../web/server.js";

export const CHROMIUM = process.env.FACELAB_CHROMIUM ?? "/usr/bin/chromium";
export const skipWithoutChromium: string | false = existsSync(CHROMIUM)
  ? false
  : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set FACELAB_CHROMIUM)`;

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The dashboard over `root` on a free port, with a stop function that closes every connection. */
export async function dashboard(root: string): Promise<{ url: string; stop: () => void }> {
  const d = await startDashboard({ root, port: 0, pollMs: 100 });
  return {
    url: d.url,
    stop: () => {
      d.server.closeAllConnections();
      d.server.close();
    },
  };
}
