"""notebooks/riskbilaga.ipynb and kalibrering.ipynb run top to bottom (nbclient) on this
interpreter.

The kernel is this test's own Python (the virtualenv's): a kernelspec in a temporary folder
points at ``sys.executable`` and ``JUPYTER_PATH`` makes it the one found, so nothing is
installed anywhere and no other Python can answer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "riskbilaga.ipynb"
KERNEL = "balanskonto-test"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel_json = {"argv": argv, "display_name": "balanskonto (test)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel_json), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("BALANSKONTO_ROOT", raising=False)  # found from the notebook's folder
    return KERNEL


def test_notebook_runs_top_to_bottom(kernel: str) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure shown"
    text = "".join(o.get("text", "") for o in outputs)
    assert "riskbilaga.docx" in text and "riskbilaga.xlsx" in text
    assert "Sammanfattning" in text
    assert "Percentilrang" in text and "liknar ett arbetsmarknadsår" in text  # the follow-up


def test_calibration_notebook_runs_top_to_bottom(kernel: str) -> None:
    path = ROOT / "notebooks" / "kalibrering.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, kernel_name=kernel, timeout=120, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure shown"
    text = "".join(o.get("text", "") for o in outputs)
    assert "400 personer" in text and "befolkning vid start: 400 personer" in text
    assert "monthly_shares" in text or "annual_probability" in text
