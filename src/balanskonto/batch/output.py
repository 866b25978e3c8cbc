"""A batch's output written once: laid out with its full shape before the first run, each
scenario's (and municipality's) Dataset written into its place as soon as its runs are in,
and the comparisons and the län and riket sums added at the end from the balances written.

The output is the file :func:`~balanskonto.batch.runner.run_batch`'s Dataset gives (NetCDF-4
or Zarr), written to a temporary name next to ``out`` and renamed over it when complete: a
failure or an interrupt leaves no part of it behind. Memory holds one scenario's Dataset at
a time, and the disk the output only once (a batch of 290 municipalities × 3 scenarios ×
10 000 runs is about 30 GB).

The layout (the variables, their dimensions, labels, types and attributes) comes from one
run of each distinct shape of scenario (:func:`shape_key`: its years, components, groups,
states, quantiles, factors), combined as the scenarios' Datasets are
(:func:`~balanskonto.batch.combine.combine_along`: a component that one scenario lacks is 0
there).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from ..model.compiled import CompiledModel
from ..results.files import (
    WriteError,
    no_space_left,
    remove_stale,
    replace_folder,
    sigint_deferred,
    temp_prefix,
    zarr_encoding,
)
from ..results.metadata import annotate
from ..simulation.run import dataset_from_runs, simulate_runs
from .combine import (
    _fill_values,
    batch_attrs,
    combine_along,
    comparison_variables,
    scenario_provenance,
    unit_scenario,
)
from .municipalities import person_seed
from .national import annotate_national, national_variables, with_municipality_coords
from .spec import Batch

#: The per-scenario provenance (text), known before any run and written with the layout.
PROVENANCE = ("scenario_overrides", "scenario_config_toml", "scenario_config_sha256")


def shape_key(model: CompiledModel) -> tuple:
    """What decides the variables and labels of a scenario's Dataset: scenarios with equal
    keys have Datasets of the same layout (checked again as each is written)."""
    return (
        tuple(np.asarray(model.year_labels).tolist()),
        tuple(model.components),
        tuple(model.groups),
        tuple(model.states),
        tuple(np.asarray(model.quantiles).tolist()),
        bool(model.monthly),
        int(model.months),
        bool(model.household.any()),
        tuple(f.name for f in (*model.levels, *model.shares, *model.policies)),
        model.labour is not None,
        model.arrival_factor is not None,
        tuple(c.name for c in model.claims),
    )


class BatchOutput:
    """The output file (``.nc``) or store (``.zarr``) of a batch, being written.

    ``samples``: a Dataset of each unit (a scenario, or a scenario and municipality, in the
    batch's order), from any number of runs (its values are not used, only its layout);
    ``provenance``: each unit's overrides, config text and its SHA-256."""

    def __init__(
        self,
        out: Path,
        batch: Batch,
        samples: Sequence[xr.Dataset],
        provenance: Sequence[tuple[str, str, str]],
        runs: int,
        attrs: dict[str, Any],
    ):
        self.out, self.batch, self.runs = out, batch, runs
        self.zarr = out.suffix == ".zarr"
        self.lead = ("scenario", "municipality") if batch.municipalities else ("scenario",)
        M = len(batch.municipalities)
        self.index = [divmod(u, M) if M else (u,) for u in range(len(batch.units))]
        self.template = self._layout(samples, provenance, attrs)
        self.fill = _fill_values([self.template])
        self.labels = {d: self.template[d].values for d in self.template.dims if d not in self.lead}
        self.written: set[int] = set()
        self._file: Any = None
        self.tmp = self._create()

    # ----------------------------------------------------------------------------------
    def _layout(self, samples, provenance, attrs) -> xr.Dataset:
        distinct = list({id(s): s for s in samples}.values())
        head = combine_along("unit", [str(i) for i in range(len(distinct))], distinct)
        sizes = dict(zip(self.lead, self._lead_shape(), strict=True))
        variables = {}
        for name, var in head.data_vars.items():
            if name in PROVENANCE:
                continue
            dims = (*self.lead, *var.dims[1:])
            shape = [sizes.get(d) or (self.runs if d == "run" else head.sizes[d]) for d in dims]
            chunks = [1] * len(self.lead) + shape[len(self.lead) :]
            data = da.empty(shape, dtype=var.dtype, chunks=chunks)  # never computed
            variables[name] = xr.Variable(dims, data, attrs=var.attrs)
        for k, name in enumerate(PROVENANCE):
            text = np.array([p[k] for p in provenance], dtype=object)
            variables[name] = xr.Variable(self.lead, text.reshape(self._lead_shape()))
        coords = {d: c for d, c in head.coords.items() if d != "unit" and d != "run"}
        coords["run"] = xr.Variable("run", np.arange(self.runs), attrs=head["run"].attrs)
        names = np.array(self.batch.names, dtype=object)
        ds = xr.Dataset(variables, coords={**coords, "scenario": names}, attrs=attrs)
        if self.batch.municipalities:
            codes = np.array([m.code for m in self.batch.municipalities], dtype=object)
            ds = with_municipality_coords(
                ds.assign_coords(municipality=codes), self.batch.municipalities
            )
        return annotate_national(annotate(ds))

    def _lead_shape(self) -> tuple[int, ...]:
        S, M = len(self.batch.names), len(self.batch.municipalities)
        return (S, M) if M else (S,)

    def _encoding(self) -> dict[str, dict[str, Any]]:
        if self.zarr:
            return zarr_encoding(self.template)
        # one HDF5 chunk per scenario (and municipality) for the run-level variables: each
        # written once as it completes (a contiguous variable would first be filled whole)
        return {
            str(name): {"chunksizes": (*(1,) * len(self.lead), *var.shape[len(self.lead) :])}
            for name, var in self.template.data_vars.items()
            if "run" in var.dims
        }

    def _create(self) -> Path:
        out = self.out
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(out)
        prefix = temp_prefix(out)
        if self.zarr:
            tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=out.parent))
            os.chmod(tmp, 0o777 & ~_umask())
        else:
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=out.parent)
            os.close(fd)
            tmp = Path(name)
        try:
            with sigint_deferred():
                if self.zarr:  # the arrays are created, the Dask ones not written (region)
                    self.template.to_zarr(
                        tmp,
                        mode="w",
                        compute=False,
                        zarr_format=2,
                        consolidated=True,
                        encoding=self._encoding(),
                    )
                    import zarr

                    self._file = zarr.open_group(tmp, mode="r+", zarr_format=2)
                else:
                    _netcdf_layout(self.template, tmp, self._encoding())
                    import netCDF4

                    self._file = netCDF4.Dataset(tmp, mode="a")
                    self._file.set_auto_maskandscale(False)
                    for var in self._file.variables.values():
                        if var.chunking() != "contiguous":  # each chunk written once, whole:
                            var.set_var_chunk_cache(size=0)  # no cache (64 MB a variable)
        except BaseException:
            self._remove(tmp)
            raise
        return tmp

    # ----------------------------------------------------------------------------------
    def write(self, u: int, ds: xr.Dataset) -> None:
        """Write unit ``u``'s Dataset (from :func:`~balanskonto.simulation.run.dataset_from_runs`,
        without its provenance) into its place."""
        wanted = {d: self.labels[d] for d in ds.dims if d in self.labels}
        if any(not _same_labels(ds[d].values, v) for d, v in wanted.items()):
            ds = ds.reindex(wanted, fill_value=self.fill)  # a component it lacks: 0
        index = self.index[u]
        n = len(self.lead)
        try:
            with sigint_deferred():
                for name, var in self.template.data_vars.items():
                    if name in PROVENANCE:
                        continue
                    dims = var.dims[n:]
                    shape = var.shape[n:]
                    if name in ds:
                        values = ds[name].variable
                        if values.dims != dims:
                            raise RuntimeError(
                                f"{name}: scenario {u} has dimensions {values.dims}, the "
                                f"output {dims}"
                            )
                        values = np.asarray(values.values, dtype=var.dtype)
                    else:  # a variable this scenario lacks: as combine_along fills it
                        values = np.full(shape, self.fill.get(name, np.nan), dtype=var.dtype)
                    self._file[name][index] = values
        except BaseException as err:
            self._fail(err)
        missing = [str(n) for n in ds.data_vars if n not in self.template]
        if missing:
            self._fail(RuntimeError(f"scenario {u} has variables the output lacks: {missing}"))
        self.written.add(u)

    def _balances(self):
        balance = self._file["balance"]
        if self.batch.municipalities:
            return lambda m: np.asarray(balance[:, m])
        return np.asarray(balance[:])

    def finish(self) -> Path:
        """The comparisons (and the län and riket sums), then the file renamed to ``out``."""
        if len(self.written) != len(self.index):
            units = self.batch.units
            names = [units[u][0] for u in range(len(units)) if u not in self.written]
            self._fail(RuntimeError(f"scenarios with runs missing: {', '.join(names)}"))
        try:
            with sigint_deferred():
                names, ref = list(self.batch.names), self.batch.reference
                last = int(self.template["year"].values[-1])
                balances, table = self._balances(), self.batch.municipalities
                if table:
                    extra = national_variables(balances, table, names, ref, last)
                else:
                    extra = comparison_variables(balances, names, ref, last)
                extra = annotate_national(annotate(extra))
                extra.attrs = dict(self.template.attrs)  # Zarr replaces them with these
                self._close()
                if self.zarr:
                    extra.to_zarr(self.tmp, mode="a", zarr_format=2, consolidated=True)
                else:
                    extra.to_netcdf(self.tmp, mode="a", engine="netcdf4", format="NETCDF4")
            if self.zarr:
                replace_folder(self.tmp, self.out)
            else:
                umask = _umask()
                os.chmod(self.tmp, 0o666 & ~umask)  # mkstemp makes 0600
                os.replace(self.tmp, self.out)
        except BaseException as err:
            self._fail(err)
        return self.out

    # ----------------------------------------------------------------------------------
    def _close(self) -> None:
        if self._file is not None and not self.zarr:
            self._file.close()
        self._file = None

    def _fail(self, err: BaseException) -> None:
        full = no_space_left(err, self.out.parent, 1 << 20)
        self.discard()
        if full:
            raise WriteError(self.out) from None
        raise err

    def discard(self) -> None:
        """Close and remove the temporary output (after a failure or an interrupt)."""
        with contextlib.suppress(Exception):  # removed below whatever its state
            self._close()
        self._remove(self.tmp)

    @staticmethod
    def _remove(tmp: Path) -> None:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def provenances(batch: Batch) -> list[tuple[str, str, str]]:
    """Each unit's overrides, config text and its SHA-256 (each config dumped once)."""
    out = []
    for u, (_, config, _) in enumerate(batch.units):
        scenario, extra = unit_scenario(batch, u)
        out.append(scenario_provenance(scenario, config, extra))
    return out


