// Sends a test plan to Kafka with the official Java client, the way real producer fleets do.
//
//   java -cp '.cache/kafka-libs/*' tests/java/PlanProducer.java BOOTSTRAP TOPIC PLAN.jsonl [RATE]
//
// PLAN.jsonl has one record per line:
//   {"codec": "none|gzip|snappy|lz4|zstd", "key_b64": str|null, "value_b64": str|null,
//    "headers": {"name": "value", ...}|null, "timestamp_ms": int|null, "partition": int|null}
// ("partition" is optional: null or absent = the client's default partitioner.)
// Records go out in file order, one KafkaProducer per codec (compression.type = codec,
// acks=all, linger.ms=5 or the environment's PLAN_PRODUCER_LINGER_MS).  Each producer is flushed before another codec's producer sends,
// so the order of a key's records is the file order.  A null key or value is sent as a real
// null.  RATE (records per second, default 0 = as fast as possible) paces the sending.
//
// Extra client properties (e.g. security.protocol, sasl.*) may be given in a properties file
// named by the environment variable PLAN_PRODUCER_PROPERTIES; the settings above win over it.
//
// Prints one JSON line: records sent per codec, each producer's compression-rate-avg
// (1.0 = not compressed) and the elapsed time.  Exits 1 on any send failure, 2 on bad usage.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class PlanProducer {
    static final List<String> CODECS = List.of("none", "gzip", "snappy", "lz4", "zstd");

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: PlanProducer BOOTSTRAP TOPIC PLAN.jsonl [RATE]");
            System.exit(2);
        }
        String bootstrap = args[0], topic = args[1];
        double rate = args.length == 4 ? Double.parseDouble(args[3]) : 0.0;
        ObjectMapper json = new ObjectMapper();
        Base64.Decoder b64 = Base64.getDecoder();

        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<String> codecs = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(Path.of(args[2]), StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode n = json.readTree(line);
            String codec = text(n, "codec");
            if (codec == null || !CODECS.contains(codec)) {
                System.err.println("plan line " + lineNo + ": codec must be one of " + CODECS + ", got " + codec);
                System.exit(2);
            }
            String key = text(n, "key_b64"), value = text(n, "value_b64");
            List<Header> headers = new ArrayList<>();
            JsonNode h = n.get("headers");
            if (h != null && !h.isNull()) {
                Iterator<Map.Entry<String, JsonNode>> it = h.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    headers.add(new RecordHeader(e.getKey(), e.getValue().asText().getBytes(StandardCharsets.UTF_8)));
                }
            }
            Long ts = n.hasNonNull("timestamp_ms") ? n.get("timestamp_ms").asLong() : null;
            Integer partition = n.hasNonNull("partition") ? n.get("partition").asInt() : null;
            records.add(new ProducerRecord<>(topic, partition, ts,
                    key == null ? null : b64.decode(key), value == null ? null : b64.decode(value), headers));
            codecs.add(codec);
        }

        Map<String, KafkaProducer<byte[], byte[]>> producers = new LinkedHashMap<>();
        Map<String, Integer> sent = new LinkedHashMap<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        long started = System.nanoTime();
        String current = null;
        try {
            for (int i = 0; i < records.size(); i++) {
                String codec = codecs.get(i);
                if (current != null && !codec.equals(current)) {
                    producers.get(current).flush();
                    check(failure);
                }
                current = codec;
                KafkaProducer<byte[], byte[]> producer = producers.computeIfAbsent(codec, c -> open(bootstrap, c));
                final int index = i;
                producer.send(records.get(i), (meta, exc) -> {
                    if (exc != null) failure.compareAndSet(null, new RuntimeException("plan record " + index + ": " + exc, exc));
                });
                sent.merge(codec, 1, Integer::sum);
                if (rate > 0) {
                    long ahead = (long) ((i + 1) / rate * 1e9) - (System.nanoTime() - started);
                    if (ahead > 0) Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
                }
                check(failure);
            }
            for (KafkaProducer<byte[], byte[]> p : producers.values()) p.flush();
            check(failure);
        } catch (Exception e) {
            System.err.println("PlanProducer: send failed: " + e);
            for (KafkaProducer<byte[], byte[]> p : producers.values()) p.close(java.time.Duration.ofSeconds(5));
            System.exit(1);
        }
        StringBuilder rates = new StringBuilder();
        for (Map.Entry<String, KafkaProducer<byte[], byte[]>> e : producers.entrySet()) {
            if (rates.length() > 0) rates.append(", ");
            rates.append('"').append(e.getKey()).append("\": ").append(compressionRate(e.getValue()));
        }
        for (KafkaProducer<byte[], byte[]> p : producers.values()) p.close();
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        System.out.println("{\"sent\": " + records.size() + ", \"by_codec\": " + json.writeValueAsString(sent)
                + ", \"compression_rate\": {" + rates + "}, \"elapsed_ms\": " + elapsedMs + "}");
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static void check(AtomicReference<Exception> failure) throws Exception {
        if (failure.get() != null) throw failure.get();
    }

    static KafkaProducer<byte[], byte[]> open(String bootstrap, String codec) {
        Properties p = new Properties();
        String extra = System.getenv("PLAN_PRODUCER_PROPERTIES");
        if (extra != null && !extra.isEmpty()) {
            try (java.io.Reader r = Files.newBufferedReader(Path.of(extra), StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        String linger = System.getenv("PLAN_PRODUCER_LINGER_MS");
        p.put(ProducerConfig.LINGER_MS_CONFIG, linger == null || linger.isEmpty() ? "5" : linger);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "plan-producer-" + codec);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The producer's average compressed/uncompressed size ratio of its record batches (NaN before any batch). */
    static double compressionRate(KafkaProducer<byte[], byte[]> producer) {
        for (Map.Entry<MetricName, ? extends Metric> e : producer.metrics().entrySet()) {
            MetricName name = e.getKey();
            if (name.name().equals("compression-rate-avg") && name.group().equals("producer-metrics")) {
                Object v = e.getValue().metricValue();
                return v instanceof Double ? (Double) v : Double.NaN;
            }
        }
        return Double.NaN;
    }
}
