"""Batches from a table of municipalities (balanskonto.batch.municipalities, .national): the
table is read and checked like the other CSV inputs; every municipality has its own persons
under the run's common factors, so the national sum carries the common shock; the län and
riket sums; local and Dask give the same result."""

from __future__ import annotations

import re
import shutil
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from balanskonto import batch as bt
from balanskonto.batch import cluster as dist
from balanskonto.batch.municipalities import LAN_NAMES, person_seed
from balanskonto.cli import batch as batch_cli
from balanskonto.config import ConfigError
from balanskonto.simulation.run import dataset_from_runs, simulate_runs

from conftest import CONFIGS

EXAMPLE = CONFIGS / "exempel_2026.toml"
TABLE = """\
# SYNTHETIC: three municipalities for the tests
kommunkod;namn;arrivals.per_year;balance.opening
0180;Stockholm;90;1 000 000
0181;Södertälje;40;
1480;Göteborg;70;2500000,5
"""


def example_without_uncertainty(folder: Path, labour_market: str = "") -> Path:
    """exempel_2026 without its [uncertainty] and [[policy]] tables, fixed arrivals, and
    ``labour_market`` (a [uncertainty.labour_market] body) when given."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text[: text.index("# --- uncertainty")]
    text = text.replace('distribution = "poisson"', 'distribution = "fixed"')
    if labour_market:
        text += f"\n[uncertainty.labour_market]\n{labour_market}\n"
    shutil.copy(CONFIGS / "exempel_2026_befolkning.csv", folder)
    path = folder / "base.toml"
    path.write_text(text, encoding="utf-8")
    return path


def national(folder: Path, table: str = TABLE, scenarios: str = "[scenarios.bas]\n", **kw) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    base = kw.get("base") or shutil.copy(EXAMPLE, folder / "base.toml")
    shutil.copy(CONFIGS / "exempel_2026_befolkning.csv", folder)
    (folder / "kommuner.csv").write_text(table, encoding=kw.get("encoding", "utf-8"))
    path = folder / "national.toml"
    path.write_text(
        f'base = "{Path(base).name}"\nruns = {kw.get("runs", 40)}\nseed = 5\n'
        f'municipalities = "kommuner.csv"\n{scenarios}',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def two_by_three(tmp_path_factory) -> bt.Batch:
    folder = tmp_path_factory.mktemp("national")
    scenarios = '[scenarios.bas]\n[scenarios.lag]\n"uncertainty.labour_market.mean" = -1.0\n'
    return bt.load_batch(national(folder, scenarios=scenarios))


@pytest.fixture(scope="module")
def local(two_by_three) -> xr.Dataset:
    return bt.run_batch(two_by_three, chunk_runs=16)


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------
def test_the_table_is_read_with_decimal_comma_bom_and_derived_lan(tmp_path):
    batch = bt.load_batch(national(tmp_path, encoding="utf-8-sig"))
    rows = batch.municipalities
    assert [(m.code, m.name, m.lan) for m in rows] == [
        ("0180", "Stockholm", "01"),
        ("0181", "Södertälje", "01"),
        ("1480", "Göteborg", "14"),
    ]
    assert rows[0].overrides == {"arrivals.per_year": 90, "balance.opening": 1_000_000}
    assert rows[1].overrides == {"arrivals.per_year": 40}  # an empty cell keeps the base
    assert rows[2].overrides["balance.opening"] == 2_500_000.5
    assert rows[2].lan_name == LAN_NAMES["14"] == "Västra Götalands län"
    configs = [c for _, c, _ in batch.units]
    assert [c.arrivals.per_year for c in configs] == [90, 40, 70]
    assert configs[1].balance.opening == batch.base.balance.opening


def test_a_comma_separated_table_with_a_lan_column_and_a_list(tmp_path):
    years = "[50, 40, 30, 30, 30, 30, 30, 30]"  # one a year
    table = f'kommunkod,name,län,arrivals.per_year\n0428,Vingåker,04,"{years}"\n'
    (municipality,) = bt.load_batch(national(tmp_path, table)).municipalities
    assert municipality.overrides == {"arrivals.per_year": [50, 40, 30, 30, 30, 30, 30, 30]}


@pytest.mark.parametrize(
    ("table", "where", "rule"),
    [
        ("kommunkod;namn\n180;Stockholm\n", "row 2, column 'kommunkod'", "four digits"),
        ("kommunkod;namn\n1180;X\n", "row 2, column 'kommunkod'", "län code"),
        ("kommunkod;namn;län\n0180;Stockholm;03\n", "row 2, column 'län'", "first two digits"),
        ("kommunkod;namn\n0180;A\n0180;B\n", "row 3, column 'kommunkod'", "one row"),
        ("kommunkod;namn;arrivals.per_year\n0180;A;många\n", "year'", "must be a number"),
        (
            "kommunkod;namn;arrivals.per_yeer\n0180;A;1\n",
            "row 1, column 'arrivals.per_yeer'",
            "not a dotted path of the base config",
        ),
        (
            "kommunkod;namn;arrivals.per_year\n0180;A;-5\n",
            "row 2, column 'arrivals.per_year'",
            "arrivals.per_year",
        ),
        ("kommunkod;namn;arrivals.per_year\n0180;A;1;2\n", "row 2", "4 cells"),
        ("kommunkod;arrivals.per_year\n0180;1\n", "row 1", "the columns kommunkod and name"),
        ("kommunkod;namn;simulation.runs\n0180;A;5\n", "column 'simulation.runs'", "shared"),
        ("kommunkod;namn\n", "kommuner.csv", "no municipalities"),
    ],
)
def test_a_bad_cell_names_the_file_row_column_value_and_rule(tmp_path, table, where, rule):
    with pytest.raises(ConfigError) as err:
        bt.load_batch(national(tmp_path, table))
    message = str(err.value)
    assert "kommuner.csv" in message and where in message and rule in message, message


def test_a_scenario_may_not_set_what_a_column_sets(tmp_path):
    scenarios = '[scenarios.fler]\n"arrivals.per_year" = 100\n'
    with pytest.raises(ConfigError, match=r"fler.*also set by the column 'arrivals.per_year'"):
        bt.load_batch(national(tmp_path, scenarios=scenarios))


def test_cli_report_of_a_batch_of_municipalities_exits_2_before_running(tmp_path, capsys):
    out = tmp_path / "res" / "n.nc"
    assert batch_cli.main([str(national(tmp_path)), "--out", str(out), "--report"]) == 2
    assert "--report: a batch of municipalities has no report" in capsys.readouterr().err
    assert not out.parent.exists()


def test_cli_bad_cell_exits_2_and_writes_nothing(tmp_path, capsys):
    path = national(tmp_path, "kommunkod;namn;arrivals.per_year\n0180;A;x\n")
    out = tmp_path / "res" / "n.nc"
    assert batch_cli.main([str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"kommuner\.csv, row 2, column 'arrivals\.per_year'.*must be a number", err)
    assert not out.parent.exists()


# --------------------------------------------------------------------------------------
# Random numbers: common factors, own persons
# --------------------------------------------------------------------------------------
def test_a_municipality_is_its_config_with_its_own_persons_and_the_common_factors(
    two_by_three, local
):
    for u, (name, config, code) in enumerate(two_by_three.units):
        s, m = divmod(u, 3)
        arrays = simulate_runs(config, 0, 40, 5, person_seed=person_seed(5, code))
        alone = dataset_from_runs(config, [arrays], 5, "numba")
        one = local.isel(scenario=s, municipality=m)
        assert name == f"{two_by_three.names[s]}/{code}"
        np.testing.assert_array_equal(one["balance"].values, alone["balance"].values)
        np.testing.assert_array_equal(one["factor"].values, alone["factor"].values)
    # the factors are drawn from the batch's seed: the same in every municipality of a run
    factor = local["yearly_factor"].isel(scenario=0).values
    np.testing.assert_array_equal(factor[0], factor[2])
    single = simulate_runs(two_by_three.units[0][1], 0, 40, 5)  # the seed's own persons
    np.testing.assert_array_equal(single["yearly_factor"], factor[0])
    assert not np.array_equal(single["revenue"], arrays_of(two_by_three, local, 0)["revenue"])


def arrays_of(batch: bt.Batch, ds: xr.Dataset, u: int) -> dict[str, np.ndarray]:
    _, config, code = batch.units[u]
    return simulate_runs(config, 0, ds.sizes["run"], 5, person_seed=person_seed(5, code))


def test_identical_municipalities_have_different_persons_and_the_same_factors(tmp_path):
    table = "kommunkod;namn\n0114;A\n0115;B\n"
    ds = bt.run_batch(bt.load_batch(national(tmp_path, table, runs=30)))
    a, b = ds["balance"].isel(scenario=0).values
    assert (a != b).any(axis=1).mean() > 0.9  # not run by run the same
    np.testing.assert_array_equal(*ds["factor"].isel(scenario=0).values)


def test_a_municipality_does_not_depend_on_the_other_rows(tmp_path, local):
    table = "kommunkod;namn;arrivals.per_year;balance.opening\n1480;Göteborg;70;2500000,5\n"
    scenarios = '[scenarios.bas]\n[scenarios.lag]\n"uncertainty.labour_market.mean" = -1.0\n'
    (balance,) = bt.run_batch(bt.load_batch(national(tmp_path, table, scenarios=scenarios)))[
        "balance"
    ].transpose("municipality", ...)
    with_others = local["balance"].sel(municipality="1480")
    np.testing.assert_array_equal(balance.values, with_others.values)


def _variance_and_se(x: np.ndarray) -> tuple[float, float]:
    """The sample variance of ``x`` and its standard error, sqrt((m4 − s⁴ (n−3)/(n−1)) / n)."""
    n, s2 = len(x), x.var(ddof=1)
    m4 = np.mean((x - x.mean()) ** 4)
    return s2, float(np.sqrt((m4 - s2**2 * (n - 3) / (n - 1)) / n))


def _sum_against_parts(ds: xr.Dataset) -> tuple[float, float]:
    """Var(riket) − Σ Var(municipality) in the last year, and its standard error (the
    estimates taken as independent: their positive correlation makes it conservative)."""
    final = ds.isel(scenario=0, year=-1)
    v_sum, se_sum = _variance_and_se(final["riket_balance"].values)
    parts = [_variance_and_se(b) for b in final["balance"].transpose("municipality", "run").values]
    d = v_sum - sum(v for v, _ in parts)
    return d, float(np.sqrt(se_sum**2 + sum(se**2 for _, se in parts)))


SIX = "kommunkod;namn\n" + "".join(f"01{14 + i:02d};K{i}\n" for i in range(6))


@pytest.mark.parametrize("shock", [False, True])
def test_the_national_sum_carries_the_common_labour_market_shock(tmp_path, shock):
    """Without a factor the municipalities are independent: Var(sum) = Σ Var within 4 SE of
    the estimates. With a labour-market factor, common to every municipality in a run, the
    covariances add: Var(sum) > Σ Var by more than 4 SE."""
    body = "sd = 0.5\nautocorrelation = 0.6\neffect = 1.0\nrelapse_effect = 0.5" if shock else ""
    base = example_without_uncertainty(tmp_path, body)
    ds = bt.run_batch(bt.load_batch(national(tmp_path, SIX, runs=1500, base=base)))
    d, se = _sum_against_parts(ds)
    if shock:
        assert d > 4 * se, (d, se)
    else:
        assert abs(d) < 4 * se, (d, se)


# --------------------------------------------------------------------------------------
# The sums and comparisons
# --------------------------------------------------------------------------------------
def test_lan_and_riket_are_the_sums_of_their_municipalities_run_by_run(local):
    assert list(local["municipality"].values) == ["0180", "0181", "1480"]
    assert list(local["municipality_lan"].values) == ["01", "01", "14"]
    assert list(local["lan"].values) == ["01", "14"]
    assert list(local["lan_name"].values) == ["Stockholms län", "Västra Götalands län"]
    b = local["balance"].transpose("scenario", "municipality", "run", "year").values
    np.testing.assert_array_equal(local["riket_balance"].values, b[:, 0] + b[:, 1] + b[:, 2])
    np.testing.assert_array_equal(local["lan_balance"].sel(lan="01").values, b[:, 0] + b[:, 1])
    np.testing.assert_array_equal(local["lan_balance"].sel(lan="14").values, b[:, 2])
    riket = local["riket_balance"].values
    np.testing.assert_array_equal(local["riket_p_deficit"].values, (riket < 0).mean(axis=1))
    diff = riket[1] - riket[0]
    assert local["riket_balance_difference"].values[1] == pytest.approx(diff.mean(axis=0))
    assert local["riket_p_worse"].values[1] == pytest.approx((diff < 0).mean(axis=0))
    assert (local["riket_balance_difference"].values[0] == 0).all()
    # per municipality, the paired comparisons of a plain batch
    d = b[1, 2] - b[0, 2]
    got = local["balance_difference"].sel(scenario="lag", municipality="1480").values
    np.testing.assert_allclose(got, d.mean(axis=0), rtol=1e-12)
    assert local["riket_balance"].attrs["units"] == "SEK"


def same(a: xr.Dataset, b: xr.Dataset) -> None:
    """Identical values, coordinates and attributes, except the time of creation."""
    a, b = a.copy(), b.copy()
    for ds in (a, b):
        ds.attrs.pop("created", None)
    xr.testing.assert_identical(a, b)


def test_the_printed_table_is_riket(local):
    text = bt.runner.summary(local)
    assert "riket: the sum over 3 municipalities" in text
    assert re.search(r"^lag .*%", text, re.MULTILINE)


# --------------------------------------------------------------------------------------
# Where and how it runs, and what is written
# --------------------------------------------------------------------------------------
def test_dask_gives_the_local_result_bit_for_bit(two_by_three, local):
    with dist.dask_client(workers=2) as client:
        client.wait_for_workers(2)
        on_dask = bt.run_batch(two_by_three, chunk_runs=16, client=client)
    same(on_dask, local)
    same(bt.run_batch(two_by_three, chunk_runs=7), local)  # whatever the chunks


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_the_written_file_is_the_in_memory_result(tmp_path, two_by_three, local, suffix):
    out = tmp_path / f"national{suffix}"
    written = bt.write_batch(two_by_three, out, chunk_runs=16)
    again = (xr.open_zarr(out) if suffix == ".zarr" else xr.open_dataset(out)).load()
    same(again, local)
    same(written.load(), local)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no work folder left


def _peak(run) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_flat_in_municipalities_and_the_file_the_same(tmp_path):
    """write_batch keeps one municipality's Dataset at a time (written as it completes): its
    peak (tracemalloc) with 12 municipalities is about that with 3 (measured: 46.5 and
    48.3 MB), while the Dataset held in memory (run_batch) grows with them (50.6 and 104 MB;
    write_batch before this change held it too); the file equals the in-memory result."""
    few = "kommunkod;namn\n" + "".join(f"01{14 + i:02d};K{i}\n" for i in range(3))
    many = "kommunkod;namn\n" + "".join(f"01{14 + i:02d};K{i}\n" for i in range(12))
    batches = [
        bt.load_batch(national(tmp_path / n, t, runs=600)) for n, t in (("a", few), ("b", many))
    ]
    bt.write_batch(batches[0], tmp_path / "warm.nc")  # compiled, imported: not in the peaks
    written = [
        _peak(lambda b=b, i=i: bt.write_batch(b, tmp_path / f"w{i}.nc"))
        for i, b in enumerate(batches)
    ]
    held = [_peak(lambda b=b: bt.run_batch(b)) for b in batches]
    # the measure sees the Dataset held in memory grow (about 6 MB a municipality here; the
    # rest is the per-run tables of one chunk, about 37 MB), and the written batch's not
    assert held[1] > 1.5 * held[0], held
    assert written[1] - written[0] < 0.1 * (held[1] - held[0]), (written, held)
    same(xr.open_dataset(tmp_path / "w1.nc").load(), bt.run_batch(batches[1]))


def test_rerun_reproduces_a_batch_of_municipalities_exactly(tmp_path, two_by_three, capsys):
    from balanskonto.cli import rerun as rerun_cli

    out = tmp_path / "n.nc"
    bt.write_batch(two_by_three, out, chunk_runs=16)
    assert rerun_cli.main([str(out)]) == 0
    assert "reproduced" in capsys.readouterr().out
    with xr.open_dataset(out) as ds:  # a changed number is found
        changed = ds.load()
    changed["riket_balance"].values[0, 0, 0] += 1.0
    changed.to_netcdf(tmp_path / "changed.nc")
    assert rerun_cli.main([str(tmp_path / "changed.nc")]) == 1
    assert "riket_balance" in capsys.readouterr().out


def test_cli_writes_the_national_batch_and_prints_riket(tmp_path, capsys):
    path = national(tmp_path / "in", runs=20)
    out = tmp_path / "n.nc"
    assert batch_cli.main([str(path), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "riket: the sum over 3 municipalities" in text
    assert "3 municipalities in 2 län" in text and f"wrote {out}" in text
    with xr.open_dataset(out) as ds:
        assert ds["riket_balance"].dims == ("scenario", "run", "year")


def test_cli_says_it_in_swedish(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BALANSKONTO_LANG", "sv")
    path = national(tmp_path / "in", runs=20)
    assert batch_cli.main([str(path), "--out", str(tmp_path / "n.nc"), "--quiet"]) == 0
    assert "3 kommuner i 2 län" in capsys.readouterr().out


def test_an_interrupted_national_batch_resumes_to_the_same_result(tmp_path, two_by_three, local):
    out = tmp_path / "n.nc"
    seen: list = []

    def stop(chunk) -> None:
        seen.append(chunk)
        if len(seen) == 7:  # units 0, 1 done (and spilled), unit 2 half
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bt.write_batch(two_by_three, out, chunk_runs=16, on_chunk=stop)
    assert not out.exists() and len(list((tmp_path / "n.nc.parts").glob("*.npz"))) == 7
    again: list = []
    written = bt.write_batch(two_by_three, out, chunk_runs=16, resume=True, on_chunk=again.append)
    assert len(again) == 6 * 3 - 7
    same(written.load(), local)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.nc"]
