package io.pneuknow.cli;

import io.pneuknow.train.EngineThreads;
import io.pneuknow.BadInputException;
import io.pneuknow.data.GreyImage;
import io.pneuknow.data.ImageFiles;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.Predictor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pneuknow predict}: class probabilities per image from a trained model bundle. */
@Command(name = "predict", description = "Print class probabilities for image files or folders (searched recursively).")
final class PredictCommand implements Callable<Integer> {
    private static final int BATCH = 16;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory written by 'pneuknow train --out'.")
    Path model;

    @Option(names = "--threads", description = "Engine threads (default: all cores).")
    Integer threads;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Image files (PNG, JPEG) or folders.")
    List<Path> paths;

    @Override
    public Integer call() throws IOException {
        EngineThreads.set(threads == null ? 0 : threads);
        List<Path> files = imageFiles(paths);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (ModelBundle.Loaded loaded = ModelBundle.load(model)) {
            Predictor predictor = new Predictor(loaded);
            List<String> labels = loaded.card().labels();
            out.println("image," + "label," + String.join(",", labels.stream().map(l -> "p_" + l).toList()));
            int failed = 0;
            for (int start = 0; start < files.size(); start += BATCH) {
                List<Path> chunk = files.subList(start, Math.min(files.size(), start + BATCH));
                List<Path> readable = new ArrayList<>();
                List<GreyImage> images = new ArrayList<>();
                for (Path f : chunk) {
                    try {
                        images.add(ImageFiles.read(f));
                        readable.add(f);
                    } catch (BadInputException e) {
                        err.println("skipped: " + e.getMessage());
                        failed++;
                    }
                }
                if (images.isEmpty()) {
                    continue;
                }
                float[][] probabilities = predictor.probabilities(images);
                for (int i = 0; i < readable.size(); i++) {
                    float[] p = probabilities[i];
                    StringBuilder row = new StringBuilder(readable.get(i).toString()).append(',')
                            .append(labels.get(Predictor.argmax(p)));
                    for (float v : p) {
                        row.append(String.format(Locale.ROOT, ",%.4f", v));
                    }
                    out.println(row);
                }
            }
            out.flush();
            if (failed > 0) {
                err.printf("%d of %d files could not be read (listed above)%n", failed, files.size());
            }
            return 0;
        }
    }

    static List<Path> imageFiles(List<Path> paths) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(Files::isRegularFile).filter(PredictCommand::isImage).sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new BadInputException(p + ": no such file or folder; check the path");
            }
        }
        if (files.isEmpty()) {
            throw new BadInputException("no PNG or JPEG images found in " + paths + "; pass image files or folders holding them");
        }
        return files;
    }

    private static boolean isImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".png") || name.endsWith(".jpg") || name.endsWith(".jpeg");
    }
}
