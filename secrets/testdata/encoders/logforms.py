#!/usr/bin/env python3
"""Regenerates logforms.json: what real tools write for secrets in the forms
CI logs carry that classes.py and gen.py do not cover: terminal colour
inside a value, HTML and XML character references, decimal bytes, and
percent-encoding twice.

Run from this directory with python3 (with pygments), GNU grep, node,
ruby, php and java (17+) on PATH: python3 logforms.py. Produced with Python
3.11 (pygments 2.20), GNU grep 3.8, node 20, Ruby 3.1, PHP 8.2 and
Java 17. The GitHub Actions toolkit's escaping of workflow command data
and properties (@actions/core, command.ts escapeData and escapeProperty)
is reproduced from its source; node runs it.

Each entry is {secret, encoder, pre64, form64, post64} as in classes.json:
the tool's output split into the secret's part (form) and the text around
it, all in base64. For the escapers the split is where the tool's output
for the text before the secret, the secret and the text after it meet
(checked against its output for the whole text); for decimal bytes where
Python's spelling of the secret's bytes is found, once; for colour, the
span from the secret's first to its last byte once the control sequences
are removed, so that sequences right before and after it are outside.
"""
import base64, html, json, re, subprocess
import xml.etree.ElementTree as ET
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

SECRETS = [
    "Zq9-CANARY s3cr3t!'()*/+&=ä~",
    "pa55w0rd",
    "p@ss<w&rd>\"x'y-Zq9€",
    "CANARY-s3cr3t-Zq9vX2-do-not-leak",
    "Ab3x😀Yz7w€-CANARY",
    "k8s:a,b%41-p@ss\nline-two-x",  # as Actions escapes a property
]
PREFIXES = ["", "id=", "user:"]
SUFFIX = ";ok"

out = []


def run(cmd, data):
    return subprocess.run(cmd, input=data, capture_output=True, check=True).stdout


def add(secret, encoder, pre, form, post):
    e = {'secret': secret, 'encoder': encoder}
    for k, part in (('pre64', pre), ('form64', form), ('post64', post)):
        e[k] = base64.b64encode(part if isinstance(part, bytes) else part.encode()).decode()
    out.append(e)


def batch(cmd, texts):
    """Runs a node, ruby or php one-liner that maps a JSON list of strings
    on standard input to a JSON list on standard output."""
    return json.loads(run(cmd, json.dumps(texts).encode()))


