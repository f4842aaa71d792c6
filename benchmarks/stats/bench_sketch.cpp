// Quantile sketches: insert cost (independent and dependent), merge, the five report
// percentiles, bytes per sketch, and worst relative error at P99 / P99.9 / P99.99 on 10 million
// samples, for every model and for an exact sort. Baselines measured in the same run: a bare
// array increment and a steady_clock read; the table printed at the end gives the ratios.
//
//   llmcap_bench_sketch --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include "../allocation_counter.hpp"

#include <llmcap/stats/exact_quantiles.hpp>
#include <llmcap/stats/log_bucket_sketch.hpp>
#include <llmcap/stats/log_linear_histogram.hpp>
#include <llmcap/stats/summary.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <string>
#include <vector>

namespace stats = llmcap::stats;

namespace {

constexpr std::size_t table_size = std::size_t{1} << 16; // values cycled by the insert loops
constexpr std::size_t table_mask = table_size - 1;

/// Lognormal latencies (median ~135 ms), the shape of TTFT / E2E data.
const std::vector<double>& latency_table() {
    static const std::vector<double> values = [] {
        std::mt19937_64 rng(42);
        std::lognormal_distribution<double> d(-2.0, 1.0);
        std::vector<double> v(table_size);
        for (double& x : v) {
            x = d(rng);
        }
        return v;
    }();
    return values;
}

const std::vector<std::uint32_t>& index_table() {
    static const std::vector<std::uint32_t> values = [] {
        std::mt19937_64 rng(43);
        std::uniform_int_distribution<std::uint32_t> d(0, 4059);
        std::vector<std::uint32_t> v(table_size);
        for (auto& i : v) {
            i = d(rng);
        }
        return v;
    }();
    return values;
}

template <class Sketch>
const char* model_name() {
    if constexpr (std::is_same_v<Sketch, stats::log_linear_histogram>) {
        return "log_linear_histogram";
    } else if constexpr (std::is_same_v<Sketch, stats::log_bucket_sketch>) {
        return "log_bucket_sketch";
    } else {
        return "exact_quantiles";
    }
}

template <class Sketch>
std::size_t bytes_of(const Sketch& s) {
    if constexpr (std::is_same_v<Sketch, stats::exact_quantiles>) {
        return sizeof(s) + s.count() * sizeof(double);
    } else {
        return s.memory_bytes();
    }
}

// --- baselines ---------------------------------------------------------------------------------

void baseline_array_increment(benchmark::State& state) {
    std::vector<std::uint64_t> counts(4060, 0);
    const auto& idx = index_table();
    std::size_t i = 0;
    for (auto _ : state) {
        ++counts[idx[i++ & table_mask]];
    }
    benchmark::DoNotOptimize(counts.data());
    benchmark::ClobberMemory();
}
BENCHMARK(baseline_array_increment);

void baseline_steady_clock_now(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(std::chrono::steady_clock::now());
    }
}
BENCHMARK(baseline_steady_clock_now);

// --- inserts -------------------------------------------------------------------------------------

/// Independent inserts: lognormal values, each to its own bucket.
template <class Sketch>
void add_independent(benchmark::State& state) {
    Sketch s;
    if constexpr (std::is_same_v<Sketch, stats::exact_quantiles>) {
        s.reserve(static_cast<std::size_t>(state.max_iterations) + 1);
    }
    const auto& values = latency_table();
    std::size_t i = 0;
    const std::uint64_t allocations_before = llmcap_bench::heap_allocations.load();
    for (auto _ : state) {
        s.add(values[i++ & table_mask]);
    }
    state.counters["allocs_per_op"] = benchmark::Counter(
        static_cast<double>(llmcap_bench::heap_allocations.load() - allocations_before) /
        static_cast<double>(state.iterations()));
    benchmark::DoNotOptimize(s);
}
BENCHMARK_TEMPLATE(add_independent, stats::log_linear_histogram);
BENCHMARK_TEMPLATE(add_independent, stats::log_bucket_sketch);
BENCHMARK_TEMPLATE(add_independent, stats::exact_quantiles);

