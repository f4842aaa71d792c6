#pragma once

#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cmath>       // isfinite, floor
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t
#include <optional>    // optional
#include <span>        // span
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

/**
 * User-defined use cases in JSON. The document is an object with a `use_cases` array, or the
 * array itself; each entry:
 *
 *     {
 *       "name": "rag_assistant",               // required, non-empty
 *       "title": "RAG assistant",               // optional, defaults to name
 *       "context_tokens": 16384,                // required integer ≥ 1
 *       "output_tokens": 512,                   // required integer ≥ 1
 *       "thresholds": [                         // required, non-empty
 *         {"metric": "ttft_s", "statistic": "p95", "comparison": "less", "bound": 3},
 *         {"metric": "generation_speed_tokens_per_s", "bound": 20}
 *       ],
 *       "sessions": {                           // optional: users holding conversations
 *         "turns": 8,                           // required integer ≥ 1
 *         "think_time": "lognormal:30s",        // optional, default "0" (parse_think_time)
 *         "system_prompt_tokens": 1024,         // optional integer ≥ 0, default 0
 *         "groups": 1,                          // optional integer ≥ 1, default 1
 *         "turn_tokens_sigma": 0.5,             // optional number in [0, 4], default 0
 *         "prefix_caching": false               // optional, default true (false: cache off)
 *       }
 *     }
 *
 * With `sessions`, context_tokens is each new user message's length and output_tokens each
 * answer's (session_workload), and the capacity is a number of users.
 * `statistic` defaults to "mean"; `comparison` ("less"/"<" or "greater"/">") defaults to
 * "greater" for metrics where higher is better and "less" otherwise. Unknown fields are errors,
 * so a misspelt field is never silently ignored. Errors are json_errors about "use cases JSON"
 * naming the field by its JSONPath (core/json_error.hpp).
 */
namespace llmcap::analysis {

/// The outcome of parse_use_cases: the use cases, or an error naming the offending field.
struct use_case_parse_result {
    /// The use cases read, in document order (empty on error).
    std::vector<use_case> use_cases;
    /// Empty on success; else json_error::message(): "use cases JSON: <JSONPath>: <what was
    /// wrong>", e.g. `use cases JSON: $.use_cases[1].thresholds[0].bound: missing`.
    std::string error;

    /// True when the document was read without error.
    [[nodiscard]] bool ok() const noexcept {
        return error.empty();
    }
};

namespace detail {

// Reads a positive integer that fits in 32 bits.
inline bool read_count(json_reader& in, const boost::json::value& v, const std::string& path,
                       std::uint32_t& out) {
    if (!in.ok())
        return false;
    double d = 0.0;
    if (v.is_int64())
        d = static_cast<double>(v.get_int64());
    else if (v.is_uint64())
        d = static_cast<double>(v.get_uint64());
    else if (v.is_double())
        d = v.get_double();
    else
        return in.fail(path, "expected a positive integer, got " + json_kind(v));
    if (!(d >= 1.0) || d > 4294967295.0 || std::floor(d) != d)
        return in.fail(path, "expected a positive integer, got " + boost::json::serialize(v));
    out = static_cast<std::uint32_t>(d);
    return true;
}

inline bool read_text(json_reader& in, const boost::json::value& v, const std::string& path,
                      std::string& out) {
    if (!in.ok())
        return false;
    if (!v.is_string())
        return in.fail(path, "expected a string, got " + json_kind(v));
    out.assign(v.get_string().data(), v.get_string().size());
    return true;
}

inline std::string known_names(std::span<const std::string_view> names) {
    std::string s;
    for (std::string_view n : names) {
        if (!s.empty())
            s += ", ";
        s += n;
    }
    return s;
}

inline bool read_threshold(json_reader& in, const boost::json::value& v, const std::string& path,
                           threshold& out) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr || !in.only(*o, {"metric", "statistic", "comparison", "bound"}, path,
                                 "metric, statistic, comparison, bound"))
        return false;
    std::string text;
    const boost::json::value* m = in.member(*o, "metric", path);
    if (m == nullptr || !read_text(in, *m, path + ".metric", text))
        return false;
    const std::optional<metric> which = metric_from_name(text);
    if (!which) {
        std::vector<std::string_view> names;
        for (metric x : all_metrics)
            names.push_back(metric_name(x));
        return in.fail(path + ".metric",
                       "unknown metric \"" + text + "\" (known: " + known_names(names) + ")");
    }
    out.what = *which;
    out.stat = statistic::mean;
    if (const boost::json::value* s = o->if_contains("statistic")) {
        if (!read_text(in, *s, path + ".statistic", text))
            return false;
        const std::optional<statistic> st = statistic_from_name(text);
        if (!st) {
            std::vector<std::string_view> names;
            for (statistic x : all_statistics)
                names.push_back(statistic_name(x));
            return in.fail(path + ".statistic", "unknown statistic \"" + text +
                                                    "\" (known: " + known_names(names) + ")");
        }
        out.stat = *st;
    }
    out.cmp = higher_is_better(out.what) ? comparison::greater : comparison::less;
    if (const boost::json::value* c = o->if_contains("comparison")) {
        if (!read_text(in, *c, path + ".comparison", text))
            return false;
        const std::optional<comparison> cmp = comparison_from_name(text);
        if (!cmp)
            return in.fail(path + ".comparison",
                           "unknown comparison \"" + text + "\" (known: less, greater, <, >)");
        out.cmp = *cmp;
    }
    const boost::json::value* b = in.member(*o, "bound", path);
    if (b == nullptr)
        return false;
    if (!b->is_number())
        return in.fail(path + ".bound", "expected a number, got " + json_kind(*b));
    out.bound = b->to_number<double>();
    if (!std::isfinite(out.bound))
        return in.fail(path + ".bound", "expected a finite number");
    return true;
}

