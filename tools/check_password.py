#!/usr/bin/env python3
"""How the site's app checks a password against the hash the service stores
(users.password_hash), with Python's standard library only.

  $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>   (salt, key: base64, no padding)

  tools/check_password.py '<stored hash>' '<password>'   # exit 0: it matches
"""
import base64
import hashlib
import hmac
import sys


def check_password(stored, password):
    _, scheme, params, salt, key = stored.split("$")
    if scheme != "scrypt":
        return False
    p = dict(kv.split("=") for kv in params.split(","))
    unb64 = lambda s: base64.b64decode(s + "=" * (-len(s) % 4))
    n, r = 1 << int(p["ln"]), int(p["r"])
    want = unb64(key)
    got = hashlib.scrypt(password.encode(), salt=unb64(salt), n=n, r=r,
                         p=int(p["p"]), maxmem=256 * n * r, dklen=len(want))
    return hmac.compare_digest(got, want)


if __name__ == "__main__":
    sys.exit(0 if check_password(sys.argv[1], sys.argv[2]) else 1)
