"""Extract the SEN2 time series `nearhome project` fits into fixtures/sen2/series.csv.

Source: DfE "Education, health and care plans" (SEN2), reporting year 2025, the unmodified
explore-education-statistics zip in shared/data/sen2/ (OGL v3, (c) Crown copyright, DfE).

Output columns: authority (ONS code), measure, year, value. `year` is the first calendar
year of an academic year for counts taken in January (2024 = 2024/25, the January 2025
count) and the calendar year itself for flows (new and ceased plans of calendar 2024, the
year that ends at the January 2025 count). Measures (see fixtures/sen2/README.md):
  plans                    all EHC plans, 2018/19-2024/25         caseload "All EHC plans"
  plans_group.<GROUP>      plans by placement group, every year   caseload columns (GROUPS)
  plans_age.<AGE>          plans by age, 2023/24-2024/25          caseload "Child or young persons age"
  plans_need_age.<NEED>.<AGE>  plans by primary need and age, 2024/25  sen_needs_all_plans
  new_plans                new plans in the calendar year, 2019-2024   newplans "New EHC plans"
  new_age.<AGE>            new plans by age at start, 2022-2024   newplans "Age when plan started"
  new_need_age.<NEED>.<AGE>    new plans by need and age, 2024    sen_need_newplans
  ceased                   plans ceased in the calendar year, 2022-2024  ceased_plans
  ceased_age.<AGE>         ceased plans by age, 2023-2024         ceased_plans "Age plan ceased"
Ages: 'under 3' and 'age 2 and under' -> 2; 'age 20 and over' -> 20 (flows only).
Suppressed cells ('x', 'c', 'z') are left out (a missing row, never a 0).

Usage: python3 tools/sen2_series.py [ONS_CODE ...]   (default: Rutland and Birmingham)
"""

import csv
import io
import sys
import zipfile

from common import project, shared
from sen2_targets import GROUPS, NEEDS

DEFAULT = ["E06000017", "E08000025"]


def count(value):
    value = value.strip()
    return int(value) if value.isdigit() else None


def age_of(label):
    label = label.strip()
    if label in ("under 3", "age 2 and under"):
        return 2
    if label == "age 20 and over":
        return 20
    return int(label.split()[1])


def year_of(period):
    """202425 -> 2024 (academic year); 2024 -> 2024 (calendar year)."""
    return int(period[:4])


def rows(zf, name, authorities):
    with zf.open(f"data/{name}") as raw:
        for r in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")):
            if r["geographic_level"] == "Local authority" and r["new_la_code"] in authorities:
                yield r


def add(out, la, measure, year, value):
    if value is not None:
        out.append((la, measure, year, value))


def extract(zf, authorities):
    out = []
    for r in rows(zf, "caseload.csv", authorities):
        la, y, topic = r["new_la_code"], year_of(r["time_period"]), r["breakdown_topic"]
        if topic == "All EHC plans":
            add(out, la, "plans", y, count(r["ehcplans"]))
            for g, spec in GROUPS.items():
                cells = [count(r[c]) for c in spec["caseload"]]
                if all(c is not None for c in cells):
                    add(out, la, f"plans_group.{g}", y, sum(cells))
        elif topic == "Child or young persons age":
            add(out, la, f"plans_age.{age_of(r['breakdown'])}", y, count(r["ehcplans"]))
    for r in rows(zf, "sen_needs_all_plans.csv", authorities):
        if r["breakdown_topic"] == "Child or young persons age":
            for n in NEEDS:
                add(out, r["new_la_code"], f"plans_need_age.{n}.{age_of(r['breakdown'])}",
                    year_of(r["time_period"]), count(r[f"number_{n.lower()}"]))
    for r in rows(zf, "newplans.csv", authorities):
        la, y, topic = r["new_la_code"], year_of(r["time_period"]), r["breakdown_topic"]
        if topic == "New EHC plans":
            add(out, la, "new_plans", y, count(r["new_ehc_plans"]))
        elif topic == "Age when plan started":
            add(out, la, f"new_age.{age_of(r['breakdown'])}", y, count(r["new_ehc_plans"]))
    for r in rows(zf, "sen_need_newplans.csv", authorities):
        if r["breakdown_topic"] == "Child or young persons age":
            for n in NEEDS:
                add(out, r["new_la_code"], f"new_need_age.{n}.{age_of(r['breakdown'])}",
                    year_of(r["time_period"]), count(r[f"number_{n.lower()}"]))
    for r in rows(zf, "ceased_plans.csv", authorities):
        la, y, topic = r["new_la_code"], year_of(r["time_period"]), r["breakdown_topic"]
        if topic == "All ceased EHC plans":
            add(out, la, "ceased", y, count(r["total_ceased"]))
        elif topic == "Age plan ceased":
            add(out, la, f"ceased_age.{age_of(r['breakdown'])}", y, count(r["total_ceased"]))
    out.sort(key=lambda t: (t[0], t[1].split(".")[0], t[2], t[1]))
    return out


def main():
    authorities = set(sys.argv[1:]) or set(DEFAULT)
    zf = zipfile.ZipFile(shared("sen2", "education-health-and-care-plans_2025.zip"))
    out = extract(zf, authorities)
    found = {la for la, *_ in out}
    missing = authorities - found
    if missing:
        raise SystemExit(f"no SEN2 rows for {', '.join(sorted(missing))}")
    path = project("fixtures", "sen2", "series.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["authority", "measure", "year", "value"])
        w.writerows(out)
    print(f"wrote {path}: {len(out)} rows for {len(found)} authorities")


if __name__ == "__main__":
    main()
