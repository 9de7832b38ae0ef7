"""Write fixtures/scenarios/rutland/provisions.csv.

In county (real sites): every school named in the Rutland OSM extract (amenity=school
ways/areas/nodes with a name; Oakham School's boarding houses and teaching blocks, which are
separate amenity=school features operated by Oakham School, are folded into "Oakham School").
Location = a point inside the school grounds (shapely representative point of the mapped
area, or the node). Age ranges are the schools' phases (ages at 31 August: primary 4-10,
11-16 secondary 11-15); capacities of mainstream schools are unknown offline and left blank.
The Shires at Stretton is a real independent special school for autistic young people aged
11-19 (17 on roll and a day fee of £76,500 in 2019, Stamford Mercury 27 Sep 2019).
Rutland has no maintained special school.

ILLUSTRATIVE (not real designations): the five resource bases hosted by real schools, and
every provision outside Rutland (maintained special schools, independent and non-maintained
special schools, FE colleges) placed at real town centres (approximate WGS84 coordinates).
Their capacities are places available to Rutland pupils, also illustrative.

on_roll: written by tools/fill_on_roll.py after pupils.csv is generated (pupils placed there,
plus The Shires' 17 pupils placed by other authorities); this script writes 0.

Usage: python3 tools/rutland_provisions.py
"""

import csv
import json
import os
import subprocess
import tempfile

from shapely.geometry import Point, shape

from common import project, shared, slug

ALL_NEEDS = "ASD;SLCN;SEMH;MLD;SLD;PMLD;SPLD;HI;VI;MSI;PD;OTH"
COLUMNS = ["id", "name", "kind", "needs", "age_min", "age_max", "capacity", "on_roll", "annual_cost_gbp", "lat", "lon", "sector"]

# Who runs each in-county school (GIAS establishment type): the independent schools can never
# host a council resource base; the academies are state-funded. Blank: not recorded here.
INDEPENDENT = {"Brooke Priory School", "Oakham School", "Uppingham School", "The Shires"}
ACADEMIES = {"Brooke Hill Academy", "Casterton Business & Enterprise College", "Catmose College",
             "Catmose Primary School", "Cottesmore Millfield Academy", "Edith Weston Academy",
             "Uppingham Community College"}


def sector(name):
    return "independent" if name in INDEPENDENT else ("academy" if name in ACADEMIES else "")

# OSM name -> (kind, age_min, age_max, capacity, annual_cost_gbp)
SCHOOLS = {
    "Brooke Hill Academy": ("mainstream", 4, 10, "", ""),
    "Brooke Priory School": ("mainstream", 4, 10, "", ""),  # independent prep school
    "Casterton Business & Enterprise College": ("mainstream", 11, 15, "", ""),
    "Catmose College": ("mainstream", 11, 15, "", ""),
    "Catmose Primary School": ("mainstream", 4, 10, "", ""),
    "Cottesmore Millfield Academy": ("mainstream", 4, 10, "", ""),
    "Edith Weston Academy": ("mainstream", 4, 10, "", ""),
    "Empingham CofE Primary School": ("mainstream", 4, 10, "", ""),
    "English Martyrs' Catholic Primary School": ("mainstream", 4, 10, "", ""),
    "Exton Church of England Primary School": ("mainstream", 4, 10, "", ""),
    "Ketton C Of E Primary School": ("mainstream", 4, 10, "", ""),
    "Leighfield Primary School": ("mainstream", 4, 10, "", ""),
    "Oakham Church of England Primary School": ("mainstream", 4, 10, "", ""),
    "Oakham School": ("mainstream", 10, 17, "", ""),  # independent, 10-18
    "St Mary and St John CofE VA Primary School": ("mainstream", 4, 10, "", ""),
    "St Nicholas Church of England Primary School": ("mainstream", 4, 10, "", ""),
    "Uppingham Church of England Primary School": ("mainstream", 4, 10, "", ""),
    "Uppingham Community College": ("mainstream", 11, 15, "", ""),
    "Uppingham School": ("mainstream", 13, 17, "", ""),  # independent, 13-18
    "Whissendine Church of England Primary School": ("mainstream", 4, 10, "", ""),
    "The Shires": ("independent_special", 11, 19, "20", "76500"),
}
NEEDS = {"The Shires": "ASD"}
# features operated by Oakham School (boarding houses, teaching blocks)
OAKHAM_SCHOOL_PARTS = {"Hodges", "Shakespeare Centre", "Doncaster Close", "Farside", "Wharflands House"}

