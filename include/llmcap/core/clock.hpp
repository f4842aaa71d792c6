#pragma once

#include <chrono>  // steady_clock, duration_cast, hours
#include <cstdint> // int64_t

namespace llmcap {

/// The one clock every timestamp in llmcap comes from: monotonic, never adjusted.
using trace_clock = std::chrono::steady_clock;
/// A moment on trace_clock.
using time_point = trace_clock::time_point;
/// A span of trace_clock time (nanoseconds on every supported platform).
using duration = trace_clock::duration;

/// Stamps an event: the current trace_clock time. Take it once per completed read and give
/// every event decoded from that read the same stamp.
[[nodiscard]] inline time_point stamp() noexcept {
    return trace_clock::now();
}

/// Where virtual time starts (the emulator's virtual clock): one hour after the clock's epoch,
/// so no virtual time is mistaken for a default-constructed time_point.
[[nodiscard]] constexpr time_point virtual_epoch() noexcept {
    return time_point{} + std::chrono::hours(1);
}

/// A duration in seconds as a double, for reporting.
[[nodiscard]] constexpr double to_seconds(duration d) noexcept {
    return std::chrono::duration<double>(d).count();
}

/// A duration in milliseconds as a double, for reporting.
[[nodiscard]] constexpr double to_milliseconds(duration d) noexcept {
    return std::chrono::duration<double, std::milli>(d).count();
}

/// A duration in whole nanoseconds, for persistence.
[[nodiscard]] constexpr std::int64_t to_nanoseconds(duration d) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

/// A duration from seconds given as a double (rounded to the clock's tick).
[[nodiscard]] constexpr duration from_seconds(double s) noexcept {
    return std::chrono::duration_cast<duration>(std::chrono::duration<double>(s));
}

} // namespace llmcap
