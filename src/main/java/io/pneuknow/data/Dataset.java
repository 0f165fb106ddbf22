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
}
