// Typeset TeX as MathML with Temml: node tex.mjs <temml.cjs>
// Reads one JSON request per line ([tex, display]) and answers each with one JSON line:
// {"mathml": "..."} or {"error": "reason", "position": index in the TeX or null}.
// One process serves a whole build worker: Node starts once, each formula costs well under
// a millisecond.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const temml = createRequire(import.meta.url)(process.argv[2]);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });

for await (const line of lines) {
  let answer;
  try {
    const [tex, display] = JSON.parse(line);
    // trust: false refuses \href, \url, \class, \style and the like: a formula can't
    // bring links or styles the page's policy doesn't know about.
    const mathml = temml.renderToString(tex, {
      displayMode: display,
      throwOnError: true,
      trust: false,
      annotate: false,
      strict: false,
    });
    answer = { mathml };
  } catch (err) {
    // Temml's first line, without the place (the build gives the file line instead).
    const message = String(err?.message ?? err)
      .trim()
      .split("\n")[0]
      .replace(/( at position \d+)?:?\s*$/, "");
    answer = { error: message, position: Number.isInteger(err?.position) ? err.position : null };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
