#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/traffic_mix.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/sweep/capacity_json.hpp>
#include <llmcap/sweep/summary_json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint32_t, uint64_t
#include <optional> // optional
#include <string>   // string
#include <utility>  // move
#include <vector>   // vector

/**
 * What a traffic mix measured (analysis/traffic_mix.hpp): each mix cell's requests split by
 * class (mix_class_cell, in cell_result::classes) and the search for the mix's capacity
 * (mix_search_result, in sweep_result::mix), with their JSON in cells.jsonl and results.json
 * (docs/results-schema.md).
 */
namespace llmcap::sweep {

/// The requests of one class within a mix cell, and their statistics.
struct mix_class_cell {
    /// The class's use case name.
    std::string name;
    /// Measured requests of the class started.
    std::uint64_t requests_started = 0;
    /// Those that ended with a complete stream.
    std::uint64_t requests_succeeded = 0;
    /// Statistics over the class's successful requests alone (context and output: the use
    /// case's; concurrency: the cell's, the whole mix's load).
    analysis::cell_summary summary;

    friend bool operator==(const mix_class_cell&, const mix_class_cell&) = default;
};

/// One class's verdict at one load of a mix search.
struct mix_class_verdict {
    /// The class's use case name.
    std::string name;
    /// Its thresholds its own requests did not meet, in the use case's order; empty: it held.
    std::vector<analysis::threshold> unmet;

    friend bool operator==(const mix_class_verdict&, const mix_class_verdict&) = default;
};

/// One load a mix search measured.
struct mix_level {
    /// Requests in flight (the mix cell's concurrency).
    std::uint32_t concurrency = 0;
    /// Every class's verdict, in the mix's order.
    std::vector<mix_class_verdict> classes;

    /// True when every class met all its thresholds.
    [[nodiscard]] bool passes() const noexcept {
        for (const mix_class_verdict& c : classes)
            if (!c.unmet.empty())
                return false;
        return true;
    }

    friend bool operator==(const mix_level&, const mix_level&) = default;
};

/// The capacity of a traffic mix: the largest load at which every class meets its own
/// thresholds on its own requests (analysis::level_search over mix cells).
struct mix_search_result {
    /// The mix searched (shares normalized).
    analysis::traffic_mix mix;
    /// The highest load the search could try.
    std::uint32_t max_concurrency = 0;
    /// The loads measured, in measurement order (the cells are in sweep_result::cells, named
    /// "mix").
    std::vector<mix_level> levels;
    /// The highest measured load at which every class held; 0 when the lowest failed.
    std::uint32_t capacity = 0;
    /// The lowest measured load at which a class gave way; empty when none did.
    std::optional<std::uint32_t> lowest_failing;
    /// True when the passing and failing loads are adjacent (or load 1 failed, or the highest
    /// load held).
    bool converged = false;
    /// True when the search stopped on its cell budget.
    bool budget_exhausted = false;
    /// The class that gives way first: of those failing at lowest_failing, the one whose own
    /// crossing (class_capacity) comes first; empty when no class failed.
    std::string gives_way_first;
    /// Per class, in the mix's order: compute_capacity of its use case over its own requests
    /// at the measured loads (the load at which that class alone crosses a threshold); empty
    /// for a class with no statistics at some load.
    std::vector<std::optional<analysis::capacity_result>> class_capacity;
};

/// Each class's verdict in a mix cell whose requests by class are `classes`
/// (cell_result::classes), in the mix's order: the thresholds the class's own requests missed,
/// every threshold of a class without a successful request.
[[nodiscard]] inline std::vector<mix_class_verdict>
class_verdicts(const analysis::traffic_mix& mix, const std::vector<mix_class_cell>& classes) {
    std::vector<mix_class_verdict> out;
    for (std::size_t k = 0; k < mix.classes.size(); ++k) {
        const analysis::use_case& uc = mix.classes[k].workload;
        const bool measured = k < classes.size() && classes[k].requests_succeeded > 0;
        out.push_back({uc.name, measured ? analysis::unmet_thresholds(uc, classes[k].summary)
                                         : uc.thresholds});
    }
    return out;
}

/// A mix class cell as JSON.
[[nodiscard]] inline boost::json::object to_json(const mix_class_cell& c) {
    return {{"name", c.name},
            {"requests_started", c.requests_started},
            {"requests_succeeded", c.requests_succeeded},
            {"summary", sweep::to_json(c.summary)}};
}

/// A mix search as JSON.
[[nodiscard]] inline boost::json::object to_json(const mix_search_result& r) {
    boost::json::array levels;
    for (const mix_level& l : r.levels) {
        boost::json::array classes;
        for (const mix_class_verdict& v : l.classes) {
            boost::json::array unmet;
            for (const analysis::threshold& t : v.unmet)
                unmet.push_back(boost::json::value(t.describe()));
            classes.push_back(boost::json::object{{"name", v.name}, {"unmet", std::move(unmet)}});
        }
        levels.push_back(boost::json::object{{"concurrency", l.concurrency},
                                             {"passes", l.passes()},
                                             {"classes", std::move(classes)}});
    }
    boost::json::array capacity;
    for (const std::optional<analysis::capacity_result>& c : r.class_capacity)
        capacity.push_back(c ? boost::json::value(sweep::to_json(*c))
                             : boost::json::value(nullptr));
    boost::json::object o{{"mix", analysis::to_json(r.mix)},
                          {"max_concurrency", r.max_concurrency},
                          {"levels", std::move(levels)},
                          {"capacity", r.capacity},
                          {"lowest_failing", r.lowest_failing
                                                 ? boost::json::value(*r.lowest_failing)
                                                 : boost::json::value(nullptr)},
                          {"converged", r.converged},
                          {"budget_exhausted", r.budget_exhausted},
                          {"gives_way_first", r.gives_way_first},
                          {"class_capacity", std::move(capacity)}};
    return o;
}

/// Reads a mix class cell written by to_json.
inline bool read_mix_class_cell(json_reader& in, const boost::json::value& v,
                                const std::string& path, mix_class_cell& c) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "name", path, c.name);
    in.field(*o, "requests_started", path, c.requests_started);
    in.field(*o, "requests_succeeded", path, c.requests_succeeded);
    if (in.ok() && c.requests_succeeded > c.requests_started)
        return in.fail(path + ".requests_succeeded", "more than requests_started");
    if (const boost::json::value* s = in.member(*o, "summary", path))
        detail::read_summary(in, *s, path + ".summary", c.summary);
    return in.ok();
}

