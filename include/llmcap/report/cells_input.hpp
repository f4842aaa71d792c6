#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/use_case.hpp>

#include <llmcap/core/file_io.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/report/detail/csv_records.hpp>
#include <llmcap/report/detail/input_text.hpp>

#include <boost/json/error.hpp>
#include <boost/json/value.hpp>

#include <algorithm>    // count, sort, unique, min
#include <charconv>     // from_chars
#include <cmath>        // isfinite, isnan
#include <cstddef>      // size_t
#include <cstdint>      // uint32_t, uint64_t
#include <filesystem>   // path
#include <limits>       // numeric_limits
#include <optional>     // optional
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // errc
#include <tuple>        // tie
#include <utility>      // pair, move
#include <vector>       // vector

/**
 * Per-cell statistics from other tools, for capacity analysis of numbers llmcap did not
 * measure. Formats:
 *
 * - JSON: an array of cells, or an object with a `cells` array (llmcap's `results.json`
 *   qualifies: a cell's statistics may sit under `summary`). A cell is
 *   `{"context_tokens": 32768, "output_tokens": 1024, "concurrency": 4,
 *     "metrics": {"ttft_s": {"mean": 3.1, "p95": 4.0}, "generation_speed_tokens_per_s": 61.5}}`;
 *   a bare number stands for the mean, null for "not measured".
 * - JSON Lines: one cell object per line (llmcap's `cells.jsonl` qualifies).
 * - CSV: a header row naming `context_tokens`, `concurrency`, optionally `output_tokens` and
 *   `use_case`, and statistic columns `<metric>_<statistic>` (`ttft_s_mean`, `e2e_s_p99`) or
 *   `<metric>` alone for the mean. llmcap's `cells.csv` qualifies. Empty fields are "not
 *   measured"; other columns are ignored.
 *
 * A UTF-8 byte order mark at the start is skipped. Every statistic must be a finite number
 * ≥ 0 (every metric is a time, a speed, a throughput or a count). A cell is identified by its
 * use case label (empty for a grid cell or a file without labels), context tokens, output
 * tokens and concurrency: a file that holds one cell twice is refused, naming both places.
 *
 * Errors name the file, the line (CSV, JSON Lines) or JSONPath (JSON) and the column or
 * field: "cells.csv: line 7: ttft_s_mean: expected a finite number >= 0, got \"-0.2\"". Text
 * quoted from the file has control characters escaped (`\x00`) and is cut after 80 bytes.
 *
 * Metric names are those of analysis::metric_name (`ttft_s`, `e2e_s`,
 * `generation_speed_tokens_per_s`, `throughput_tokens_per_s`, ...); statistics those of
 * analysis::statistic_name (`mean`, `p50`, `p90`, `p95`, `p99`, `p99_9`, `min`, `max`).
 *
 * Reading is O(n log n) in the number of cells and holds the file's text once (read with one
 * allocation) beside the cells it yields.
 */
namespace llmcap::report {

/// Cells read from a file, or why they could not be.
struct cells_input {
    /// The cells, in file order.
    std::vector<analysis::cell_summary> cells;
    /// Per cell (same index as `cells`): the use case whose capacity search measured it (a
    /// CSV `use_case` column; `use_case` or `key.use_case` of a JSON cell). Empty for a grid
    /// cell and for files that do not say.
    std::vector<std::string> use_cases;
    /// Empty on success; else what was wrong and where ("cells.csv: line 3: concurrency: ...").
    std::string error;

    /// True when reading succeeded.
    [[nodiscard]] bool ok() const noexcept {
        return error.empty();
    }

    /// The cells of `uc`, one per concurrency level, by increasing concurrency: those labelled
    /// `uc` preferred over grid cells, grid cells over other use cases' (analysis::cells_for).
    /// O(n log n).
    [[nodiscard]] std::vector<analysis::cell_summary>
    cells_for(const analysis::use_case& uc) const {
        return analysis::cells_for(uc, cells, use_cases);
    }

