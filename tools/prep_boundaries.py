"""Build the boundary and area layers under boundaries/ (GeoJSON, WGS84 lon/lat).

Rutland (boundaries/rutland/):
  boundary.geojson  Rutland E06000017 from the ONS LAD Dec 2017 super-generalised clipped file.
  parishes.geojson  the 57 civil parishes (OSM admin_level=10 relations in the Rutland extract),
                    clipped to the ONS boundary; slivers of the ONS polygon outside every OSM
                    parish are merged into the parish they share most border with, so the
                    parishes tile the boundary exactly.
  places.geojson    three areas dissolved from the parishes: Oakham (Oakham + Barleythorpe
                    parishes), Uppingham (Uppingham parish), Rural Rutland (the other 54).
Birmingham (boundaries/birmingham/):
  wards.geojson     the 69 wards (2018) from BSol ICS, simplified with shared arcs (topojson,
                    Douglas-Peucker 0.00004 deg, about 4 m) so neighbours still meet exactly.
  districts.geojson the 10 districts (parliamentary constituencies 2010-2024) dissolved from
                    the simplified wards using brum_ward_info_ward_list.csv.
  send_areas.geojson the six SEND areas dissolved from the simplified wards using
                    fixtures/scenarios/birmingham/ward_send_area.csv (run
                    birmingham_send_areas.py first), with the notional budget shares.
  boundary.geojson  the union of the simplified wards (the city boundary).

Needs: shapely, topojson (tools/requirements.txt) and the `osmium` command (osmium-tool).
Usage: python3 tools/prep_boundaries.py
"""

import csv
import json
import os
import subprocess
import tempfile

from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from birmingham_send_areas import BUDGET_GBP, CONSORTIA
from common import project, shared, slug, write_geojson

LAD_FILE = (
    "boundaries/tombolo/Local_Authority_Districts_December_2017_Super_Generalised_"
    "Clipped_Boundaries_in_United_Kingdom_WGS84.geojson"
)


def feature(props, geom):
    return {"properties": props, "geometry": mapping(geom)}


def clean(geom, min_area=1e-9):
    """Drop zero-area holes and specks left by unions of simplified polygons."""
    from shapely.geometry import MultiPolygon, Polygon

    parts = []
    for p in getattr(geom, "geoms", [geom]):
        if p.geom_type != "Polygon" or p.area < min_area:
            continue
        holes = [h for h in p.interiors if Polygon(h).area >= min_area]
        parts.append(Polygon(p.exterior, holes))
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def polygonal(geom):
    """Keep only the polygon parts of a geometry (drop stray lines/points from overlays)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return unary_union(parts)


def osm_relation(area_id):
    """osmium's area id 'aN' (N = 2 * relation id + 1) -> 'relation/ID'."""
    n = int(area_id[1:])
    return f"relation/{(n - 1) // 2}" if n % 2 == 1 else f"way/{n // 2}"


def rutland():
    lad = json.load(open(shared(*LAD_FILE.split("/")), encoding="utf-8"))
    feats = [f for f in lad["features"] if f["properties"]["lad17cd"] == "E06000017"]
    if len(feats) != 1:
        raise SystemExit("Rutland E06000017 not found in the LAD file")
    boundary = shape(feats[0]["geometry"]).buffer(0)
    write_geojson(
        project("boundaries", "rutland", "boundary.geojson"),
        [feature({"id": "E06000017", "name": "Rutland"}, boundary)],
    )

    with tempfile.TemporaryDirectory() as tmp:
        admin = os.path.join(tmp, "admin.osm.pbf")
        seq = os.path.join(tmp, "admin.geojsonseq")
        pbf = shared("osm", "rutland-latest.osm.pbf")
        subprocess.run(["osmium", "tags-filter", "-o", admin, pbf, "r/boundary=administrative"], check=True)
        subprocess.run(["osmium", "export", admin, "-f", "geojsonseq", "--add-unique-id=type_id", "-o", seq], check=True)
        parishes = []
        for line in open(seq, encoding="utf-8"):
            f = json.loads(line.strip("\x1e\n"))
            p = f["properties"]
            if p.get("admin_level") != "10" or f["geometry"]["type"] not in ("Polygon", "MultiPolygon"):
                continue
            g = shape(f["geometry"]).buffer(0)
            if g.intersection(boundary).area / g.area < 0.5:
                continue  # a neighbouring county's parish
            name = p["name"]
            name = name[:-3] if name.endswith(" CP") else name
            parishes.append({"id": slug(name), "name": name, "osm": osm_relation(f["id"]), "gss": p.get("ref:gss", ""), "geom": g})
    if len(parishes) != 57:
        raise SystemExit(f"expected 57 Rutland parishes, found {len(parishes)}")
    for par in parishes:
        par["geom"] = polygonal(par["geom"].intersection(boundary))
    covered = unary_union([par["geom"] for par in parishes])
    slivers = polygonal(boundary.difference(covered))
    pieces = list(getattr(slivers, "geoms", [slivers])) if not slivers.is_empty else []
    for piece in pieces:
        # the parish sharing the longest border with the sliver, else the nearest one
        best = max(parishes, key=lambda par: (piece.boundary.intersection(par["geom"].boundary).length, -piece.distance(par["geom"])))
        best["geom"] = unary_union([best["geom"], piece])
    parishes.sort(key=lambda par: par["name"])
    # simplify with shared arcs (about 4 m) so neighbouring parishes still meet exactly
    import topojson

    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": par["id"]}, "geometry": mapping(par["geom"])} for par in parishes]}
    simple = json.loads(topojson.Topology(fc, prequantize=False, toposimplify=0.00004).to_geojson())
    by_id = {f["properties"]["id"]: clean(shape(f["geometry"]).buffer(0)) for f in simple["features"]}
    for par in parishes:
        par["geom"] = by_id[par["id"]]
    write_geojson(
        project("boundaries", "rutland", "parishes.geojson"),
        [feature({"id": par["id"], "name": par["name"], "osm_id": par["osm"]}, par["geom"]) for par in parishes],
    )
    towns = {"oakham": ["Oakham", "Barleythorpe"], "uppingham": ["Uppingham"]}
    names = {"oakham": "Oakham", "uppingham": "Uppingham", "rural": "Rural Rutland"}
    groups = {"oakham": [], "uppingham": [], "rural": []}
    for par in parishes:
        key = next((k for k, v in towns.items() if par["name"] in v), "rural")
        groups[key].append(par["geom"])
    write_geojson(
        project("boundaries", "rutland", "places.geojson"),
        [feature({"id": k, "name": names[k], "parishes": len(v)}, clean(unary_union(v).buffer(0))) for k, v in groups.items()],
    )
    print(f"rutland: 57 parishes, {len(pieces)} slivers merged, boundary area {boundary.area:.5f}")


