#pragma once

#include <llmcap/core/clock.hpp>

#include <algorithm> // fill
#include <chrono>    // microseconds
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t
#include <vector>    // vector

namespace llmcap::emulator::detail {

/// Exact distribution of delays at 1 µs resolution up to 100 ms (longer ones counted in the
/// last bucket). Memory: 800 KB. Not thread-safe.
class server_lag_recorder {
public:
    server_lag_recorder() : counts_(buckets, 0) {}

    /// Records one delay (negative ones count as zero).
    void record(duration d) noexcept {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
        const std::size_t i = us <= 0 ? 0
                              : static_cast<std::size_t>(us) >= buckets
                                  ? buckets - 1
                                  : static_cast<std::size_t>(us);
        ++counts_[i];
        ++count_;
        if (d > max_)
            max_ = d;
    }

    /// Delays recorded.
    [[nodiscard]] std::uint64_t count() const noexcept {
        return count_;
    }

    /// Largest delay recorded.
    [[nodiscard]] duration max() const noexcept {
        return max_;
    }

    /// The q-quantile (0 ≤ q ≤ 1), rounded up to the microsecond; zero when empty. O(buckets).
    [[nodiscard]] duration quantile(double q) const noexcept {
        if (count_ == 0)
            return {};
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets; ++i) {
            seen += counts_[i];
            if (seen >= rank)
                return std::chrono::microseconds(static_cast<std::int64_t>(i) + 1);
        }
        return max_;
    }

    /// Forgets every delay recorded.
    void reset() noexcept {
        std::fill(counts_.begin(), counts_.end(), 0);
        count_ = 0;
        max_ = {};
    }

private:
    static constexpr std::size_t buckets = 100001;
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    duration max_{};
};

} // namespace llmcap::emulator::detail
