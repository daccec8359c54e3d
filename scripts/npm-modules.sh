#!/usr/bin/env bash
# Install, once per machine, the npm packages that TypeScript code of this repository builds
# and runs with, and print their node_modules folder.
#
#   modules="$(scripts/npm-modules.sh)"     # then: ln -s "$modules" node_modules
#
# The generated SDK (scripts/check-sdks.sh) and examples/typescript (scripts/typescript-example.sh)
# use them. They are installed into ${XDG_CACHE_HOME:-~/.cache}/pulumi-qpu/npm/<versions>
# (PULUMI_QPU_CACHE_ROOT overrides the first part); after the first run no network is
# needed. Progress goes to stderr; stdout carries only the folder.
set -euo pipefail

# The one place that names the npm versions TypeScript code is compiled and run against.
# @pulumi/pulumi: the newest the npm registry serves at or below the pinned CLI (3.274.1),
# and at least the generated package.json's floor (^3.269.0). typescript: the newest of the
# generated package.json's range (^4.7.0). @types/node: its major (^20).
# (examples/typescript/package.json names the same versions: a test keeps them equal.)
NPM_PULUMI="3.270.0"
NPM_TYPESCRIPT="4.9.5"
NPM_TYPES_NODE="20.19.43"

cache_root="${PULUMI_QPU_CACHE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-qpu}"
modules="$cache_root/npm/pulumi-$NPM_PULUMI-ts-$NPM_TYPESCRIPT"
say() { printf 'npm-modules: %s\n' "$*" >&2; }

if [ ! -f "$modules/.installed" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        say "no npm on PATH: install Node.js and npm (https://nodejs.org/)."
        exit 1
    fi
    say "installing @pulumi/pulumi@$NPM_PULUMI typescript@$NPM_TYPESCRIPT @types/node@$NPM_TYPES_NODE into $modules"
    mkdir -p "$modules"
    printf '{"private": true, "dependencies": {"@pulumi/pulumi": "%s", "typescript": "%s", "@types/node": "%s"}}\n' \
        "$NPM_PULUMI" "$NPM_TYPESCRIPT" "$NPM_TYPES_NODE" >"$modules/package.json"
    # @pulumi/pulumi declares node >= 22; Node.js 20 compiles and runs it (tests/e2e/test_languages.py).
    if ! (cd "$modules" && npm install --no-audit --no-fund --loglevel=error >&2); then
        say "npm install failed"
        exit 1
    fi
    touch "$modules/.installed"
fi
printf '%s\n' "$modules/node_modules"
