#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/fit.hpp>
#include <llmcap/analysis/interpolation.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_reader.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

/**
 * A capacity analysis (analysis::capacity_result) as JSON, the `capacity` object of a use case
 * result in `results.json` (docs/results-schema.md): `to_json` writes it; the reader in
 * `detail` reads it back for sweep_result_from_json (sweep/result_json.hpp).
 */
namespace llmcap::sweep {

namespace detail {

/// A vector as a JSON array, each element through `f`.
template <class T, class F>
[[nodiscard]] boost::json::array to_array(const std::vector<T>& xs, F f) {
    boost::json::array a;
    a.reserve(xs.size());
    for (const T& x : xs)
        a.push_back(f(x));
    return a;
}

[[nodiscard]] constexpr std::string_view outcome_name(analysis::threshold_outcome o) noexcept {
    switch (o) {
    case analysis::threshold_outcome::holds_throughout:
        return "holds_throughout";
    case analysis::threshold_outcome::crossed:
        return "crossed";
    case analysis::threshold_outcome::fails_at_minimum:
        return "fails_at_minimum";
    }
    return "holds_throughout";
}

[[nodiscard]] inline boost::json::object fit_to_json(const analysis::fit_result& f) {
    return {{"model", analysis::fit_model_name(f.model)},
            {"a", json_number_or_null(f.a)},
            {"b", json_number_or_null(f.b)},
            {"r_squared", json_number_or_null(f.r_squared)},
            {"rmse", json_number_or_null(f.rmse)},
            {"points", f.points}};
}

[[nodiscard]] inline boost::json::array doubles_to_json(const std::vector<double>& xs) {
    return to_array(xs, [](double x) { return json_number_or_null(x); });
}

} // namespace detail

/// A capacity analysis as JSON.
[[nodiscard]] inline boost::json::object to_json(const analysis::capacity_result& r) {
    boost::json::array thresholds;
    for (const analysis::threshold_analysis& t : r.thresholds) {
        boost::json::object o{
            {"threshold",
             boost::json::object{{"metric", analysis::metric_name(t.limit.what)},
                                 {"statistic", analysis::statistic_name(t.limit.stat)},
                                 {"comparison", analysis::comparison_name(t.limit.cmp)},
                                 {"bound", json_number_or_null(t.limit.bound)}}},
            {"description", t.limit.describe()},
            {"concurrency", detail::doubles_to_json(t.concurrency)},
            {"measured", detail::doubles_to_json(t.measured)},
            {"fitted", detail::doubles_to_json(t.fitted)},
            {"isotonic_adjusted", t.isotonic_adjusted},
            {"outcome", detail::outcome_name(t.outcome)},
            {"crossing", json_number_or_null(t.crossing)}};
        if (t.extrapolation)
            o["extrapolation"] =
                boost::json::object{{"fit", detail::fit_to_json(t.extrapolation->fit)},
                                    {"crossing", json_number_or_null(t.extrapolation->crossing)}};
        else
            o["extrapolation"] = nullptr;
        thresholds.push_back(std::move(o));
    }
    boost::json::object o{{"kind", analysis::capacity_kind_name(r.kind)},
                          {"capacity", r.capacity},
                          {"crossing", json_number_or_null(r.crossing)},
                          {"lowest_concurrency", r.lowest_concurrency},
                          {"highest_concurrency", r.highest_concurrency},
                          {"method", analysis::interpolation_name(r.method)},
                          {"isotonic_adjusted", r.isotonic_adjusted},
                          {"thresholds", std::move(thresholds)}};
    if (r.binding)
        o["binding"] = *r.binding;
    else
        o["binding"] = nullptr;
    if (r.estimate)
        o["estimate"] = boost::json::object{{"crossing", json_number_or_null(r.estimate->crossing)},
                                            {"capacity", r.estimate->capacity},
                                            {"binding", r.estimate->binding},
                                            {"fit", detail::fit_to_json(r.estimate->fit)}};
    else
        o["estimate"] = nullptr;
    return o;
}

namespace detail {

inline bool read_fit(json_reader& in, const boost::json::value& v, const std::string& path,
                     analysis::fit_result& f) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    std::string model;
    if (in.field(*o, "model", path, model)) {
        bool found = false;
        for (analysis::fit_model m : {analysis::fit_model::affine, analysis::fit_model::saturating,
                                      analysis::fit_model::power})
            if (analysis::fit_model_name(m) == model) {
                f.model = m;
                found = true;
            }
        if (!found)
            return in.fail(path + ".model", "unknown fit model \"" + model + "\"");
    }
    in.field(*o, "a", path, f.a);
    in.field(*o, "b", path, f.b);
    in.field(*o, "r_squared", path, f.r_squared);
    in.field(*o, "rmse", path, f.rmse);
    std::uint64_t points = 0;
    in.field(*o, "points", path, points);
    f.points = static_cast<std::size_t>(points);
    return in.ok();
}

inline bool read_threshold(json_reader& in, const boost::json::value& v, const std::string& path,
                           analysis::threshold& t) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    std::string metric, stat, cmp;
    if (in.field(*o, "metric", path, metric)) {
        const auto m = analysis::metric_from_name(metric);
        if (!m)
            return in.fail(path + ".metric", "unknown metric \"" + metric + "\"");
        t.what = *m;
    }
    if (in.field(*o, "statistic", path, stat)) {
        const auto s = analysis::statistic_from_name(stat);
        if (!s)
            return in.fail(path + ".statistic", "unknown statistic \"" + stat + "\"");
        t.stat = *s;
    }
    if (in.field(*o, "comparison", path, cmp)) {
        if (cmp == "less")
            t.cmp = analysis::comparison::less;
        else if (cmp == "greater")
            t.cmp = analysis::comparison::greater;
        else
            return in.fail(path + ".comparison", "expected \"less\" or \"greater\"");
    }
    in.field(*o, "bound", path, t.bound);
    return in.ok();
}

