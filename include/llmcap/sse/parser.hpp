#pragma once

#include <llmcap/sse/error.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint64_t
#include <cstring>      // memchr
#include <optional>     // optional
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // error_code

namespace llmcap::sse {

/// Limits of a parser.
struct parser_options {
    /// Largest event accepted, counting every byte of its lines (field names, values, line
    /// ends). Past it, put() fails with error::event_too_large. Default 16 MiB.
    std::size_t max_event_bytes = std::size_t{16} * 1024 * 1024;
};

/// One dispatched event. The views stay valid until the next call to put(), finish() or
/// reset() on the parser that produced it.
struct event {
    /// The `event:` field, or "message" when the event had none.
    std::string_view type = "message";
    /// The `data:` lines joined with '\n' (possibly empty: "data:" alone gives "").
    std::string_view data;
    /// The last event ID seen on the stream so far (`id:` fields persist across events).
    std::string_view id;
};

/**
 * Incremental `text/event-stream` parser following the WHATWG rules: `data:` lines joined with
 * '\n', `event:`, `id:` (ignored when it holds NUL) and `retry:` (digits only) fields, `:`
 * comment lines ignored, unknown fields ignored, one optional space after the colon removed,
 * CR, LF and CRLF line ends (also split across reads), a UTF-8 BOM at the start skipped, and an
 * event dispatched at a blank line only if it had a `data:` field.
 *
 * Bytes may arrive in any split: one byte at a time, several events per read. In steady state
 * the parser allocates nothing: an event whose data is one line inside the current input is
 * returned as a view into that input; otherwise it is assembled in a reused buffer.
 *
 * Not thread-safe; one parser per stream (reset() to reuse it for the next stream).
 */
class parser {
public:
    /// A parser with the given limits.
    explicit parser(parser_options options = {}) : options_(options) {}

    /**
     * Feeds bytes; returns how many were consumed.
     *
     * When an event completes, `out` receives it, `ec` is cleared and the return value counts
     * the bytes up to the end of that event: call put() again with the rest. When no event
     * completes, every byte is consumed (kept internally as needed) and `ec` is
     * error::need_more. Any other error is final: the parser keeps returning it, and
     * error_offset() gives its byte offset in the whole stream.
     */
    std::size_t put(std::string_view bytes, event& out, std::error_code& ec);

    /// Signals the end of the stream. Sets error::unterminated_event if part of an event (a
    /// line without its end, or fields without the blank line that dispatches them) was
    /// pending; otherwise clears `ec`.
    void finish(std::error_code& ec);

    /// Forgets all state, keeping allocated buffers, to parse a new stream.
    void reset() noexcept;

    /// Bytes consumed so far on this stream.
    [[nodiscard]] std::uint64_t offset() const noexcept {
        return offset_;
    }

    /// Byte offset in the stream at which the final error occurred.
    [[nodiscard]] std::uint64_t error_offset() const noexcept {
        return error_offset_;
    }

    /// The last valid `retry:` value, in milliseconds, if any.
    [[nodiscard]] std::optional<std::uint64_t> retry_ms() const noexcept {
        return retry_ms_;
    }

    /// A message for an error this parser returned, naming where it happened:
    /// "sse: event larger than 16777216 bytes at byte 1048712". Built only on request.
    [[nodiscard]] std::string describe(std::error_code ec) const;

private:
    bool fail(error e, std::uint64_t at, std::error_code& ec) {
        failed_ = e;
        error_offset_ = at;
        ec = e;
        return false;
    }
    // Handles one complete line; true when it dispatched an event into `out`.
    bool line(std::string_view text, bool in_input, event& out);
    void keep_pending_data();

