package io.pneuknow.bench;

import io.pneuknow.data.DataSpec;
import io.pneuknow.data.Dataset;
import io.pneuknow.data.DatasetLoader;
import io.pneuknow.data.Sample;
import io.pneuknow.data.Split;
import io.pneuknow.data.SyntheticChestXrays;
import io.pneuknow.image.GreyImage;
import io.pneuknow.image.ImageFiles;
import io.pneuknow.train.TrainRun;
import io.pneuknow.transform.Resize;
import io.pneuknow.transform.RoiMask;
import io.pneuknow.transform.RoiShape;
import java.nio.file.Path;
import java.util.List;

/**
 * A synthetic annotated data set written as PNG files at the bench size, read by both sides: every
 * training image has an ROI (a drawn lesion, or the empty ROI of the no-finding class), and the
 * validation part has one image per class (it only keeps {@code train}'s epoch loop complete).
 */
record BenchData(Path dir, Dataset dataset, TrainRun.Parts parts, int size) {
    static final int BATCH = 16;

    /** At least {@code steps} batches of 16 training images (rounded up to whole images per class). */
    static BenchData generate(Path dir, int size, int steps) {
        int classes = SyntheticChestXrays.CLASSES.size();
        int perClass = (BATCH * steps + classes - 1) / classes;
        SyntheticChestXrays.generate(dir, new SyntheticChestXrays.Spec(size, perClass, 1, 0, 0.0,
                SyntheticChestXrays.Spec.CUE_LEVEL, 7));
        return load(dir, size);
    }

    /** The data set {@link #generate} wrote into {@code dir}. */
    static BenchData load(Path dir, int size) {
        DataSpec spec = DataSpec.of(dir.toAbsolutePath()).withRegionsCsv(Path.of("regions.csv"))
                .withRegionTypes("lesion").withSplitColumn("split");
        Dataset dataset = DatasetLoader.load(spec);
        Split split = Split.fromColumn(dataset, "split");
        TrainRun.Parts parts = new TrainRun.Parts(split.samples(dataset, Split.TRAIN),
                split.samples(dataset, Split.VAL), List.of());
        return new BenchData(dir, dataset, parts, size);
    }

    List<Sample> train() {
        return parts.train();
    }

    /** A sample decoded, its ROI mask built, both resized to the bench size: what training prepares once. */
    record Prepared(Sample sample, GreyImage image, GreyImage mask) {
    }

    /** Decode + ROI mask + resize, as train.TrainRun prepares each image once (no-finding: empty mask). */
    Prepared prepare(Sample s) {
        GreyImage raw = ImageFiles.read(s.file());
        GreyImage mask = s.regions().isEmpty() ? GreyImage.blank(size, size)
                : Resize.maskTo(RoiMask.build(s, raw.width(), raw.height(), 0, RoiShape.MASK, ImageFiles::readMask),
                size, size);
        return new Prepared(s, Resize.to(raw, size, size), mask);
    }
}
