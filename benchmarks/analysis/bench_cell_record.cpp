// Cost of recording one finished request into a cell_recorder (every per-request metric, the
// pooled ITL gaps into a sketch, counts and window), per token event, beside two baselines
// measured in the same run: a bare pass over the events that sums their gaps, and the same
// gaps added to a plain std::vector (what a recorder storing raw samples would pay).
#include <llmcap/analysis/cell_recorder.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace {

// A vLLM-like 1024-token answer: TTFT 150 ms, then one event every 8 ms with a little jitter.
llmcap::request_trace make_trace() {
    using namespace std::chrono_literals;
    llmcap::request_trace t;
    t.intended_start = llmcap::time_point{} + 1h;
    t.send = t.intended_start + 50us;
    t.max_tokens = 1024;
    t.fixed_output = true;
    llmcap::time_point at = t.intended_start + 150ms;
    for (std::uint32_t i = 0; i < 1024; ++i) {
        t.events.push_back({at, 1, llmcap::token_kind::content});
        at += 8ms + std::chrono::microseconds((i * 37) % 500);
    }
    t.end = at;
    t.usage =
        llmcap::usage_info{.prompt_tokens = 8192, .completion_tokens = 1024, .total_tokens = 9216};
    return t;
}

const llmcap::request_trace& trace() {
    static const llmcap::request_trace t = make_trace();
    return t;
}

void report(benchmark::State& state) {
    state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations()) *
                                                        static_cast<double>(trace().events.size()),
                                                    benchmark::Counter::kIsRate);
}

void baseline_sum_gaps(benchmark::State& state) {
    const llmcap::request_trace& t = trace();
    for (auto _ : state) {
        double total = 0.0;
        llmcap::analysis::for_each_itl_gap_s(t, [&](double g) { total += g; });
        benchmark::DoNotOptimize(total);
    }
    report(state);
}
BENCHMARK(baseline_sum_gaps);

void baseline_vector_of_gaps(benchmark::State& state) {
    const llmcap::request_trace& t = trace();
    std::vector<double> gaps;
    gaps.reserve(1 << 20);
    for (auto _ : state) {
        if (gaps.size() > (1u << 19))
            gaps.clear();
        llmcap::analysis::for_each_itl_gap_s(t, [&](double g) { gaps.push_back(g); });
        benchmark::DoNotOptimize(gaps.data());
    }
    report(state);
}
BENCHMARK(baseline_vector_of_gaps);

void cell_recorder_record(benchmark::State& state) {
    llmcap::analysis::cell_recorder<> recorder({8192, 1024, 8});
    const llmcap::request_trace& t = trace();
    for (auto _ : state) {
        recorder.record(t);
        benchmark::DoNotOptimize(&recorder);
    }
    report(state);
}
BENCHMARK(cell_recorder_record);

} // namespace

BENCHMARK_MAIN();
