// Enc writes what Java's encoders produce for the secrets in a JSON array
// (argument 1) as a JSON object {secret: {encoder: form}} (argument 2).
// Run by gen.py: java Enc.java in.json out.json (Java 17+).
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

public class Enc {
  // read parses a JSON array of strings as gen.py writes it (ASCII, \\uXXXX escapes).
  static List<String> read(String t) {
    List<String> l = new ArrayList<>();
    for (int i = 0; i < t.length(); i++) {
      if (t.charAt(i) != '"') continue;
      StringBuilder b = new StringBuilder();
      for (i++; t.charAt(i) != '"'; ) {
        char d = t.charAt(i);
        if (d != '\\') { b.append(d); i++; continue; }
        char e = t.charAt(i + 1);
        switch (e) {
          case 'u': b.append((char) Integer.parseInt(t.substring(i + 2, i + 6), 16)); i += 6; continue;
          case 'n': b.append('\n'); break;
          case 't': b.append('\t'); break;
          case 'r': b.append('\r'); break;
          case 'b': b.append('\b'); break;
          case 'f': b.append('\f'); break;
          default: b.append(e);
        }
        i += 2;
      }
      l.add(b.toString());
    }
    return l;
  }

  static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  // property returns the value of key k as Properties.store writes it, to a
  // Writer (non-ASCII raw) or to an OutputStream (non-ASCII as \\uXXXX).
  static String property(String s, boolean stream) throws Exception {
    Properties p = new Properties();
    p.setProperty("k", s);
    String text;
    if (stream) {
      ByteArrayOutputStream w = new ByteArrayOutputStream();
      p.store(w, null);
      text = w.toString(StandardCharsets.ISO_8859_1);
    } else {
      StringWriter w = new StringWriter();
      p.store(w, null);
      text = w.toString();
    }
    for (String l : text.split("\n")) if (l.startsWith("k=")) return l.substring(2).replaceAll("\r$", "");
    return null;
  }

  public static void main(String[] a) throws Exception {
    StringBuilder o = new StringBuilder("{");
    for (String s : read(Files.readString(Path.of(a[0])))) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      String[][] fs = {
        {"URLEncoder.encode", URLEncoder.encode(s, StandardCharsets.UTF_8)},
        {"Properties.store(Writer)", property(s, false)},
        {"Properties.store(OutputStream)", property(s, true)},
        {"HexFormat", HexFormat.of().formatHex(b)},
        {"HexFormat upper", HexFormat.of().withUpperCase().formatHex(b)},
      };
      if (o.length() > 1) o.append(",");
      o.append(q(s)).append(":{");
      for (int i = 0; i < fs.length; i++) {
        if (i > 0) o.append(",");
        o.append(q(fs[i][0])).append(":").append(q(fs[i][1]));
      }
      o.append("}");
    }
    Files.writeString(Path.of(a[1]), o.append("}").toString());
  }
}
