// Prometheus text parsing on a vLLM-shaped /metrics page: bytes/s, lines/s and heap
// allocations per parse, beside a baseline that only finds the line ends (memchr), and the
// per-cell computation on two such pages.
#include "../allocation_counter.hpp"

#include <llmcap/prometheus/parser.hpp>
#include <llmcap/prometheus/server_cell_metrics.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

using llmcap_bench::heap_allocations;

namespace {

// A page shaped like vLLM V1's: process and Python metrics, gauges and counters with the
// engine/model_name labels, and the request histograms with vLLM's bucket bounds. `scale`
// multiplies the request counts so two pages make a before/after pair.
std::string vllm_page(int scale) {
    const std::string labels = "engine=\"0\",model_name=\"Qwen/Qwen3-8B\"";
    std::string s;
    auto line = [&](const std::string& l) { s += l + "\n"; };
    auto simple = [&](const std::string& name, const std::string& type, const std::string& value) {
        line("# HELP " + name + " " + name + " of the engine.");
        line("# TYPE " + name + " " + type);
        line(name + "{" + labels + "} " + value);
    };
    line("# HELP python_gc_objects_collected_total Objects collected during gc");
    line("# TYPE python_gc_objects_collected_total counter");
    for (int g = 0; g < 3; ++g)
        line("python_gc_objects_collected_total{generation=\"" + std::to_string(g) + "\"} " +
             std::to_string(1000 * (g + 1) * scale) + ".0");
    line("# HELP process_resident_memory_bytes Resident memory size in bytes.");
    line("# TYPE process_resident_memory_bytes gauge");
    line("process_resident_memory_bytes 3.1563776e+09");
    simple("vllm:num_requests_running", "gauge", "6.0");
    simple("vllm:num_requests_waiting", "gauge", "2.0");
    simple("vllm:kv_cache_usage_perc", "gauge", "0.61");
    simple("vllm:num_preemptions_total", "counter", std::to_string(scale) + ".0");
    simple("vllm:prompt_tokens_total", "counter", std::to_string(1024 * scale) + ".0");
    simple("vllm:generation_tokens_total", "counter", std::to_string(256 * scale) + ".0");
    const char* latency[] = {"0.3",   "0.5",   "0.8",   "1.0",    "1.5",    "2.0",  "2.5",  "5.0",
                             "10.0",  "15.0",  "20.0",  "30.0",   "40.0",   "50.0", "60.0", "120.0",
                             "240.0", "480.0", "960.0", "1920.0", "7680.0", "+Inf"};
    const char* tokens[] = {"1.0",   "8.0",    "16.0",   "32.0",   "64.0",   "128.0",   "256.0",
                            "512.0", "1024.0", "2048.0", "4096.0", "8192.0", "16384.0", "+Inf"};
    auto histogram = [&](const std::string& name, const char* const* bounds, std::size_t n) {
        line("# HELP " + name + " Histogram of " + name + ".");
        line("# TYPE " + name + " histogram");
        for (std::size_t i = 0; i < n; ++i)
            line(name + "_bucket{engine=\"0\",le=\"" + bounds[i] +
                 "\",model_name=\"Qwen/Qwen3-8B\"} " +
                 std::to_string(static_cast<int>(i + 1) * scale) + ".0");
        line(name + "_count{" + labels + "} " + std::to_string(static_cast<int>(n) * scale) + ".0");
        line(name + "_sum{" + labels + "} " +
             std::to_string(0.37 * scale * static_cast<double>(n)));
    };
    for (const char* h :
         {"vllm:time_to_first_token_seconds", "vllm:inter_token_latency_seconds",
          "vllm:e2e_request_latency_seconds", "vllm:request_queue_time_seconds",
          "vllm:request_inference_time_seconds", "vllm:request_prefill_time_seconds",
          "vllm:request_decode_time_seconds", "vllm:request_time_per_output_token_seconds"})
        histogram(h, latency, std::size(latency));
    for (const char* h : {"vllm:request_prompt_tokens", "vllm:request_generation_tokens",
                          "vllm:iteration_tokens_total", "vllm:request_params_max_tokens"})
        histogram(h, tokens, std::size(tokens));
    line("# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig");
    line("# TYPE vllm:cache_config_info gauge");
    line("vllm:cache_config_info{block_size=\"16\",cache_dtype=\"auto\",enable_prefix_caching="
         "\"True\",engine=\"0\",gpu_memory_utilization=\"0.9\",num_gpu_blocks=\"27423\"} 1.0");
    return s;
}

std::size_t count_lines(const std::string& s) {
    std::size_t n = 0;
    for (char c : s)
        n += c == '\n';
    return n;
}

void report(benchmark::State& state, const std::string& page, std::uint64_t allocs) {
    const auto iterations = static_cast<double>(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(page.size()));
    state.counters["lines/s"] = benchmark::Counter(
        iterations * static_cast<double>(count_lines(page)), benchmark::Counter::kIsRate);
    state.counters["allocs/parse"] = static_cast<double>(allocs) / iterations;
    state.counters["page_bytes"] = static_cast<double>(page.size());
    state.counters["page_lines"] = static_cast<double>(count_lines(page));
}

// Baseline: find every line end, the least any line parser must do.
void bm_baseline_line_scan(benchmark::State& state) {
    const std::string page = vllm_page(10);
    const std::uint64_t a0 = heap_allocations.load();
    for (auto _ : state) {
        std::size_t lines = 0;
        const char* p = page.data();
        const char* end = p + page.size();
        while (const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
            ++lines;
            p = static_cast<const char*>(nl) + 1;
        }
        benchmark::DoNotOptimize(lines);
    }
    report(state, page, heap_allocations.load() - a0);
}
BENCHMARK(bm_baseline_line_scan);

// Parse into one reused scrape (the steady state of a scraper).
void bm_parse_reused(benchmark::State& state) {
    const std::string page = vllm_page(10);
    llmcap::prometheus::scrape s;
    (void)llmcap::prometheus::parse(page, s);
    const std::uint64_t a0 = heap_allocations.load();
    for (auto _ : state) {
        const llmcap::prometheus::parse_error err = llmcap::prometheus::parse(page, s);
        benchmark::DoNotOptimize(err.code);
        benchmark::DoNotOptimize(s.size());
    }
    report(state, page, heap_allocations.load() - a0);
}
BENCHMARK(bm_parse_reused);

// Parse into a fresh scrape each time (a scrape kept per cell boundary).
void bm_parse_fresh(benchmark::State& state) {
    const std::string page = vllm_page(10);
    const std::uint64_t a0 = heap_allocations.load();
    for (auto _ : state) {
        llmcap::prometheus::scrape s;
        const llmcap::prometheus::parse_error err = llmcap::prometheus::parse(page, s);
        benchmark::DoNotOptimize(err.code);
        benchmark::DoNotOptimize(s.size());
    }
    report(state, page, heap_allocations.load() - a0);
}
BENCHMARK(bm_parse_fresh);

// The per-cell server metrics from a before/after pair (histogram deltas, counters).
void bm_server_cell_metrics(benchmark::State& state) {
    llmcap::prometheus::scrape before;
    llmcap::prometheus::scrape after;
    (void)llmcap::prometheus::parse(vllm_page(10), before);
    (void)llmcap::prometheus::parse(vllm_page(18), after);
    for (auto _ : state) {
        const llmcap::prometheus::server_cell_metrics m =
            llmcap::prometheus::compute_server_cell_metrics(llmcap::prometheus::vllm_v1_metrics,
                                                            before, after);
        benchmark::DoNotOptimize(m.queue_wait_mean_s.value);
    }
}
BENCHMARK(bm_server_cell_metrics);

} // namespace

BENCHMARK_MAIN();
