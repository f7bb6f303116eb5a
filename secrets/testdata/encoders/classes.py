#!/usr/bin/env python3
"""Regenerates classes.json: what real tools write for secrets as UTF-16,
as base64 of UTF-16LE (PowerShell's -EncodedCommand), as base32 and as hex
with separators.

Run from this directory with python3, iconv, GNU coreutils (base32, basenc,
base64, od), xxd, node, perl, ruby and java (17+) on PATH:
python3 classes.py. Produced with Python 3.11, glibc 2.36 iconv, coreutils
9.1, xxd 2022-01-14, node 20, Perl 5.36, Ruby 3.1 and Java 17. PowerShell
was not available: what it writes for -EncodedCommand,
[Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($s)), is base64
of UTF-16LE, as the base64 tools here write it from iconv's UTF-16LE.

Each tool is given a whole text, PRE + secret + ";ok", with PRE of 0 to 4
bytes so that the secret lands at every alignment of the encodings' groups.
Each entry is {secret (or secret64, its base64, if it is not UTF-8),
encoder, pre64, form64, post64}: the tool's output split into the part that
is the secret's (form: for base64 and base32 the characters made only of
the secret's bits) and the text around it, all in base64 (UTF-16 is not
UTF-8). The split is computed here from Python's own encoders and checked
against each tool's output.
"""
import base64, json, subprocess

SECRETS = [
    "Zq9-CANARY s3cr3t!'()*/+&=ä~",
    "pa55w0rd",
    "Ab3x😀Yz7w€-CANARY",
    "CANARY-s3cr3t-Zq9vX2-do-not-leak",
]
BINARY = b"\xde\xad\xbe\xef\x00\x7f\x80\xff-CANARY"  # not UTF-8
PREFIXES = ["", "u", "u:", "id=", "user:"]
SUFFIX = ";ok"

out = []


def run(cmd, data):
    return subprocess.run(cmd, input=data, capture_output=True, check=True).stdout


def add(secret, encoder, o, start, end):
    e = {'encoder': encoder}
    if isinstance(secret, bytes):
        e['secret64'] = base64.b64encode(secret).decode()
    else:
        e['secret'] = secret
    for k, part in (('pre64', o[:start]), ('form64', o[start:end]), ('post64', o[end:])):
        e[k] = base64.b64encode(part).decode()
    out.append(e)


def unwrapped_index(o, i):
    """Index in o of the i-th byte that is not a line break."""
    n = 0
    for k, c in enumerate(o):
        if c in b'\r\n':
            continue
        if n == i:
            return k
        n += 1
    return len(o.rstrip(b'\r\n'))