def birmingham():
    import topojson

    wards = json.load(open(shared("birmingham_bsol", "wards.geojson"), encoding="utf-8"))
    info = {r["Ward Code"]: r for r in csv.DictReader(open(shared("lookups", "brum_ward_info_ward_list.csv"), encoding="utf-8-sig"))}
    send = {r["ward_code"]: r for r in csv.DictReader(open(project("fixtures", "scenarios", "birmingham", "ward_send_area.csv"), encoding="utf-8"))}
    feats = []
    for f in wards["features"]:
        code = f["properties"]["code"]
        if code not in info or code not in send:
            raise SystemExit(f"ward {code} missing from the lookups")
        feats.append({
            "type": "Feature",
            "properties": {
                "id": code,
                "name": f["properties"]["ward_name"],
                "district": info[code]["Constituency"],
                "send_area": send[code]["send_area"],
            },
            "geometry": f["geometry"],
        })
    if len(feats) != 69:
        raise SystemExit(f"expected 69 wards, found {len(feats)}")
    topo = topojson.Topology({"type": "FeatureCollection", "features": feats}, prequantize=False, toposimplify=0.00004)
    simple = json.loads(topo.to_geojson())
    out = []
    for f in sorted(simple["features"], key=lambda f: f["properties"]["id"]):
        g = clean(shape(f["geometry"]).buffer(0))
        out.append({"properties": {k: f["properties"][k] for k in ("id", "name", "district", "send_area")}, "geom": g})
    write_geojson(project("boundaries", "birmingham", "wards.geojson"), [feature(o["properties"], o["geom"]) for o in out])

    def dissolve(key):
        groups = {}
        for o in out:
            groups.setdefault(o["properties"][key], []).append(o["geom"])
        return {k: clean(unary_union(v).buffer(0)) for k, v in sorted(groups.items())}

    districts = dissolve("district")
    write_geojson(
        project("boundaries", "birmingham", "districts.geojson"),
        [feature({"id": slug(k), "name": k, "wards": sum(1 for o in out if o["properties"]["district"] == k)}, g) for k, g in districts.items()],
    )
    areas = dissolve("send_area")
    if set(areas) != set(BUDGET_GBP):
        raise SystemExit(f"unexpected SEND areas {sorted(areas)}")
    write_geojson(
        project("boundaries", "birmingham", "send_areas.geojson"),
        [
            feature(
                {
                    "id": slug(k),
                    "name": k,
                    "budget_share_gbp": BUDGET_GBP[k],
                    "consortia": CONSORTIA[k],
                    "wards": sum(1 for o in out if o["properties"]["send_area"] == k),
                },
                g,
            )
            for k, g in areas.items()
        ],
    )
    city = clean(unary_union([o["geom"] for o in out]).buffer(0))
    write_geojson(project("boundaries", "birmingham", "boundary.geojson"), [feature({"id": "E08000025", "name": "Birmingham"}, city)])
    orig = shape(json.load(open(shared("birmingham_bsol", "birmingham_boundary_from_wards.geojson")))["features"][0]["geometry"])
    print(
        f"birmingham: 69 wards, {len(districts)} districts, {len(areas)} SEND areas; city {city.geom_type} "
        f"parts={len(getattr(city, 'geoms', [city]))} holes={sum(len(p.interiors) for p in getattr(city, 'geoms', [city]))} "
        f"area change vs full resolution {abs(city.area - orig.area) / orig.area:.2e}"
    )


if __name__ == "__main__":
    rutland()
    birmingham()
