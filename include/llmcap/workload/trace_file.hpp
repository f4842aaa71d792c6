#pragma once

#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/core/text_lines.hpp>
#include <llmcap/workload/skip_counts.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <charconv>     // from_chars
#include <cmath>        // isfinite
#include <cstddef>      // size_t
#include <cstdint>      // uint32_t, uint64_t
#include <fstream>      // ifstream
#include <iterator>     // istreambuf_iterator
#include <optional>     // optional
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // errc
#include <utility>      // move
#include <vector>       // vector

namespace llmcap::workload {

/// The format of a production trace file (docs/sweep-tool.md, Trace replay).
enum class trace_format {
    /// Mooncake JSON Lines: `timestamp` (ms since the first request), `input_length`,
    /// `output_length`, optional `hash_ids` (one per block of mooncake_block_tokens prompt
    /// tokens; equal leading ids mean an identical prefix).
    mooncake,
    /// Azure LLM inference trace CSV: `TIMESTAMP` ("2023-11-16 18:15:46.6805900", UTC),
    /// `ContextTokens`, `GeneratedTokens`.
    azure,
    /// BurstGPT CSV: `Timestamp` (seconds), `Request tokens`, `Response tokens` (other columns,
    /// such as `Model` and `Log Type`, are read past).
    burstgpt,
};

/// The format's name on the command line: "mooncake", "azure", "burstgpt".
[[nodiscard]] constexpr std::string_view trace_format_name(trace_format f) noexcept {
    switch (f) {
    case trace_format::mooncake:
        return "mooncake";
    case trace_format::azure:
        return "azure";
    case trace_format::burstgpt:
        return "burstgpt";
    }
    return "?";
}

/// The format named `name`; empty for an unknown name.
[[nodiscard]] inline std::optional<trace_format> trace_format_from_name(std::string_view name) {
    for (trace_format f : {trace_format::mooncake, trace_format::azure, trace_format::burstgpt})
        if (trace_format_name(f) == name)
            return f;
    return std::nullopt;
}

/// Prompt tokens per Mooncake hash id.
inline constexpr std::uint32_t mooncake_block_tokens = 512;

/// One request of a trace.
struct trace_entry {
    /// When it arrived, seconds after the trace's first request.
    double at_s = 0.0;
    /// Prompt tokens.
    std::uint32_t input_tokens = 0;
    /// Output tokens.
    std::uint32_t output_tokens = 0;
    /// Mooncake: one id per block of mooncake_block_tokens prompt tokens (the last block may be
    /// partial); requests whose leading ids are equal share those blocks. Empty otherwise.
    std::vector<std::uint64_t> hash_ids;
    /// The line of the file it came from, from 1.
    std::size_t line = 0;

    friend bool operator==(const trace_entry&, const trace_entry&) = default;
};

/// A trace read: its requests in time order, those skipped by reason, or an error.
struct trace_read {
    /// The requests kept.
    std::vector<trace_entry> entries;
    /// Requests left out, by reason ("zero length", "longer than the model's context (8192
    /// tokens)").
    skip_counts skipped;
    /// Empty on success; else where and what: "trace: line 4, column 1 (Timestamp): 12.5 is
    /// earlier than line 3's 13 (a trace must be in time order)".
    std::string error;

    /// True when the input was read without error.
    [[nodiscard]] bool ok() const noexcept {
        return error.empty();
    }
};

namespace detail {

/// Splits a CSV line at commas; a field in double quotes may hold commas and `""`. False for
/// an unterminated quote.
inline bool split_csv(std::string_view line, std::vector<std::string>& out) {
    out.clear();
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"' && field.empty()) {
            quoted = true;
        } else if (c == ',') {
            out.push_back(std::move(field));
            field.clear();
        } else {
            field += c;
        }
    }
    out.push_back(std::move(field));
    return !quoted;
}

/// `s` without leading and trailing spaces and tabs.
[[nodiscard]] inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// A finite number in `s`, all of it.
[[nodiscard]] inline std::optional<double> read_number(std::string_view s) {
    s = trim(s);
    double x = 0.0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(x))
        return std::nullopt;
    return x;
}

