"""Verifies a DSSE envelope with securesystemslib (the reference DSSE implementation of the
Secure Systems Lab), using the Ed25519 key of a JWK Set whose `kid` is the signature's keyid,
and checks that the statement echoes the expected nonce.

Usage: dsse_securesystemslib.py ENVELOPE JWKS NONCE
Exit 0 when the signature verifies and the nonce is echoed, 1 otherwise (the reason on stderr).
"""

import base64
import json
import sys

from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main(envelope_path: str, jwks_path: str, nonce: str) -> int:
    with open(envelope_path, encoding="utf-8") as file:
        envelope = Envelope.from_dict(json.load(file))
    with open(jwks_path, encoding="utf-8") as file:
        jwks = json.load(file)
    keys = [
        SSlibKey(jwk["kid"], "ed25519", "ed25519", {"public": b64url(jwk["x"]).hex()})
        for jwk in jwks["keys"]
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519"
    ]
    try:
        verified = envelope.verify(keys, 1)
    except Exception as error:  # securesystemslib's VerificationError, or a malformed signature
        print(f"securesystemslib: the envelope does not verify: {error}", file=sys.stderr)
        return 1
    statement = json.loads(envelope.payload)
    echoed = statement.get("predicate", {}).get("nonce")
    if echoed != nonce:
        print(f"securesystemslib verified the signature, but the nonce is {echoed!r}, not {nonce!r}", file=sys.stderr)
        return 1
    print(json.dumps({"verified_by": sorted(verified), "payload_type": envelope.payload_type, "nonce": echoed}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