/// Reads a mix search written by to_json. A level's verdicts are read from their thresholds'
/// text against the mix's use cases.
inline bool read_mix_search_result(json_reader& in, const boost::json::value& v,
                                   const std::string& path, mix_search_result& r) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    if (const boost::json::value* mv = in.member(*o, "mix", path))
        analysis::read_traffic_mix(in, *mv, path + ".mix", r.mix);
    in.field(*o, "max_concurrency", path, r.max_concurrency);
    in.field(*o, "capacity", path, r.capacity);
    in.field(*o, "lowest_failing", path, r.lowest_failing);
    in.field(*o, "converged", path, r.converged);
    in.field(*o, "budget_exhausted", path, r.budget_exhausted);
    in.field(*o, "gives_way_first", path, r.gives_way_first);
    const boost::json::value* lv = in.member(*o, "levels", path);
    const boost::json::array* levels = lv ? in.array(*lv, path + ".levels") : nullptr;
    for (std::size_t i = 0; levels != nullptr && i < levels->size() && in.ok(); ++i) {
        const std::string lp = path + ".levels[" + std::to_string(i) + "]";
        const boost::json::object* lo = in.object((*levels)[i], lp);
        if (lo == nullptr)
            break;
        mix_level l;
        in.field(*lo, "concurrency", lp, l.concurrency);
        const boost::json::value* cv = in.member(*lo, "classes", lp);
        const boost::json::array* classes = cv ? in.array(*cv, lp + ".classes") : nullptr;
        for (std::size_t k = 0; classes != nullptr && k < classes->size() && in.ok(); ++k) {
            const std::string cp = lp + ".classes[" + std::to_string(k) + "]";
            const boost::json::object* co = in.object((*classes)[k], cp);
            if (co == nullptr)
                break;
            mix_class_verdict verdict;
            in.field(*co, "name", cp, verdict.name);
            std::vector<std::string> unmet;
            in.field(*co, "unmet", cp, unmet);
            const analysis::use_case* uc = nullptr;
            for (const analysis::mix_class& m : r.mix.classes)
                if (m.workload.name == verdict.name)
                    uc = &m.workload;
            if (in.ok() && uc == nullptr)
                return in.fail(cp + ".name", "no class \"" + verdict.name + "\" in the mix");
            for (std::size_t u = 0; u < unmet.size() && in.ok(); ++u) {
                bool found = false;
                for (const analysis::threshold& t : uc->thresholds)
                    if (t.describe() == unmet[u]) {
                        verdict.unmet.push_back(t);
                        found = true;
                        break;
                    }
                if (!found)
                    return in.fail(cp + ".unmet[" + std::to_string(u) + "]",
                                   "not a threshold of \"" + verdict.name + "\"");
            }
            l.classes.push_back(std::move(verdict));
        }
        r.levels.push_back(std::move(l));
    }
    const boost::json::value* kv = in.member(*o, "class_capacity", path);
    const boost::json::array* caps = kv ? in.array(*kv, path + ".class_capacity") : nullptr;
    for (std::size_t i = 0; caps != nullptr && i < caps->size() && in.ok(); ++i) {
        std::optional<analysis::capacity_result>& c = r.class_capacity.emplace_back();
        if (!(*caps)[i].is_null())
            detail::read_capacity(in, (*caps)[i],
                                  path + ".class_capacity[" + std::to_string(i) + "]", c.emplace());
    }
    if (in.ok() && caps != nullptr && r.class_capacity.size() != r.mix.classes.size())
        return in.fail(path + ".class_capacity", "must hold one entry per class of the mix");
    return in.ok();
}

} // namespace llmcap::sweep
