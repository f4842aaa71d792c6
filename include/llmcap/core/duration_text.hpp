#pragma once

#include <llmcap/core/clock.hpp>

#include <charconv>     // from_chars
#include <chrono>       // duration_cast
#include <cmath>        // isfinite, llround
#include <cstdint>      // int64_t, uint64_t
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // errc
#include <utility>      // pair

namespace llmcap {

namespace detail {

/// 128-bit unsigned arithmetic (GCC and Clang), for exact products of 64-bit values.
__extension__ typedef unsigned __int128 uint128;

/// A plain decimal `digits[.digits]` times `unit_ns`, rounded to the nearest nanosecond in
/// integer arithmetic (exact, whatever the digits); empty for another form or above `max_ns`.
[[nodiscard]] inline std::optional<std::int64_t>
exact_decimal_ns(std::string_view number, std::int64_t unit_ns, std::int64_t max_ns) noexcept {
    const std::size_t dot = number.find('.');
    const std::string_view whole = number.substr(0, dot);
    const std::string_view frac =
        dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
    if (whole.empty() || (dot != std::string_view::npos && frac.empty()))
        return std::nullopt;
    for (const std::string_view part : {whole, frac})
        for (const char c : part)
            if (c < '0' || c > '9')
                return std::nullopt;
    uint128 ns = 0;
    for (const char c : whole) {
        ns = ns * 10 + static_cast<unsigned>(c - '0');
        if (ns > static_cast<uint128>(max_ns))
            return std::nullopt;
    }
    ns *= static_cast<uint128>(unit_ns);
    // The fraction's first 18 digits decide the nanoseconds (unit_ns < 10^13).
    uint128 num = 0;
    uint128 den = 1;
    for (std::size_t i = 0; i < frac.size() && i < 18; ++i) {
        num = num * 10 + static_cast<unsigned>(frac[i] - '0');
        den *= 10;
    }
    ns += (num * static_cast<uint128>(unit_ns) + den / 2) / den;
    if (ns > static_cast<uint128>(max_ns))
        return std::nullopt;
    return static_cast<std::int64_t>(ns);
}

} // namespace detail

/**
 * Reads a duration written as a number and a unit: `ms`, `s`, `m` or `h` (`500ms`, `30s`,
 * `1.5m`, `6h`); a bare number is seconds. A plain decimal is read exactly and rounded to the
 * nearest nanosecond ("1.234567ms" is 1,234,567 ns); other number forms (`1e3ms`) go through a
 * double. Negative, non-finite and over 10^7 s values are refused, and so is 0 unless
 * `allow_zero`. On failure returns empty and sets `error` to a sentence that quotes the text.
 */
[[nodiscard]] inline std::optional<duration>
parse_duration(std::string_view text, std::string& error, bool allow_zero = false) {
    constexpr std::int64_t max_ns = 10'000'000'000'000'000; // 10^7 s
    std::string_view number = text;
    std::int64_t unit_ns = 1'000'000'000;
    for (const auto& [suffix, ns] : {std::pair<std::string_view, std::int64_t>{"ms", 1'000'000},
                                     {"s", 1'000'000'000},
                                     {"m", 60'000'000'000},
                                     {"h", 3'600'000'000'000}})
        if (number.size() > suffix.size() && number.ends_with(suffix)) {
            number.remove_suffix(suffix.size());
            unit_ns = ns;
            break;
        }
    std::optional<std::int64_t> ns = detail::exact_decimal_ns(number, unit_ns, max_ns);
    if (!ns) {
        double v = 0.0;
        const auto r = std::from_chars(number.data(), number.data() + number.size(), v);
        if (!number.empty() && r.ec == std::errc{} && r.ptr == number.data() + number.size() &&
            std::isfinite(v) && v >= 0.0 && v * static_cast<double>(unit_ns) <= 1e16)
            ns = static_cast<std::int64_t>(std::llround(v * static_cast<double>(unit_ns)));
    }
    if (!ns || (*ns == 0 && !allow_zero)) {
        // Appended piece by piece: GCC 12 warns (-Wrestrict) on "literal" + std::string&&.
        error.assign(1, '"');
        error.append(text);
        error += "\" is not a duration (a ";
        error += allow_zero ? "number ≥ 0" : "positive number";
        error += " with ms, s, m or h, e.g. 30s; at most 1e7 s)";
        return std::nullopt;
    }
    return std::chrono::duration_cast<duration>(std::chrono::nanoseconds(*ns));
}

/// A duration as parse_duration() reads it back exactly: whole seconds as `10s`, else
/// milliseconds with as many decimals as needed (`1500ms`, `0.25ms`, `1.234567ms`).
[[nodiscard]] inline std::string format_duration(duration d) {
    const std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    const std::string sign = ns < 0 ? "-" : "";
    const std::uint64_t n =
        ns < 0 ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
    if (n % 1'000'000'000 == 0)
        return sign + std::to_string(n / 1'000'000'000) + "s";
    std::string s = sign + std::to_string(n / 1'000'000);
    if (const std::uint64_t frac = n % 1'000'000; frac != 0) {
        std::string f = std::to_string(frac);
        f.insert(0, 6 - f.size(), '0');
        while (f.back() == '0')
            f.pop_back();
        s += "." + f;
    }
    return s + "ms";
}

} // namespace llmcap
