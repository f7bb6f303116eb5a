#!/usr/bin/env python3
"""Regenerates encoded.json: what real encoders write for the secrets below.

Run from this directory with python3, node, java (17+), perl and bash on
PATH: python3 gen.py. PHP and Ruby are reproduced from their documented
behaviour (functions php_* and rb_*), as they were not available. The Go
encoders are not here: redact_encoders_test.go runs them itself.

Each entry is {secret, encoder, pre, form, post}: form is what the encoder
wrote for the secret (form64, its base64, if it is not UTF-8), pre and post
the text it wrote around it (a URL, a JSON object, "t="), which must survive
redaction. Produced with Python 3.11, node 20, Java 17, Perl 5.36, bash 5.2.
"""
import base64, json, re, shlex, subprocess, urllib.parse as up

SECRETS = [
    "Zq9-CANARY s3cr3t!'()*/+&=ä~",
    " +/?#&=%<>'\"\\$`!*()~\n\t\x01\x1b\x7f\x00ä😀\u00a0\u0085\u2028\u200b€@:;,{}[]|^",
    " +/?#&=%<>'\"\\$`!*()~",
    "'\"\\$`!*%",
    "Ab3x\u00a0Yz7w",
    "Ab3x\u0085Yz7w",
    "äQm4rT8vKä",
    "Ab3x😀Yz7w",
    "Ab3x€Yz7w",
    "Ab3x&Yz7w",
    "Ab3x/Yz7w",
    "Ab3x\nYz7w",
    "line1-abcdefgh\nl2\nline3-xyz12345",
    "%41%42%43xyz",
    "pa\\u0041ss\\x41\\n",
    "'Qm4rT8vK'",
    "I3Rs&)d,Nj'`;$+WU(>+fV'h/<ppj'ijR&<%g1EU2e/iGgw7-jiq8O,f{(h'o:_wdVH[jZNF?7y?*iFc_K}ä€😀\u00a0",
]

out = []
def add(s, enc, form, pre='', post=''):
    e = {'secret': s, 'encoder': enc, 'pre': pre, 'post': post}
    if isinstance(form, bytes):
        try:
            form = form.decode('utf-8')
        except UnicodeDecodeError:  # Perl's quotemeta escapes each byte of a UTF-8 sequence
            e['form64'] = base64.b64encode(form).decode()
            form = None
    if form is not None:
        e['form'] = form
    out.append(e)

# --- PHP, reproduced from the PHP manual (php was not installed) ---
def php_urlencode(s):      # alnum and -_. raw, space +, else %XX upper
    return ''.join(chr(c) if chr(c).isascii() and (chr(c).isalnum() or chr(c) in '-_.') else '+' if c == 32 else '%%%02X' % c for c in s.encode())
def php_rawurlencode(s):   # RFC 3986 unreserved raw
    return ''.join(chr(c) if chr(c).isascii() and (chr(c).isalnum() or chr(c) in '-_.~') else '%%%02X' % c for c in s.encode())