inline bool read_capacity(json_reader& in, const boost::json::value& v, const std::string& path,
                          analysis::capacity_result& r) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    std::string kind;
    if (in.field(*o, "kind", path, kind)) {
        bool found = false;
        for (analysis::capacity_kind k :
             {analysis::capacity_kind::interpolated, analysis::capacity_kind::exact,
              analysis::capacity_kind::at_least, analysis::capacity_kind::below_minimum})
            if (analysis::capacity_kind_name(k) == kind) {
                r.kind = k;
                found = true;
            }
        if (!found)
            return in.fail(path + ".kind", "unknown capacity kind \"" + kind + "\"");
    }
    in.field(*o, "capacity", path, r.capacity);
    in.field(*o, "crossing", path, r.crossing);
    in.field(*o, "lowest_concurrency", path, r.lowest_concurrency);
    in.field(*o, "highest_concurrency", path, r.highest_concurrency);
    std::string method;
    if (in.field(*o, "method", path, method)) {
        if (method == analysis::interpolation_name(analysis::interpolation_method::linear))
            r.method = analysis::interpolation_method::linear;
        else if (method ==
                 analysis::interpolation_name(analysis::interpolation_method::monotone_cubic))
            r.method = analysis::interpolation_method::monotone_cubic;
        else
            return in.fail(path + ".method", "unknown interpolation \"" + method + "\"");
    }
    in.field(*o, "isotonic_adjusted", path, r.isotonic_adjusted);
    std::optional<std::uint64_t> binding;
    in.field(*o, "binding", path, binding);
    if (binding)
        r.binding = static_cast<std::size_t>(*binding);
    else
        r.binding.reset();
    r.thresholds.clear();
    if (const boost::json::value* tv = in.member(*o, "thresholds", path)) {
        const std::string tp = path + ".thresholds";
        if (const boost::json::array* ta = in.array(*tv, tp)) {
            for (std::size_t i = 0; i < ta->size() && in.ok(); ++i) {
                const std::string p = tp + "[" + std::to_string(i) + "]";
                const boost::json::object* to = in.object((*ta)[i], p);
                if (to == nullptr)
                    break;
                analysis::threshold_analysis a;
                if (const boost::json::value* lv = in.member(*to, "threshold", p))
                    read_threshold(in, *lv, p + ".threshold", a.limit);
                in.field(*to, "concurrency", p, a.concurrency);
                in.field(*to, "measured", p, a.measured);
                in.field(*to, "fitted", p, a.fitted);
                in.field(*to, "isotonic_adjusted", p, a.isotonic_adjusted);
                std::string outcome;
                if (in.field(*to, "outcome", p, outcome)) {
                    bool found = false;
                    for (analysis::threshold_outcome x :
                         {analysis::threshold_outcome::holds_throughout,
                          analysis::threshold_outcome::crossed,
                          analysis::threshold_outcome::fails_at_minimum})
                        if (outcome_name(x) == outcome) {
                            a.outcome = x;
                            found = true;
                        }
                    if (!found)
                        return in.fail(p + ".outcome", "unknown outcome \"" + outcome + "\"");
                }
                in.field(*to, "crossing", p, a.crossing);
                if (const boost::json::value* ev = in.member(*to, "extrapolation", p);
                    ev && !ev->is_null()) {
                    const std::string ep = p + ".extrapolation";
                    if (const boost::json::object* eo = in.object(*ev, ep)) {
                        analysis::threshold_extrapolation e;
                        if (const boost::json::value* fv = in.member(*eo, "fit", ep))
                            read_fit(in, *fv, ep + ".fit", e.fit);
                        in.field(*eo, "crossing", ep, e.crossing);
                        a.extrapolation = e;
                    }
                }
                r.thresholds.push_back(std::move(a));
            }
        }
    }
    if (in.ok() && r.binding && *r.binding >= r.thresholds.size())
        return in.fail(path + ".binding", "index beyond the thresholds");
    r.estimate.reset();
    if (const boost::json::value* ev = in.member(*o, "estimate", path); ev && !ev->is_null()) {
        const std::string ep = path + ".estimate";
        if (const boost::json::object* eo = in.object(*ev, ep)) {
            analysis::capacity_estimate e;
            in.field(*eo, "crossing", ep, e.crossing);
            in.field(*eo, "capacity", ep, e.capacity);
            std::uint64_t b = 0;
            in.field(*eo, "binding", ep, b);
            e.binding = static_cast<std::size_t>(b);
            if (const boost::json::value* fv = in.member(*eo, "fit", ep))
                read_fit(in, *fv, ep + ".fit", e.fit);
            r.estimate = e;
        }
    }
    return in.ok();
}

} // namespace detail

} // namespace llmcap::sweep
