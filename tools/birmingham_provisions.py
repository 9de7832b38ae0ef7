"""Write fixtures/scenarios/birmingham/provisions.csv (British National Grid easting/northing).

Real sites, from Birmingham City Council's schools list (shared/data/schools/
vitorbaptista_birmingham_schools/birmingham_schools.csv, OGL v3; easting/northing as given):
  * the 27 special schools (kind special_school), including the three Birmingham-run schools
    outside the city: Hunters Hill (Bromsgrove), Skilts (Redditch), Springfield House (Solihull);
  * every mainstream school (primary, infant, junior, secondary, all-through; nursery schools
    left out): kind mainstream, all needs, capacity unknown (blank);
  * the six alternative provision free schools and the pupil referral unit: alternative_provision;
  * the resource bases named by the 2012 SEND strategy (shared/seeds/002), at their host
    schools, and the seven "fully accessible mainstream schools" it lists beside them,
    modelled as physical-disability resource bases (see NEED_MAP and HOSTS below).
ILLUSTRATIVE:
  * needs of each special school (from the schools' published specialisms as known to the
    authors; to be checked against the Local Offer) and every capacity: special school
    capacities sum to 5,062 (SEN2 2024/25 special total; 4,830 of them are filled by the
    synthetic pupils, SEN2 LA-maintained + academy), resource base capacities to 780 (722
    filled, SEN2 resourced provision), sized to the SEN2 need mix each serves;
  * independent and non-maintained special schools and specialist post-16 institutions
    across the West Midlands, and general FE colleges in the city, at real towns (the mean
    position of the postcodes of one postcode sector, from WM-Postcodes.csv).
on_roll is written by tools/fill_on_roll.py once pupils.csv exists (pupils placed there).

Usage: python3 tools/birmingham_provisions.py
"""

import csv
import json
import math
from collections import defaultdict

from pyproj import Transformer
from shapely.geometry import Point, shape

from common import project, shared, slug

ALL = ["ASD", "SLCN", "SEMH", "MLD", "SLD", "PMLD", "SPLD", "HI", "VI", "MSI", "PD", "OTH"]
COLUMNS = ["id", "name", "kind", "needs", "age_min", "age_max", "capacity", "on_roll", "annual_cost_gbp", "easting", "northing"]
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
TO_WGS = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

SPECIAL_TOTAL = 5062   # SEN2 2024/25 Birmingham, special schools (all types)
RESOURCED_CAPACITY = 780  # 722 resourced places filled (SEN2) + about 8% spare (illustrative)

# special school -> (needs, age_min, age_max); ages at 31 August
SPECIAL = {
    "Baskerville School": ("ASD;SLCN", 11, 18),
    "Beaufort School": ("SLD;PMLD;ASD;SLCN", 4, 10),
    "Braidwood School for the Deaf": ("HI;MSI", 11, 18),
    "Brays School": ("PD;PMLD;SLD;MSI;OTH", 4, 10),
    "Calthorpe Teaching Academy": ("MLD;SLD;ASD;SLCN;SPLD;PD;OTH", 4, 18),
    "Cherry Oak School": ("SLD;PMLD;ASD;SLCN", 4, 10),
    "Fox Hollies School and Performing Arts College": ("SLD;PMLD;ASD;SLCN", 11, 18),
    "Hallmoor School": ("MLD;SLD;ASD;SLCN;SPLD", 4, 18),
    "Hamilton School": ("ASD;SLCN", 4, 10),
    "Hunters Hill Technology College": ("SEMH;ASD", 11, 15),
    "James Brindley School": ("OTH;PD;SEMH", 4, 18),
    "Langley School": ("MLD;ASD;SLCN;SPLD", 4, 10),
    "Lindsworth School": ("SEMH;ASD", 11, 15),
    "Longwill A Primary School for Deaf Children": ("HI;MSI", 4, 10),
    "Mayfield School": ("SLD;PMLD;ASD;SLCN;MLD", 4, 18),
    "Oscott Manor School": ("ASD;SLCN", 11, 18),
    "Priestley Smith School": ("VI;MSI", 4, 18),
    "Queensbury School": ("MLD;ASD;SLCN;SPLD", 11, 18),
    "Selly Oak Trust School": ("MLD;ASD;SLCN;SPLD;SLD", 11, 18),
    "Skilts School": ("SEMH;ASD", 4, 10),
    "Springfield House Community Special School": ("SEMH;ASD", 4, 10),
    "The Bridge School": ("SLD;PMLD;ASD;SLCN", 4, 10),
    "The Dame Ellen Pinsent School": ("MLD;ASD;SLCN;SPLD", 4, 10),
    "The Pines Special School": ("ASD;SLCN", 4, 10),
    "Uffculme School": ("ASD;SLCN", 4, 10),
    "Victoria School": ("PD;PMLD;SLD;MSI;OTH", 4, 18),
    "Wilson Stuart School": ("PD;OTH;MLD;SLD", 4, 18),
}

