#pragma once

#include <llmcap/report/reporter.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/sweep/result_json.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>     // size_t
#include <ostream>     // ostream
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::report {

/**
 * Writes JSON with two-space indentation, one member or element per line, members in their
 * stored order, scalars as Boost.JSON serializes them. Deterministic for a given value.
 */
inline void write_pretty_json(std::ostream& out, const boost::json::value& v,
                              std::size_t depth = 0) {
    const std::string indent((depth + 1) * 2, ' ');
    const std::string close(depth * 2, ' ');
    if (const boost::json::object* o = v.if_object()) {
        if (o->empty()) {
            out << "{}";
            return;
        }
        out << "{\n";
        std::size_t i = 0;
        for (const auto& kv : *o) {
            out << indent << boost::json::serialize(boost::json::value(kv.key())) << ": ";
            write_pretty_json(out, kv.value(), depth + 1);
            out << (++i < o->size() ? ",\n" : "\n");
        }
        out << close << "}";
        return;
    }
    if (const boost::json::array* a = v.if_array()) {
        if (a->empty()) {
            out << "[]";
            return;
        }
        bool scalars = true;
        for (const boost::json::value& e : *a)
            scalars = scalars && !e.is_object() && !e.is_array();
        if (scalars) {
            // Short arrays of numbers stay on one line.
            out << boost::json::serialize(v);
            return;
        }
        out << "[\n";
        for (std::size_t i = 0; i < a->size(); ++i) {
            out << indent;
            write_pretty_json(out, (*a)[i], depth + 1);
            out << (i + 1 < a->size() ? ",\n" : "\n");
        }
        out << close << "]";
        return;
    }
    out << boost::json::serialize(v);
}

/// Writes `results.json`: the whole sweep result with its `schema_version`
/// (docs/results-schema.md), indented for reading.
class json_reporter {
public:
    /// "results.json".
    [[nodiscard]] std::string_view file_name() const noexcept {
        return "results.json";
    }

    /// Writes the result as indented JSON followed by a newline.
    void write(const sweep::sweep_result& result, std::ostream& out) const {
        write_pretty_json(out, boost::json::value(sweep::to_json(result)));
        out << '\n';
    }
};

static_assert(reporter<json_reporter>);

} // namespace llmcap::report
