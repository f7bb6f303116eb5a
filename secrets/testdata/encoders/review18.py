#!/usr/bin/env python3
"""Regenerates review18.json: what real programs print of a secret split
into characters, or as 0x-prefixed bytes with a space between, for
review18_charlists_test.go.

Run from this directory with python3, node, ruby, java (17+) and rustc on
PATH: python3 review18.py. Produced with Python 3.11.7, Node.js 20.20.2,
Ruby 3.1.2, OpenJDK 17.0.15 and rustc 1.95.0 (Debian 12).

Each entry is {secret, encoder, form}; form is the program's whole output
line, brackets included. Go's forms (%q of a []rune, "% #x") are made by
the test itself.
"""
import json, os, subprocess, tempfile

SECRETS = [
    "Zq9xK2mP8vL4nR6tY1wQ",                        # plain
    "pa55w0rd",                                    # the shortest
    "Zq9 p@ss\"w'o\\rd$x`!&<#%+=/end",             # every character escapers touch
    "Ab3x\u00e9\u20acYz7w-CANARY",                 # non-ASCII in the BMP
    "Ab3x\U0001F600Yz7w-CANARY",                   # outside the BMP (no Java form)
    "tab\there-s3cr3t\n",                           # \t, and \n at its end (a file read whole)
]

JAVA = r"""
import java.util.*;
public class Review18 {
    public static void main(String[] a) throws Exception {
        String s = new String(Base64.getDecoder().decode(a[0]), "UTF-8");
        String mode = a[1];
        java.io.PrintStream out = new java.io.PrintStream(System.out, true, "UTF-8");
        if (mode.equals("chars")) out.println(Arrays.toString(s.toCharArray()));
        if (mode.equals("list")) out.println(new ArrayList<Character>() {{ for (char c : s.toCharArray()) add(c); }});
        if (mode.equals("hex")) out.println(java.util.HexFormat.ofDelimiter(" ").withPrefix("0x").formatHex(s.getBytes("UTF-8")));
    }
}
"""

RUST = r"""
use std::io::Read;
fn main() {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).unwrap();
    let v: Vec<char> = s.chars().collect();
    println!("{:?}", v);
}
"""


def run(cmd, data, env=None):
    e = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    e.update(env or {})
    r = subprocess.run(cmd, input=data.encode(), capture_output=True, env=e, check=True)
    return r.stdout.decode().rstrip("\n")


def main():
    out = []
    tmp = tempfile.mkdtemp()
    with open(os.path.join(tmp, "Review18.java"), "w") as f:
        f.write(JAVA)
    subprocess.run(["javac", "-d", tmp, os.path.join(tmp, "Review18.java")], check=True)
    with open(os.path.join(tmp, "r.rs"), "w") as f:
        f.write(RUST)
    subprocess.run(["rustc", "-O", "-o", os.path.join(tmp, "r"), os.path.join(tmp, "r.rs")], check=True)
    import base64
    for s in SECRETS:
        def add(enc, form):
            out.append({"secret": s, "encoder": enc, "form": form})
        add("python repr(list(s))", repr(list(s)))
        add("python json.dumps(list(s), ensure_ascii=False)", json.dumps(list(s), ensure_ascii=False))
        add("python ' '.join(f'{c:#04x}')", " ".join(f"{c:#04x}" for c in s.encode()))
        add("node JSON.stringify([...s])", run(["node", "-e", "let s=require('fs').readFileSync(0,'utf8');console.log(JSON.stringify([...s]))"], s))
        add("ruby p s.chars", run(["ruby", "-e", "p STDIN.read.force_encoding('UTF-8').chars"], s))
        add("ruby puts s.chars.to_json", run(["ruby", "-rjson", "-e", "puts STDIN.read.force_encoding('UTF-8').chars.to_json"], s))
        add("rust {:?} of Vec<char>", run([os.path.join(tmp, "r")], s))
        b64 = base64.b64encode(s.encode()).decode()
        add("java HexFormat.ofDelimiter(\" \").withPrefix(\"0x\")", run(["java", "-cp", tmp, "Review18", b64, "hex"], ""))
        if all(ord(c) <= 0xFFFF for c in s):
            add("java Arrays.toString(char[])", run(["java", "-cp", tmp, "Review18", b64, "chars"], ""))
            add("java List<Character>.toString()", run(["java", "-cp", tmp, "Review18", b64, "list"], ""))
    with open("review18.json", "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
