"""Start the explorer: a local Streamlit server on 127.0.0.1; prints its URL, stops with Ctrl-C.

    python -m reproduce.explore [--port 8501]
"""
import argparse
import sys
import threading
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def streamlit_args(port: int, address: str = "127.0.0.1") -> list[str]:
    """`streamlit run`'s arguments: no browser opened, no usage statistics sent, no file watcher, and no
    full garbage collection after every rerun (Streamlit's default; ~0.15 s of CPU per keypress here)."""
    return ["run", str(APP), "--server.address", address, "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--global.developmentMode", "false",
            "--client.toolbarMode", "minimal", "--runner.postScriptGC", "false"]


def command(port: int) -> list[str]:
    """The command that starts the explorer on `port` (the tests and the browser bench run it)."""
    return [sys.executable, "-m", "reproduce.explore", "--port", str(port)]


def warm(ready):
    """Import what the page needs and train the default settings once, while the server starts: the first
    page then waits neither for importing torch nor for its first kernels (seconds on 2 busy cores)."""
    try:
        from ..core import bumps
        from . import core
        core.compute(dict(core.DEFAULTS), bumps.load_rules())
    finally:
        ready.set()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reproduce.explore", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8501)
    args = parser.parse_args(argv)
    print(f"S-curve explorer: open http://127.0.0.1:{args.port} in a browser (Ctrl-C stops it)", flush=True)
    from streamlit.web import cli  # the server runs in this process, so Ctrl-C and kill reach it directly

    from . import READY
    READY.clear()
    threading.Thread(target=warm, args=(READY,), daemon=True).start()
    sys.argv = ["streamlit", *streamlit_args(args.port)]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
