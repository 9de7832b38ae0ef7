#!/usr/bin/env bash
# Download a Geofabrik England sub-region extract into osm/ (needs internet).
# Usage: ./osm/download.sh [region]   (default: west-midlands)
set -euo pipefail
region="${1:-west-midlands}"
dir="$(cd "$(dirname "$0")" && pwd)"
url="https://download.geofabrik.de/europe/united-kingdom/england/${region}-latest.osm.pbf"
out="${dir}/${region}-latest.osm.pbf"
echo "downloading ${url}"
curl --fail --location --retry 3 --output "${out}.part" "${url}"
mv "${out}.part" "${out}"
echo "saved ${out} ($(du -h "${out}" | cut -f1)). © OpenStreetMap contributors, ODbL."