# 2012 strategy designation -> SEN2 codes (each a documented judgement, see docs/synth.md)
NEED_MAP = {
    # SEND Code of Practice: "cognition and learning" covers MLD, SLD, PMLD and SpLD
    "cognition and learning": "MLD;SLD;PMLD;SPLD",
    "visually impaired": "VI",
    "speech and language": "SLCN",
    # behaviour, emotional and social development is SEMH since the 2014 Code
    "behaviour and social development": "SEMH",
    "autistic spectrum disorder": "ASD",
    "hearing impaired": "HI",
    # fully accessible mainstream schools: physical disability, and medical needs (OTH)
    "fully accessible": "PD;OTH",
}
# (name in the strategy, host school in the schools list, designation, note)
HOSTS = [
    ("Bartley Green College", "Bartley Green School", "cognition and learning", ""),
    ("Hamstead Hall", "Hamstead Hall Academy", "cognition and learning", ""),
    ("Lyndon Green", "Lyndon Green Junior School", "cognition and learning", "infant and junior schools share the site: ages 4-10"),
    ("Waverley", "Waverley School", "cognition and learning", "secondary phase of the all-through school"),
    ("Welsh House Farm", "Welsh House Farm Community School and Special Needs Resources Base", "cognition and learning", ""),
    ("Bournville Secondary", "Bournville School and Sixth Form Centre", "visually impaired", ""),
    ("Christ the King", "Christ The King Catholic Primary School", "visually impaired", ""),
    ("Plantsbrook", "Plantsbrook School", "visually impaired", ""),
    ("Worlds End", "World's End Junior School", "visually impaired", "infant and junior schools share the site: ages 4-10"),
    ("Anglesey", "Anglesey Primary School", "speech and language", ""),
    ("Meadows", "The Meadows Primary School", "speech and language", ""),
    ("Mere Green", "Mere Green Primary School", "speech and language", ""),
    ("Topcliffe", "Topcliffe Primary School", "speech and language", ""),
    ("Chilwell", "Chilwell Croft Academy", "behaviour and social development", ""),
    ("Parkfield", "Parkfield Community School", "behaviour and social development", ""),
    ("Castle Vale", "Greenwood Academy", "autistic spectrum disorder", "Castle Vale School became Greenwood Academy on the same Farnborough Road site"),
    ("Dame Elizabeth Cadbury", "Dame Elizabeth Cadbury Technology College", "autistic spectrum disorder", ""),
    ("George Dixon Secondary", "George Dixon Academy", "autistic spectrum disorder", ""),
    ("Rookery", "Rookery School", "autistic spectrum disorder", ""),
    ("Stockland Green", "Stockland Green School", "autistic spectrum disorder", ""),
    ("Topcliffe", "Topcliffe Primary School", "autistic spectrum disorder", ""),
    ("Bordesley Green Girls", "Bordesley Green Girls' School & Sixth Form", "hearing impaired", ""),
    ("Small Heath", "Small Heath School", "hearing impaired", ""),
    ("Bournville Secondary", "Bournville School and Sixth Form Centre", "hearing impaired", ""),
    ("Hawthorne", "Hawthorn Primary School", "hearing impaired", ""),
    ("Percy Shurmer", "Percy Shurmer Academy", "hearing impaired", ""),
    ("Great Barr Primary", "Great Barr Primary School", "fully accessible", ""),
    ("Kings Heath", "Kings Heath Primary School", "fully accessible", ""),
    ("Nelson Mandela", "Nelson Mandela School", "fully accessible", ""),
    ("Timberley", "Timberley Academy", "fully accessible", ""),
    ("Turves Green Primary", "Turves Green Primary School", "fully accessible", ""),
    ("Welford", "Welford Primary School", "fully accessible", ""),
    ("Golden Hillock", "Ark Boulton Academy", "fully accessible", "Golden Hillock School became Ark Boulton Academy on the same Golden Hillock Road site"),
]