/// A token count in `s`: a whole number from 0 to 4294967295.
[[nodiscard]] inline std::optional<std::uint32_t> read_tokens(std::string_view s) {
    const std::optional<double> x = read_number(s);
    if (!x || *x < 0.0 || *x > 4294967295.0 ||
        *x != static_cast<double>(static_cast<std::uint64_t>(*x)))
        return std::nullopt;
    return static_cast<std::uint32_t>(*x);
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// Seconds since 1970 of "YYYY-MM-DD HH:MM:SS[.fraction]" (or with a `T`), or of a plain
/// number of seconds.
[[nodiscard]] inline std::optional<double> read_datetime(std::string_view s) {
    s = trim(s);
    if (const std::optional<double> x = read_number(s))
        return x;
    if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') ||
        s[13] != ':' || s[16] != ':')
        return std::nullopt;
    const auto part = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
        unsigned v = 0;
        const auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
        if (ec != std::errc() || end != s.data() + at + n)
            return std::nullopt;
        return v;
    };
    const auto y = part(0, 4), mo = part(5, 2), d = part(8, 2), h = part(11, 2), mi = part(14, 2),
               se = part(17, 2);
    if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 ||
        *h > 23 || *mi > 59 || *se > 60)
        return std::nullopt;
    double fraction = 0.0;
    std::string_view rest = s.substr(19);
    if (!rest.empty() && rest.back() == 'Z')
        rest.remove_suffix(1);
    if (!rest.empty()) {
        if (rest.front() != '.' || rest.size() < 2)
            return std::nullopt;
        double scale = 0.1;
        for (char c : rest.substr(1)) {
            if (c < '0' || c > '9')
                return std::nullopt;
            fraction += (c - '0') * scale;
            scale /= 10.0;
        }
    }
    return static_cast<double>(days_from_civil(*y, *mo, *d)) * 86400.0 + *h * 3600.0 + *mi * 60.0 +
           *se + fraction;
}

/// Applies the checks every format shares to one request: a time not before the previous
/// one's, lengths above zero and within the context. Returns an error or "".
inline std::string admit(trace_read& out, trace_entry e, double raw_time, double& previous,
                         std::size_t& previous_line, const std::string& where_time,
                         std::uint64_t max_context_tokens) {
    if (raw_time < 0.0)
        return where_time + ": " + std::to_string(raw_time) + " is negative";
    if (previous_line > 0 && raw_time < previous)
        return where_time + ": " + std::to_string(raw_time) + " is earlier than line " +
               std::to_string(previous_line) + "'s " + std::to_string(previous) +
               " (a trace must be in time order)";
    previous = raw_time;
    previous_line = e.line;
    if (e.input_tokens == 0 || e.output_tokens == 0) {
        ++out.skipped["zero length"];
        return {};
    }
    if (max_context_tokens > 0 &&
        std::uint64_t{e.input_tokens} + e.output_tokens > max_context_tokens) {
        ++out.skipped[too_long_reason(max_context_tokens)];
        return {};
    }
    out.entries.push_back(std::move(e));
    return {};
}

inline void read_mooncake(std::string_view content, std::uint64_t max_context, trace_read& out) {
    std::size_t previous_line = 0;
    double previous = 0.0;
    line_cursor lines(content);
    std::string_view line;
    while (out.ok() && lines.next(line)) {
        const std::size_t line_no = lines.number();
        if (line.find_first_not_of(" \t\r") == std::string_view::npos)
            continue;
        const std::string subject = "trace: line " + std::to_string(line_no);
        const json_result<boost::json::value> v = parse_json(line, subject);
        if (!v) {
            out.error = v.error().message();
            return;
        }
        json_reader in(subject);
        const boost::json::object* o = in.object(*v, "$");
        double timestamp = 0.0;
        trace_entry e;
        e.line = line_no;
        if (o != nullptr) {
            in.field(*o, "timestamp", "$", timestamp);
            in.field(*o, "input_length", "$", e.input_tokens);
            in.field(*o, "output_length", "$", e.output_tokens);
            in.optional_field(*o, "hash_ids", "$", e.hash_ids);
            if (in.ok() && !std::isfinite(timestamp))
                in.fail("$.timestamp", "expected a number of milliseconds");
            const std::uint64_t blocks =
                (std::uint64_t{e.input_tokens} + mooncake_block_tokens - 1) / mooncake_block_tokens;
            if (in.ok() && !e.hash_ids.empty() && e.hash_ids.size() != blocks)
                in.fail("$.hash_ids", std::to_string(e.hash_ids.size()) + " blocks for " +
                                          std::to_string(e.input_tokens) + " input tokens (" +
                                          std::to_string(mooncake_block_tokens) +
                                          " tokens a block: expected " + std::to_string(blocks) +
                                          ")");
        }
        if (!in.ok()) {
            out.error = in.result(true).error().message();
            return;
        }
        e.at_s = timestamp / 1000.0;
        out.error = admit(out, std::move(e), timestamp, previous, previous_line,
                          subject + ": $.timestamp", max_context);
    }
}

/// The columns a CSV format needs: time, input, output.
struct csv_columns {
    std::string_view time;
    std::string_view input;
    std::string_view output;
};

