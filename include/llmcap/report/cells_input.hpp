#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <charconv>     // from_chars
#include <cstdint>      // uint32_t, uint64_t
#include <filesystem>   // path
#include <fstream>      // ifstream
#include <iterator>     // istreambuf_iterator
#include <limits>       // numeric_limits
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // error_code, errc
#include <vector>       // vector

/**
 * Per-cell statistics from other tools, for capacity analysis of numbers llmcap did not
 * measure. Two formats:
 *
 * - JSON: an array of cells, or an object with a `cells` array (llmcap's `results.json` and
 *   `cells.jsonl` lines qualify: a cell's statistics may sit under `summary`). A cell is
 *   `{"context_tokens": 32768, "output_tokens": 1024, "concurrency": 4,
 *     "metrics": {"ttft_s": {"mean": 3.1, "p95": 4.0}, "generation_speed_tokens_per_s": 61.5}}`;
 *   a bare number stands for the mean.
 * - CSV: a header row naming `context_tokens`, `concurrency`, optionally `output_tokens`, and
 *   statistic columns `<metric>_<statistic>` (`ttft_s_mean`, `e2e_s_p99`) or `<metric>` alone
 *   for the mean. llmcap's `cells.csv` qualifies. Empty fields are "not measured".
 *
 * Metric names are those of analysis::metric_name (`ttft_s`, `e2e_s`,
 * `generation_speed_tokens_per_s`, `throughput_tokens_per_s`, ...); statistics those of
 * analysis::statistic_name (`mean`, `p50`, `p90`, `p95`, `p99`, `p99_9`, `min`, `max`).
 */
namespace llmcap::report {

/// Cells read from a file, or why they could not be.
struct cells_input {
    /// The cells, in file order.
    std::vector<analysis::cell_summary> cells;
    /// Empty on success; else what was wrong and where ("cells.csv: line 3: concurrency: ...").
    std::string error;

    /// True when reading succeeded.
    [[nodiscard]] bool ok() const noexcept {
        return error.empty();
    }
};

namespace detail {

[[nodiscard]] inline std::optional<double> json_number(const boost::json::value& v) {
    if (v.is_double())
        return v.get_double();
    if (v.is_int64())
        return static_cast<double>(v.get_int64());
    if (v.is_uint64())
        return static_cast<double>(v.get_uint64());
    if (v.is_null())
        return std::numeric_limits<double>::quiet_NaN();
    return std::nullopt;
}

[[nodiscard]] inline bool json_count(const boost::json::object& o, std::string_view key,
                                     std::uint32_t& out, bool required, const std::string& path,
                                     std::string& error) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr) {
        if (required)
            error = path + "." + std::string(key) + ": missing";
        return !required;
    }
    const std::optional<double> d = json_number(*v);
    if (!d || !(*d >= 0.0) || *d > 4294967295.0 ||
        *d != static_cast<double>(static_cast<std::uint64_t>(*d))) {
        error = path + "." + std::string(key) + ": expected a non-negative integer";
        return false;
    }
    out = static_cast<std::uint32_t>(*d);
    return true;
}

/// Splits `<metric>_<statistic>` (or a bare metric name, meaning the mean).
[[nodiscard]] inline std::optional<std::pair<analysis::metric, analysis::statistic>>
split_column(std::string_view column) {
    if (const auto m = analysis::metric_from_name(column))
        return std::pair{*m, analysis::statistic::mean};
    for (analysis::statistic s : analysis::all_statistics) {
        const std::string suffix = "_" + std::string(analysis::statistic_name(s));
        if (column.size() > suffix.size() && column.ends_with(suffix))
            if (const auto m =
                    analysis::metric_from_name(column.substr(0, column.size() - suffix.size())))
                return std::pair{*m, s};
    }
    return std::nullopt;
}

[[nodiscard]] inline std::vector<std::string> split_csv_line(std::string_view line) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                fields.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                fields.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else if (c != '\r') {
            fields.back() += c;
        }
    }
    return fields;
}

} // namespace detail

