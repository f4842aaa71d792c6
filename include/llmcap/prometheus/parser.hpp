#pragma once

#include <llmcap/prometheus/error.hpp>
#include <llmcap/prometheus/scrape.hpp>

#include <array>        // array
#include <charconv>     // from_chars
#include <cstddef>      // size_t
#include <cstdint>      // uint32_t, int64_t
#include <cstring>      // memchr
#include <limits>       // numeric_limits
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // error_code, errc

namespace llmcap::prometheus {

/**
 * The outcome of parse(): empty (false) on success; otherwise the error, where it was found
 * (byte offset, 1-based line and column) and the offending text when there is one.
 *
 * ```cpp
 * if (prometheus::parse_error err = prometheus::parse(body, page))
 *     std::cerr << err.message() << '\n'; // prometheus: line 12, column 5: expected '=' ...
 * ```
 */
class parse_error {
public:
    /// The error; empty on success.
    std::error_code code;
    /// Byte offset of the error in the input.
    std::size_t offset = 0;
    /// 1-based line of the error; 0 on success.
    std::size_t line = 0;
    /// 1-based column (in bytes) of the error; 0 on success.
    std::size_t column = 0;
    /// The offending text (a value, a type keyword, a metric name), when there is one.
    std::string detail;

    /// True when parsing failed.
    explicit operator bool() const noexcept {
        return static_cast<bool>(code);
    }

    /// "prometheus: line L, column C: what" plus " 'detail'" when there is a detail; empty on
    /// success. Built on each call.
    [[nodiscard]] std::string message() const {
        if (!code)
            return {};
        std::string m = "prometheus: ";
        if (line != 0) {
            m += "line ";
            m += std::to_string(line);
            m += ", column ";
            m += std::to_string(column);
            m += ": ";
        }
        m += code.message();
        if (!detail.empty()) {
            m += " '";
            m += detail;
            m += '\'';
        }
        return m;
    }
};

namespace detail {

// Character classes of names, one table lookup per byte (branchy range tests cost a
// misprediction per name on real pages).
inline constexpr unsigned char name_start_bit = 1;
inline constexpr unsigned char name_char_bit = 2;
inline constexpr unsigned char label_start_bit = 4;
inline constexpr unsigned char label_char_bit = 8;

[[nodiscard]] constexpr std::array<unsigned char, 256> make_char_classes() noexcept {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 256; ++c) {
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        unsigned char v = 0;
        if (alpha || c == ':')
            v |= name_start_bit | name_char_bit;
        if (digit)
            v |= name_char_bit | label_char_bit;
        if (alpha)
            v |= label_start_bit | label_char_bit;
        t[static_cast<std::size_t>(c)] = v;
    }
    return t;
}

inline constexpr std::array<unsigned char, 256> char_classes = make_char_classes();

[[nodiscard]] constexpr bool has_class(char c, unsigned char bit) noexcept {
    return (char_classes[static_cast<unsigned char>(c)] & bit) != 0;
}
[[nodiscard]] constexpr bool is_name_start(char c) noexcept {
    return has_class(c, name_start_bit);
}
[[nodiscard]] constexpr bool is_name_char(char c) noexcept {
    return has_class(c, name_char_bit);
}
[[nodiscard]] constexpr bool is_label_start(char c) noexcept {
    return has_class(c, label_start_bit);
}
[[nodiscard]] constexpr bool is_label_char(char c) noexcept {
    return has_class(c, label_char_bit);
}
[[nodiscard]] constexpr bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t';
}

