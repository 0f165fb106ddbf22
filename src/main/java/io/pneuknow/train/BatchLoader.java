package io.pneuknow.train;

import io.pneuknow.image.GreyImage;
import io.pneuknow.transform.AugmentedPair;
import io.pneuknow.transform.PairedAugmenter;
import io.pneuknow.transform.Preprocessor;
import io.pneuknow.transform.RoiMask;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Builds batches on loader threads while the network trains on the previous one. Each sample is
 * augmented with its own generator seeded from (seed, epoch, sample index; see {@link Item#drawIndex}), so a batch's contents
 * do not depend on thread scheduling, and the image and its ROI get the same random draw.
 */
final class BatchLoader implements AutoCloseable {
    /**
     * One sample to load: {@code roiSource} provides the region of the teacher's ROI view (the
     * sample itself; a partner sample in the shuffled-ROI control, whose region is then applied to
     * this sample's image; or null when no ROI view is needed). {@code occurrence} counts earlier
     * draws of the same sample in the epoch (class-balanced sampling draws with replacement), so
     * that a repeat gets an augmentation draw of its own.
     */
    record Item(PreparedSample sample, PreparedSample roiSource, int occurrence) {
        Item(PreparedSample sample, PreparedSample roiSource) {
            this(sample, roiSource, 0);
        }

        /** The same sample drawn again in the epoch. */
        Item repeat(int nthRepeat) {
            return new Item(sample, roiSource, nthRepeat);
        }

        /**
         * The index of this draw's augmentation: the sample's index on its first draw in an epoch
         * (as without repeats), a negative number mixed from (index, occurrence) on a repeat.
         */
        int drawIndex() {
            return occurrence == 0 ? sample.index() : -1 - (int) (Schedules.mix(sample.index(), occurrence) >>> 33);
        }
    }

    /**
     * A batch in host memory, CHW per sample; {@code raw} or {@code roi} is null when not asked for.
     * {@code blankRoi[i]}: sample i's ROI view is the all-black image (it has no region, or none of its
     * region is in this view), the same for every such sample; null when the ROI view was not asked for.
     * {@code regionShares} (N x grid x grid, row-major per sample): the share of each feature-grid cell's
     * area that sample i's own expert region covers in this view of it (the mask augmented with the
     * image), in [0, 1]; {@code regionWeights[i]} is 1 when sample i has expert regions and some of them
     * are in view, else 0 (and its shares are 0): no-finding images, unannotated ones (also with the
     * whole-image policy) and those whose regions were dropped by the annotation fraction. Both null
     * when the region shares were not asked for.
     */
    record HostBatch(int size, float[] raw, float[] roi, float[] roiWeights, boolean[] blankRoi, int[] labels,
                     float[] regionShares, float[] regionWeights) {
    }

    private final PairedAugmenter augmenter;
    private final Preprocessor preprocessor;
    private final long seed;
    private final ExecutorService pool;
    /** Cached by {@link #blankTensor}; racy but benign (every thread computes the same values). */
    private volatile float[] blank;

    BatchLoader(PairedAugmenter augmenter, Preprocessor preprocessor, long seed, int threads) {
        this.augmenter = augmenter;
        this.preprocessor = preprocessor;
        this.seed = seed;
        this.pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "pneuknow-loader");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts loading a batch; {@code augment} false gives the prepared images unchanged (validation). */
    CompletableFuture<HostBatch> load(List<Item> items, int epoch, boolean augment, boolean wantRaw, boolean wantRoi) {
        return load(items, epoch, augment, wantRaw, wantRoi, 0);
    }

    /**
     * Starts loading a batch, with the expert regions' shares of a {@code shareGrid} x {@code shareGrid}
     * feature grid (0 for none).
     */
    CompletableFuture<HostBatch> load(List<Item> items, int epoch, boolean augment, boolean wantRaw, boolean wantRoi,
                                      int shareGrid) {
        return CompletableFuture.supplyAsync(() -> build(items, epoch, augment, wantRaw, wantRoi, shareGrid), pool);
    }

    HostBatch build(List<Item> items, int epoch, boolean augment, boolean wantRaw, boolean wantRoi) {
        return build(items, epoch, augment, wantRaw, wantRoi, 0);
    }

    HostBatch build(List<Item> items, int epoch, boolean augment, boolean wantRaw, boolean wantRoi, int shareGrid) {
        int n = items.size();
        int per = preprocessor.channels() * preprocessor.inputSize() * preprocessor.inputSize();
        float[] raw = wantRaw ? new float[n * per] : null;
        float[] roi = wantRoi ? new float[n * per] : null;
        float[] weights = new float[n];
        boolean[] blankRoi = wantRoi ? new boolean[n] : null;
        int[] labels = new int[n];
        int cells = shareGrid * shareGrid;
        float[] shares = shareGrid > 0 ? new float[n * cells] : null;
        float[] shareWeights = shareGrid > 0 ? new float[n] : null;
        for (int i = 0; i < n; i++) {
            Item item = items.get(i);
            PreparedSample s = item.sample();
            labels[i] = s.label();
            AugmentedPair rawPair = null;
            if (wantRaw) {
                rawPair = view(s.image(), s.roiMask(), epoch, item.drawIndex(), augment);
                System.arraycopy(preprocessor.toTensor(rawPair.image()), 0, raw, i * per, per);
            }
            if (wantRoi && item.roiSource() != null && item.roiSource().hasRoi()) {
                // this sample's image inside the region of the ROI source, with this sample's draw; when the
                // source is the sample itself, the raw view already holds that draw of image and mask
                AugmentedPair pair = rawPair != null && item.roiSource() == s ? rawPair
                        : view(s.image(), item.roiSource().roiMask(), epoch, item.drawIndex(), augment);
                GreyImage roiImage = RoiMask.apply(pair.image(), pair.mask());
                blankRoi[i] = isBlack(roiImage);
                System.arraycopy(blankRoi[i] ? blankTensor() : preprocessor.toTensor(roiImage), 0, roi, i * per, per);
                weights[i] = 1f;
            } else if (wantRoi) {
                // no ROI: an all-black image, with zero weight in the feature term
                System.arraycopy(blankTensor(), 0, roi, i * per, per);
                blankRoi[i] = true;
            }
            if (shareGrid > 0 && s.roiMask() != null && s.sample().annotated()) {
                // the sample's own region, with the draw its raw view got
                AugmentedPair own = rawPair != null ? rawPair : view(s.image(), s.roiMask(), epoch, item.drawIndex(),
                        augment);
                shareWeights[i] = regionShares(own.mask(), shareGrid, shares, i * cells) ? 1f : 0f;
            }
        }
        return new HostBatch(n, raw, roi, weights, blankRoi, labels, shares, shareWeights);
    }

    /**
     * Writes into {@code out} from {@code offset} the share of each cell of a {@code grid} x {@code grid}
     * division of the mask (row-major) that the region covers: the mean of the mask's values, in [0, 1],
     * over the cell's pixels (its area share for a 0/1 mask). Returns whether any cell has a share.
     */
    static boolean regionShares(GreyImage mask, int grid, float[] out, int offset) {
        if (mask.width() % grid != 0 || mask.height() % grid != 0) {
            throw new IllegalArgumentException("a " + mask.width() + "x" + mask.height() + " mask does not divide into "
                    + grid + "x" + grid + " cells");
        }
        int cellWidth = mask.width() / grid;
        int cellHeight = mask.height() / grid;
        float[] px = mask.pixels();
        double[] sums = new double[grid * grid];
        for (int y = 0; y < mask.height(); y++) {
            int row = (y / cellHeight) * grid;
            for (int x = 0; x < mask.width(); x++) {
                sums[row + x / cellWidth] += Math.min(1f, Math.max(0f, px[y * mask.width() + x]));
            }
        }
        boolean any = false;
        for (int c = 0; c < sums.length; c++) {
            out[offset + c] = (float) (sums[c] / (cellWidth * cellHeight));
            any |= sums[c] > 0;
        }
        return any;
    }

    private static boolean isBlack(GreyImage image) {
        for (float v : image.pixels()) {
            if (v != 0f) {
                return false;
            }
        }
        return true;
    }

    /** The preprocessed all-black image (the same for every sample, so made once). */
    private float[] blankTensor() {
        float[] blank = this.blank;
        if (blank == null) {
            blank = preprocessor.toTensor(GreyImage.blank(preprocessor.inputSize(), preprocessor.inputSize()));
            this.blank = blank;
        }
        return blank;
    }

    private AugmentedPair view(GreyImage image, GreyImage roiMask, int epoch, int drawIndex, boolean augment) {
        GreyImage mask = roiMask != null ? roiMask : GreyImage.blank(image.width(), image.height());
        if (!augment) {
            return new AugmentedPair(image, mask);
        }
        return augmenter.augment(image, mask, seed, epoch, drawIndex);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
