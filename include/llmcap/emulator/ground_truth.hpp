#pragma once

#include <llmcap/core/clock.hpp>

#include <cstdint>  // uint32_t, uint64_t
#include <optional> // optional
#include <vector>   // vector

namespace llmcap::emulator {

/// Identifies a request within one engine, in the order requests were added (0, 1, 2, ...).
using request_id = std::uint64_t;

/// One prefill chunk of a request: when the step that processed it ended and how many tokens
/// it covered.
struct prefill_chunk {
    /// End of the engine step that processed the chunk.
    time_point at{};
    /// Tokens in the chunk.
    std::uint32_t tokens = 0;
    /// True when the chunk recomputes tokens lost to a preemption.
    bool recompute = false;
};

/**
 * What really happened to one request inside the engine: the ground truth against which a
 * client's measurements are checked. Times are those of the clock that drove the engine.
 */
struct request_truth {
    /// The request's id.
    request_id id = 0;
    /// Prompt tokens.
    std::uint32_t prompt_tokens = 0;
    /// Output tokens asked for (all are produced: the emulator ignores end-of-sequence).
    std::uint32_t output_tokens = 0;
    /// When the request reached the engine.
    time_point arrival{};
    /// Start of the first engine step that gave it any prefill; empty while it waits.
    std::optional<time_point> scheduled;
    /// Prompt tokens whose KV cache it found in the prefix cache when first scheduled (whole
    /// blocks, never the whole prompt): its prefill started after them. 0 without prefix
    /// caching.
    std::uint32_t cached_tokens = 0;
    /// Every prefill chunk, recomputation after preemption included, in order.
    std::vector<prefill_chunk> prefill_chunks;
    /// When each output token was emitted (end of the step that sampled it), in order.
    std::vector<time_point> tokens;
    /// When the last token was emitted; empty while unfinished (and for an aborted request).
    std::optional<time_point> finish;
    /// When the request was aborted (engine::abort(), e.g. its client went away) before its
    /// last token; empty otherwise.
    std::optional<time_point> aborted;
    /// Starts of the steps at which the request was preempted (its KV cache freed, to be
    /// recomputed).
    std::vector<time_point> preemptions;

    /// True when every output token has been emitted.
    [[nodiscard]] bool finished() const noexcept {
        return finish.has_value();
    }

    /// Scheduled − arrival, the engine's queue wait; empty while unscheduled.
    [[nodiscard]] std::optional<duration> queue_wait() const noexcept {
        if (!scheduled)
            return std::nullopt;
        return *scheduled - arrival;
    }

    /// First token − scheduled, the engine's prefill time; empty before the first token.
    [[nodiscard]] std::optional<duration> prefill_time() const noexcept {
        if (!scheduled || tokens.empty())
            return std::nullopt;
        return tokens.front() - *scheduled;
    }
};

} // namespace llmcap::emulator
