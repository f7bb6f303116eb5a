#!/usr/bin/env python3
"""Regenerates dumps.json: hex dumps of secrets, as real tools write them.

Run from this directory with python3, xxd, hexdump and od on PATH: python3
dumps.py. The redactor masks the secret in all but xxd's default dump (in
pairs of bytes), Python's bytes.hex(' ', 2) and hexdump's default dump (in
16-bit words), which are here to pin that down. Produced with Python 3.11, xxd 2022-01-14 (vim 9.0), hexdump
from util-linux 2.38.1 and od from GNU coreutils 9.1. Go's hex.Dump is not
here: redact_dumps_test.go runs it itself.

Each entry is {secret (or secret64), encoder, pre64, form64, post64} as in
classes.json: form is the tool's whole output for a file of PRE bytes '#'
(0 to 15, or 0 to 29 for xxd -p, which writes 30 bytes a line: every
position a line break can fall at inside the secret), the secret, and
three bytes '='. pre and post are empty: the secret's part of a dump is not
a substring of it.
"""
import base64, json, subprocess

SECRETS = [
    b"pa55w0rd",                              # the shortest
    b"CANARY-s3cr3t-Zq9vX2-do-not-leak",      # two lines exactly
    b"Zq9 CANARY s3cr3t!'()*/+&~",             # spaces and quotes
    b" leading-space-x",                       # a space that may start an ASCII column
    "Ab3x😀Yz7w€-CANARY".encode(),             # non-ASCII: dots in the ASCII column
    b"\xde\xad\xbe\xef\x00\x7f\x80\xff\n\tCANARY",  # binary
    b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7-CANARY-x",  # several lines
    b"0123456789abcdef0123",                   # the secret's own bytes are hex digits
]
TOOLS = {
    "xxd": ["xxd"],
    "xxd -g1": ["xxd", "-g1"],
    "xxd -p": ["xxd", "-p"],
    "hexdump -C": ["hexdump", "-C"],
    "od -An -tx1": ["od", "-An", "-tx1"],
    "od -tx1": ["od", "-tx1"],
    "od -Ax -tx1z": ["od", "-Ax", "-tx1z"],
    # Not masked (see TestRedactNotMaskedDumps): pairs of bytes, 16-bit words.
    "python3 bytes.hex(' ', 2)": ["python3", "-c", "import sys; print(sys.stdin.buffer.read().hex(' ', 2))"],
    "hexdump": ["hexdump"],
}

out = []
for secret in SECRETS:
    assert b"#" not in secret and b"=" not in secret
    e = {}
    try:
        e['secret'] = secret.decode('utf-8')
    except UnicodeDecodeError:
        e['secret64'] = base64.b64encode(secret).decode()
    for name, cmd in TOOLS.items():
        for pre in range(30 if name == "xxd -p" else 16):
            data = b"#" * pre + secret + b"==="
            form = subprocess.run(cmd, input=data, capture_output=True, check=True).stdout
            out.append(dict(e, encoder=f"{name}, secret at offset {pre}", pre64="",
                            form64=base64.b64encode(form).decode(), post64=""))

with open("dumps.json", "w") as f:
    json.dump(out, f, indent=0, ensure_ascii=False)
    f.write("\n")
print(len(out), "entries")
