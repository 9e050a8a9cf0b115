"""Standard Webhooks 1.0 verification with the Python standard library only.

What a receiver does with a delivery from the license server, without installing anything: the
`standardwebhooks` package on PyPI does the same (`Webhook(secret).verify(body, headers)`), see
docs/webhooks.md. The test suite runs this file with real deliveries and tampered ones.

    verify(secret, body, headers) -> the parsed payload, or raises VerificationError

Run as a program it reads a JSON list of cases from standard input, each
{"secret": "whsec_...", "body": "<raw body>", "headers": {...}}, and prints a JSON list of results,
each {"ok": true, "payload": {...}} or {"ok": false, "error": "..."}:

    echo '[{"secret": "...", "body": "...", "headers": {...}}]' | python3 verify_webhook.py
"""
import base64
import binascii
import hashlib
import hmac
import json
import sys
import time

TOLERANCE_SECONDS = 5 * 60
SECRET_PREFIX = "whsec_"


class VerificationError(Exception):
    pass


def _secret_bytes(secret):
    if secret.startswith(SECRET_PREFIX):
        secret = secret[len(SECRET_PREFIX):]
    try:
        return base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError) as err:
        raise VerificationError("malformed secret") from err


def verify(secret, body, headers, now=None):
    """Checks the headers and signature of one delivery; answers the parsed JSON body."""
    lower = {name.lower(): value for name, value in headers.items()}
    msg_id = lower.get("webhook-id")
    timestamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise VerificationError("missing required headers")
    try:
        sent_at = int(timestamp)
    except ValueError as err:
        raise VerificationError("invalid timestamp") from err
    current = int(time.time()) if now is None else now
    if current - sent_at > TOLERANCE_SECONDS:
        raise VerificationError("message timestamp too old")
    if sent_at > current + TOLERANCE_SECONDS:
        raise VerificationError("message timestamp too new")
    signed = f"{msg_id}.{timestamp}.{body}".encode("utf-8")
    expected = base64.b64encode(hmac.new(_secret_bytes(secret), signed, hashlib.sha256).digest())
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version != "v1":
            continue
        # Constant-time comparison: the time taken does not tell how much of a guess was right.
        if hmac.compare_digest(signature.encode("ascii", "replace"), expected):
            return json.loads(body) if body else None
    raise VerificationError("no matching signature found")


def main():
    results = []
    for case in json.load(sys.stdin):
        try:
            payload = verify(case["secret"], case["body"], case["headers"])
            results.append({"ok": True, "payload": payload})
        except VerificationError as err:
            results.append({"ok": False, "error": str(err)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
