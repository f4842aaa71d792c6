#pragma once

#include <algorithm>    // max
#include <charconv>     // to_chars, from_chars
#include <cmath>        // abs, floor, isfinite, log10
#include <cstdint>      // uint32_t, uint64_t
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // errc

/**
 * Number formatting for reports: fixed decimals, significant digits, thousands separators and
 * numbers with their units ("66 ms", "35.9 s", "458.3 tok/s", "33,639 tok/s", "1K"). Every
 * function is locale-independent (std::to_chars) so a report is the same text on every machine.
 * A value that is not finite formats as "n/a".
 */
namespace llmcap::report {

/// What a value that was not measured (NaN) or is not finite prints as.
inline constexpr std::string_view not_available = "n/a";

/// `v` with exactly `decimals` digits after the point ("-0.0" is written "0.0").
[[nodiscard]] inline std::string format_fixed(double v, int decimals) {
    if (!std::isfinite(v))
        return std::string(not_available);
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    if (r.ec != std::errc{})
        return std::string(not_available);
    std::string s(buf, r.ptr);
    // A negative value that rounds to zero prints as zero.
    if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos)
        s.erase(0, 1);
    return s;
}

/// Inserts thousands separators (",") into the integer part of a formatted number.
[[nodiscard]] inline std::string group_thousands(std::string_view number) {
    std::size_t begin = (!number.empty() && number.front() == '-') ? 1 : 0;
    std::size_t end = number.find('.');
    if (end == std::string_view::npos)
        end = number.size();
    std::string out(number.substr(0, begin));
    for (std::size_t i = begin; i < end; ++i) {
        out += number[i];
        const std::size_t left = end - i - 1;
        if (left > 0 && left % 3 == 0)
            out += ',';
    }
    out += number.substr(end);
    return out;
}

/// Decimals that show `sig` significant digits of `v` (never negative).
[[nodiscard]] inline int decimals_for(double v, int sig) {
    if (v == 0.0 || !std::isfinite(v))
        return std::max(0, sig - 1);
    const int magnitude = static_cast<int>(std::floor(std::log10(std::abs(v))));
    return std::max(0, sig - 1 - magnitude);
}

/// `v` with `sig` significant digits (at least; integer digits are never dropped), grouped in
/// thousands: 33639.2 → "33,639", 196.73 → "197" (sig 3), 0.06621 → "0.0662".
[[nodiscard]] inline std::string format_significant(double v, int sig = 3) {
    if (!std::isfinite(v))
        return std::string(not_available);
    int d = decimals_for(v, sig);
    // Rounding can add a digit (99.96 → "100.0"): recompute on the rounded value.
    const std::string first = format_fixed(v, d);
    double rounded = 0.0;
    std::from_chars(first.data(), first.data() + first.size(), rounded);
    if (rounded != 0.0)
        d = decimals_for(rounded, sig);
    return group_thousands(format_fixed(v, d));
}

/// An integer count grouped in thousands: 4736 → "4,736".
[[nodiscard]] inline std::string format_count(std::uint64_t n) {
    return group_thousands(std::to_string(n));
}

/// A duration in seconds with a unit chosen for it: "850 µs", "66 ms", "717 ms", "1.6 s",
/// "35.9 s", "125 s".
[[nodiscard]] inline std::string format_duration_s(double s) {
    if (!std::isfinite(s))
        return std::string(not_available);
    const double a = std::abs(s);
    if (a == 0.0)
        return "0 ms";
    if (a < 1e-3)
        return format_significant(s * 1e6, 3) + " µs";
    if (a < 1.0)
        return format_fixed(s * 1e3, a < 0.01 ? 1 : 0) + " ms";
    if (a < 100.0)
        return format_fixed(s, a < 10.0 ? 2 : 1) + " s";
    return group_thousands(format_fixed(s, 0)) + " s";
}

/// A rate in tokens per second: one decimal below 1,000, grouped integers above
/// ("458.3 tok/s", "33,639 tok/s").
[[nodiscard]] inline std::string format_rate(double tokens_per_s) {
    if (!std::isfinite(tokens_per_s))
        return std::string(not_available);
    if (std::abs(tokens_per_s) >= 1000.0)
        return group_thousands(format_fixed(tokens_per_s, 0)) + " tok/s";
    return format_fixed(tokens_per_s, std::abs(tokens_per_s) < 10.0 ? 2 : 1) + " tok/s";
}

/// A fraction as a percentage with one decimal: 0.7253 → "72.5%".
[[nodiscard]] inline std::string format_percent(double fraction, int decimals = 1) {
    if (!std::isfinite(fraction))
        return std::string(not_available);
    return format_fixed(fraction * 100.0, decimals) + "%";
}

/// Watts: "628 W", "45.2 W".
[[nodiscard]] inline std::string format_watts(double w) {
    if (!std::isfinite(w))
        return std::string(not_available);
    return format_fixed(w, std::abs(w) < 100.0 ? 1 : 0) + " W";
}

/// Joules with three significant digits: "1.37 J", "12,400 J".
[[nodiscard]] inline std::string format_joules(double j) {
    if (!std::isfinite(j))
        return std::string(not_available);
    return format_significant(j, 3) + " J";
}

/// US dollars: "$0.063" below one dollar (three significant digits), "$12.40" above.
[[nodiscard]] inline std::string format_usd(double usd) {
    if (!std::isfinite(usd))
        return std::string(not_available);
    if (std::abs(usd) < 1.0)
        return "$" + format_significant(usd, 2);
    return "$" + group_thousands(format_fixed(usd, 2));
}

/// A token count in the short form of context lengths: multiples of 1,024 as "1K", "8K",
/// "128K"; multiples of 1,000 as "200K"; multiples of 1,048,576 as "1M"; anything else grouped
/// ("1,500").
[[nodiscard]] inline std::string format_tokens_short(std::uint64_t tokens) {
    if (tokens > 0 && tokens % (1024 * 1024) == 0)
        return std::to_string(tokens / (1024 * 1024)) + "M";
    if (tokens > 0 && tokens % 1024 == 0)
        return std::to_string(tokens / 1024) + "K";
    if (tokens > 0 && tokens % 1000 == 0)
        return std::to_string(tokens / 1000) + "K";
    return format_count(tokens);
}

/// A multiplier: 2.93 → "2.9×".
[[nodiscard]] inline std::string format_ratio(double r) {
    if (!std::isfinite(r))
        return std::string(not_available);
    return format_fixed(r, 1) + "×";
}

/// A plain number for machine-readable output (CSV): shortest round-trip form, "" when NaN.
[[nodiscard]] inline std::string format_exact(double v) {
    if (!std::isfinite(v))
        return {};
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

} // namespace llmcap::report
