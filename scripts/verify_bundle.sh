#!/usr/bin/env bash
# Checks the signature of an agentport bundle file offline with openssl and jq only
# (docs/signing.md): the DSSE pre-authentication encoding of the decoded `data` is what the
# first signature signs.
#
#   scripts/verify_bundle.sh BUNDLE.json PUBLIC_KEY.pem
set -euo pipefail
bundle="$1" public_key="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

jq -r .data "$bundle" | base64 -d >"$work/data"
type="$(jq -r .signature.payloadType "$bundle")"
printf 'DSSEv1 %d %s %d ' "${#type}" "$type" "$(wc -c <"$work/data")" >"$work/pae"
cat "$work/data" >>"$work/pae"
jq -r '.signature.signatures[0].sig' "$bundle" | base64 -d >"$work/sig"
openssl pkeyutl -verify -pubin -inkey "$public_key" -rawin -in "$work/pae" -sigfile "$work/sig"
