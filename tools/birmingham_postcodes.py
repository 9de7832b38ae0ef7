"""Write fixtures/scenarios/birmingham/postcodes.csv: Birmingham's postcode centroids.

Source: shared/data/birmingham_bsol/WM-Postcodes.csv (BSol ICS; columns match the ONS
Postcode Directory). Rows with District == "Birmingham" only (34,742), as postcode,lat,lon,
sorted by postcode. Contains OS data (c) Crown copyright and database right; Contains Royal
Mail data (c) Royal Mail copyright and database right; Contains National Statistics data
(c) Crown copyright and database right.

Usage: python3 tools/birmingham_postcodes.py
"""

import csv

from common import project, shared


def main():
    rows = []
    for r in csv.DictReader(open(shared("birmingham_bsol", "WM-Postcodes.csv"), encoding="utf-8")):
        if r["District"] == "Birmingham":
            rows.append((r["Postcode"].strip(), f"{float(r['LAT']):.6f}", f"{float(r['LONG']):.6f}"))
    rows.sort()
    if len({r[0] for r in rows}) != len(rows):
        raise SystemExit("duplicate postcodes")
    path = project("fixtures", "scenarios", "birmingham", "postcodes.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["postcode", "lat", "lon"])
        w.writerows(rows)
    print(f"wrote {path}: {len(rows)} postcodes")


if __name__ == "__main__":
    main()
