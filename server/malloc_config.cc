// dnsd's allocator settings, read by jemalloc when the process starts.
//
// With glibc's malloc dnsd kept what large requests had used: twelve imports
// of a 40,000-RRset zone left 830 MiB resident (per-thread arenas fragment
// and are never given back), over the Helm chart's 512 MiB limit. jemalloc
// returns freed pages on its own: a background thread purges dirty pages
// after about a second, and "muzzy" pages are not kept at all. Measured
// with bench/memory_bench.py (README, "Memory").
extern "C" {
// NOLINTNEXTLINE: the name is jemalloc's.
const char* malloc_conf =
    "background_thread:true,max_background_threads:1,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
