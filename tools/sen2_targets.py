"""Extract the SEN2 2024/25 calibration targets into fixtures/sen2/targets.csv.

Source: DfE "Education, health and care plans" (SEN2), reporting year 2025, the unmodified
explore-education-statistics zip in shared/data/sen2/ (OGL v3, (c) Crown copyright, DfE).
Rows for time_period 202425 and the authorities below (Rutland's rows are only in the zip).

Output columns: authority (ONS code), measure, value. Measures (see fixtures/sen2/README.md):
  ehc_plans                         all EHC plans
  need.<NEED>                       all plans by primary need (SEN2 codes, upper case)
  placement.<GROUP>                 plans by placement group (GROUPS below)
  placement_need.<GROUP>.<NEED>     plans by placement group and primary need
  placement_age.<GROUP>.<AGE>       plans by placement group and age (0..25; 'under 3' -> 2)
  status.<STATUS>                   plans of the elsewhere group by placement status (STATUSES)
  status_need.<STATUS>.<NEED>       ... by placement status and primary need
  status_age.<STATUS>.<AGE>         ... by placement status and age
  raw.<sen2 column>                 the SEN2 caseload columns the groups are built from

Usage: python3 tools/sen2_targets.py
"""

import csv
import io
import zipfile

from common import project, shared

AUTHORITIES = {"E06000017": "Rutland", "E08000025": "Birmingham"}
NEEDS = ["ASD", "SLCN", "SEMH", "MLD", "SLD", "PMLD", "SPLD", "HI", "VI", "MSI", "PD", "OTH"]

# placement group -> SEN2 caseload columns (caseload.csv) and type-of-placement breakdowns
# (sen_needs_all_plans.csv) that make it up.
GROUPS = {
    "mainstream": {
        "caseload": ["mainstream_la_maintained", "mainstream_academy", "mainstream_free_school", "mainstream_independent"],
        "needs": ["Mainstream - LA maintained", "Mainstream - academy", "Mainstream - free school", "Mainstream - independent"],
    },
    "resourced": {
        "caseload": [
            "mainstream_la_maintained_resourced_provision", "mainstream_la_maintained_senunit",
            "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
            "mainstream_free_school_resourced_provision", "mainstream_free_school_senunit",
        ],
        "needs": [
            "Mainstream - LA maintained (resourced provision)", "Mainstream - LA maintained (SEN unit)",
            "Mainstream - academy (resourced provision)", "Mainstream - academy (SEN unit)",
            "Mainstream - free school (resourced provision)", "Mainstream - free school (SEN unit)",
        ],
    },
    "special": {
        "caseload": ["special_la_maintained", "special_academy_free"],
        "needs": ["Special - LA maintained", "Special - Academy/free schools"],
    },
    "independent": {
        "caseload": ["special_independent", "special_non_maintained"],
        "needs": ["Special - independent", "Special - non-maintained"],
    },
    "post16": {"caseload": ["fe_total"], "needs": ["FE - total"]},
    "ap": {"caseload": ["ap_pru_total"], "needs": ["AP/PRU - total"]},
    "elsewhere": {
        "caseload": ["ed_elsewhere", "nm_early_years", "placement_unknown"],
        "needs": ["Educated elsewhere - total", "Non-maintained early years", "Placement not recorded"],
    },
}

# placement status of a plan with no school placement -> SEN2 caseload columns and
# type-of-placement breakdowns. The statuses partition the `elsewhere` group (checked).
# `awaiting_provision` is SEN2's "other placement settings", which its guidance says includes
# those awaiting provision, those with a type of setting but no named setting and those out
# of provision.
STATUSES = {
    "home_educated": {
        "caseload": ["elective_home_education"],
        "needs": ["Educated elsewhere - elective home education"],
    },
    "other_arrangements": {
        "caseload": ["other_arrangements_la", "other_arrangements_parents", "online_provider"],
        "needs": [
            "Educated elsewhere - other arrangements by LA",
            "Educated elsewhere - other arrangements by parents",
            "Educated elsewhere - online provider",
        ],
    },
    "other_setting": {
        "caseload": ["w_settings", "other_schools"],
        "needs": ["Educated elsewhere - Welsh establishment", "Educated elsewhere - other schools and establishments"],
    },
    "awaiting_provision": {
        "caseload": ["other_placement_settings"],
        "needs": ["Educated elsewhere - other placement settings"],
    },
    "missing_education": {
        "caseload": ["neet_other_csa"],
        "needs": ["Educated elsewhere - not in education or training (compulsory school age)"],
    },
    "neet": {
        "caseload": ["neet", "neet_ntci", "neet_other"],
        "needs": [
            "Educated elsewhere - NEET",
            "Educated elsewhere - not in education or training (notice to cease issued)",
            "Educated elsewhere - not in education or training (other)",
        ],
    },
    "early_years": {"caseload": ["nm_early_years"], "needs": ["Non-maintained early years"]},
    "not_recorded": {"caseload": ["placement_unknown"], "needs": ["Placement not recorded"]},
}


