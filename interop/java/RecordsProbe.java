// Record batches through Kafka's record classes: validate, describe and rebuild batches kraft-rs
// wrote; build batches (data and every KRaft control record) for kraft-rs to read.
//
// The record classes moved to org.apache.kafka.common.record.internal in Kafka 4.1+; the test
// rewrites the import below for older releases before compiling.

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.message.KRaftVersionRecord;
import org.apache.kafka.common.message.LeaderChangeMessage;
import org.apache.kafka.common.message.SnapshotFooterRecord;
import org.apache.kafka.common.message.SnapshotHeaderRecord;
import org.apache.kafka.common.message.VotersRecord;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.ControlRecordUtils;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;

final class RecordsProbe {
    private RecordsProbe() {}

    /** Validates every batch (CRC included), then rebuilds it with Kafka's builder from what
     *  Kafka's reader parsed, control records through their generated message classes. Result:
     *  int32 length + rebuilt batches, int32 length + description. */
    static byte[] rebuild(byte[] bytes) throws IOException {
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        String text = describe(records);
        ByteArrayOutputStream rebuilt = new ByteArrayOutputStream();
        int batches = 0;
        for (MutableRecordBatch batch : records.batches()) {
            rebuilt.write(rebuildBatch(batch));
            batches++;
        }
        if (batches == 0 || records.sizeInBytes() != records.validBytes()) {
            throw new IllegalStateException(batches + " batches, " + records.validBytes()
                + " valid bytes of " + records.sizeInBytes());
        }
        return pair(rebuilt.toByteArray(), text);
    }

    private static byte[] rebuildBatch(MutableRecordBatch batch) {
        ByteBuffer buffer = ByteBuffer.allocate(batch.sizeInBytes() * 2 + 1024);
        MemoryRecordsBuilder builder = new MemoryRecordsBuilder(buffer, RecordBatch.MAGIC_VALUE_V2,
            Compression.NONE, batch.timestampType(), batch.baseOffset(), RecordBatch.NO_TIMESTAMP,
            batch.producerId(), batch.producerEpoch(), batch.baseSequence(), batch.isTransactional(),
            batch.isControlBatch(), batch.partitionLeaderEpoch(), buffer.capacity());
        for (Record record : batch) {
            if (!batch.isControlBatch()) {
                builder.appendWithOffset(record.offset(), record.timestamp(), record.key(), record.value(), record.headers());
                continue;
            }
            switch (ControlRecordType.parse(record.key())) {
                case LEADER_CHANGE:
                    builder.appendLeaderChangeMessage(record.timestamp(), ControlRecordUtils.deserializeLeaderChangeMessage(record));
                    break;
                case SNAPSHOT_HEADER:
                    builder.appendSnapshotHeaderMessage(record.timestamp(), ControlRecordUtils.deserializeSnapshotHeaderRecord(record));
                    break;
                case SNAPSHOT_FOOTER:
                    builder.appendSnapshotFooterMessage(record.timestamp(), ControlRecordUtils.deserializeSnapshotFooterRecord(record));
                    break;
                case KRAFT_VERSION:
                    builder.appendKRaftVersionMessage(record.timestamp(), ControlRecordUtils.deserializeKRaftVersionRecord(record));
                    break;
                case KRAFT_VOTERS:
                    builder.appendVotersMessage(record.timestamp(), ControlRecordUtils.deserializeVotersRecord(record));
                    break;
                default:
                    builder.appendControlRecordWithOffset(record.offset(),
                        new SimpleRecord(record.timestamp(), record.key(), record.value(), record.headers()));
            }
        }
        ByteBuffer built = builder.build().buffer();
        byte[] out = new byte[built.remaining()];
        built.get(out);
        return out;
    }

    /** One line per batch and per record, and one per control record with its parsed fields;
     *  the test prints the same text from its own reader. */
    static String describe(MemoryRecords records) {
        StringBuilder s = new StringBuilder();
        for (MutableRecordBatch batch : records.batches()) {
            batch.ensureValid();
            s.append(String.format("batch base=%d last=%d epoch=%d magic=%d control=%b transactional=%b"
                    + " producer=%d/%d/%d max_timestamp=%d records=%d%n",
                batch.baseOffset(), batch.lastOffset(), batch.partitionLeaderEpoch(), batch.magic(),
                batch.isControlBatch(), batch.isTransactional(), batch.producerId(), batch.producerEpoch(),
                batch.baseSequence(), batch.maxTimestamp(), batch.countOrNull()));
            for (Record record : batch) {
                s.append(String.format("record offset=%d timestamp=%d key=%s value=%s headers=%d%n",
                    record.offset(), record.timestamp(), hex(record.key()), hex(record.value()),
                    record.headers().length));
                if (batch.isControlBatch()) {
                    s.append(control(record)).append('\n');
                }
            }
        }
        return s.toString();
    }

