"""The numba cache folder is keyed by the kernels' sources (model/_cache_key.py): numba checks
only the defining file's time stamp, and the kernels compile in functions of other files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from balanskonto.model import _cache_key


def test_any_change_to_a_kernel_module_gives_another_digest(tmp_path):
    for folder in ("model", "engines"):
        shutil.copytree(_cache_key.PACKAGE / folder, tmp_path / folder)
    before = _cache_key.sources_digest(tmp_path)
    assert before == _cache_key.sources_digest()  # a copy: the same sources
    counting = tmp_path / "engines" / "_counting.py"  # inlined into the stepping kernel
    counting.write_text(counting.read_text() + "\n# changed\n")
    assert _cache_key.sources_digest(tmp_path) != before
    counting.rename(tmp_path / "engines" / "_renamed.py")  # the names count too
    assert _cache_key.sources_digest(tmp_path) != before


def test_numba_caches_in_the_keyed_folder(tmp_path):
    code = (
        "import numba.core.config as c; import balanskonto.model._jit; "
        "from balanskonto.model._cache_key import kernel_cache_dir; "
        f"assert c.CACHE_DIR == kernel_cache_dir({str(tmp_path)!r}), c.CACHE_DIR"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
