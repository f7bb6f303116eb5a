#!/usr/bin/env python3
"""Regenerates review16.json: what curl --trace and git's GIT_TRACE print
of a secret, for review16_tooltraces_test.go.

Run from this directory with python3, curl and git on PATH: python3
review16.py. Produced with Python 3.11.7, curl 7.88.1 and git 2.39.5
(Debian 12).

Each entry is {secret, encoder, form}:
  - curl --trace: the "=> Send header" dump of a request that sends the
    secret in a header, at every offset in a dump line (the header's name
    padded from 0 to 15 bytes). curl writes each line as a 4-digit offset,
    ": ", each of 16 bytes as two hex digits and a space, and the bytes as
    ASCII right after (one space from the last byte's digits).
  - curl --trace-ascii: the same request, the raw bytes 64 a line after
    the same offsets (not masked; pinned by the test).
  - git GIT_TRACE: the line git traces for git config user.token SECRET and
    for git ls-remote of a URL holding the secret as its password. git
    quotes each argument as sh does (quote.c, sq_quote_buf) and also
    closes the quoting around each '!': 'pa'\\!'ss'.
"""
import http.server, json, os, subprocess, tempfile, threading

CURL_SECRETS = [
    "Zq9xK2mP8vL4nR6tY1wQ3sD5fG7hJ9kA",           # 32 bytes, two dump lines
    "pa55w0rd",                                    # the shortest
    "Zq9 p@ss\"w'o\\rd$x`!&<#%+=/end-CANARY",      # every character escapers touch
    "Ab3x\u00e9\U0001F600Yz7w-CANARY",             # non-ASCII: dots in the ASCII column
]
GIT_SECRETS = [
    "Zq9!pa$$w0rd#x&y",
    "Zq9'only'quote!bang",
    "!leading-and-trailing!",
    "Zq9 p@ss\"w'o\\rd$x`!&<#%+=/\u00e9\U0001F600end",
]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/" % srv.server_address[1]
    out = []
    for s in CURL_SECRETS:
        for pad in range(16):
            hdr = "X-K%s: %s" % ("k" * pad, s)
            for mode in ["--trace", "--trace-ascii"]:
                o = subprocess.run(["curl", "-s", mode, "-", "-H", hdr, url, "-o", os.devnull],
                                   capture_output=True).stdout.decode("utf-8", "surrogateescape")
                sent = o[o.index("=> Send header"):o.index("== Info:", o.index("=> Send header"))]
                out.append({"secret": s, "encoder": "curl %s, header name of %d bytes" % (mode, 3 + pad), "form": sent})
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["git", "init", "-q", d], check=True)
        env = dict(os.environ, GIT_TRACE="1")
        for s in GIT_SECRETS:
            for name, args in [("git config", ["config", "user.token", s]),
                               ("git ls-remote", ["ls-remote", "https://u:%s@127.0.0.1:1/x" % s])]:
                o = subprocess.run(["git", "-C", d] + args, capture_output=True, env=env).stderr.decode()
                line = [l for l in o.splitlines() if "trace: built-in:" in l][0]
                out.append({"secret": s, "encoder": "GIT_TRACE, " + name,
                            "form": line.split("trace: ", 1)[1] + "\n"})
    srv.shutdown()
    with open("review16.json", "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


main()
