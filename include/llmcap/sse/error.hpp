#pragma once

#include <string>       // string
#include <system_error> // error_code, error_category, is_error_code_enum

namespace llmcap::sse {

/// Errors of the `text/event-stream` parser.
enum class error {
    /// Not an error: every byte was consumed and no complete event is ready; feed more.
    need_more = 1,
    /// An event (or a single line) grew past `parser_options::max_event_bytes`.
    event_too_large,
    /// The stream ended in the middle of an event (no blank line after its last field).
    unterminated_event,
};

namespace detail {

class error_category final : public std::error_category {
public:
    const char* name() const noexcept override {
        return "llmcap.sse";
    }
    std::string message(int ev) const override {
        switch (static_cast<error>(ev)) {
        case error::need_more:
            return "need more input";
        case error::event_too_large:
            return "event larger than the configured limit";
        case error::unterminated_event:
            return "stream ended in the middle of an event";
        }
        return "unknown sse error";
    }
};

} // namespace detail

/// The category of llmcap::sse::error codes.
[[nodiscard]] inline const std::error_category& error_category() noexcept {
    static const detail::error_category category;
    return category;
}

/// Makes a std::error_code from an llmcap::sse::error.
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace llmcap::sse

template <>
struct std::is_error_code_enum<llmcap::sse::error> : std::true_type {};
