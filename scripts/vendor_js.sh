#!/bin/sh
# Copies the front end's vendored libraries from node_modules into static/vendor/ (the
# committed output: the dashboard loads them as static files, no CDN, no build step).
# Pinned in package.json; update with `npm install --save-exact chart.js@X.Y.Z`, then
# `make vendor-js` and commit static/vendor/ (tests/js/vendor.test.js checks the versions match).
set -eu
cd "$(dirname "$0")/.."
src=node_modules/chart.js
if [ ! -f "$src/dist/chart.umd.min.js" ]; then
  echo "vendor_js: $src is missing (run npm ci)" >&2
  exit 1
fi
mkdir -p static/vendor/chartjs
# The UMD build (one file, window.Chart; its colour library bundled in) and its licence. The
# source map is left out, so the file's last line (its sourceMappingURL) is dropped too.
sed '/^\/\/# sourceMappingURL=/d' "$src/dist/chart.umd.min.js" > static/vendor/chartjs/chart.umd.min.js
cp "$src/LICENSE.md" static/vendor/chartjs/LICENSE.md
echo "vendor_js: static/vendor/chartjs/ from chart.js $(node -p "require('./$src/package.json').version")"
