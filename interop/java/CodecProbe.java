// Differential codec probe: Apache Kafka's own generated message classes and record classes as
// the reference for kraft-rs's codecs. One JVM serves every case (JVM start-up dominates).
//
// Usage: java CodecProbe IN OUT. IN holds cases, OUT gets one result per case, in order.
// Case:   int8 kind, int16 apiKey, int16 version, int32 length, bytes.
// Result: int8 status (0 ok, 1 error, 2 this release has no such api version), int32 length,
//         bytes (error: UTF-8 message).
//
// Kinds:
//   0 request frame (header + body) encoded by kraft-rs: Kafka reads it and writes it back.
//   1 response frame (header + body) encoded by kraft-rs: same.
//   2 record batches written by kraft-rs: Kafka validates, parses and rebuilds them.
//  10 generate requests: Kafka writes `count` random request frames (bytes = int64 seed,
//     int32 count); result = count x (int32 length, frame).
//  11 generate responses: same for response frames.
//  12 generate record batches: result = count x (int32 length, batches, int32 length, text).

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.types.BoundField;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.protocol.types.Schema;
import org.apache.kafka.common.protocol.types.TaggedFields;

public final class CodecProbe {
    static final int KIND_REQUEST = 0;
    static final int KIND_RESPONSE = 1;
    static final int KIND_BATCHES = 2;
    static final int KIND_GEN_REQUESTS = 10;
    static final int KIND_GEN_RESPONSES = 11;
    static final int KIND_GEN_BATCHES = 12;

    /** How many random structs may fail Kafka's own write/read before a generation case fails. */
    static final int MAX_ATTEMPTS_PER_MESSAGE = 50;

