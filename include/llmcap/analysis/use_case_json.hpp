#pragma once

#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/use_case.hpp>

#include <boost/json.hpp>

#include <cmath>       // isfinite, floor
#include <cstdint>     // uint32_t, int64_t, uint64_t
#include <optional>    // optional
#include <span>        // span
#include <string>      // string
#include <string_view> // string_view
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
 *       ]
 *     }
 *
 * `statistic` defaults to "mean"; `comparison` ("less"/"<" or "greater"/">") defaults to
 * "greater" for metrics where higher is better and "less" otherwise. Unknown fields are errors,
 * so a misspelt field is never silently ignored.
 */
namespace llmcap::analysis {

/// The outcome of parse_use_cases: the use cases, or an error naming the offending field.
struct use_case_parse_result {
    /// The use cases read, in document order (empty on error).
    std::vector<use_case> use_cases;
    /// Empty on success; else "use cases JSON: <path>: <what was wrong>", where path is like
    /// `use_cases[1].thresholds[0].bound`.
    std::string error;

    /// True when the document was read without error.
    [[nodiscard]] bool ok() const noexcept {
        return error.empty();
    }
};

namespace detail {

inline std::string use_case_error(const std::string& path, std::string_view what) {
    std::string s = "use cases JSON: ";
    s += path;
    s += ": ";
    s += what;
    return s;
}

/// The JSON kind of a value with its article ("an object", "a number", "null"), for messages;
/// the sweep layer's JSON readers use it too.
[[nodiscard]] inline std::string json_kind(const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null:
        return "null";
    case boost::json::kind::bool_:
        return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
        return "a number";
    case boost::json::kind::string:
        return "a string";
    case boost::json::kind::array:
        return "an array";
    case boost::json::kind::object:
        return "an object";
    }
    return "a value";
}

// Reads a positive integer that fits in 32 bits; sets `error` otherwise.
inline std::uint32_t read_count(const boost::json::value& v, const std::string& path,
                                std::string& error) {
    double d = 0.0;
    if (v.is_int64())
        d = static_cast<double>(v.get_int64());
    else if (v.is_uint64())
        d = static_cast<double>(v.get_uint64());
    else if (v.is_double())
        d = v.get_double();
    else {
        error = use_case_error(path, "expected a positive integer, got " + json_kind(v));
        return 0;
    }
    if (!(d >= 1.0) || d > 4294967295.0 || std::floor(d) != d) {
        error =
            use_case_error(path, "expected a positive integer, got " + boost::json::serialize(v));
        return 0;
    }
    return static_cast<std::uint32_t>(d);
}

inline std::optional<std::string_view> read_string(const boost::json::value& v,
                                                   const std::string& path, std::string& error) {
    if (!v.is_string()) {
        error = use_case_error(path, "expected a string, got " + json_kind(v));
        return std::nullopt;
    }
    const boost::json::string& s = v.get_string();
    return std::string_view(s.data(), s.size());
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

inline bool read_threshold(const boost::json::value& v, const std::string& path, threshold& out,
                           std::string& error) {
    if (!v.is_object()) {
        error = use_case_error(path, "expected an object, got " + json_kind(v));
        return false;
    }
    const boost::json::object& o = v.as_object();
    for (const auto& kv : o) {
        const std::string_view key(kv.key().data(), kv.key().size());
        if (key != "metric" && key != "statistic" && key != "comparison" && key != "bound") {
            error = use_case_error(path + "." + std::string(key),
                                   "unknown field (expected metric, statistic, comparison, bound)");
            return false;
        }
    }
    const boost::json::value* m = o.if_contains("metric");
    if (m == nullptr) {
        error = use_case_error(path + ".metric", "missing");
        return false;
    }
    const std::optional<std::string_view> metric_text = read_string(*m, path + ".metric", error);
    if (!metric_text)
        return false;
    const std::optional<metric> which = metric_from_name(*metric_text);
    if (!which) {
        std::vector<std::string_view> names;
        for (metric x : all_metrics)
            names.push_back(metric_name(x));
        error = use_case_error(path + ".metric", "unknown metric \"" + std::string(*metric_text) +
                                                     "\" (known: " + known_names(names) + ")");
        return false;
    }
    out.what = *which;
    out.stat = statistic::mean;
    if (const boost::json::value* s = o.if_contains("statistic")) {
        const std::optional<std::string_view> text = read_string(*s, path + ".statistic", error);
        if (!text)
            return false;
        const std::optional<statistic> st = statistic_from_name(*text);
        if (!st) {
            std::vector<std::string_view> names;
            for (statistic x : all_statistics)
                names.push_back(statistic_name(x));
            error =
                use_case_error(path + ".statistic", "unknown statistic \"" + std::string(*text) +
                                                        "\" (known: " + known_names(names) + ")");
            return false;
        }
        out.stat = *st;
    }
    out.cmp = higher_is_better(out.what) ? comparison::greater : comparison::less;
    if (const boost::json::value* c = o.if_contains("comparison")) {
        const std::optional<std::string_view> text = read_string(*c, path + ".comparison", error);
        if (!text)
            return false;
        const std::optional<comparison> cmp = comparison_from_name(*text);
        if (!cmp) {
            error =
                use_case_error(path + ".comparison", "unknown comparison \"" + std::string(*text) +
                                                         "\" (known: less, greater, <, >)");
            return false;
        }
        out.cmp = *cmp;
    }
    const boost::json::value* b = o.if_contains("bound");
    if (b == nullptr) {
        error = use_case_error(path + ".bound", "missing");
        return false;
    }
    if (!b->is_number()) {
        error = use_case_error(path + ".bound", "expected a number, got " + json_kind(*b));
        return false;
    }
    out.bound = b->to_number<double>();
    if (!std::isfinite(out.bound)) {
        error = use_case_error(path + ".bound", "expected a finite number");
        return false;
    }
    return true;
}

inline bool read_use_case(const boost::json::value& v, const std::string& path, use_case& out,
                          std::string& error) {
    if (!v.is_object()) {
        error = use_case_error(path, "expected an object, got " + json_kind(v));
        return false;
    }
    const boost::json::object& o = v.as_object();
    for (const auto& kv : o) {
        const std::string_view key(kv.key().data(), kv.key().size());
        if (key != "name" && key != "title" && key != "context_tokens" && key != "output_tokens" &&
            key != "thresholds") {
            error = use_case_error(path + "." + std::string(key),
                                   "unknown field (expected name, title, context_tokens, "
                                   "output_tokens, thresholds)");
            return false;
        }
    }
    const auto required = [&](const char* field) -> const boost::json::value* {
        const boost::json::value* f = o.if_contains(field);
        if (f == nullptr)
            error = use_case_error(path + "." + field, "missing");
        return f;
    };
    const boost::json::value* name = required("name");
    if (name == nullptr)
        return false;
    const std::optional<std::string_view> name_text = read_string(*name, path + ".name", error);
    if (!name_text)
        return false;
    if (name_text->empty()) {
        error = use_case_error(path + ".name", "must not be empty");
        return false;
    }
    out.name = std::string(*name_text);
    out.title = out.name;
    if (const boost::json::value* title = o.if_contains("title")) {
        const std::optional<std::string_view> t = read_string(*title, path + ".title", error);
        if (!t)
            return false;
        out.title = std::string(*t);
    }
    const boost::json::value* context = required("context_tokens");
    if (context == nullptr)
        return false;
    out.context_tokens = read_count(*context, path + ".context_tokens", error);
    if (!error.empty())
        return false;
    const boost::json::value* output = required("output_tokens");
    if (output == nullptr)
        return false;
    out.output_tokens = read_count(*output, path + ".output_tokens", error);
    if (!error.empty())
        return false;
    const boost::json::value* thresholds = required("thresholds");
    if (thresholds == nullptr)
        return false;
    if (!thresholds->is_array()) {
        error = use_case_error(path + ".thresholds",
                               "expected an array, got " + json_kind(*thresholds));
        return false;
    }
    if (thresholds->get_array().empty()) {
        error = use_case_error(path + ".thresholds", "must hold at least one threshold");
        return false;
    }
    out.thresholds.clear();
    std::size_t i = 0;
    for (const boost::json::value& t : thresholds->get_array()) {
        threshold limit;
        if (!read_threshold(t, path + ".thresholds[" + std::to_string(i) + "]", limit, error))
            return false;
        out.thresholds.push_back(limit);
        ++i;
    }
    return true;
}

} // namespace detail

/// Reads use cases from JSON text (format above). Never throws on bad input: the error names
/// the byte offset of a syntax error, or the path of the offending field.
[[nodiscard]] inline use_case_parse_result parse_use_cases(std::string_view json) {
    use_case_parse_result result;
    boost::json::stream_parser parser;
    boost::system::error_code ec;
    const std::size_t consumed = parser.write(json.data(), json.size(), ec);
    if (!ec)
        parser.finish(ec);
    if (ec) {
        result.error = "use cases JSON: syntax error at byte " + std::to_string(consumed) + ": " +
                       ec.message();
        return result;
    }
    const boost::json::value document = parser.release();
    const boost::json::array* list = nullptr;
    std::string prefix;
    if (document.is_array()) {
        list = &document.get_array();
    } else if (document.is_object()) {
        const boost::json::object& o = document.get_object();
        for (const auto& kv : o) {
            const std::string_view key(kv.key().data(), kv.key().size());
            if (key != "use_cases") {
                result.error =
                    detail::use_case_error(std::string(key), "unknown field (expected use_cases)");
                return result;
            }
        }
        const boost::json::value* u = o.if_contains("use_cases");
        if (u == nullptr) {
            result.error = detail::use_case_error("use_cases", "missing");
            return result;
        }
        if (!u->is_array()) {
            result.error = detail::use_case_error("use_cases", "expected an array, got " +
                                                                   detail::json_kind(*u));
            return result;
        }
        list = &u->get_array();
        prefix = "use_cases";
    } else {
        result.error =
            "use cases JSON: expected an object or an array, got " + detail::json_kind(document);
        return result;
    }
    std::size_t i = 0;
    for (const boost::json::value& v : *list) {
        use_case uc;
        if (!detail::read_use_case(v, prefix + "[" + std::to_string(i) + "]", uc, result.error)) {
            result.use_cases.clear();
            return result;
        }
        result.use_cases.push_back(std::move(uc));
        ++i;
    }
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
    return boost::json::object{{"name", uc.name},
                               {"title", uc.title},
                               {"context_tokens", uc.context_tokens},
                               {"output_tokens", uc.output_tokens},
                               {"thresholds", std::move(thresholds)}};
}

/// Use cases as a JSON document `{"use_cases": [...]}` that parse_use_cases reads back.
[[nodiscard]] inline std::string serialize_use_cases(std::span<const use_case> use_cases) {
    boost::json::array list;
    for (const use_case& uc : use_cases)
        list.push_back(to_json(uc));
    return boost::json::serialize(boost::json::object{{"use_cases", std::move(list)}});
}

} // namespace llmcap::analysis
