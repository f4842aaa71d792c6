#pragma once

#include <llmcap/analysis/metric.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>

#include <chrono>   // microseconds
#include <cstddef>  // size_t
#include <cstdint>  // uint32_t, uint64_t
#include <limits>   // numeric_limits
#include <optional> // optional
#include <vector>   // vector

/**
 * Per-request metrics: pure functions of a request_trace, exactly as DESIGN.md §4 defines them.
 *
 * Two families:
 * - first-token metrics (TTFT, TTFA, client lag, the prefill speed lower bound, ITL gaps) are
 *   given whenever they were measured, even for a request that failed later: a failed request
 *   keeps everything measured before it failed;
 * - completion metrics (E2E, TPOT, generation speed) need a complete stream and are empty for
 *   a failed request, whose end and token count are not those of a finished response.
 * A stream whose token events all arrived in one burst (delivered_in_burst()) has no
 * measurable TPOT, generation speed or mean ITL: its arrival times do not show generation.
 * Aggregation (cell_recorder) records only successful requests into the distributions and
 * counts failures by kind.
 */
namespace llmcap::analysis {

/// TTFT: first token event − intended start; empty if no token event arrived.
[[nodiscard]] inline std::optional<duration> ttft(const request_trace& t) noexcept {
    const std::optional<time_point> first = t.first_token_time();
    if (!first)
        return std::nullopt;
    return *first - t.intended_start;
}

/// TTFA: first answer (content, text or tool-call) event − intended start; empty if none arrived.
/// Equals TTFT when the stream carries no reasoning before its answer.
[[nodiscard]] inline std::optional<duration> ttfa(const request_trace& t) noexcept {
    const std::optional<time_point> first = t.first_answer_time();
    if (!first)
        return std::nullopt;
    return *first - t.intended_start;
}

/// E2E latency: end of stream − intended start; empty for a failed request.
[[nodiscard]] inline std::optional<duration> e2e(const request_trace& t) noexcept {
    if (!t.ok())
        return std::nullopt;
    return t.end - t.intended_start;
}

/// An output token count and where it came from.
struct output_token_count {
    /// Output tokens (reasoning included).
    std::uint64_t tokens = 0;
    /// True when counted from token events because the server sent no usage.
    bool estimated = false;