inline bool read_sessions_impl(json_reader& in, const boost::json::value& v,
                               const std::string& path, session_workload& out) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr ||
        !in.only(*o,
                 {"turns", "think_time", "system_prompt_tokens", "groups", "turn_tokens_sigma",
                  "prefix_caching"},
                 path,
                 "turns, think_time, system_prompt_tokens, groups, turn_tokens_sigma, "
                 "prefix_caching"))
        return false;
    const boost::json::value* turns = in.member(*o, "turns", path);
    if (turns == nullptr || !read_count(in, *turns, path + ".turns", out.turns))
        return false;
    if (const boost::json::value* t = o->if_contains("think_time")) {
        std::string text;
        if (!read_text(in, *t, path + ".think_time", text))
            return false;
        std::string why;
        const std::optional<think_time> think = parse_think_time(text, why);
        if (!think)
            return in.fail(path + ".think_time", why);
        out.think = *think;
    }
    if (!in.optional_field(*o, "system_prompt_tokens", path, out.system_prompt_tokens))
        return false;
    if (const boost::json::value* g = o->if_contains("groups"))
        if (!read_count(in, *g, path + ".groups", out.groups))
            return false;
    if (!in.optional_field(*o, "turn_tokens_sigma", path, out.turn_tokens_sigma))
        return false;
    if (!(out.turn_tokens_sigma >= 0.0 && out.turn_tokens_sigma <= 4.0))
        return in.fail(path + ".turn_tokens_sigma", "expected a number in [0, 4]");
    return in.optional_field(*o, "prefix_caching", path, out.prefix_caching);
}

} // namespace detail

/// Reads a session workload (the `sessions` object of the format above) at `path` through
/// `in`; false after recording the first error.
inline bool read_session_workload(json_reader& in, const boost::json::value& v,
                                  const std::string& path, session_workload& out) {
    return detail::read_sessions_impl(in, v, path, out);
}

/// A session workload as the `sessions` object of the format above.
[[nodiscard]] inline boost::json::object to_json(const session_workload& w) {
    return boost::json::object{{"turns", w.turns},
                               {"think_time", w.think.to_string()},
                               {"system_prompt_tokens", w.system_prompt_tokens},
                               {"groups", w.groups},
                               {"turn_tokens_sigma", w.turn_tokens_sigma},
                               {"prefix_caching", w.prefix_caching}};
}

/**
 * Reads one use case (format above) at `path` through `in`; false after recording the first
 * error. Documents that embed use cases (results.json, sweep plans) read them with it, so an
 * error names the field within the whole document.
 */
