// Classes writes what Java's encoders produce for the texts on standard
// input (one per line, as hex of their UTF-8), one line per text and
// encoder: encoder, a tab, and the output in base64. Run by classes.py:
// java Classes.java < in > out (Java 17+).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

public class Classes {
  static void out(String encoder, byte[] b) {
    System.out.println(encoder + "\t" + Base64.getEncoder().encodeToString(b));
  }

  static void out(String encoder, String s) {
    out(encoder, s.getBytes(StandardCharsets.UTF_8));
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      byte[] raw = HexFormat.of().parseHex(line);
      String s = new String(raw, StandardCharsets.UTF_8);
      out("Java getBytes(UTF_16LE)", s.getBytes(StandardCharsets.UTF_16LE));
      out("Java getBytes(UTF_16BE)", s.getBytes(StandardCharsets.UTF_16BE));
      out("Java getBytes(UTF_16) (BOM, big-endian)", s.getBytes(StandardCharsets.UTF_16));
      out("Java Base64 of UTF_16LE", Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_16LE)));
      out("Java MIME Base64 of UTF_16LE (76, CRLF)", Base64.getMimeEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_16LE)));
      for (String sep : new String[] {":", " ", "-", ",", ", "}) {
        out("Java HexFormat.ofDelimiter(\"" + sep + "\")", HexFormat.ofDelimiter(sep).formatHex(raw));
        out("Java HexFormat.ofDelimiter(\"" + sep + "\").withUpperCase()", HexFormat.ofDelimiter(sep).withUpperCase().formatHex(raw));
      }
      for (String sep : new String[] {",", ", "}) {
        out("Java HexFormat.ofDelimiter(\"" + sep + "\").withPrefix(\"0x\")", HexFormat.ofDelimiter(sep).withPrefix("0x").formatHex(raw));
        out("Java HexFormat.ofDelimiter(\"" + sep + "\").withPrefix(\"0x\").withUpperCase()", HexFormat.ofDelimiter(sep).withPrefix("0x").withUpperCase().formatHex(raw));
      }
    }
  }
}
