#pragma once

// The CSV record reader of report/cells_input.hpp.

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::report::detail {

/**
 * Reads CSV records (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks)
 * one at a time. Fields are views into the text, or into a buffer reused from record to
 * record for fields that had quotes to remove; they stay valid until the next call. Blank
 * lines are skipped; a record's trailing CR is dropped.
 */
class csv_records {
public:
    /// Reads `text`, whose first line is line 1.
    explicit csv_records(std::string_view text) noexcept : text_(text) {}

    /// Reads the next record into `fields`; false at the end or on an error (then `error()`
    /// says what). `line()` is then the line the record starts on.
    bool next(std::vector<std::string_view>& fields) {
        fields.clear();
        spans_.clear();
        scratch_.clear();
        while (at_ < text_.size() &&
               (text_[at_] == '\n' ||
                (text_[at_] == '\r' && (at_ + 1 == text_.size() || text_[at_ + 1] == '\n')))) {
            if (text_[at_] == '\n')
                ++next_line_;
            ++at_;
        }
        if (at_ >= text_.size())
            return false;
        line_ = next_line_;
        for (;;) {
            const std::size_t start = at_;
            std::size_t i = at_;
            bool quoted = false;
            bool has_quote = false;
            for (; i < text_.size(); ++i) {
                const char c = text_[i];
                if (c == '"') {
                    has_quote = true;
                    quoted = !quoted;
                } else if (c == '\n') {
                    if (!quoted)
                        break;
                    ++next_line_;
                } else if (c == ',' && !quoted) {
                    break;
                }
            }
            if (quoted) {
                error_ = "a quoted field is not closed";
                at_ = text_.size();
                return false;
            }
            const bool last = i >= text_.size() || text_[i] == '\n';
            std::size_t end = i;
            if (last && end > start && text_[end - 1] == '\r')
                --end;
            if (!has_quote) {
                spans_.push_back({false, start, end - start});
            } else {
                const std::size_t from = scratch_.size();
                bool in_quotes = false;
                for (std::size_t k = start; k < end; ++k) {
                    const char c = text_[k];
                    if (c != '"') {
                        scratch_ += c;
                    } else if (in_quotes && k + 1 < end && text_[k + 1] == '"') {
                        scratch_ += '"';
                        ++k;
                    } else {
                        in_quotes = !in_quotes;
                    }
                }
                spans_.push_back({true, from, scratch_.size() - from});
            }
            at_ = i < text_.size() ? i + 1 : i;
            if (last) {
                if (i < text_.size())
                    ++next_line_;
                break;
            }
        }
        for (const span& s : spans_)
            fields.push_back(s.in_scratch ? std::string_view(scratch_).substr(s.offset, s.length)
                                          : text_.substr(s.offset, s.length));
        return true;
    }

    /// The line the last record read starts on (1-based).
    [[nodiscard]] std::size_t line() const noexcept {
        return line_;
    }
    /// Why the last next() failed; empty at a plain end.
    [[nodiscard]] const std::string& error() const noexcept {
        return error_;
    }

private:
    struct span {
        bool in_scratch;
        std::size_t offset;
        std::size_t length;
    };

    std::string_view text_;
    std::size_t at_ = 0;
    std::size_t line_ = 1;
    std::size_t next_line_ = 1;
    std::vector<span> spans_;
    std::string scratch_;
    std::string error_;
};

} // namespace llmcap::report::detail
