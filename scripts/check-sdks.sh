#!/usr/bin/env bash
# Build the SDKs that scripts/gen-sdk.sh wrote, as their users' toolchains would.
#
#   scripts/check-sdks.sh SDKDIR [LANGUAGES]      # SDKDIR holds python/, nodejs/, go/
#
# - nodejs: `tsc` over the generated project against @pulumi/pulumi from npm
#           (scripts/npm-modules.sh);
# - go:     `go build` and `go vet` of the generated module against
#           github.com/pulumi/pulumi/sdk/v3 (the version the SDK generator is built from);
# - python: `pip install` of the generated package into a scratch virtualenv, then an
#           import of it.
# Each also checks that the SDK carries the version of the others (pulumi-plugin.json).
# The npm packages and the Python virtualenv are cached under
# ${XDG_CACHE_HOME:-~/.cache}/pulumi-qpu/ (PULUMI_QPU_CACHE_ROOT overrides it): the first
# run downloads them, later runs only compile. Exit status 1 names the SDK that failed.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 SDKDIR [python,nodejs,go]" >&2
    exit 2
fi
sdk="$(cd "$1" && pwd)" languages="${2:-python,nodejs,go}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache_root="${PULUMI_QPU_CACHE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-qpu}"
say() { printf 'check-sdks: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

# The version every SDK must carry: the Go SDK's plugin metadata, else the first found.
plugin_json="$(find "$sdk" -name pulumi-plugin.json -not -path '*/node_modules/*' | sort | head -1)"
[ -n "$plugin_json" ] || fail "no pulumi-plugin.json under $sdk: not an SDK folder of gen-sdk.sh"
version="$(sed -n 's/^ *"version": "\(.*\)",\{0,1\}$/\1/p' "$plugin_json" | head -1)"
say "SDKs of version $version in $sdk"

check_nodejs() {
    local dir="$sdk/nodejs" modules
    grep -q "\"version\": \"$version\"" "$dir/package.json" ||
        fail "nodejs: package.json does not carry version $version"
    modules="$("$root/scripts/npm-modules.sh")" || fail "nodejs: no npm packages"
    # The generated project compiles against the cached packages, as if installed in it.
    ln -sfn "$modules" "$dir/node_modules"
    say "nodejs: tsc -p $dir"
    (cd "$dir" && "$modules/.bin/tsc" -p tsconfig.json) || fail "nodejs: tsc failed"
    [ -f "$dir/bin/index.js" ] || fail "nodejs: tsc wrote no bin/index.js"
}

check_go() {
    local dir="$sdk/go" pinned
    grep -rq "\"version\": \"$version\"" "$dir" --include=pulumi-plugin.json ||
        fail "go: pulumi-plugin.json does not carry version $version"
    pinned="$(cd "$root/tools/gen-sdk" && GOWORK=off go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)"
    say "go: go build ./... && go vet ./... against github.com/pulumi/pulumi/sdk/v3@$pinned"
    (
        cd "$dir"
        export GOWORK=off GOFLAGS=-mod=mod
        go get "github.com/pulumi/pulumi/sdk/v3@$pinned" >&2
        go mod tidy >&2
        go build ./...
        go vet ./...
    ) || fail "go: the SDK does not build"
}

check_python() {
    local dir="$sdk/python" venv="$cache_root/sdk-check/python-venv" package
    grep -q "^VERSION = \"$version\"" "$dir/setup.py" || fail "python: setup.py does not carry version $version"
    package="$(basename "$(dirname "$(find "$dir" -mindepth 2 -maxdepth 2 -name __init__.py | head -1)")")"
    if [ ! -x "$venv/bin/python" ]; then
        say "python: a virtualenv for the check in $venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
    fi
    say "python: pip install $dir (package $package)"
    # pip installs the SDK's dependencies (pulumi) once; later runs replace only the SDK.
    "$venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$dir" &&
        "$venv/bin/python" -m pip install --quiet "$dir" || fail "python: pip install failed"
    # Imported from elsewhere, so that the installed copy is what is imported.
    (cd / && "$venv/bin/python" -c "
import importlib, json, sys
from importlib import resources
module = importlib.import_module('$package')
found = json.loads(resources.files(module).joinpath('pulumi-plugin.json').read_text())['version']
sys.exit(0 if found == '$version' else 'installed $package carries version ' + found)
") || fail "python: the installed SDK does not import, or carries another version"
}

IFS=, read -ra wanted <<<"$languages"
for lang in "${wanted[@]}"; do
    case "$lang" in
        nodejs | go | python) ;;
        *) fail "no check for language '$lang' (have: python, nodejs, go)" ;;
    esac
    start=$SECONDS
    "check_$lang"
    say "$lang: ok ($((SECONDS - start)) s)"
done
