#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/duration_text.hpp>

#include <charconv>    // from_chars, to_chars
#include <cmath>       // log, isfinite
#include <cstdint>     // uint8_t
#include <optional>    // optional
#include <random>      // exponential_distribution, lognormal_distribution
#include <string>      // string
#include <string_view> // string_view

namespace llmcap {

/// How long a user pauses between an answer and their next turn.
struct think_time {
    /// The distribution's family.
    enum class family : std::uint8_t {
        /// Always `mean` (0 for agents, which send their next turn at once).
        fixed,
        /// Exponential with mean `mean` (memoryless arrivals of the next turn).
        exponential,
        /// Lognormal with mean `mean` and log-space standard deviation `sigma` (most pauses
        /// short, a few long, as measured for chat users).
        lognormal,
    };
    /// The family.
    family shape = family::fixed;
    /// The mean pause.
    duration mean{};
    /// Lognormal only: the standard deviation of the pause's logarithm.
    double sigma = 1.0;

    /// One pause drawn from the distribution.
    template <class Rng>
    [[nodiscard]] duration draw(Rng& rng) const {
        const double m = to_seconds(mean);
        if (m <= 0.0 || shape == family::fixed)
            return mean;
        if (shape == family::exponential)
            return from_seconds(std::exponential_distribution<double>(1.0 / m)(rng));
        // mean = exp(mu + sigma²/2)
        const double mu = std::log(m) - sigma * sigma / 2.0;
        return from_seconds(std::lognormal_distribution<double>(mu, sigma)(rng));
    }

    /// The text parse_think_time() reads back: "0", "fixed:5s", "exponential:10s",
    /// "lognormal:10s" (σ 1) or "lognormal:10s:0.5".
    [[nodiscard]] std::string to_string() const {
        if (mean == duration::zero())
            return "0";
        switch (shape) {
        case family::fixed:
            return "fixed:" + format_duration(mean);
        case family::exponential:
            return "exponential:" + format_duration(mean);
        case family::lognormal: {
            std::string s = "lognormal:" + format_duration(mean);
            if (sigma != 1.0) {
                char buf[32];
                const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, sigma);
                s += ':';
                s.append(buf, ec == std::errc{} ? end : buf);
            }
            return s;
        }
        }
        return "0";
    }

    friend bool operator==(const think_time&, const think_time&) = default;
};

/**
 * Reads a think time: `0` (agents: no pause), `DURATION` or `fixed:DURATION` (always that long),
 * `exponential:MEAN` (`exp:` too), `lognormal:MEAN` (σ = 1) or `lognormal:MEAN:SIGMA`
 * (0 < σ ≤ 4). Durations as parse_duration() reads them (`10s`, `500ms`, `2m`). On failure
 * returns empty and sets `error` to a sentence quoting the text.
 */
[[nodiscard]] inline std::optional<think_time> parse_think_time(std::string_view text,
                                                                std::string& error) {
    const auto fail = [&](const std::string& why) -> std::optional<think_time> {
        error = "think time \"" + std::string(text) + "\": " + why +
                " (expected 0, fixed:5s, exponential:10s, lognormal:10s or lognormal:10s:0.5)";
        return std::nullopt;
    };
    think_time t;
    std::string_view rest = text;
    const std::size_t colon = text.find(':');
    if (colon != std::string_view::npos) {
        const std::string_view name = text.substr(0, colon);
        rest = text.substr(colon + 1);
        if (name == "fixed")
            t.shape = think_time::family::fixed;
        else if (name == "exponential" || name == "exp")
            t.shape = think_time::family::exponential;
        else if (name == "lognormal")
            t.shape = think_time::family::lognormal;
        else
            return fail("unknown distribution \"" + std::string(name) + "\"");
    }
    std::string_view mean_text = rest;
    if (t.shape == think_time::family::lognormal) {
        if (const std::size_t c = rest.find(':'); c != std::string_view::npos) {
            mean_text = rest.substr(0, c);
            const std::string_view s = rest.substr(c + 1);
            double sigma = 0.0;
            const auto r = std::from_chars(s.data(), s.data() + s.size(), sigma);
            if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size() ||
                !std::isfinite(sigma) || sigma <= 0.0 || sigma > 4.0)
                return fail("sigma \"" + std::string(s) + "\" is not a number in (0, 4]");
            t.sigma = sigma;
        }
    } else if (rest.find(':') != std::string_view::npos) {
        return fail("only lognormal takes a second parameter");
    }
    std::string why;
    const std::optional<duration> mean = parse_duration(mean_text, why, true);
    if (!mean)
        return fail(why);
    t.mean = *mean;
    return t;
}

} // namespace llmcap
