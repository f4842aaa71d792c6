#pragma once

#include <string>       // string
#include <system_error> // error_code, error_category, is_error_code_enum

namespace llmcap::prometheus {

/// Errors of the text exposition parser and of the values derived from a scrape.
enum class error {
    /// The input holds nothing but blank lines.
    empty_input = 1,
    /// The input is larger than the parser's 2 GiB limit.
    input_too_large,
    /// A sample line or a HELP/TYPE line does not start with a valid metric name.
    invalid_metric_name,
    /// A label set holds something that is not a valid label name.
    invalid_label_name,
    /// A label name is not followed by `=`.
    expected_equals,
    /// A label's `=` is not followed by a double-quoted value.
    expected_quote,
    /// A label value's closing quote is missing before the end of the line.
    unterminated_label_value,
    /// A backslash in a label value or HELP text is followed by something other than `\`, `"`
    /// or `n`.
    invalid_escape,
    /// A label value is followed by something other than `,` or `}`.
    expected_label_separator,
    /// The same label name appears twice in one label set.
    duplicate_label,
    /// A sample line ends before its value.
    missing_value,
    /// A sample value is not a number, `+Inf`, `-Inf` or `NaN`.
    invalid_value,
    /// The token after a sample value is not an integer timestamp in milliseconds.
    invalid_timestamp,
    /// A sample line goes on after its timestamp with something that is not an exemplar.
    unexpected_text,
    /// A TYPE line names a type other than counter, gauge, histogram, summary, untyped.
    invalid_type,
    /// A second TYPE line for a metric family.
    duplicate_type,
    /// A second HELP line for a metric family.
    duplicate_help,
    /// The metric (with the requested labels) is not in the scrape.
    metric_not_found,
    /// A histogram `_bucket` sample has no `le` label, or its value is not a number.
    invalid_bucket_bound,
    /// A histogram has no `le="+Inf"` bucket.
    missing_inf_bucket,
    /// Cumulative bucket counts decrease as the bound grows.
    non_monotonic_buckets,
    /// Two histograms (series of one scrape, or the two scrapes of a delta) have different
    /// bucket bounds.
    bucket_layout_mismatch,
    /// A counter or histogram is lower after than before: the server restarted or the counter
    /// was reset, so the delta is unknown.
    counter_reset,
};

namespace detail {

class error_category final : public std::error_category {
public:
    const char* name() const noexcept override {
        return "llmcap.prometheus";
    }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::empty_input:
            return "empty input";
        case error::input_too_large:
            return "input larger than 2 GiB";
        case error::invalid_metric_name:
            return "expected a metric name";
        case error::invalid_label_name:
            return "expected a label name";
        case error::expected_equals:
            return "expected '=' after label name";
        case error::expected_quote:
            return "expected '\"' to open the label value";
        case error::unterminated_label_value:
            return "unterminated label value";
        case error::invalid_escape:
            return "invalid escape sequence";
        case error::expected_label_separator:
            return "expected ',' or '}' after label value";
        case error::duplicate_label:
            return "duplicate label name";
        case error::missing_value:
            return "missing sample value";
        case error::invalid_value:
            return "invalid sample value";
        case error::invalid_timestamp:
            return "invalid timestamp";
        case error::unexpected_text:
            return "unexpected text after the sample";
        case error::invalid_type:
            return "unknown metric type";
        case error::duplicate_type:
            return "second TYPE line for metric";
        case error::duplicate_help:
            return "second HELP line for metric";
        case error::metric_not_found:
            return "metric not found";
        case error::invalid_bucket_bound:
            return "histogram bucket without a valid 'le' label";
        case error::missing_inf_bucket:
            return "histogram has no +Inf bucket";
        case error::non_monotonic_buckets:
            return "histogram bucket counts decrease";
        case error::bucket_layout_mismatch:
            return "histogram bucket bounds differ";
        case error::counter_reset:
            return "counter decreased (server restarted or reset)";
        }
        return "unknown prometheus error";
    }
};

} // namespace detail

/// The category of llmcap::prometheus::error codes.
[[nodiscard]] inline const std::error_category& error_category() noexcept {
    static const detail::error_category category;
    return category;
}

/// Makes a std::error_code from an llmcap::prometheus::error.
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace llmcap::prometheus

template <>
struct std::is_error_code_enum<llmcap::prometheus::error> : std::true_type {};
