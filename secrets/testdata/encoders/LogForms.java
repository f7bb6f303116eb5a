// LogForms writes what Java writes for the texts on standard input (one per
// line, as hex of their UTF-8), one line per text and encoder: encoder, a
// tab, and the output in base64. Run by logforms.py: java LogForms.java
// < in > out (Java 17+).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamWriter;

public class LogForms {
  static void out(String encoder, String s) {
    System.out.println(encoder + "\t" + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)));
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String s = new String(HexFormat.of().parseHex(line), StandardCharsets.UTF_8);
      out("Java Arrays.toString(getBytes(UTF_8))", Arrays.toString(s.getBytes(StandardCharsets.UTF_8)));
      // A JUnit-style report: the failure message as an attribute, the
      // output as text.
      StringWriter w = new StringWriter();
      XMLStreamWriter x = XMLOutputFactory.newInstance().createXMLStreamWriter(w);
      x.writeStartElement("failure");
      x.writeAttribute("message", s);
      x.writeCharacters(s);
      x.writeEndElement();
      x.close();
      out("Java XMLStreamWriter", w.toString());
      out("Java URLEncoder.encode twice", URLEncoder.encode(URLEncoder.encode(s, StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    }
  }
}