    private static String control(Record record) {
        ControlRecordType type = ControlRecordType.parse(record.key());
        switch (type) {
            case LEADER_CHANGE: {
                LeaderChangeMessage m = ControlRecordUtils.deserializeLeaderChangeMessage(record);
                List<Integer> voters = new ArrayList<>();
                m.voters().forEach(v -> voters.add(v.voterId()));
                List<Integer> granting = new ArrayList<>();
                m.grantingVoters().forEach(v -> granting.add(v.voterId()));
                return String.format("control leader_change version=%d leader=%d voters=%s granting=%s",
                    m.version(), m.leaderId(), voters, granting);
            }
            case SNAPSHOT_HEADER: {
                SnapshotHeaderRecord m = ControlRecordUtils.deserializeSnapshotHeaderRecord(record);
                return String.format("control snapshot_header version=%d last_contained_log_timestamp=%d",
                    m.version(), m.lastContainedLogTimestamp());
            }
            case SNAPSHOT_FOOTER:
                return String.format("control snapshot_footer version=%d",
                    ControlRecordUtils.deserializeSnapshotFooterRecord(record).version());
            case KRAFT_VERSION: {
                KRaftVersionRecord m = ControlRecordUtils.deserializeKRaftVersionRecord(record);
                return String.format("control kraft_version version=%d kraft_version=%d", m.version(), m.kRaftVersion());
            }
            case KRAFT_VOTERS:
                return voters(ControlRecordUtils.deserializeVotersRecord(record));
            default:
                return String.format("control other type=%d", record.key().getShort(2));
        }
    }

    /** `control voters version=V voters=[id/dirid/min-max/[name=host:port ...] ...]`. */
    private static String voters(VotersRecord m) {
        List<String> voters = new ArrayList<>();
        for (VotersRecord.Voter v : m.voters()) {
            List<String> endpoints = new ArrayList<>();
            for (VotersRecord.Endpoint e : v.endpoints()) {
                endpoints.add(e.name() + "=" + e.host() + ":" + e.port());
            }
            voters.add(v.voterId() + "/" + v.voterDirectoryId() + "/" + v.kRaftVersionFeature().minSupportedVersion()
                + "-" + v.kRaftVersionFeature().maxSupportedVersion() + "/[" + String.join(" ", endpoints) + "]");
        }
        return String.format("control voters version=%d voters=[%s]", m.version(), String.join(" ", voters));
    }

    static String hex(ByteBuffer buf) {
        if (buf == null) {
            return "null";
        }
        StringBuilder s = new StringBuilder();
        ByteBuffer b = buf.duplicate();
        while (b.hasRemaining()) {
            s.append(String.format("%02x", b.get()));
        }
        return s.toString();
    }

    static byte[] pair(byte[] batches, String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(out);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        data.writeInt(batches.length);
        data.write(batches);
        data.writeInt(utf8.length);
        data.write(utf8);
        data.flush();
        return out.toByteArray();
    }

