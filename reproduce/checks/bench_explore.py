"""The explorer in a real browser: time from a keypress to the last chart redrawn, and the first page.

    python -m reproduce.checks.bench_explore [--presses 20]     (part of `make bench`; ~2 minutes)

It starts the explorer (`make explore`'s server) and drives Debian's headless Chromium with Playwright, as
tests/test_explore.py does. Each case types into a number box and presses Enter (or Space on a checkbox);
the time runs on the page's own clock from that keydown to the last chart drawn: the chart component's
`explorer:drawn` event (or, for Plotly charts, `plotly_afterplot` or a change inside a chart), one frame
after the canvases were painted, taken once the app is idle and no chart changed for QUIET_MS. Every press
of a case retrains (a new seed or rank) except the log-axis one, so rank 8, N 1000, 1000 steps is the
worst case of rank <= 8, N <= 1000. Also per press: the server's own "page built" time and the CPU seconds
of the server and the browser processes (/proc), which move far less with the machine's load than wall
time does. The table is printed and written to data/results/bench_explore.csv with the load average.
TARGET_S is the median the worst case must reach on a quiet 2-core machine.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import pandas as pd

from ..core import paths, results
from . import browser

TARGET_S = 0.3
QUIET_MS = 1000
PROBE = r"""
(() => {
  if (window.__probe) return;
  const P = window.__probe = {key: null, paints: []};
  const stamp = () => requestAnimationFrame(() => setTimeout(() => P.paints.push(performance.now()), 0));
  document.addEventListener('keydown', e => {
    if (e.key === 'Enter' || e.key === ' ') { P.key = performance.now(); P.paints = []; } }, true);
  document.addEventListener('explorer:drawn', () => P.paints.push(performance.now()));
  const hooked = new WeakSet();  // Plotly charts (the explorer before its chart component)
  new MutationObserver(ms => {
    document.querySelectorAll('.js-plotly-plot').forEach(gd => {
      if (gd.on && !hooked.has(gd)) { hooked.add(gd); gd.on('plotly_afterplot', stamp); } });
    if (ms.some(m => m.target.closest && m.target.closest('.js-plotly-plot'))) stamp();
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})()
"""
STATE = ("({key: __probe.key, paints: __probe.paints, now: performance.now(), "
         "running: !!document.querySelector('[data-testid=\"stStatusWidget\"]'), "
         "caption: Array.from(document.querySelectorAll('p')).map(e => e.textContent)"
         ".find(t => t.includes('page built in')) || ''})")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
        except OSError:  # a process that ended
            pass
    return total


def pids_of(marker: str) -> list[int]:
    """The processes whose command line contains `marker` (the browser's profile folder)."""
    out = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in open(f"/proc/{d}/cmdline", "rb").read():
                out.append(int(d))
        except OSError:
            pass
    return out


def settle(page, timeout=60) -> dict:
    """Wait until the app is idle and no chart changed for QUIET_MS; the probe's state then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = page.evaluate(STATE)
        if not s["running"] and s["paints"] and s["now"] - max(s["paints"]) > QUIET_MS:
            return s
        time.sleep(0.05)
    raise TimeoutError("no chart was redrawn within 60 s of the keypress")


def built_seconds(caption: str) -> float:
    try:
        return float(caption.split("page built in ")[1].split(" ms")[0]) / 1000
    except (IndexError, ValueError):
        return float("nan")


class Page:
    """One browser tab on the explorer; `press` and `toggle` return the measurements of one keypress."""

    def __init__(self, page, server_pid: int, profile: str):
        self.page, self.server, self.profile = page, [server_pid], profile

    def _measure(self, box, key: str) -> dict:
        before = cpu_seconds(self.server), cpu_seconds(pids_of(self.profile))
        box.press(key)
        s = settle(self.page)
        after = cpu_seconds(self.server), cpu_seconds(pids_of(self.profile))
        return dict(seconds=(max(s["paints"]) - s["key"]) / 1000, server=built_seconds(s["caption"]),
                    cpu_server=after[0] - before[0], cpu_browser=after[1] - before[1])

    def press(self, label: str, value) -> dict:
        box = self.page.get_by_label(label, exact=True)
        box.fill(str(value))
        return self._measure(box, "Enter")

    def toggle(self, label: str) -> dict:
        box = self.page.get_by_label(label, exact=True)
        box.focus()
        return self._measure(box, " ")


def quantile(xs, q: float) -> float:
    xs = sorted(xs)
    i = q * (len(xs) - 1)
    lo = int(i)
    return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (i - lo)


def first_page(pw, url, note) -> dict:
    """A new browser profile opening the page: navigation start to the last chart drawn."""
    with browser.browser(pw) as (context, _):
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(60_000)
        page.add_init_script(PROBE)
        page.goto(url)
        page.evaluate("__probe.key = 0")
        s = settle(page)
    return dict(case=f"first page, {note}", presses=1, median_s=max(s["paints"]) / 1000)


def run(presses: int = 20, warmup: int = 2) -> tuple[pd.DataFrame, tuple, tuple]:
    from playwright.sync_api import sync_playwright
    load_before = os.getloadavg()
    rows = []
    with browser.server() as (url, proc), sync_playwright() as pw:
        rows.append(first_page(pw, url, "server just started"))
        rows.append(first_page(pw, url, "server warm, new browser profile"))
        with browser.browser(pw) as (context, profile):
            tab = context.pages[0] if context.pages else context.new_page()
            tab.set_default_timeout(60_000)
            tab.add_init_script(PROBE)
            tab.goto(url)
            tab.evaluate("__probe.key = 0")
            settle(tab)
            page, seeds = Page(tab, proc.pid, profile), iter(range(1000, 10**9))

            def case(name, press):
                for _ in range(warmup):
                    press()
                got = pd.DataFrame([press() for _ in range(presses)])
                rows.append(dict(case=name, presses=presses, median_s=got.seconds.median(),
                                 p90_s=quantile(got.seconds, 0.9), server_s=got.server.median(),
                                 cpu_server_s=got.cpu_server.median(), cpu_browser_s=got.cpu_browser.median()))
                print(f"  {name}: median {rows[-1]['median_s']:.3f} s", file=sys.stderr, flush=True)

            case("new seed, rank 2, N 100 (the defaults)", lambda: page.press("seed", next(seeds)))
            page.press("N (vector length)", 1000)
            page.press("rank k (target components)", 8)
            case("new seed, rank 8, N 1000, 1000 steps", lambda: page.press("seed", next(seeds)))
            ranks = iter(())

            def new_rank():  # ranks 1…8 in turn, each round on a new seed: every press trains
                nonlocal ranks
                rank = next(ranks, None)
                if rank is None:
                    page.press("seed", next(seeds))
                    ranks = iter(range(1, 9))
                    rank = next(ranks)
                return page.press("rank k (target components)", rank)
            case("new rank 1…8, N 1000, 1000 steps", new_rank)
            case("log step axis on/off (Space), rank 8, N 1000", lambda: page.toggle("log step axis"))
    return pd.DataFrame(rows), load_before, os.getloadavg()


def table(df: pd.DataFrame, load_before, load_after) -> str:
    """The results as the markdown table of paper/docs/performance.md."""
    f = lambda x: "–" if pd.isna(x) else f"{x:.2f}"  # noqa: E731
    lines = ["| case | presses | median s | p90 s | server: page built s | CPU s per press: server "
             "| CPU s per press: browser |", "|---|---|---|---|---|---|---|"]
    for r in df.to_dict("records"):
        lines.append(f"| {r['case']} | {r['presses']} | {f(r['median_s'])} | {f(r.get('p90_s'))} | "
                     f"{f(r.get('server_s'))} | {f(r.get('cpu_server_s'))} | {f(r.get('cpu_browser_s'))} |")
    lines.append(f"\n1-minute load average {load_before[0]:.2f} before, {load_after[0]:.2f} after, "
                 f"on {os.cpu_count()} cores.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reproduce.checks.bench_explore",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--presses", type=int, default=20, help="timed keypresses per case")
    args = parser.parse_args(argv)
    missing = browser.missing()
    if missing:
        print(f"explorer bench skipped: it needs {' and '.join(missing)}", flush=True)
        return
    print(f"explorer bench: {args.presses} keypresses per case, headless {browser.CHROMIUM}", flush=True)
    df, before, after = run(args.presses)
    df["load_before"], df["load_after"] = before[0], after[0]
    path = paths.RESULTS / "bench_explore.csv"
    results.write_text(path, df.to_csv(index=False, float_format="%.4g"))
    print("\nexplorer: keypress to last chart redrawn\n" + table(df, before, after) + f"\nwrote {path}")
    worst = df.set_index("case").loc["new seed, rank 8, N 1000, 1000 steps", "median_s"]
    verdict = "met" if worst <= TARGET_S else f"missed at load {after[0]:.1f} (the target is for a quiet machine)"
    print(f"target: explorer median {worst:.2f} s at rank 8, N 1000 (≤ {TARGET_S} s): {verdict}", flush=True)


if __name__ == "__main__":
    main()
