#!/usr/bin/env bash
# Bundles the studio page's web components into the jar: installs the versions package-lock.json pins from npm
# (only when node_modules is missing or older than the lock file) and copies the built files, with their
# licences, to OUT/io/pneuknow/studio/web/vendor/, which Maven adds to the jar's resources.
# Without npm the jar is built without them and 'pneuknow studio' says so on its page (apt-get install npm).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUTPUT_DIR}/io/pneuknow/studio/web/vendor"
if ! command -v npm >/dev/null 2>&1; then
  echo "studio-web: npm is not installed; the studio's drawing page is left out of this build (apt-get install npm)" >&2
  exit 0
fi
cd "$here"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
fi
tmp="$out.tmp.$$"
rm -rf "$tmp" && mkdir -p "$tmp"
cp node_modules/openseadragon/build/openseadragon/openseadragon.min.js "$tmp/"
cp node_modules/openseadragon/LICENSE.txt "$tmp/openseadragon.LICENSE.txt"
cp node_modules/@recogito/annotorious-openseadragon/dist/openseadragon-annotorious.min.js "$tmp/"
cp node_modules/@recogito/annotorious-openseadragon/dist/annotorious.min.css "$tmp/"
cp node_modules/@recogito/annotorious-openseadragon/dist/openseadragon-annotorious.min.js.LICENSE.txt "$tmp/annotorious.bundled-licences.txt"
cp node_modules/@recogito/annotorious-openseadragon/LICENSE "$tmp/annotorious.LICENSE.txt"
rm -rf "$out" && mv "$tmp" "$out"