    public static void main(String[] args) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(args[0])));
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(args[1])))) {
            int cases = in.readInt();
            for (int i = 0; i < cases; i++) {
                int kind = in.readByte();
                short apiKey = in.readShort();
                short version = in.readShort();
                byte[] bytes = new byte[in.readInt()];
                in.readFully(bytes);
                byte[] result;
                try {
                    if (kind != KIND_BATCHES && kind != KIND_GEN_BATCHES && !hasVersion(apiKey, version)) {
                        out.writeByte(2);
                        out.writeInt(0);
                        continue;
                    }
                    result = handle(kind, apiKey, version, bytes);
                    out.writeByte(0);
                } catch (Throwable t) {
                    result = describe(t).getBytes(StandardCharsets.UTF_8);
                    out.writeByte(1);
                }
                out.writeInt(result.length);
                out.write(result);
            }
        }
    }

    static byte[] handle(int kind, short apiKey, short version, byte[] bytes) throws Exception {
        switch (kind) {
            case KIND_REQUEST: return rewriteFrame(apiKey, version, bytes, true);
            case KIND_RESPONSE: return rewriteFrame(apiKey, version, bytes, false);
            case KIND_BATCHES: return RecordsProbe.rebuild(bytes);
            case KIND_GEN_REQUESTS: return generateFrames(apiKey, version, bytes, true);
            case KIND_GEN_RESPONSES: return generateFrames(apiKey, version, bytes, false);
            case KIND_GEN_BATCHES: return RecordsProbe.generate(bytes);
            default: throw new IllegalArgumentException("unknown case kind " + kind);
        }
    }

    /** Whether this Kafka release knows `version` of the api (older releases lack the newest). */
    static boolean hasVersion(short apiKey, short version) {
        ApiMessageType type = ApiMessageType.fromApiKey(apiKey);
        return type.lowestSupportedVersion() <= version && version <= type.highestSupportedVersion(true);
    }

    static String describe(Throwable t) {
        StringWriter text = new StringWriter();
        t.printStackTrace(new PrintWriter(text));
        String s = text.toString();
        return s.length() > 1500 ? s.substring(0, 1500) : s;
    }

    /** Reads header and body with Kafka's classes, insists on every byte being consumed, and
     *  writes both back. */
    static byte[] rewriteFrame(short apiKey, short version, byte[] bytes, boolean request) {
        ApiMessageType type = ApiMessageType.fromApiKey(apiKey);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        ByteBufferAccessor reader = new ByteBufferAccessor(buf);
        Message header;
        ApiMessage body;
        short headerVersion;
        if (request) {
            headerVersion = type.requestHeaderVersion(version);
            RequestHeaderData h = new RequestHeaderData(reader, headerVersion);
            if (h.requestApiKey() != apiKey || h.requestApiVersion() != version) {
                throw new IllegalStateException("header names api " + h.requestApiKey() + " v"
                    + h.requestApiVersion() + ", case says " + apiKey + " v" + version);
            }
            header = h;
            body = type.newRequest();
        } else {
            headerVersion = type.responseHeaderVersion(version);
            header = new ResponseHeaderData(reader, headerVersion);
            body = type.newResponse();
        }
        body.read(reader, version);
        if (buf.hasRemaining()) {
            throw new IllegalStateException(buf.remaining() + " bytes left after the body");
        }
        return concat(write(header, headerVersion), write(body, version));
    }

    static byte[] write(Message message, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = message.size(cache, version);
        ByteBuffer out = ByteBuffer.allocate(size);
        message.write(new ByteBufferAccessor(out), cache, version);
        if (out.hasRemaining()) {
            throw new IllegalStateException("size " + size + " but wrote " + out.position());
        }
        return out.array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** `count` frames whose bodies are random structs of the version's schema, written by Kafka's
     *  generic schema writer, read by the generated class and written again by it (the bytes a
     *  Kafka node sends). */
    static byte[] generateFrames(short apiKey, short version, byte[] params, boolean request) throws IOException {
        ByteBuffer p = ByteBuffer.wrap(params);
        Random random = new Random(p.getLong());
        int count = p.getInt();
        ApiMessageType type = ApiMessageType.fromApiKey(apiKey);
        Schema schema = (request ? type.requestSchemas() : type.responseSchemas())[version];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(out);
        for (int i = 0; i < count; i++) {
            byte[] body = generateBody(type, schema, version, request, random);
            byte[] header = request
                ? write(new RequestHeaderData()
                    .setRequestApiKey(apiKey)
                    .setRequestApiVersion(version)
                    .setCorrelationId(random.nextInt())
                    .setClientId(random.nextInt(4) == 0 ? null : RandomStruct.string(random)),
                    type.requestHeaderVersion(version))
                : write(new ResponseHeaderData().setCorrelationId(random.nextInt()),
                    type.responseHeaderVersion(version));
            byte[] frame = concat(header, body);
            data.writeInt(frame.length);
            data.write(frame);
        }
        data.flush();
        return out.toByteArray();
    }

    static boolean isFlexible(Schema schema) {
        BoundField[] fields = schema.fields();
        return fields.length > 0 && fields[fields.length - 1].def.type instanceof TaggedFields;
    }

    /** Top-level tagged fields no schema of today defines, as a newer Kafka would send them: a
     *  reader must skip them (and kafka-protocol keeps and rewrites them). */
    static void addFutureTags(ApiMessage message, Random random) {
        int tag = 100;
        for (int i = 1 + random.nextInt(2); i > 0; i--) {
            tag += 1 + random.nextInt(50);
            message.unknownTaggedFields().add(new RawTaggedField(tag, RandomStruct.bytes(random)));
        }
    }

    static byte[] generateBody(ApiMessageType type, Schema schema, short version, boolean request, Random random) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < MAX_ATTEMPTS_PER_MESSAGE; attempt++) {
            try {
                ByteBuffer raw = RandomStruct.write(schema, random);
                ApiMessage message = request ? type.newRequest() : type.newResponse();
                message.read(new ByteBufferAccessor(raw), version);
                if (raw.hasRemaining()) {
                    throw new IllegalStateException(raw.remaining() + " bytes unread");
                }
                if (isFlexible(schema) && random.nextInt(3) == 0) {
                    addFutureTags(message, random);
                }
                return write(message, version);
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no random " + type + " v" + version + " survived Kafka's codec", last);
    }
}
