package io.pneuknow.serve;

import io.pneuknow.image.ImageFiles;
import io.pneuknow.image.ImageFormats;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Map;

/**
 * A process-wide budget for the memory held by image requests' work: each admitted request reserves an estimate
 * of what it will hold ({@link Cost}) before it decodes, and gives it back only when its work really ends (the
 * decode, forward pass and heat map finished or stopped), not when its answer is sent: a request answered 503
 * {@code timeout} whose forward pass still runs keeps its reservation. A request that does not fit now is refused
 * 503 {@code memory_busy}; one that could never fit, 413 {@code over_memory_budget}.
 */
final class MemoryBudget {
    /**
     * Bytes a decoded pixel may hold at the decode's peak, worst case: a 16-bit RGBA raster (8), the three
     * {@code int} bands read from it (12) and the {@code float} grey image (4); an 8-bit grey PNG holds 9.
     */
    static final long DECODE_BYTES_PER_PIXEL = 24;
    /**
     * Bytes a decoded pixel adds for {@code /v1/explain}: the heat map drawn at the decoded size ({@code float}, 4),
     * the overlay's RGB raster ({@code int}, 4) and its PNG (at most 4).
     */
    static final long EXPLAIN_BYTES_PER_PIXEL = 12;
    /**
     * Bytes per input pixel of the model's input: the resized grey image ({@code float}, 4) and the input tensor
     * (three channels of {@code float}, 12).
     */
    static final long INPUT_BYTES_PER_PIXEL = 16;
    /**
     * What one request's forward pass and heat map add to the native memory, per architecture: the largest growth of
     * the process's peak RSS over one more request (forward pass, Grad-CAM, heat image) after a warm-up request,
     * measured once with {@code ActivationBench} (test sources; tiny_cnn at 64 and 224 px, the others at 128 or 224 px:
     * at most 0.25 MiB, resnet50 7.5 MiB) and rounded up with a margin. The first request on each model copy grows
     * the RSS far more (42 MiB for tiny_cnn at 64 px, 288 MiB resnet18, 964 MiB resnet50: the engine's working memory,
     * kept by its allocator and reused by every later request on that copy); that is a per-copy cost bounded by
     * {@code --workers}, part of the resident-memory ceiling's fixed terms (docs/benchmarks.md), not of a request.
     */
    static final Map<String, Long> ACTIVATION_BYTES = Map.of(
            "tiny_cnn", 2L << 20,
            "resnet18", 2L << 20,
            "densenet121", 2L << 20,
            "efficientnet_b0", 2L << 20,
            "convnext_tiny", 2L << 20,
            "resnet50", 16L << 20);
    /** Architectures not measured (the other ConvNeXt and EfficientNet sizes, resnet18_half, TorchScript): the largest, doubled. */
    static final long UNMEASURED_ACTIVATION_BYTES = 32L << 20;
    /** The smallest default budget. */
    static final long MIN_DEFAULT_BYTES = 256L << 20;

    private final long capacity;
    private long reserved; // guarded by this