def num(value):
    """SEN2 count: 'x', 'z', 'c' (suppressed / not applicable) or blank count as 0."""
    value = value.strip()
    return int(value) if value.isdigit() else 0


def breakdowns(la, prefix, name, spec, total_row, by_type, ages, out):
    """Appends `<prefix>.<name>`, its need and age breakdowns to `out`; returns the count."""
    count = sum(num(total_row[c]) for c in spec["caseload"])
    out.append((la, f"{prefix}.{name}", count))
    need_sum = 0
    for n in NEEDS:
        v = sum(num(by_type[b][f"number_{n.lower()}"]) for b in spec["needs"] if b in by_type)
        need_sum += v
        out.append((la, f"{prefix}_need.{name}.{n}", v))
    if need_sum != count:
        raise SystemExit(f"{la} {name}: need breakdown {need_sum} != caseload {count}")
    age_sum = 0
    for r in ages:
        label = r["breakdown"]
        age = 2 if label == "under 3" else int(label.split()[1])
        v = sum(num(r[c]) for c in spec["caseload"])
        age_sum += v
        if v:
            out.append((la, f"{prefix}_age.{name}.{age}", v))
    if age_sum != count:
        print(f"note: {la} {name}: age breakdown sums to {age_sum}, caseload {count}")
    return count


def rows(zf, name):
    with zf.open(f"data/{name}") as raw:
        for r in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")):
            if r["time_period"] == "202425" and r["geographic_level"] == "Local authority" and r["new_la_code"] in AUTHORITIES:
                yield r


def main():
    zf = zipfile.ZipFile(shared("sen2", "education-health-and-care-plans_2025.zip"))
    caseload = list(rows(zf, "caseload.csv"))
    needs = list(rows(zf, "sen_needs_all_plans.csv"))
    out = []
    for la in AUTHORITIES:
        total_row = [r for r in caseload if r["new_la_code"] == la and r["breakdown_topic"] == "All EHC plans"]
        if len(total_row) != 1:
            raise SystemExit(f"{la}: expected one 'All EHC plans' caseload row")
        t = total_row[0]
        total = num(t["ehcplans"])
        out.append((la, "ehc_plans", total))
        need_all = [r for r in needs if r["new_la_code"] == la and r["breakdown_topic"] == "All EHC plans"][0]
        for n in NEEDS:
            out.append((la, f"need.{n}", num(need_all[f"number_{n.lower()}"])))
        if num(need_all["number_need_unknown"]):
            raise SystemExit(f"{la}: plans with unknown need are not modelled")
        by_type = {r["breakdown"]: r for r in needs if r["new_la_code"] == la and r["breakdown_topic"] == "Type of placement"}
        ages = [r for r in caseload if r["new_la_code"] == la and r["breakdown_topic"] == "Child or young persons age"]
        group_sum = 0
        for g, spec in GROUPS.items():
            count = breakdowns(la, "placement", g, spec, t, by_type, ages, out)
            group_sum += count
        if group_sum != total:
            raise SystemExit(f"{la}: placement groups sum to {group_sum}, total {total}")
        status_sum = sum(breakdowns(la, "status", s, spec, t, by_type, ages, out) for s, spec in STATUSES.items())
        elsewhere = sum(num(t[c]) for c in GROUPS["elsewhere"]["caseload"])
        if status_sum != elsewhere:
            raise SystemExit(f"{la}: placement statuses sum to {status_sum}, elsewhere group {elsewhere}")
        for spec in list(GROUPS.values()) + list(STATUSES.values()):
            for c in spec["caseload"]:
                if (la, f"raw.{c}") not in {(a, m) for a, m, _ in out}:
                    out.append((la, f"raw.{c}", num(t[c])))
    path = project("fixtures", "sen2", "targets.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["authority", "measure", "value"])
        w.writerows(out)
    print(f"wrote {path}: {len(out)} rows")


if __name__ == "__main__":
    main()
