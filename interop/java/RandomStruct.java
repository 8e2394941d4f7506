// Random values for every field of a Kafka protocol schema (including tagged fields, null where
// the type is nullable, empty and non-empty arrays), written with Kafka's generic schema writer.

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.types.BoundField;
import org.apache.kafka.common.protocol.types.Field;
import org.apache.kafka.common.protocol.types.Schema;
import org.apache.kafka.common.protocol.types.Struct;
import org.apache.kafka.common.protocol.types.TaggedFields;
import org.apache.kafka.common.protocol.types.Type;

final class RandomStruct {
    private static final String[] WORDS = {
        "", "a", "CONTROLLER", "__raft_performance_test", "node-1.example", "10.0.0.1",
        "kraft.version", "caf\u00e9", "\u65e5\u672c", "x-y_z.0"
    };

    private RandomStruct() {}

    static ByteBuffer write(Schema schema, Random random) {
        Struct struct = struct(schema, random);
        ByteBuffer buf = ByteBuffer.allocate(schema.sizeOf(struct));
        schema.write(buf, struct);
        buf.flip();
        return buf;
    }

    static Struct struct(Schema schema, Random random) {
        Struct struct = new Struct(schema);
        for (BoundField field : schema.fields()) {
            struct.set(field, value(field.def.type, random));
        }
        return struct;
    }

    static String string(Random random) {
        String word = WORDS[random.nextInt(WORDS.length)];
        if (random.nextInt(8) == 0) {
            // Past 127 bytes a compact length takes two varint bytes.
            return "long-" + word + "-" + "x".repeat(120 + random.nextInt(300));
        }
        return random.nextBoolean() ? word : word + random.nextInt(1000);
    }

    static Object value(Type type, Random random) {
        if (type instanceof Schema) {
            return struct((Schema) type, random);
        }
        if (type instanceof TaggedFields) {
            return tags((TaggedFields) type, random);
        }
        Optional<Type> element = type.arrayElementType();
        if (element.isPresent()) {
            if (type.isNullable() && random.nextInt(4) == 0) {
                return null;
            }
            int count = random.nextInt(4);
            if (!(element.get() instanceof Schema) && random.nextInt(10) == 0) {
                // Past 127 elements a compact array count takes two varint bytes.
                count = 128 + random.nextInt(100);
            }
            Object[] items = new Object[count];
            for (int i = 0; i < items.length; i++) {
                items[i] = value(element.get(), random);
            }
            return items;
        }
        if (type.isNullable() && random.nextInt(4) == 0) {
            return null;
        }
        return primitive(type, random);
    }

    private static Map<Integer, Object> tags(TaggedFields type, Random random) {
        Map<Integer, Object> values = new TreeMap<>();
        for (Map.Entry<Integer, Field> tag : type.fields().entrySet()) {
            if (random.nextInt(3) != 0) {
                values.put(tag.getKey(), value(tag.getValue().type, random));
            }
        }
        return values;
    }

    private static Object primitive(Type type, Random random) {
        if (type == Type.BOOLEAN) return random.nextBoolean();
        if (type == Type.INT8) return (byte) random.nextInt();
        if (type == Type.INT16) return (short) interesting(random);
        if (type == Type.UINT16) return random.nextInt(65536);
        if (type == Type.INT32 || type == Type.VARINT) return (int) interesting(random);
        if (type == Type.UNSIGNED_INT32) return random.nextLong() & 0xffffffffL;
        if (type == Type.INT64 || type == Type.VARLONG) { long v = interesting(random); return v == -1 || random.nextBoolean() ? v : v * 4_294_967_311L; }
        if (type == Type.FLOAT64) return random.nextDouble() * 1e6;
        if (type == Type.UUID) return random.nextInt(5) == 0 ? Uuid.ZERO_UUID : new Uuid(random.nextLong(), random.nextLong());
        if (type == Type.STRING || type == Type.COMPACT_STRING
            || type == Type.NULLABLE_STRING || type == Type.COMPACT_NULLABLE_STRING) {
            return string(random);
        }
        if (type == Type.BYTES || type == Type.COMPACT_BYTES
            || type == Type.NULLABLE_BYTES || type == Type.COMPACT_NULLABLE_BYTES) {
            return ByteBuffer.wrap(bytes(random));
        }
        // By name: the nullable records types do not exist in every 4.x release.
        if (type instanceof Type.DocumentedType && ((Type.DocumentedType) type).typeName().endsWith("RECORDS")) {
            return RecordsProbe.randomRecords(random);
        }
        throw new IllegalArgumentException("no generator for type " + type);
    }

    /** Small values, -1 (the protocol's "none"), and full-range values. */
    private static long interesting(Random random) {
        switch (random.nextInt(4)) {
            case 0: return -1;
            case 1: return random.nextInt(128);
            case 2: return random.nextInt(100_000);
            default: return random.nextInt();
        }
    }

    static byte[] bytes(Random random) {
        int length = random.nextInt(3) == 0 ? 0 : random.nextInt(8) == 0 ? 120 + random.nextInt(300) : random.nextInt(40);
        byte[] out = new byte[length];
        random.nextBytes(out);
        return out;
    }
}