def php_json_encode(s, unescaped_unicode=False, hex_flags=False):
    # json_encode default: \" \\ \/ \b \f \n \r \t, other controls \u00XX,
    # non-ASCII \uXXXX (lower hex, surrogate pairs); JSON_HEX_* flags: <>&'" as \u003C...
    r = '"'
    for ch in s:
        o = ord(ch)
        if hex_flags and ch in '<>&\'"': r += '\\u%04X' % o
        elif ch in '"\\/': r += '\\' + ch
        elif ch in '\b\f\n\r\t': r += {'\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}[ch]
        elif o < 0x20: r += '\\u%04x' % o
        elif o > 0x7f and not unescaped_unicode:
            if o > 0xffff:
                o -= 0x10000; r += '\\u%04x\\u%04x' % (0xd800 + (o >> 10), 0xdc00 + (o & 0x3ff))
            else: r += '\\u%04x' % o
        else: r += ch
    return r + '"'
def php_escapeshellarg(s): return "'" + s.replace("'", "'\\''") + "'"

# --- Ruby, reproduced from the Ruby documentation (ruby was not installed) ---
def rb_cgi_escape(s):      # CGI.escape: [^ a-zA-Z0-9_.\-~] -> %XX, then ' ' -> '+'
    return ''.join(chr(c) if chr(c).isascii() and (chr(c).isalnum() or chr(c) in '_.-~') else '+' if c == 32 else '%%%02X' % c for c in s.encode())
def rb_www_form(s):        # URI.encode_www_form_component: [^*\-.0-9A-Z_a-z] -> %XX, ' ' -> '+'
    return ''.join(chr(c) if chr(c).isascii() and (chr(c).isalnum() or chr(c) in '*-._') else '+' if c == 32 else '%%%02X' % c for c in s.encode())
def rb_url_encode(s):      # ERB::Util.url_encode: [^a-zA-Z0-9_\-.~] -> %XX
    return ''.join(chr(c) if chr(c).isascii() and (chr(c).isalnum() or chr(c) in '_-.~') else '%%%02X' % c for c in s.encode())
def rb_json_generate(s, script_safe=False, ascii_only=False):
    r = '"'
    for ch in s:
        o = ord(ch)
        if ch in '"\\': r += '\\' + ch
        elif ch in '\b\f\n\r\t': r += {'\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}[ch]
        elif o < 0x20: r += '\\u%04x' % o
        elif script_safe and ch == '/': r += '\\/'
        elif script_safe and ch in '\u2028\u2029': r += '\\u%04x' % o
        elif ascii_only and o > 0x7f:
            if o > 0xffff:
                o -= 0x10000; r += '\\u%04x\\u%04x' % (0xd800 + (o >> 10), 0xdc00 + (o & 0x3ff))
            else: r += '\\u%04x' % o
        else: r += ch
    return r + '"'
def rb_shellwords_escape(s):  # str.gsub(/[^A-Za-z0-9_\-.,:+\/@\n]/, "\\\\\\&").gsub(/\n/, "'\n'")
    return re.sub(r"([^A-Za-z0-9_\-.,:+/@\n])", r"\\\1", s).replace("\n", "'\n'")
def rb_dump(s):            # String#dump: \u00E4 / \u{1F600}, \e, \x7F, \#{
    r = ''
    for ch in s:
        o = ord(ch)
        if ch in '"\\': r += '\\' + ch
        elif ch in '\n\r\t\f\v\b\a\x1b': r += {'\n': '\\n', '\r': '\\r', '\t': '\\t', '\f': '\\f', '\v': '\\v', '\b': '\\b', '\a': '\\a', '\x1b': '\\e'}[ch]
        elif o < 0x20 or o == 0x7f: r += '\\x%02X' % o
        elif o > 0xffff: r += '\\u{%X}' % o
        elif o > 0x7f: r += '\\u%04X' % o
        else: r += ch
    return '"' + r.replace('#{', '\\#{').replace('#$', '\\#$').replace('#@', '\\#@') + '"'

node = json.loads(subprocess.run(['node', '-e', r'''
const util = require('util'), qs = require('querystring');
const S = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(S.map(s => {
  const r = {};
  r['encodeURIComponent'] = encodeURIComponent(s);
  try { r['encodeURI'] = encodeURI(s); } catch (e) {}
  r['escape'] = escape(s);
  r['JSON.stringify'] = JSON.stringify(s);
  r['URLSearchParams'] = new URLSearchParams({t: s}).toString().slice(2);
  r['util.inspect'] = util.inspect(s);
  r['querystring.escape'] = qs.escape(s);
  try { const u = new URL('https://user@example.com/'); u.password = s; r['URL.password'] = u.href.slice(13, -13); } catch (e) {}
  try { const u = new URL('https://example.com/'); u.hash = s; r['URL.hash'] = u.href.slice(21); } catch (e) {}
  try { const u = new URL('https://example.com/'); u.search = 't=' + s; r['URL.search'] = u.href.slice(23); } catch (e) {}
  return r;
})));
'''], input=json.dumps(SECRETS), capture_output=True, text=True, check=True).stdout)

json.dump(SECRETS, open('/tmp/encoders-secrets.json', 'w'))
subprocess.run(['java', 'Enc.java', '/tmp/encoders-secrets.json', '/tmp/encoders-java.json'], check=True)
java = json.load(open('/tmp/encoders-java.json'))

for s, js in zip(SECRETS, node):
    b = s.encode()
    # Python 3
    add(s, 'Python urllib.parse.quote', up.quote(s))
    add(s, 'Python quote, lower-case hex', re.sub(r'%[0-9A-F]{2}', lambda m: m.group(0).lower(), up.quote(s)))
    add(s, "Python quote(safe='')", up.quote(s, safe=''))
    add(s, 'Python quote_plus', up.quote_plus(s))
    add(s, 'Python urlencode', up.urlencode({'t': s})[2:], pre='t=')
    add(s, 'Python json.dumps', json.dumps(s))
    add(s, 'Python json.dumps ensure_ascii=False', json.dumps(s, ensure_ascii=False))
    add(s, 'Python shlex.quote', shlex.quote(s))
    add(s, 'Python repr', repr(s))
    add(s, 'Python ascii', ascii(s))
    add(s, 'Python repr(bytes)', repr(b))
    add(s, 'Python unicode_escape', s.encode('unicode_escape'))
    if '\\' not in s:  # backslashreplace leaves backslashes as they are: not reversible
        add(s, 'Python backslashreplace', s.encode('ascii', 'backslashreplace'))
    add(s, 'Python bytes.hex', b.hex())
    add(s, 'Python bytes.hex upper', b.hex().upper())
    # PHP (reproduced)
    add(s, 'PHP urlencode', php_urlencode(s))
    add(s, 'PHP rawurlencode', php_rawurlencode(s))
    add(s, 'PHP json_encode', php_json_encode(s))
    add(s, 'PHP json_encode JSON_UNESCAPED_UNICODE', php_json_encode(s, unescaped_unicode=True))
    add(s, 'PHP json_encode JSON_HEX_TAG|AMP|APOS|QUOT', php_json_encode(s, hex_flags=True))
    add(s, 'PHP escapeshellarg', php_escapeshellarg(s))
    add(s, 'PHP bin2hex', b.hex())
    # Ruby (reproduced)
    add(s, 'Ruby CGI.escape', rb_cgi_escape(s))
    add(s, 'Ruby URI.encode_www_form_component', rb_www_form(s))
    add(s, 'Ruby ERB::Util.url_encode', rb_url_encode(s))
    add(s, 'Ruby JSON.generate', rb_json_generate(s))
    add(s, 'Ruby JSON.generate script_safe', rb_json_generate(s, script_safe=True))
    add(s, 'Ruby JSON.generate ascii_only', rb_json_generate(s, ascii_only=True))
    add(s, 'Ruby Shellwords.escape', rb_shellwords_escape(s))
    add(s, 'Ruby String#dump', rb_dump(s))
    # JavaScript (node)
    for k, v in js.items():
        if k.startswith('URL.') and k != 'URL.password' and re.search(r'[\t\n\r\\]', s):
            continue  # the WHATWG URL parser drops tabs and newlines and turns \ into /: not an encoding
        if k == 'util.inspect' and '\n' in s and len(s) > 16:
            continue  # util.inspect splits such a string into 'line\n' + 'line'
        add(s, 'node ' + k, v, pre={'URLSearchParams': 't=', 'URL.search': 't='}.get(k, ''))
    # chains
    add(s, 'Go-style json of encodeURI', json.dumps(js['encodeURI']).replace('&', '\\u0026') if 'encodeURI' in js else '""')
    add(s, 'PHP json_encode of a Python quote URL', php_json_encode(up.quote(s)), pre='{"url":"https:\\/\\/x\\/?t=', post='}')
    add(s, 'shlex.quote of encodeURIComponent', shlex.quote(js['encodeURIComponent']))
    add(s, 'shlex.quote of json.dumps', shlex.quote(json.dumps(s)))
    add(s, 'PHP escapeshellarg of json_encode', php_escapeshellarg(php_json_encode(s)))
    # Perl (JSON::PP and Data::Dumper are core modules)
    pl = subprocess.run(['perl', '-e', r'''
use Data::Dumper; use JSON::PP; use Encode;
$Data::Dumper::Terse = 1; $Data::Dumper::Indent = 0;
local $/; my $b = <STDIN>; my $u = Encode::decode("UTF-8", $b);
my @o;
(my $e = $b) =~ s/([^A-Za-z0-9\-\._~])/sprintf("%%%02X", ord($1))/seg; push @o, "uri_escape by hand (sprintf %%%02X)", $e;
push @o, "quotemeta", quotemeta($b);
push @o, "quotemeta (character string)", Encode::encode("UTF-8", quotemeta($u));
push @o, "Data::Dumper", Dumper($b);
push @o, "Data::Dumper (character string)", Encode::encode("UTF-8", Dumper($u));
{ local $Data::Dumper::Useqq = 1; push @o, "Data::Dumper Useqq", Dumper($b); push @o, "Data::Dumper Useqq (character string)", Encode::encode("UTF-8", Dumper($u)); }
push @o, "JSON::PP utf8", JSON::PP->new->utf8->allow_nonref->encode($u);
push @o, "JSON::PP ascii", JSON::PP->new->ascii->allow_nonref->encode($u);
print join("", map { pack("N", length($_)) . $_ } @o);
'''], input=b, capture_output=True, check=True).stdout
    i = 0
    while i < len(pl):
        n = int.from_bytes(pl[i:i + 4], 'big'); k = pl[i + 4:i + 4 + n].decode(); i += 4 + n
        n = int.from_bytes(pl[i:i + 4], 'big'); v = pl[i + 4:i + 4 + n]; i += 4 + n
        add(s, 'Perl ' + k, v)
    # bash 5 (a variable cannot hold NUL)
    if '\0' not in s:
        for loc in ('C.UTF-8', 'C'):
            sh = 'v=$(cat; printf x); v=${v%x}; printf %q "$v"; printf "\\0"; printf %s "${v@Q}"; printf "\\0"; (set -x; : "$v") 2>&1'
            p = subprocess.run(['bash', '-c', sh], input=b, capture_output=True, check=True,
                               env={'LC_ALL': loc, 'PATH': '/usr/bin:/bin'}).stdout.split(b'\0')
            add(s, 'bash printf %q, ' + loc, p[0])
            add(s, 'bash ${v@Q}, ' + loc, p[1])
            add(s, 'bash set -x, ' + loc, p[2][len(b'+ : '):].rstrip(b'\n'), pre='+ : ')
        p = subprocess.run(['bash', '-c', 'v=$(cat); (set -x; : "$v") 2>&1'], input=json.dumps(s).encode(), capture_output=True, check=True).stdout
        add(s, 'bash set -x of json.dumps', p[len(b'+ : '):].rstrip(b'\n'), pre='+ : ')
    for k, v in java.get(s, {}).items():
        add(s, 'Java ' + k, v)

with open('encoded.json', 'w') as f:
    json.dump(out, f, indent=0)
    f.write('\n')
print(len(out), 'vectors')
