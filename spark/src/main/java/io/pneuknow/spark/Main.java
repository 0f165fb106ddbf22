package io.pneuknow.spark;

import io.pneuknow.BadInputException;
import io.pneuknow.cli.CommandLines;
import io.pneuknow.cli.FormerName;
import io.pneuknow.cli.HelpCommand;
import io.pneuknow.cli.PneuknowVersion;
import io.pneuknow.experiment.StudyConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pneuknow-spark}: studies and batch prediction on Apache Spark. Help, version, exit codes (0 done, 1 bad
 * input, 2 usage error, 3 internal error) and former option names as the core's {@code pneuknow}
 * ({@link CommandLines}); {@code experiment} also exits 1 when cells failed after their last attempt.
 */
@Command(name = "pneuknow-spark", scope = CommandLine.ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = PneuknowVersion.class, usageHelpAutoWidth = true,
        subcommands = {Main.Experiment.class, Main.Predict.class, HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {CommandLines.EXIT_OK_HELP, CommandLines.EXIT_BAD_INPUT_HELP + "; experiment: cells failed",
                CommandLines.EXIT_USAGE_HELP, CommandLines.EXIT_INTERNAL_ERROR_HELP},
        description = "PneuKnow on Apache Spark: a study's cells as Spark tasks, and batch prediction per partition.")
public final class Main implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    /** {@code pneuknow-spark} alone: a usage error that names the commands. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "choose a command: " + String.join(", ",
                spec.subcommands().keySet()));
    }

    public static void main(String[] args) {
        System.exit(commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args));
    }

    /** The command tree, ready to execute. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return CommandLines.configure(new CommandLine(new Main()), out, err);
    }

    /** The Spark session: the master given, else the one spark-submit set, else local[*]. */
    static SparkSession session(String master, String app, int taskCpus) {
        SparkConf conf = new SparkConf().setAppName(app);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        if (taskCpus > 0 && !conf.contains("spark.task.cpus")) {
            conf.set("spark.task.cpus", Integer.toString(taskCpus));
        }
        conf.setIfMissing("spark.ui.enabled", "false");
        return SparkSession.builder().config(conf).getOrCreate();
    }

    @Command(name = "experiment", description = {"Runs (or resumes) a study with each cell (architecture, method, fold, seed)"
            + " as a Spark task; finished cells are skipped. The study folder and the data must be at the same paths on"
            + " every machine (a shared file system)."})
    static final class Experiment implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "The study file (as for 'pneuknow experiment').")
        Path config;

        @Option(names = "--out", required = true, description = "The study folder.")
        Path out;

        @Option(names = "--spark", description = "Spark master: local[N], local[N,F] (F attempts per task), spark://..., yarn;"
                + " default: what spark-submit set, else local[*].")
        String master;

        @Option(names = "--cell-heap", description = "Maximum heap of each cell's JVM, e.g. 4g (default: the JVM's).")
        String heap;

        @Override
        public Integer call() throws Exception {
            StudyConfig study = StudyConfig.read(config);
            try (SparkSession spark = session(master, "pneuknow experiment", study.train().threads())) {
                SparkStudy.Outcome outcome = SparkStudy.run(JavaSparkContext.fromSparkContext(spark.sparkContext()), study,
                        out, heap, System.out);
                return outcome.complete() ? CommandLines.OK : CommandLines.BAD_INPUT;
            }
        }
    }

    @Command(name = "predict", description = {"Class probabilities for the images of a list (CSV with a header, or Parquet),"
            + " predicted per partition with one loaded model per executor; writes OUT/predictions.parquet and"
            + " OUT/predictions-csv. Unreadable images are rows with an error, not a failed job."})
    static final class Predict implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Model directory written by 'pneuknow train --out'.")
        Path model;

        @Option(names = "--list", required = true, description = "CSV (with a header) or Parquet list of image paths or URIs;"
                + " a path or a URI Spark reads (hdfs:, s3a:).")
        String list;

        @Option(names = "--out", required = true, description = "Output folder (a path or a URI Spark writes to).")
        String out;

        @Option(names = "--spark", description = "Spark master (default: what spark-submit set, else local[*]).")
        String master;

        @Option(names = "--path-column", description = "The path column (default: path, file or image, else the first).")
        String pathColumn;

        @Option(names = "--id-column", description = "The image id column (default: image_id or id, else the path).")
        String idColumn;

        @Option(names = "--patient-column", description = "The patient id column (default: patient_id or patient when present).")
        String patientColumn;

        @FormerName(value = "--batch", since = "0.2.0")
        @Option(names = "--batch-size", defaultValue = "16", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--partitions", defaultValue = "0", description = "Repartition the list into this many tasks (default: as read).")
        int partitions;

        @Option(names = "--threads", defaultValue = "0", description = "Engine threads per executor (default: all cores).")
        int threads;

        @Override
        public Integer call() {
            if (batchSize < 1) {
                throw new BadInputException("--batch-size " + batchSize + ": must be at least 1");
            }
            try (SparkSession spark = session(master, "pneuknow predict", 0)) {
                SparkPredict.Outcome o = SparkPredict.run(spark, model, list, out,
                        new SparkPredict.Options(pathColumn, idColumn, patientColumn, batchSize, partitions, threads));
                System.out.printf("%d images, %d unreadable; wrote %s and %s%n", o.images(), o.unreadable(),
                        out + "/predictions.parquet", out + "/predictions-csv");
                return o.images() > 0 && o.unreadable() == o.images() ? CommandLines.BAD_INPUT : CommandLines.OK;
            }
        }
    }
}