def add_fragment(secret, encoder, o, full, off, n, bits):
    """o is a tool's encoding (perhaps wrapped) of bytes whose Python
    encoding is full, with the secret's n bytes at byte off."""
    flat = o.replace(b'\r', b'').replace(b'\n', b'')
    assert flat == full, (encoder, flat, full)
    start, end = -(-off * 8 // bits), (off + n) * 8 // bits
    add(secret, encoder, o, unwrapped_index(o, start), unwrapped_index(o, end - 1) + 1)


def add_found(secret, encoder, o, form, at):
    assert o[at:at + len(form)] == form, (encoder, o, form, at)
    add(secret, encoder, o, at, at + len(form))


java_texts = []
for s in SECRETS + [BINARY]:
    sb = s if isinstance(s, bytes) else s.encode()
    for p in PREFIXES:
        text = p.encode() + sb + SUFFIX.encode()
        after = f" after {p!r}" if p else ""
        off = len(p)
        java_texts.append((s, p, text))

        # Hex with separators, and \xHH.
        for sep in [':', ' ', '-', ',']:
            h = text.hex(sep)
            add_found(s, f"Python bytes.hex({sep!r}){after}", h.encode(), sb.hex(sep).encode(), off * 3)
            add_found(s, f"Python bytes.hex({sep!r}).upper(){after}", h.upper().encode(), sb.hex(sep).upper().encode(), off * 3)
        o = run(['xxd', '-g1', '-c256'], text)
        o = o[:o.index(b'  ', 10)] + b'\n'  # the hex column: the text column shows the bytes as they are
        add_found(s, f"xxd -g1 -c256 (hex column){after}", o, sb.hex(' ').encode(), 10 + off * 3)
        o = run(['xxd', '-i', '-c256'], text)
        add_found(s, f"xxd -i -c256{after}", o, b', '.join(b'0x%02x' % c for c in sb), 2 + off * 6)
        o = run(['od', '-An', '-tx1', '-v', '-w256'], text)
        add_found(s, f"od -An -tx1 -w256{after}", o, sb.hex(' ').encode(), 1 + off * 3)
        o = repr(text).encode()
        if isinstance(s, bytes):
            add_found(s, f"Python repr(bytes){after}", o, repr(sb)[2:-1].encode(), 2 + off)

        # base32, both alphabets, each tool wrapping at its default width
        # or not at all.
        for enc, cmd in [('Std', ['base32', '-w0']), ('Std', ['base32']), ('Hex', ['basenc', '--base32hex', '-w0']), ('Hex', ['basenc', '--base32hex'])]:
            full = (base64.b32encode if enc == 'Std' else base64.b32hexencode)(text)
            add_fragment(s, ' '.join(cmd) + after, run(cmd, text), full, off, len(sb), 5)
        add_fragment(s, "Python base64.b32encode" + after, base64.b32encode(text), base64.b32encode(text), off, len(sb), 5)
        # Deeper in a file, so that base32's line breaks (76) fall in the
        # secret's part.
        long = b"# ci.env\nHOST=db\nUSER=ci\nPORT=5432\nPASS=" + text
        for enc, cmd in [('Std', ['base32']), ('Hex', ['basenc', '--base32hex'])]:
            full = (base64.b32encode if enc == 'Std' else base64.b32hexencode)(long)
            add_fragment(s, ' '.join(cmd) + " of a file" + after, run(cmd, long), full, off + len(long) - len(text), len(sb), 5)
        add_fragment(s, "Python base64.b32hexencode" + after, base64.b32hexencode(text), base64.b32hexencode(text), off, len(sb), 5)

        if isinstance(s, bytes):
            continue
        t = text.decode()
        le, be = t.encode('utf-16-le'), t.encode('utf-16-be')
        sle, sbe = s.encode('utf-16-le'), s.encode('utf-16-be')
        off16 = len(p.encode('utf-16-le'))

        # UTF-16.
        for name, o in [
            ("iconv -t UTF-16LE", run(['iconv', '-f', 'UTF-8', '-t', 'UTF-16LE'], text)),
            ("iconv -t UTF-16BE", run(['iconv', '-f', 'UTF-8', '-t', 'UTF-16BE'], text)),
            ("iconv -t UTF-16 (BOM, little-endian)", run(['iconv', '-f', 'UTF-8', '-t', 'UTF-16'], text)),
            ("Python str.encode('utf-16') (BOM)", t.encode('utf-16')),
            ("Python str.encode('utf-16-be')", be),
            ("node Buffer.from(s, 'utf16le')", run(['node', '-e', "process.stdout.write(Buffer.from(require('fs').readFileSync(0, 'utf8'), 'utf16le'))"], text)),
            ("Perl Encode::encode('UTF-16LE')", run(['perl', '-MEncode', '-0777', '-ne', 'print encode("UTF-16LE", decode("UTF-8", $_))'], text)),
            ("Perl Encode::encode('UTF-16') (BOM, big-endian)", run(['perl', '-MEncode', '-0777', '-ne', 'print encode("UTF-16", decode("UTF-8", $_))'], text)),
            ("Ruby String#encode('UTF-16LE')", run(['ruby', '-e', 'print STDIN.read.force_encoding("UTF-8").encode("UTF-16LE").b'], text)),
        ]:
            bom = 2 if o[:2] in (b'\xff\xfe', b'\xfe\xff') else 0
            form = sle if o[bom:] == le else sbe
            assert o[bom:] in (le, be), name
            add_found(s, name + after, o, form, bom + off16)

        # base64 of UTF-16LE: PowerShell's -EncodedCommand.
        full = base64.b64encode(le)
        for name, o in [
            ("iconv -t UTF-16LE | base64 -w0", run(['bash', '-c', 'iconv -f UTF-8 -t UTF-16LE | base64 -w0'], text)),
            ("iconv -t UTF-16LE | base64 (76, LF)", run(['bash', '-c', 'iconv -f UTF-8 -t UTF-16LE | base64'], text)),
            ("Python b64encode(s.encode('utf-16-le'))", full),
            ("node Buffer.from(s, 'utf16le').toString('base64')", run(['node', '-e', "process.stdout.write(Buffer.from(require('fs').readFileSync(0, 'utf8'), 'utf16le').toString('base64'))"], text)),
            ("Perl encode_base64(encode('UTF-16LE'), '')", run(['perl', '-MEncode', '-MMIME::Base64', '-0777', '-ne', 'print encode_base64(encode("UTF-16LE", decode("UTF-8", $_)), "")'], text)),
            ("Ruby [s.encode('UTF-16LE')].pack('m0')", run(['ruby', '-e', 'print [STDIN.read.force_encoding("UTF-8").encode("UTF-16LE")].pack("m0")'], text)),
        ]:
            add_fragment(s, name + after, o, full, off16, len(sle), 6)

# Java, in one run for all texts.
res = run(['java', 'Classes.java'], ''.join(text.hex() + '\n' for _, _, text in java_texts).encode()).decode().splitlines()
per = len(res) // len(java_texts)
for i, (s, p, text) in enumerate(java_texts):
    after = f" after {p!r}" if p else ""
    sb = s if isinstance(s, bytes) else s.encode()
    off = len(p)
    for line in res[i * per:(i + 1) * per]:
        name, o = line.split('\t')
        o = base64.b64decode(o)
        if 'UTF_16' in name:
            if isinstance(s, bytes):
                continue
            t = text.decode()
            off16 = len(p.encode('utf-16-le'))
            if 'Base64' in name:
                add_fragment(s, name + after, o, base64.b64encode(t.encode('utf-16-le')), off16, len(s.encode('utf-16-le')), 6)
            else:
                bom = 2 if 'BOM' in name else 0
                form = s.encode('utf-16-le' if 'LE' in name else 'utf-16-be')
                add_found(s, name + after, o, form, bom + off16)
            continue
        sep = name.split('"')[1]
        digits = [b'%02x' % c for c in sb]
        if 'UpperCase' in name:
            digits = [d.upper() for d in digits]
        if '0x' in name:
            form = sep.encode().join(b'0x' + d for d in digits)
            at = off * (4 + len(sep))
        else:
            form = sep.encode().join(digits)
            at = off * (2 + len(sep))
        add_found(s, name + after, o, form, at)

open('classes.json', 'w').write('[\n' + ',\n'.join(json.dumps(e) for e in out) + '\n]\n')
print(len(out), 'entries')