def lay_out(
    batch: Batch,
    out: Path,
    models: list[CompiledModel],
    provenance: list[tuple[str, str, str]],
    *,
    runs: int,
    seed: int,
    engine: str,
) -> BatchOutput:
    """The output laid out: one run of each distinct shape of unit gives the layout."""
    samples: dict[tuple, xr.Dataset] = {}
    keys = [shape_key(model) for model in models]
    for u, (key, (_, config, code)) in enumerate(zip(keys, batch.units, strict=True)):
        if key not in samples:
            own = None if code is None else person_seed(seed, code)
            arrays = simulate_runs(config, 0, 1, seed, engine, person_seed=own)
            samples[key] = dataset_from_runs(
                config, [arrays], seed, engine, models[u], config_text=provenance[u][1]
            )
    return BatchOutput(
        out,
        batch,
        [samples[key] for key in keys],
        provenance,
        runs,
        batch_attrs(batch, runs=runs, seed=seed, engine=engine),
    )


def _same_labels(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(a == b))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _netcdf_layout(template: xr.Dataset, path: Path, encoding: dict) -> None:
    """Create the NetCDF-4 file of ``template`` as ``to_netcdf`` would, writing its NumPy
    variables and creating, not writing, its Dask ones (filled unit by unit after)."""
    from xarray.backends import NetCDF4DataStore
    from xarray.backends.common import ArrayWriter

    try:
        from xarray.backends.writers import dump_to_store
    except ImportError:  # xarray before 2025.6
        from xarray.backends.api import dump_to_store

    store = NetCDF4DataStore.open(path, mode="w", format="NETCDF4")
    try:
        dump_to_store(template, store, ArrayWriter(), encoding=encoding)
    finally:
        store.close()
