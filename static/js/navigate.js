// One Python per visit: a link to another page of the site is followed within the
// document (the next page fetched, its <main> put in place of this one's, the title,
// address and history entry updated), so the Python worker an article started keeps
// running for the next (app.js hands it over). Turbo Drive and Astro's client router do
// the same for pages without Python.
//
// Anything unusual is a normal navigation: a modified or middle click, a link with a
// target or download, another origin, a file that is not a page, a page whose policy or
// scripts differ from this one's (its <meta> policy cannot change in a document; a newer
// build's page script has another name), a redirect page, a failed fetch. Without
// JavaScript the links are plain links.

const root = document.documentElement;
const PAGE = /(\/|\.html)$/; // the site's pages: folders (index.html) and .html files
const pages = new Map(); // address -> the page's HTML, for back and forward
const fetching = new Map(); // address -> the page's HTML on its way (fetched ahead)
let here = location.pathname + location.search;
let announcer = null;

/**
 * Follow the site's links within the document.
 * @param {{leave: () => void, enter: (main: HTMLElement) => void}} hooks called before the
 *   page's <main> is taken out, and once the next one is in place
 */
export function followLinks(hooks) {
  if (!("fetch" in window && "DOMParser" in window && history.pushState)) return;
  // (Scroll restoration stays the browser's, so a reload keeps the reader's place; going
  // back to a page of this document, its own position is put back once it is in.)
  history.replaceState({ ...history.state, xwPage: true }, "");
  document.addEventListener("click", (event) => {
    const link = /** @type {Element} */ (event.target).closest?.("a[href]");
    if (!(link instanceof HTMLAnchorElement) || !followable(event, link)) return;
    event.preventDefault();
    go(link.href, hooks, true);
  });
  // A link the pointer rests on or the keyboard reaches is fetched ahead: a reader's
  // click follows a hover by a tenth of a second or more, and the page is there by then.
  const ahead = (event) => {
    const link = /** @type {Element} */ (event.target).closest?.("a[href]");
    if (!(link instanceof HTMLAnchorElement) || !followable({ button: 0 }, link)) return;
    const url = new URL(link.href);
    const address = url.pathname + url.search;
    if (!pages.has(address) && !fetching.has(address)) {
      fetching.set(address, fetchPage(url).catch(() => null));
    }
  };
  document.addEventListener("pointerover", ahead, { passive: true });
  document.addEventListener("focusin", ahead);
  window.addEventListener("popstate", () => {
    const address = location.pathname + location.search;
    if (location.pathname === here.split("?")[0]) return; // the same page: its inputs (address.js)
    go(location.href, hooks, false, address);
  });
}

function followable(event, link) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if ((link.target && link.target !== "_self") || link.hasAttribute("download")) return false;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !PAGE.test(url.pathname)) return false;
  if (url.pathname === location.pathname && url.search === location.search) return false; // an anchor of this page
  const base = document.querySelector(".site-title")?.getAttribute("href") || "/";
  return url.pathname.startsWith(new URL(base, location.href).pathname);
}

async function go(href, hooks, push, address = "") {
  const url = new URL(href);
  let text;
  try {
    const address = url.pathname + url.search;
    text = pages.get(address) ?? (await fetching.get(address)) ?? (await fetchPage(url));
    fetching.delete(address);
  } catch {
    location.assign(href); // the browser says what went wrong
    return;
  }
  const next = new DOMParser().parseFromString(asideMathStyles(text), "text/html");
  const main = next.querySelector("main");
  if (!main || !fits(next)) {
    if (push) location.assign(href);
    else location.reload();
    return;
  }
  pages.set(url.pathname + url.search, text);
  await stylesOf(next);
  if (push) {
    history.replaceState({ ...history.state, xwPage: true, scroll: scrollY }, "");
    history.pushState({ xwPage: true }, "", href);
  }
  here = address || url.pathname + url.search;
  hooks.leave();
  document.title = next.title;
  root.lang = next.documentElement.lang;
  for (const name of ["data-xw-state", "data-xw-started-from", "data-xw-pending", "data-xw-updates"]) root.removeAttribute(name);
  for (const selector of ['meta[name="description"]', 'link[rel="canonical"]']) {
    const mine = document.head.querySelector(selector);
    const theirs = next.head.querySelector(selector);
    if (mine && theirs) mine.replaceWith(document.importNode(theirs, true));
    else if (theirs) document.head.append(document.importNode(theirs, true));
    else mine?.remove();
  }
  const fresh = /** @type {HTMLElement} */ (document.importNode(main, true));
  document.querySelector("main")?.replaceWith(fresh);
  mathStyles(fresh, policy(next));
  hooks.enter(fresh);
  arrive(url, push ? 0 : history.state?.scroll || 0, next.title);
}