/// Dependent inserts: the same value every time, so each increment reads the counter the
/// previous one wrote (a store-to-load chain: the worst case for a counter array).
template <class Sketch>
void add_dependent(benchmark::State& state) {
    Sketch s;
    if constexpr (std::is_same_v<Sketch, stats::exact_quantiles>) {
        s.reserve(static_cast<std::size_t>(state.max_iterations) + 1);
    }
    volatile double source = 0.135; // opaque to the optimiser, read once into a register
    const double x = source;
    for (auto _ : state) {
        s.add(x);
    }
    benchmark::DoNotOptimize(s);
}
BENCHMARK_TEMPLATE(add_dependent, stats::log_linear_histogram);
BENCHMARK_TEMPLATE(add_dependent, stats::log_bucket_sketch);
BENCHMARK_TEMPLATE(add_dependent, stats::exact_quantiles);

void baseline_array_increment_dependent(benchmark::State& state) {
    std::vector<std::uint64_t> counts(4060, 0);
    std::uint32_t index = 1234;
    benchmark::DoNotOptimize(index);
    for (auto _ : state) {
        ++counts[index];
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(counts.data());
}
BENCHMARK(baseline_array_increment_dependent);

// --- merge and queries ---------------------------------------------------------------------------

template <class Sketch>
Sketch filled(std::size_t n, std::uint64_t seed) {
    Sketch s;
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> d(-2.0, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
        s.add(d(rng));
    }
    return s;
}

/// Merging one 100k-sample sketch into another (for the exact model: append and re-sort, which
/// is what a merged exact quantile costs).
template <class Sketch>
void merge(benchmark::State& state) {
    const Sketch other = filled<Sketch>(100'000, 7);
    Sketch into = filled<Sketch>(100'000, 8);
    for (auto _ : state) {
        if constexpr (std::is_same_v<Sketch, stats::exact_quantiles>) {
            Sketch copy = into;
            copy.merge(other);
            benchmark::DoNotOptimize(copy.quantile(0.5));
        } else {
            into.merge(other);
        }
        benchmark::ClobberMemory();
    }
    state.counters["bytes"] = static_cast<double>(bytes_of(other));
}
BENCHMARK_TEMPLATE(merge, stats::log_linear_histogram)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(merge, stats::log_bucket_sketch)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(merge, stats::exact_quantiles)->Unit(benchmark::kMicrosecond);

/// P50, P90, P95, P99 and P99.9 together from a sketch of 1M samples.
template <class Sketch>
void report_percentiles(benchmark::State& state) {
    const Sketch s = filled<Sketch>(1'000'000, 9);
    for (auto _ : state) {
        benchmark::DoNotOptimize(stats::percentiles_of(s));
    }
    state.counters["bytes"] = static_cast<double>(bytes_of(s));
}
BENCHMARK_TEMPLATE(report_percentiles, stats::log_linear_histogram)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(report_percentiles, stats::log_bucket_sketch)->Unit(benchmark::kMicrosecond);

/// The exact route to the same five numbers: sort 1M samples, then read them.
void report_percentiles_exact_sort(benchmark::State& state) {
    const stats::exact_quantiles base = filled<stats::exact_quantiles>(1'000'000, 9);
    for (auto _ : state) {
        stats::exact_quantiles copy = base; // unsorted copy
        copy.add(0.1);                      // keeps it unsorted
        benchmark::DoNotOptimize(stats::percentiles_of(copy));
    }
    state.counters["bytes"] = static_cast<double>(bytes_of(base));
}
BENCHMARK(report_percentiles_exact_sort)->Unit(benchmark::kMillisecond);

// --- accuracy on 10 million samples --------------------------------------------------------------

struct accuracy_data {
    std::string name;
    std::vector<double> values;
    std::vector<double> sorted;
};

const std::vector<accuracy_data>& accuracy_sets() {
    static const std::vector<accuracy_data> sets = [] {
        constexpr std::size_t n = 10'000'000;
        std::vector<accuracy_data> out(2);
        std::mt19937_64 rng(2026);
        std::lognormal_distribution<double> lognormal(-2.0, 1.0);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        out[0].name = "lognormal";
        out[1].name = "pareto1.1";
        for (std::size_t i = 0; i < n; ++i) {
            out[0].values.push_back(lognormal(rng));
            out[1].values.push_back(0.001 / std::pow(1.0 - u(rng), 1.0 / 1.1));
        }
        for (auto& d : out) {
            d.sorted = d.values;
            std::sort(d.sorted.begin(), d.sorted.end());
        }
        return out;
    }();
    return sets;
}

double exact_quantile(const std::vector<double>& sorted, double q) {
    const double h = static_cast<double>(sorted.size() - 1) * q;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const double w = h - std::floor(h);
    return w == 0.0 ? sorted[lo] : sorted[lo] + w * (sorted[lo + 1] - sorted[lo]);
}

/// Worst relative error (in %) over the lognormal and Pareto(1.1) sets at each percentile.
template <class Sketch>
void accuracy_10m(benchmark::State& state) {
    constexpr std::array<double, 3> qs = {0.99, 0.999, 0.9999};
    std::array<double, 3> worst{};
    std::size_t bytes = 0;
    for (auto _ : state) {
        for (const auto& d : accuracy_sets()) {
            Sketch s;
            for (double x : d.values) {
                s.add(x);
            }
            for (std::size_t i = 0; i < qs.size(); ++i) {
                const double exact = exact_quantile(d.sorted, qs[i]);
                worst[i] = std::max(worst[i], std::abs(s.quantile(qs[i]) - exact) / exact);
            }
            bytes = std::max(bytes, bytes_of(s));
        }
    }
    state.counters["err_p99_pct"] = 100.0 * worst[0];
    state.counters["err_p999_pct"] = 100.0 * worst[1];
    state.counters["err_p9999_pct"] = 100.0 * worst[2];
    state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK_TEMPLATE(accuracy_10m, stats::log_linear_histogram)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(accuracy_10m, stats::log_bucket_sketch)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(accuracy_10m, stats::exact_quantiles)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// --- ratio table
// -----------------------------------------------------------------------------------

/// Console output as usual, plus a table of insert costs relative to the baselines.
class ratio_reporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            const bool aggregate = r.run_type == Run::RT_Aggregate;
            if (aggregate && r.aggregate_name != "median") {
                continue;
            }
            std::string name = r.run_name.function_name;
            if (!r.run_name.args.empty()) {
                name += "<" + r.run_name.args + ">";
            }
            ns_per_op_[name] = r.GetAdjustedCPUTime(); // CPU time: the machine is shared
        }
    }

    void print_ratios() const {
        const auto find = [&](const std::string& n) {
            const auto it = ns_per_op_.find(n);
            return it == ns_per_op_.end() ? 0.0 : it->second;
        };
        const double array = find("baseline_array_increment");
        const double array_dep = find("baseline_array_increment_dependent");
        const double clock = find("baseline_steady_clock_now");
        std::printf("\nInsert CPU time relative to the baselines (median where repeated):\n");
        std::printf("%-60s %9s %9s %9s\n", "benchmark", "ns/op", "x array", "x clock");
        for (const auto& [name, ns] : ns_per_op_) {
            if (name.rfind("add_", 0) != 0 && name.rfind("baseline_", 0) != 0) {
                continue;
            }
            const double base = name.rfind("add_dependent", 0) == 0 ? array_dep : array;
            std::printf("%-60s %9.2f %9.2f %9.3f\n", name.c_str(), ns, base > 0 ? ns / base : 0.0,
                        clock > 0 ? ns / clock : 0.0);
        }
    }

private:
    std::map<std::string, double> ns_per_op_;
};

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.print_ratios();
    benchmark::Shutdown();
    return 0;
}
