package io.pneuknow.bench;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.ptr.LongByReference;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where this process's memory is at its highest resident memory (issue 21, item 3): a daemon thread reads VmRSS from
 * /proc/self/status every {@value #INTERVAL_MILLIS} ms and, whenever it is the highest seen, takes a {@link Snapshot}
 * of the other figures at that moment. Run inside our probe JVM ({@link MemoryProbe}); its line goes to the bench's
 * report.
 */
final class PeakBreakdown {
    static final long INTERVAL_MILLIS = 50;

    /**
     * One moment's figures, kB. Resident memory from /proc/self/status: {@code rss} = {@code anon} (the heap, malloc,
     * thread stacks, ...) + {@code file} (mapped files: libtorch, the JVM, the class-data archive) + shared memory.
     * The JVM's own pools from its MXBeans: the Java heap in use and committed, {@code nonHeap} (metaspace, compressed
     * class space, code cache) committed, and the direct buffers. With tcmalloc preloaded, its figures
     * (MallocExtension, -1 without it): {@code mallocInUse}, what the process holds in malloc blocks (libtorch's
     * tensors and the JVM's and libraries' own mallocs); {@code mallocCached}, free memory tcmalloc keeps mapped
     * (its page heap and its central, transfer and thread caches); {@code mallocUnmapped}, what it gave back to the
     * kernel (not resident).
     */
    record Snapshot(long rss, long anon, long file, long heapUsed, long heapCommitted, long heapMax, long nonHeap,
                    long direct, long mallocInUse, long mallocCached, long mallocUnmapped) {
        /** "key=value ..." in kB, one line. */
        String line() {
            Map<String, Long> v = new LinkedHashMap<>();
            v.put("rss_kB", rss);
            v.put("anon_kB", anon);
            v.put("file_kB", file);
            v.put("heap_used_kB", heapUsed);
            v.put("heap_committed_kB", heapCommitted);
            v.put("heap_max_kB", heapMax);
            v.put("nonheap_committed_kB", nonHeap);
            v.put("direct_kB", direct);
            v.put("malloc_in_use_kB", mallocInUse);
            v.put("malloc_cached_kB", mallocCached);
            v.put("malloc_unmapped_kB", mallocUnmapped);
            StringBuilder b = new StringBuilder();
            v.forEach((k, x) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=').append(x));
            return b.toString();
        }

        /** The snapshot of a {@link #line}. */
        static Snapshot parse(String line) {
            Map<String, Long> v = new LinkedHashMap<>();
            for (String pair : line.strip().split("\\s+")) {
                int eq = pair.indexOf('=');
                v.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1)));
            }
            return new Snapshot(v.get("rss_kB"), v.get("anon_kB"), v.get("file_kB"), v.get("heap_used_kB"),
                    v.get("heap_committed_kB"), v.get("heap_max_kB"), v.get("nonheap_committed_kB"), v.get("direct_kB"),
                    v.get("malloc_in_use_kB"), v.get("malloc_cached_kB"), v.get("malloc_unmapped_kB"));
        }

        /** A short description for the report, MiB. */
        String describe() {
            return String.format(java.util.Locale.ROOT, "VmRSS %d MiB (anonymous %d, mapped files %d): Java heap %d MiB"
                    + " used of %d committed (max %d), metaspace and code %d, direct buffers %d%s", rss / 1024,
                    anon / 1024, file / 1024, heapUsed / 1024, heapCommitted / 1024, heapMax / 1024, nonHeap / 1024,
                    direct / 1024, mallocInUse < 0 ? "" : String.format(java.util.Locale.ROOT,
                            "; tcmalloc %d MiB in use, %d cached free", mallocInUse / 1024, mallocCached / 1024));
        }
    }

    /** The snapshots at the highest resident memory and at the most bytes in malloc blocks (tcmalloc only). */
    record Peaks(Snapshot atRss, Snapshot atMalloc) {
    }

    private final Thread thread;
    private volatile boolean running = true;
    private Snapshot peak;
    private Snapshot mallocPeak;
    private final Function tcmalloc = tcmallocProperty();

    private PeakBreakdown() {
        thread = new Thread(this::loop, "peak-breakdown");
        thread.setDaemon(true);
    }

    /** Starts sampling this process. */
    static PeakBreakdown start() {
        PeakBreakdown b = new PeakBreakdown();
        b.thread.start();
        return b;
    }

    /** Stops sampling; the snapshots at the highest VmRSS and malloc use seen (null where none was read). */
    Peaks stop() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join();
        synchronized (this) {
            sample();
            return new Peaks(peak, mallocPeak);
        }
    }

    private void loop() {
        while (running) {
            sample();
            try {
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void sample() {
        long rss = ProcMemory.statusKb("self", "VmRSS");
        long inUse = property("generic.current_allocated_bytes");
        boolean rssPeak = rss >= 0 && (peak == null || rss > peak.rss());
        boolean mallocPeak = inUse >= 0 && (this.mallocPeak == null || inUse / 1024 > this.mallocPeak.mallocInUse());
        if (!rssPeak && !mallocPeak) {
            return;
        }
        Snapshot now = snapshot(rss, inUse);
        if (rssPeak) {
            peak = now;
        }
        if (mallocPeak) {
            this.mallocPeak = now;
        }
    }

    private Snapshot snapshot(long rss, long inUse) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long nonHeap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.NON_HEAP) {
                nonHeap += pool.getUsage().getCommitted();
            }
        }
        long direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            direct += Math.max(0, pool.getMemoryUsed());
        }
        long heapSize = property("generic.heap_size");
        long unmapped = property("tcmalloc.pageheap_unmapped_bytes");
        return new Snapshot(rss, ProcMemory.statusKb("self", "RssAnon"), ProcMemory.statusKb("self", "RssFile"),
                memory.getHeapMemoryUsage().getUsed() / 1024, memory.getHeapMemoryUsage().getCommitted() / 1024,
                memory.getHeapMemoryUsage().getMax() / 1024, nonHeap / 1024, direct / 1024,
                inUse < 0 ? -1 : inUse / 1024, inUse < 0 ? -1 : (heapSize - unmapped - inUse) / 1024,
                unmapped < 0 ? -1 : unmapped / 1024);
    }

    /** A numeric property of tcmalloc (gperftools' MallocExtension), bytes; -1 without tcmalloc. */
    private long property(String name) {
        if (tcmalloc == null) {
            return -1;
        }
        LongByReference value = new LongByReference();
        return tcmalloc.invokeInt(new Object[] {name, value}) != 0 ? value.getValue() : -1;
    }

    private static Function tcmallocProperty() {
        try {
            return NativeLibrary.getProcess().getFunction("MallocExtension_GetNumericProperty");
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }
}