    /// The distinct context lengths of the cells, increasing. O(n log n).
    [[nodiscard]] std::vector<std::uint32_t> context_lengths() const {
        std::vector<std::uint32_t> out;
        out.reserve(cells.size());
        for (const analysis::cell_summary& c : cells)
            out.push_back(c.context_tokens);
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }
};

namespace detail {

/// A statistic's value: finite and ≥ 0 (every metric is a time, speed, throughput or count).
[[nodiscard]] constexpr bool valid_statistic(double v) noexcept {
    return v >= 0.0 && v <= std::numeric_limits<double>::max();
}

/// What a statistic must be, for messages.
inline constexpr std::string_view statistic_expected = "expected a finite number >= 0";

/// A JSON number as a double; NaN for null (not measured); empty for anything else.
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

/// Reads a non-negative 32-bit integer member; false with `error` set when it is malformed,
/// or missing and `required`. `path()` gives the object's JSONPath, for a message.
template <class Path>
[[nodiscard]] bool json_count(const boost::json::object& o, std::string_view key,
                              std::uint32_t& out, bool required, const Path& path,
                              std::string& error) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr) {
        if (required)
            error = path() + "." + std::string(key) + ": missing";
        return !required;
    }
    const std::optional<double> d = v->is_null() ? std::nullopt : json_number(*v);
    if (!d || !(*d >= 0.0) || *d > 4294967295.0 ||
        *d != static_cast<double>(static_cast<std::uint64_t>(*d))) {
        error = path() + "." + std::string(key) + ": expected a non-negative integer, got " +
                json_text(*v);
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
        const std::string_view name = analysis::statistic_name(s);
        if (column.size() > name.size() + 1 && column.ends_with(name) &&
            column[column.size() - name.size() - 1] == '_')
            if (const auto m =
                    analysis::metric_from_name(column.substr(0, column.size() - name.size() - 1)))
                return std::pair{*m, s};
    }
    return std::nullopt;
}

/**
 * Finds the first cell (in file order) whose key — use case label, context tokens, output
 * tokens, concurrency — repeats an earlier cell's; empty when every cell is distinct.
 * `where(i)` names cell i's place ("line 7", "$.cells[3]"). O(n log n).
 */
template <class Where>
[[nodiscard]] std::string find_repeated_cell(const cells_input& in, Where where) {
    const std::vector<analysis::cell_summary>& cells = in.cells;
    struct entry {
        std::uint32_t context_tokens;
        std::uint32_t output_tokens;
        std::uint32_t concurrency;
        std::size_t index;
    };
    std::vector<entry> order;
    order.reserve(cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i)
        order.push_back({cells[i].context_tokens, cells[i].output_tokens, cells[i].concurrency, i});
    // -1, 0, 1 as the key of a is before, equal to or after that of b.
    const auto compare = [&](const entry& a, const entry& b) {
        const auto x = std::tie(a.context_tokens, a.output_tokens, a.concurrency);
        const auto y = std::tie(b.context_tokens, b.output_tokens, b.concurrency);
        if (x != y)
            return x < y ? -1 : 1;
        const int c = in.use_cases[a.index].compare(in.use_cases[b.index]);
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    };
    std::sort(order.begin(), order.end(), [&](const entry& a, const entry& b) {
        const int c = compare(a, b);
        return c < 0 || (c == 0 && a.index < b.index);
    });
    std::optional<std::pair<std::size_t, std::size_t>> first; // (earlier, later)
    for (std::size_t k = 1; k < order.size(); ++k) {
        // Within a run of equal keys the indices increase: the run's second cell is its
        // earliest repeat.
        if (compare(order[k - 1], order[k]) != 0 ||
            (k >= 2 && compare(order[k - 2], order[k]) == 0))
            continue;
        if (!first || order[k].index < first->second)
            first = std::pair{order[k - 1].index, order[k].index};
    }
    if (!first)
        return {};
    const analysis::cell_summary& c = cells[first->second];
    std::string what = "concurrency " + std::to_string(c.concurrency) + " at " +
                       std::to_string(c.context_tokens) + " context tokens";
    if (c.output_tokens != 0)
        what += " and " + std::to_string(c.output_tokens) + " output tokens";
    if (!in.use_cases[first->second].empty())
        what += " of use case " + quote_text(in.use_cases[first->second]);
    return where(first->second) + ": " + what + " repeats " + where(first->first);
}

