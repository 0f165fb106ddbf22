package io.pneuknow.bench;

import io.pneuknow.Json;
import io.pneuknow.train.TrainConfig;
import io.pneuknow.train.TrainRun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Times the real training code: a whole {@link TrainRun} (the same path as {@code pneuknow train},
 * with its loader threads, StageTrainer and Adam) on the bench data. The log's epoch lines are
 * time-stamped as they arrive, and each stage's history CSV gives the epoch's own seconds
 * (training steps and validation of the few validation images, not the checkpoint write) at 0.1 s
 * resolution. An epoch's time is the history's value where it is at least {@value #HISTORY_MIN_SECONDS}
 * s, else the interval between its epoch line and the previous one (which includes the checkpoint
 * write; only short quick-mode epochs).
 */
final class TrainTimer {
    static final double HISTORY_MIN_SECONDS = 2.0;
    private static final Pattern EPOCH_LINE = Pattern.compile("^(\\S+)\\s+epoch (\\d+)/(\\d+) loss");

    private TrainTimer() {
    }

    /** The seconds of every epoch of a stage, and where they came from. */
    record StageTimes(String stage, double[] seconds, String source) {
        /** The epochs after the first {@code warmup}. */
        double[] after(int warmup) {
            double[] out = new double[Math.max(0, seconds.length - warmup)];
            System.arraycopy(seconds, warmup, out, 0, out.length);
            return out;
        }
    }

    /**
     * Runs training into {@code out}; {@code onEpoch} is called on the training thread right after
     * each epoch's log line (stage name, 0-based epoch). Returns the times of every stage that ran.
     */
    static Map<String, StageTimes> run(TrainConfig config, BenchData data, Path out, BiConsumer<String, Integer> onEpoch)
            throws IOException {
        Map<String, List<Long>> stamps = new LinkedHashMap<>();
        LineStamper stamper = new LineStamper(line -> {
            String last = line.substring(line.lastIndexOf('\r') + 1).strip();
            Matcher m = EPOCH_LINE.matcher(last);
            if (m.find()) {
                stamps.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(System.nanoTime());
                if (onEpoch != null) {
                    onEpoch.accept(m.group(1), Integer.parseInt(m.group(2)) - 1);
                }
            }
        });
        long start = System.nanoTime();
        try (PrintStream log = new PrintStream(stamper, true, StandardCharsets.UTF_8)) {
            new TrainRun(config, log).run(data.dataset(), data.parts(), new TrainRun.Provenance(
                    Json.MAPPER.valueToTree(config), "bench", "synthetic (pneuknow bench)", "pneuknow bench"), out, false);
        }
        Map<String, StageTimes> times = new LinkedHashMap<>();
        for (Map.Entry<String, List<Long>> e : stamps.entrySet()) {
            double[] history = historySeconds(out.resolve("history-" + e.getKey() + ".csv"));
            List<Long> t = e.getValue();
            double[] seconds = new double[t.size()];
            boolean fromHistory = history.length == t.size();
            for (int i = 0; i < t.size() && fromHistory; i++) {
                fromHistory = history[i] >= HISTORY_MIN_SECONDS;
            }
            for (int i = 0; i < t.size(); i++) {
                // the first epoch line of a stage has no earlier line of its own; it is a warm-up epoch anyway
                long previous = i == 0 ? start : t.get(i - 1);
                seconds[i] = fromHistory ? history[i] : (t.get(i) - previous) / 1e9;
            }
            times.put(e.getKey(), new StageTimes(e.getKey(), seconds,
                    fromHistory ? "history CSV seconds" : "interval between epoch log lines"));
        }
        return times;
    }

    private static double[] historySeconds(Path csv) throws IOException {
        if (!Files.exists(csv)) {
            return new double[0];
        }
        List<String> lines = Files.readAllLines(csv);
        String[] header = lines.get(0).split(",");
        int column = List.of(header).indexOf("seconds");
        double[] out = new double[lines.size() - 1];
        for (int i = 1; i < lines.size(); i++) {
            out[i - 1] = Double.parseDouble(lines.get(i).split(",")[column]);
        }
        return out;
    }

    /** An output stream that hands every complete line to a consumer. */
    private static final class LineStamper extends OutputStream {
        private final java.util.function.Consumer<String> consumer;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineStamper(java.util.function.Consumer<String> consumer) {
            this.consumer = consumer;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                consumer.accept(line.toString(StandardCharsets.UTF_8));
                line.reset();
            } else {
                line.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }
    }
}
