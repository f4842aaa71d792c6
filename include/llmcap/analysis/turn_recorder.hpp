#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/request_metrics.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/stats/log_linear_histogram.hpp>
#include <llmcap/stats/running_moments.hpp>
#include <llmcap/stats/summary.hpp>

#include <cmath>         // isnan
#include <cstdint>       // uint32_t, uint64_t
#include <limits>        // numeric_limits
#include <optional>      // optional
#include <unordered_map> // unordered_map
#include <vector>        // vector

namespace llmcap::analysis {

/// What the requests of one turn index of a session workload's conversations measured.
struct turn_statistics {
    /// The turn, from 1.
    std::uint32_t turn = 0;
    /// Requests of this turn recorded.
    std::uint64_t requests = 0;
    /// Of them, those that succeeded (the statistics below are theirs).
    std::uint64_t succeeded = 0;
    /// TTFT, seconds: every statistic.
    metric_statistics ttft;
    /// Mean TTFA, seconds; NaN when none was measured.
    double ttfa_mean_s = std::numeric_limits<double>::quiet_NaN();
    /// Mean per-user generation speed, tokens per second; NaN when none was measurable.
    double generation_speed_mean = std::numeric_limits<double>::quiet_NaN();
    /// Mean prompt tokens (the history so far plus the new message); NaN when not reported.
    double prompt_tokens_mean = std::numeric_limits<double>::quiet_NaN();
    /// Σ cached ÷ Σ prompt tokens of the requests that reported a cached count; empty when none
    /// did (not reported, never 0).
    std::optional<double> cached_prompt_fraction;

    friend bool operator==(const turn_statistics& a, const turn_statistics& b) noexcept {
        const auto same = [](double x, double y) {
            return x == y || (std::isnan(x) && std::isnan(y));
        };
        return a.turn == b.turn && a.requests == b.requests && a.succeeded == b.succeeded &&
               a.ttft == b.ttft && same(a.ttfa_mean_s, b.ttfa_mean_s) &&
               same(a.generation_speed_mean, b.generation_speed_mean) &&
               same(a.prompt_tokens_mean, b.prompt_tokens_mean) &&
               a.cached_prompt_fraction == b.cached_prompt_fraction;
    }
};

/**
 * Aggregates a session workload's requests by turn (a trace_sink): per turn index, the TTFT
 * distribution, mean TTFA and generation speed, mean prompt length and the cached fraction of
 * the prompt; and the time of each whole conversation (its last turn's end − its first turn's
 * intended start) for the conversations whose `turns` turns all succeeded.
 *
 * Requests with turn 0 (single requests) are ignored. The statistics hold the successful
 * requests, as in cell_recorder. Not thread-safe.
 */
class turn_recorder {
public:
    /// A recorder for conversations of `turns` turns (0 when unknown: no conversation time).
    explicit turn_recorder(std::uint32_t turns = 0) : turns_(turns) {}

    /// Records one finished request.
    void record(const request_trace& t) {
        if (t.turn == 0)
            return;
        if (per_turn_.size() < t.turn)
            per_turn_.resize(t.turn);
        slot& s = per_turn_[t.turn - 1];
        ++s.requests;
        if (t.turn == 1)
            conversation_start_[t.conversation] = t.intended_start;
        if (!t.ok()) {
            conversation_start_.erase(t.conversation);
            return;
        }
        ++s.succeeded;
        if (const auto v = ttft(t))
            s.ttft.add(to_seconds(*v));
        if (const auto v = ttfa(t))
            s.ttfa.add(to_seconds(*v));
        if (const auto v = generation_speed_tokens_per_s(t))
            s.speed.add(*v);
        if (const auto p = prompt_tokens(t); p && t.usage)
            s.prompt.add(static_cast<double>(*p));
        if (const auto c = cached_prompt_tokens(t)) {
            s.cached += c->tokens;
            s.cache_prompt += prompt_tokens(t).value_or(c->tokens);
            ++s.cache_reports;
            if (c->source == cache_report::usage_cached_tokens)
                ++s.usage_reports;
        } else if (t.usage && !cached_exceeds_prompt(t)) {
            s.absent_prompt += t.usage->prompt_tokens;
        }
        if (turns_ > 0 && t.turn == turns_) {
            const auto it = conversation_start_.find(t.conversation);
            if (it != conversation_start_.end()) {
                conversation_.add(to_seconds(t.end - it->second));
                conversation_start_.erase(it);
            }
        }
    }

    /// The statistics of every turn index seen, from turn 1.
    [[nodiscard]] std::vector<turn_statistics> statistics() const {
        std::vector<turn_statistics> out;
        out.reserve(per_turn_.size());
        for (std::size_t i = 0; i < per_turn_.size(); ++i) {
            const slot& s = per_turn_[i];
            turn_statistics r;
            r.turn = static_cast<std::uint32_t>(i + 1);
            r.requests = s.requests;
            r.succeeded = s.succeeded;
            r.ttft = to_statistics(s.ttft);
            if (s.ttfa.count() > 0)
                r.ttfa_mean_s = s.ttfa.mean();
            if (s.speed.count() > 0)
                r.generation_speed_mean = s.speed.mean();
            if (s.prompt.count() > 0)
                r.prompt_tokens_mean = s.prompt.mean();
            // As cell_recorder: once usage reported cached tokens, usage without them is 0.
            const std::uint64_t prompt =
                s.cache_prompt + (s.usage_reports > 0 ? s.absent_prompt : std::uint64_t{0});
            if (s.cache_reports > 0 && prompt > 0)
                r.cached_prompt_fraction =
                    static_cast<double>(s.cached) / static_cast<double>(prompt);
            out.push_back(std::move(r));
        }
        return out;
    }

    /// The time of every conversation whose turns all succeeded, seconds.
    [[nodiscard]] metric_statistics conversation_time() const {
        return to_statistics(conversation_);
    }

private:
    using sketch = stats::sample_statistics<stats::log_linear_histogram>;

    struct slot {
        std::uint64_t requests = 0;
        std::uint64_t succeeded = 0;
        sketch ttft{
            stats::log_linear_histogram(stats::log_linear_histogram_config{1e-6, 3600.0, 0.005})};
        stats::running_moments ttfa;
        stats::running_moments speed;
        stats::running_moments prompt;
        std::uint64_t cached = 0;
        std::uint64_t cache_prompt = 0;
        std::uint64_t cache_reports = 0;
        std::uint64_t usage_reports = 0;
        std::uint64_t absent_prompt = 0;
    };

    [[nodiscard]] static metric_statistics to_statistics(const sketch& samples) {
        return statistics_of(samples.summarize(0.95));
    }

    std::uint32_t turns_;
    std::vector<slot> per_turn_;
    std::unordered_map<std::uint64_t, time_point> conversation_start_;
    sketch conversation_{
        stats::log_linear_histogram(stats::log_linear_histogram_config{1e-6, 3600.0 * 24, 0.005})};
};

} // namespace llmcap::analysis