/// Parses a sample value: a decimal or exponent number, optionally signed, or Inf/NaN in any
/// case with an optional sign (as Go's strconv.ParseFloat, which Prometheus uses).
[[nodiscard]] inline bool parse_sample_value(std::string_view t, double& out) noexcept {
    if (t.empty())
        return false;
    bool negative = false;
    if (t.front() == '+' || t.front() == '-') {
        negative = t.front() == '-';
        t.remove_prefix(1);
        if (t.empty() || t.front() == '+' || t.front() == '-')
            return false;
    }
    // Fast path, exact: an integer of up to 15 digits, optionally followed by ".0..." (counts
    // and bucket values as prometheus_client writes them).
    {
        std::size_t i = 0;
        std::uint64_t whole = 0;
        while (i < t.size() && i < 15 && t[i] >= '0' && t[i] <= '9')
            whole = whole * 10 + static_cast<std::uint64_t>(t[i++] - '0');
        if (i > 0 && i < 16) {
            std::size_t j = i;
            if (j < t.size() && t[j] == '.') {
                ++j;
                while (j < t.size() && t[j] == '0')
                    ++j;
            }
            if (j == t.size() && (i == t.size() || j > i + 1)) {
                const double w = static_cast<double>(whole);
                out = negative ? -w : w;
                return true;
            }
        }
    }
    double v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc{} && ec != std::errc::result_out_of_range)
        return false;
    if (end != t.data() + t.size())
        return false;
    if (ec == std::errc::result_out_of_range) {
        // from_chars leaves v unchanged on overflow or underflow; decide by the exponent sign.
        const std::size_t e = t.find_first_of("eE");
        const bool tiny = e != std::string_view::npos && e + 1 < t.size() && t[e + 1] == '-';
        v = tiny ? 0.0 : std::numeric_limits<double>::infinity();
    }
    out = negative ? -v : v;
    return true;
}

class line_parser {
public:
    explicit line_parser(scrape_storage& s) noexcept : s_(s) {}

    parse_error run(std::string_view input) {
        parse_error err;
        if (input.size() >= unescaped_flag) {
            err.code = error::input_too_large;
            return err;
        }
        s_.text.assign(input.data(), input.size());
        const char* const base = s_.text.data();
        const std::size_t n = s_.text.size();
        bool any = false;
        std::size_t pos = 0;
        while (pos < n) {
            const void* nl = std::memchr(base + pos, '\n', n - pos);
            const std::size_t line_end =
                nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - base) : n;
            std::size_t content_end = line_end;
            if (content_end > pos && base[content_end - 1] == '\r')
                --content_end;
            p_ = pos;
            end_ = content_end;
            skip_blanks();
            if (p_ < end_) {
                any = true;
                const bool ok = base[p_] == '#' ? comment_line() : sample_line();
                if (!ok) {
                    locate(err);
                    return err;
                }
            }
            pos = line_end + 1;
        }
        if (!any) {
            code_ = error::empty_input;
            p_ = 0;
            locate(err);
            err.line = 0;
            err.column = 0;
        }
        return err;
    }

