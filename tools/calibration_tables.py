"""Print the Markdown calibration tables of docs/synth.md from the scenarios' calibration.csv.

calibration.csv is written by `cargo run --release --example synth_fixtures` (or
`nearhome synth SCENARIO --calibration FILE`). Prints, per scenario: headline rows (SEN2,
no journey, target, generated), the placement group x primary need matrix
(generated; every cell equals SEN2 exactly), the placement statuses of the pupils without a
school placement, and age bands.

Usage: python3 tools/calibration_tables.py > /tmp/tables.md
"""

import csv

from common import project

NEEDS = ["ASD", "SLCN", "SEMH", "MLD", "SLD", "PMLD", "SPLD", "HI", "VI", "MSI", "PD", "OTH"]
GROUPS = ["mainstream", "resourced", "special", "independent", "post16", "ap", "elsewhere"]
STATUSES = ["home_educated", "other_arrangements", "other_setting", "awaiting_provision", "missing_education", "neet", "early_years", "not_recorded"]
TITLES = {"rutland": "Rutland (E06000017)", "birmingham": "Birmingham (E08000025)"}


def table(name):
    rows = {r["measure"]: r for r in csv.DictReader(open(project("fixtures", "scenarios", name, "calibration.csv"), encoding="utf-8"))}
    out = [f"### {TITLES[name]}", "", "| measure | SEN2 2024/25 | no journey | target | generated |", "|---|---:|---:|---:|---:|"]
    keys = ["ehc_plans"] + [f"need.{n}" for n in NEEDS] + [f"placement.{g}" for g in GROUPS] + [f"status.{s}" for s in STATUSES] + ["out_of_area.independent", "out_of_area.all"]
    for k in keys:
        r = rows[k]
        out.append(f"| {k} | {r['sen2'] or '–'} | {r['excluded']} | {r['target'] or '–'} | {r['generated']} |")
    joint = [r for m, r in rows.items() if m.startswith("placement_need.")]
    met = sum(1 for r in joint if r["target"] == r["generated"] and r["sen2"] == r["generated"])
    out += ["", f"Placement group × primary need, generated (all {len(joint)} cells equal SEN2: {met} of {len(joint)}):", ""]
    out.append("| group | " + " | ".join(NEEDS) + " |")
    out.append("|---|" + "---:|" * len(NEEDS))
    for g in GROUPS[:-1]:
        cells = [rows[f"placement_need.{g}.{n}"]["generated"] for n in NEEDS]
        out.append(f"| {g} | " + " | ".join(cells) + " |")
    joint = [r for m, r in rows.items() if m.startswith("status_need.")]
    met = sum(1 for r in joint if r["target"] == r["generated"] and r["sen2"] == r["generated"])
    out += ["", f"Placement status × primary need of the pupils without a school placement, generated ({met} of {len(joint)} cells equal SEN2; statuses with no plans have no rows):", ""]
    out.append("| status | " + " | ".join(NEEDS) + " |")
    out.append("|---|" + "---:|" * len(NEEDS))
    for s in STATUSES:
        if f"status_need.{s}.ASD" not in rows:
            continue
        cells = [rows[f"status_need.{s}.{n}"]["generated"] for n in NEEDS]
        out.append(f"| {s} | " + " | ".join(cells) + " |")
    out += ["", "Ages (SEN2 plans aged 4-18 in the band; target after folding other ages in; generated):", ""]
    out.append("| group | 4-10 SEN2 / target / generated | 11-15 | 16-18 |")
    out.append("|---|---|---|---|")
    for g in GROUPS[:-1]:
        cells = []
        for band in ["4-10", "11-15", "16-18"]:
            r = rows.get(f"age_band.{g}.{band}")
            cells.append(f"{r['sen2']} / {r['target']} / {r['generated']}" if r else "–")
        out.append(f"| {g} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    for name in TITLES:
        print(table(name))
