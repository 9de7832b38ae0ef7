#!/usr/bin/env bash
# Re-vendors MapLibre GL JS into web/vendor/maplibre-gl/ from the version pinned in
# package-lock.json (npm ci, then copy its minified ES-module build, worker, CSS and licence).
# The vendored files are committed: the map runs from a fresh clone with no network and no npm.
# After running it, rebuild nearhome (the files are embedded in the binary) and commit.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
src=node_modules/maplibre-gl
dst=vendor/maplibre-gl
mkdir -p "$dst"
for f in dist/maplibre-gl.mjs dist/maplibre-gl-worker.mjs dist/maplibre-gl.css LICENSE.txt; do
  cp "$src/$f" "$dst/$(basename "$f")"
done
version=$(node -p "require('./$src/package.json').version")
echo "$version" > "$dst/VERSION"
echo "vendored maplibre-gl $version (package-lock.json: $(node -p "require('./package-lock.json').packages['node_modules/maplibre-gl'].version"))"
ls -l "$dst"
echo "the server embeds these files: rebuild nearhome (cargo build) before serving"
