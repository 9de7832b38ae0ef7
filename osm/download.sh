#!/usr/bin/env bash
# Download Geofabrik England sub-region extracts into osm/ (needs internet): an authority's
# county and the neighbours it places pupils in. List them in scenario.toml's `osm` (or pass
# them to --osm) to merge them into one graph.
# Usage: ./osm/download.sh [region ...]   (default: west-midlands)
#   e.g. ./osm/download.sh rutland leicestershire lincolnshire northamptonshire
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -eq 0 ]; then
  set -- west-midlands
fi
for region in "$@"; do
  case "$region" in
    *[!a-z0-9-]* | "")
      echo "not a Geofabrik region name: '${region}' (lower case, digits and hyphens)" >&2
      exit 2
      ;;
  esac
  url="https://download.geofabrik.de/europe/united-kingdom/england/${region}-latest.osm.pbf"
  out="${dir}/${region}-latest.osm.pbf"
  echo "downloading ${url}"
  curl --fail --location --retry 3 --output "${out}.part" "${url}"
  mv "${out}.part" "${out}"
  echo "saved ${out} ($(du -h "${out}" | cut -f1)). © OpenStreetMap contributors, ODbL."
done