# Escapers: the tool's output for the text is its output for the parts.
ESCAPERS = {
    "Python html.escape": html.escape,
    "Python html.escape(quote=False)": lambda s: html.escape(s, quote=False),
    "Python xml.sax.saxutils.escape": escape,
    "Python xml.sax.saxutils.escape, quoteattr's entities": lambda s: escape(s, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}),
    "Python ElementTree attribute": lambda s: ET.tostring(ET.Element('f', m=s), encoding='unicode')[len('<f m="'):-len('" />')],
    "Python ElementTree text": lambda s: (lambda e: (setattr(e, 'text', s), ET.tostring(e, encoding='unicode'))[1])(ET.Element('f'))[len('<f>'):-len('</f>')],
    "Python quote(quote(s, safe=''), safe='')": lambda s: quote(quote(s, safe=''), safe=''),
    "Python quote_plus(quote(s)) (a URL in a query parameter)": lambda s: quote_plus(quote(s)),
}
NODE_ACTIONS = """
// @actions/core command.ts
const escapeData = s => s.replace(/%/g, '%25').replace(/\\r/g, '%0D').replace(/\\n/g, '%0A');
const escapeProperty = s => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
"""
BATCHED = {
    "node encodeURIComponent twice": ['node', '-e', "const t=JSON.parse(require('fs').readFileSync(0,'utf8'));process.stdout.write(JSON.stringify(t.map(s=>encodeURIComponent(encodeURIComponent(s)))))"],
    "@actions/core escapeData of encodeURIComponent (::warning:: of a URL)": ['node', '-e', NODE_ACTIONS + "const t=JSON.parse(require('fs').readFileSync(0,'utf8'));process.stdout.write(JSON.stringify(t.map(s=>escapeData(encodeURIComponent(s)))))"],
    "@actions/core escapeProperty (::error title=…::)": ['node', '-e', NODE_ACTIONS + "const t=JSON.parse(require('fs').readFileSync(0,'utf8'));process.stdout.write(JSON.stringify(t.map(s=>escapeProperty(s))))"],
    "Ruby CGI.escapeHTML": ['ruby', '-rjson', '-rcgi', '-e', 'print JSON.generate(JSON.parse(STDIN.read).map { |s| CGI.escapeHTML(s) })'],
    "Ruby ERB::Util.html_escape": ['ruby', '-rjson', '-rerb', '-e', 'print JSON.generate(JSON.parse(STDIN.read).map { |s| ERB::Util.html_escape(s) })'],
    "Ruby CGI.escape twice": ['ruby', '-rjson', '-rcgi', '-e', 'print JSON.generate(JSON.parse(STDIN.read).map { |s| CGI.escape(CGI.escape(s)) })'],
    "PHP htmlspecialchars": ['php', '-r', 'echo json_encode(array_map(fn($s) => htmlspecialchars($s), json_decode(file_get_contents("php://stdin"))));'],
    "PHP htmlspecialchars(ENT_XML1|ENT_QUOTES)": ['php', '-r', 'echo json_encode(array_map(fn($s) => htmlspecialchars($s, ENT_XML1|ENT_QUOTES), json_decode(file_get_contents("php://stdin"))));'],
    "PHP htmlentities": ['php', '-r', 'echo json_encode(array_map(fn($s) => htmlentities($s), json_decode(file_get_contents("php://stdin"))));'],
    "PHP urlencode twice": ['php', '-r', 'echo json_encode(array_map(fn($s) => urlencode(urlencode($s)), json_decode(file_get_contents("php://stdin"))));'],
}

texts = [(s, p) for s in SECRETS for p in PREFIXES]


def after(p):
    return f" after {p!r}" if p else ""


def add_parts(s, p, name, whole, pre, form, post):
    assert whole == pre + form + post, (name, whole, pre, form, post)
    if form != s:  # a form the raw matcher finds adds nothing
        add(s, name + after(p), pre, form, post)


for name, f in ESCAPERS.items():
    for s, p in texts:
        add_parts(s, p, name, f(p + s + SUFFIX), f(p), f(s), f(SUFFIX))
for name, cmd in BATCHED.items():
    parts = [x for s, p in texts for x in (p + s + SUFFIX, p, s, SUFFIX)]
    res = batch(cmd, parts)
    for i, (s, p) in enumerate(texts):
        add_parts(s, p, name, *res[4 * i:4 * i + 4])

# Java: Arrays.toString (decimal, signed), an XML stream writer (a JUnit
# report), URLEncoder twice.
jt = [x for s, p in texts for x in (p + s + SUFFIX, p, s, SUFFIX)]
res = run(['java', 'LogForms.java'], ''.join(t.encode().hex() + '\n' for t in jt).encode()).decode().splitlines()
per = len(res) // len(jt)
by = {}
for i, line in enumerate(res):
    name, o = line.split('\t')
    by.setdefault(name, []).append(base64.b64decode(o).decode())
for i, (s, p) in enumerate(texts):
    whole, pre, form, post = by["Java URLEncoder.encode twice"][4 * i:4 * i + 4]
    add_parts(s, p, "Java URLEncoder.encode twice", whole, pre, form, post)
    x = [v[len('<failure message="'):] for v in by["Java XMLStreamWriter"][4 * i:4 * i + 4]]
    attr = [v[:v.index('">')] for v in x]
    text = [v[v.index('">') + 2:-len('</failure>')] for v in x]
    add_parts(s, p, "Java XMLStreamWriter.writeAttribute", *attr)
    add_parts(s, p, "Java XMLStreamWriter.writeCharacters", *text)


