#pragma once

#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_reader.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional> // optional
#include <string>   // string
#include <utility>  // move
#include <vector>   // vector

/**
 * A metric's statistics and a cell's summary as JSON, as results.json, cells.jsonl and a
 * session cell's turns hold them (`docs/results-schema.md`). Non-finite numbers are written as
 * null and read back as NaN; doubles follow core/json_number.hpp. `sweep/result_json.hpp` builds
 * the results on these.
 */
namespace llmcap::sweep {

/// A metric's statistics as JSON.
[[nodiscard]] inline boost::json::object to_json(const analysis::metric_statistics& s) {
    boost::json::object o{{"count", s.count},
                          {"mean", json_number_or_null(s.mean)},
                          {"stddev", json_number_or_null(s.stddev)},
                          {"min", json_number_or_null(s.min)},
                          {"max", json_number_or_null(s.max)},
                          {"p50", json_number_or_null(s.p50)},
                          {"p90", json_number_or_null(s.p90)},
                          {"p95", json_number_or_null(s.p95)},
                          {"p99", json_number_or_null(s.p99)},
                          {"p99_9", json_number_or_null(s.p99_9)}};
    if (s.mean_ci95)
        o["mean_ci95"] = boost::json::array{json_number_or_null(s.mean_ci95->low),
                                            json_number_or_null(s.mean_ci95->high)};
    else
        o["mean_ci95"] = nullptr;
    return o;
}

/// A cell summary as JSON: the key fields and `metrics` keyed by metric name.
[[nodiscard]] inline boost::json::object to_json(const analysis::cell_summary& c) {
    boost::json::object metrics;
    for (const auto& [m, s] : c.metrics)
        metrics[analysis::metric_name(m)] = sweep::to_json(s);
    return {{"context_tokens", c.context_tokens},
            {"output_tokens", c.output_tokens},
            {"concurrency", c.concurrency},
            {"metrics", std::move(metrics)}};
}

namespace detail {

inline bool read_statistics(json_reader& in, const boost::json::value& v, const std::string& path,
                            analysis::metric_statistics& s) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "count", path, s.count);
    in.field(*o, "mean", path, s.mean);
    in.field(*o, "stddev", path, s.stddev);
    in.field(*o, "min", path, s.min);
    in.field(*o, "max", path, s.max);
    in.field(*o, "p50", path, s.p50);
    in.field(*o, "p90", path, s.p90);
    in.field(*o, "p95", path, s.p95);
    in.field(*o, "p99", path, s.p99);
    in.field(*o, "p99_9", path, s.p99_9);
    std::optional<std::vector<double>> ci;
    in.optional_field(*o, "mean_ci95", path, ci);
    if (ci) {
        if (ci->size() != 2)
            return in.fail(path + ".mean_ci95", "expected [low, high]");
        s.mean_ci95 = analysis::confidence_interval{(*ci)[0], (*ci)[1]};
    } else {
        s.mean_ci95.reset();
    }
    return in.ok();
}

inline bool read_summary(json_reader& in, const boost::json::value& v, const std::string& path,
                         analysis::cell_summary& c) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "context_tokens", path, c.context_tokens);
    in.field(*o, "output_tokens", path, c.output_tokens);
    in.field(*o, "concurrency", path, c.concurrency);
    const boost::json::value* mv = in.member(*o, "metrics", path);
    if (mv == nullptr)
        return false;
    const boost::json::object* metrics = in.object(*mv, path + ".metrics");
    if (metrics == nullptr)
        return false;
    c.metrics.clear();
    for (const auto& kv : *metrics) {
        const std::string name(kv.key());
        const std::optional<analysis::metric> m = analysis::metric_from_name(name);
        if (!m)
            return in.fail(path + ".metrics." + name, "unknown metric");
        if (!read_statistics(in, kv.value(), path + ".metrics." + name, c.metrics[*m]))
            return false;
    }
    return in.ok();
}

} // namespace detail

} // namespace llmcap::sweep
