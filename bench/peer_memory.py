#!/usr/bin/python3
"""Runs the frozen peer script (bench/peer_train.py) unchanged in this process and reports where the main process's
memory is at its highest resident memory and at its most bytes in malloc blocks: a diagnostic of issue 21, item 3, the peer's counterpart of our
bench.PeakBreakdown. Not a side of the race and not used by the bench unless given as its --python.

Usage: bench/peer_memory.py bench/peer_train.py ARGS...   (the script's own arguments after it)

A daemon thread reads VmRSS, RssAnon and RssFile from /proc/self/status every 50 ms and, when tcmalloc is preloaded,
its numeric properties (gperftools' MallocExtension_GetNumericProperty): bytes in use by the process and free bytes
tcmalloc keeps mapped. At exit it prints two lines to stderr, the figures at the highest VmRSS and at the most bytes
in use:
    peer_peak_breakdown rss_kB=... anon_kB=... file_kB=... malloc_in_use_kB=... malloc_cached_kB=... malloc_unmapped_kB=...
    peer_malloc_peak_breakdown (the same keys)
The DataLoader worker is forked from this process; the thread does not run in it (its VmRSS is the bench's to add).
"""

import atexit
import ctypes
import runpy
import sys
import threading
import time


def status():
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0])
    return fields


def tcmalloc_property():
    try:
        fn = ctypes.CDLL(None).MallocExtension_GetNumericProperty
    except AttributeError:
        return None
    fn.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t)]
    fn.restype = ctypes.c_int

    def get(name):
        value = ctypes.c_size_t()
        return value.value if fn(name.encode(), ctypes.byref(value)) else -1
    return get


def main():
    prop = tcmalloc_property()
    peaks = {"peer_peak_breakdown": {"rss_kB": -1}, "peer_malloc_peak_breakdown": {"malloc_in_use_kB": -1}}
    lock = threading.Lock()

    def snapshot():
        s = status()
        row = {"rss_kB": s["VmRSS"], "anon_kB": s["RssAnon"], "file_kB": s["RssFile"],
               "malloc_in_use_kB": -1, "malloc_cached_kB": -1, "malloc_unmapped_kB": -1}
        if prop is not None:
            heap = prop("generic.heap_size")
            unmapped = prop("tcmalloc.pageheap_unmapped_bytes")
            in_use = prop("generic.current_allocated_bytes")
            row.update(malloc_in_use_kB=in_use // 1024, malloc_cached_kB=(heap - unmapped - in_use) // 1024,
                       malloc_unmapped_kB=unmapped // 1024)
        return row

    def sample():
        row = snapshot()
        with lock:
            for name, key in (("peer_peak_breakdown", "rss_kB"), ("peer_malloc_peak_breakdown", "malloc_in_use_kB")):
                if row[key] > peaks[name][key]:
                    peaks[name] = row

    def loop():
        while True:
            sample()
            time.sleep(0.05)

    threading.Thread(target=loop, daemon=True).start()

    def report():
        sample()
        for name, row in peaks.items():
            print(name + " " + " ".join(f"{k}={v}" for k, v in row.items()), file=sys.stderr, flush=True)
    atexit.register(report)
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
