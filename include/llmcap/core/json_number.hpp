#pragma once

#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <charconv>     // to_chars, from_chars
#include <cmath>        // isfinite, isnan
#include <cstddef>      // size_t
#include <optional>     // optional
#include <string_view>  // string_view
#include <system_error> // errc

/**
 * How llmcap writes and reads doubles in JSON, so that a file written, read and written again
 * is the same byte for byte:
 *
 * - Writing: a double is the shortest decimal that reads back to the same double. As a JSON
 *   number (json_number_or_null) Boost.JSON's serializer writes it so; as a JSON string
 *   (json_decimal_or_null, the statistics format of stats/json.hpp) std::to_chars does.
 *   JSON has no NaN or infinity: they are written as null.
 * - Reading: every document is parsed with parse_json (core/json_parse.hpp), which converts each
 *   number from its text with std::from_chars, correctly rounded (Boost.JSON 1.81's own parser
 *   may miss by one unit in the last place); a decimal string is read with the same
 *   std::from_chars (json_decimal_to_double).
 */
namespace llmcap {

/// A double as a JSON number; null when not finite.
[[nodiscard]] inline boost::json::value json_number_or_null(double x) {
    if (std::isfinite(x))
        return x;
    return nullptr;
}

/// An optional double as a JSON number; null when empty or not finite.
[[nodiscard]] inline boost::json::value json_number_or_null(const std::optional<double>& x) {
    return x ? json_number_or_null(*x) : boost::json::value(nullptr);
}

/// A double as a JSON string holding the shortest decimal that reads back to it ("0.005");
/// null for NaN.
[[nodiscard]] inline boost::json::value json_decimal_or_null(double x) {
    if (std::isnan(x))
        return nullptr;
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
    return boost::json::string(buffer, static_cast<std::size_t>(end - buffer));
}

/// Reads a decimal string exactly (std::from_chars, correctly rounded); false unless the whole
/// text is one finite number.
[[nodiscard]] inline bool json_decimal_to_double(std::string_view text, double& out) noexcept {
    const char* first = text.data();
    const char* last = first + text.size();
    double x = 0.0;
    const auto [end, ec] = std::from_chars(first, last, x);
    if (ec != std::errc{} || end != last || !std::isfinite(x))
        return false;
    out = x;
    return true;
}

} // namespace llmcap
