#pragma once

// A small simulated sweep (three contexts × three concurrency levels, a code-completion
// capacity search, one failure) whose figures follow a simple closed-form model, so tests
// can compute what a report must say.

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/sweep/result.hpp>

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace llmcap::test {

namespace la = llmcap::analysis;
namespace ls = llmcap::sweep;

inline la::metric_statistics stats(double mean, std::uint64_t n = 40) {
    la::metric_statistics s;
    s.count = n;
    s.mean = mean;
    s.stddev = mean * 0.1;
    s.min = mean * 0.8;
    s.p50 = mean;
    s.p90 = mean * 1.1;
    s.p95 = mean * 1.15;
    s.p99 = mean * 1.2;
    s.p99_9 = mean * 1.25;
    s.max = mean * 1.3;
    s.mean_ci95 = la::confidence_interval{mean * 0.97, mean * 1.03};
    return s;
}

// A cell whose figures follow a simple model: TTFT grows with context and load, speed falls.
inline ls::cell_result cell(std::uint32_t context, std::uint32_t concurrency, std::uint32_t output,
                            const std::string& use_case = "") {
    ls::cell_result c;
    c.key = {context, output, concurrency, use_case};
    c.summary.context_tokens = context;
    c.summary.output_tokens = output;
    c.summary.concurrency = concurrency;
    const double k = static_cast<double>(context) / 1024.0;
    const double n = static_cast<double>(concurrency);
    const double ttft = 0.05 * k * (1.0 + 0.5 * (n - 1.0));
    const double speed = 200.0 / (1.0 + 0.3 * (n - 1.0)) / (1.0 + k / 64.0);
    c.summary.metrics[la::metric::ttft] = stats(ttft);
    c.summary.metrics[la::metric::ttfa] = stats(ttft);
    c.summary.metrics[la::metric::generation_speed] = stats(speed);
    c.summary.metrics[la::metric::itl] = stats(1.0 / speed);
    c.summary.metrics[la::metric::e2e] = stats(ttft + static_cast<double>(output) / speed);
    c.summary.metrics[la::metric::queue_wait] = stats(0.02 * (n - 1.0) * k);
    c.summary.metrics[la::metric::prefill_speed] = stats(static_cast<double>(context) / (0.05 * k));
    c.summary.metrics[la::metric::throughput] = la::metric_statistics::single(n * speed * 0.9);
    c.warmup_requests = concurrency;
    c.requests_started = 4 * concurrency;
    c.requests_succeeded = 4 * concurrency;
    c.prompt = {context,
                c.requests_started,
                c.requests_started,
                static_cast<double>(context),
                context,
                context,
                0.0,
                false};
    c.client_lag = {0.0001, ttft, false};
    c.energy = ls::energy_record{1000.0 * n,
                                 300.0 + 50.0 * n,
                                 320.0 + 60.0 * n,
                                 1000.0 * n / (4.0 * n * output),
                                 10.0,
                                 llmcap::telemetry::energy_source::emulator,
                                 llmcap::telemetry::energy_method::integrated_power,
                                 1};
    c.simulated = true;
    return c;
}

inline ls::sweep_result sample_result() {
    ls::sweep_result r;
    r.simulated = true;
    r.run.tool_version = "0.1.0";
    r.run.preset = "glm-4.7-flash-h200";
    r.run.model = "GLM-4.7-Flash";
    r.run.server_url = "simulator:glm-4.7-flash-h200-bf16";
    r.run.dialect = "vllm";
    r.run.gpu = "1x H200 SXM";
    r.run.started_at = "2026-11-23T14:00:00Z";
    r.run.finished_at = "2026-11-23T14:00:05Z";
    r.run.seed = 7;
    for (std::uint32_t context : {1024u, 8192u, 32768u})
        for (std::uint32_t n : {1u, 2u, 4u})
            r.cells.push_back(cell(context, n, 1024));
    // A capacity search for code completion at 1K context with 128 output tokens.
    for (std::uint32_t n : {1u, 8u, 16u, 32u})
        r.cells.push_back(cell(1024, n, 128, "code_completion"));
    // A failure, to be reported.
    r.cells.back().requests_succeeded -= 1;
    r.cells.back().failures.push_back({llmcap::error::http_status, 1, {"HTTP 503"}});

    std::vector<la::cell_summary> grid;
    for (const ls::cell_result& c : r.cells)
        if (c.key.use_case.empty())
            grid.push_back(c.summary);
    r.scaling = la::scaling_efficiency(grid);
    for (const char* name : {"code_completion", "general_chatbot"}) {
        ls::use_case_result u;
        u.use_case = *la::find_builtin_use_case(name);
        std::vector<la::cell_summary> cells;
        for (const ls::cell_result& c : r.cells)
            if ((c.key.use_case == name) ||
                (std::string(name) == "general_chatbot" && c.key.use_case.empty() &&
                 c.key.context_tokens == 32768))
                cells.push_back(c.summary);
        for (const la::cell_summary& c : cells)
            u.measured_concurrency.push_back(c.concurrency);
        u.capacity = la::compute_capacity(u.use_case, cells);
        u.converged = true;
        r.use_cases.push_back(u);
    }
    return r;
}

// A result shaped like `--preset quick`: five named cells with fixed prompts (no context
// length), all at concurrency 1, that differ only in name and output length.
inline ls::sweep_result quick_result() {
    ls::sweep_result r = sample_result();
    r.run.preset = "quick";
    r.cells.clear();
    r.use_cases.clear();
    r.scaling.clear();
    for (const auto& [name, output] :
         {std::pair{"chat", 256u}, std::pair{"code", 512u}, std::pair{"summary", 256u},
          std::pair{"reasoning", 512u}, std::pair{"writing", 1024u}})
        r.cells.push_back(cell(0, 1, output, name));
    return r;
}

// A result shaped like `--preset sglang-standard`: chat 1K/1K, reasoning 1K/8K and
// summarization 8K/1K, each at concurrency 1, 16 and 100.
inline ls::sweep_result sglang_result() {
    ls::sweep_result r = sample_result();
    r.run.preset = "sglang-standard";
    r.cells.clear();
    r.use_cases.clear();
    r.scaling.clear();
    for (const auto& [name, context, output] :
         {std::tuple{"chat", 1024u, 1024u}, std::tuple{"reasoning", 1024u, 8192u},
          std::tuple{"summarization", 8192u, 1024u}})
        for (std::uint32_t n : {1u, 16u, 100u})
            r.cells.push_back(cell(context, n, output, name));
    return r;
}

} // namespace llmcap::test