# postcode sectors whose mean position stands for a town (WM-Postcodes.csv)
TOWNS = {
    "Solihull": "B91 3", "Walsall": "WS1 1", "Wolverhampton": "WV1 1", "Dudley": "DY1 1",
    "West Bromwich": "B70 7", "Bromsgrove": "B61 8", "Redditch": "B97 4", "Tamworth": "B79 7",
    "Halesowen": "B63 3", "Stourbridge": "DY8 1", "Oldbury": "B69 4",
    # places inside Birmingham, for the general FE colleges
    "Birmingham city centre": "B4 7", "Erdington": "B23 6", "Northfield": "B31 2",
    "Hall Green": "B28 8", "Handsworth": "B21 9", "Bordesley Green": "B9 5",
    "Sutton Coldfield": "B72 1", "Selly Oak": "B29 6",
}
# ILLUSTRATIVE providers: (id, name, kind, needs, age_min, age_max, town)
OTHERS = [
    ("ind-solihull", "Illustrative independent special school (autism), Solihull", "independent_special", "ASD;SLCN", 5, 18, "Solihull"),
    ("ind-walsall", "Illustrative independent special school (SEMH), Walsall", "independent_special", "SEMH;ASD", 7, 18, "Walsall"),
    ("ind-wolverhampton", "Illustrative independent special school (learning difficulties), Wolverhampton", "independent_special", "MLD;SLD;SPLD;ASD;SLCN", 5, 18, "Wolverhampton"),
    ("ind-dudley", "Illustrative independent special school (SEMH and autism), Dudley", "independent_special", "SEMH;ASD;MLD", 10, 18, "Dudley"),
    ("ind-west-bromwich", "Illustrative independent special school (autism and SEMH), West Bromwich", "independent_special", "ASD;SEMH;SLCN", 5, 18, "West Bromwich"),
    ("ind-bromsgrove", "Illustrative independent special school (autism), Bromsgrove", "independent_special", "ASD;SEMH", 11, 18, "Bromsgrove"),
    ("ind-redditch", "Illustrative independent special school (complex needs), Redditch", "independent_special", "SLD;PMLD;MSI;PD;OTH;ASD", 5, 18, "Redditch"),
    ("ind-tamworth", "Illustrative independent special school (SEMH and learning), Tamworth", "independent_special", "SEMH;ASD;MLD;SPLD", 8, 18, "Tamworth"),
    ("ind-halesowen", "Illustrative independent special school (SEMH), Halesowen", "independent_special", "SEMH;SPLD;OTH", 11, 18, "Halesowen"),
    ("ind-stourbridge", "Illustrative independent special school (autism), Stourbridge", "independent_special", "ASD;SLCN;PD", 7, 18, "Stourbridge"),
    ("nms-walsall", "Illustrative non-maintained special school (sensory), Walsall", "non_maintained_special", "HI;VI;MSI", 4, 18, "Walsall"),
    ("fe-city-centre", "Illustrative general FE college, Birmingham city centre", "post16", ";".join(ALL), 16, 25, "Birmingham city centre"),
    ("fe-erdington", "Illustrative general FE college, Erdington", "post16", ";".join(ALL), 16, 25, "Erdington"),
    ("fe-northfield", "Illustrative general FE college, Northfield", "post16", ";".join(ALL), 16, 25, "Northfield"),
    ("fe-hall-green", "Illustrative general FE college, Hall Green", "post16", ";".join(ALL), 16, 25, "Hall Green"),
    ("fe-handsworth", "Illustrative general FE college, Handsworth", "post16", ";".join(ALL), 16, 25, "Handsworth"),
    ("fe-bordesley-green", "Illustrative general FE college, Bordesley Green", "post16", ";".join(ALL), 16, 25, "Bordesley Green"),
    ("fe-sutton-coldfield", "Illustrative general FE college, Sutton Coldfield", "post16", ";".join(ALL), 16, 25, "Sutton Coldfield"),
    ("sp16-selly-oak", "Illustrative specialist post-16 institution, Selly Oak", "post16", ";".join(ALL), 16, 25, "Selly Oak"),
    ("sp16-solihull", "Illustrative specialist post-16 institution, Solihull", "post16", "ASD;SLD;PMLD;MSI;PD;SLCN;MLD", 16, 25, "Solihull"),
    ("sp16-oldbury", "Illustrative specialist post-16 institution, Oldbury", "post16", "ASD;SEMH;MLD;SPLD;SLCN;HI;VI", 16, 25, "Oldbury"),
]


