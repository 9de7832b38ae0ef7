"""Write on_roll into the shipped scenarios' provisions.csv from their pupils.csv.

on_roll = synthetic pupils placed at the provision (pupils.csv placement_id), plus pupils
placed by other authorities where we know the real roll: The Shires at Stretton had 17 on
roll in 2019 (Stamford Mercury, 27 Sep 2019), none of them from the synthetic Rutland
cohort (Rutland's independent placements are all out of county, as SEN2's out-of-area
share requires). Run after the pupils are (re)generated:
    cargo run --release --example synth_fixtures   # or: nearhome synth ...
    python3 tools/fill_on_roll.py

Usage: python3 tools/fill_on_roll.py [rutland|birmingham ...]
"""

import csv
import io
import sys
from collections import Counter

from common import project

OTHER_AUTHORITIES = {("rutland", "the-shires"): 17}


def fill(name):
    pupils_path = project("fixtures", "scenarios", name, "pupils.csv")
    prov_path = project("fixtures", "scenarios", name, "provisions.csv")
    rows_in = csv.DictReader(open(pupils_path, encoding="utf-8"))
    # pupils without a placement (placement_status other than placed) have a blank id
    placed = Counter(r["placement_id"] for r in rows_in if r["placement_id"])
    text = open(prov_path, encoding="utf-8").read()
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    i_id, i_roll, i_cap = header.index("id"), header.index("on_roll"), header.index("capacity")
    ids = {r[i_id] for r in body}
    unknown = set(placed) - ids
    if unknown:
        raise SystemExit(f"{name}: pupils placed at unknown provisions {sorted(unknown)[:5]}")
    for r in body:
        roll = placed.get(r[i_id], 0) + OTHER_AUTHORITIES.get((name, r[i_id]), 0)
        if r[i_cap] and roll > int(r[i_cap]):
            raise SystemExit(f"{name}: {r[i_id]} would have {roll} on roll, capacity {r[i_cap]}")
        r[i_roll] = str(roll)
    with open(prov_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(body)
    print(f"{name}: on_roll written for {len(body)} provisions ({sum(placed.values())} pupils)")


if __name__ == "__main__":
    for name in sys.argv[1:] or ["rutland", "birmingham"]:
        fill(name)