inline bool read_use_case(json_reader& in, const boost::json::value& v, const std::string& path,
                          use_case& out) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr ||
        !in.only(*o, {"name", "title", "context_tokens", "output_tokens", "thresholds", "sessions"},
                 path, "name, title, context_tokens, output_tokens, thresholds, sessions"))
        return false;
    const boost::json::value* name = in.member(*o, "name", path);
    if (name == nullptr || !detail::read_text(in, *name, path + ".name", out.name))
        return false;
    if (out.name.empty())
        return in.fail(path + ".name", "must not be empty");
    out.title = out.name;
    if (const boost::json::value* title = o->if_contains("title"))
        if (!detail::read_text(in, *title, path + ".title", out.title))
            return false;
    const boost::json::value* context = in.member(*o, "context_tokens", path);
    if (context == nullptr ||
        !detail::read_count(in, *context, path + ".context_tokens", out.context_tokens))
        return false;
    const boost::json::value* output = in.member(*o, "output_tokens", path);
    if (output == nullptr ||
        !detail::read_count(in, *output, path + ".output_tokens", out.output_tokens))
        return false;
    const boost::json::value* tv = in.member(*o, "thresholds", path);
    const boost::json::array* thresholds =
        tv == nullptr ? nullptr : in.array(*tv, path + ".thresholds");
    if (thresholds == nullptr)
        return false;
    if (thresholds->empty())
        return in.fail(path + ".thresholds", "must hold at least one threshold");
    out.thresholds.clear();
    for (std::size_t i = 0; i < thresholds->size(); ++i) {
        threshold limit;
        if (!detail::read_threshold(in, (*thresholds)[i],
                                    path + ".thresholds[" + std::to_string(i) + "]", limit))
            return false;
        out.thresholds.push_back(limit);
    }
    out.sessions.reset();
    if (const boost::json::value* sv = o->if_contains("sessions")) {
        session_workload w;
        if (!detail::read_sessions_impl(in, *sv, path + ".sessions", w))
            return false;
        out.sessions = w;
    }
    return true;
}

/// Reads use cases from a parsed document (format above): `{"use_cases": [...]}` or the array.
[[nodiscard]] inline json_result<std::vector<use_case>>
use_cases_from_json(const boost::json::value& document) {
    json_reader in("use cases JSON");
    const boost::json::array* list = nullptr;
    std::string prefix = "$";
    if (document.is_array()) {
        list = &document.get_array();
    } else if (const boost::json::object* o = document.if_object()) {
        if (!in.only(*o, {"use_cases"}, prefix, "use_cases"))
            return in.error();
        const boost::json::value* u = in.member(*o, "use_cases", prefix);
        prefix = "$.use_cases";
        list = u == nullptr ? nullptr : in.array(*u, prefix);
        if (list == nullptr)
            return in.error();
    } else {
        in.fail(prefix, "expected an object or an array, got " + json_kind(document));
        return in.error();
    }
    std::vector<use_case> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        use_case uc;
        if (!read_use_case(in, (*list)[i], prefix + "[" + std::to_string(i) + "]", uc))
            return in.error();
        out.push_back(std::move(uc));
    }
    return out;
}

/// Reads use cases from JSON text (format above), numbers exact (parse_json). Never throws on
/// bad input: the error names the byte offset of a syntax error, or the JSONPath of the
/// offending field.
[[nodiscard]] inline use_case_parse_result parse_use_cases(std::string_view json) {
    use_case_parse_result result;
    const json_result<boost::json::value> document = parse_json(json, "use cases JSON");
    if (!document) {
        result.error = document.error().message();
        return result;
    }
    json_result<std::vector<use_case>> read = use_cases_from_json(*document);
    if (read)
        result.use_cases = std::move(*read);
    else
        result.error = read.error().message();
    return result;
}

/// A use case as a JSON object in the format parse_use_cases reads.
[[nodiscard]] inline boost::json::object to_json(const use_case& uc) {
    boost::json::array thresholds;
    for (const threshold& t : uc.thresholds)
        thresholds.push_back(boost::json::object{{"metric", metric_name(t.what)},
                                                 {"statistic", statistic_name(t.stat)},
                                                 {"comparison", comparison_name(t.cmp)},
                                                 {"bound", t.bound}});
    boost::json::object o{{"name", uc.name},
                          {"title", uc.title},
                          {"context_tokens", uc.context_tokens},
                          {"output_tokens", uc.output_tokens},
                          {"thresholds", std::move(thresholds)}};
    if (uc.sessions)
        o["sessions"] = to_json(*uc.sessions);
    return o;
}

/// Use cases as a JSON document `{"use_cases": [...]}` that parse_use_cases reads back.
[[nodiscard]] inline std::string serialize_use_cases(std::span<const use_case> use_cases) {
    boost::json::array list;
    for (const use_case& uc : use_cases)
        list.push_back(to_json(uc));
    return boost::json::serialize(boost::json::object{{"use_cases", std::move(list)}});
}

} // namespace llmcap::analysis
