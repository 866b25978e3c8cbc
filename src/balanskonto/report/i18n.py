"""Words, labels and number formatting of the appendix, in Swedish (default) and English.

Swedish numbers have a (no-break) space as thousands separator and a comma as decimal
separator: ``12 345,6``; English ``12,345.6``. Negative numbers take a real minus sign (−).
Every template of the appendix lives in :data:`TEXT`; none contains a digit: every number in
the text is put in from the table of named quantities (:mod:`balanskonto.report.quantities`).
"""

from __future__ import annotations

import math
import re
from typing import Any

#: Languages of the appendix.
LANGS: tuple[str, ...] = ("sv", "en")
NBSP = "\u00a0"
MINUS = "\u2212"


def check_lang(lang: str) -> str:
    """``lang`` if it is a language of the appendix, else ValueError naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"language: must be one of {', '.join(LANGS)} (got {lang!r})")
    return lang


# --------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------
def number(x: float, decimals: int = 0, lang: str = "sv", *, signed: bool = False) -> str:
    """``x`` with ``decimals`` decimals, grouped by thousands the language's way.

    No ``−0``: a value that rounds to zero is shown without a sign.
    """
    text = f"{abs(x):,.{decimals}f}"
    if lang == "sv":
        text = text.replace(",", NBSP).replace(".", ",")
    zero = not any(c in "123456789" for c in text)
    if x < 0 and not zero:
        return MINUS + text
    return ("+" + text) if signed and x > 0 and not zero else text


def percent(p: float, lang: str = "sv", decimals: int | None = None) -> str:
    """A share as a percentage: ``23 %`` (sv), ``23%`` (en).

    Without ``decimals``: whole per cent from 10 % to 90 %, one decimal outside (where a whole
    number would hide the difference between, say, 0.4 % and 0 %), none for 0 % and 100 %.
    """
    value = 100 * p
    if decimals is None:
        decimals = 0 if value in (0.0, 100.0) or 10 <= value <= 90 else 1
    text = number(value, decimals, lang)
    return f"{text}{NBSP}%" if lang == "sv" else f"{text}%"


def level(p: float, lang: str = "sv") -> str:
    """A probability level such as 0.95 as ``95 %``; decimals only where needed (97,5 %)."""
    value = 100 * p
    decimals = 0 if math.isclose(value, round(value), abs_tol=1e-9) else 1
    return percent(p, lang, decimals)


def percentile(q: float, lang: str = "sv") -> str:
    """The label of a quantile level: 0.05 → ``P5``, 0.025 → ``P2,5`` (sv)."""
    value = 100 * q
    decimals = 0 if math.isclose(value, round(value), abs_tol=1e-9) else 1
    return "P" + number(value, decimals, lang)


def points(se: float, lang: str = "sv") -> str:
    """A standard error of a share in percentage points: ``1 procentenhet``, ``0,3
    procentenheter``; one decimal below one point."""
    value = 100 * se
    text = number(value, 0 if value >= 0.95 else 1, lang)
    one = text == "1"
    if lang == "sv":
        return f"{text}{NBSP}procentenhet" + ("" if one else "er")
    return f"{text}{NBSP}percentage point" + ("" if one else "s")


def amount(sek: float, lang: str = "sv") -> str:
    """An amount in running text: Mkr with one decimal from 1 Mkr, else whole tkr (0 kr)."""
    if sek == 0:
        return f"0{NBSP}kr" if lang == "sv" else f"SEK{NBSP}0"
    if abs(sek) >= 999_950:
        text = number(sek / 1e6, 1, lang)
        return f"{text}{NBSP}Mkr" if lang == "sv" else f"SEK{NBSP}{text}{NBSP}million"
    text = number(sek / 1e3, 0, lang)
    return f"{text}{NBSP}tkr" if lang == "sv" else f"SEK{NBSP}{text}{NBSP}thousand"


class Label(int):
    """A whole number that is a label, not a quantity (a year, a seed): never grouped."""


def plain(value: Any, lang: str = "sv") -> str:
    """A number from a config (an assumption) as written, the language's way: ``4 166,67``;
    a :class:`Label` as it is (``2026``)."""
    if isinstance(value, Label):
        return str(int(value))
    if isinstance(value, bool):
        return {"sv": ("nej", "ja"), "en": ("false", "true")}[lang][value]
    if isinstance(value, int):
        return number(value, 0, lang)
    if isinstance(value, float):
        text = f"{value:.10g}"
        decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
        if "e" in text:
            return text.replace(".", ",") if lang == "sv" else text
        return number(value, decimals, lang)
    return str(value)


def toml_value(value: Any, lang: str = "sv") -> str:
    """A config value (number, text, list, table) in one line, numbers the language's way.

    Lists separate their items with ``;`` in Swedish (the comma is the decimal sign).
    """
    sep = "; " if lang == "sv" else ", "
    if isinstance(value, dict):
        return "{" + sep.join(f"{k} = {toml_value(v, lang)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + sep.join(toml_value(v, lang) for v in value) + "]"
    return plain(value, lang)


# --------------------------------------------------------------------------------------
# Units of amounts in figures and tables
# --------------------------------------------------------------------------------------
def amount_unit(max_abs: float, lang: str = "sv") -> tuple[float, str]:
    """(divisor, unit label) for amounts whose largest absolute value is ``max_abs`` SEK:
    Mkr from 1 Mkr, else tkr."""
    if max_abs >= 1e6:
        return 1e6, "Mkr" if lang == "sv" else "SEK million"
    return 1e3, "tkr" if lang == "sv" else "SEK thousand"


# --------------------------------------------------------------------------------------
# Labels: states, groups, components, factors, config keys
# --------------------------------------------------------------------------------------
STATE_LABELS: dict[str, tuple[str, str]] = {
    "intro": ("introduktion", "introduction"),
    "prolonged": ("förlängd introduktion", "prolonged introduction"),
    "self_sufficient": ("egen försörjning", "self-sufficient"),
    "income_support": ("försörjningsstöd", "income support"),
    "relocated": ("utflyttade", "moved away"),
    "resident": ("alla tillstånd utom utflyttade", "every state but moved away"),
}
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "adult": ("vuxna", "adults"),
    "child": ("barn", "children"),
    "elderly": ("äldre", "elderly"),
    "unaccompanied_minor": ("ensamkommande barn", "unaccompanied minors"),
}
COMPONENT_LABELS: dict[str, tuple[str, str]] = {
    "schablon": ("schablonersättning", "schablon (state compensation)"),
    "grundersattning": ("grundersättning", "grundersättning (fixed state grant)"),
    "statsbidrag": ("statsbidrag", "state grants"),
    "allowance": ("ersättningar och bistånd", "allowances and support"),
    "administration": ("administration", "administration"),
    "activities": ("aktiviteter", "activities"),
    "sfi": ("SFI", "SFI (Swedish for immigrants)"),
    "school": ("skola", "school"),
    "samordning": ("samordning", "coordination"),
    "bostader": ("bostäder", "housing"),
}


def _pick(table: dict[str, tuple[str, str]], name: str, lang: str) -> str:
    pair = table.get(name)
    if pair is None:
        return name.replace("_", " ")
    return pair[LANGS.index(lang)]


def state_label(name: str, lang: str = "sv") -> str:
    return _pick(STATE_LABELS, name, lang)


def group_label(name: str, lang: str = "sv") -> str:
    return _pick(GROUP_LABELS, name, lang)


def component_label(name: str, lang: str = "sv") -> str:
    return _pick(COMPONENT_LABELS, name, lang)


_SHARE = re.compile(
    r"^groups\.(?P<g>[a-z][a-z0-9_]*)\.(?:states\.(?P<s>[a-z_]+)\.exits\[(?P<i>\d+)\]"
    r"\.(?P<f>share|annual_probability)|relocation\.annual_probability)$"
)


def factor_label(name: str, lang: str = "sv", exit_targets: dict[str, str] | None = None) -> str:
    """A readable name for a factor of the tornado (``level:sfi`` → ``Nivå: SFI``).

    ``exit_targets`` maps a share path to the state its exit leads to (from the config).
    """
    sv = lang == "sv"
    if name.startswith("level:"):
        comp = component_label(name.removeprefix("level:"), lang)
        return f"{'nivå' if sv else 'level'}: {comp}"
    if name.startswith("policy["):
        comp = component_label(name.split(":", 1)[1], lang)
        return f"{'policyändring' if sv else 'policy change'}: {comp}"
    if name.startswith("share:"):
        return _share_label(name.removeprefix("share:"), lang, exit_targets or {})
    base = name.removesuffix(" (mean)")
    if base == "labour_market":
        return "arbetsmarknaden, medel över åren" if sv else "labour market, mean over the years"
    if base == "arrivals":
        return "mottagandets nivå, medel över åren" if sv else "arrivals, mean over the years"
    return name


def capital(text: str) -> str:
    """``text`` with a capital first letter (for a label that starts a line)."""
    return text[:1].upper() + text[1:]


def _share_label(path: str, lang: str, targets: dict[str, str]) -> str:
    m = _SHARE.match(path)
    if not m:
        return path
    group = group_label(m["g"], lang)
    if m["s"] is None:
        return f"flyttrisk, {group}" if lang == "sv" else f"relocation hazard, {group}"
    src = state_label(m["s"], lang)
    dst = state_label(targets[path], lang) if path in targets else "?"
    if lang == "sv":
        what = "andel" if m["f"] == "share" else "årlig sannolikhet"
        return f"{what} {src} → {dst}, {group}"
    what = "share" if m["f"] == "share" else "annual probability"
    return f"{what} {src} → {dst}, {group}"


# (pattern, Swedish, English): what a config key means; {g}, {s}, {c} are filled with labels.
_KEYS: tuple[tuple[str, str, str], ...] = (
    (r"meta\.title", "Rubrik", "Title"),
    (r"meta\.municipality", "Kommun", "Municipality"),
    (r"meta\.source", "Källor", "Sources"),
    (r"meta\.description", "Beskrivning", "Description"),
    (r"simulation\.start_year", "Första år", "First year"),
    (r"simulation\.years", "Antal år", "Number of years"),
    (r"simulation\.runs", "Antal körningar i filen", "Runs in the file"),
    (r"simulation\.seed", "Slumpfrö i filen", "Random seed in the file"),
    (r"simulation\.quantiles", "Percentiler som redovisas", "Quantiles reported"),
    (r"balance\.opening", "Ingående saldo (kr)", "Opening balance (SEK)"),
    (r"arrivals\.per_year", "Mottagna per år", "Arrivals per year"),
    (r"arrivals\.distribution", "Slump i mottagandet", "Randomness of arrivals"),
    (r"arrivals\.mix", "Andel per grupp", "Share per group"),
    (r"arrivals\.cv", "Mottagandets variationskoefficient", "Coefficient of variation"),
    (r"groups\.(?P<g>\w+)\.start", "Starttillstånd, {g}", "Start state, {g}"),
    (r"groups\.(?P<g>\w+)\.relocation", "Flyttrisk per år, {g}", "Relocation hazard, {g}"),
    (
        r"groups\.(?P<g>\w+)\.states\.(?P<s>\w+)\.max_months",
        "Längsta tid i {s}, {g} (månader)",
        "Longest time in {s}, {g} (months)",
    ),
    (
        r"groups\.(?P<g>\w+)\.states\.(?P<s>\w+)\.on_expiry",
        "Vart de går när tiden i {s} löper ut, {g}",
        "Where they go when the time in {s} runs out, {g}",
    ),
    (
        r"groups\.(?P<g>\w+)\.states\.(?P<s>\w+)\.exits",
        "Övergångar från {s}, {g}",
        "Exits from {s}, {g}",
    ),
    (
        r"groups\.(?P<g>\w+)\.costs\.(?P<s>\w+)",
        "Kostnad per person och månad i {s}, {g} (kr)",
        "Cost per person and month in {s}, {g} (SEK)",
    ),
    (
        r"groups\.(?P<g>\w+)\.revenue\.(?P<s>\w+)",
        "Intäkt per person och månad i {s}, {g} (kr)",
        "Revenue per person and month in {s}, {g} (SEK)",
    ),
    (
        r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.amount\w*",
        "Belopp per person: {c}, {g} (kr)",
        "Amount per person: {c}, {g} (SEK)",
    ),
    (
        r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.relocated_share",
        "Andel som betalas efter utflyttning: {c}, {g}",
        "Share paid after moving away: {c}, {g}",
    ),
    (
        r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.relocated_share_of_amount",
        "Andel av hela beloppet för den som flyttar: {c}, {g}",
        "Share of the whole amount for a person who moves: {c}, {g}",
    ),
    (
        r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.relocated_within_months",
        "Flytt inom (månader efter mottagandet): {c}, {g}",
        "Move within (months after arrival): {c}, {g}",
    ),
    (
        r"groups\.(?P<g>\w+)\.payments\.(?P<c>\w+)\.\w+",
        "Utbetalningsplan: {c}, {g}",
        "Payment schedule: {c}, {g}",
    ),
    (r"fixed\.costs\.(?P<c>\w+)", "Fast kostnad per år: {c} (kr)", "Fixed cost per year: {c}"),
    (r"fixed\.revenue\.(?P<c>\w+)", "Fast intäkt per år: {c} (kr)", "Fixed revenue per year: {c}"),
    (r"indexation\.costs", "Uppräkning av kostnader per år", "Yearly indexation of costs"),
    (r"indexation\.revenue", "Uppräkning av intäkter per år", "Yearly indexation of revenue"),
    (r"uncertainty\.labour_market\.sd", "Arbetsmarknad: spridning (sd)", "Labour market: sd"),
    (
        r"uncertainty\.labour_market\.autocorrelation",
        "Arbetsmarknad: korrelation mellan år",
        "Labour market: autocorrelation",
    ),
    (r"uncertainty\.labour_market\.mean", "Arbetsmarknad: läge", "Labour market: mean"),
    (
        r"uncertainty\.labour_market\.effect",
        "Arbetsmarknad: effekt på övergång till arbete",
        "Labour market: effect on exits to work",
    ),
    (
        r"uncertainty\.labour_market\.relapse_effect",
        "Arbetsmarknad: effekt på återfall",
        "Labour market: effect on relapses",
    ),
    (r"uncertainty\.arrivals\.sd", "Mottagandet: spridning (sd)", "Arrivals: sd"),
    (
        r"uncertainty\.arrivals\.autocorrelation",
        "Mottagandet: korrelation mellan år",
        "Arrivals: autocorrelation",
    ),
    (r"uncertainty\.arrivals\.scenarios", "Mottagandet: scenarier", "Arrivals: scenarios"),
    (r"uncertainty\.levels\.(?P<c>\w+)", "Nivåosäkerhet: {c}", "Level uncertainty: {c}"),
    (r"uncertainty\.shares\..+", "Osäker andel", "Uncertain share"),
    (r"policy\[\d+\]\.component", "Policyändring: komponent", "Policy change: component"),
    (r"policy\[\d+\]\.from_year", "Policyändring: från år", "Policy change: from year"),
    (r"policy\[\d+\]\.factor", "Policyändring: faktor", "Policy change: factor"),
    (r"policy\[\d+\]\.probability", "Policyändring: sannolikhet", "Policy change: probability"),
    (r"policy\[\d+\]\.\w+", "Policyändring: beskrivning", "Policy change: description"),
)


def key_label(key: str, lang: str = "sv") -> str:
    """What a config key means, in words (empty for a key the appendix does not know)."""
    for pattern, sv, en in _KEYS:
        m = re.fullmatch(pattern, key)
        if m:
            slots = m.groupdict()
            words = {
                "g": group_label(slots.get("g") or "", lang),
                "s": state_label(slots.get("s") or "", lang),
                "c": component_label(slots.get("c") or "", lang),
            }
            return (sv if lang == "sv" else en).format(**words)
    return ""


# --------------------------------------------------------------------------------------
# Templates: {slot} is a number (a named quantity) or a label. No template has a digit.
# --------------------------------------------------------------------------------------
TEXT: dict[str, tuple[str, str]] = {
    # headings
    "h_title": ("Riskbilaga: {title}", "Risk appendix: {title}"),
    "h_summary": ("Sammanfattning", "Summary"),
    "h_balance": ("Balanskontot år för år", "The balance account year by year"),
    "h_deficit": ("Risk för underskott", "Risk of a deficit"),
    "h_reserve": ("Reservering", "Reserve"),
    "h_persons": ("Personer i mottagandet", "Persons in the reception"),
    "h_money": ("Intäkter och kostnader", "Revenue and cost"),
    "h_drivers": ("Vad driver risken", "What drives the risk"),
    "h_assumptions": ("Antaganden", "Assumptions"),
    "h_precision": ("Monte Carlo-precision", "Monte Carlo precision"),
    "h_provenance": ("Ursprung", "Provenance"),
    # the opening
    "intro": (
        "Simulering av balanskontot för flyktingmottagandet {first}–{last} med {runs} "
        "körningar (Monte Carlo). Belopp i kronor: tkr = tusen kronor, Mkr = miljoner kronor; "
        "saldot avser utgången av varje år.",
        "Simulation of the balance account of the refugee reception {first}–{last} with "
        "{runs} runs (Monte Carlo). Amounts in Swedish kronor (SEK); the balance is the one at "
        "the end of each year.",
    ),
    "percentile": (
        "Percentilen {plabel} är det saldo som {q} av körningarna hamnar under; {midlabel} är "
        "medianen.",
        "The percentile {plabel} is the balance that {q} of the runs fall below; {midlabel} is "
        "the median.",
    ),
    # key results
    "p_deficit": (
        "Sannolikheten att balanskontot är negativt vid utgången av {year} bedöms till {p} "
        "(± {se}).",
        "The probability that the balance account is negative at the end of {year} is "
        "estimated at {p} (± {se}).",
    ),
    "p_deficit_none": (
        "I ingen av de {runs} körningarna är balanskontot negativt vid utgången av {year}.",
        "In none of the {runs} runs is the balance account negative at the end of {year}.",
    ),
    "p_deficit_all": (
        "I alla {runs} körningarna är balanskontot negativt vid utgången av {year}.",
        "In all {runs} runs the balance account is negative at the end of {year}.",
    ),
    "p_deficit_peak": (
        "Högst är sannolikheten vid utgången av {year}: {p} (± {se}).",
        "It is highest at the end of {year}: {p} (± {se}).",
    ),
    "median": (
        "Vid utgången av {year} är balanskontots median {median}. Saldot är lägre än {low} i "
        "{qlow} av körningarna och högre än {high} i {qhigh} av dem.",
        "At the end of {year} the median balance is {median}. The balance is below {low} in "
        "{qlow} of the runs and above {high} in {qhigh} of them.",
    ),
    "reserve": (
        "Med {level} säkerhet räcker en reservering på {reserve} till och med {year}.",
        "With {level} certainty, a reserve of {reserve} suffices through {year}.",
    ),
    "reserve_none": (
        "Med {level} säkerhet blir kontot inte negativt något år till och med {year}, även utan "
        "ingående saldo.",
        "With {level} certainty, the account does not go negative in any year through {year}, "
        "even with no opening balance.",
    ),
    "reserve_meaning": (
        "Reserveringen är det ingående saldo som behövs för att kontot inte ska vara negativt "
        "vid något årsskifte; kalkylens ingående saldo är {opening}.",
        "The reserve is the opening balance needed for the account not to be negative at any "
        "year end; the plan's opening balance is {opening}.",
    ),
    "depletion": (
        "Sannolikheten att kontot är negativt vid något årsskifte {first}–{last} är {p}; det "
        "mest sannolika första underskottsåret är {year} ({p_year}).",
        "The probability that the account is negative at some year end {first}–{last} is {p}; "
        "the most likely first year of a deficit is {year} ({p_year}).",
    ),
    "depletion_none": (
        "I ingen av körningarna är kontot negativt vid något årsskifte {first}–{last}.",
        "In none of the runs is the account negative at any year end {first}–{last}.",
    ),
    "plan": (
        "Den deterministiska kalkylen (varje antagande på sitt förväntade värde, utan slump) "
        "ger {plan} vid utgången av {year}; simuleringens medelvärde är {mean} (± {se}).",
        "The deterministic calculation (every assumption at its expected value, no "
        "randomness) gives {plan} at the end of {year}; the simulation's mean is {mean} "
        "(± {se}).",
    ),
    "plan_without_uncertainty": (
        "Planen utan osäkerhet (varje osäker faktor på sitt medelvärde, utan slump) ger {plan} "
        "vid utgången av {year}; simuleringens medelvärde är {mean} (± {se}). Planen är inte "
        "medelvärdet: arbetsmarknaden och osäkra andelar verkar inte linjärt på saldot, så de "
        "två kan skilja sig mer än slumpen förklarar.",
        "The plan without uncertainty (every uncertain factor at its mean, no randomness) gives "
        "{plan} at the end of {year}; the simulation's mean is {mean} (± {se}). The plan is not "
        "the mean: the labour market and uncertain shares do not act linearly on the balance, "
        "so the two can differ by more than the randomness explains.",
    ),
    "plan_name": ("den deterministiska kalkylen (plan)", "the deterministic calculation (plan)"),
    "plan_name_without_uncertainty": (
        "planen utan osäkerhet (plan)",
        "the plan without uncertainty (plan)",
    ),
    "plan_missing": (
        "Den deterministiska kalkylen kunde inte räknas om från resultatfilens konfiguration.",
        "The deterministic calculation could not be recomputed from the result's config.",
    ),
    "tail": (
        "Mellan de {tail} sämsta körningarna och körningarna runt medianen skiljer saldot vid "
        "utgången av {year} i genomsnitt {gap}.",
        "Between the worst {tail} of the runs and the runs around the median, the balance at "
        "the end of {year} differs by {gap} on average.",
    ),
    "tail_one": (
        "Mest bidrar {c1} ({v1}).",
        "The largest contribution is from {c1} ({v1}).",
    ),
    "tail_two": (
        "Mest bidrar {c1} ({v1}) och {c2} ({v2}).",
        "The largest contributions are from {c1} ({v1}) and {c2} ({v2}).",
    ),
    "tail_sign": (
        "Ett negativt bidrag gör de dåliga körningarna sämre.",
        "A negative contribution makes the bad runs worse.",
    ),
    "drivers": (
        "Störst betydelse för saldot vid utgången av {year} har {f1} (rangkorrelation {r1}).",
        "The factor that matters most for the balance at the end of {year} is {f1} (rank "
        "correlation {r1}).",
    ),
    "drivers_more": (
        "Därefter kommer {f2} ({r2}) och {f3} ({r3}).",
        "Next come {f2} ({r2}) and {f3} ({r3}).",
    ),
    "drivers_sign": (
        "En positiv korrelation betyder att ett högre värde på faktorn ger ett högre saldo; "
        "stapeln visar hur tätt saldot följer faktorn, inte hur många kronor den flyttar.",
        "A positive correlation means that a higher value of the factor gives a higher "
        "balance; the bar shows how closely the balance follows the factor, not how many "
        "kronor it moves.",
    ),
    "drivers_absent": (
        "Känslighetsavsnittet saknas: resultatet har inga osäkerhetsfaktorer (konfigurationen "
        "har varken [uncertainty] eller [[policy]]), så det finns inga dragningar att "
        "rangordna. Spridningen kommer då bara från individernas vägar och slumpen i "
        "mottagandet.",
        "The sensitivity section is absent: the result has no uncertainty factors (the config "
        "has neither [uncertainty] nor [[policy]]), so there are no draws to rank. The spread "
        "then comes only from the individual paths and the randomness of arrivals.",
    ),
    "precision": (
        "Resultaten bygger på {runs} körningar. Monte Carlo-standardfelet vid utgången av "
        "{year} är {se_mean} för medelvärdet av saldot, {se_low} för {plabel} och {se_p} för "
        "sannolikheten för underskott.",
        "The results rest on {runs} runs. The Monte Carlo standard error at the end of {year} "
        "is {se_mean} for the mean balance, {se_low} for {plabel} and {se_p} for the "
        "probability of a deficit.",
    ),
    "precision_more": (
        "Standardfelen minskar med roten ur antalet körningar: fyra gånger så många körningar "
        "halverar dem.",
        "The standard errors shrink with the square root of the number of runs: four times as "
        "many runs halve them.",
    ),
    "assumptions": (
        "Varje värde i konfigurationsfilen, med kommentaren ovanför eller på samma rad som "
        "källa. Värden som inte står i filen har programmets standardvärden.",
        "Every value in the config file, with the comment above it or on its line as the "
        "source. Values not in the file take the program's defaults.",
    ),
    "assumptions_header": (
        "Ur konfigurationsfilens inledning: {text}",
        "From the config file's opening comment: {text}",
    ),
    "provenance": (
        "Samma resultat fås med kommandot nedan och konfigurationen i tabellen över antaganden "
        "(kontrollsumman identifierar texten).",
        "The same results follow from the command below with the config of the assumptions "
        "table (the checksum identifies its text).",
    ),
    # table captions, headers, sheet names
    "t_quantiles": (
        "Balanskontot vid årets slut (tkr): percentiler över körningarna, medelvärde med "
        "standardfel, {plan} och sannolikheten för underskott.",
        "The balance account at the end of the year (SEK thousand): percentiles over the runs, "
        "mean with standard error, {plan} and the probability of a deficit.",
    ),
    "t_quantiles_all": (
        "Balanskontot vid årets slut (tkr): alla percentiler med Monte Carlo-standardfel.",
        "The balance account at the end of the year (SEK thousand): every percentile with its "
        "Monte Carlo standard error.",
    ),
    "t_deficit": (
        "Sannolikheten för underskott vid årets slut (med standardfel), att året är det första "
        "med underskott, och att kontot har varit negativt vid något årsskifte till och med "
        "året.",
        "The probability of a deficit at the end of the year (with standard error), that the "
        "year is the first with a deficit, and that the account has been negative at some "
        "year end up to and including the year.",
    ),
    "t_reserve": (
        "Reservering (tkr): det ingående saldo som håller kontot icke-negativt vid varje "
        "årsskifte till och med året, med angiven säkerhet.",
        "Reserve (SEK thousand): the opening balance that keeps the account non-negative at "
        "every year end through the year, with the stated certainty.",
    ),
    "t_persons": (
        "Personer per tillstånd (median över körningarna, årsgenomsnitt, alla grupper).",
        "Persons by state (median over the runs, yearly average, all groups).",
    ),
    "t_persons_all": (
        "Personer per tillstånd och år (årsgenomsnitt, alla grupper): median och percentiler "
        "över körningarna.",
        "Persons by state and year (yearly average, all groups): median and percentiles over "
        "the runs.",
    ),
    "t_components": (
        "Intäkter och kostnader per komponent och år (tkr, median över körningarna).",
        "Revenue and cost by component and year (SEK thousand, median over the runs).",
    ),
    "n_components": (
        "Varje rad är medianen för just den raden; summaraderna är medianen av summan och är "
        "därför inte exakt summan av raderna ovanför.",
        "Each row is the median of that row alone; the total rows are the median of the total "
        "and so not exactly the sum of the rows above.",
    ),
    "t_tail": (
        "Skillnaden mellan de {tail} sämsta körningarna och körningarna runt medianen, per "
        "komponent, ackumulerat till och med {year} (tkr; negativt = gör de dåliga körningarna "
        "sämre).",
        "The difference between the worst {tail} of the runs and the runs around the median, "
        "by component, accumulated through {year} (SEK thousand; negative = makes the bad runs "
        "worse).",
    ),
    "t_tornado": (
        "Osäkerhetsfaktorerna och saldot vid utgången av {year}: rangkorrelation (Spearman) "
        "och standardiserad regressionskoefficient.",
        "The uncertainty factors and the balance at the end of {year}: rank correlation "
        "(Spearman) and standardised regression coefficient.",
    ),
    "t_assumptions": ("Antaganden och källor.", "Assumptions and sources."),
    "t_provenance": ("Ursprung och spårbarhet.", "Provenance."),
    "s_quantiles": ("Kvantiler", "Quantiles"),
    "s_deficit": ("Underskott", "Deficit"),
    "s_reserve": ("Reservering", "Reserve"),
    "s_persons": ("Personer", "Persons"),
    "s_components": ("Komponenter", "Components"),
    "s_tail": ("Svansanalys", "Tail"),
    "s_tornado": ("Känslighet", "Sensitivity"),
    "s_assumptions": ("Antaganden", "Assumptions"),
    "s_provenance": ("Ursprung", "Provenance"),
    "c_year": ("År", "Year"),
    "c_mean": ("Medel", "Mean"),
    "c_se": ("s.e.", "s.e."),
    "c_plan": ("Plan", "Plan"),
    "c_p_deficit": ("P(underskott)", "P(deficit)"),
    "c_p_first": ("Första underskottsår", "First deficit year"),
    "c_p_by": ("Underskott t.o.m. året", "Deficit by the year"),
    "c_reserve": ("Reservering {level}", "Reserve {level}"),
    "c_state": ("Tillstånd", "State"),
    "c_key": ("Nyckel", "Key"),
    "c_median": ("Median", "Median"),
    "c_side": ("", ""),
    "c_component": ("Komponent", "Component"),
    "c_contribution": ("Bidrag (tkr)", "Contribution (SEK thousand)"),
    "c_factor": ("Faktor", "Factor"),
    "c_rank": ("Rangkorrelation", "Rank correlation"),
    "c_src": ("Std. koefficient", "Std. coefficient"),
    "c_assumption": ("Antagande", "Assumption"),
    "c_value": ("Värde", "Value"),
    "c_source": ("Källa (kommentar i filen)", "Source (comment in the file)"),
    "c_field": ("Uppgift", "Item"),
    "never": ("aldrig", "never"),
    "revenue": ("Intäkter", "Revenue"),
    "cost": ("Kostnader", "Cost"),
    "net": ("Netto", "Net"),
    "total_revenue": ("Summa intäkter", "Total revenue"),
    "total_cost": ("Summa kostnader", "Total cost"),
    "total_net": ("Netto (intäkter − kostnader)", "Net (revenue − cost)"),
    "total_gap": ("Summa: skillnad i saldo", "Total: difference in balance"),
    "used_instead": ("(körningen använde {value})", "(the run used {value})"),
    "p_title": ("Rubrik", "Title"),
    "p_municipality": ("Kommun", "Municipality"),
    "p_sha": ("Konfigurationens SHA-256", "Config SHA-256"),
    "p_seed": ("Slumpfrö", "Seed"),
    "p_runs": ("Körningar", "Runs"),
    "p_engine": ("Beräkningsmotor", "Engine"),
    "p_version": ("balanskonto-version (simulering)", "balanskonto version (simulation)"),
    "p_created": ("Skapad (UTC)", "Created (UTC)"),
    "p_report_version": ("balanskonto-version (bilaga)", "balanskonto version (appendix)"),
    "p_command": ("Kommando", "Command"),
    "table": ("Tabell", "Table"),
    "figure": ("Figur", "Figure"),
    # figure captions
    "f_balance_fan": (
        "Balanskontot vid årets slut. Mörkt band: {inner_low}–{inner_high}, ljust band: "
        "{low}–{high} av körningarna; heldragen linje: medianen; streckad: {plan}.",
        "The balance account at the end of the year. Dark band: {inner_low}–{inner_high}, light "
        "band: {low}–{high} of the runs; solid line: the median; dashed: {plan}.",
    ),
    "f_p_deficit": (
        "Sannolikheten att kontot är negativt vid årets slut (staplar, med ett standardfels "
        "felstaplar) och att det har varit negativt vid något årsskifte till och med året "
        "(linje).",
        "The probability that the account is negative at the end of the year (bars, with one "
        "standard error) and that it has been negative at some year end up to and including "
        "the year (line).",
    ),
    "f_depletion_year": (
        "Det första året med negativt saldo: andel av körningarna per år, och andelen där "
        "kontot aldrig blir negativt.",
        "The first year with a negative balance: share of the runs per year, and the share in "
        "which the account never goes negative.",
    ),
    "f_persons": (
        "Personer per tillstånd (årsgenomsnitt, alla grupper): median över körningarna med "
        "band mellan den femte och den nittiofemte percentilen. Utflyttade visas inte.",
        "Persons by state (yearly average, all groups): median over the runs with a band "
        "between the fifth and the ninety-fifth percentile. Persons who moved away are not "
        "shown.",
    ),
    "f_components": (
        "Intäkter (uppåt) och kostnader (nedåt) per komponent: medianen över körningarna för "
        "varje komponent för sig; linjen är medianen av nettot.",
        "Revenue (up) and cost (down) by component: the median over the runs of each component "
        "on its own; the line is the median of the net.",
    ),
    "f_tail_attribution": (
        "Vad skiljer de {tail} sämsta körningarna från körningarna runt medianen, per "
        "komponent, ackumulerat till och med {year}. Negativt = gör de dåliga körningarna "
        "sämre.",
        "What sets the worst {tail} of the runs apart from the runs around the median, by "
        "component, accumulated through {year}. Negative = makes the bad runs worse.",
    ),
    "f_tornado": (
        "Osäkerhetsfaktorernas rangkorrelation med saldot vid utgången av {year}, starkast först.",
        "The uncertainty factors' rank correlation with the balance at the end of {year}, "
        "strongest first.",
    ),
}


def text(key: str, lang: str = "sv") -> str:
    """The template ``key`` in ``lang``."""
    return TEXT[key][LANGS.index(lang)]
