package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.AtomicFiles;
import io.pneuknow.data.ImageList;
import io.pneuknow.api.Classifier;
import io.pneuknow.api.FilePrediction;
import io.pneuknow.api.ImagePrediction;
import io.pneuknow.explain.Overlays;
import io.pneuknow.guard.GuardWarning;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFormats;
import io.pneuknow.model.ModelCard;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.EngineThreads;
import io.pneuknow.train.Progress;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pneuknow predict}: class probabilities per image from a trained model bundle, with the input guard's warnings. */
@Command(name = "predict", sortOptions = false, description = {
        "Class probabilities for image files, folders (searched recursively for .png, .jpg, .jpeg, .dcm, .dicom) "
                + "or the images of a CSV list. DICOM files without an extension are skipped in folder scans; pass "
                + "them as files or in --list.",
        "Without --out: a CSV on standard output. With --out: predictions.csv and predictions.json (probabilities, "
                + "label, the input guard's warnings and the reason for each file that could not be read; per "
                + "patient means where the list gives patient ids), and with --heat-maps Grad-CAM overlays in "
                + "OUT/heatmaps/. Files that cannot be read are reported and do not stop the run.",
        "With --spark MASTER the ./pneuknow launcher predicts a list on Apache Spark (spark/pneuknow-spark predict --help)."})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory written by 'pneuknow train --out'.")
    Path model;

    @Option(names = "--out", description = "Folder for predictions.csv, predictions.json (and heatmaps/); without it a CSV goes to standard output.")
    Path out;

    @Option(names = "--list", paramLabel = "FILE.csv", description = "CSV of images: a path column (path, file or image, else the first) and optionally patient_id; relative paths are taken from the list's folder.")
    Path list;

    @Option(names = "--path-column", description = "The list's path column (default: path, file or image, else the first column).")
    String pathColumn;

    @Option(names = "--patient-column", description = "The list's patient id column (default: patient_id or patient, when present).")
    String patientColumn;

    @FormerName(value = "--heatmaps", since = "0.2.0")
    @Option(names = "--heat-maps", description = "Also write a Grad-CAM overlay per image (predicted class) to OUT/heatmaps/ (needs --out).")
    boolean heatMaps;

    @Option(names = "--min-confidence", defaultValue = "0.5", description = "The input guard warns when the largest probability is below this (default: ${DEFAULT-VALUE}).")
    double minConfidence;

    @FormerName(value = "--batch", since = "0.2.0")
    @Option(names = "--batch-size", defaultValue = "16", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @FormerName(value = "--decoders", since = "0.2.0")
    @Option(names = "--loader-threads", description = "Threads decoding images one batch ahead (default: up to 4, one per core).")
    Integer loaderThreads;

    @Option(names = "--threads", description = "Engine threads (default: all cores).")
    Integer threads;

    @Parameters(arity = "0..*", paramLabel = "PATH", description = "Image files (PNG, JPEG, DICOM) or folders.")
    List<Path> paths = new ArrayList<>();

    /** One image to predict; {@code patientId} is null unless a list gives it. */
    record Item(Path file, String patientId) {
    }

    /**
     * The outcome for one image: probabilities (rounded to 6 decimals, as written), warnings and the
     * overlay's file name, or the reason it could not be read.
     */
    record Row(Item item, double[] probabilities, String label, List<GuardWarning> warnings, String error, String heatmap) {
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (paths.isEmpty() && list == null) {
            throw new BadInputException("no images given; pass image files or folders, or --list FILE.csv");
        }
        if (heatMaps && out == null) {
            throw new BadInputException("--heat-maps writes into the output folder; add --out DIR");
        }
        if (batchSize < 1) {
            throw new BadInputException("--batch-size " + batchSize + ": must be at least 1");
        }
        EngineThreads.set(threads == null ? 0 : threads);
        List<Item> items = new ArrayList<>();
        imageFiles(paths).forEach(f -> items.add(new Item(f, null)));
        if (list != null) {
            ImageList.read(list, pathColumn, patientColumn).forEach(e -> items.add(new Item(e.file(), e.patientId())));
        }
        PrintWriter err = spec.commandLine().getErr();
        List<Row> rows;
        ModelCard card;
        int threadCount = loaderThreads != null ? Math.max(1, loaderThreads) : Math.min(4, Runtime.getRuntime().availableProcessors());
        try (Classifier classifier = Classifier.open(model, new Classifier.Options(heatMaps, minConfidence))) {
            card = classifier.card();
            rows = predict(items, classifier, threadCount, err);
        }
        long unreadable = rows.stream().filter(r -> r.error() != null).count();
        for (Row r : rows) {
            if (!r.warnings().isEmpty()) {
                err.println("warning: " + r.item().file() + ": "
                        + String.join("; ", r.warnings().stream().map(GuardWarning::message).toList()));
            }
        }
        if (out == null) {
            printStdout(rows, card.labels());
        } else {
            write(rows, card);
            spec.commandLine().getOut().printf("%d images predicted, %d unreadable, %d with warnings; wrote %s and %s%n",
                    rows.size() - unreadable, unreadable, rows.stream().filter(r -> !r.warnings().isEmpty()).count(),
                    out.resolve("predictions.csv"), out.resolve("predictions.json"));
            spec.commandLine().getOut().flush();
        }
        if (unreadable > 0) {
            err.printf("%d of %d files could not be read (listed above%s)%n", unreadable, rows.size(),
                    out == null ? "" : " and in the outputs' error column");
        }
        err.flush();
        if (unreadable == rows.size()) {
            throw new BadInputException("none of the " + rows.size() + " files could be read (reasons above); check the inputs");
        }
        return 0;
    }

    /**
     * Predicts with the classifier (decoding on {@code decodeThreads} one batch ahead), writes the heat-map
     * overlays as each batch is done; reports unreadable files and progress on standard error.
     */
    private List<Row> predict(List<Item> items, Classifier classifier, int decodeThreads, PrintWriter err)
            throws InterruptedException, IOException {
        List<Row> rows = new ArrayList<>();
        boolean terminal = Progress.onTerminal();
        long started = System.nanoTime();
        long[] lastLine = {0};
        int[] unreadable = {0};
        try {
            classifier.predictFiles(items.stream().map(Item::file).toList(), batchSize, decodeThreads, batch -> {
                for (FilePrediction f : batch) {
                    int i = rows.size();
                    Item item = items.get(i);
                    if (!f.readable()) {
                        err.println("skipped: " + f.error());
                        rows.add(new Row(item, null, null, List.of(), f.error(), null));
                        unreadable[0]++;
                        continue;
                    }
                    ImagePrediction p = f.prediction();
                    String overlay = p.heatMap() == null ? null : writeOverlay(f.image().image(), p.heatMap(), i, item);
                    rows.add(new Row(item, rounded(p.probabilities()), p.predictedClass(), p.warnings(), null, overlay));
                }
                int end = rows.size();
                long now = System.nanoTime();
                if (terminal || end == items.size() || now - lastLine[0] > 5_000_000_000L) {
                    lastLine[0] = now;
                    double fraction = (double) end / items.size();
                    long left = (long) ((now - started) / 1e9 / fraction * (1 - fraction));
                    int filled = (int) Math.round(fraction * 24);
                    String line = String.format(Locale.ROOT, "predict [%s%s] %d/%d images, %d unreadable, eta %d:%02d",
                            "#".repeat(filled), ".".repeat(24 - filled), end, items.size(), unreadable[0], left / 60,
                            left % 60);
                    if (terminal) {
                        err.print("\r" + line + (end == items.size() ? "\n" : ""));
                    } else {
                        err.println(line);
                    }
                    err.flush();
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return rows;
    }

    private String writeOverlay(GreyImage image, GreyImage heatMap, int index, Item item) {
        String stem = item.file().getFileName().toString().replaceFirst("\\.[^.]*$", "").replaceAll("[^A-Za-z0-9._-]", "_");
        String name = String.format(Locale.ROOT, "%05d-%s.png", index + 1, stem);
        try {
            Overlays.write(out.resolve("heatmaps").resolve(name), image, heatMap, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "heatmaps/" + name;
    }

    private static double[] rounded(float[] p) {
        double[] r = new double[p.length];
        for (int c = 0; c < p.length; c++) {
            r[c] = Math.round(p[c] * 1e6) / 1e6;
        }
        return r;
    }

    /** The CSV of earlier versions on standard output (image, label, p_ per class); unreadable files only on standard error. */
    private void printStdout(List<Row> rows, List<String> labels) {
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println("image,label," + String.join(",", labels.stream().map(l -> "p_" + l).toList()));
        for (Row r : rows) {
            if (r.error() != null) {
                continue;
            }
            StringBuilder line = new StringBuilder(r.item().file().toString()).append(',').append(r.label());
            for (double v : r.probabilities()) {
                line.append(String.format(Locale.ROOT, ",%.4f", v));
            }
            stdout.println(line);
        }
        stdout.flush();
    }

    private void write(List<Row> rows, ModelCard card) throws IOException {
        List<String> labels = card.labels();
        StringWriter csv = new StringWriter();
        List<String> header = new ArrayList<>(List.of("image", "patient_id", "label"));
        labels.forEach(l -> header.add("p_" + l));
        header.addAll(List.of("warnings", "error", "heatmap"));
        try (CSVPrinter printer = new CSVPrinter(csv, CSVFormat.DEFAULT.builder().setRecordSeparator('\n').get())) {
            printer.printRecord(header);
            for (Row r : rows) {
                List<String> cells = new ArrayList<>(List.of(r.item().file().toString(), nullToEmpty(r.item().patientId()),
                        nullToEmpty(r.label())));
                for (int c = 0; c < labels.size(); c++) {
                    cells.add(r.probabilities() == null ? "" : String.format(Locale.ROOT, "%.6f", r.probabilities()[c]));
                }
                cells.add(String.join(";", r.warnings().stream().map(GuardWarning::code).toList()));
                cells.add(nullToEmpty(r.error()));
                cells.add(nullToEmpty(r.heatmap()));
                printer.printRecord(cells);
            }
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", Map.of("id", card.id(), "weightsSha256", card.weightsSha256(), "path", model.toString()));
        json.put("intendedUse", card.intendedUse());
        json.put("population", card.population());
        json.put("labels", labels);
        List<Map<String, Object>> images = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> image = new LinkedHashMap<>();
            image.put("image", r.item().file().toString());
            image.put("patientId", r.item().patientId());
            image.put("label", r.label());
            image.put("probabilities", r.probabilities() == null ? null : byLabel(labels, r.probabilities()));
            image.put("warnings", r.warnings());
            image.put("error", r.error());
            image.put("heatmap", r.heatmap());
            images.add(image);
        }
        json.put("images", images);
        json.put("patients", patients(rows, labels));
        Files.createDirectories(out);
        AtomicFiles.writeString(out.resolve("predictions.csv"), csv.toString());
        AtomicFiles.write(out.resolve("predictions.json"), o -> Json.MAPPER.writeValue(o, json));
    }

    /** Per patient (rows with a patient id that could be read): the mean of the probabilities, its label and the image count. */
    private static List<Map<String, Object>> patients(List<Row> rows, List<String> labels) {
        Map<String, List<Row>> byPatient = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.item().patientId() != null && r.error() == null) {
                byPatient.computeIfAbsent(r.item().patientId(), id -> new ArrayList<>()).add(r);
            }
        }
        List<Map<String, Object>> patients = new ArrayList<>();
        byPatient.forEach((id, own) -> {
            float[] mean = new float[labels.size()];
            for (Row r : own) {
                for (int c = 0; c < mean.length; c++) {
                    mean[c] += (float) (r.probabilities()[c] / own.size());
                }
            }
            Map<String, Object> patient = new LinkedHashMap<>();
            patient.put("patientId", id);
            patient.put("images", own.size());
            patient.put("label", labels.get(Predictor.argmax(mean)));
            patient.put("probabilities", byLabel(labels, rounded(mean)));
            patients.add(patient);
        });
        return patients;
    }

    private static Map<String, Double> byLabel(List<String> labels, double[] p) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int c = 0; c < labels.size(); c++) {
            m.put(labels.get(c), p[c]);
        }
        return m;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    /** Files as given, and the images under folders (recursively; by extension, so DICOM files need .dcm or .dicom there). */
    static List<Path> imageFiles(List<Path> paths) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(Files::isRegularFile).filter(ImageFormats::named).sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new BadInputException(p + ": no such file or folder; check the path");
            }
        }
        if (files.isEmpty() && !paths.isEmpty()) {
            throw new BadInputException("no PNG, JPEG or DICOM (.dcm) images found in " + paths
                    + "; pass image files or folders holding them");
        }
        return files;
    }
}
