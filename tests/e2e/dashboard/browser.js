// @ts-check
// A real headless Chromium (Debian's /usr/bin/chromium, installed by scripts/bootstrap.sh)
// driven by playwright-core, with a fresh profile under a test directory and every background
// service off (without those flags Chromium keeps calling home, which floods a closed network).
import { chromium } from "playwright-core";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const CHROMIUM = process.env.RCA_CHROMIUM || "/usr/bin/chromium";

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-default-apps", "--disable-extensions", "--metrics-recording-only", "--no-default-browser-check",
];

/**
 * Launches Chromium with its profile in `dir` (a makeTestDir directory).
 * @param {string} dir
 * @param {{ extraHTTPHeaders?: Record<string, string> }} [o]
 */
export async function launchBrowser(dir, o = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/bootstrap.sh installs Debian's chromium (make test runs it)`);
  return chromium.launchPersistentContext(join(dir, "chromium-profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    ...(o.extraHTTPHeaders ? { extraHTTPHeaders: o.extraHTTPHeaders } : {}),
  });
}
