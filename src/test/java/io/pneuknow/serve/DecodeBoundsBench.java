package io.pneuknow.serve;

import io.pneuknow.guard.InputImage;
import io.pneuknow.transform.Resize;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Not a test: measures what one service request's decode (and resize to the model's input) of a huge upload
 * costs, read in full or subsampled. Run once per mode in a fresh JVM:
 * {@code java -cp ... io.pneuknow.serve.DecodeBoundsBench full|subsampled [inputSize] [repeats] [threads]}; each of
 * {@code threads} threads (as concurrent requests) decodes {@code repeats} times; prints the time per decode, the
 * peak heap (all heap pools' peaks summed) and the peak RSS (VmHWM).
 */
public final class DecodeBoundsBench {
    private DecodeBoundsBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "subsampled";
        int inputSize = args.length > 1 ? Integer.parseInt(args[1]) : 224;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        byte[] png = flatPng(6000);
        Resize.to(new io.pneuknow.image.GreyImage(2, 2, new float[4]), 1, 1); // load OpenCV before measuring
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long started = System.nanoTime();
        int[] side = new int[1];
        java.util.List<Thread> workers = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                for (int i = 0; i < repeats; i++) {
                    InputImage input = mode.equals("full") ? InputImage.decode(png, "upload")
                            : InputImage.decode(png, "upload", ImageEndpoints.READ_MARGIN * inputSize);
                    side[0] = input.image().width();
                    Resize.to(input.image(), inputSize, inputSize);
                }
            });
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
        double seconds = (System.nanoTime() - started) / 1e9 / repeats;
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPeak += pool.getPeakUsage().getUsed();
            }
        }
        String hwm = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM"))
                .findFirst().orElse("VmHWM: ?").replaceAll("\\s+", " ");
        System.out.printf("%s, %d thread(s): png %d bytes 6000x6000 -> read %dx%d, %.2f s per round of decode+resize, "
                + "peak heap %d MB, %s%n", mode, threads, png.length, side[0], side[0], seconds, heapPeak >> 20, hwm);
    }

    /** A 6000x6000 grey PNG of one value with a few lines: a small file (tens of KB) for 36 MP. */
    static byte[] flatPng(int side) throws IOException {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        java.util.Arrays.fill(pixels, (byte) 90);
        for (int y = 0; y < side; y += 500) {
            java.util.Arrays.fill(pixels, y * side, y * side + side, (byte) 200);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
