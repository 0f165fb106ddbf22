package io.pneuknow.cli;

import io.pneuknow.BadInputException;
import io.pneuknow.Json;
import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SplitCsv;
import io.pneuknow.guard.GuardRate;
import io.pneuknow.guard.GuardWarning;
import io.pneuknow.guard.InputGuard;
import io.pneuknow.guard.InputImage;
import io.pneuknow.guard.OutOfScopeImages;
import io.pneuknow.image.GreyImage;
import io.pneuknow.model.ModelBundle;
import io.pneuknow.model.ModelCard;
import io.pneuknow.model.Predictor;
import io.pneuknow.train.EngineThreads;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "guard-check", sortOptions = false, description = {
        "Measure a model's input guard: false warnings on held-out images, flags on out-of-scope images.",
        "The share of held-out images of the model's own population (a part of its split, by default test) "
                + "the guard calls out of scope (false warnings), the share of a generated out-of-scope set it flags "
                + "(tiny, colour, text, MR-like, inverted images; laterals by DICOM header), and, with --other-where, "
                + "the share of another named set (e.g. paediatric films). Each rate with its Wilson 95%% interval, "
                + "without and with the low-confidence notice counted."})
public final class GuardCheckCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory written by 'pneuknow train'.")
    Path model;

    @Option(names = "--part", defaultValue = "test", description = "Part of the model's split that is the held-out population (default ${DEFAULT-VALUE}).")
    String part;

    @Option(names = "--other-where", description = "Rows of the same labels file forming a further set to report (repeatable, all must hold), e.g. source=kermany_pediatric.")
    List<String> otherWhere;

    @Option(names = "--min-confidence", defaultValue = "0.5", description = "The guard's threshold on the largest probability (default ${DEFAULT-VALUE}).")
    double minConfidence;

    @Option(names = "--seed", defaultValue = "16", description = "Seed of the generated out-of-scope images (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--radiographs", defaultValue = "10", description = "Held-out radiographs the tiny, inverted and lateral images are made from (default ${DEFAULT-VALUE}).")
    int radiographs;

    @Option(names = "--out", description = "Folder for guard-check.json (default: only the table on standard output).")
    Path out;

    @Option(names = "--threads", defaultValue = "0", description = "Engine threads, 0 for all cores.")
    int threads;

    @Mixin
    DataOptions dataOptions = new DataOptions();

    @Override
    public Integer call() throws IOException {
        EngineThreads.set(threads);
        ModelCard card = ModelBundle.readCard(model);
        if (card.inputStatistics() == null) {
            throw new BadInputException(model + "/model.json records no input statistics; the guard can only check "
                    + "headers, size and confidence. Train the model again to measure its guard");
        }
        DataSpec dataSpec = dataOptions.toSpec(model, card);
        Dataset dataset = DatasetLoader.load(dataSpec);
        Split split = SplitCsv.read(model.resolve("split.csv"), dataset);
        List<Sample> heldOut = split.samples(dataset, part);
        if (heldOut.isEmpty()) {
            throw new BadInputException("split part '" + part + "' has no images; choose one of " + split.parts());
        }
        PrintWriter w = spec.commandLine().getOut();
        InputGuard guard = new InputGuard(card, minConfidence);
        List<GuardRate> rates = new ArrayList<>();
        try (ModelBundle.Loaded loaded = ModelBundle.load(model)) {
            Predictor predictor = new Predictor(loaded);
            rates.add(measure(guard, predictor, "held-out " + part + " part (" + heldOut.size() + " images)",
                    files(heldOut)));
            int n = Math.min(radiographs, heldOut.size());
            List<GreyImage> sources = IntStream.range(0, n)
                    .mapToObj(i -> InputImage.read(heldOut.get(i * heldOut.size() / n).file()).image()).toList();
            List<OutOfScopeImages.Item> generated = OutOfScopeImages.make(sources, seed);
            List<Supplier<InputImage>> all = new ArrayList<>();
            Map<String, List<Supplier<InputImage>>> groups = new LinkedHashMap<>();
            for (OutOfScopeImages.Item item : generated) {
                Supplier<InputImage> decode = () -> InputImage.decode(item.bytes(), item.group() + " " + item.name());
                all.add(decode);
                groups.computeIfAbsent(item.group(), g -> new ArrayList<>()).add(decode);
            }
            GuardRate allRate = measure(guard, predictor, "out-of-scope set, all", all);
            List<GuardRate> groupRates = new ArrayList<>();
            for (Map.Entry<String, List<Supplier<InputImage>>> group : groups.entrySet()) {
                groupRates.add(measure(guard, predictor, "out-of-scope: " + group.getKey(), group.getValue()));
            }
            rates.add(allRate);
            rates.addAll(groupRates);
            if (otherWhere != null && !otherWhere.isEmpty()) {
                DataSpec other = DataSpec.of(dataSpec.root()).withLabelsFile(dataSpec.labelsFile())
                        .withColumns(dataSpec.imageIdColumn(), dataSpec.fileColumn(), dataSpec.classColumn(),
                                dataSpec.patientColumn());
                for (String condition : otherWhere) {
                    int eq = condition.indexOf('=');
                    if (eq <= 0) {
                        throw new BadInputException("--other-where '" + condition + "' is not COLUMN=VALUE");
                    }
                    other = other.withRowCondition(condition.substring(0, eq).trim(), condition.substring(eq + 1).trim());
                }
                List<Sample> samples = DatasetLoader.load(other).samples();
                rates.add(measure(guard, predictor, "other: " + String.join(", ", otherWhere) + " (" + samples.size()
                        + " images)", files(samples)));
            }
        }
        w.println("| set | images | out of scope | 95% CI | any warning (with low confidence) | 95% CI | images per code |");
        w.println("|---|---|---|---|---|---|---|");
        for (GuardRate r : rates) {
            w.println(String.format(Locale.ROOT, "| %s | %d | %d (%.1f %%) | %.1f-%.1f %% | %d (%.1f %%) | %.1f-%.1f %% | %s |",
                    r.set(), r.images(), r.outOfScope(), 100 * r.outOfScopeRate(), 100 * r.outOfScopeInterval()[0],
                    100 * r.outOfScopeInterval()[1], r.anyWarning(), 100 * r.anyWarningRate(),
                    100 * r.anyWarningInterval()[0], 100 * r.anyWarningInterval()[1], r.codes()));
        }
        ModelCard.InputStatistics s = card.inputStatistics();
        w.println(String.format(Locale.ROOT, "guard: widening %s chosen on %s validation images (%s warned); ranges from %d training images",
                s.widening(), s.validationImages(), s.validationWarned() == null ? "-"
                        : String.format(Locale.ROOT, "%.1f %%", 100 * s.validationWarned()), s.images()));
        w.flush();
        if (out != null) {
            Files.createDirectories(out);
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("model", card.id());
            report.put("part", part);
            report.put("minConfidence", minConfidence);
            report.put("seed", seed);
            report.put("inputStatistics", s);
            report.put("rates", rates);
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.resolve("guard-check.json").toFile(), report);
        }
        return 0;
    }

    private static List<Supplier<InputImage>> files(List<Sample> samples) {
        return samples.stream().<Supplier<InputImage>>map(s -> () -> InputImage.read(s.file())).toList();
    }

    /** The guard's warnings on every image, decoded and predicted in batches of 16. */
    private static GuardRate measure(InputGuard guard, Predictor predictor, String set, List<Supplier<InputImage>> images) {
        List<List<GuardWarning>> warnings = new ArrayList<>();
        for (int from = 0; from < images.size(); from += 16) {
            List<InputImage> batch = images.subList(from, Math.min(images.size(), from + 16)).parallelStream()
                    .map(Supplier::get).toList();
            float[][] p = predictor.probabilities(batch.stream().map(InputImage::image).toList());
            for (int k = 0; k < batch.size(); k++) {
                warnings.add(guard.check(batch.get(k), p[k]));
            }
        }
        return GuardRate.of(set, warnings);
    }
}
