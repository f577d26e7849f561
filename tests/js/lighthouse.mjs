// Lighthouse's accessibility audit of each URL given, at one screen size, one after the
// other (Lighthouse keeps global state: one run per process at a time), each in its own
// headless Chromium (CHROME_PATH). The tests start a few of these processes at once.
// A run Lighthouse itself could not finish (a runtimeError such as NO_FCP, which a busy
// machine causes when the page's first paint misses Lighthouse's deadline) is run once
// more before it is reported: a page that truly never paints fails both times.
// Usage: node tests/js/lighthouse.mjs desktop|phone URL...  Prints {url: {score, failing}}.
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const SCREENS = {
  desktop: { formFactor: "desktop", screenEmulation: { mobile: false, width: 1280, height: 800, deviceScaleFactor: 1 } },
  phone: { formFactor: "mobile", screenEmulation: { mobile: true, width: 375, height: 740, deviceScaleFactor: 2 } },
};
// Accessibility needs the page as loaded, not load-time figures: no throttling, no waits.
const QUICK = {
  throttlingMethod: "provided",
  pauseAfterFcpMs: 0,
  pauseAfterLoadMs: 0,
  networkQuietThresholdMs: 0,
  cpuQuietThresholdMs: 0,
  disableFullPageScreenshot: true,
  skipAboutBlank: true,
};

async function audit(url, screen) {
  const chrome = await chromeLauncher.launch({ chromeFlags: ["--headless=new", "--no-sandbox", "--no-first-run"] });
  try {
    const result = await lighthouse(
      url,
      { port: chrome.port, output: "json", logLevel: "error", onlyCategories: ["accessibility"] },
      { extends: "lighthouse:default", settings: { ...SCREENS[screen], ...QUICK } },
    );
    const lhr = result?.lhr;
    if (!lhr) return { score: null, failing: ["Lighthouse returned no report"] };
    const failing = lhr.categories.accessibility.auditRefs
      .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
      .map((ref) => `${ref.id}: ${lhr.audits[ref.id].title}`);
    if (lhr.runtimeError) failing.push(`${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
    return { score: lhr.categories.accessibility.score, failing };
  } finally {
    await chrome.kill();
  }
}

const [screen, ...urls] = process.argv.slice(2);
const report = {};
for (const url of urls) {
  report[url] = await audit(url, screen);
  if (report[url].score === null) report[url] = await audit(url, screen);
}
console.log(JSON.stringify(report));
