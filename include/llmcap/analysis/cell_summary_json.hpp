#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>

#include <boost/json.hpp>

#include <cmath>       // isfinite, isnan, floor
#include <cstdint>     // uint32_t, uint64_t
#include <optional>    // optional
#include <span>        // span
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

/**
 * Per-cell statistics in JSON, so that measurements from other tools can be analysed
 * (capacity, scaling, grid interpolation). The document is an object with a `cells` array, or
 * the array itself; each cell:
 *
 *     {
 *       "context_tokens": 1024, "output_tokens": 128, "concurrency": 24,
 *       "metrics": {
 *         "e2e_s": {"mean": 2.016, "p95": 2.31, "count": 96},
 *         "throughput_tokens_per_s": {"mean": 69}
 *       }
 *     }
 *
 * `context_tokens` and `concurrency` are required integers ≥ 1, `output_tokens` an optional
 * integer ≥ 0. Metric names are the stable names (`ttft_s`, `generation_speed_tokens_per_s`…);
 * each metric holds any of `count`, `mean`, `stddev`, `min`, `max`, `p50`, `p90`, `p95`,
 * `p99`, `p99_9` (alias `p99.9`) and `mean_ci95` ([low, high]); statistics left out are not
 * measured. Unknown fields are errors.
 */
namespace llmcap::analysis {

/// The outcome of parse_cell_summaries: the cells, or an error naming the offending field.
struct cell_summary_parse_result {
    /// The cells read, in document order (empty on error).
    std::vector<cell_summary> cells;
    /// Empty on success; else "cells JSON: <path>: <what was wrong>".
    std::string error;

