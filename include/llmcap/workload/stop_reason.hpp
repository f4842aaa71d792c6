#pragma once

#include <array>       // array
#include <cstdint>     // uint8_t
#include <string_view> // string_view

namespace llmcap::workload {

/// Why a cell stopped starting requests (drive()'s stop_rule, the run's stop signal), or that it
/// could not run at all.
enum class stop_reason : std::uint8_t {
    /// The fixed number of measured requests ran (stop_rule::requests).
    request_count,
    /// The time limit passed (stop_rule::max_duration).
    duration,
    /// The means were known precisely enough (stop_rule::ci_relative_half_width).
    confidence,
    /// The cap on measured requests was reached before the confidence rule held.
    max_requests,
    /// The run was stopped (Ctrl-C): requests in flight ended cancelled.
    cancelled,
    /// The cell could not run (prompt calibration failed); set by a sweep, never by drive().
    /// The message is kept beside it (sweep::cell_result::stop_error).
    error,
};

/// Every stop reason, in declaration order.
inline constexpr std::array<stop_reason, 6> all_stop_reasons{
    stop_reason::request_count, stop_reason::duration,  stop_reason::confidence,
    stop_reason::max_requests,  stop_reason::cancelled, stop_reason::error};

/// The stable name of a stop reason, as written in results files ("request_count", "error").
[[nodiscard]] constexpr std::string_view to_string(stop_reason r) noexcept {
    switch (r) {
    case stop_reason::request_count:
        return "request_count";
    case stop_reason::duration:
        return "duration";
    case stop_reason::confidence:
        return "confidence";
    case stop_reason::max_requests:
        return "max_requests";
    case stop_reason::cancelled:
        return "cancelled";
    case stop_reason::error:
        return "error";
    }
    return "request_count";
}

/// Reads a name written by to_string into `out`; false (and `out` unchanged) for any other text.
[[nodiscard]] constexpr bool from_string(std::string_view name, stop_reason& out) noexcept {
    for (stop_reason r : all_stop_reasons)
        if (to_string(r) == name) {
            out = r;
            return true;
        }
    return false;
}

} // namespace llmcap::workload