/// Line and column (1-based) of byte `offset` of `text`.
[[nodiscard]] inline std::pair<std::size_t, std::size_t> line_column(std::string_view text,
                                                                     std::size_t offset) {
    offset = std::min(offset, text.size());
    const std::string_view before = text.substr(0, offset);
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t nl = before.rfind('\n');
    return {line, offset - (nl == std::string_view::npos ? 0 : nl + 1) + 1};
}

/**
 * Reads one JSON cell object into `out` and `label`; false with `error` (a path and what was
 * wrong) otherwise. `path()` gives the cell's JSONPath ("$.cells[3]", or "$" for a JSON Lines
 * line); paths are built only for a message.
 */
template <class Path>
[[nodiscard]] bool read_json_cell(const boost::json::value& v, Path path,
                                  analysis::cell_summary& out, std::string& label,
                                  std::string& error) {
    const boost::json::object* cell = v.if_object();
    if (cell == nullptr) {
        error = path() + ": expected an object, got " + json_text(v);
        return false;
    }
    // The use case label: `use_case`, else `key.use_case` (llmcap's cells).
    std::string_view label_key = ".use_case";
    const boost::json::value* lv = cell->if_contains("use_case");
    if (lv == nullptr)
        if (const boost::json::value* key = cell->if_contains("key"); key && key->is_object()) {
            lv = key->get_object().if_contains("use_case");
            label_key = ".key.use_case";
        }
    if (lv != nullptr && !lv->is_null()) {
        if (!lv->is_string()) {
            error = path() + std::string(label_key) + ": expected a string, got " + json_text(*lv);
            return false;
        }
        label = std::string(lv->get_string());
    }
    const boost::json::object* o = cell;
    bool in_summary = false;
    if (const boost::json::value* s = o->if_contains("summary"); s && s->is_object()) {
        o = &s->get_object();
        in_summary = true;
    }
    const auto base = [&] { return path() + (in_summary ? ".summary" : ""); };
    if (!json_count(*o, "context_tokens", out.context_tokens, true, base, error) ||
        !json_count(*o, "output_tokens", out.output_tokens, false, base, error) ||
        !json_count(*o, "concurrency", out.concurrency, true, base, error))
        return false;
    if (out.concurrency == 0) {
        error = base() + ".concurrency: must be at least 1";
        return false;
    }
    const boost::json::value* mv = o->if_contains("metrics");
    const boost::json::object* metrics = mv ? mv->if_object() : nullptr;
    if (metrics == nullptr) {
        error = base() + ".metrics: missing or not an object";
        return false;
    }
    const auto statistic_value = [&](const boost::json::value& sv, const auto& spath,
                                     double& value) {
        const std::optional<double> d = json_number(sv);
        if (!d || (!std::isnan(*d) && !valid_statistic(*d))) {
            error =
                spath() + ": " + std::string(statistic_expected) + " or null, got " + json_text(sv);
            return false;
        }
        value = *d;
        return true;
    };
    for (const auto& kv : *metrics) {
        const auto mpath = [&] { return base() + ".metrics" + path_key(kv.key()); };
        const auto m = analysis::metric_from_name(kv.key());
        if (!m) {
            error = mpath() + ": unknown metric (expected a name such as ttft_s or "
                              "generation_speed_tokens_per_s)";
            return false;
        }
        if (!kv.value().is_object()) {
            double d = 0.0;
            if (!statistic_value(kv.value(), mpath, d))
                return false;
            out.set(*m, analysis::statistic::mean, d);
            continue;
        }
        analysis::metric_statistics& st = out.metrics[*m];
        for (const auto& sv : kv.value().get_object()) {
            const auto spath = [&] { return mpath() + path_key(sv.key()); };
            if (sv.key() == "count") {
                const std::optional<double> n = json_number(sv.value());
                if (!n || std::isnan(*n) || !(*n >= 0.0) || *n >= 1.8446744073709552e19 ||
                    *n != static_cast<double>(static_cast<std::uint64_t>(*n))) {
                    error =
                        spath() + ": expected a non-negative integer, got " + json_text(sv.value());
                    return false;
                }
                st.count = static_cast<std::uint64_t>(*n);
            } else if (sv.key() == "stddev") {
                if (!statistic_value(sv.value(), spath, st.stddev))
                    return false;
            } else if (sv.key() == "mean_ci95") {
                if (sv.value().is_null())
                    continue;
                const boost::json::array* a = sv.value().if_array();
                std::optional<double> lo, hi;
                if (a != nullptr && a->size() == 2) {
                    lo = json_number((*a)[0]);
                    hi = json_number((*a)[1]);
                }
                // An interval of a mean ≥ 0 may reach below 0; it must be finite and ordered.
                if (!lo || !hi || (std::isnan(*lo) != std::isnan(*hi)) ||
                    (!std::isnan(*lo) &&
                     (!std::isfinite(*lo) || !std::isfinite(*hi) || !(*lo <= *hi)))) {
                    error = spath() + ": expected [low, high] (finite numbers, low <= high) or "
                                      "null";
                    return false;
                }
                if (!std::isnan(*lo))
                    st.mean_ci95 = analysis::confidence_interval{*lo, *hi};
            } else if (const auto s = analysis::statistic_from_name(sv.key())) {
                double d = 0.0;
                if (!statistic_value(sv.value(), spath, d))
                    return false;
                st.set(*s, d);
            } else {
                error = spath() + ": unknown statistic (expected mean, p50, p90, p95, p99, "
                                  "p99_9, min, max, count, stddev or mean_ci95)";
                return false;
            }
        }
    }
    return true;
}

} // namespace detail