# ILLUSTRATIVE resource bases at real host schools: (host, needs, age_min, age_max, capacity)
BASES = [
    ("Catmose College", "ASD;SLCN", 11, 15, 20),
    ("Uppingham Community College", "SEMH;MLD;SPLD;SLD;PD;OTH", 11, 15, 16),
    ("Casterton Business & Enterprise College", "ASD;SEMH", 11, 15, 12),
    ("Catmose Primary School", "ASD;SLCN", 4, 10, 18),
    ("Brooke Hill Academy", "MLD;SPLD;SEMH;SLD;PD;OTH", 4, 10, 16),
]

# approximate town-centre coordinates (WGS84) of real towns outside Rutland
TOWNS = {
    "Leicester": (52.6366, -1.1350),
    "Melton Mowbray": (52.7658, -0.8869),
    "Peterborough": (52.5725, -0.2427),
    "Corby": (52.4880, -0.7010),
    "Stamford": (52.6527, -0.4800),
    "Grantham": (52.9118, -0.6417),
}
# ILLUSTRATIVE out-of-county provisions: (id, name, kind, needs, age_min, age_max, capacity, town, offset)
# offsets (degrees lat, lon) keep two providers in one town apart (about 500 m)
OUT_OF_COUNTY = [
    ("ooa-sp-melton", "Illustrative special school (learning difficulties and autism), Melton Mowbray", "special_school", "ASD;SLCN;MLD;SLD;SPLD", 4, 18, 16, "Melton Mowbray", (0.004, 0.0)),
    ("ooa-sp-leicester", "Illustrative special school (complex needs), Leicester", "special_school", "SLD;PMLD;MSI;PD;OTH;ASD;SLCN", 4, 18, 10, "Leicester", (0.004, 0.0)),
    ("ooa-sp-peterborough", "Illustrative special academy (autism and communication), Peterborough", "special_school", "ASD;SLCN;MLD;SPLD", 4, 18, 10, "Peterborough", (0.004, 0.0)),
    ("ooa-sp-corby", "Illustrative special free school, Corby", "special_school", "ASD;SEMH;MLD;SLCN", 4, 15, 8, "Corby", (0.004, 0.0)),
    ("ooa-sp-stamford", "Illustrative special school (SEMH and learning), Stamford", "special_school", "SEMH;MLD;SPLD;ASD", 11, 18, 8, "Stamford", (0.004, 0.0)),
    ("ooa-ind-melton", "Illustrative independent special school (autism), Melton Mowbray", "independent_special", "ASD;SLCN", 5, 18, 10, "Melton Mowbray", (-0.004, 0.0)),
    ("ooa-ind-leicester", "Illustrative independent special school (SEMH), Leicester", "independent_special", "SEMH;ASD;MLD;SPLD", 7, 18, 10, "Leicester", (-0.004, 0.0)),
    ("ooa-ind-peterborough", "Illustrative independent special school (autism and SEMH), Peterborough", "independent_special", "ASD;SEMH;SLCN", 8, 18, 8, "Peterborough", (-0.004, 0.0)),
    ("ooa-ind-corby", "Illustrative independent special school (learning difficulties), Corby", "independent_special", "MLD;SLD;SPLD;ASD;OTH", 5, 18, 6, "Corby", (-0.004, 0.0)),
    ("ooa-ind-grantham", "Illustrative independent special school (SEMH), Grantham", "independent_special", "SEMH;ASD", 10, 18, 5, "Grantham", (0.0, 0.0)),
    ("ooa-nms-leicester", "Illustrative non-maintained special school (sensory and physical), Leicester", "non_maintained_special", "HI;VI;MSI;PD", 4, 18, 3, "Leicester", (0.0, 0.006)),
    ("ooa-fe-stamford", "Illustrative general FE college, Stamford", "post16", ALL_NEEDS, 16, 25, "", "Stamford", (0.0, 0.006)),
    ("ooa-fe-melton", "Illustrative general FE college, Melton Mowbray", "post16", ALL_NEEDS, 16, 25, "", "Melton Mowbray", (0.0, 0.006)),
    ("ooa-fe-peterborough", "Illustrative general FE college, Peterborough", "post16", ALL_NEEDS, 16, 25, "", "Peterborough", (0.0, 0.006)),
    ("ooa-sp16-leicester", "Illustrative specialist post-16 institution, Leicester", "post16", "SLD;PMLD;MSI;ASD;PD;HI;VI", 16, 25, 8, "Leicester", (0.0, -0.006)),
]


