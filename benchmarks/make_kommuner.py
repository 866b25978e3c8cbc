"""Writes benchmarks/kommuner_syntetiska.csv: 290 SYNTHETIC municipalities for the national
benchmark (test_bench_national.py). Not Sweden's municipalities: made-up codes within the real
län (as many in each län as Sweden has), made-up names, and sizes spread like Sweden's — three
large cities (980 000, 600 000 and 360 000 inhabitants) and the rest log-normal around a
median of 16 000 (from 2 400 to 250 000). Arrivals are proportional to the size, 60 a year
on average (the exempel_2026 config's 60, so the batch is 290 exempel-like configs); the
opening balance is proportional to the arrivals (exempel: 6 Mkr for 60 a year), and the
relocation probability of adults falls with the size (0.16 in the smallest, 0.08 in the
largest). Run ``python benchmarks/make_kommuner.py`` to write it again (deterministic)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Municipalities per län, as in Sweden (290 in all).
PER_LAN = {
    "01": 26, "03": 8, "04": 9, "05": 13, "06": 13, "07": 8, "08": 12, "09": 1, "10": 5,
    "12": 33, "13": 6, "14": 49, "17": 16, "18": 12, "19": 10, "20": 15, "21": 10, "22": 7,
    "23": 8, "24": 15, "25": 14,
}  # fmt: skip
OUT = Path(__file__).resolve().parent / "kommuner_syntetiska.csv"
MEAN_ARRIVALS = 60


def populations(rng: np.random.Generator, n: int) -> np.ndarray:
    rest = np.clip(rng.lognormal(np.log(16_000), 0.95, n - 3), 2_400, 250_000)
    return np.concatenate([[980_000, 600_000, 360_000], np.sort(rest)[::-1]]).round()


def main() -> None:
    rng = np.random.default_rng(290)
    pop = populations(rng, sum(PER_LAN.values()))
    order = rng.permutation(len(pop) - 3) + 3  # the cities first in their län, the rest mixed
    sizes = list(pop[:3]) + list(pop[order])
    codes = [f"{lan}{k + 1:02d}" for lan, n in PER_LAN.items() for k in range(n)]
    cities = ["01", "14", "12"]  # the three cities' län, as in Sweden
    first = [codes.index(f"{lan}01") for lan in cities]
    others = [i for i in range(len(codes)) if i not in first]
    index = first + others
    arrivals = np.maximum(1, np.rint(np.array(sizes) * MEAN_ARRIVALS * len(sizes) / sum(sizes)))
    span = np.log(np.array(sizes) / min(sizes)) / np.log(max(sizes) / min(sizes))
    relocation = 0.16 - 0.08 * span
    rows = sorted(
        (codes[index[i]], f"Syntetisk {codes[index[i]]}", int(arrivals[i]),
         int(arrivals[i]) * 100_000, round(float(relocation[i]), 3))
        for i in range(len(sizes))
    )  # fmt: skip
    lines = [
        "# SYNTHETIC: 290 made-up municipalities for the national benchmark, sizes spread like "
        "Sweden's; not real municipalities (benchmarks/make_kommuner.py)",
        "# sizes: "
        + ", ".join(f"{int(s)}" for s in sorted(sizes, reverse=True)[:5])
        + f", …, {int(min(sizes))} inhabitants ({int(sum(sizes))} in all); arrivals "
        "proportional, 60 a year on average",
        "kommunkod;namn;arrivals.per_year;balance.opening;"
        "groups.adult.relocation.annual_probability",
    ]
    lines += [f"{c};{n};{a};{o};{str(r).replace('.', ',')}" for c, n, a, o, r in rows]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