private:
    scrape_storage& s_;
    std::size_t p_ = 0;
    std::size_t end_ = 0;
    std::error_code code_;
    text_span detail_{};
    bool has_detail_ = false;
    // The family the last TYPE/HELP line or sample opened; samples join it while their
    // names match.
    std::uint32_t current_family_ = std::numeric_limits<std::uint32_t>::max();
    // The name of the last sample parsed (always in the text, never unescaped).
    text_span prev_name_{};

    [[nodiscard]] char at(std::size_t i) const noexcept {
        return s_.text[i];
    }
    void skip_blanks() noexcept {
        std::size_t i = p_;
        const char* const text = s_.text.data();
        while (i < end_ && is_blank(text[i]))
            ++i;
        p_ = i;
    }
    bool fail(error e, std::size_t where) noexcept {
        code_ = e;
        p_ = where;
        return false;
    }
    bool fail(error e, std::size_t where, std::size_t detail_begin, std::size_t detail_end) {
        detail_ = {static_cast<std::uint32_t>(detail_begin),
                   static_cast<std::uint32_t>(detail_end - detail_begin)};
        has_detail_ = true;
        return fail(e, where);
    }
    void locate(parse_error& err) const {
        err.code = code_;
        err.offset = p_;
        std::size_t line = 1;
        std::size_t line_start = 0;
        for (std::size_t i = 0; i < p_ && i < s_.text.size(); ++i) {
            if (s_.text[i] == '\n') {
                ++line;
                line_start = i + 1;
            }
        }
        err.line = line;
        err.column = p_ - line_start + 1;
        if (has_detail_)
            err.detail.assign(s_.str(detail_));
    }
    [[nodiscard]] text_span token(std::size_t b, std::size_t e) const noexcept {
        return {static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e - b)};
    }
    [[nodiscard]] std::size_t scan_name() const noexcept {
        std::size_t i = p_;
        const char* const text = s_.text.data();
        if (i < end_ && is_name_start(text[i])) {
            ++i;
            while (i < end_ && is_name_char(text[i]))
                ++i;
        }
        return i;
    }
    [[nodiscard]] std::uint32_t find_family(std::string_view name) const noexcept {
        const auto count = static_cast<std::uint32_t>(s_.families.size());
        // HELP and TYPE of one family are adjacent: try the latest first.
        for (std::uint32_t k = count; k-- > 0;)
            if (s_.families[k].has_help || s_.families[k].has_type)
                if (s_.str(s_.families[k].name) == name)
                    return k;
        return std::numeric_limits<std::uint32_t>::max();
    }

    // Resolves escapes into the unescaped buffer when there are any; `allow_quote` is true for
    // label values (`\"` is an escape there, not in HELP text).
    bool unescape(std::size_t b, std::size_t e, bool allow_quote, text_span& out) {
        bool any = false;
        for (std::size_t i = b; i < e; ++i) {
            if (at(i) == '\\') {
                any = true;
                break;
            }
        }
        if (!any) {
            out = token(b, e);
            return true;
        }
        const std::size_t start = s_.unescaped.size();
        for (std::size_t i = b; i < e; ++i) {
            const char c = at(i);
            if (c != '\\') {
                s_.unescaped.push_back(c);
                continue;
            }
            const char next = i + 1 < e ? at(i + 1) : '\0';
            if (next == '\\')
                s_.unescaped.push_back('\\');
            else if (next == 'n')
                s_.unescaped.push_back('\n');
            else if (next == '"' && allow_quote)
                s_.unescaped.push_back('"');
            else if (allow_quote)
                return fail(error::invalid_escape, i, i, i + 1 < e ? i + 2 : i + 1);
            else {
                // HELP text keeps unknown escapes as written (Prometheus does the same).
                s_.unescaped.push_back('\\');
                continue;
            }
            ++i;
        }
        out = {static_cast<std::uint32_t>(start) | unescaped_flag,
               static_cast<std::uint32_t>(s_.unescaped.size() - start)};
        return true;
    }

    bool comment_line() {
        ++p_; // '#'
        skip_blanks();
        const std::size_t kw = p_;
        while (p_ < end_ && !is_blank(at(p_)))
            ++p_;
        const std::string_view word(s_.text.data() + kw, p_ - kw);
        const bool help = word == "HELP";
        if (!help && word != "TYPE")
            return true; // an ordinary comment
        skip_blanks();
        const std::size_t name_begin = p_;
        const std::size_t name_end = scan_name();
        if (name_end == name_begin || (name_end < end_ && !is_blank(at(name_end))))
            return fail(error::invalid_metric_name, name_begin);
        p_ = name_end;
        const std::string_view name(s_.text.data() + name_begin, name_end - name_begin);
        std::uint32_t f = find_family(name);
        if (f != std::numeric_limits<std::uint32_t>::max()) {
            if (help && s_.families[f].has_help)
                return fail(error::duplicate_help, kw, name_begin, name_end);
            if (!help && s_.families[f].has_type)
                return fail(error::duplicate_type, kw, name_begin, name_end);
        } else {
            f = static_cast<std::uint32_t>(s_.families.size());
            family_record rec;
            rec.name = token(name_begin, name_end);
            rec.first_sample = static_cast<std::uint32_t>(s_.samples.size());
            s_.families.push_back(rec);
        }
        family_record& fam = s_.families[f];
        skip_blanks();
        if (help) {
            std::size_t e = end_;
            if (!unescape(p_, e, false, fam.help))
                return false;
            fam.has_help = true;
        } else {
            std::size_t e = end_;
            while (e > p_ && is_blank(at(e - 1)))
                --e;
            const std::string_view t(s_.text.data() + p_, e - p_);
            if (t == "counter")
                fam.type = metric_type::counter;
            else if (t == "gauge")
                fam.type = metric_type::gauge;
            else if (t == "histogram")
                fam.type = metric_type::histogram;
            else if (t == "summary")
                fam.type = metric_type::summary;
            else if (t == "untyped" || t == "unknown")
                fam.type = metric_type::untyped;
            else
                return fail(error::invalid_type, p_, p_, e);
            fam.has_type = true;
        }
        current_family_ = f;
        return true;
    }

    [[nodiscard]] bool belongs(const family_record& fam, std::string_view name) const noexcept {
        const std::string_view fn = s_.str(fam.name);
        if (name.size() < fn.size() || name.substr(0, fn.size()) != fn)
            return false;
        const std::string_view suffix = name.substr(fn.size());
        if (suffix.empty())
            return true;
        switch (fam.type) {
        case metric_type::histogram:
            return suffix == "_bucket" || suffix == "_sum" || suffix == "_count" ||
                   suffix == "_created";
        case metric_type::summary:
            return suffix == "_sum" || suffix == "_count" || suffix == "_created";
        case metric_type::counter:
            return suffix == "_total" || suffix == "_created";
        default:
            return false;
        }
    }

    // `rec` is already the last element of s_.samples.
    void assign_family(sample_record& rec, std::string_view name) {
        const auto index = static_cast<std::uint32_t>(s_.samples.size() - 1);
        if (current_family_ < s_.families.size()) {
            family_record& fam = s_.families[current_family_];
            if (belongs(fam, name) && fam.first_sample + fam.sample_count == index) {
                rec.family = current_family_;
                ++fam.sample_count;
                return;
            }
        }
        family_record fam;
        fam.name = rec.name;
        fam.first_sample = index;
        fam.sample_count = 1;
        current_family_ = static_cast<std::uint32_t>(s_.families.size());
        s_.families.push_back(fam);
        rec.family = current_family_;
    }

    bool labels(sample_record& rec) {
        ++p_; // '{'
        rec.first_label = static_cast<std::uint32_t>(s_.labels.size());
        while (true) {
            skip_blanks();
            if (p_ < end_ && at(p_) == '}') {
                ++p_;
                return true;
            }
            const std::size_t nb = p_;
            if (p_ >= end_ || !is_label_start(at(p_)))
                return fail(error::invalid_label_name, p_);
            {
                std::size_t i = p_ + 1;
                const char* const text = s_.text.data();
                while (i < end_ && is_label_char(text[i]))
                    ++i;
                p_ = i;
            }
            const text_span name = token(nb, p_);
            text_span value;
            // Label names always lie in the text itself: compare there directly.
            const std::string_view lname(s_.text.data() + nb, p_ - nb);
            for (std::size_t k = rec.first_label; k < s_.labels.size(); ++k) {
                const text_span other = s_.labels[k].name;
                if (other.size == lname.size() &&
                    std::string_view(s_.text.data() + other.offset, other.size) == lname)
                    return fail(error::duplicate_label, nb, nb, p_);
            }
            skip_blanks();
            if (p_ >= end_ || at(p_) != '=')
                return fail(error::expected_equals, p_);
            ++p_;
            skip_blanks();
            if (p_ >= end_ || at(p_) != '"')
                return fail(error::expected_quote, p_);
            const std::size_t open = p_;
            ++p_;
            const std::size_t vb = p_;
            // Fast path: no backslash before the closing quote (one pass; values are short).
            const char* const text = s_.text.data();
            std::size_t i = vb;
            while (i < end_ && text[i] != '"' && text[i] != '\\')
                ++i;
            if (i < end_ && text[i] == '"') {
                p_ = i;
                value = token(vb, i);
            } else {
                while (i < end_ && text[i] != '"')
                    i += text[i] == '\\' && i + 1 < end_ ? 2 : 1;
                if (i >= end_)
                    return fail(error::unterminated_label_value, open);
                p_ = i;
                if (!unescape(vb, i, true, value))
                    return false;
            }
            ++p_; // closing quote
            s_.labels.push_back(label_record{name, value});
            ++rec.label_count;
            skip_blanks();
            if (p_ < end_ && at(p_) == ',') {
                ++p_;
                continue;
            }
            if (p_ < end_ && at(p_) == '}') {
                ++p_;
                return true;
            }
            return fail(error::expected_label_separator, p_);
        }
    }

    bool sample_line() {
        const std::size_t nb = p_;
        std::size_t ne = nb;
        // Consecutive samples often share a name (a histogram's buckets): compare with the
        // previous name at memcmp speed before scanning byte by byte.
        const text_span prev = prev_name_;
        const char* const text = s_.text.data();
        if (prev.size > 0 && nb + prev.size <= end_ &&
            std::memcmp(text + nb, text + prev.offset, prev.size) == 0 &&
            (nb + prev.size == end_ || !is_name_char(text[nb + prev.size])))
            ne = nb + prev.size;
        else
            ne = scan_name();
        if (ne == nb)
            return fail(error::invalid_metric_name, nb);
        p_ = ne;
        if (p_ < end_ && !is_blank(at(p_)) && at(p_) != '{')
            return fail(error::invalid_metric_name, nb, nb, p_ + 1);
        // The record is filled in place (a record built on the stack and copied in costs a
        // store-forwarding stall per sample); it is removed again on error.
        sample_record& rec = s_.samples.emplace_back();
        rec.name = token(nb, ne);
        if (!sample_rest(rec, nb, ne)) {
            s_.samples.pop_back();
            return false;
        }
        return true;
    }

    bool sample_rest(sample_record& rec, std::size_t nb, std::size_t ne) {
        skip_blanks();
        if (p_ < end_ && at(p_) == '{') {
            if (!labels(rec))
                return false;
            skip_blanks();
        }
        if (p_ >= end_)
            return fail(error::missing_value, p_);
        const std::size_t vb = p_;
        {
            std::size_t i = p_;
            const char* const text = s_.text.data();
            while (i < end_ && !is_blank(text[i]))
                ++i;
            p_ = i;
        }
        if (!parse_sample_value(std::string_view(s_.text.data() + vb, p_ - vb), rec.value))
            return fail(error::invalid_value, vb, vb, p_);
        skip_blanks();
        if (p_ < end_ && at(p_) != '#') {
            const std::size_t tb = p_;
            while (p_ < end_ && !is_blank(at(p_)))
                ++p_;
            std::int64_t ts = 0;
            const auto [e, ec] = std::from_chars(s_.text.data() + tb, s_.text.data() + p_, ts);
            if (ec != std::errc{} || e != s_.text.data() + p_)
                return fail(error::invalid_timestamp, tb, tb, p_);
            rec.timestamp_ms = ts;
            rec.has_timestamp = true;
            skip_blanks();
        }
        // An exemplar (`# {trace_id="..."} 1.0`) may follow; it is ignored.
        if (p_ < end_ && at(p_) != '#')
            return fail(error::unexpected_text, p_);
        assign_family(rec, std::string_view(s_.text.data() + nb, ne - nb));
        prev_name_ = rec.name;
        return true;
    }
};

} // namespace detail

/**
 * Parses a page of the Prometheus text exposition format (version 0.0.4) into `out`,
 * replacing what it held and reusing its storage.
 *
 * Accepts `# HELP` and `# TYPE` lines (counter, gauge, histogram, summary, untyped), other
 * comments, blank lines, LF or CRLF line ends, a last line without a line end, label values
 * with `\\`, `\"` and `\n` escapes, values as numbers or `+Inf`, `-Inf`, `NaN`, an optional
 * integer timestamp in milliseconds, and exemplars (` # {...} value`), which are ignored.
 * Samples are grouped into families: a histogram's `_bucket`, `_sum` and `_count` samples and a
 * summary's samples join the family their TYPE line names.
 *
 * On error `out` holds the samples before the bad line, and the result says what and where.
 * Cost: one pass over the input, one copy of it; no allocation once `out` has grown to the
 * size of the pages it is given.
 */
[[nodiscard]] inline parse_error parse(std::string_view text, scrape& out) {
    out.clear();
    detail::line_parser p(out.s_);
    return p.run(text);
}

} // namespace llmcap::prometheus
