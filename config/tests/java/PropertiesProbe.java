import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Properties;

/**
 * Loads every input of a batch with java.util.Properties.load(InputStream), the call Kafka uses
 * for its server configs, and writes back what it read, for config/tests/properties_java.
 *
 * <p>Input file: int count, then per input an int length and that many raw bytes.
 *
 * <p>Output file, per input in the same order: byte 0, int entry count, then per entry the key
 * and the value, each as int length in UTF-16 code units followed by the units (big-endian).
 * Raw code units, not UTF-8, because a backslash-u escape can produce an unpaired surrogate, which
 * no UTF encoding carries. Or, when load throws: byte 1, the exception's class name and message
 * (writeUTF). All ints are big-endian (DataOutputStream).
 */
public final class PropertiesProbe {
    public static void main(String[] args) throws IOException {
        try (DataInputStream in =
                        new DataInputStream(new BufferedInputStream(new FileInputStream(args[0])));
                DataOutputStream out =
                        new DataOutputStream(
                                new BufferedOutputStream(new FileOutputStream(args[1])))) {
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                byte[] input = new byte[in.readInt()];
                in.readFully(input);
                probe(input, out);
            }
        }
    }

    private static void probe(byte[] input, DataOutputStream out) throws IOException {
        Properties properties = new Properties();
        try {
            properties.load(new ByteArrayInputStream(input));
        } catch (RuntimeException | IOException e) {
            out.writeByte(1);
            out.writeUTF(e.getClass().getName());
            out.writeUTF(String.valueOf(e.getMessage()));
            return;
        }
        out.writeByte(0);
        out.writeInt(properties.size());
        for (Map.Entry<Object, Object> entry : properties.entrySet()) {
            writeUnits((String) entry.getKey(), out);
            writeUnits((String) entry.getValue(), out);
        }
    }

    private static void writeUnits(String text, DataOutputStream out) throws IOException {
        out.writeInt(text.length());
        out.writeChars(text);
    }
}
