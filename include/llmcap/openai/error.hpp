#pragma once

#include <string>       // string
#include <system_error> // error_code, error_category, is_error_code_enum

namespace llmcap::openai {

/// Errors decoding the OpenAI-compatible payloads of a stream.
enum class error {
    /// The payload is not valid JSON (syntax, truncation, invalid UTF-8, NUL).
    invalid_json = 1,
    /// The JSON is valid but not of the expected shape (a chunk that is not an object,
    /// `choices` that is not an array, a `delta` that is not an object, ...).
    unexpected_shape,
    /// A `usage` or `timings` number is negative, fractional where a count is expected, or
    /// not a number.
    invalid_usage,
};

namespace detail {

class error_category final : public std::error_category {
public:
    const char* name() const noexcept override {
        return "llmcap.openai";
    }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::invalid_json:
            return "invalid JSON";
        case error::unexpected_shape:
            return "JSON of an unexpected shape";
        case error::invalid_usage:
            return "invalid usage figures";
        }
        return "unknown openai error";
    }
};

} // namespace detail

/// The category of llmcap::openai::error codes.
[[nodiscard]] inline const std::error_category& error_category() noexcept {
    static const detail::error_category category;
    return category;
}

/// Makes a std::error_code from an llmcap::openai::error.
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace llmcap::openai

template <>
struct std::is_error_code_enum<llmcap::openai::error> : std::true_type {};
