#pragma once

#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/stats/error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cmath>       // isfinite, isnan
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t, int64_t
#include <limits>      // numeric_limits
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move

// The field readers of the statistics' JSON (stats/json.hpp), on the shared json_reader
// (core/json_reader.hpp): each failure carries the stats::error that classifies it and the
// JSONPath of the field. Doubles are decimal strings (json_decimal_or_null) or numbers.
namespace llmcap::stats::detail {

/// Records `e` at `path` and returns the reader's first error.
inline json_error failure(json_reader& in, const std::string& path, error e) {
    in.fail(path, e);
    return in.error();
}

inline const boost::json::object* json_object(const boost::json::value& v, json_reader& in,
                                              const std::string& path) {
    if (const auto* o = v.if_object()) {
        return o;
    }
    in.fail(path, error::wrong_type);
    return nullptr;
}

inline const boost::json::array* json_array(const boost::json::value& v, json_reader& in,
                                            const std::string& path) {
    if (const auto* a = v.if_array()) {
        return a;
    }
    in.fail(path, error::wrong_type);
    return nullptr;
}

inline const boost::json::value* json_member(const boost::json::object& o, std::string_view key,
                                             json_reader& in, const std::string& path) {
    if (const auto* v = o.if_contains(key)) {
        return v;
    }
    in.fail(path + "." + std::string(key), error::missing_field);
    return nullptr;
}

inline bool read_u64(const boost::json::value& v, std::uint64_t& out, json_reader& in,
                     const std::string& path, error negative = error::negative_count) {
    if (v.is_uint64()) {
        out = v.get_uint64();
        return true;
    }
    if (v.is_int64()) {
        if (v.get_int64() < 0) {
            return in.fail(path, negative);
        }
        out = static_cast<std::uint64_t>(v.get_int64());
        return true;
    }
    return in.fail(path, error::wrong_type);
}

inline bool read_i64(const boost::json::value& v, std::int64_t& out, json_reader& in,
                     const std::string& path) {
    if (v.is_int64()) {
        out = v.get_int64();
        return true;
    }
    if (v.is_uint64()) {
        return in.fail(path, error::index_out_of_range); // above INT64_MAX
    }
    return in.fail(path, error::wrong_type);
}

/// A finite double from a string (exact) or a number; null gives NaN when allow_null.
inline bool read_double(const boost::json::value& v, double& out, json_reader& in,
                        const std::string& path, bool allow_null = false) {
    if (v.is_null() && allow_null) {
        out = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    if (const auto* s = v.if_string()) {
        return json_decimal_to_double(std::string_view(s->data(), s->size()), out)
                   ? true
                   : in.fail(path, error::invalid_value);
    }
    if (v.is_double() || v.is_int64() || v.is_uint64()) {
        out = v.to_number<double>();
        return std::isfinite(out) ? true : in.fail(path, error::invalid_value);
    }
    return in.fail(path, error::wrong_type);
}

inline bool read_bool(const boost::json::value& v, bool& out, json_reader& in,
                      const std::string& path) {
    if (!v.is_bool()) {
        return in.fail(path, error::wrong_type);
    }
    out = v.get_bool();
    return true;
}

inline bool checked_add(std::uint64_t& total, std::uint64_t x) noexcept {
    if (x > std::numeric_limits<std::uint64_t>::max() - total) {
        return false;
    }
    total += x;
    return true;
}

/// Checks "kind" and "version"; returns the object or nullptr.
inline const boost::json::object* json_header(const boost::json::value& v, std::string_view kind,
                                              json_reader& in, const std::string& path) {
    const auto* o = json_object(v, in, path);
    if (o == nullptr) {
        return nullptr;
    }
    const auto* k = json_member(*o, "kind", in, path);
    if (k == nullptr) {
        return nullptr;
    }
    if (!k->is_string()) {
        in.fail(path + ".kind", error::wrong_type);
        return nullptr;
    }
    if (k->get_string() != kind) {
        in.fail(path + ".kind", error::wrong_kind);
        return nullptr;
    }
    const auto* ver = json_member(*o, "version", in, path);
    std::uint64_t version = 0;
    if (ver == nullptr ||
        !read_u64(*ver, version, in, path + ".version", error::unsupported_version)) {
        return nullptr;
    }
    if (version != 1) {
        in.fail(path + ".version", error::unsupported_version);
        return nullptr;
    }
    return o;
}

/// Reads a field of o into out with reader; false on error.
template <class T, class Reader>
bool read_field(const boost::json::object& o, std::string_view key, T& out, json_reader& in,
                const std::string& path, Reader reader) {
    const auto* v = json_member(o, key, in, path);
    return v != nullptr && reader(*v, out, in, path + "." + std::string(key));
}

/// Appends runs of consecutive non-zero counts; count_at(i) for i in [first, last].
template <class Index, class CountAt>
boost::json::array bucket_runs(Index first, Index last, CountAt count_at) {
    boost::json::array runs;
    Index i = first;
    while (i <= last) {
        if (count_at(i) == 0) {
            ++i;
            continue;
        }
        boost::json::array run;
        run.emplace_back(i);
        while (i <= last && count_at(i) != 0) {
            run.emplace_back(count_at(i));
            ++i;
        }
        runs.emplace_back(std::move(run));
    }
    return runs;
}

/**
 * Reads runs [first_index, count, ...] and calls store(index, count) for each count; indices
 * must increase across runs and lie in [lowest, highest]. Adds the counts to total.
 */
template <class Store>
bool read_bucket_runs(const boost::json::value& v, std::int64_t lowest, std::int64_t highest,
                      std::uint64_t& total, json_reader& in, const std::string& path, Store store) {
    const auto* runs = json_array(v, in, path);
    if (runs == nullptr) {
        return false;
    }
    bool first_run = true;
    std::int64_t next_free = 0; // smallest index a later run may start at
    for (std::size_t r = 0; r < runs->size(); ++r) {
        const std::string run_path = path + "[" + std::to_string(r) + "]";
        const auto* run = json_array((*runs)[r], in, run_path);
        if (run == nullptr) {
            return false;
        }
        if (run->size() < 2) {
            return in.fail(run_path, error::wrong_type);
        }
        std::int64_t start = 0;
        if (!read_i64((*run)[0], start, in, run_path + "[0]")) {
            return false;
        }
        if (start < lowest || start > highest) {
            return in.fail(run_path + "[0]", error::index_out_of_range);
        }
        if (!first_run && start < next_free) {
            return in.fail(run_path + "[0]", error::unordered_buckets);
        }
        const auto length = static_cast<std::int64_t>(run->size() - 1);
        if (length - 1 > highest - start) {
            return in.fail(run_path, error::index_out_of_range);
        }
        for (std::size_t j = 1; j < run->size(); ++j) {
            std::uint64_t c = 0;
            const std::string count_path = run_path + "[" + std::to_string(j) + "]";
            if (!read_u64((*run)[j], c, in, count_path)) {
                return false;
            }
            if (!checked_add(total, c)) {
                return in.fail(count_path, error::count_mismatch);
            }
            store(start + static_cast<std::int64_t>(j - 1), c);
        }
        next_free = start + length;
        first_run = false;
    }
    return true;
}

/// The tallies every sketch serializes.
struct sketch_tallies {
    std::uint64_t count = 0;
    std::uint64_t underflow = 0;
    std::uint64_t overflow = 0;
    std::uint64_t invalid = 0;
    double min = 0.0;
    double max = 0.0;
};

inline bool read_tallies(const boost::json::object& o, sketch_tallies& t, json_reader& in,
                         const std::string& path) {
    const auto u64 = [](const boost::json::value& v, std::uint64_t& out, json_reader& c,
                        const std::string& p) { return read_u64(v, out, c, p); };
    const auto dbl = [](const boost::json::value& v, double& out, json_reader& c,
                        const std::string& p) { return read_double(v, out, c, p, true); };
    if (!read_field(o, "count", t.count, in, path, u64) ||
        !read_field(o, "underflow", t.underflow, in, path, u64) ||
        !read_field(o, "overflow", t.overflow, in, path, u64) ||
        !read_field(o, "invalid", t.invalid, in, path, u64) ||
        !read_field(o, "min", t.min, in, path, dbl) ||
        !read_field(o, "max", t.max, in, path, dbl)) {
        return false;
    }
    if (t.count == 0) {
        if (!std::isnan(t.min)) {
            return in.fail(path + ".min", error::inconsistent_state);
        }
        if (!std::isnan(t.max)) {
            return in.fail(path + ".max", error::inconsistent_state);
        }
        t.min = std::numeric_limits<double>::infinity();
        t.max = -std::numeric_limits<double>::infinity();
        return true;
    }
    if (std::isnan(t.min) || t.min < 0.0) {
        return in.fail(path + ".min", error::invalid_value);
    }
    if (std::isnan(t.max) || t.max < t.min) {
        return in.fail(path + ".max", error::invalid_value);
    }
    std::uint64_t outside = t.underflow;
    if (!checked_add(outside, t.overflow) || outside > t.count) {
        return in.fail(path + ".count", error::count_mismatch);
    }
    return true;
}

inline void write_tallies(boost::json::object& o, std::uint64_t count, std::uint64_t underflow,
                          std::uint64_t overflow, std::uint64_t invalid, double min, double max) {
    o["count"] = count;
    o["underflow"] = underflow;
    o["overflow"] = overflow;
    o["invalid"] = invalid;
    o["min"] = json_decimal_or_null(min);
    o["max"] = json_decimal_or_null(max);
}

} // namespace llmcap::stats::detail