    /** A budget of {@code capacityBytes} (at least 1). */
    MemoryBudget(long capacityBytes) {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException("memory budget must be positive: " + capacityBytes);
        }
        this.capacity = capacityBytes;
    }

    /**
     * The default budget: half the JVM's maximum heap (the decoded pixels live there; the other half is left to the
     * uploads' bytes and the service's own objects), at most a quarter of the machine's memory, at least
     * {@value #MIN_DEFAULT_BYTES} bytes.
     */
    static long defaultBytes() {
        return defaultBytes(Runtime.getRuntime().maxMemory(), physicalMemory());
    }

    /** {@link #defaultBytes()} for a given maximum heap and machine memory (0: unknown). */
    static long defaultBytes(long maxHeap, long physical) {
        long half = maxHeap / 2;
        long bound = physical > 0 ? Math.min(half, physical / 4) : half;
        return Math.max(MIN_DEFAULT_BYTES, bound);
    }

    /** The machine's memory in bytes, 0 when the JVM cannot tell. */
    static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

    /** The native memory one request's forward pass and heat map add for a model ({@link #ACTIVATION_BYTES}). */
    static long activationBytes(String architecture) {
        return ACTIVATION_BYTES.getOrDefault(architecture.toLowerCase(Locale.ROOT), UNMEASURED_ACTIVATION_BYTES);
    }

    /**
     * The default {@code --max-pixels}: the largest image one request may decode in full and explain within the
     * budget, {@code (budget - modelBytes) / (DECODE_BYTES_PER_PIXEL + EXPLAIN_BYTES_PER_PIXEL)}, where
     * {@code modelBytes} is the model's part of every request ({@link Cost#modelBytes}); at least 1.
     */
    static long defaultMaxPixels(long budgetBytes, String architecture, int inputSize) {
        long model = modelBytes(architecture, inputSize);
        return Math.max(1, (budgetBytes - model) / (DECODE_BYTES_PER_PIXEL + EXPLAIN_BYTES_PER_PIXEL));
    }

    /** The model's part of every request: its input ({@link #INPUT_BYTES_PER_PIXEL}) and its activations. */
    static long modelBytes(String architecture, int inputSize) {
        return (long) INPUT_BYTES_PER_PIXEL * inputSize * inputSize + activationBytes(architecture);
    }

    /**
     * What one image request holds while its work runs.
     *
     * @param uploadBytes the upload's bytes, kept until the answer
     * @param decodedPixels the pixels it will be decoded to: the file's for DICOM and for images under twice the
     *     subsampling side, the subsampled size otherwise (rounded up)
     * @param pixelBytes the decoded pixels times {@link #DECODE_BYTES_PER_PIXEL} (plus {@link #EXPLAIN_BYTES_PER_PIXEL}
     *     for a heat map)
     * @param modelBytes {@link MemoryBudget#modelBytes}
     */
    record Cost(long uploadBytes, long decodedPixels, long pixelBytes, long modelBytes) {
        /** The bytes to reserve. */
        long total() {
            return uploadBytes + pixelBytes + modelBytes;
        }

        /**
         * The cost of decoding an upload of {@code size} ({@code bytes}: its content, to tell DICOM) read at a
         * shorter side of at least {@code minShorterSide} (as {@link ImageFiles#decode(byte[], String, int)} does)
         * for a model of {@code architecture} at {@code inputSize}, with a heat map when {@code explain}.
         */
        static Cost of(byte[] bytes, ImageFiles.Dimensions size, int minShorterSide, String architecture, int inputSize,
                       boolean explain) {
            long pixels = MemoryBudget.decodedPixels(size.width(), size.height(),
                    ImageFormats.forBytes(bytes) == ImageFormats.DICOM ? 0 : minShorterSide);
            long perPixel = DECODE_BYTES_PER_PIXEL + (explain ? EXPLAIN_BYTES_PER_PIXEL : 0);
            return new Cost(bytes.length, pixels, pixels * perPixel, MemoryBudget.modelBytes(architecture, inputSize));
        }
    }

    /**
     * The pixels an image of {@code width x height} is decoded to when read at a shorter side of at least
     * {@code minShorterSide} (0: in full): the subsampling step is {@code shorter side / minShorterSide} (ImageIO
     * format's), and each side keeps at most {@code ceil(side / step)} pixels.
     */
    static long decodedPixels(int width, int height, int minShorterSide) {
        int step = minShorterSide <= 0 ? 1 : Math.max(1, Math.min(width, height) / minShorterSide);
        return (long) ((width + step - 1) / step) * ((height + step - 1) / step);
    }

    /**
     * Reserves {@code cost.total()} bytes until the returned reservation is closed; throws {@link ApiException}
     * 413 {@code over_memory_budget} when it is more than the whole budget, 503 {@code memory_busy} when the
     * reservations in flight leave too little now.
     */
    Reservation reserve(Cost cost) {
        long bytes = cost.total();
        if (bytes > capacity) {
            throw new ApiException(413, "over_memory_budget", "this image (decoded at " + cost.decodedPixels()
                    + " pixels) needs about " + mib(bytes) + " of memory, more than the service's memory budget of "
                    + mib(capacity) + "; downscale the image, or start the service with a larger --memory-budget-mb");
        }
        synchronized (this) {
            if (reserved + bytes > capacity) {
                throw new ApiException(503, "memory_busy", "the memory budget of " + mib(capacity) + " is held by "
                        + "requests in flight (" + mib(reserved) + "; this one needs " + mib(bytes)
                        + "); retry in a second, or start the service with a larger --memory-budget-mb");
            }
            reserved += bytes;
        }
        return new Reservation(bytes);
    }

    /** The bytes reserved now. */
    synchronized long reserved() {
        return reserved;
    }

    /** The budget in bytes. */
    long capacity() {
        return capacity;
    }

    private synchronized void giveBack(long bytes) {
        reserved -= bytes;
    }

    /** Bytes as MiB for messages, e.g. {@code 512 MiB}, {@code 0.3 MiB}. */
    static String mib(long bytes) {
        double value = bytes / (double) (1 << 20);
        return (value >= 10 || value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value)
                : String.format(Locale.ROOT, "%.1f", value)) + " MiB";
    }

    /** Bytes held in the budget until {@link #close()}, which gives them back once (later calls do nothing). */
    final class Reservation implements AutoCloseable {
        private final long bytes;
        private boolean closed; // guarded by MemoryBudget.this

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        /** The bytes held. */
        long bytes() {
            return bytes;
        }

        @Override
        public void close() {
            synchronized (MemoryBudget.this) {
                if (!closed) {
                    closed = true;
                    giveBack(bytes);
                }
            }
        }
    }
}
