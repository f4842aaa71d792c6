#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cmath>       // isfinite, isnan, floor
#include <cstddef>     // size_t
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
 * measured. Unknown fields are errors; errors are json_errors about "cells JSON" naming the
 * field by its JSONPath (core/json_error.hpp).
 */
namespace llmcap::analysis {

/// The outcome of parse_cell_summaries: the cells, or an error naming the offending field.
struct cell_summary_parse_result {
    /// The cells read, in document order (empty on error).
    std::vector<cell_summary> cells;
    /// Empty on success; else json_error::message(): "cells JSON: <JSONPath>: <what was
    /// wrong>", e.g. `cells JSON: $.cells[0].concurrency: missing`.
    std::string error;

    /// True when the document was read without error.
    [[nodiscard]] bool ok() const noexcept {
        return error.empty();
    }
};

namespace detail {

inline bool read_cell_count(json_reader& in, const boost::json::value& v, const std::string& path,
                            std::uint32_t minimum, std::uint32_t& out) {
    if (!in.ok())
        return false;
    double d = -1.0;
    if (v.is_int64())
        d = static_cast<double>(v.get_int64());
    else if (v.is_uint64())
        d = static_cast<double>(v.get_uint64());
    else if (v.is_double())
        d = v.get_double();
    if (!(d >= static_cast<double>(minimum)) || d > 4294967295.0 || std::floor(d) != d)
        return in.fail(path,
                       minimum == 0 ? "expected an integer >= 0" : "expected an integer >= 1");
    out = static_cast<std::uint32_t>(d);
    return true;
}

inline bool read_cell_number(json_reader& in, const boost::json::value& v, const std::string& path,
                             double& out) {
    if (!in.ok())
        return false;
    if (!v.is_number())
        return in.fail(path, "expected a number");
    out = v.to_number<double>();
    if (!std::isfinite(out))
        return in.fail(path, "expected a finite number");
    return true;
}

inline bool read_metric_statistics(json_reader& in, const boost::json::value& v,
                                   const std::string& path, metric_statistics& out) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    for (const auto& kv : *o) {
        const std::string_view key(kv.key().data(), kv.key().size());
        const std::string field = path + "." + std::string(key);
        if (key == "count") {
            std::uint32_t n = 0;
            if (!read_cell_count(in, kv.value(), field, 0, n))
                return false;
            out.count = n;
        } else if (key == "stddev") {
            if (!read_cell_number(in, kv.value(), field, out.stddev))
                return false;
        } else if (key == "mean_ci95") {
            const boost::json::array* ci = kv.value().if_array();
            if (ci == nullptr || ci->size() != 2)
                return in.fail(field, "expected [low, high]");
            double low = 0.0;
            double high = 0.0;
            if (!read_cell_number(in, (*ci)[0], field + "[0]", low) ||
                !read_cell_number(in, (*ci)[1], field + "[1]", high))
                return false;
            out.mean_ci95 = confidence_interval{low, high};
        } else if (const std::optional<statistic> s = statistic_from_name(key)) {
            double x = 0.0;
            if (!read_cell_number(in, kv.value(), field, x))
                return false;
            out.set(*s, x);
        } else {
            return in.fail(field, "unknown statistic (expected count, mean, stddev, min, max, "
                                  "p50, p90, p95, p99, p99_9, mean_ci95)");
        }
    }
    return true;
}

inline bool read_cell(json_reader& in, const boost::json::value& v, const std::string& path,
                      cell_summary& out) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr || !in.only(*o, {"context_tokens", "output_tokens", "concurrency", "metrics"},
                                 path, "context_tokens, output_tokens, concurrency, metrics"))
        return false;
    const boost::json::value* context = in.member(*o, "context_tokens", path);
    if (context == nullptr ||
        !read_cell_count(in, *context, path + ".context_tokens", 1, out.context_tokens))
        return false;
    if (const boost::json::value* output = o->if_contains("output_tokens"))
        if (!read_cell_count(in, *output, path + ".output_tokens", 0, out.output_tokens))
            return false;
    const boost::json::value* concurrency = in.member(*o, "concurrency", path);
    if (concurrency == nullptr ||
        !read_cell_count(in, *concurrency, path + ".concurrency", 1, out.concurrency))
        return false;
    const boost::json::value* mv = in.member(*o, "metrics", path);
    const boost::json::object* metrics =
        mv == nullptr ? nullptr : in.object(*mv, path + ".metrics");
    if (metrics == nullptr)
        return false;
    for (const auto& kv : *metrics) {
        const std::string_view key(kv.key().data(), kv.key().size());
        const std::string field = path + ".metrics." + std::string(key);
        const std::optional<metric> m = metric_from_name(key);
        if (!m)
            return in.fail(field, "unknown metric");
        metric_statistics s;
        if (!read_metric_statistics(in, kv.value(), field, s))
            return false;
        out.metrics[*m] = s;
    }
    return true;
}

} // namespace detail

/// Reads cells from a parsed document (format above): `{"cells": [...]}` or the array.
[[nodiscard]] inline json_result<std::vector<cell_summary>>
cell_summaries_from_json(const boost::json::value& document) {
    json_reader in("cells JSON");
    const boost::json::array* list = document.if_array();
    std::string prefix = "$";
    if (const boost::json::object* o = document.if_object();
        o != nullptr && o->size() == 1 && o->contains("cells") && o->at("cells").is_array()) {
        list = &o->at("cells").get_array();
        prefix = "$.cells";
    }
    if (list == nullptr) {
        in.fail(prefix, "expected {\"cells\": [...]} or an array of cells");
        return in.error();
    }
    std::vector<cell_summary> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        cell_summary cell;
        if (!detail::read_cell(in, (*list)[i], prefix + "[" + std::to_string(i) + "]", cell))
            return in.error();
        out.push_back(std::move(cell));
    }
    return out;
}

/// Reads cells from JSON text (format above), numbers exact (parse_json). Never throws on bad
/// input.
[[nodiscard]] inline cell_summary_parse_result parse_cell_summaries(std::string_view json) {
    cell_summary_parse_result result;
    const json_result<boost::json::value> document = parse_json(json, "cells JSON");
    if (!document) {
        result.error = document.error().message();
        return result;
    }
    json_result<std::vector<cell_summary>> read = cell_summaries_from_json(*document);
    if (read)
        result.cells = std::move(*read);
    else
        result.error = read.error().message();
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
