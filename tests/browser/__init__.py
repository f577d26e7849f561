"""Tests that drive real Chromium (Playwright, Debian's chromium) against built sites
served on 127.0.0.1: what a reader sees and does, audits (axe, Lighthouse, the Nu HTML
checker), and the build's and the browser's values compared."""