def osm_schools():
    """Named amenity=school features of the extract: name -> (lat, lon)."""
    with tempfile.TemporaryDirectory() as tmp:
        pbf = os.path.join(tmp, "schools.osm.pbf")
        seq = os.path.join(tmp, "schools.geojsonseq")
        subprocess.run(["osmium", "tags-filter", "-o", pbf, shared("osm", "rutland-latest.osm.pbf"), "nwr/amenity=school"], check=True)
        subprocess.run(["osmium", "export", pbf, "-f", "geojsonseq", "--add-unique-id=type_id", "-o", seq], check=True)
        found = {}
        for line in open(seq, encoding="utf-8"):
            f = json.loads(line.strip("\x1e\n"))
            name = f["properties"].get("name")
            if not name:
                continue
            if name in OAKHAM_SCHOOL_PARTS or f["properties"].get("operator") == "Oakham School":
                continue
            g = shape(f["geometry"])
            # prefer areas (the grounds) over nodes and closed ways
            rank = {"MultiPolygon": 0, "Polygon": 0, "Point": 1}.get(g.geom_type, 2)
            p = g.representative_point() if g.geom_type != "Point" else g
            if name not in found or rank < found[name][0]:
                found[name] = (rank, round(p.y, 6), round(p.x, 6))
    return {k: (v[1], v[2]) for k, v in found.items()}


def main():
    boundary = shape(json.load(open(project("boundaries", "rutland", "boundary.geojson")))["features"][0]["geometry"])
    sites = osm_schools()
    unknown = set(sites) - set(SCHOOLS)
    missing = set(SCHOOLS) - set(sites)
    if unknown or missing:
        raise SystemExit(f"OSM schools changed: new {sorted(unknown)}, gone {sorted(missing)}")
    rows = []
    for name in sorted(SCHOOLS):
        kind, lo, hi, cap, cost = SCHOOLS[name]
        lat, lon = sites[name]
        if not boundary.contains(Point(lon, lat)):
            raise SystemExit(f"{name} is outside the Rutland boundary")
        rows.append([slug(name), name, kind, NEEDS.get(name, ALL_NEEDS), lo, hi, cap, 0, cost, lat, lon, sector(name)])
    for host, needs, lo, hi, cap in BASES:
        lat, lon = sites[host]
        label = needs.replace(";", ", ")
        rows.append([f"{slug(host)}-rb", f"{host} resource base ({label}; illustrative)", "resource_base", needs, lo, hi, cap, 0, "", lat, lon, sector(host)])
    for pid, name, kind, needs, lo, hi, cap, town, (dlat, dlon) in OUT_OF_COUNTY:
        lat, lon = TOWNS[town]
        lat, lon = round(lat + dlat, 6), round(lon + dlon, 6)
        if boundary.contains(Point(lon, lat)):
            raise SystemExit(f"{name} should be outside Rutland")
        rows.append([pid, name, kind, needs, lo, hi, cap, 0, "", lat, lon, ""])
    path = project("fixtures", "scenarios", "rutland", "provisions.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(rows)
    print(f"wrote {path}: {len(rows)} provisions ({len(SCHOOLS)} real sites, {len(BASES)} illustrative bases, {len(OUT_OF_COUNTY)} illustrative out-of-county)")


if __name__ == "__main__":
    main()