/// Reads cells from JSON text (see the namespace comment). `name` prefixes error messages.
[[nodiscard]] inline cells_input parse_cells_json(std::string_view text,
                                                  const std::string& name = "cells") {
    cells_input out;
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(text, ec);
    if (ec) {
        out.error = name + ": not valid JSON: " + ec.message();
        return out;
    }
    const boost::json::array* cells = doc.if_array();
    std::string base = "$";
    if (cells == nullptr)
        if (const boost::json::object* o = doc.if_object())
            if (const boost::json::value* c = o->if_contains("cells")) {
                cells = c->if_array();
                base = "$.cells";
            }
    if (cells == nullptr) {
        out.error = name + ": expected an array of cells or an object with a \"cells\" array";
        return out;
    }
    for (std::size_t i = 0; i < cells->size(); ++i) {
        const std::string path = base + "[" + std::to_string(i) + "]";
        const boost::json::object* o = (*cells)[i].if_object();
        if (o != nullptr)
            if (const boost::json::value* s = o->if_contains("summary"); s && s->is_object())
                o = &s->get_object();
        if (o == nullptr) {
            out.error = name + ": " + path + ": expected an object";
            return out;
        }
        analysis::cell_summary c;
        std::string error;
        if (!detail::json_count(*o, "context_tokens", c.context_tokens, true, path, error) ||
            !detail::json_count(*o, "output_tokens", c.output_tokens, false, path, error) ||
            !detail::json_count(*o, "concurrency", c.concurrency, true, path, error)) {
            out.error = name + ": " + error;
            return out;
        }
        if (c.concurrency == 0) {
            out.error = name + ": " + path + ".concurrency: must be at least 1";
            return out;
        }
        const boost::json::value* mv = o->if_contains("metrics");
        const boost::json::object* metrics = mv ? mv->if_object() : nullptr;
        if (metrics == nullptr) {
            out.error = name + ": " + path + ".metrics: missing or not an object";
            return out;
        }
        for (const auto& kv : *metrics) {
            const std::string mpath = path + ".metrics." + std::string(kv.key());
            const auto m = analysis::metric_from_name(kv.key());
            if (!m) {
                out.error = name + ": " + mpath +
                            ": unknown metric (expected a name such as "
                            "ttft_s or generation_speed_tokens_per_s)";
                return out;
            }
            if (const std::optional<double> d = detail::json_number(kv.value())) {
                c.set(*m, analysis::statistic::mean, *d);
                continue;
            }
            const boost::json::object* so = kv.value().if_object();
            if (so == nullptr) {
                out.error = name + ": " + mpath + ": expected a number or an object of statistics";
                return out;
            }
            analysis::metric_statistics& st = c.metrics[*m];
            for (const auto& sv : *so) {
                if (sv.key() == "count") {
                    if (const auto n = detail::json_number(sv.value()); n && *n >= 0.0)
                        st.count = static_cast<std::uint64_t>(*n);
                    continue;
                }
                if (sv.key() == "stddev") {
                    if (const auto n = detail::json_number(sv.value()))
                        st.stddev = *n;
                    continue;
                }
                if (sv.key() == "mean_ci95") {
                    const boost::json::array* a = sv.value().if_array();
                    if (a && a->size() == 2) {
                        const auto lo = detail::json_number((*a)[0]);
                        const auto hi = detail::json_number((*a)[1]);
                        if (lo && hi && *lo == *lo && *hi == *hi)
                            st.mean_ci95 = analysis::confidence_interval{*lo, *hi};
                    }
                    continue;
                }
                const auto s = analysis::statistic_from_name(sv.key());
                const auto v = detail::json_number(sv.value());
                if (!s || !v) {
                    out.error = name + ": " + mpath + "." + std::string(sv.key()) +
                                (!s ? ": unknown statistic (expected mean, p50, p90, p95, p99, "
                                      "p99_9, min, max, count, stddev or mean_ci95)"
                                    : ": expected a number or null");
                    return out;
                }
                st.set(*s, *v);
            }
        }
        out.cells.push_back(std::move(c));
    }
    if (out.cells.empty())
        out.error = name + ": no cells";
    return out;
}

/// Reads cells from CSV text (see the namespace comment). `name` prefixes error messages.
[[nodiscard]] inline cells_input parse_cells_csv(std::string_view text,
                                                 const std::string& name = "cells") {
    cells_input out;
    std::vector<std::string_view> lines;
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(at, end - at);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (!line.empty())
            lines.push_back(line);
        at = end + 1;
    }
    if (lines.empty()) {
        out.error = name + ": empty file";
        return out;
    }
    const std::vector<std::string> header = detail::split_csv_line(lines.front());
    std::optional<std::size_t> ctx_col, out_col, conc_col;
    std::vector<std::pair<std::size_t, std::pair<analysis::metric, analysis::statistic>>> stat_cols;
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == "context_tokens")
            ctx_col = i;
        else if (header[i] == "output_tokens")
            out_col = i;
        else if (header[i] == "concurrency")
            conc_col = i;
        else if (const auto ms = detail::split_column(header[i]))
            stat_cols.emplace_back(i, *ms);
    }
    if (!ctx_col || !conc_col) {
        out.error = name + ": line 1: the header must name context_tokens and concurrency";
        return out;
    }
    if (stat_cols.empty()) {
        out.error = name + ": line 1: no statistic column (expected names such as ttft_s_mean, "
                           "e2e_s_p99 or generation_speed_tokens_per_s)";
        return out;
    }
    for (std::size_t l = 1; l < lines.size(); ++l) {
        const std::vector<std::string> f = detail::split_csv_line(lines[l]);
        const std::string where = name + ": line " + std::to_string(l + 1) + ": ";
        if (f.size() != header.size()) {
            out.error = where + std::to_string(f.size()) + " fields, the header has " +
                        std::to_string(header.size());
            return out;
        }
        analysis::cell_summary c;
        const auto count = [&](std::size_t col, std::uint32_t& v) {
            const std::string& s = f[col];
            const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
            if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) {
                out.error =
                    where + header[col] + ": expected a non-negative integer, got \"" + s + "\"";
                return false;
            }
            return true;
        };
        if (!count(*ctx_col, c.context_tokens) || !count(*conc_col, c.concurrency))
            return out;
        if (out_col && !f[*out_col].empty() && !count(*out_col, c.output_tokens))
            return out;
        if (c.concurrency == 0) {
            out.error = where + "concurrency: must be at least 1";
            return out;
        }
        for (const auto& [col, ms] : stat_cols) {
            const std::string& s = f[col];
            if (s.empty())
                continue;
            double v = 0.0;
            const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
            if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) {
                out.error = where + header[col] + ": expected a number, got \"" + s + "\"";
                return out;
            }
            c.set(ms.first, ms.second, v);
        }
        out.cells.push_back(std::move(c));
    }
    if (out.cells.empty())
        out.error = name + ": no cells";
    return out;
}

/// Reads cells from a file: JSON when its first non-blank character is '[' or '{', else CSV.
[[nodiscard]] inline cells_input read_cells_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {{}, path.string() + ": cannot open"};
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (text[first] == '[' || text[first] == '{'))
        return parse_cells_json(text, path.string());
    return parse_cells_csv(text, path.string());
}

} // namespace llmcap::report