/**
 * Reads cells from JSON text: an array of cells, an object with a `cells` array, or JSON Lines
 * (one cell object per line). `name` prefixes error messages: "results.json: $.cells[2].
 * summary.metrics.ttft_s.mean: expected a finite number >= 0 or null, got -0.5",
 * "cells.jsonl: line 4: $.summary.concurrency: missing", "x.json: line 3, column 7: not valid
 * JSON: syntax error".
 */
[[nodiscard]] inline cells_input parse_cells_json(std::string_view text,
                                                  const std::string& name = "cells") {
    cells_input out;
    const std::string file = detail::escape_text(name, std::string::npos);
    if (std::string wide = detail::wide_encoding_error(text); !wide.empty()) {
        out.error = file + ": " + wide;
        return out;
    }
    detail::skip_bom(text);

    boost::json::value doc;
    boost::system::error_code ec;
    const std::size_t used = parse_json_prefix(text, doc, ec); // numbers exactly rounded
    if (ec) {
        const auto [line, column] = detail::line_column(text, used);
        out.error = file + ": line " + std::to_string(line) + ", column " + std::to_string(column) +
                    ": not valid JSON: " + ec.message();
        return out;
    }
    const bool more = text.substr(used).find_first_not_of(" \t\r\n") != std::string_view::npos;

    // One document: an array of cells or {"cells": [...]}.
    boost::json::array* cells = doc.if_array();
    std::string base = "$";
    if (boost::json::object* o = doc.if_object())
        if (boost::json::value* c = o->if_contains("cells")) {
            cells = c->if_array();
            base = "$.cells";
            if (cells == nullptr) {
                out.error = file + ": $.cells: expected an array, got " + detail::json_text(*c);
                return out;
            }
        }
    if (cells != nullptr) {
        if (more) {
            out.error = file + ": line " + std::to_string(detail::line_column(text, used).first) +
                        ": text after the JSON document";
            return out;
        }
        out.cells.resize(cells->size());
        out.use_cases.resize(cells->size());
        for (std::size_t i = 0; i < cells->size(); ++i) {
            std::string error;
            const auto path = [&] { return base + "[" + std::to_string(i) + "]"; };
            if (!detail::read_json_cell((*cells)[i], path, out.cells[i], out.use_cases[i], error)) {
                out.error = file + ": " + error;
                out.cells.clear();
                out.use_cases.clear();
                return out;
            }
            (*cells)[i] = nullptr; // read: its memory goes back as the cells' comes in
        }
        if (out.cells.empty()) {
            out.error = file + ": no cells";
            return out;
        }
        if (std::string repeat = detail::find_repeated_cell(
                out, [&](std::size_t i) { return base + "[" + std::to_string(i) + "]"; });
            !repeat.empty()) {
            out.error = file + ": " + repeat;
            out.cells.clear();
            out.use_cases.clear();
        }
        return out;
    }
    const boost::json::object* first = doc.if_object();
    if (first == nullptr || (!more && !first->contains("summary") && !first->contains("metrics") &&
                             !first->contains("context_tokens"))) {
        out.error = file + ": expected an array of cells, an object with a \"cells\" array, or "
                           "one cell object per line";
        return out;
    }

    // JSON Lines: one cell per line.
    std::vector<std::size_t> lines;
    std::size_t line = 1;
    for (std::size_t at = 0; at < text.size(); ++line) {
        std::size_t end = text.find('\n', at);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string_view row = text.substr(at, end - at);
        at = end + 1;
        if (row.find_first_not_of(" \t\r") == std::string_view::npos)
            continue;
        const auto where = [&] { return file + ": line " + std::to_string(line) + ": "; };
        boost::json::value v;
        const std::size_t n = parse_json_prefix(row, v, ec);
        if (ec || row.substr(n).find_first_not_of(" \t\r") != std::string_view::npos) {
            out.error = where() + "not valid JSON" +
                        (ec ? ", column " + std::to_string(n + 1) + ": " + ec.message()
                            : ": text after the cell's object (one object per line)");
            out.cells.clear();
            out.use_cases.clear();
            return out;
        }
        analysis::cell_summary c;
        std::string label;
        std::string error;
        if (!detail::read_json_cell(
                v, [] { return std::string("$"); }, c, label, error)) {
            out.error = where() + error;
            out.cells.clear();
            out.use_cases.clear();
            return out;
        }
        out.cells.push_back(std::move(c));
        out.use_cases.push_back(std::move(label));
        lines.push_back(line);
    }
    if (std::string repeat = detail::find_repeated_cell(
            out, [&](std::size_t i) { return "line " + std::to_string(lines[i]); });
        !repeat.empty()) {
        out.error = file + ": " + repeat;
        out.cells.clear();
        out.use_cases.clear();
    }
    return out;
}

