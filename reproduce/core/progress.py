"""Progress of a run, with an ETA: tqdm's bar where stderr is a terminal; elsewhere (a make log, CI) a line
every few seconds. Both show within a second of the first step.

    bar = Bar(total=steps, desc=where)       # closes itself when the count reaches the total
    bar.update_to(t)  /  bar.update(1)

A trainer creates the bar and counts into it, nothing more: the command line closes any bar an error left
open before it prints the error (close_all). Processes (grokking's seeds) count into their parent's bar
through a shared counter: `pool_map` runs them and shows the sum.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
import weakref

FIRST_S = 0.5   # a log's first line: half a second of work gives a rate to extrapolate
EVERY_S = 5.0   # then a line this often (a few lines per S-curve config in a `make all` log)
POLL_S = 0.5    # how often a parent reads its processes' count
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} {unit}s [{elapsed}, ETA {remaining}{postfix}]"

_open: weakref.WeakSet = weakref.WeakSet()


def _clock(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def _width(file) -> int:
    try:
        return os.get_terminal_size(file.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


class Bar:
    """A count towards `total` with an ETA, shown on `file` (default stderr). `estimate_s`, the run's
    estimated time, stands for the ETA until the first counts give a rate (processes that start slowly)."""

    def __init__(self, total: int, desc: str, unit: str = "step", file=None, estimate_s: float | None = None):
        self.total, self.desc, self.unit, self.n, self.estimate_s = total, desc, unit, 0, estimate_s
        self.file = sys.stderr if file is None else file
        self.start = time.monotonic()
        self.next_line = self.start + FIRST_S
        self.first = None  # (time, count) of the first count: the rate is taken from there (not start-up)
        self.closed = False
        self.tqdm = None
        if getattr(self.file, "isatty", lambda: False)():
            from tqdm import tqdm
            # the file name as desc: a path can fill the line; a terminal that reports no width gets 100
            self.tqdm = tqdm(total=total, desc=desc.rsplit("/", 1)[-1], unit=unit, file=self.file, leave=False,
                             bar_format=BAR_FORMAT, **({"dynamic_ncols": True} if _width(self.file) else
                                                       {"ncols": 100, "nrows": 24}))
            if estimate_s is not None:
                self.tqdm.set_postfix_str(f"estimated {_clock(estimate_s)}", refresh=True)
        _open.add(self)

    def update(self, k: int = 1):
        self.update_to(self.n + k)

    def update_to(self, n: int):
        if self.closed:
            return
        self.n = n
        if self.first is None and n:
            self.first = (time.monotonic(), n)
            if self.tqdm is not None and self.estimate_s is not None:
                self.tqdm.set_postfix_str("", refresh=False)  # measured from here on
        if self.tqdm is not None:
            self.tqdm.update(n - self.tqdm.n)
        elif (now := time.monotonic()) >= self.next_line and (text := self.line(now)):
            self.next_line = now + EVERY_S
            self.file.write(text + "\n")
            self.file.flush()
        if n >= self.total:
            self.close()

    def line(self, now: float) -> str:
        """`desc: 1200/4000 steps (30%), 0:02 elapsed, ETA 0:05`, the rate since the first count (not the
        start-up before it) extrapolated; until there is such a rate, the estimate's ETA, or nothing."""
        if self.first is None or self.n <= self.first[1] or now <= self.first[0]:
            left = None if self.estimate_s is None or self.n else self.estimate_s - (now - self.start)
            if left is None or left <= 0:  # no rate yet, and no estimate (left)
                return ""
            eta = f"~{_clock(left)} (estimated)"
        else:
            eta = _clock((self.total - self.n) * (now - self.first[0]) / (self.n - self.first[1]))
        return (f"{self.desc}: {self.n}/{self.total} {self.unit}s ({100 * self.n / self.total:.0f}%), "
                f"{_clock(now - self.start)} elapsed, ETA {eta}")

    def close(self):
        if not self.closed:
            self.closed = True
            if self.tqdm is not None:
                self.tqdm.close()
            _open.discard(self)


def close_all():
    """Close every open bar (before an error message, so that it does not land on a bar's line)."""
    for bar in list(_open):
        bar.close()


# --- processes counting into their parent's bar ---
_counter = None  # in a worker process of pool_map: the parent's shared count


def _set_counter(counter):
    global _counter
    _counter = counter


class _Shared:
    """What a worker's trainer counts into: adds to the count its parent shows."""

    def update(self, k: int = 1):
        with _counter.get_lock():
            _counter.value += k


class _Silent:
    def update(self, k: int = 1):
        pass


def worker_bar():
    """In a process started by pool_map, the bar that counts into its parent's; elsewhere, a silent one."""
    return _Shared() if _counter is not None else _Silent()


def _stop(signum, frame):
    raise SystemExit(128 + signum)


def pool_map(context, workers: int, fn, items: list, bar: Bar) -> list:
    """`Pool.map(fn, items)` in `workers` processes of the multiprocessing `context`, each counting into
    `bar` through worker_bar(); the parent shows their sum every POLL_S seconds. A SIGTERM to the parent
    (a killed make) stops the workers too, as Ctrl-C does: they would go on training with no one to wait."""
    counter = context.Value("q", 0)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop) if main else None
    try:
        with context.Pool(workers, initializer=_set_counter, initargs=(counter,)) as pool:
            pending = pool.map_async(fn, items, chunksize=1)
            while not pending.ready():
                pending.wait(POLL_S)
                bar.update_to(counter.value)
            return pending.get()
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
