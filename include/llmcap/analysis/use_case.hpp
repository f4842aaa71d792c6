#pragma once

#include <llmcap/analysis/metric.hpp>

#include <cstdint>     // uint32_t
#include <optional>    // optional
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::analysis {

/// One quality limit of a use case: (metric, statistic, comparison, bound), e.g. TTFT mean < 8 s.
struct threshold {
    /// The metric judged.
    metric what = metric::ttft;
    /// Which statistic of the metric's per-cell distribution is judged.
    statistic stat = statistic::mean;
    /// Which side of the bound is acceptable.
    comparison cmp = comparison::less;
    /// The bound, in the metric's unit (seconds, tokens per second…).
    double bound = 0.0;

    /// True when `value` meets the limit (the bound itself passes).
    [[nodiscard]] constexpr bool holds(double value) const noexcept {
        return satisfies(value, cmp, bound);
    }

    /// A short human-readable form, e.g. "ttft_s mean < 8".
    [[nodiscard]] std::string describe() const {
        std::string s{metric_name(what)};
        s += ' ';
        s += statistic_name(stat);
        s += cmp == comparison::less ? " < " : " > ";
        std::string b = std::to_string(bound);
        // to_string gives six decimals; trim trailing zeros for readability.
        while (!b.empty() && b.back() == '0')
            b.pop_back();
        if (!b.empty() && b.back() == '.')
            b.pop_back();
        s += b;
        return s;
    }

    friend bool operator==(const threshold&, const threshold&) = default;
};

/// A workload whose capacity is asked for: its context and output lengths and the thresholds a
/// cell must meet (DESIGN.md §5).
struct use_case {
    /// Stable snake_case identifier ("general_chatbot").
    std::string name;
    /// Display title ("General Chatbot").
    std::string title;
    /// Prompt length, tokens.
    std::uint32_t context_tokens = 0;
    /// Output length asked for, tokens.
    std::uint32_t output_tokens = 0;
    /// Every limit that must hold; capacity is where the first one stops holding.
    std::vector<threshold> thresholds;

    friend bool operator==(const use_case&, const use_case&) = default;
};

/**
 * The built-in catalogue, following the thresholds of the reference report
 * (`reference/glm-4.7-flash-h200-report.txt`, "Use Case Guidance"): every threshold on the mean,
 * 1,024 output tokens except code completion (128).
 *
 * | name                        | context | output | thresholds                         |
 * |-----------------------------|---------|--------|------------------------------------|
 * | code_completion             |   1,024 |    128 | E2E < 2 s                          |
 * | short_form_chatbot          |   8,192 |  1,024 | TTFT < 10 s, speed > 10 tokens/s   |
 * | general_chatbot             |  32,768 |  1,024 | TTFT < 8 s, speed > 15 tokens/s    |
 * | long_document_processing    |  65,536 |  1,024 | TTFT < 12 s, speed > 15 tokens/s   |
 * | automated_coding_assistant  |  98,304 |  1,024 | TTFT < 12 s, speed > 20 tokens/s   |
 */
[[nodiscard]] inline std::vector<use_case> builtin_use_cases() {
    const auto ttft_below = [](double s) {
        return threshold{metric::ttft, statistic::mean, comparison::less, s};
    };
    const auto speed_above = [](double tokens_per_s) {
        return threshold{metric::generation_speed, statistic::mean, comparison::greater,
                         tokens_per_s};
    };
    return {
        {"code_completion",
         "Code Completion",
         1024,
         128,
         {threshold{metric::e2e, statistic::mean, comparison::less, 2.0}}},
        {"short_form_chatbot",
         "Short-form Chatbot",
         8192,
         1024,
         {ttft_below(10.0), speed_above(10.0)}},
        {"general_chatbot", "General Chatbot", 32768, 1024, {ttft_below(8.0), speed_above(15.0)}},
        {"long_document_processing",
         "Long Document Processing",
         65536,
         1024,
         {ttft_below(12.0), speed_above(15.0)}},
        {"automated_coding_assistant",
         "Automated Coding Assistant",
         98304,
         1024,
         {ttft_below(12.0), speed_above(20.0)}},
    };
}

/// The built-in use case with a given name; empty when there is none.
[[nodiscard]] inline std::optional<use_case> find_builtin_use_case(std::string_view name) {
    for (use_case& u : builtin_use_cases())
        if (u.name == name)
            return std::move(u);
    return std::nullopt;
}

} // namespace llmcap::analysis
