#!/usr/bin/env bash
# Check that the pinned CLI runs a `runtime: yaml` project in its folder, as a user does:
# pulumi login (a file backend), stack init, config set, preview, up, refresh, destroy.
#
#   scripts/check-yaml.sh
#
# The project is written to a scratch folder and needs no resource plugin: it reads another
# stack's outputs through the engine's built-in pulumi:pulumi:StackReference, and exports
# stack outputs from config. It checks the YAML language host (scripts/pulumi-yaml.sh), not
# any provider. Exit status 1 names the step that failed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
say() { printf 'check-yaml: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

bin="$("$root/scripts/pulumi-yaml.sh")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/backend" "$work/home" "$work/project"
export PATH="$bin:$PATH" PULUMI_HOME="$work/home" PULUMI_CONFIG_PASSPHRASE=check-yaml \
    PULUMI_SKIP_UPDATE_CHECK=true
unset PULUMI_ACCESS_TOKEN PULUMI_BACKEND_URL

cat >"$work/project/Pulumi.yaml" <<'YAML'
name: yaml-check
runtime: yaml
config:
  greeting:
    type: string
    default: hello
resources:
  first:
    type: pulumi:pulumi:StackReference
    properties:
      name: organization/yaml-check/first
outputs:
  message: ${greeting}, yaml
  firstMessage: ${first.outputs["message"]}
YAML

cd "$work/project"
step() { say "$*"; "$@" >"$work/step.log" 2>&1 || { cat "$work/step.log" >&2; fail "failed: $*"; }; }
# output NAME -> the stack output's value.
output() { pulumi stack output "$1" 2>/dev/null; }

step pulumi login "file://$work/backend"
step pulumi stack init first
step pulumi config set greeting bonjour
step pulumi up --yes --skip-preview
[ "$(output message)" = "bonjour, yaml" ] || fail "stack first: output message is '$(output message)'"
step pulumi stack init second
step pulumi preview
step pulumi up --yes
[ "$(output message)" = "hello, yaml" ] || fail "stack second: output message is '$(output message)'"
[ "$(output firstMessage)" = "bonjour, yaml" ] || fail "stack second: the StackReference read '$(output firstMessage)'"
step pulumi refresh --yes
step pulumi destroy --yes
say "ok: pulumi $(pulumi version) ran preview, up, refresh and destroy of a YAML project"
