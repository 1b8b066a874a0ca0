"""python -m reproduce report  (what `make paper` runs): execute the report notebook into one HTML file.

paper/s_curves.py (jupytext percent format, the committed source) is read, executed top to bottom
in a fresh ipykernel and exported to paper/report.html, with every figure embedded as a base64 PNG and
no external script, so the file opens offline. The notebook only reads data/results and calls the
figure modules; it trains nothing. A cell that raises stops the build and no report is written.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .core import paths
from .core.results import atomic

NOTEBOOK = paths.PAPER / "s_curves.py"
REPORT = paths.PAPER / "report.html"
KERNEL = "python3"           # the name in the notebook's kernelspec header
CELL_TIMEOUT_S = 300         # per cell; the slowest cell draws one figure (seconds), so only a hang hits it
STARTUP_TIMEOUT_S = 120      # kernel start on a loaded 2-core machine
TITLE = "Multi-Component Learning and S-Curves: reproduction report"

# The lab template, minus its CDN <script> tags (require.js, MathJax, mermaid): the notebook writes its
# maths in Unicode and uses no widgets, so without them the file is complete and needs no network.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style type="text/css">
  body { max-width: 1100px; margin: 0 auto; }
  .jp-RenderedHTMLCommon table.claims, .jp-RenderedHTMLCommon table#provenance { font-size: 12px; }
  .jp-RenderedHTMLCommon table.claims td, .jp-RenderedHTMLCommon table.claims th,
  .jp-RenderedHTMLCommon table#provenance td, .jp-RenderedHTMLCommon table#provenance th {
    text-align: left; vertical-align: top; }
  .jp-RenderedHTMLCommon table#provenance td:last-child { white-space: nowrap; }  /* git commit */
  .jp-RenderedHTMLCommon table.claims td.pass { color: #116611; font-weight: bold; }
  .jp-RenderedHTMLCommon table.claims td.fail { color: #bb1111; font-weight: bold; }
  .jp-RenderedHTMLCommon table.claims td.undetermined { color: #555555; font-weight: bold; font-style: italic; }
  .jp-RenderedHTMLCommon p.caption { font-size: 13px; color: #444; max-width: 95ch; }
  .jp-RenderedHTMLCommon p.tag { font-size: 13px; }
</style>
{%- endblock html_head_css -%}
"""
HIDE_INPUT_TAG = "remove-input"  # cells tagged so in paper/s_curves.py show their output only


def _kernel_manager_class():
    """An AsyncKernelManager whose kernel "python3" is ipykernel on *this* interpreter.

    By default jupyter_client resolves a kernel name through kernelspec folders: the user's
    (~/.local/share/jupyter) first, then sys.prefix, then system-wide ones. A stale user-level
    "python3" spec pointing at another Python would win, and a fresh venv relies on ipykernel's
    fallback. Asking ipykernel for its spec (argv = [sys.executable, "-m", "ipykernel_launcher", …])
    makes the kernel run with the same Python, and so the same packages, as the build; it starts in
    paths.ROOT, which IPython puts first on sys.path, so it imports this checkout's `reproduce`.
    """
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from traitlets import default

    class ThisPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            if kernel_name != KERNEL:
                return super().get_kernel_spec(kernel_name)
            return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())

    class ThisPythonKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self):
            return ThisPythonSpecs(data_dir=self.data_dir)

    return ThisPythonKernelManager


def _transport_config():
    """Encrypt the kernel's localhost TCP traffic where jupyter_client and libzmq can (CurveZMQ).

    ipykernel >= 7.4 logs a warning on every start when the traffic is plain; a jupyter_client with the
    `transport_encryption` option hands the kernel keys instead. Older versions run unencrypted, as before.
    """
    import zmq
    from jupyter_client import KernelManager
    from traitlets.config import Config
    if zmq.has("curve") and "transport_encryption" in KernelManager.class_trait_names():
        return Config({"KernelManager": {"transport_encryption": "auto"}})
    return Config()


def execute(notebook: Path = NOTEBOOK, timeout: int = CELL_TIMEOUT_S):
    """Read the jupytext source and run every cell; raises CellExecutionError on the first failing cell."""
    import jupytext
    from nbconvert.preprocessors import ExecutePreprocessor

    nb = jupytext.read(notebook)
    print(f"read {notebook}", flush=True)
    nb.metadata["title"] = TITLE
    ep = ExecutePreprocessor(kernel_name=KERNEL, kernel_manager_class=_kernel_manager_class(),
                             timeout=timeout, startup_timeout=STARTUP_TIMEOUT_S, allow_errors=False,
                             ipython_hist_file=":memory:",  # no history database left behind
                             config=_transport_config())
    # The kernel starts in the repository root, like `make` (see _kernel_manager_class); the notebook
    # itself names files only through reproduce.paths.
    ep.preprocess(nb, {"metadata": {"path": str(paths.ROOT)}})
    return nb


def stderr_outputs(nb) -> list[str]:
    """Text a cell wrote to stderr (warnings): not an error, but it would show in the report."""
    return [out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
            if out.get("output_type") == "stream" and out.get("name") == "stderr"]


def to_html(nb) -> str:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="lab", template_file="s_curves_report.html.j2",
                            extra_loaders=[DictLoader({"s_curves_report.html.j2": _TEMPLATE})],
                            exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={HIDE_INPUT_TAG}), enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": NOTEBOOK.stem}})
    return body


def render(notebook: Path = NOTEBOOK, out: Path = REPORT, timeout: int = CELL_TIMEOUT_S) -> Path:
    """Execute `notebook` and write the HTML report to `out` atomically; returns `out`."""
    start = time.perf_counter()
    nb = execute(notebook, timeout)
    for text in stderr_outputs(nb):
        print(f"warning: a report cell wrote to stderr: {text.strip()[:300]}", file=sys.stderr)
    html = to_html(nb)
    out = Path(out)
    with atomic(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    print(f"wrote {out} ({len(nb.cells)} cells, {len(html) / 1e6:.1f} MB, "
          f"{time.perf_counter() - start:.1f} s)", flush=True)
    return out
