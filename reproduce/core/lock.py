"""make's guard, run once per top-level `make` before any recipe: the folders its goals write are checked,
then one make at a time works in a checkout.

    python -m reproduce.core.lock --make-pid PID --goals "all" build/make.lock FOLDER ...

A FOLDER that cannot be written (core/paths.py `check_writable`) is one line on stdout, which the Makefile
turns into `$(error …)`: make stops with exit status 2 before doing anything. Otherwise the lock file is
taken for the make with pid PID: if another make holds it, a line on stderr says which and this one waits;
when it has the lock, the first make has finished and this one finds those results up to date, so a
second `make all` neither redoes nor overwrites work. A detached child process keeps the lock until make
PID exits; makes started by its recipes see REPRODUCE_MAKE_LOCK (set by the Makefile) and take no lock.

Standard library and Python 3.8 syntax only: it can run on the system's python3 before `make env`.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .errors import OutputError
from .paths import check_writable

try:
    import fcntl
except ImportError:  # Windows: no flock; make there runs without the lock
    fcntl = None

POLL_S = 0.2  # how often the holder looks whether its make has exited


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited make its parent has not reaped yet (Linux): gone, too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _holder(fd: int) -> tuple[int, str]:
    """(pid, description) of the make the lock file names."""
    text = os.pread(fd, 4096, 0).decode(errors="replace").strip()
    pid, _, about = text.partition(" ")
    return (int(pid) if pid.isdigit() else -1), about


def _released_soon(fd: int) -> bool:
    """Whether the lock comes free within a few POLL_S (taking it if so)."""
    for _ in range(10):
        time.sleep(POLL_S / 2)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
    return False


def hold(lock: Path, make_pid: int, goals: str) -> None:
    """Take `lock` for make `make_pid` (waiting, with a line on stderr, while another make holds it) and
    keep it in a detached child until that make exits."""
    if fcntl is None:
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid, about = _holder(fd)
        if pid == make_pid:  # this make, re-executed after remaking build/deps.mk: it holds the lock already
            return
        if _alive(pid) or not _released_soon(fd):  # (a make that just finished: its holder lets go within POLL_S)
            print(f"make: waiting for the make already working in this folder (pid {pid}: {about}) to finish; "
                  f"lock {lock}", file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{make_pid} make {goals}, since {time.strftime('%H:%M:%S')}\n".encode(), 0)
    if os.fork():
        os._exit(0)  # the child holds the lock; make's $(shell) returns once the child has let go of stdout
    os.setsid()  # out of the terminal's process group: Ctrl-C stops make, and then this child lets go
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(devnull, stream)
    while _alive(make_pid):
        time.sleep(POLL_S)
    os._exit(0)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reproduce.core.lock", description=__doc__.split("\n")[0])
    parser.add_argument("--make-pid", type=int, required=True)
    parser.add_argument("--goals", default="")
    parser.add_argument("lock", type=Path)
    parser.add_argument("writes", nargs="*", help="folders the goals write")
    args = parser.parse_args(argv)
    for folder in args.writes:
        try:
            check_writable(folder)
        except OutputError as err:
            print(err)  # stdout: the Makefile's $(error)
            return
    try:
        hold(args.lock, args.make_pid, args.goals)
    except KeyboardInterrupt:  # Ctrl-C while waiting: make stops too
        sys.exit(130)
    except OSError as err:  # a file system without flock (some network mounts): make runs unguarded
        print(f"make: cannot lock {args.lock} ({err.strerror}); not guarding against a second make",
              file=sys.stderr)


if __name__ == "__main__":
    main()