    /** `count` rounds of: a batch in KRaft's shape, a batch with keys, headers and varying
     *  timestamps, and one batch per KRaft control record type. */
    static byte[] generate(byte[] params) throws IOException {
        ByteBuffer p = ByteBuffer.wrap(params);
        Random random = new Random(p.getLong());
        int count = p.getInt();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            for (MemoryRecords records : round(random)) {
                byte[] bytes = new byte[records.sizeInBytes()];
                records.buffer().duplicate().get(bytes);
                out.write(pair(bytes, describe(records)));
            }
        }
        return out.toByteArray();
    }

    private static List<MemoryRecords> round(Random random) {
        long offset = random.nextInt(1_000_000);
        int epoch = random.nextInt(1000);
        long timestamp = 1_700_000_000_000L + random.nextInt(1_000_000_000);
        List<MemoryRecords> out = new ArrayList<>();
        SimpleRecord[] kraftShape = new SimpleRecord[1 + random.nextInt(5)];
        for (int i = 0; i < kraftShape.length; i++) {
            kraftShape[i] = new SimpleRecord(timestamp, null, RandomStruct.bytes(random));
        }
        out.add(MemoryRecords.withRecords(offset, Compression.NONE, epoch, kraftShape));
        out.add(foreignShape(random, offset, epoch, timestamp));
        out.add(MemoryRecords.withLeaderChangeMessage(offset, timestamp, epoch, ByteBuffer.allocate(256),
            new LeaderChangeMessage().setLeaderId(random.nextInt(100))
                .setVoters(leaderChangeVoters(random)).setGrantingVoters(leaderChangeVoters(random))));
        out.add(MemoryRecords.withSnapshotHeaderRecord(offset, timestamp, epoch, ByteBuffer.allocate(256),
            new SnapshotHeaderRecord().setVersion((short) 0).setLastContainedLogTimestamp(timestamp - random.nextInt(1000))));
        out.add(MemoryRecords.withSnapshotFooterRecord(offset, timestamp, epoch, ByteBuffer.allocate(256),
            new SnapshotFooterRecord().setVersion((short) 0)));
        out.add(MemoryRecords.withKRaftVersionRecord(offset, timestamp, epoch, ByteBuffer.allocate(256),
            new KRaftVersionRecord().setVersion((short) 0).setKRaftVersion((short) random.nextInt(2))));
        out.add(MemoryRecords.withVotersRecord(offset, timestamp, epoch, ByteBuffer.allocate(1024), votersRecord(random)));
        return out;
    }

    private static MemoryRecords foreignShape(Random random, long offset, int epoch, long timestamp) {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, RecordBatch.MAGIC_VALUE_V2, Compression.NONE,
            TimestampType.CREATE_TIME, offset, RecordBatch.NO_TIMESTAMP, epoch);
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
            byte[] key = random.nextBoolean() ? null : RandomStruct.bytes(random);
            byte[] value = random.nextInt(4) == 0 ? null : RandomStruct.bytes(random);
            Header[] headers = new Header[random.nextInt(3)];
            for (int h = 0; h < headers.length; h++) {
                headers[h] = new RecordHeader(RandomStruct.string(random), random.nextBoolean() ? null : RandomStruct.bytes(random));
            }
            builder.appendWithOffset(offset + i, timestamp + random.nextInt(5000) - 2500, key, value, headers);
        }
        return builder.build();
    }

    private static List<LeaderChangeMessage.Voter> leaderChangeVoters(Random random) {
        List<LeaderChangeMessage.Voter> voters = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            voters.add(new LeaderChangeMessage.Voter().setVoterId(random.nextInt(1000)));
        }
        return voters;
    }

    private static VotersRecord votersRecord(Random random) {
        List<VotersRecord.Voter> voters = new ArrayList<>();
        for (int i = 1 + random.nextInt(3); i > 0; i--) {
            VotersRecord.EndpointCollection endpoints = new VotersRecord.EndpointCollection();
            endpoints.add(new VotersRecord.Endpoint().setName("CONTROLLER").setHost("node-" + i).setPort(9090 + i));
            voters.add(new VotersRecord.Voter().setVoterId(i).setVoterDirectoryId(new Uuid(random.nextLong(), random.nextLong()))
                .setEndpoints(endpoints)
                .setKRaftVersionFeature(new VotersRecord.KRaftVersionFeature().setMinSupportedVersion((short) 0).setMaxSupportedVersion((short) 1)));
        }
        return new VotersRecord().setVersion((short) 0).setVoters(voters);
    }

    /** Valid batches or raw bytes for RECORDS fields of random messages (kraft-rs carries them
     *  opaquely, so both must survive). */
    static MemoryRecords randomRecords(Random random) {
        if (random.nextBoolean()) {
            return MemoryRecords.readableRecords(ByteBuffer.wrap(RandomStruct.bytes(random)));
        }
        SimpleRecord[] records = new SimpleRecord[1 + random.nextInt(3)];
        for (int i = 0; i < records.length; i++) {
            records[i] = new SimpleRecord(random.nextLong() & 0xffffffffffL, null, RandomStruct.bytes(random));
        }
        return MemoryRecords.withRecords(random.nextInt(1000), Compression.NONE, random.nextInt(100), records);
    }
}
