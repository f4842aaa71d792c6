#pragma once

#include <llmcap/analysis/use_case.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/workload/text_source.hpp>

#include <array>       // array
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::sweep {

/// The names of the built-in presets.
inline constexpr std::array<std::string_view, 3> preset_names{"glm-4.7-flash-h200",
                                                              "sglang-standard", "quick"};

/// One prompt of the quick suite.
struct quick_case {
    /// Name of the case (the cell's name).
    std::string_view name;
    /// Output tokens asked for.
    std::uint32_t output_tokens;
    /// The prompt.
    std::string_view prompt;
};

/// The quick suite: short realistic prompts, one per common kind of request.
inline constexpr std::array<quick_case, 5> quick_suite{{
    {"chat", 256,
     "What are three practical ways to reduce the memory use of a web browser "
     "with many open tabs? Answer in a short list."},
    {"code", 512,
     "Write a Python function that parses an ISO 8601 date string without "
     "external libraries, with a docstring and two unit tests."},
    {"summary", 256,
     "Summarise the following in two sentences: Continuous batching lets an inference "
     "server add new requests to the running batch at every decoding step instead of waiting "
     "for the whole batch to finish. Requests of very different lengths then share the GPU "
     "efficiently, because a short request leaves the batch as soon as it is done and a "
     "waiting one takes its place. The cost is more complex scheduling: the server must "
     "decide at each step how many prompt tokens to prefill alongside the decoding requests, "
     "and must keep enough memory for the key-value cache of every running request."},
    {"reasoning", 512,
     "A train leaves at 09:40 and travels 210 km at 84 km/h, then waits 12 "
     "minutes and travels 96 km at 72 km/h. When does it arrive? Show the steps."},
    {"writing", 1024,
     "Write a 500-word short story about a lighthouse keeper who receives a "
     "letter that was posted forty years ago."},
}};

/**
 * A built-in plan, or empty for an unknown name (see preset_names).
 *
 * - `glm-4.7-flash-h200`: the reference report's grid, contexts 1K, 8K, 32K, 64K, 96K, 128K
 *   (1,024-token units) and 200K (200,000 tokens, within the model's 202,752) × concurrency 1,
 *   2, 3, 4 × 1,024 output tokens, 2 × concurrency requests per cell (at least 4) after one
 *   warm-up; then the five built-in use cases, each with its own capacity search up to
 *   concurrency 128 (code prompts for the two code use cases).
 * - `sglang-standard`: chat 1K/1K, reasoning 1K/8K and summarization 8K/1K at concurrency 1,
 *   16 and 100, with 5 × concurrency prompts each.
 * - `quick`: the quick_suite prompts at concurrency 1, three requests each, for a per-case
 *   speed check after deploying.
 */
[[nodiscard]] inline std::optional<sweep_plan> preset(std::string_view name) {
    sweep_plan p;
    p.name = std::string(name);
    if (name == "glm-4.7-flash-h200") {
        p.requests.warmup_requests = 1;
        p.requests.requests_per_concurrency = 2;
        p.requests.min_requests = 4;
        add_grid(p, {1024, 8192, 32768, 65536, 98304, 131072, 200000}, {1024}, {1, 2, 3, 4});
        for (const analysis::use_case& uc : analysis::builtin_use_cases()) {
            use_case_search s;
            s.use_case = uc;
            s.max_concurrency = 128; // the reference report measured up to 125
            s.style = (uc.name == "code_completion" || uc.name == "automated_coding_assistant")
                          ? workload::text_style::code
                          : workload::text_style::prose;
            p.searches.push_back(std::move(s));
        }
        return p;
    }
    if (name == "sglang-standard") {
        p.requests.warmup_requests = 1;
        p.requests.requests_per_concurrency = 5;
        p.requests.min_requests = 5;
        add_grid(p, {1024}, {1024}, {1, 16, 100}, workload::text_style::prose, "chat");
        add_grid(p, {1024}, {8192}, {1, 16, 100}, workload::text_style::prose, "reasoning");
        add_grid(p, {8192}, {1024}, {1, 16, 100}, workload::text_style::prose, "summarization");
        return p;
    }
    if (name == "quick") {
        p.requests.warmup_requests = 1;
        p.requests.requests_per_concurrency = 3;
        p.requests.min_requests = 3;
        for (const quick_case& q : quick_suite)
            p.cells.push_back(
                {cell_key{0, q.output_tokens, 1, std::string(q.name)},
                 q.name == "code" ? workload::text_style::code : workload::text_style::prose,
                 std::string(q.prompt), std::nullopt, false});
        return p;
    }
    return std::nullopt;
}

} // namespace llmcap::sweep
