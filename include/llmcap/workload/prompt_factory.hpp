#pragma once

#include <llmcap/workload/corpus.hpp>
#include <llmcap/workload/text_source.hpp>
#include <llmcap/workload/token_counter.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>   // min, max
#include <array>       // array
#include <concepts>    // convertible_to
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <map>         // map
#include <optional>    // optional
#include <stdexcept>   // invalid_argument
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::workload {

/// Where prompt text comes from and whether prompts defeat prefix caching.
struct prompt_options {
    /// Built-in text style (ignored when a corpus is given).
    text_style style = text_style::prose;
    /// A user corpus; when non-empty its texts are used, in order, repeated as needed.
    corpus user_corpus;
    /// Seed of the built-in text and of the per-request nonces.
    std::uint64_t seed = 1;
    /// Start every prompt with a per-request nonce, so no two requests share a first token and
    /// prefix caching never helps. Off to measure caching on purpose.
    bool cache_busting = true;
    /// Server calls allowed for calibrating one target.
    std::uint32_t max_calibration_calls = 48;
};

/// The calibrated body of prompts for one target length.
struct calibrated_prompt {
    /// Prompt tokens aimed for (server count, chat template included).
    std::uint32_t target_tokens = 0;
    /// Bytes of body text after the nonce.
    std::size_t body_bytes = 0;
    /// Text appended after the body to land exactly (empty when not needed).
    std::string filler;
    /// Prompt tokens the server counted for the calibrated prompt.
    std::uint64_t counted_tokens = 0;
    /// True when counted_tokens == target_tokens.
    bool exact = false;
    /// True when prompts with other nonces counted the same (checked on three nonces).
    bool nonce_stable = true;
    /// Server calls the calibration made.
    std::uint32_t calls = 0;
};

/// \concept prompt_source
/// Gives the prompt of request `index` for a calibrated target (DESIGN.md §3): `p.prompt(c,
/// index)` is a prompt of `c.target_tokens` server tokens (when `c.exact`) that shares no prefix
/// with the prompt of any other index. Model: prompt_factory.
template <class P>
concept prompt_source = requires(P& p, const calibrated_prompt& c, std::uint64_t index) {
    { p.prompt(c, index) } -> std::convertible_to<std::string>;
};

/**
 * Builds prompts of an exact number of server tokens (DESIGN.md §3, prompt_source), for targets
 * from 16 to 256K tokens.
 *
 * A prompt is `nonce + body`: the nonce (six base-36 characters and a space, different for every
 * request index and cycling through 36⁴ values in its first four characters) makes each prompt
 * unique from its first token; the body is a prefix of the text source. calibrate() finds the
 * body length for a target by counting on the server: a few rounds of proportional correction
 * from the text's measured bytes per token, bisection to the byte, and, when no cut lands
 * exactly (a token straddles it), a short filler. Calibrations are cached per target, so one
 * factory per (server, model, text) calibrates each length once.
 */
class prompt_factory {
public:
    /// A factory over built-in text or the options' corpus.
    explicit prompt_factory(prompt_options options = {}) : options_(std::move(options)) {}

    /// The options.
    [[nodiscard]] const prompt_options& options() const noexcept {
        return options_;
    }

    /// The nonce of request `index`: six base-36 characters and a space (empty without cache
    /// busting). Indices that differ modulo 36⁴ differ in the first four characters.
    [[nodiscard]] std::string nonce(std::uint64_t index) const {
        if (!options_.cache_busting)
            return {};
        constexpr std::uint64_t space = 36ull * 36 * 36 * 36 * 36 * 36;
        // 40507 is coprime with 36: index ↦ index·40507 is a bijection modulo every 36^k.
        std::uint64_t v = (index * 40507u + options_.seed * 7919u) % space;
        std::string s(7, ' ');
        for (std::size_t i = 0; i < 6; ++i) {
            const auto d = static_cast<char>(v % 36);
            s[i] = d < 10 ? static_cast<char>('0' + d) : static_cast<char>('a' + d - 10);
            v /= 36;
        }
        return s;
    }

    /// The first `bytes` bytes of the text source (extended as needed), cut back to a UTF-8
    /// character boundary.
    [[nodiscard]] std::string_view body(std::size_t bytes) {
        ensure_text(bytes);
        std::size_t n = std::min(bytes, text_.size());
        while (n > 0 && n < text_.size() && (static_cast<unsigned char>(text_[n]) & 0xC0) == 0x80)
            --n;
        return std::string_view(text_).substr(0, n);
    }

    /// The prompt of request `index` for a calibrated target.
    [[nodiscard]] std::string prompt(const calibrated_prompt& c, std::uint64_t index) {
        std::string p = nonce(index);
        p.append(body(c.body_bytes));
        p += c.filler;
        return p;
    }

    /// The cached calibration of a target, if any.
    [[nodiscard]] const calibrated_prompt* cached(std::uint32_t target_tokens) const {
        const auto it = cache_.find(target_tokens);
        return it == cache_.end() ? nullptr : &it->second;
    }

    /// Adds a calibration made elsewhere (a saved one) to the cache.
    void remember(calibrated_prompt c) {
        cache_[c.target_tokens] = std::move(c);
    }

    /**
     * Calibrates the body for `target_tokens` against `counter` (cached per target). Throws
     * std::invalid_argument for a target below 1; a target the text cannot reach even with an
     * empty body gives the shortest prompt with exact = false. A counting error is returned as
     * the calibration's failure: the result is empty and `error` says why.
     */
    template <token_counter Counter>
    boost::asio::awaitable<std::optional<calibrated_prompt>>
    calibrate(Counter& counter, std::uint32_t target_tokens, std::string* error = nullptr) {
        if (target_tokens == 0)
            throw std::invalid_argument("prompt_factory: target_tokens must be at least 1");
        if (const calibrated_prompt* c = cached(target_tokens))
            co_return *c;
        calibrated_prompt c;
        c.target_tokens = target_tokens;
        const auto count =
            [&](std::size_t bytes, std::string_view filler,
                std::uint64_t index) -> boost::asio::awaitable<std::optional<std::uint64_t>> {
            ++c.calls;
            std::string p = nonce(index);
            p.append(body(bytes));
            p.append(filler);
            const count_result r = co_await counter.count_prompt(p);
            if (!r.tokens && error != nullptr)
                *error = r.error;
            co_return r.tokens;
        };
        const std::uint64_t target = target_tokens;
        // Bracket: the longest body known to give ≤ target, the shortest known to give > target.
        std::size_t lo = 0;
        std::optional<std::uint64_t> lo_count = co_await count(0, {}, 0);
        if (!lo_count)
            co_return std::nullopt;
        const std::uint64_t base = *lo_count; // nonce + template
        std::optional<std::size_t> hi;
        std::size_t best = 0;
        std::uint64_t best_count = base;
        if (base < target) {
            double bytes_per_token = bytes_per_token_;
            std::size_t guess =
                static_cast<std::size_t>(static_cast<double>(target - base) * bytes_per_token) + 1;
            for (int round = 0; round < 5 && c.calls < options_.max_calibration_calls; ++round) {
                guess = body(guess).size();
                const std::optional<std::uint64_t> n = co_await count(guess, {}, 0);
                if (!n)
                    co_return std::nullopt;
                if (*n <= target && guess >= lo) {
                    lo = guess;
                    lo_count = n;
                }
                if (*n > target && (!hi || guess < *hi))
                    hi = guess;
                if (*n == target || (hi && *hi - lo <= 1))
                    break;
                if (*n > base)
                    bytes_per_token = static_cast<double>(guess) / static_cast<double>(*n - base);
                const double want = static_cast<double>(target - base) * bytes_per_token;
                guess = static_cast<std::size_t>(want);
                if (hi && guess >= *hi)
                    guess = lo + (*hi - lo) / 2;
                if (guess <= lo && *n < target)
                    guess = lo + std::max<std::size_t>(1, (hi ? *hi - lo : lo + 16) / 2);
            }
            if (lo > 0 && *lo_count > base)
                bytes_per_token_ = static_cast<double>(lo) / static_cast<double>(*lo_count - base);
            // Extend the bracket when the proportional rounds never overshot.
            while (!hi && *lo_count < target && c.calls < options_.max_calibration_calls) {
                const std::size_t next = body(std::max<std::size_t>(lo * 2, 64)).size();
                if (next <= lo)
                    break; // the text cannot grow (should not happen: it is extended)
                const std::optional<std::uint64_t> n = co_await count(next, {}, 0);
                if (!n)
                    co_return std::nullopt;
                if (*n <= target) {
                    lo = next;
                    lo_count = n;
                } else {
                    hi = next;
                }
            }
            // Bisection to the byte.
            while (hi && *lo_count != target && *hi - lo > 1 &&
                   c.calls < options_.max_calibration_calls) {
                const std::size_t mid = body(lo + (*hi - lo) / 2).size();
                if (mid <= lo || mid >= *hi)
                    break;
                const std::optional<std::uint64_t> n = co_await count(mid, {}, 0);
                if (!n)
                    co_return std::nullopt;
                if (*n <= target) {
                    lo = mid;
                    lo_count = n;
                } else {
                    hi = mid;
                }
            }
            best = lo;
            best_count = *lo_count;
        }
        c.body_bytes = best;
        c.counted_tokens = best_count;
        // A token straddles the cut: try short fillers to make up the difference.
        if (best_count < target) {
            constexpr std::array<std::string_view, 8> fillers{" a", " I", ".",   " the",
                                                              "\n", " x", " of", "!"};
            for (std::string_view f : fillers) {
                if (c.calls >= options_.max_calibration_calls)
                    break;
                const std::optional<std::uint64_t> n = co_await count(best, f, 0);
                if (!n)
                    co_return std::nullopt;
                if (*n == target) {
                    c.filler = std::string(f);
                    c.counted_tokens = *n;
                    break;
                }
            }
        }
        c.exact = c.counted_tokens == target;
        // Other nonces must count the same, or per-request prompts would drift.
        if (options_.cache_busting) {
            for (std::uint64_t index : {1ull, 4097ull, 1234567ull}) {
                const std::optional<std::uint64_t> n = co_await count(best, c.filler, index);
                if (!n)
                    co_return std::nullopt;
                if (*n != c.counted_tokens)
                    c.nonce_stable = false;
            }
        }
        cache_[target_tokens] = c;
        co_return c;
    }

private:
    void ensure_text(std::size_t bytes) {
        if (text_.size() > bytes)
            return;
        const std::size_t want = std::max<std::size_t>(bytes + 4096, text_.size() * 2);
        if (options_.user_corpus.texts.empty()) {
            text_ = builtin_text(options_.style, options_.seed).generate(want);
            return;
        }
        while (text_.size() < want) {
            for (const std::string& t : options_.user_corpus.texts) {
                if (!text_.empty())
                    text_ += "\n\n";
                text_ += t;
            }
        }
    }

    prompt_options options_;
    std::string text_;
    std::map<std::uint32_t, calibrated_prompt> cache_;
    double bytes_per_token_ = 4.0;
};

static_assert(prompt_source<prompt_factory>);

} // namespace llmcap::workload
