"""Cut an OSM extract into two overlapping halves, west and east, the way Geofabrik's
extracts of neighbouring regions overlap: each half keeps every highway way with a node on
its side of the cut (plus an overlap band), complete with all its nodes, and ids are shared.

Used once to make the test fixtures fixtures/osm/rutland-west.osm.pbf and
rutland-east.osm.pbf (the several-extracts test merges them and compares with the whole):

    PYTHONPATH=... python3 tools/split_extract.py osm/rutland-latest.osm.pbf fixtures/osm/rutland

Needs pyosmium (`pip install osmium`); not used by the crate.
"""

import sys

import osmium


def main(src: str, out_prefix: str, overlap_deg: float = 0.01) -> None:
    lons = {}

    class Nodes(osmium.SimpleHandler):
        def node(self, n):
            lons[n.id] = n.location.lon

    Nodes().apply_file(src, locations=False)
    mid = (min(lons.values()) + max(lons.values())) / 2.0
    sides = {
        "west": lambda lon: lon < mid + overlap_deg,
        "east": lambda lon: lon > mid - overlap_deg,
    }
    for side, keep in sides.items():
        wanted_ways = set()
        wanted_nodes = set()

        class Ways(osmium.SimpleHandler):
            def way(self, w):
                if "highway" not in w.tags:
                    return
                refs = [n.ref for n in w.nodes]
                if any(keep(lons[r]) for r in refs if r in lons):
                    wanted_ways.add(w.id)
                    wanted_nodes.update(refs)

        Ways().apply_file(src)
        writer = osmium.SimpleWriter(f"{out_prefix}-{side}.osm.pbf")

        class Copy(osmium.SimpleHandler):
            def node(self, n):
                if n.id in wanted_nodes:
                    writer.add_node(n)

            def way(self, w):
                if w.id in wanted_ways:
                    writer.add_way(w)

        Copy().apply_file(src)
        writer.close()
        print(f"{side}: {len(wanted_ways)} ways, {len(wanted_nodes)} nodes")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
