// Package secrets gives CI jobs just-in-time, identity-bound, job-scoped
// credentials, and masks them in log output.
//
// A [Broker] hands out leases ([Lease]): a job, known by its verified
// [identity.Identity], asks for a named secret; the broker checks the kill
// switch ([audit.CompromiseChecker]) and an [Authorizer] (the seam where a
// policy engine plugs in; secrets links none), asks a [Backend] to fetch or
// mint the secret, records the lease durably, registers the value with a
// [Masker], audits, and returns the lease: a self-redacting [Value], a TTL,
// renewal, and a revoke handle. Leases belong to a [Job], and everything a
// job holds is revoked when it ends — [Job.End] on success or failure, the
// cancellation or deadline of the job's context, or, after a crash,
// [Broker.Recover] from the durable record ([WithJournal]).
//
// In a fleet, [WithLeaseRegistry] records every lease in a shared
// [LeaseRegistry] under the runner that holds it, with a heartbeat
// ([WithLeaseHeartbeat]); a [Reaper] on any node claims and revokes the
// leases of a runner whose heartbeat stopped, exactly once however many
// reapers run, and never a live runner's (subpackages natslease and
// pglease hold the registry in NATS JetStream KV or PostgreSQL). A
// [LeaseLedger] records which leases each job received, without values, for
// the build's secrets provenance (attest/secretsprov).
//
// Backends: [Static] and [Env] for development; [Dir] for files, such as a
// mounted Kubernetes Secret volume, that only root or the broker's user
// could have written (another user's file, a group- or world-writable
// file or directory, a FIFO or a link out of the directory is
// [ErrUnsafeSecretFile]); [BackendFunc] for a vendor's own (cloud STS);
// the subpackages postgres (per-lease database roles) and vault
// (Vault/OpenBao through the official client).
//
// A [Redactor] masks registered values — raw and encoded, split across
// writes or spread over lines — in a stream, through [RedactWriter]; a
// token redactor ([NewTokenRedactor]) writes "[secret:NAME:TAG]" instead of
// "***" (without NAME where the token would spell a registered value in
// any form listed below: a token is written out unsearched) and
// reports each occurrence, so a log says which secret appeared (TAG is
// keyed by the job and the secret's name as given, never the value, so
// two names that NAME shows alike, "db pass" and "db_pass", still carry
// different tags). Registering a value ([Redactor.AddSecret]) rebuilds the
// matcher the writers share, at a cost that grows with the values already
// registered; [Redactor.AddSecrets] registers many with one build, and
// writers see all of them at once, never some.
//
//	red := secrets.NewRedactor()
//	broker, _ := secrets.New(authz, backend,
//		secrets.WithMasker(red), secrets.WithJournal(dir), secrets.WithAudit(sink))
//	_, _ = broker.Recover(ctx) // leases a crashed predecessor left behind
//	logs := red.NewWriter(os.Stdout)
//	err := broker.Run(ctx, secrets.JobSpec{ID: jobID, Identity: who}, func(ctx context.Context, job *secrets.Job) error {
//		l, err := job.Lease(ctx, "db")
//		if err != nil {
//			return err // denied or backend failed: nothing granted
//		}
//		v, err := l.Value()
//		...
//	}) // every lease revoked here
//
// # Security contract
//
//   - Fail closed: an authorizer error, a compromised identity, a backend
//     failure or timeout, an audit sink that cannot record an issuance, or a
//     value too short to mask ([MinMaskLen]) while a masker is wired in: no
//     lease.
//   - A secret name that is empty, longer than [MaxNameLen], not UTF-8, or
//     holds a control or invisible (format) character is refused
//     ([ErrInvalidName]) before the kill switch, the authorizer or a
//     backend sees it: such a name can read one way to policy and another
//     to a backend. MaxNameLen is a lease registry's field bound
//     ([MaxLeaseField]), so a name policy allows is one the registry can
//     record. The refusal is audited under the name quoted and clipped,
//     which the audit log accepts.
//   - Values never appear in errors, logs, audit events (lease id and secret
//     name only), the durable record, or the printed/JSON form of any type;
//     [Value.Reveal] is the only way to read one. Revocation wipes the bytes.
//     A backend whose [Grant.LeaseID] holds the value it grants (a token
//     named by itself; values under [MinMaskLen] are not looked for) gets
//     the grant revoked by that id and refused ([ErrSecretLeaseID]): lease
//     ids go everywhere values must not.
//   - The lease id is recorded (fsync'd) before the backend is asked, so a
//     crash at any point leaves nothing Recover cannot find at a backend
//     that names what it creates by [Request.LeaseID] (postgres). A
//     backend's own id ([Grant.LeaseID], as Vault's) is recorded once the
//     backend has answered; what a crash in between leaves ends with its
//     TTL at the backend. Records of one job are written one at a time,
//     whatever its leases do concurrently. Revocation
//     failures are retried with backoff, returned as [*RevokeError], audited
//     and kept in the record; they are never dropped.
//   - Whoever else can write or replace the record directory can hide a
//     lease from Recover (a credential that outlives its job) or name
//     another's for it to revoke, so [WithJournal] takes only a directory
//     that passes OpenSSH's rule for ~/.ssh (every directory from / owned
//     by root or the broker's user, those above writable by others only if
//     sticky, the journal's own not at all; links resolved and checked
//     once), else [ErrUnsafeJournal]. Records are created 0600 (never
//     through a link), and Recover lists the directory (no glob) and reads
//     only records that are regular files the broker's user owns and group
//     and others cannot write, opened without following a link or blocking
//     on a FIFO: any other is refused ([ErrUnsafeJournal], wrapping
//     [ErrJournal]), left for inspection, and nothing it names revoked.
//   - Revoked, expired and already-read single-use leases, and the leases of
//     a job that has ended (even where the revocation failed), do not yield
//     their value; an ended job's lease is not renewed. The kill switch is
//     checked again once the backend has answered, and at every
//     [Lease.Value]: the value is handed out there, and a marked identity's
//     lease yields none ([ErrCompromised]) even where nothing wired the mark
//     to [Broker.RevokeIdentity] (what the job read before the mark, it
//     has). RevokeIdentity ends the identity's jobs and has
//     [Broker.Begin] refuse new ones ([ErrCompromised]) for a hold
//     ([WithRevokedHold], default the lease TTL; past 10000 identities
//     held, every job, fail closed): denying them leases for as long as
//     the mark stands takes the checker, which refuses the marked
//     identity's new jobs at Begin too. RevokeIdentity reaches the jobs of
//     the Broker it is called on only (not the fleet's lease registry):
//     call it on every replica. A refused Begin is audited
//     ([ActionJobDeny]; no token in it) and stands if the audit fails. [Job.End] revokes the leases already issued before it waits
//     for issuances under way, and an issuance that completes after its job
//     ended revokes its own lease.
//   - A renewal is a new request: the kill switch and the [Authorizer] are
//     asked again for the same identity, job and secret name
//     ([Request.Renewal] set, [Request.LeaseID] the lease's). A mark, a
//     deny or an authorizer error fails the renewal and revokes the lease
//     at once, rather than leave it to its expiry: a grant the broker can
//     no longer justify (policy changed, identity marked, engine down)
//     must not keep a working credential for the rest of its TTL. A
//     revocation that fails then stays outstanding for [Job.End] and
//     [Broker.Recover], as any other.
//   - Shortest lifetime: the TTL asked of the backend, at issue and at
//     every renewal, is at most the broker's ([WithTTL]) whatever ttl the
//     job passes to [Lease.Renew], and ends no later than the deadline of
//     the job's context as it is when the backend is asked (after the
//     authorizer, the lease registry and the durable record have answered,
//     and after a renewal waited for another of the same lease), so a
//     lease whose revocation fails at the job's end (the backend is down)
//     still dies with the job at a backend that honours the TTL. Whatever
//     a backend answers, the broker holds the lease to what it asked: a
//     longer TTL ([Grant.TTL], a [Renewer]'s), or none (0, as [Static]
//     sets), from any backend, a vendor's own included, lengthens neither
//     [Lease.ExpiresAt] and what [Lease.Renew] returns, nor the time the
//     value can be read, nor the expiry recorded in the lease registry.
//
// # What the redactor masks
//
// A registered value (at least [MinMaskLen] bytes) is masked wherever it
// appears in the stream, in each of these forms:
//
//   - raw; also without the whitespace around it, and without the quotes
//     around that (the shell's unquoted $V, read, YAML, .strip() and
//     dotenv drop them); for a multi-line value (lines ending in LF, CRLF
//     or a lone CR) also with LF or CRLF line endings, and each line of at
//     least MinMaskLen bytes on its own, with or without its indentation;
//   - all upper case, all lower case (a hex key that .NET's
//     Convert.ToHexString or certutil writes again, ${v^^}; a service
//     that reads a token without regard to case takes either), and
//     reversed (a bidi override, U+202E, draws it forwards in a browser);
//   - with terminal control sequences inside it, which a log viewer that
//     renders colour (GitHub Actions, GitLab, Jenkins' AnsiColor,
//     Buildkite) hides: SGR colours, erase in line, OSC 8 links, ESC ( B,
//     as grep --color=always writes them around a match inside a token,
//     syntax highlighters (pygments, rich) between the tokens of a line,
//     and coloured loggers; in the forms matched as they are (raw, base64,
//     base32, UTF-16, quotes doubled or spliced), up to five bytes of
//     sequences a byte of the value. The mask takes the sequences inside
//     the value with it (a colour reset there is lost);
//   - with invisible characters inside it (Unicode's default-ignorable
//     characters: zero-width space and joiners, word joiner, the byte
//     order mark, the soft hyphen, bidi controls, variation selectors, tag
//     characters, U+034F, U+180E, Hangul fillers), which a browser draws as
//     nothing, so a web log viewer shows the value whole, and with the C0
//     control characters and DEL that a terminal neither draws nor moves
//     the cursor for (NUL, BEL, SO, SI, CAN, SUB, ...: all but \b, \t,
//     \n, \v, \f, \r and ESC), so that cat of a raw log shows it whole;
//     and with characters erased by backspaces between its characters
//     ("pX\ba…", nroff's overstruck "p\bpa\ba…" and "_\bp_\ba…"), which
//     a terminal draws as the value; mixed with
//     control sequences too, in the same forms and within the same five
//     bytes a byte. Only those inside the value are taken by the mask:
//     text around it, invisible characters included, is written as it
//     came. A value that holds invisible characters itself is also masked
//     written without them. Invisible characters written escaped between
//     the value's characters are removed as the raw ones are: \u200b,
//     \u{200b}, \x{200b}, \xe2\x80\x8b, octal, %E2%80%8B, %u200B,
//     &#8203;, &#x200b; and named references (&ZeroWidthSpace;, &shy;),
//     alone or in runs, in the escaped forms below (not in base64, hex or
//     hex dumps, which show bytes). However many there are and however
//     the writes split the stream: the writer holds back, besides the
//     hold-back, the invisible characters and control sequences it holds
//     (up to four hold-backs of them, so at least 24 bytes a byte of the
//     value); where more than that are invisible characters, it masks the
//     text it settles as [Mask] (also for a token-writing Redactor; the
//     occurrence hook gets an [Occurrence] with Unidentified set and no
//     name: no secret is known there), from a hold-back's worth of other
//     bytes before them to as many after, rather than hold more. Where
//     more than that are control sequences, it reads what it holds with
//     them removed: a value found there is masked as itself, and where
//     what it settles ends in the start of a form of a value (raw, case,
//     reversed, base64, ...: the forms matched as they are) that runs on
//     into what it holds, that start is masked as [Mask] (an Unidentified
//     occurrence), and so is what follows while it goes on spelling that
//     form, up to the form's length: text around it, and a coloured log
//     that spells no such start, is written as it came;
//   - percent-encoded by any encoder, whatever it leaves raw
//     (encodeURIComponent, encodeURI, URLSearchParams, Python quote,
//     quote_plus and urlencode, Go QueryEscape and PathEscape, PHP
//     urlencode and rawurlencode, Java URLEncoder, Ruby CGI.escape,
//     URI.encode_www_form_component and ERB::Util.url_encode), with
//     upper-, lower- or mixed-case hex, space as %20 or +; and as
//     JavaScript's escape() writes it (Latin-1 %E4, %u20AC); and
//     percent-encoded twice by any two of those (p%2540ss, a space as
//     %2520 or %2B): a URL with an encoded password inside a query
//     parameter, or logged by @actions/core in a workflow command
//     (::warning::, ::error::, ::debug::), which writes % as %25;
//   - as HTML and XML character references: &amp; &lt; &gt; &quot;
//     &apos;, every other named HTML reference (&auml;, &euro;), &#NN; and
//     &#xHH; in either case, for some characters or (for a value that
//     holds &<>"' or a non-ASCII character) all: JUnit XML reports
//     and other XML (Python's html.escape, xml.sax.saxutils and
//     ElementTree, PHP's htmlspecialchars and htmlentities, Ruby's
//     CGI.escapeHTML, Java's XMLStreamWriter, Go's html and encoding/xml)
//     and HTML error pages that echo a URL;
//   - backslash-escaped by any encoder, whatever it escapes: every JSON
//     escape (\uXXXX of any character in either hex case, surrogate pairs,
//     \/, Python's \u00e4 for non-ASCII, Go's \u003c and \u0026), Go,
//     Python (repr, ascii(), unicode_escape: \xe4 is "ä"), JavaScript
//     (\u{…}), Perl (\x{…}, quotemeta, Data::Dumper), Ruby, Java
//     Properties and C string literals (\xHH, octal, \UXXXXXXXX), YAML
//     double-quoted scalars (\N, \_, \L, \P), shell double quotes, bash
//     $'…' and printf %q;
//   - shell-quoted as GNU coreutils writes it (its printf %q, ls, and the
//     file names in the diagnostics of rm, cp, mv, stat), in '…' and $'…'
//     runs side by side ('Gr'$'\303\274'…), also after text whose quotes
//     the shell would not pair as written (Python's 'it\'s', or an
//     apostrophe after another value's quoting), and as zsh 5.9's
//     quoting flags write it: ${(q)v} (a\ b$'\n'c, it\'s), (qq), (qqq),
//     (qqqq), (q-) (a quote outside quotes as \', the rest in '…') and
//     (q+) ($'…' with \C-x and \M-x), also right after an apostrophe or
//     prose (couldn't) that the shell would pair with a quote of the
//     value;
//   - shell single-quoted, each quote of the value closing the quoting,
//     escaped and reopening it (as sh, bash's ${v@Q} and set -x, and PHP's
//     escapeshellarg write it, or as Python's shlex.quote does, with the
//     quote in double quotes), also with each '!' so ('\!': git's quoting
//     of the arguments GIT_TRACE shows, a clone URL's password or git
//     config's value), and each newline quoted as Ruby's
//     Shellwords.escape writes it;
//   - with each quote doubled inside quotes of its kind (SQL literals,
//     YAML single-quoted scalars, PowerShell, CSV); with each '$' doubled
//     (docker compose config, Jenkins, make) or each '%' doubled (systemd
//     unit files, Python's configparser, printf formats);
//   - hex of the whole value, all lower or all upper case: the digits
//     alone; with ":", " ", "-", "," or ", " between bytes (Go's "% x",
//     Python's bytes.hex(":"), Java's HexFormat.ofDelimiter, od -An -tx1
//     and xxd -g1 on one line, fingerprints); each byte as 0xHH with ",",
//     ", " or " " between (xxd -i, C and Java arrays, HexFormat with prefix
//     0x, Go's "% #x", printf("0x%02x ") loops), and as Go's %#v of a
//     []byte writes it (0x0 for a zero byte); \xHH bytes are backslash
//     escapes (above);
//   - hex dumps, lower case, at the tools' default widths, of a file or
//     stream holding the value at any offset: xxd -p (30 bytes a line,
//     LF line breaks); and those with a space between bytes, 16 a line,
//     with or without offsets and an ASCII column: hexdump -C, Go's
//     hex.Dump, od -tx1 (-An, -Ax, -z), xxd -g1 and curl --trace (its
//     ASCII column one space after the last byte). The mask runs from the
//     value's first hex digit to its last byte in the ASCII column, taking
//     the lines in between with it;
//   - decimal bytes of the whole value with " ", "," or ", " between (Go's
//     %v of a []byte, Python's list(b), Ruby's bytes.inspect, Rust's {:?},
//     Node's JSON of a Buffer and Uint8Array.toString()), and signed as
//     Java's Arrays.toString(byte[]) and Kotlin's contentToString() write
//     them, if that spelling is at least 2*MinMaskLen bytes (it is unless
//     most bytes are below 10);
//   - for a value of one line (but for whitespace around it), as a list of
//     its characters: ", " between them as they are (Java's
//     Arrays.toString of a char[], the type Console.readPassword and
//     KeyStore hand a password in; Kotlin's contentToString and toList,
//     Scala's toList); each in single quotes with ", " between (Python's
//     list(s), Rust's {:?} of its chars) or " " (Go's %q of a []rune); each
//     in double quotes with ", " or "," between (Ruby's chars, the JSON of
//     an array of characters: JSON.stringify([...s]), json.dumps with
//     ensure_ascii=False); each character as the language writes it (a
//     quote or a backslash escaped, \t, \n and \r);
//   - base64, standard and URL alphabets, padded or not, starting at any of
//     the three byte offsets inside a longer base64 string (so
//     "user:VALUE" in a Basic auth header is masked); and base64 in the
//     standard alphabet wrapped into lines of 60, 64 or 76 characters, as
//     base64, openssl, PEM and MIME encoders and Ruby's encode64 write it,
//     with LF or CRLF line breaks, indented or not, with the lines joined
//     by spaces (echo $(base64 f)), or with text of the same width before
//     each line, ending in a space or tab (up to 40 bytes: the timestamps
//     of GitHub Actions' and GitLab's raw logs, BuildKit's "#7 0.254 ",
//     docker compose's "web-1  | ", kubectl logs --prefix);
//   - base32, standard and "hex" alphabets (RFC 4648), upper case, padded
//     or not, starting at any of the five byte offsets inside a longer
//     base32 string, and wrapped into lines as base64 is (GNU base32 and
//     basenc wrap at 76);
//   - UTF-16, little- or big-endian, with or without a BOM (PowerShell,
//     .NET, Windows tools, iconv; the mask may take the zero byte of an
//     ASCII character next to the value), and base64 (standard alphabet,
//     padded or not, at any of the three offsets, wrapped or not) of
//     UTF-16LE: PowerShell's -EncodedCommand and
//     [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes(…));
//   - these chains: base64 that was then percent-encoded (a token in a
//     query string); a percent-encoded value in a JSON or backslash-escaped
//     shell string (Go's json.Marshal of a URL built with PathEscape
//     writes its '&' as \u0026; printf %q of encodeURIComponent); a JSON or
//     backslash-escaped string that was then shell single-quoted.
//   - for a value that is a JSON object (a GCP service-account key, a
//     Docker config.json, an Azure SDK auth file, a kubeconfig or AWS
//     credentials in JSON), every form above of the string values of its
//     members whose names mark secret material, registered under the
//     value's name (tokens name the document), so that jq -r .private_key,
//     jq -r '.auths[].auth' | base64 -d and a tool printing one member are
//     masked: private_key, client_secret, password, passphrase, secret,
//     secret_key, secret_access_key, session_token, token, access_token,
//     refresh_token, id_token, identitytoken, registrytoken, api_key,
//     credential and credentials; client-key-data and privateKeyData
//     (base64), also decoded (the key base64 -d prints from a kubeconfig;
//     GCP's key file, read as a document in turn); and Docker's auth, if it
//     is base64 of user:password: it, user:password and the password. Names
//     are compared in lower case without '_', '-' and '.' (clientSecret,
//     client-secret), at any depth up to 16 levels, also in a document held
//     in a string member ({"GOOGLE_CREDENTIALS": "{…}"}). Only names say
//     what is secret, and the list is kept short: a mask over text that
//     ordinary logs hold hides it and, where it falls, tells a reader that
//     text is part of the secret. So identifiers (private_key_id: a key id
//     is public, the kid of every token the key signs; client_id, access
//     key ids), user names, emails, URIs and endpoints, project, tenant and
//     subscription ids, certificates (client-certificate-data), file paths
//     (kubeconfig's client-key, tokenFile) and "key" (as often the key of
//     a tag or label: {"key": "environment"}) are never registered; nor is
//     a secret member's value that is shorter than MinMaskLen (left out
//     without a refusal: the document itself is registered), one byte
//     repeated (a placeholder such as ********), an email address, or a
//     URL without a password.
//
// It does not mask (the list is pinned by TestRedactNotMasked and the
// tests named after it):
//
//   - a value that was transformed rather than encoded: Unicode
//     normalisation (NFD vs NFC, and compatibility forms such as full-width
//     letters), case changes other than all upper or all lower, rot13 and
//     other letter substitutions, truncation, a value split by
//     inserted characters (node's util.inspect of a long multi-line string,
//     YAML's folding of a long line or at U+2028), characters dropped or
//     replaced (the WHATWG URL parser drops tabs and newlines and turns \
//     into /; Python's backslashreplace leaves the value's own backslashes
//     unescaped);
//   - each character separated by a space, '-', a newline or any other
//     one separator other than the lists above, or by a visible character
//     a browser draws narrow (U+00A0, U+2009, combining marks);
//   - control sequences (without invisible characters) taking more than
//     five bytes a byte of the value, in the escaped, hex and wrapped
//     forms; in the forms matched as they are, past four hold-backs, the
//     value is masked from its start (see above), so that text which ends
//     in the first characters of a value's form and is followed by more
//     than four hold-backs of control sequences alone is masked as
//     [Mask] from there, as far as it spells that form;
//   - what only a terminal would draw over: carriage returns and cursor
//     movement that overwrite part of a line (log viewers show the bytes,
//     or the last overwrite only), backspaces with control sequences or
//     invisible characters between them and what they erase, and a value
//     that holds ESC itself;
//   - chains of encodings other than those above: a value percent-encoded
//     three times or backslash-escaped twice (a JSON document in a JSON
//     string), character references or control sequences together with
//     another escape (a JSON string in an XML attribute, colour inside a
//     percent-encoded URL), base64 of an escaped form (a password holding
//     "&<>\ in the .dockerconfigjson that kubectl create secret
//     docker-registry -o yaml prints: JSON-escaped, then base64; its
//     "auth", base64 of user:password encoded again, is base64 of base64,
//     whatever the password holds), hex, base32 or base64
//     of a part of the value, UTF-16 encoded again other than as standard
//     base64 of UTF-16LE (base64 of UTF-16BE, URL-safe base64, hex or base32
//     of UTF-16), UTF-16 of a value that is not UTF-8, mixed-case hex of the
//     whole value, hex in groups of bytes (fmt's "%x %x" of two parts,
//     Python's bytes.hex(" ", 2) and bytes.hex(":", 2)), hex dumps other
//     than those above: xxd's default, in pairs of bytes (4142 4344; its
//     ASCII column masks a printable value on one line, but not its hex),
//     hexdump's default and od -x, in 16-bit words, dumps in upper case
//     (xxd -u), with CRLF line breaks in xxd -p, with text before each line
//     (a timestamp), or with repeated lines squeezed into "*" (hexdump -C,
//     od), at other widths (xxd -c, od -w: narrower ones are not read, and
//     wider ones only when the writer holds all the lines of the value at
//     once), characters spaced out (od -c) and octal bytes (od -b); hex
//     with other separators or prefixes (0XDE, Python's list of hex()
//     strings, \xHH escapes with a space between), decimal bytes in
//     aligned columns (od -An -tu1, Node's console.log of a Uint8Array),
//     gzip, and anything encrypted;
//   - lists of the value's characters other than those above: laid out
//     in rows (Node's console.log of [...s] breaks one of more than six
//     entries so) or one a line (PHP's print_r(str_split(s))), with
//     non-ASCII characters escaped (json.dumps's default \u00e9), with a
//     control character other than \t, \n and \r, of a value of several
//     lines or of its lines, or with a character outside the BMP in a Java
//     char[] (two halves of a surrogate pair);
//   - other escapes: cmd.exe's caret escapes (^&, ^^), PowerShell's
//     backtick escapes (a backtick before '$' or before itself), cat -v's
//     M- notation of bytes above 0x7F, and Markdown's \_ (read as YAML's
//     escape of a non-breaking space);
//   - other encodings: lower-case base32 (coreutils, Python and Go write
//     upper case, and its fragments would add over a third to the patterns),
//     quoted-printable (rare in CI logs; its =XX escape is what key=12 looks
//     like, so decoding around it would decode most of a log), ascii85,
//     uuencode, UTF-32;
//   - a value wrapped into lines other than as its base64 or base32 is
//     (above): curl --trace-ascii writes what it sends 64 bytes a line
//     after each line's offset, so a header holding a token longer than
//     the rest of its line (an OIDC token or JWT) is split (the writer
//     would have to read every line of a log for such offsets, and a short
//     token leaves no block whole to trigger on); it also writes bytes
//     outside ' '..'~' as '.', and git's GIT_TRACE_CURL does the same
//     at 60 bytes a line;
//   - base64 and base32 wrapped at other widths; and in wrapped base64 or
//     base32, a value whose encoding is split by a single line break that
//     is a CRLF, indented, a space or has text before the next line into
//     two parts each shorter than 48 characters and than the shortest
//     value (or line of a multi-line value) registered; and wrapped lines
//     whose text before each line changes width at a break (BuildKit's
//     elapsed time passing ten seconds), is longer than 40 bytes, does not
//     end in a space or tab, or is all base64 characters and '=';
//   - characters up to U+00FF written as one escape each (\xe4, %E4) when
//     those escapes also spell UTF-8 (a letter from Â to ô followed by
//     characters from U+0080 to U+00BF): they are read as UTF-8 only;
//   - an escaped form longer than six bytes per byte of the value (which no
//     encoder above writes; but control sequences adding up to more than
//     five bytes a byte, and named references such as &dollar; for an
//     ASCII character), or one whose first byte is itself escaped by a
//     backslash the writer already wrote out more than a hold-back earlier;
//   - a value that holds none of &<>"' and no non-ASCII character, written
//     with every character as a reference (&#112;&#97;…), which no escaper
//     does by default: references are looked for only while a registered
//     value holds a character that escapers escape (looking for '&' in
//     every log cost a twentieth of the writer's time);
//   - a line of a multi-line value shorter than MinMaskLen, where the
//     value is not complete around it;
//   - members of a structured value other than those above: of a YAML
//     document (a kubeconfig as kubectl writes it; the package parses no
//     YAML, so only the document and its lines are masked), of a value
//     that is not strictly one JSON object in UTF-8 of at most 64 KiB (a
//     JSON array, text after the object, JSON Lines), nested deeper than 16
//     levels, strings in an array under a secret member's name, what one
//     document adds beyond its first 64 values, other base64 members
//     decoded (a Kubernetes Secret's data), Docker's user name, and a
//     secret member too short to mask;
//   - a value shorter than MinMaskLen (refused and reported instead), and a
//     value part of which was already written out when the rest arrived:
//     written out by [RedactWriter.Flush], or before the value was added
//     with AddMask. (A writer flushed at every line break still masks each
//     line of at least MinMaskLen bytes of a multi-line value, but not
//     wrapped base64 of it.)
//
// The redactor is a guard against accidental disclosure. A job that means
// to leak a value it can read can always encode it some other way; stopping
// that is the job of egress control and of not giving the job the value.
//
// Memory is bounded by seven hold-backs, a hold-back being about six times
// the longest value (or five times plus 150 bytes, what its hex dump
// takes, if that is more), plus the largest single write, and time is linear in the input for every
// input, including a value repeated back to back.
package secrets
