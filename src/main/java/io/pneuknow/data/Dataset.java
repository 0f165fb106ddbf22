package io.pneuknow.data;

import java.nio.file.Path;
import java.util.List;

/**
 * A validated data set: every sample's file exists and decodes, its class is known, its regions lie
 * inside the image. {@code classes} is the class list in label order (index = class index).
 */
public record Dataset(Path root, List<String> classes, List<Sample> samples) {
    public Dataset {
        classes = List.copyOf(classes);
        samples = List.copyOf(samples);
    }

    /**
     * The population these images stand for, in words, for a model card: "579 images of 357 patients from
     * labels.csv where recommended_main = 1; classes bacterial, covid19; sources actualmed, ieee8023". Names the
     * labels file by its name only: a card is shown by the service, which must not reveal server paths.
     */
    public String population(DataSpec spec) {
        StringBuilder s = new StringBuilder();
        s.append(samples.size()).append(" images of ").append(samples.stream().map(Sample::patientId).distinct().count())
                .append(" patients from ").append(spec.labelsFile().getFileName());
        if (!spec.rowFilter().isEmpty()) {
            s.append(" where ").append(spec.rowFilter().entrySet().stream().map(e -> e.getKey() + " = " + e.getValue())
                    .collect(java.util.stream.Collectors.joining(" and ")));
        }
        s.append("; classes ").append(String.join(", ", classes));
        List<String> sources = samples.stream().map(x -> x.attributes().get("source"))
                .filter(v -> v != null && !v.isBlank()).distinct().sorted().toList();
        if (!sources.isEmpty()) {
            s.append("; sources ").append(String.join(", ", sources));
        }
        return s.toString();
    }
}
