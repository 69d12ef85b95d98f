#!/usr/bin/env python3
"""Checks the signature of an agentport bundle file offline, with the publisher's public key
alone (docs/signing.md). Needs only the `cryptography` package.

    python3 scripts/verify_bundle.py BUNDLE.json PUBLIC_KEY.pem [--key-id ID]

Exit 0 when a signature by the key verifies over the exact decoded `data`; 1 otherwise.
"""

import argparse
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE pre-authentication encoding: what each signature signs."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d " % (len(kind), kind, len(body)) + body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", help="bundle file: {data, checksum, signature}")
    parser.add_argument("public_key", help="the publisher's public key, PEM")
    parser.add_argument("--key-id", help="check only the signature of this key id")
    args = parser.parse_args()

    with open(args.bundle, encoding="utf-8") as f:
        bundle = json.load(f)
    with open(args.public_key, "rb") as f:
        key = load_pem_public_key(f.read())
    if not isinstance(key, Ed25519PublicKey):
        print("not an Ed25519 public key", file=sys.stderr)
        return 1
    envelope = bundle.get("signature")
    if not envelope:
        print("the bundle is not signed", file=sys.stderr)
        return 1
    message = pae(envelope["payloadType"], base64.b64decode(bundle["data"]))
    for signature in envelope["signatures"]:
        if args.key_id and signature["keyid"] != args.key_id:
            continue
        try:
            key.verify(base64.b64decode(signature["sig"]), message)
        except InvalidSignature:
            continue
        print(f"OK: signed by {signature['keyid']} ({envelope['payloadType']})")
        return 0
    print("no signature verifies with this key", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
