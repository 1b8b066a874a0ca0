"""Start the explorer: a local Streamlit server on 127.0.0.1; prints its URL, stops with Ctrl-C.

    python -m reproduce.explore [--port 8501]
"""
import argparse
import os
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def command(port: int, address: str = "127.0.0.1") -> list[str]:
    """The streamlit command line: no browser opened, no usage statistics sent, no file watcher, and no
    full garbage collection after every rerun (Streamlit's default; ~0.15 s of CPU per keypress here)."""
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", address,
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--global.developmentMode", "false",
            "--client.toolbarMode", "minimal", "--runner.postScriptGC", "false"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reproduce.explore", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8501)
    args = parser.parse_args(argv)
    print(f"S-curve explorer: open http://127.0.0.1:{args.port} in a browser (Ctrl-C stops it)", flush=True)
    cmd = command(args.port)
    os.execv(cmd[0], cmd)  # the server replaces this process, so Ctrl-C and kill reach it directly


if __name__ == "__main__":
    main()
