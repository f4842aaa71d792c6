#pragma once

#include <string>       // string
#include <system_error> // error_code, error_category, is_error_code_enum

namespace llmcap::stats {

/// Why serialized statistics (stats/json.hpp) were rejected. Each error comes with the path of
/// the offending field (see json_error).
enum class error {
    /// A field has the wrong JSON type (e.g. a string where a count belongs).
    wrong_type = 1,
    /// A required field is absent.
    missing_field,
    /// "kind" names a different type than the one requested.
    wrong_kind,
    /// "version" is not one this library reads.
    unsupported_version,
    /// A number is malformed, not finite, or outside its domain (e.g. a negative sample).
    invalid_value,
    /// A count is negative.
    negative_count,
    /// A bucket index lies outside the sketch's layout or window.
    index_out_of_range,
    /// Bucket runs are not in increasing index order or overlap.
    unordered_buckets,
    /// The counts do not add up (total versus buckets and tallies), or overflow 64 bits.
    count_mismatch,
    /// min, max or the flags contradict the bucket contents.
    inconsistent_state,
    /// The configuration is rejected by the sketch's constructor.
    invalid_config,
    /// The layout fields disagree with the configuration, or the configuration differs from the
    /// one the caller expected to merge with.
    config_mismatch,
};

namespace detail {

class error_category final : public std::error_category {
public:
    const char* name() const noexcept override {
        return "llmcap.stats";
    }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::wrong_type:
            return "wrong JSON type";
        case error::missing_field:
            return "missing field";
        case error::wrong_kind:
            return "wrong kind";
        case error::unsupported_version:
            return "unsupported version";
        case error::invalid_value:
            return "invalid value";
        case error::negative_count:
            return "negative count";
        case error::index_out_of_range:
            return "bucket index out of range";
        case error::unordered_buckets:
            return "bucket runs out of order or overlapping";
        case error::count_mismatch:
            return "counts do not add up";
        case error::inconsistent_state:
            return "state contradicts the bucket counts";
        case error::invalid_config:
            return "invalid configuration";
        case error::config_mismatch:
            return "configuration mismatch";
        }
        return "unknown llmcap.stats error";
    }
};

} // namespace detail

/// The category of llmcap::stats::error codes.
[[nodiscard]] inline const std::error_category& error_category() noexcept {
    static const detail::error_category category;
    return category;
}

/// Makes a std::error_code from an llmcap::stats::error.
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace llmcap::stats

template <>
struct std::is_error_code_enum<llmcap::stats::error> : std::true_type {};