async function fetchPage(url) {
  const response = await fetch(url, { headers: { Accept: "text/html" } });
  if (!response.ok || !response.headers.get("Content-Type")?.includes("text/html")) throw new Error(String(response.status));
  return response.text();
}

// The next page can live in this document: its policy allows nothing this one's does not
// (a <meta> policy holds for the document's life), it runs the same scripts, and it is
// not a redirect.
//
// One difference is bridged: the hashes of the style attributes of a page's typeset math
// (site_builder/tex.py), which differ from page to page. Those attributes are applied
// through the CSSOM once the page is in (mathStyles), each only if its hash is one the
// next page's own policy allows, so the page looks as it does when loaded.
function fits(next) {
  if (next.querySelector('meta[http-equiv="refresh"]')) return false;
  const mine = directives(policy(document));
  for (const [name, sources] of directives(policy(next))) {
    const allowed = mine.get(name) || mine.get("default-src") || new Set();
    for (const source of sources) {
      if (!allowed.has(source) && !(name === "style-src" && MATH_STYLE.test(source))) return false;
    }
  }
  // The same scripts: the author's, and this page script under the same hashed name (a
  // page of a newer build of the site gets a page of its own).
  const scripts = (doc) => [...doc.head.querySelectorAll("script[src]")].map((s) => s.getAttribute("src")).join(" ");
  return scripts(next) === scripts(document);
}

const MATH_STYLE = /^'(sha256-[A-Za-z0-9+/=]+|unsafe-hashes)'$/;
const policy = (doc) => doc.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute("content") || "";

// The style attributes of the page's math, set aside in its text before it is parsed
// (parsed here, this document's policy would refuse them, and say so in the console) and
// applied as the next page's own policy allows them (fits).
const asideMathStyles = (html) =>
  html.replace(/<math\b[\s\S]*?<\/math>/g, (math) => math.replace(/\sstyle="/g, ' data-math-style="'));

async function mathStyles(main, text) {
  const allowed = directives(text).get("style-src") || new Set();
  for (const el of main.querySelectorAll("[data-math-style]")) {
    const value = el.getAttribute("data-math-style") || "";
    el.removeAttribute("data-math-style");
    if (!allowed.has("'unsafe-hashes'") || !crypto.subtle) continue;
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
    const hash = `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
    if (!allowed.has(hash)) continue;
    // Declaration by declaration: the CSSOM's setters are not inline style to a policy
    // (setting cssText is, and is refused).
    const style = /** @type {HTMLElement} */ (el).style;
    for (const declaration of value.split(";")) {
      const at = declaration.indexOf(":");
      if (at > 0) style.setProperty(declaration.slice(0, at).trim(), declaration.slice(at + 1).trim());
    }
  }
}

function directives(text) {
  const found = new Map();
  for (const part of text.split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) found.set(name, new Set(sources));
  }
  return found;
}

// Stylesheets the next page has and this one lacks (math's), in before it is shown.
function stylesOf(next) {
  const have = new Set([...document.head.querySelectorAll('link[rel="stylesheet"]')].map((l) => l.getAttribute("href")));
  const added = [...next.head.querySelectorAll('link[rel="stylesheet"]')]
    .filter((l) => !have.has(l.getAttribute("href")))
    .map((l) => {
      const link = /** @type {HTMLLinkElement} */ (document.importNode(l, true));
      const loaded = new Promise((resolve) => {
        link.onload = link.onerror = resolve;
        setTimeout(resolve, 1000);
      });
      document.head.append(link);
      return loaded;
    });
  return Promise.all(added);
}

// At the new page: its anchor, or the top (or where the reader was, going back); focus on
// its heading, and its title said to screen readers, as a page load would.
function arrive(url, scroll, title) {
  const target = url.hash ? document.getElementById(decodeURIComponent(url.hash.slice(1))) : null;
  const heading = target || document.querySelector("main h1") || document.querySelector("main");
  if (heading instanceof HTMLElement) {
    if (!heading.hasAttribute("tabindex")) heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  if (target) target.scrollIntoView();
  else window.scrollTo(0, scroll);
  if (!announcer) {
    announcer = document.createElement("p");
    announcer.className = "visually-hidden";
    announcer.setAttribute("aria-live", "polite");
    document.body.append(announcer);
  }
  announcer.textContent = title;
}
