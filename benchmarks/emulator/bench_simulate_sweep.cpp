// The emulator's virtual-time endpoint, driven by workload::drive and recorded by the cell
// recorder (run_virtual_cell), on the full default GLM-4.7-Flash sweep: contexts 1K..200K at
// concurrency 1..4 with 1,024 output tokens, plus the use-case concurrency ranges, three waves
// of closed-loop requests per cell (as the calibration runs them). The goal is under 2 s for
// the whole sweep. Baseline in the same run: planning and executing one engine step of 64
// decoding sequences, and one cell (1K context, concurrency 1).
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/engine.hpp>
#include <llmcap/emulator/virtual_cell.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace emu = llmcap::emulator;

namespace {

struct cell {
    std::uint32_t prompt_tokens, output_tokens, concurrency;
};

std::vector<cell> default_glm_sweep() {
    std::vector<cell> cells;
    for (std::uint32_t ctx :
         {1024u, 2048u, 4096u, 8192u, 16384u, 32768u, 65536u, 98304u, 131072u, 200000u})
        for (std::uint32_t c = 1; c <= 4; ++c)
            cells.push_back({ctx, 1024, c});
    for (std::uint32_t c : {8u, 12u, 16u, 20u, 24u, 28u, 30u, 32u})
        cells.push_back({1024, 128, c});
    for (std::uint32_t c : {8u, 16u, 32u, 50u, 75u, 100u, 125u})
        cells.push_back({8192, 1024, c});
    for (std::uint32_t c : {5u, 6u, 8u, 10u, 12u})
        cells.push_back({32768, 1024, c});
    for (std::uint32_t c : {5u, 6u, 7u, 8u})
        cells.push_back({65536, 1024, c});
    return cells;
}

emu::virtual_cell_result run_cell(const emu::profile& p, const cell& k) {
    emu::virtual_cell c{.prompt_tokens = k.prompt_tokens,
                        .output_tokens = k.output_tokens,
                        .concurrency = k.concurrency};
    c.stop.requests = 3 * k.concurrency;
    return emu::run_virtual_cell(p, c);
}

void bm_full_glm_sweep(benchmark::State& state) {
    const emu::profile p = emu::builtin_profile();
    const std::vector<cell> cells = default_glm_sweep();
    std::uint64_t steps = 0, requests = 0;
    double virtual_s = 0.0;
    for (auto _ : state) {
        steps = requests = 0;
        virtual_s = 0.0;
        for (const cell& k : cells) {
            const emu::virtual_cell_result r = run_cell(p, k);
            steps += r.steps;
            requests += r.traces.size();
            virtual_s += llmcap::to_seconds(*r.recorder.window());
            benchmark::DoNotOptimize(r.traces.data());
        }
    }
    state.counters["cells"] = double(cells.size());
    state.counters["requests"] = double(requests);
    state.counters["engine_steps"] = double(steps);
    state.counters["virtual_s"] = virtual_s;
    state.counters["steps_per_s"] =
        benchmark::Counter(double(steps), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(bm_full_glm_sweep)->Unit(benchmark::kMillisecond)->Iterations(3);

void bm_one_cell_1k_c1(benchmark::State& state) {
    const emu::profile p = emu::builtin_profile();
    std::uint64_t steps = 0;
    for (auto _ : state) {
        const emu::virtual_cell_result r = run_cell(p, {1024, 1024, 1});
        steps = r.steps;
        benchmark::DoNotOptimize(r.traces.data());
    }
    state.counters["steps_per_s"] =
        benchmark::Counter(double(steps), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(bm_one_cell_1k_c1)->Unit(benchmark::kMillisecond);

void bm_engine_step_64_decodes(benchmark::State& state) {
    const emu::profile p = emu::builtin_profile();
    emu::engine e(p);
    llmcap::time_point t = llmcap::virtual_epoch();
    for (auto _ : state) {
        if (!e.has_work())
            for (int i = 0; i < 64; ++i)
                (void)e.add_request({1024, 8192}, t);
        (void)e.next_step_duration();
        const emu::step_result& r = e.step(t);
        t = r.end;
        benchmark::DoNotOptimize(r.tokens.data());
    }
}
BENCHMARK(bm_engine_step_64_decodes);

} // namespace

BENCHMARK_MAIN();