inline void read_csv(std::string_view content, trace_format f, std::uint64_t max_context,
                     trace_read& out) {
    const csv_columns want = f == trace_format::azure
                                 ? csv_columns{"TIMESTAMP", "ContextTokens", "GeneratedTokens"}
                                 : csv_columns{"Timestamp", "Request tokens", "Response tokens"};
    if (content.substr(0, 3) == "\xEF\xBB\xBF")
        content.remove_prefix(3); // a byte-order mark
    std::size_t previous_line = 0;
    double previous = 0.0;
    std::vector<std::string> header, fields;
    std::size_t at[3] = {0, 0, 0}; // each column's position, from 1
    bool have_header = false;
    line_cursor lines(content);
    std::string_view line;
    while (out.ok() && lines.next(line)) {
        const std::size_t line_no = lines.number();
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (trim(line).empty())
            continue;
        const std::string where = "trace: line " + std::to_string(line_no);
        if (!split_csv(line, have_header ? fields : header)) {
            out.error = where + ": a quoted field is not closed";
            return;
        }
        if (!have_header) { // the first line names the columns
            have_header = true;
            std::string names;
            for (const std::string& h : header)
                names += (names.empty() ? "" : ", ") + std::string(trim(h));
            const std::string_view need[3] = {want.time, want.input, want.output};
            for (std::size_t k = 0; k < 3; ++k) {
                std::size_t i = 0;
                while (i < header.size() && trim(header[i]) != need[k])
                    ++i;
                if (i == header.size()) {
                    out.error = where + ": no column \"" + std::string(need[k]) + "\" (a " +
                                std::string(trace_format_name(f)) + " trace needs " +
                                std::string(want.time) + ", " + std::string(want.input) + " and " +
                                std::string(want.output) + "; the header has " + names + ")";
                    return;
                }
                at[k] = i + 1;
            }
            continue;
        }
        if (fields.size() != header.size()) {
            out.error = where + ": " + std::to_string(fields.size()) + " fields, the header has " +
                        std::to_string(header.size());
            return;
        }
        const auto column = [&](std::size_t k) {
            return where + ", column " + std::to_string(at[k]) + " (" +
                   std::string(trim(header[at[k] - 1])) + ")";
        };
        const std::string& time_text = fields[at[0] - 1];
        const std::optional<double> t =
            f == trace_format::azure ? read_datetime(time_text) : read_number(time_text);
        if (!t) {
            out.error = column(0) + ": \"" + std::string(trim(time_text)) + "\" is not " +
                        (f == trace_format::azure ? "a time (YYYY-MM-DD HH:MM:SS.fraction)"
                                                  : "a number of seconds");
            return;
        }
        trace_entry e;
        e.line = line_no;
        for (std::size_t k = 1; k < 3; ++k) {
            const std::optional<std::uint32_t> n = read_tokens(fields[at[k] - 1]);
            if (!n) {
                out.error = column(k) + ": \"" + std::string(trim(fields[at[k] - 1])) +
                            "\" is not a token count";
                return;
            }
            (k == 1 ? e.input_tokens : e.output_tokens) = *n;
        }
        e.at_s = *t;
        out.error = admit(out, std::move(e), *t, previous, previous_line, column(0), max_context);
    }
    if (out.ok() && !have_header)
        out.error = "trace: no header line";
}

} // namespace detail

/**
 * Reads a trace in `format`. Requests must be in time order (equal times allowed); their times
 * are made relative to the first request kept. A request with a zero length, or longer than
 * `max_context_tokens` (prompt + output; 0: no limit), is skipped and counted. Errors name the
 * line and the column or field: a time that is negative, not a number or earlier than the line
 * before; a missing column; a length that is not a token count; Mooncake hash ids whose number
 * does not match the prompt length (one per mooncake_block_tokens); malformed JSON or CSV.
 * A trace with no request left is an error that says what was skipped.
 */
[[nodiscard]] inline trace_read parse_trace(std::string_view content, trace_format format,
                                            std::uint64_t max_context_tokens = 0) {
    trace_read r;
    if (format == trace_format::mooncake)
        detail::read_mooncake(content, max_context_tokens, r);
    else
        detail::read_csv(content, format, max_context_tokens, r);
    if (r.ok() && r.entries.empty())
        r.error = "trace: no request" + describe_skips(r.skipped);
    if (!r.ok()) {
        r.entries.clear();
        r.skipped.clear();
        return r;
    }
    const double origin = r.entries.front().at_s;
    for (trace_entry& e : r.entries)
        e.at_s -= origin;
    return r;
}

/// Reads a trace file; the error names the file when it cannot be read.
[[nodiscard]] inline trace_read load_trace(const std::string& path, trace_format format,
                                           std::uint64_t max_context_tokens = 0) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        trace_read r;
        r.error = "trace: cannot read " + path;
        return r;
    }
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    return parse_trace(content, format, max_context_tokens);
}

} // namespace llmcap::workload