def targets():
    """SEN2 targets for Birmingham from fixtures/sen2/targets.csv."""
    t = {}
    for r in csv.DictReader(open(project("fixtures", "sen2", "targets.csv"), encoding="utf-8")):
        if r["authority"] == "E08000025":
            t[r["measure"]] = int(r["value"])
    return t


def phase_share(t, group, lo, hi):
    """Share of the group's SEN2 plans aged lo..hi among those aged 4..18."""
    all_ = sum(t.get(f"placement_age.{group}.{a}", 0) for a in range(4, 19))
    part = sum(t.get(f"placement_age.{group}.{a}", 0) for a in range(lo, hi + 1))
    return part / all_ if all_ else 0.0


def size(t, group, items, total):
    """Capacities proportional to the SEN2 demand each provision could serve.

    items: list of (key, needs list, age_min, age_max). Phases are primary (4-10) and
    secondary (11-18); the group's SEN2 plans are split between them by its age mix. A need
    that only primary (or only secondary) items take has all its demand in that phase; the
    other needs share what is left of each phase's demand, in proportion. Each need's demand
    in a phase is split equally among the items listing it and accepting the phase. Scaled
    so the capacities sum to `total` (largest remainder; at least 2 each).
    """
    phases = [(4, 10), (11, 18)]
    count = {n: t.get(f"placement_need.{group}.{n}", 0) for n in ALL}
    n_total = sum(count.values())
    phase_demand = [n_total * phase_share(t, group, lo, hi) for lo, hi in phases]
    takers = {
        (n, ph): [k for k, needs, a0, a1 in items if n in needs and a0 <= hi and a1 >= lo]
        for n in ALL
        for ph, (lo, hi) in enumerate(phases)
    }
    demand = {}
    left = list(phase_demand)
    flexible = []
    for n in ALL:
        open_ = [ph for ph in range(len(phases)) if takers[(n, ph)]]
        if len(open_) == 1:
            demand[(n, open_[0])] = count[n]
            left[open_[0]] -= count[n]
        elif open_:
            flexible.append(n)
    room = [max(x, 0.0) for x in left]
    for n in flexible:
        for ph in range(len(phases)):
            demand[(n, ph)] = count[n] * (room[ph] / sum(room) if sum(room) else 0.5)
    raw = defaultdict(float)
    for (n, ph), d in demand.items():
        for k in takers[(n, ph)]:
            raw[k] += d / len(takers[(n, ph)])
    keys = [k for k, *_ in items]
    weights = [max(raw[k], 1e-9) for k in keys]
    s = sum(weights)
    quotas = [total * w / s for w in weights]
    caps = [max(2, math.floor(q)) for q in quotas]
    order = sorted(range(len(keys)), key=lambda i: (-(quotas[i] - math.floor(quotas[i])), i))
    i = 0
    while sum(caps) < total:
        caps[order[i % len(order)]] += 1
        i += 1
    while sum(caps) > total:
        j = max(range(len(caps)), key=lambda i: caps[i])
        caps[j] -= 1
    return dict(zip(keys, caps))


def town_points():
    rows = defaultdict(list)
    wanted = {v: k for k, v in TOWNS.items()}
    for r in csv.DictReader(open(shared("birmingham_bsol", "WM-Postcodes.csv"), encoding="utf-8")):
        sector = r["Postcode"][:-2].strip()
        if sector in wanted:
            rows[wanted[sector]].append((float(r["LAT"]), float(r["LONG"])))
    out = {}
    for town, pts in rows.items():
        lat = sum(p[0] for p in pts) / len(pts)
        lon = sum(p[1] for p in pts) / len(pts)
        e, n = TO_BNG.transform(lon, lat)
        out[town] = (round(e), round(n))
    missing = set(TOWNS) - set(out)
    if missing:
        raise SystemExit(f"no postcodes for {sorted(missing)}")
    return out


