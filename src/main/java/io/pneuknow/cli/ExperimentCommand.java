package io.pneuknow.cli;

import io.pneuknow.experiment.StudyConfig;
import io.pneuknow.experiment.StudyRunner;
import io.pneuknow.train.EngineThreads;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pneuknow experiment}: runs or resumes a study and writes its tables. */
@Command(name = "experiment", description = {
        "Run a study: architectures x methods x patient folds x seeds, from a JSON study file.",
        "Finished cells are never trained again: run the same command to resume after an interruption. With --spark "
                + "MASTER the ./pneuknow launcher runs the study on Apache Spark (spark/pneuknow-spark experiment --help)."})
final class ExperimentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "Study file (JSON).")
    Path config;

    @Option(names = "--out", required = true, description = "Study folder (outside the repository); created if needed.")
    Path out;

    @Override
    public Integer call() throws IOException {
        StudyConfig study = StudyConfig.read(config);
        EngineThreads.set(study.train().threads());
        StudyRunner.run(study, out, new PrintStream(System.err, true));
        PrintWriter w = spec.commandLine().getOut();
        w.print(Files.readString(out.resolve("summary.md")));
        w.println("study folder: " + out);
        w.println("report: " + out.resolve(io.pneuknow.experiment.StudyReport.FILE));
        w.flush();
        return 0;
    }
}
