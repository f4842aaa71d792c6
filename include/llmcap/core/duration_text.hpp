#pragma once

#include <llmcap/core/clock.hpp>

#include <charconv>     // from_chars, to_chars
#include <chrono>       // duration_cast
#include <cmath>        // isfinite
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // errc
#include <utility>      // pair

namespace llmcap {

/**
 * Reads a duration written as a number and a unit: `ms`, `s`, `m` or `h` (`500ms`, `30s`,
 * `1.5m`, `6h`); a bare number is seconds. Negative, non-finite and over 10^7 s values are
 * refused, and so is 0 unless `allow_zero`. On failure returns empty and sets `error` to a
 * sentence that quotes the text.
 */
[[nodiscard]] inline std::optional<duration>
parse_duration(std::string_view text, std::string& error, bool allow_zero = false) {
    std::string_view number = text;
    double unit_s = 1.0;
    for (const auto& [suffix, seconds] :
         {std::pair<std::string_view, double>{"ms", 1e-3}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}})
        if (number.size() > suffix.size() && number.ends_with(suffix)) {
            number.remove_suffix(suffix.size());
            unit_s = seconds;
            break;
        }
    double v = 0.0;
    const auto r = std::from_chars(number.data(), number.data() + number.size(), v);
    if (number.empty() || r.ec != std::errc{} || r.ptr != number.data() + number.size() ||
        !std::isfinite(v) || v < 0.0 || (v == 0.0 && !allow_zero) || v * unit_s > 1e7) {
        error = "\"" + std::string(text) + "\" is not a duration (a " +
                (allow_zero ? "number ≥ 0" : "positive number") +
                " with ms, s, m or h, e.g. 30s; at most 1e7 s)";
        return std::nullopt;
    }
    return std::chrono::duration_cast<duration>(std::chrono::duration<double>(v * unit_s));
}

/// A duration as parse_duration() reads it back: whole seconds as `10s`, else milliseconds
/// (`1500ms`, `0.25ms`) with the shortest exact decimal.
[[nodiscard]] inline std::string format_duration(duration d) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    char buf[48];
    if (ns % 1'000'000'000 == 0) {
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ns / 1'000'000'000);
        return std::string(buf, ec == std::errc{} ? end : buf) + "s";
    }
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<double>(ns) / 1e6);
    return std::string(buf, ec == std::errc{} ? end : buf) + "ms";
}

} // namespace llmcap
