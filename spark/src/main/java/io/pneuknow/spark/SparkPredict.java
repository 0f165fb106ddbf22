package io.pneuknow.spark;

import io.pneuknow.BadInputException;
import io.pneuknow.guard.InputImage;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Batch prediction on Spark: a list of images (CSV with a header, or Parquet) is predicted per
 * partition with the executor's one loaded model ({@link ModelHolder}); the result, one row per
 * listed image in the list's order within each partition, goes to OUT/predictions.parquet and
 * OUT/predictions-csv (Spark folders). Columns: image_id, path, patient_id, label, p_CLASS per class
 * of the model, model_hash (the weights' sha256), error (why an image could not be read; its other
 * columns then empty). Paths may be local (relative ones from the list's folder), file: URIs, or
 * URIs of a file system Hadoop reaches from the executors (hdfs:, s3a: with its connector).
 */
public final class SparkPredict implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How the list is read. */
    public record Options(String pathColumn, String idColumn, String patientColumn, int batch, int partitions, int threads)
            implements Serializable {
    }

    /** Counts of a finished run. */
    public record Outcome(long images, long unreadable) {
    }

    private final String model;
    private final String base;
    private final int batch;
    private final int threads;
    private final int classes;

    private SparkPredict(String model, String base, int batch, int threads, int classes) {
        this.model = model;
        this.base = base;
        this.batch = batch;
        this.threads = threads;
        this.classes = classes;
    }

    /** The output's columns for a model's labels. */
    public static StructType schema(List<String> labels) {
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField("image_id", DataTypes.StringType, false),
                DataTypes.createStructField("path", DataTypes.StringType, false),
                DataTypes.createStructField("patient_id", DataTypes.StringType, true),
                DataTypes.createStructField("label", DataTypes.StringType, true)));
        for (String l : labels) {
            fields.add(DataTypes.createStructField("p_" + l, DataTypes.DoubleType, true));
        }
        fields.add(DataTypes.createStructField("model_hash", DataTypes.StringType, false));
        fields.add(DataTypes.createStructField("error", DataTypes.StringType, true));
        return DataTypes.createStructType(fields);
    }

    /** Predicts every image of {@code list} with the model in {@code modelDir} and writes the outputs under {@code out}. */
    public static Outcome run(SparkSession spark, Path modelDir, String list, String out, Options options) {
        ModelCard card = ModelBundle.readCard(modelDir);
        String listLocation = location(list);
        String name = list.replaceAll("/+$", "").toLowerCase(Locale.ROOT);
        Dataset<Row> input = name.endsWith(".parquet") || (!isUri(list) && java.nio.file.Files.isDirectory(Path.of(list)))
                ? spark.read().parquet(listLocation)
                : spark.read().option("header", "true").csv(listLocation);
        List<String> columns = Arrays.asList(input.columns());
        String pathColumn = column(columns, options.pathColumn(), List.of("path", "file", "image"), true, list);
        String idColumn = column(columns, options.idColumn(), List.of("image_id", "id"), false, list);
        String patientColumn = column(columns, options.patientColumn(), List.of("patient_id", "patient"), false, list);
        Dataset<Row> selected = input.selectExpr("CAST(`" + pathColumn + "` AS STRING)",
                idColumn == null ? "CAST(NULL AS STRING)" : "CAST(`" + idColumn + "` AS STRING)",
                patientColumn == null ? "CAST(NULL AS STRING)" : "CAST(`" + patientColumn + "` AS STRING)");
        JavaRDD<Row> rows = selected.javaRDD();
        if (options.partitions() > 0) {
            rows = rows.repartition(options.partitions());
        }
        // relative paths in a local list are taken from the list's folder
        Path parent = isUri(list) ? null : Path.of(list).toAbsolutePath().getParent();
        SparkPredict job = new SparkPredict(modelDir.toAbsolutePath().toString(), parent == null ? "" : parent.toString(),
                options.batch(), options.threads(), card.labels().size());
        Dataset<Row> predicted = spark.createDataFrame(rows.mapPartitions(job::predictPartition), schema(card.labels()))
                .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
        try {
            String base = location(out).replaceAll("/+$", "");
            predicted.write().mode(SaveMode.Overwrite).parquet(base + "/predictions.parquet");
            Dataset<Row> back = spark.read().parquet(base + "/predictions.parquet");
            back.coalesce(1).write().mode(SaveMode.Overwrite).option("header", "true").csv(base + "/predictions-csv");
            long total = back.count();
            long unreadable = back.filter("error IS NOT NULL").count();
            return new Outcome(total, unreadable);
        } finally {
            predicted.unpersist();
        }
    }

    /** A URI (hdfs:, s3a:, file:) as it is; a local path made absolute. */
    static String location(String pathOrUri) {
        return isUri(pathOrUri) ? pathOrUri : Path.of(pathOrUri).toAbsolutePath().toString();
    }

    static boolean isUri(String s) {
        return s.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*") && !s.matches("^[A-Za-z]:[\\\\/].*");
    }

    private static String column(List<String> columns, String given, List<String> defaults, boolean required, String list) {
        if (given != null) {
            if (!columns.contains(given)) {
                throw new BadInputException(list + ": no column '" + given + "' (columns: " + columns + ")");
            }
            return given;
        }
        for (String d : defaults) {
            for (String c : columns) {
                if (c.equalsIgnoreCase(d)) {
                    return c;
                }
            }
        }
        if (required && !columns.isEmpty()) {
            return columns.get(0);
        }
        return null;
    }

    /** The images of one partition in batches, each batch read and predicted as the iterator reaches it. */
    Iterator<Row> predictPartition(Iterator<Row> input) {
        return new Iterator<>() {
            private Iterator<Row> current = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && input.hasNext()) {
                    List<Row> chunk = new ArrayList<>();
                    while (chunk.size() < batch && input.hasNext()) {
                        chunk.add(input.next());
                    }
                    current = predictBatch(chunk).iterator();
                }
                return current.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }

    private List<Row> predictBatch(List<Row> chunk) {
        ModelHolder holder = ModelHolder.get(model, threads);
        Row[] out = new Row[chunk.size()];
        List<GreyImage> images = new ArrayList<>();
        List<Integer> readable = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
            Row r = chunk.get(i);
            String path = r.isNullAt(0) ? "" : r.getString(0);
            try {
                if (path.isBlank()) {
                    throw new BadInputException("empty path");
                }
                images.add(read(path));
                readable.add(i);
            } catch (RuntimeException | IOException | OutOfMemoryError e) {
                String reason = e instanceof BadInputException ? e.getMessage().lines().findFirst().orElse("")
                        : path + ": cannot read (" + e + ")";
                out[i] = row(r, null, null, holder, reason);
            }
        }
        if (!images.isEmpty()) {
            float[][] p = holder.probabilities(images);
            for (int k = 0; k < p.length; k++) {
                int i = readable.get(k);
                out[i] = row(chunk.get(i), holder.labels().get(io.pneuknow.model.Predictor.argmax(p[k])), p[k], holder, null);
            }
        }
        return Arrays.asList(out);
    }

    private Row row(Row in, String label, float[] p, ModelHolder holder, String error) {
        String path = in.isNullAt(0) ? "" : in.getString(0);
        Object[] values = new Object[4 + classes + 2];
        values[0] = in.isNullAt(1) ? path : in.getString(1);
        values[1] = path;
        values[2] = in.isNullAt(2) ? null : in.getString(2);
        values[3] = label;
        for (int c = 0; c < classes; c++) {
            values[4 + c] = p == null ? null : (double) p[c];
        }
        values[4 + classes] = holder.weightsSha256();
        values[5 + classes] = error;
        return RowFactory.create(values);
    }

    /** Decodes an image from a local path (relative to the list's folder), a file: URI or a Hadoop file system URI. */
    private GreyImage read(String path) throws IOException {
        if (isUri(path)) {
            URI uri = URI.create(path);
            if ("file".equalsIgnoreCase(uri.getScheme())) {
                return InputImage.read(Path.of(uri)).image();
            }
            org.apache.hadoop.fs.Path hadoopPath = new org.apache.hadoop.fs.Path(uri);
            try (InputStream in = hadoopPath.getFileSystem(new org.apache.hadoop.conf.Configuration()).open(hadoopPath)) {
                return InputImage.decode(in.readAllBytes(), path).image();
            }
        }
        Path file = Path.of(path);
        return InputImage.read(file.isAbsolute() || base.isEmpty() ? file : Path.of(base).resolve(file)).image();
    }
}