def main():
    t = targets()
    city = shape(json.load(open(project("boundaries", "birmingham", "boundary.geojson")))["features"][0]["geometry"])

    def inside(e, n):
        lon, lat = TO_WGS.transform(e, n)
        return city.contains(Point(lon, lat))

    schools = {r["school_name"]: r for r in csv.DictReader(open(shared("schools", "vitorbaptista_birmingham_schools", "birmingham_schools.csv"), encoding="utf-8"))}
    specials = {k: v for k, v in schools.items() if v["school_group"] == "Special"}
    if set(specials) != set(SPECIAL):
        raise SystemExit(f"special schools differ: {sorted(set(specials) ^ set(SPECIAL))}")
    rows = []

    # special schools
    items = [(name, needs.split(";"), lo, hi) for name, (needs, lo, hi) in SPECIAL.items()]
    caps = size(t, "special", items, SPECIAL_TOTAL)
    for name in sorted(SPECIAL):
        needs, lo, hi = SPECIAL[name]
        r = specials[name]
        rows.append([f"sp-{r['dcfs_no']}", name, "special_school", needs, lo, hi, caps[name], 0, "", r["easting"], r["northing"]])
    out_of_city = [name for name in SPECIAL if not inside(int(specials[name]["easting"]), int(specials[name]["northing"]))]
    print("special schools outside the city:", sorted(out_of_city))

    # resource bases (one row per host and designation)
    bases = []
    for label, host, designation, note in HOSTS:
        r = schools[host]
        group = r["school_group"]
        if group in ("Primary", "Infants", "Juniors"):
            lo, hi = 4, 10
        elif host == "Waverley School":
            lo, hi = 11, 15
        else:
            lo, hi = (11, 17) if "Sixth Form" in host else (11, 15)
        needs = NEED_MAP[designation]
        key = f"rb-{r['dcfs_no']}-{slug(designation).split('-')[0]}"
        bases.append((key, label, host, designation, needs, lo, hi, r))
    caps = size(t, "resourced", [(b[0], b[4].split(";"), b[5], b[6]) for b in bases], RESOURCED_CAPACITY)
    for key, label, host, designation, needs, lo, hi, r in bases:
        name = f"{host} resource base ({designation})"
        rows.append([key, name, "resource_base", needs, lo, hi, caps[key], 0, "", r["easting"], r["northing"]])

    # mainstream schools and alternative provision
    for name in sorted(schools):
        r = schools[name]
        g = r["school_group"]
        if g in ("Special", "Nursery"):
            continue
        if g in ("Alternative", "Not applicable"):
            rows.append([f"ap-{r['dcfs_no'] or slug(name)}", name, "alternative_provision", ";".join(ALL), 11, 15, "", 0, "", r["easting"], r["northing"]])
            continue
        lo, hi = {"Primary": (4, 10), "Infants": (4, 6), "Juniors": (7, 10), "All Through": (4, 15)}.get(g, (11, 15))
        if g == "Secondary" and "Sixth Form" in name:
            hi = 17
        rows.append([f"ms-{r['dcfs_no']}", name, "mainstream", ";".join(ALL), lo, hi, "", 0, "", r["easting"], r["northing"]])

    # illustrative independent, non-maintained and post-16 providers
    towns = town_points()
    ind = [o for o in OTHERS if o[2] in ("independent_special", "non_maintained_special")]
    ind_caps = size(t, "independent", [(o[0], o[3].split(";"), o[4], o[5]) for o in ind], math.ceil(t["placement.independent"] * 1.2))
    sp16 = [o for o in OTHERS if o[0].startswith("sp16-")]
    sp16_caps = size(t, "post16", [(o[0], o[3].split(";"), o[4], o[5]) for o in sp16], 680)
    for pid, name, kind, needs, lo, hi, town in OTHERS:
        e, n = towns[town]
        if kind != "post16" and inside(e, n):
            raise SystemExit(f"{name} should be outside Birmingham")
        cap = ind_caps.get(pid, sp16_caps.get(pid, ""))
        rows.append([pid, name, kind, needs, lo, hi, cap, 0, "", e, n])

    ids = [r[0] for r in rows]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate ids")
    path = project("fixtures", "scenarios", "birmingham", "provisions.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(rows)
    by_kind = defaultdict(lambda: [0, 0])
    for r in rows:
        by_kind[r[2]][0] += 1
        by_kind[r[2]][1] += int(r[6] or 0)
    print(f"wrote {path}: {len(rows)} provisions; by kind (count, places): {dict(by_kind)}")


if __name__ == "__main__":
    main()