    friend bool operator==(const output_token_count&, const output_token_count&) = default;
};

/// Output tokens n: `usage.completion_tokens` when the server sent usage, else the token
/// events' count (marked estimated).
[[nodiscard]] inline output_token_count output_tokens(const request_trace& t) noexcept {
    return {t.output_tokens(), t.output_tokens_estimated()};
}

/**
 * The shortest time per output token that a stream's arrival times can measure: 50 µs, a
 * per-user speed of 20,000 tokens/s, several times the fastest per-user speeds reported for
 * served models (a few thousand tokens/s). Events that the server (or a buffering proxy) held
 * back and released together arrive a few microseconds apart, at the pace of the client's
 * reads rather than of the server's generation. See delivered_in_burst().
 */
inline constexpr duration min_measurable_tpot = std::chrono::microseconds(50);

/**
 * True when the stream's token events arrived in one burst: n = output_tokens(t) > 1 tokens
 * whose events span less than (n − 1) × min_measurable_tpot (last token event − first; 0 when
 * every token came in one event, or every event in one read). Such arrival times say when the
 * tokens were released, not how fast they were generated: typically the response headers or
 * the first token were held back while the tokens were produced (the emulator's
 * `slow_headers` fault, a proxy that buffers responses), then everything came at once.
 *
 * For such a stream TPOT, generation speed and mean ITL are not measurable: tpot(), tpot_s(),
 * generation_speed_tokens_per_s() and mean_itl_s() are empty, cell_recorder keeps its gaps out
 * of the pooled ITL and counts it (burst_streams()). TTFT, TTFA, E2E and the output tokens are
 * unaffected. Defined for failed requests too (on the tokens that arrived); false with no
 * token event or a single token.
 */
[[nodiscard]] inline bool delivered_in_burst(const request_trace& t) noexcept {
    if (t.events.empty())
        return false;
    const std::uint64_t n = t.output_tokens();
    if (n <= 1)
        return false;
    // span < (n - 1) × floor, exactly, in clock ticks; n comes from the server and may be so
    // large that the product overflows, and then no span reaches it.
    const duration::rep floor = min_measurable_tpot.count();
    const std::uint64_t gaps = n - 1;
    if (gaps > static_cast<std::uint64_t>(std::numeric_limits<duration::rep>::max() / floor))
        return true;
    return t.events.back().at - t.events.front().at <
           duration(static_cast<duration::rep>(gaps) * floor);
}

/**
 * TPOT = (last token event − first token event) ÷ (n − 1), n = output_tokens(t).
 * Empty for a failed request, when n ≤ 1 (a single-token output has no inter-token time), when
 * fewer than two token events arrived (all tokens in one event: no time was observed), and
 * when the stream was delivered in a burst (delivered_in_burst(): the events span less than
 * min_measurable_tpot per token).
 */
[[nodiscard]] inline std::optional<duration> tpot(const request_trace& t) noexcept {
    if (!t.ok() || t.events.size() < 2 || delivered_in_burst(t))
        return std::nullopt;
    const std::uint64_t n = t.output_tokens();
    if (n <= 1)
        return std::nullopt;
    const duration span = t.events.back().at - t.events.front().at;
    return span / static_cast<duration::rep>(n - 1);
}

/// TPOT in seconds as a double (exact: no rounding to the clock's tick); see tpot().
[[nodiscard]] inline std::optional<double> tpot_s(const request_trace& t) noexcept {
    if (!t.ok() || t.events.size() < 2 || delivered_in_burst(t))
        return std::nullopt;
    const std::uint64_t n = t.output_tokens();
    if (n <= 1)
        return std::nullopt;
    return to_seconds(t.events.back().at - t.events.front().at) / static_cast<double>(n - 1);
}

/// Per-user generation speed = 1 ÷ TPOT, tokens per second; empty when TPOT is empty (so never
/// above 1 ÷ min_measurable_tpot).
[[nodiscard]] inline std::optional<double>
generation_speed_tokens_per_s(const request_trace& t) noexcept {
    const std::optional<double> s = tpot_s(t);
    if (!s || *s <= 0.0)
        return std::nullopt;
    return 1.0 / *s;
}

/**
 * Calls `f(gap_s)` once per inter-token gap of the request, in order: for each token event after
 * the first, the time since the previous event divided over the k tokens it carried, given k
 * times. Events sharing a read's stamp give gaps of zero. Gives the gaps of any stream, one
 * delivered in a burst too (cell_recorder pools only those of streams that were not).
 * O(events), no allocation.
 */
template <class F>
void for_each_itl_gap_s(const request_trace& t, F&& f) {
    for (std::size_t i = 1; i < t.events.size(); ++i) {
        const double gap_s = to_seconds(t.events[i].at - t.events[i - 1].at);
        const std::uint32_t k = t.events[i].tokens == 0 ? 1 : t.events[i].tokens;
        const double per_token_s = gap_s / static_cast<double>(k);
        for (std::uint32_t j = 0; j < k; ++j)
            f(per_token_s);
    }
}

/// The request's inter-token gaps in seconds (see for_each_itl_gap_s). Allocates.
[[nodiscard]] inline std::vector<double> itl_gaps_s(const request_trace& t) {
    std::vector<double> gaps;
    for_each_itl_gap_s(t, [&](double g) { gaps.push_back(g); });
    return gaps;
}

/// The request's mean inter-token latency: (last − first token event) ÷ tokens carried after
/// the first event, seconds; empty with fewer than two token events and for a stream
/// delivered in a burst (delivered_in_burst()).
[[nodiscard]] inline std::optional<double> mean_itl_s(const request_trace& t) noexcept {
    if (t.events.size() < 2 || delivered_in_burst(t))
        return std::nullopt;
    std::uint64_t tokens = 0;
    for (std::size_t i = 1; i < t.events.size(); ++i)
        tokens += t.events[i].tokens == 0 ? 1 : t.events[i].tokens;
    return to_seconds(t.events.back().at - t.events.front().at) / static_cast<double>(tokens);
}

/// Client lag = send − intended start: how late the client put the request on the wire; empty
/// if it was never sent.
[[nodiscard]] inline std::optional<duration> client_lag(const request_trace& t) noexcept {
    if (!t.send)
        return std::nullopt;
    return *t.send - t.intended_start;
}

/// Prompt tokens of a request: `usage.prompt_tokens` when the server sent usage, else the
/// workload's target when known; empty otherwise.
[[nodiscard]] inline std::optional<std::uint64_t> prompt_tokens(const request_trace& t) noexcept {
    if (t.usage)
        return t.usage->prompt_tokens;
    if (t.prompt_tokens_target > 0)
        return t.prompt_tokens_target;
    return std::nullopt;
}

/**
 * Client-side lower bound on per-user prefill speed: prompt tokens ÷ TTFT, tokens per second.
 * TTFT includes queueing, network and the first decode step, so the true prefill speed is at
 * least this; report it only as a bound. Empty without a TTFT or a prompt token count.
 */
[[nodiscard]] inline std::optional<double>
prefill_speed_lower_bound_tokens_per_s(const request_trace& t) noexcept {
    const std::optional<duration> first = ttft(t);
    const std::optional<std::uint64_t> prompt = prompt_tokens(t);
    if (!first || !prompt || first->count() <= 0)
        return std::nullopt;
    return static_cast<double>(*prompt) / to_seconds(*first);
}

/// Queue wait as the server reported it for this request, seconds; empty when it did not.
[[nodiscard]] inline std::optional<double> queue_wait_s(const request_trace& t) noexcept {
    if (!t.timings)
        return std::nullopt;
    return t.timings->queue_s;
}

/// Prefill time as the server reported it (`prefill_s`, else llama.cpp's `prompt_ms`), seconds;
/// empty when it did not. Never substituted by TTFT.
[[nodiscard]] inline std::optional<double> prefill_time_s(const request_trace& t) noexcept {
    if (!t.timings)
        return std::nullopt;
    if (t.timings->prefill_s)
        return t.timings->prefill_s;
    if (t.timings->prompt_ms)
        return *t.timings->prompt_ms / 1000.0;
    return std::nullopt;
}

/**
 * Per-user prefill speed = prompt tokens ÷ server-reported prefill time, tokens per second. The
 * prompt tokens are those the server evaluated when it says so (llama.cpp's `prompt_n`, cached
 * tokens excluded), else prompt_tokens(t). Empty without a server prefill time.
 */
[[nodiscard]] inline std::optional<double>
prefill_speed_tokens_per_s(const request_trace& t) noexcept {
    const std::optional<double> time_s = prefill_time_s(t);
    if (!time_s || *time_s <= 0.0)
        return std::nullopt;
    std::optional<std::uint64_t> tokens = prompt_tokens(t);
    if (t.timings && t.timings->prompt_tokens_evaluated)
        tokens = t.timings->prompt_tokens_evaluated;
    if (!tokens)
        return std::nullopt;
    return static_cast<double>(*tokens) / *time_s;
}

/// Where a request's cached prompt tokens were read.
enum class cache_report : std::uint8_t {
    /// `usage.prompt_tokens_details.cached_tokens` (vLLM, SGLang, OpenAI).
    usage_cached_tokens,
    /// `timings.cache_n` (llama.cpp).
    timings_cache_n,
};

/// The stable name of a cache_report: the field it came from.
[[nodiscard]] constexpr std::string_view cache_report_name(cache_report r) noexcept {
    return r == cache_report::usage_cached_tokens ? "usage.prompt_tokens_details.cached_tokens"
                                                  : "timings.cache_n";
}

/// Prompt tokens the server served from its prefix cache, with where it said so.
struct cached_prompt {
    /// Cached prompt tokens.
    std::uint64_t tokens = 0;
    /// The field that reported them.
    cache_report source = cache_report::usage_cached_tokens;
};

/**
 * The request's prompt tokens served from the server's prefix cache, as the server reported
 * them: `usage.prompt_tokens_details.cached_tokens`, else llama.cpp's `timings.cache_n`. Empty
 * when the server reported neither ("not reported", never 0), and when the count exceeds the
 * prompt (cached_exceeds_prompt(): a count that cannot be true is not used).
 */
[[nodiscard]] inline std::optional<cached_prompt>
cached_prompt_tokens(const request_trace& t) noexcept {
    std::optional<cached_prompt> c;
    if (t.usage && t.usage->cached_tokens)
        c = cached_prompt{*t.usage->cached_tokens, cache_report::usage_cached_tokens};
    else if (t.timings && t.timings->prompt_tokens_cached)
        c = cached_prompt{*t.timings->prompt_tokens_cached, cache_report::timings_cache_n};
    if (!c)
        return std::nullopt;
    const std::optional<std::uint64_t> prompt = prompt_tokens(t);
    if (prompt && c->tokens > *prompt)
        return std::nullopt;
    return c;
}

/// True when the server reported more cached tokens than the prompt had (usage.prompt_tokens,
/// or for llama.cpp the evaluated plus cached tokens): a report that cannot be true, which
/// cached_prompt_tokens() refuses.
[[nodiscard]] inline bool cached_exceeds_prompt(const request_trace& t) noexcept {
    std::optional<std::uint64_t> cached;
    if (t.usage && t.usage->cached_tokens)
        cached = t.usage->cached_tokens;
    else if (t.timings && t.timings->prompt_tokens_cached)
        cached = t.timings->prompt_tokens_cached;
    const std::optional<std::uint64_t> prompt = prompt_tokens(t);
    return cached && prompt && *cached > *prompt;
}

/// Prompt tokens the server had to prefill: prompt tokens − cached tokens; empty when the
/// cached tokens were not reported.
[[nodiscard]] inline std::optional<std::uint64_t>
uncached_prompt_tokens(const request_trace& t) noexcept {
    const std::optional<cached_prompt> c = cached_prompt_tokens(t);
    const std::optional<std::uint64_t> prompt = prompt_tokens(t);
    if (!c || !prompt)
        return std::nullopt;
    return *prompt - c->tokens;
}

/**
 * Effective prefill speed = uncached prompt tokens ÷ server-reported prefill time, tokens per
 * second: how fast the server computed what it could not take from its cache. Empty without a
 * cached-token report or a server prefill time.
 */
[[nodiscard]] inline std::optional<double>
effective_prefill_speed_tokens_per_s(const request_trace& t) noexcept {
    const std::optional<double> time_s = prefill_time_s(t);
    const std::optional<std::uint64_t> uncached = uncached_prompt_tokens(t);
    if (!time_s || *time_s <= 0.0 || !uncached)
        return std::nullopt;
    return static_cast<double>(*uncached) / *time_s;
}

/// TTFT of a later turn of a conversation (turn ≥ 2, whose history the server may have
/// cached); empty for a first turn and for a single-turn request.
[[nodiscard]] inline std::optional<duration> ttft_later_turn(const request_trace& t) noexcept {
    if (t.turn < 2)
        return std::nullopt;
    return ttft(t);
}

/**
 * The value of a per-request metric in the unit its name gives (seconds, tokens per second or
 * tokens); empty when the metric is undefined for this request. `metric::itl` gives the
 * request's mean ITL (the pooled gaps come from for_each_itl_gap_s); cell-level metrics
 * (is_cell_level(): throughput, cached prompt fraction, mean in flight) are always empty here.
 */
[[nodiscard]] inline std::optional<double> request_metric_value(metric m,
                                                                const request_trace& t) noexcept {
    const auto seconds = [](std::optional<duration> d) -> std::optional<double> {
        if (!d)
            return std::nullopt;
        return to_seconds(*d);
    };
    switch (m) {
    case metric::ttft:
        return seconds(ttft(t));
    case metric::ttfa:
        return seconds(ttfa(t));
    case metric::e2e:
        return seconds(e2e(t));
    case metric::tpot:
        return tpot_s(t);
    case metric::generation_speed:
        return generation_speed_tokens_per_s(t);
    case metric::itl:
    case metric::request_itl:
        return mean_itl_s(t);
    case metric::throughput:
        return std::nullopt;
    case metric::queue_wait:
        return queue_wait_s(t);
    case metric::prefill_time:
        return prefill_time_s(t);
    case metric::prefill_speed:
        return prefill_speed_tokens_per_s(t);
    case metric::prefill_speed_lower_bound:
        return prefill_speed_lower_bound_tokens_per_s(t);
    case metric::client_lag:
        return seconds(client_lag(t));
    case metric::output_tokens:
        return static_cast<double>(t.output_tokens());
    case metric::ttft_later_turns:
        return seconds(ttft_later_turn(t));
    case metric::cached_prompt_tokens:
        if (const std::optional<cached_prompt> c = cached_prompt_tokens(t))
            return static_cast<double>(c->tokens);
        return std::nullopt;
    case metric::uncached_prompt_tokens:
        if (const std::optional<std::uint64_t> n = uncached_prompt_tokens(t))
            return static_cast<double>(*n);
        return std::nullopt;
    case metric::effective_prefill_speed:
        return effective_prefill_speed_tokens_per_s(t);
    case metric::cached_prompt_fraction:
    case metric::mean_in_flight:
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace llmcap::analysis