/**
 * Reads cells from CSV text (see the namespace comment). `name` prefixes error messages:
 * "cells.csv: line 7: concurrency 4 at 32768 context tokens repeats line 3".
 */
[[nodiscard]] inline cells_input parse_cells_csv(std::string_view text,
                                                 const std::string& name = "cells") {
    cells_input out;
    const std::string file = detail::escape_text(name, std::string::npos);
    if (std::string wide = detail::wide_encoding_error(text); !wide.empty()) {
        out.error = file + ": " + wide;
        return out;
    }
    detail::skip_bom(text);
    detail::csv_records records(text);
    std::vector<std::string_view> fields;
    if (!records.next(fields)) {
        out.error = file + ": " +
                    (records.error().empty()
                         ? std::string("empty file")
                         : "line " + std::to_string(records.line()) + ": " + records.error());
        return out;
    }
    const std::size_t header_line = records.line();
    const std::vector<std::string> header(fields.begin(), fields.end());
    std::optional<std::size_t> ctx_col, out_col, conc_col, label_col;
    std::vector<std::pair<std::size_t, std::pair<analysis::metric, analysis::statistic>>> stat_cols;
    const auto header_error = [&](const std::string& what) {
        out.error = file + ": line " + std::to_string(header_line) + ": " + what;
        return out;
    };
    for (std::size_t i = 0; i < header.size(); ++i) {
        std::optional<std::size_t>* key = header[i] == "context_tokens"  ? &ctx_col
                                          : header[i] == "output_tokens" ? &out_col
                                          : header[i] == "concurrency"   ? &conc_col
                                          : header[i] == "use_case"      ? &label_col
                                                                         : nullptr;
        if (key != nullptr) {
            if (*key)
                return header_error("column " + header[i] + " appears twice (columns " +
                                    std::to_string(**key + 1) + " and " + std::to_string(i + 1) +
                                    ")");
            *key = i;
        } else if (const auto ms = detail::split_column(header[i])) {
            for (const auto& [col, other] : stat_cols)
                if (other == *ms)
                    return header_error("columns " + header[col] + " and " + header[i] +
                                        " are the same statistic (columns " +
                                        std::to_string(col + 1) + " and " + std::to_string(i + 1) +
                                        ")");
            stat_cols.emplace_back(i, *ms);
        }
    }
    if (!ctx_col || !conc_col)
        return header_error("the header must name context_tokens and concurrency");
    if (stat_cols.empty())
        return header_error("no statistic column (expected names such as ttft_s_mean, "
                            "e2e_s_p99 or generation_speed_tokens_per_s)");

    std::vector<std::size_t> cell_line;
    const auto fail = [&](std::string message) {
        out.error = std::move(message);
        out.cells.clear();
        out.use_cases.clear();
        return out;
    };
    while (records.next(fields)) {
        const auto where = [&] { return file + ": line " + std::to_string(records.line()) + ": "; };
        if (fields.size() != header.size())
            return fail(where() + std::to_string(fields.size()) + " fields, the header has " +
                        std::to_string(header.size()));
        analysis::cell_summary c;
        std::string message;
        const auto count = [&](std::size_t col, std::uint32_t& v) {
            const std::string_view s = fields[col];
            const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
            if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || s.empty()) {
                message = where() + header[col] + ": expected a non-negative integer, got " +
                          detail::quote_text(s);
                return false;
            }
            return true;
        };
        if (!count(*ctx_col, c.context_tokens) || !count(*conc_col, c.concurrency) ||
            (out_col && !fields[*out_col].empty() && !count(*out_col, c.output_tokens)))
            return fail(std::move(message));
        if (c.concurrency == 0)
            return fail(where() + "concurrency: must be at least 1");
        for (const auto& [col, ms] : stat_cols) {
            const std::string_view s = fields[col];
            if (s.empty())
                continue;
            double v = 0.0;
            const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
            if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || !detail::valid_statistic(v))
                return fail(where() + header[col] + ": " + std::string(detail::statistic_expected) +
                            ", got " + detail::quote_text(s));
            c.set(ms.first, ms.second, v);
        }
        out.cells.push_back(std::move(c));
        out.use_cases.emplace_back(label_col ? fields[*label_col] : std::string_view());
        cell_line.push_back(records.line());
    }
    if (!records.error().empty())
        return fail(file + ": line " + std::to_string(records.line()) + ": " + records.error());
    if (out.cells.empty())
        return fail(file + ": no cells");
    if (std::string repeat = detail::find_repeated_cell(
            out, [&](std::size_t i) { return "line " + std::to_string(cell_line[i]); });
        !repeat.empty())
        return fail(file + ": " + repeat);
    return out;
}

/**
 * Reads cells from a file: JSON (or JSON Lines) when its first non-blank character after an
 * optional byte order mark is '[' or '{', else CSV. A file that cannot be opened or read gives
 * "cannot open PATH: REASON" / "cannot read PATH: REASON" with the operating system's reason.
 */
[[nodiscard]] inline cells_input read_cells_file(const std::filesystem::path& path) {
    cells_input out;
    std::string text;
    if (!read_file_text(path, text, out.error))
        return out;
    std::string_view body = text;
    detail::skip_bom(body);
    const std::size_t first = body.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (body[first] == '[' || body[first] == '{'))
        return parse_cells_json(text, path.string());
    return parse_cells_csv(text, path.string());
}

} // namespace llmcap::report
