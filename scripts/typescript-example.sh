#!/usr/bin/env bash
# Build examples/typescript on the generated SDK (sdk/nodejs) and print the folder to run it in.
#
#   dir="$(scripts/typescript-example.sh [OUTDIR])"     # default OUTDIR: build/typescript
#   (cd "$dir/example" && node bin/main.js up)
#
# As a user of the SDK would: sdk/nodejs is compiled with `tsc` and its package.json copied
# into its bin/ (the package npm installs), then the example is compiled against it and
# @pulumi/pulumi. The npm packages come from scripts/npm-modules.sh (cached per machine);
# OUTDIR is replaced. Progress goes to stderr; stdout carries only OUTDIR.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/typescript}"
say() { printf 'typescript-example: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

command -v node >/dev/null 2>&1 || fail "no node on PATH: install Node.js (https://nodejs.org/)."
modules="$("$root/scripts/npm-modules.sh")" || fail "no npm packages"

rm -rf "$out"
mkdir -p "$out/sdk" "$out/example/node_modules/@pulumi-qpu"
out="$(cd "$out" && pwd)"

# The SDK, as `npm install` of sdk/nodejs/bin would give it.
cp -r "$root/sdk/nodejs/." "$out/sdk/"
rm -rf "$out/sdk/node_modules" "$out/sdk/bin"
ln -s "$modules" "$out/sdk/node_modules"
say "tsc sdk/nodejs"
(cd "$out/sdk" && "$modules/.bin/tsc" -p tsconfig.json) >&2 || fail "tsc failed on sdk/nodejs"
cp "$out/sdk/package.json" "$out/sdk/bin/"

# The example, with each npm package linked and the SDK as @pulumi-qpu/qpu. Node resolves
# links to their real paths, so the SDK and the program share one @pulumi/pulumi.
for file in index.ts main.ts package.json tsconfig.json; do
    cp "$root/examples/typescript/$file" "$out/example/"
done
for entry in "$modules"/* "$modules"/.bin; do
    ln -s "$entry" "$out/example/node_modules/"
done
ln -s "$out/sdk/bin" "$out/example/node_modules/@pulumi-qpu/qpu"
say "tsc examples/typescript"
(cd "$out/example" && "$modules/.bin/tsc" -p tsconfig.json) >&2 || fail "tsc failed on examples/typescript"
printf '%s\n' "$out"
