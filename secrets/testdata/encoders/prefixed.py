#!/usr/bin/env python3
"""Regenerates prefixed.json: base64 and base32 that real encoders wrapped
into lines, as a CI log carries it when a log multiplexer writes text
before each line: GitHub Actions' and GitLab's timestamps in their raw logs,
BuildKit's plain progress (#7 0.254 ), docker compose's service column
(web-1  | ) and kubectl logs --prefix.

Run from this directory with python3, GNU coreutils (base64, base32),
openssl and ruby on PATH: python3 prefixed.py. Produced with Python 3.11,
coreutils 9.1, OpenSSL 3.0 and Ruby 3.1. The encoders are run; the
prefixes are reproduced from the formats those tools write (the
multiplexers were not available), one per line, as they write them: the
timestamps and BuildKit's elapsed time differ from line to line, with the
same width.

Each entry is {secret, encoder, pre64, form64, post64} as in classes.json:
the prefixed output split into the characters made only of the secret's
bits (from the first to the last, with the line breaks and prefixes
between them) and the text around it, all in base64. The split is
computed from Python's own encoders and checked against each tool's
output.
"""
import base64, json, subprocess

SECRETS = [
    "pa55w0rd",
    "CANARY-s3cr3t-Zq9vX2-do-not-leak",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXBhcnQtWnE5",
    "Zq9-CANARY s3cr3t!'()*/+&=ä~ and a longer tail to wrap twice, 0123456789",
    "-----BEGIN TEST KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAq9Zq9CANARYs3cr3t\nc2VjcmV0LWtleS1ib2R5LW5vdC1yZWFsLWRvLW5vdC1sZWFrLVpxOXZYMi1DQU5B\nUlktcGFkZGluZy10by13cmFwLWFjcm9zcy1saW5lcw==\n-----END TEST KEY-----\n",
]
PREFIXES = ["", "u:", "id="]  # every alignment of base64's 3-byte groups
SUFFIX = ";ok"

# What each multiplexer writes before line i.
LINE_PREFIXES = {
    "GitHub Actions timestamps": lambda i: "2024-01-01T00:00:%02d.%07dZ " % (i % 60, 1234567 + 97 * i),
    "GitLab timestamps": lambda i: "2024-01-01T00:00:%02d.%06dZ 00O " % (i % 60, 123456 + 89 * i),
    "BuildKit plain progress": lambda i: "#7 %d.%03d " % (1, 254 + i),
    "docker compose": lambda i: "web-1  | ",
    "kubectl logs --prefix": lambda i: "[pod/web-7d4b9c6f5-x2x9q/app] ",
}

# The encoders that wrap, at their default widths.
ENCODERS = {
    "GNU base64 (76)": (['base64'], base64.b64encode, 6),
    "openssl base64 (64)": (['openssl', 'base64'], base64.b64encode, 6),
    "Ruby Base64.encode64 (60)": (['ruby', '-rbase64', '-e', 'print Base64.encode64(STDIN.read)'], base64.b64encode, 6),
    "GNU base32 (76)": (['base32'], base64.b32encode, 5),
}

out = []


def run(cmd, data):
    return subprocess.run(cmd, input=data, capture_output=True, check=True).stdout


def prefixed(o, pfx):
    """o with pfx(i) before its line i, and where each byte of o went."""
    res, where = b"", []
    for i, line in enumerate(o.splitlines(keepends=True)):
        res += pfx(i).encode()
        where += range(len(res), len(res) + len(line))
        res += line
    return res, where


def short_parts(o, flat, start, end):
    """Whether one line break splits the secret's part into two parts each
    shorter than 48 characters: left unmasked after a prefix, as after a
    CRLF or indentation (see the package documentation)."""
    breaks = [k for k in range(start, end - 1) if flat[k + 1] != flat[k] + 1]
    return len(breaks) == 1 and breaks[0] + 1 - start < 48 and end - breaks[0] - 1 < 48


for s in SECRETS:
    for p in PREFIXES:
        text = ("# ci.env\nUSER=ci\nPASS=" + p + s + SUFFIX).encode()
        off, n = len(text) - len(SUFFIX) - len(s.encode()), len(s.encode())
        for ename, (cmd, pyenc, bits) in ENCODERS.items():
            o = run(cmd, text)
            flat = [k for k, c in enumerate(o) if c not in b'\r\n']
            assert bytes(o[k] for k in flat) == pyenc(text), ename
            start, end = -(-off * 8 // bits), (off + n) * 8 // bits
            for mname, pfx in LINE_PREFIXES.items():
                po, where = prefixed(o, pfx)
                a, b = where[flat[start]], where[flat[end - 1]] + 1
                if short_parts(o, flat, start, end):
                    continue
                e = {'secret': s, 'encoder': f"{ename}, {mname}, after {p!r}"}
                for k, part in (('pre64', po[:a]), ('form64', po[a:b]), ('post64', po[b:])):
                    e[k] = base64.b64encode(part).decode()
                out.append(e)

with open('prefixed.json', 'w') as f:
    f.write('[\n' + ',\n'.join(json.dumps(e, ensure_ascii=True) for e in out) + '\n]\n')
print(len(out), "entries")
