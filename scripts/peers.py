"""Build speed side by side: this builder, Hugo and Eleventy on one neutral corpus, in one
run, with the ratios (``make bench ARGS=--peers``).

The corpus, the per-tool layouts and the whole-process timer are the shared peers harness
(``run_peers.sh``, ``make_corpus.py``, ``layout_peers.py``, ``bench.py``: 800-1,500-word
articles with headings, lists, a table, a fenced Python block, links and an image, laid out
for each tool with a minimal theme; clean builds, the old output moved aside untimed).
This script installs only the two peers (Debian's ``hugo``, npm's ``@11ty/eleventy@3``),
runs the harness for this checkout, and prints the table with this builder's ratio to the
fastest peer. Set PEERS_HARNESS to the harness folder (default ../shared/bench/peers).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ("sitebuilder", "hugo", "eleventy")


def _install(work: Path) -> None:
    if shutil.which("hugo") is None:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "hugo"], check=True, env=env)
    npm = work / "npm"
    if not (npm / "node_modules" / "@11ty" / "eleventy").is_dir():
        npm.mkdir(parents=True, exist_ok=True)
        if not (npm / "package.json").is_file():
            (npm / "package.json").write_text('{"private": true}\n')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", "@11ty/eleventy@3"],
            cwd=npm,
            check=True,
        )


def _results(results: Path, sizes: list[int]) -> dict[tuple[str, int], dict[str, float]]:
    """(peer, N) -> median wall s and peak MiB, from the harness's result files."""
    found: dict[tuple[str, int], dict[str, float]] = {}
    for peer in PEERS:
        for n in sizes:
            path = results / f"full-{peer}-{n}.txt"
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            wall = re.search(r"A wall s\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", text)
            peak = re.search(r"A peak MiB\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", text)
            if wall:
                found[(peer, n)] = {
                    "wall": float(wall[2]),
                    "peak": float(peak[2]) if peak else float("nan"),
                }
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", default="/tmp/peers", help="corpus, sites and results")
    args = parser.parse_args()
    harness = Path(os.environ.get("PEERS_HARNESS", ROOT.parent / "shared" / "bench" / "peers"))
    if not (harness / "run_peers.sh").is_file():
        print(f"error: no peers harness at {harness} (set PEERS_HARNESS)", file=sys.stderr)
        return 1
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = Path(args.work)
    _install(work)
    env = {
        **os.environ,
        "ROOT": str(work),
        "SIZES": " ".join(map(str, sizes)),
        "REBUILD_SIZES": " ".join(map(str, sizes)),
        "RUNS": str(args.runs),
        "SB_PROJECT": str(ROOT),
    }
    run = [str(harness / "run_peers.sh")]
    subprocess.run([*run, "corpus"], check=True, env=env, cwd=ROOT)
    subprocess.run([*run, "full", *PEERS], check=True, env=env, cwd=ROOT)
    found = _results(work / "results", sizes)
    versions = {
        "hugo": subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()[
            :2
        ],
    }
    print(f"\nclean builds, medians of {args.runs}; hugo: {' '.join(versions['hugo'])}")
    print("| N | " + " | ".join(PEERS) + " | this builder / fastest peer |")
    print("|---|" + "---|" * (len(PEERS) + 1))
    for n in sizes:
        cells = []
        for peer in PEERS:
            r = found.get((peer, n))
            cells.append(f"{r['wall']:.2f} s, {r['peak']:.0f} MiB" if r else "-")
        ours = found.get(("sitebuilder", n), {}).get("wall")
        peers = [found[(p, n)]["wall"] for p in PEERS[1:] if (p, n) in found]
        ratio = f"{ours / min(peers):.2f}x" if ours and peers else "-"
        print(f"| {n:,} | " + " | ".join(cells) + f" | {ratio} |")
    if len(sizes) > 1 and all(("sitebuilder", n) in found for n in sizes):
        a, b = sizes[0], sizes[-1]
        growth = found[("sitebuilder", b)]["wall"] / found[("sitebuilder", a)]["wall"]
        print(f"\nthis builder, {b:,} / {a:,} articles: {growth:.2f}x the time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
