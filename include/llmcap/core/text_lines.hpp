#pragma once

#include <cstddef>     // size_t
#include <string_view> // string_view

namespace llmcap {

/**
 * The lines of a text, one at a time, for readers of line-based files (JSON Lines, CSV): each
 * line without its '\n' (a '\r' before it is kept; trim it where CRLF is accepted), the last
 * line counted whether or not a '\n' ends it, and nothing after a final '\n'. Lines are
 * numbered from 1. Views into the text, which must outlive the cursor.
 */
class line_cursor {
public:
    /// A cursor at the first line of `text`.
    explicit line_cursor(std::string_view text) noexcept : text_(text) {}

    /// Sets `line` to the next line; false (and `line` unchanged) at the end.
    bool next(std::string_view& line) noexcept {
        if (pos_ >= text_.size())
            return false;
        std::size_t end = text_.find('\n', pos_);
        if (end == std::string_view::npos)
            end = text_.size();
        line = text_.substr(pos_, end - pos_);
        pos_ = end + 1;
        ++number_;
        return true;
    }

    /// The number of the line next() gave last, from 1 (0 before the first).
    [[nodiscard]] std::size_t number() const noexcept {
        return number_;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t number_ = 0;
};

} // namespace llmcap
