#pragma once

#include <charconv>     // to_chars
#include <compare>      // partial_ordering
#include <cstdint>      // uint32_t
#include <optional>     // optional
#include <string>       // string, to_string
#include <system_error> // errc
#include <tuple>        // tie
#include <utility>      // move

namespace llmcap::analysis {

/**
 * What makes one cell of a sweep distinct from every other (DESIGN.md §9): the scenario it
 * belongs to, the prompt and output lengths asked for, and the load. Two cells that differ in
 * any of these are different cells: their requests, statistics, rows and chart points are never
 * pooled.
 */
struct cell_key {
    /// An empty key.
    cell_key() = default;
    /// The key of a cell with these lengths and load; `use_case` empty for a grid cell,
    /// `rate_per_s` empty for a closed loop.
    cell_key(std::uint32_t context, std::uint32_t output, std::uint32_t in_flight,
             std::string scenario = {}, std::optional<double> rate = std::nullopt)
        : context_tokens(context), output_tokens(output), concurrency(in_flight),
          use_case(std::move(scenario)), rate_per_s(rate) {}

    /// Prompt length asked for, server tokens (0 for a fixed prompt, whose length is what the
    /// server reports).
    std::uint32_t context_tokens = 0;
    /// Output length asked for (`max_tokens`), tokens.
    std::uint32_t output_tokens = 0;
    /// Requests in flight (closed loop) or the concurrency cap (open loop).
    std::uint32_t concurrency = 0;
    /// The scenario: the use case whose capacity search measured the cell, or the name of a
    /// named cell ("chat", "reasoning"); empty for a grid cell.
    std::string use_case;
    /// Open loop: mean arrivals per second (concurrency is then the cap). Empty for a closed
    /// loop.
    std::optional<double> rate_per_s;
    /// True for a session workload's cell (users holding conversations, DESIGN.md §9):
    /// `concurrency` then counts users, not requests in flight, and context_tokens and
    /// output_tokens are each turn's new message and answer.
    bool sessions = false;

    /// A stable text id: "grid/ctx1024/out1024/c4", "general_chatbot/ctx32768/out1024/c8";
    /// an open-loop cell ends in its rate, "grid/ctx1024/out1024/c64/rate2.5"; a session cell
    /// counts users, "chatbot_sessions/ctx256/out512/u32".
    [[nodiscard]] std::string id() const {
        std::string s = (use_case.empty() ? std::string("grid") : use_case) + "/ctx" +
                        std::to_string(context_tokens) + "/out" + std::to_string(output_tokens) +
                        (sessions ? "/u" : "/c") + std::to_string(concurrency);
        if (rate_per_s) {
            char buf[32];
            const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *rate_per_s);
            s += "/rate";
            if (ec == std::errc())
                s.append(buf, end);
        }
        return s;
    }

    friend bool operator==(const cell_key&, const cell_key&) = default;

    /// By scenario, then single requests before sessions, context, output, concurrency and
    /// rate (a closed loop first).
    friend std::partial_ordering operator<=>(const cell_key& a, const cell_key& b) {
        if (const auto c =
                std::tie(a.use_case, a.sessions, a.context_tokens, a.output_tokens,
                         a.concurrency) <=>
                std::tie(b.use_case, b.sessions, b.context_tokens, b.output_tokens, b.concurrency);
            c != 0)
            return c;
        return a.rate_per_s <=> b.rate_per_s;
    }
};

} // namespace llmcap::analysis