    /// True when the document was read without error.
    [[nodiscard]] bool ok() const noexcept {
        return error.empty();
    }
};

namespace detail {

inline std::string cells_error(const std::string& path, std::string_view what) {
    return "cells JSON: " + path + ": " + std::string(what);
}

inline bool read_cell_count(const boost::json::value& v, const std::string& path,
                            std::uint32_t minimum, std::uint32_t& out, std::string& error) {
    double d = -1.0;
    if (v.is_int64())
        d = static_cast<double>(v.get_int64());
    else if (v.is_uint64())
        d = static_cast<double>(v.get_uint64());
    else if (v.is_double())
        d = v.get_double();
    if (!(d >= static_cast<double>(minimum)) || d > 4294967295.0 || std::floor(d) != d) {
        error = cells_error(path,
                            minimum == 0 ? "expected an integer >= 0" : "expected an integer >= 1");
        return false;
    }
    out = static_cast<std::uint32_t>(d);
    return true;
}

inline bool read_cell_number(const boost::json::value& v, const std::string& path, double& out,
                             std::string& error) {
    if (!v.is_number()) {
        error = cells_error(path, "expected a number");
        return false;
    }
    out = v.to_number<double>();
    if (!std::isfinite(out)) {
        error = cells_error(path, "expected a finite number");
        return false;
    }
    return true;
}

inline bool read_metric_statistics(const boost::json::value& v, const std::string& path,
                                   metric_statistics& out, std::string& error) {
    if (!v.is_object()) {
        error = cells_error(path, "expected an object");
        return false;
    }
    for (const auto& kv : v.get_object()) {
        const std::string_view key(kv.key().data(), kv.key().size());
        const std::string field = path + "." + std::string(key);
        if (key == "count") {
            std::uint32_t n = 0;
            if (!read_cell_count(kv.value(), field, 0, n, error))
                return false;
            out.count = n;
        } else if (key == "stddev") {
            if (!read_cell_number(kv.value(), field, out.stddev, error))
                return false;
        } else if (key == "mean_ci95") {
            const boost::json::value& ci = kv.value();
            double low = 0.0;
            double high = 0.0;
            if (!ci.is_array() || ci.get_array().size() != 2 ||
                !read_cell_number(ci.get_array()[0], field + "[0]", low, error) ||
                !read_cell_number(ci.get_array()[1], field + "[1]", high, error)) {
                if (error.empty())
                    error = cells_error(field, "expected [low, high]");
                return false;
            }
            out.mean_ci95 = confidence_interval{low, high};
        } else if (const std::optional<statistic> s = statistic_from_name(key)) {
            double x = 0.0;
            if (!read_cell_number(kv.value(), field, x, error))
                return false;
            out.set(*s, x);
        } else {
            error = cells_error(field, "unknown statistic (expected count, mean, stddev, min, "
                                       "max, p50, p90, p95, p99, p99_9, mean_ci95)");
            return false;
        }
    }
    return true;
}

inline bool read_cell(const boost::json::value& v, const std::string& path, cell_summary& out,
                      std::string& error) {
    if (!v.is_object()) {
        error = cells_error(path, "expected an object");
        return false;
    }
    const boost::json::object& o = v.get_object();
    for (const auto& kv : o) {
        const std::string_view key(kv.key().data(), kv.key().size());
        if (key != "context_tokens" && key != "output_tokens" && key != "concurrency" &&
            key != "metrics") {
            error = cells_error(path + "." + std::string(key),
                                "unknown field (expected context_tokens, output_tokens, "
                                "concurrency, metrics)");
            return false;
        }
    }
    const boost::json::value* context = o.if_contains("context_tokens");
    if (context == nullptr) {
        error = cells_error(path + ".context_tokens", "missing");
        return false;
    }
    if (!read_cell_count(*context, path + ".context_tokens", 1, out.context_tokens, error))
        return false;
    if (const boost::json::value* output = o.if_contains("output_tokens"))
        if (!read_cell_count(*output, path + ".output_tokens", 0, out.output_tokens, error))
            return false;
    const boost::json::value* concurrency = o.if_contains("concurrency");
    if (concurrency == nullptr) {
        error = cells_error(path + ".concurrency", "missing");
        return false;
    }
    if (!read_cell_count(*concurrency, path + ".concurrency", 1, out.concurrency, error))
        return false;
    const boost::json::value* metrics = o.if_contains("metrics");
    if (metrics == nullptr) {
        error = cells_error(path + ".metrics", "missing");
        return false;
    }
    if (!metrics->is_object()) {
        error = cells_error(path + ".metrics", "expected an object");
        return false;
    }
    for (const auto& kv : metrics->get_object()) {
        const std::string_view key(kv.key().data(), kv.key().size());
        const std::string field = path + ".metrics." + std::string(key);
        const std::optional<metric> m = metric_from_name(key);
        if (!m) {
            error = cells_error(field, "unknown metric");
            return false;
        }
        metric_statistics s;
        if (!read_metric_statistics(kv.value(), field, s, error))
            return false;
        out.metrics[*m] = s;
    }
    return true;
}

} // namespace detail

/// Reads cells from JSON text (format above). Never throws on bad input.
[[nodiscard]] inline cell_summary_parse_result parse_cell_summaries(std::string_view json) {
    cell_summary_parse_result result;
    boost::json::stream_parser parser;
    boost::system::error_code ec;
    const std::size_t consumed = parser.write(json.data(), json.size(), ec);
    if (!ec)
        parser.finish(ec);
    if (ec) {
        result.error =
            "cells JSON: syntax error at byte " + std::to_string(consumed) + ": " + ec.message();
        return result;
    }
    const boost::json::value document = parser.release();
    const boost::json::array* list = nullptr;
    std::string prefix;
    if (document.is_array()) {
        list = &document.get_array();
    } else if (document.is_object() && document.get_object().size() == 1 &&
               document.get_object().contains("cells") &&
               document.get_object().at("cells").is_array()) {
        list = &document.get_object().at("cells").get_array();
        prefix = "cells";
    } else {
        result.error = "cells JSON: expected {\"cells\": [...]} or an array of cells";
        return result;
    }
    std::size_t i = 0;
    for (const boost::json::value& v : *list) {
        cell_summary cell;
        if (!detail::read_cell(v, prefix + "[" + std::to_string(i) + "]", cell, result.error)) {
            result.cells.clear();
            return result;
        }
        result.cells.push_back(std::move(cell));
        ++i;
    }
    return result;
}

/// A cell as JSON in the format parse_cell_summaries reads; statistics that are NaN (not
/// measured) are left out.
[[nodiscard]] inline boost::json::object to_json(const cell_summary& cell) {
    boost::json::object metrics;
    for (const auto& [m, s] : cell.metrics) {
        boost::json::object o;
        o["count"] = s.count;
        for (statistic st : all_statistics)
            if (const double v = s.get(st); !std::isnan(v))
                o[statistic_name(st)] = v;
        if (!std::isnan(s.stddev))
            o["stddev"] = s.stddev;
        if (s.mean_ci95)
            o["mean_ci95"] = boost::json::array{s.mean_ci95->low, s.mean_ci95->high};
        metrics[metric_name(m)] = std::move(o);
    }
    return boost::json::object{{"context_tokens", cell.context_tokens},
                               {"output_tokens", cell.output_tokens},
                               {"concurrency", cell.concurrency},
                               {"metrics", std::move(metrics)}};
}

/// Cells as a JSON document `{"cells": [...]}` that parse_cell_summaries reads back.
[[nodiscard]] inline std::string serialize_cell_summaries(std::span<const cell_summary> cells) {
    boost::json::array list;
    for (const cell_summary& c : cells)
        list.push_back(to_json(c));
    return boost::json::serialize(boost::json::object{{"cells", std::move(list)}});
}

} // namespace llmcap::analysis