    parser_options options_;
    std::string line_;           // a line split across reads
    std::string data_;           // the data buffer when it cannot be a view into the input
    std::string type_;           // the event type buffer
    std::string id_;             // the last event ID buffer (persists across events)
    std::string_view data_view_; // the data buffer as a view into the current input
    std::optional<std::uint64_t> retry_ms_;
    std::uint64_t offset_ = 0;
    std::uint64_t error_offset_ = 0;
    std::size_t event_bytes_ = 0;
    std::optional<error> failed_;
    unsigned char bom_matched_ = 0;
    bool bom_done_ = false;
    bool skip_lf_ = false;
    bool has_data_ = false;
    bool data_in_view_ = false;
    bool clear_on_put_ = false;
};

// --- definitions -----------------------------------------------------------------------------

inline void parser::reset() noexcept {
    line_.clear();
    data_.clear();
    type_.clear();
    id_.clear();
    data_view_ = {};
    retry_ms_.reset();
    offset_ = 0;
    error_offset_ = 0;
    event_bytes_ = 0;
    failed_.reset();
    bom_matched_ = 0;
    bom_done_ = false;
    skip_lf_ = false;
    has_data_ = false;
    data_in_view_ = false;
    clear_on_put_ = false;
}

inline void parser::keep_pending_data() {
    if (data_in_view_) {
        data_.assign(data_view_);
        data_in_view_ = false;
    }
}

inline bool parser::line(std::string_view text, bool in_input, event& out) {
    if (text.empty()) {
        event_bytes_ = 0;
        if (!has_data_) {
            type_.clear();
            return false;
        }
        out.type = type_.empty() ? std::string_view("message") : std::string_view(type_);
        out.data = data_in_view_ ? data_view_ : std::string_view(data_);
        out.id = id_;
        has_data_ = false;
        data_in_view_ = false;
        clear_on_put_ = true; // data_ and type_ back the views until the next call
        return true;
    }
    if (text.front() == ':')
        return false; // comment
    std::string_view field = text;
    std::string_view value;
    if (const std::size_t colon = text.find(':'); colon != std::string_view::npos) {
        field = text.substr(0, colon);
        value = text.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
    }
    if (field == "data") {
        if (!has_data_) {
            has_data_ = true;
            if (in_input) {
                data_view_ = value;
                data_in_view_ = true;
            } else {
                data_.assign(value);
            }
        } else {
            keep_pending_data();
            data_.push_back('\n');
            data_.append(value);
        }
    } else if (field == "event") {
        type_.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos)
            id_.assign(value);
    } else if (field == "retry") {
        if (!value.empty() && value.size() <= 18 &&
            value.find_first_not_of("0123456789") == std::string_view::npos) {
            std::uint64_t ms = 0;
            for (char c : value)
                ms = ms * 10 + static_cast<std::uint64_t>(c - '0');
            retry_ms_ = ms;
        }
    }
    return false;
}

inline std::size_t parser::put(std::string_view bytes, event& out, std::error_code& ec) {
    if (failed_) {
        ec = *failed_;
        return 0;
    }
    if (clear_on_put_) {
        data_.clear();
        type_.clear();
        clear_on_put_ = false;
    }
    const char* const begin = bytes.data();
    const std::size_t n = bytes.size();
    std::size_t i = 0;

    if (!bom_done_) {
        static constexpr unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
        while (i < n && bom_matched_ < 3) {
            if (static_cast<unsigned char>(begin[i]) != bom[bom_matched_]) {
                // Not a BOM after all: the bytes taken for one start the first line.
                line_.append(reinterpret_cast<const char*>(bom), bom_matched_);
                bom_matched_ = 3;
                break;
            }
            ++bom_matched_;
            ++i;
        }
        if (bom_matched_ == 3)
            bom_done_ = true;
    }

    const char* cr =
        i < n ? static_cast<const char*>(std::memchr(begin + i, '\r', n - i)) : nullptr;
    while (i < n) {
        if (skip_lf_) {
            skip_lf_ = false;
            if (begin[i] == '\n') {
                ++i;
                continue;
            }
        }
        const char* p = begin + i;
        const std::size_t rem = n - i;
        if (cr && cr < p)
            cr = static_cast<const char*>(std::memchr(p, '\r', rem));
        const char* end = static_cast<const char*>(std::memchr(p, '\n', rem));
        if (cr && (!end || cr < end))
            end = cr;
        if (!end) {
            if (event_bytes_ + line_.size() + rem > options_.max_event_bytes) {
                fail(error::event_too_large, offset_ + n, ec);
                offset_ += n;
                return n;
            }
            line_.append(p, rem);
            i = n;
            break;
        }
        const std::size_t len = static_cast<std::size_t>(end - p);
        event_bytes_ += line_.size() + len + 1;
        if (event_bytes_ > options_.max_event_bytes) {
            fail(error::event_too_large, offset_ + i + len, ec);
            offset_ += i + len;
            return i + len;
        }
        const bool in_input = line_.empty();
        std::string_view text(p, len);
        if (!in_input) {
            line_.append(p, len);
            text = line_;
        }
        i += len + 1;
        if (*end == '\r') {
            if (i < n) {
                if (begin[i] == '\n')
                    ++i;
            } else {
                skip_lf_ = true;
            }
        }
        const bool dispatched = line(text, in_input, out);
        line_.clear();
        if (dispatched) {
            offset_ += i;
            ec = {};
            return i;
        }
    }
    keep_pending_data();
    offset_ += n;
    ec = error::need_more;
    return n;
}

inline void parser::finish(std::error_code& ec) {
    if (failed_) {
        ec = *failed_;
        return;
    }
    if (!line_.empty() || has_data_) {
        fail(error::unterminated_event, offset_, ec);
        return;
    }
    ec = {};
}

inline std::string parser::describe(std::error_code ec) const {
    if (ec == error::event_too_large)
        return "sse: event larger than " + std::to_string(options_.max_event_bytes) +
               " bytes at byte " + std::to_string(error_offset_);
    if (ec == error::unterminated_event)
        return "sse: stream ended in the middle of an event at byte " +
               std::to_string(error_offset_);
    return "sse: " + ec.message();
}

} // namespace llmcap::sse