# Decimal bytes: found where Python spells the secret's bytes so, once.
def add_found(s, p, name, o, form):
    assert o.count(form) == 1, (name, o, form)
    at = o.index(form)
    add(s, name + after(p), o[:at], form, o[at + len(form):])


for i, (s, p) in enumerate(texts):
    t = (p + s + SUFFIX).encode()
    sb = s.encode()
    signed = [c - 256 if c > 127 else c for c in sb]
    add_found(s, p, "Python list(bytes)", str(list(t)), ', '.join(map(str, sb)))
    add_found(s, p, "Java Arrays.toString(getBytes(UTF_8))", by["Java Arrays.toString(getBytes(UTF_8))"][4 * i], ', '.join(map(str, signed)))
res = batch(['node', '-e', "const t=JSON.parse(require('fs').readFileSync(0,'utf8'));process.stdout.write(JSON.stringify(t.flatMap(s=>[JSON.stringify(Buffer.from(s)), new Uint8Array(Buffer.from(s)).toString(), require('util').inspect(Buffer.from(s))])))"], [(p + s + SUFFIX) for s, p in texts])
rb = batch(['ruby', '-rjson', '-e', 'print JSON.generate(JSON.parse(STDIN.read).flat_map { |s| [s.bytes.inspect, s.unpack("C*").join(" ")] })'], [(p + s + SUFFIX) for s, p in texts])
for i, (s, p) in enumerate(texts):
    sb = s.encode()
    add_found(s, p, "node JSON.stringify(Buffer)", res[3 * i], ','.join(map(str, sb)))
    add_found(s, p, "node Uint8Array.toString()", res[3 * i + 1], ','.join(map(str, sb)))
    add_found(s, p, "node util.inspect(Buffer)", res[3 * i + 2], sb.hex(' '))
    add_found(s, p, "Ruby String#bytes.inspect", rb[2 * i], ', '.join(map(str, sb)))
    add_found(s, p, "Ruby unpack('C*').join(' ')", rb[2 * i + 1], ' '.join(map(str, sb)))

# Terminal colour: grep --color=always matching a part of the secret (as a
# scan for a token prefix does), and pygments (what rich and pygmentize
# use) highlighting a script that holds it. (jq -C colours a whole string,
# the secret's JSON escape inside: that is masked as JSON is.)
CSI = re.compile(rb'\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[ -/]*[0-~])')


def add_coloured(s, name, o):
    keep, plain = [], b''
    i = 0
    for m in CSI.finditer(o):
        keep += range(i, m.start())
        plain += o[i:m.start()]
        i = m.end()
    keep += range(i, len(o))
    plain += o[i:]
    sb = s.encode()
    assert plain.count(sb) == 1, (name, o)
    at = plain.index(sb)
    start, end = keep[at], keep[at + len(sb) - 1] + 1
    if o[start:end] != sb:
        add(s, name, o[:start], o[start:end], o[end:])


for s in SECRETS:
    if "\n" in s:
        continue
    line = ("TOKEN=" + s + SUFFIX + "\n").encode()
    sb = s.encode()
    for k in (1, len(sb) // 2, len(sb) - 3):
        part = s.encode()[k:k + 3].decode('utf-8', 'ignore')
        if part:
            add_coloured(s, f"grep --color=always {part!r}", run(['grep', '-F', '--color=always', part], line))
    for fmt in ('terminal', 'terminal256', 'terminal16m'):
        for lexer, src in (('bash', f"export TOKEN={s}\n"), ('python', f"TOKEN = {s}\n"), ('yaml', f"token: {s}\n")):
            add_coloured(s, f"pygmentize -l {lexer} -f {fmt}", run(['python3', '-m', 'pygments', '-l', lexer, '-f', fmt], src.encode()))

open('logforms.json', 'w').write('[\n' + ',\n'.join(json.dumps(e) for e in out) + '\n]\n')
print(len(out), 'entries')
