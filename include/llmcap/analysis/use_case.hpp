#pragma once

#include <llmcap/analysis/metric.hpp>
#include <llmcap/core/think_time.hpp>

#include <chrono>      // seconds
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

/**
 * A use case whose users hold conversations (DESIGN.md §9, sessions): each turn resends the
 * history and adds a new user message of `use_case::context_tokens` tokens, asks for
 * `use_case::output_tokens`, and is followed by a think time. Its capacity is a number of users,
 * not of requests in flight.
 */
struct session_workload {
    /// Turns per conversation.
    std::uint32_t turns = 8;
    /// The pause between an answer and the next turn (0 for agents).
    think_time think;
    /// Tokens of a system prompt shared by a group of users; 0 for none.
    std::uint32_t system_prompt_tokens = 0;
    /// Groups of users, each with its own system prompt.
    std::uint32_t groups = 1;
    /// Log-space standard deviation of drawn message lengths (0: every message the same).
    double turn_tokens_sigma = 0.0;
    /// False for the cache-off comparison: every request's prefix made unique, so the server's
    /// prefix cache cannot help (workload::session_spec::prefix_caching).
    bool prefix_caching = true;

    friend bool operator==(const session_workload&, const session_workload&) = default;
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
    /// Set for a session workload: users holding conversations (context_tokens is then each new
    /// message's length and output_tokens each answer's); empty for single requests.
    std::optional<session_workload> sessions;

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
         {threshold{metric::e2e, statistic::mean, comparison::less, 2.0}},
         std::nullopt},
        {"short_form_chatbot",
         "Short-form Chatbot",
         8192,
         1024,
         {ttft_below(10.0), speed_above(10.0)},
         std::nullopt},
        {"general_chatbot",
         "General Chatbot",
         32768,
         1024,
         {ttft_below(8.0), speed_above(15.0)},
         std::nullopt},
        {"long_document_processing",
         "Long Document Processing",
         65536,
         1024,
         {ttft_below(12.0), speed_above(15.0)},
         std::nullopt},
        {"automated_coding_assistant",
         "Automated Coding Assistant",
         98304,
         1024,
         {ttft_below(12.0), speed_above(20.0)},
         std::nullopt},
    };
}

/**
 * The built-in session use cases: conversation variants of the general chatbot and the
 * automated coding assistant, with the same speed floors and their TTFT bound on the P95 of the
 * later turns (turn 1 is a cold start; a returning user notices a slow later turn most).
 *
 * | name                          | message | answer | turns | think time        | system prompt |
 * |-------------------------------|---------|--------|-------|-------------------|---------------|
 * | chatbot_sessions              |     256 |    512 |     8 | lognormal, 30 s   | 1,024         |
 * | coding_assistant_sessions     |   2,048 |    512 |    16 | exponential, 2 s  | 8,192         |
 *
 * Think times: a chat user reads the answer (512 tokens, about 400 words: a minute or more at
 * reading speed, seconds when skimming) and types a short message; a lognormal with a 30 s mean
 * gives many quick follow-ups and a long tail of pauses. A coding agent sends its next turn as
 * soon as its tools have run (files read, tests started): an exponential with a 2 s mean. The
 * agent's system prompt holds its instructions and tool definitions (8K tokens, shared by every
 * user); its messages are tool results and file excerpts (2K tokens).
 */
[[nodiscard]] inline std::vector<use_case> builtin_session_use_cases() {
    use_case chat{"chatbot_sessions",
                  "Chatbot Conversations",
                  256,
                  512,
                  {threshold{metric::ttft_later_turns, statistic::p95, comparison::less, 8.0},
                   threshold{metric::generation_speed, statistic::mean, comparison::greater, 15.0}},
                  std::nullopt};
    chat.sessions = session_workload{};
    chat.sessions->turns = 8;
    chat.sessions->think = think_time{think_time::family::lognormal, std::chrono::seconds(30), 1.0};
    chat.sessions->system_prompt_tokens = 1024;
    use_case agent{
        "coding_assistant_sessions",
        "Coding Assistant Conversations",
        2048,
        512,
        {threshold{metric::ttft_later_turns, statistic::p95, comparison::less, 12.0},
         threshold{metric::generation_speed, statistic::mean, comparison::greater, 20.0}},
        std::nullopt};
    agent.sessions = session_workload{};
    agent.sessions->turns = 16;
    agent.sessions->think =
        think_time{think_time::family::exponential, std::chrono::seconds(2), 1.0};
    agent.sessions->system_prompt_tokens = 8192;
    return {std::move(chat), std::move(agent)};
}

/// The built-in use case with a given name (single-request or session); empty when there is
/// none.
[[nodiscard]] inline std::optional<use_case> find_builtin_use_case(std::string_view name) {
    for (use_case& u : builtin_use_cases())
        if (u.name == name)
            return std::move(u);
    for (use_case& u : builtin_session_use_cases())
        if (u.name == name)
            return std::move(u);
    return std::nullopt;
}

} // namespace llmcap::analysis
