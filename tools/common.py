"""Shared helpers for the one-off data-preparation scripts in tools/.

These scripts read the raw open data in ../shared/data (next to the project checkout) and
write the small, committed inputs under boundaries/ and fixtures/. They are NOT run by the
tests or CI; re-run them by hand (see tools/README.md) when the raw data changes.
"""

import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
SHARED = os.environ.get("NEARHOME_SHARED", os.path.normpath(os.path.join(ROOT, "..", "shared")))
DATA = os.path.join(SHARED, "data")


def project(*parts):
    """Absolute path inside the project."""
    return os.path.join(ROOT, *parts)


def shared(*parts):
    """Absolute path inside ../shared/data, failing clearly when it is missing."""
    path = os.path.join(DATA, *parts)
    if not os.path.exists(path):
        raise SystemExit(f"missing input {path} (set NEARHOME_SHARED to the shared/ folder)")
    return path


def round_coords(obj, ndigits=6):
    """Round every coordinate of a GeoJSON geometry (lists nested to any depth)."""
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), ndigits) for v in obj]
        return [round_coords(v, ndigits) for v in obj]
    return obj


def write_geojson(path, features, ndigits=6):
    """Write a FeatureCollection with rounded coordinates, one feature per line."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        for i, f in enumerate(features):
            geom = dict(f["geometry"])
            geom["coordinates"] = round_coords(geom["coordinates"], ndigits)
            feat = {"type": "Feature", "properties": f["properties"], "geometry": geom}
            sep = ",\n" if i + 1 < len(features) else "\n"
            out.write(json.dumps(feat, ensure_ascii=False, separators=(",", ":")) + sep)
        out.write("]}\n")


def slug(text):
    """Lower-case ASCII id from a name: 'King's Norton North' -> 'kings-norton-north'."""
    text = text.lower().replace("&", "and").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
