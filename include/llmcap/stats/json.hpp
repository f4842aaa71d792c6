#pragma once

#include <llmcap/stats/error.hpp>
#include <llmcap/stats/exact_quantiles.hpp>
#include <llmcap/stats/log_bucket_sketch.hpp>
#include <llmcap/stats/log_linear_histogram.hpp>
#include <llmcap/stats/running_moments.hpp>
#include <llmcap/stats/summary.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <array>        // array
#include <bit>          // bit_cast
#include <charconv>     // to_chars, from_chars
#include <cmath>        // isfinite
#include <cstddef>      // size_t
#include <cstdint>      // uint64_t, int64_t
#include <limits>       // numeric_limits
#include <stdexcept>    // invalid_argument
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // error_code, system_error
#include <type_traits>  // is_same_v, remove_cvref_t
#include <utility>      // move, declval
#include <vector>       // vector

/**
 * JSON serialization of the statistics types (Boost.JSON), so that cells recorded in different
 * processes can be merged and re-analysed later. The core sketches do not include this header.
 *
 * Every object carries "kind" (the type name) and "version" (1). Doubles are written as JSON
 * strings holding the shortest decimal that reads back to the same double (std::to_chars),
 * because Boost.JSON 1.81 does not parse every number to the nearest double; on input a plain
 * JSON number is accepted as well. Counts are JSON integers. Buckets are sparse: an array of
 * runs [first_index, count, count, ...] of consecutive buckets, in increasing index order.
 *
 *   log_linear_histogram: lowest, highest, relative_error (the requested configuration),
 *     sub_bucket_bits, bucket_count (the layout they produce; checked), count, underflow,
 *     overflow, invalid, min, max (null when empty), sum ([high, low] 64-bit halves of the
 *     fixed-point sum), sum_saturated, buckets (index 0 = lowest bucket).
 *   log_bucket_sketch: relative_error, max_buckets, count, underflow, overflow, invalid,
 *     collapsed, min, max, sum ([[digit_index, digit], ...] of the exact sum), buckets (signed
 *     logarithmic indices).
 *   exact_quantiles: invalid, samples (array of doubles).
 *   running_moments: count, invalid, mean, m2, min, max.
 *   sample_statistics: invalid, sketch, moments.
 *
 * Reading never throws on bad input: it returns a json_error naming the problem and the
 * JSONPath of the field ("$.buckets[3][0]").
 */
namespace llmcap::stats {

/// Why and where deserialization failed.
struct json_error {
    std::error_code code; ///< an llmcap::stats::error
    std::string path;     ///< JSONPath of the offending field, "$" for the document itself

    /// e.g. "stats json: negative count at $.buckets[0][2]".
    [[nodiscard]] std::string message() const {
        return "stats json: " + code.message() + " at " + path;
    }
};

/// Lets boost::system::result<T, json_error>::value() throw std::system_error.
[[noreturn]] inline void throw_exception_from_error(const json_error& e,
                                                    const boost::source_location&) {
    throw std::system_error(e.code, e.message());
}

/// A deserialized value or the reason it could not be read.
template <class T>
using json_result = boost::system::result<T, json_error>;

namespace detail {

/// The first error met while reading, with its path.
struct json_context {
    json_error error;
    bool failed = false;

    bool fail(stats::error e, std::string path) {
        if (!failed) {
            error = {make_error_code(e), std::move(path)};
            failed = true;
        }
        return false;
    }
};

inline boost::json::value double_to_json(double x) {
    if (std::isnan(x)) {
        return nullptr;
    }
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
    return boost::json::string(buffer, static_cast<std::size_t>(end - buffer));
}

inline const boost::json::object* json_object(const boost::json::value& v, json_context& ctx,
                                              const std::string& path) {
    if (const auto* o = v.if_object()) {
        return o;
    }
    ctx.fail(error::wrong_type, path);
    return nullptr;
}

inline const boost::json::array* json_array(const boost::json::value& v, json_context& ctx,
                                            const std::string& path) {
    if (const auto* a = v.if_array()) {
        return a;
    }
    ctx.fail(error::wrong_type, path);
    return nullptr;
}

inline const boost::json::value* json_member(const boost::json::object& o, std::string_view key,
                                             json_context& ctx, const std::string& path) {
    if (const auto* v = o.if_contains(key)) {
        return v;
    }
    ctx.fail(error::missing_field, path + "." + std::string(key));
    return nullptr;
}

inline bool read_u64(const boost::json::value& v, std::uint64_t& out, json_context& ctx,
                     const std::string& path, error negative = error::negative_count) {
    if (v.is_uint64()) {
        out = v.get_uint64();
        return true;
    }
    if (v.is_int64()) {
        if (v.get_int64() < 0) {
            return ctx.fail(negative, path);
        }
        out = static_cast<std::uint64_t>(v.get_int64());
        return true;
    }
    return ctx.fail(error::wrong_type, path);
}

inline bool read_i64(const boost::json::value& v, std::int64_t& out, json_context& ctx,
                     const std::string& path) {
    if (v.is_int64()) {
        out = v.get_int64();
        return true;
    }
    if (v.is_uint64()) {
        return ctx.fail(error::index_out_of_range, path); // above INT64_MAX
    }
    return ctx.fail(error::wrong_type, path);
}

/// A finite double from a string (exact) or a number; null gives NaN when allow_null.
inline bool read_double(const boost::json::value& v, double& out, json_context& ctx,
                        const std::string& path, bool allow_null = false) {
    if (v.is_null() && allow_null) {
        out = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    if (const auto* s = v.if_string()) {
        const char* first = s->data();
        const char* last = first + s->size();
        const auto [end, ec] = std::from_chars(first, last, out);
        if (ec != std::errc{} || end != last || !std::isfinite(out)) {
            return ctx.fail(error::invalid_value, path);
        }
        return true;
    }
    if (v.is_double() || v.is_int64() || v.is_uint64()) {
        out = v.to_number<double>();
        return std::isfinite(out) ? true : ctx.fail(error::invalid_value, path);
    }
    return ctx.fail(error::wrong_type, path);
}

inline bool read_bool(const boost::json::value& v, bool& out, json_context& ctx,
                      const std::string& path) {
    if (!v.is_bool()) {
        return ctx.fail(error::wrong_type, path);
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
                                              json_context& ctx, const std::string& path) {
    const auto* o = json_object(v, ctx, path);
    if (o == nullptr) {
        return nullptr;
    }
    const auto* k = json_member(*o, "kind", ctx, path);
    if (k == nullptr) {
        return nullptr;
    }
    if (!k->is_string()) {
        ctx.fail(error::wrong_type, path + ".kind");
        return nullptr;
    }
    if (k->get_string() != kind) {
        ctx.fail(error::wrong_kind, path + ".kind");
        return nullptr;
    }
    const auto* ver = json_member(*o, "version", ctx, path);
    std::uint64_t version = 0;
    if (ver == nullptr ||
        !read_u64(*ver, version, ctx, path + ".version", error::unsupported_version)) {
        return nullptr;
    }
    if (version != 1) {
        ctx.fail(error::unsupported_version, path + ".version");
        return nullptr;
    }
    return o;
}

/// Reads a field of o into out with reader; false on error.
template <class T, class Reader>
bool read_field(const boost::json::object& o, std::string_view key, T& out, json_context& ctx,
                const std::string& path, Reader reader) {
    const auto* v = json_member(o, key, ctx, path);
    return v != nullptr && reader(*v, out, ctx, path + "." + std::string(key));
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
                      std::uint64_t& total, json_context& ctx, const std::string& path,
                      Store store) {
    const auto* runs = json_array(v, ctx, path);
    if (runs == nullptr) {
        return false;
    }
    bool first_run = true;
    std::int64_t next_free = 0; // smallest index a later run may start at
    for (std::size_t r = 0; r < runs->size(); ++r) {
        const std::string run_path = path + "[" + std::to_string(r) + "]";
        const auto* run = json_array((*runs)[r], ctx, run_path);
        if (run == nullptr) {
            return false;
        }
        if (run->size() < 2) {
            return ctx.fail(error::wrong_type, run_path);
        }
        std::int64_t start = 0;
        if (!read_i64((*run)[0], start, ctx, run_path + "[0]")) {
            return false;
        }
        if (start < lowest || start > highest) {
            return ctx.fail(error::index_out_of_range, run_path + "[0]");
        }
        if (!first_run && start < next_free) {
            return ctx.fail(error::unordered_buckets, run_path + "[0]");
        }
        const auto length = static_cast<std::int64_t>(run->size() - 1);
        if (length - 1 > highest - start) {
            return ctx.fail(error::index_out_of_range, run_path);
        }
        for (std::size_t j = 1; j < run->size(); ++j) {
            std::uint64_t c = 0;
            const std::string count_path = run_path + "[" + std::to_string(j) + "]";
            if (!read_u64((*run)[j], c, ctx, count_path)) {
                return false;
            }
            if (!checked_add(total, c)) {
                return ctx.fail(error::count_mismatch, count_path);
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

inline bool read_tallies(const boost::json::object& o, sketch_tallies& t, json_context& ctx,
                         const std::string& path) {
    const auto u64 = [](const boost::json::value& v, std::uint64_t& out, json_context& c,
                        const std::string& p) { return read_u64(v, out, c, p); };
    const auto dbl = [](const boost::json::value& v, double& out, json_context& c,
                        const std::string& p) { return read_double(v, out, c, p, true); };
    if (!read_field(o, "count", t.count, ctx, path, u64) ||
        !read_field(o, "underflow", t.underflow, ctx, path, u64) ||
        !read_field(o, "overflow", t.overflow, ctx, path, u64) ||
        !read_field(o, "invalid", t.invalid, ctx, path, u64) ||
        !read_field(o, "min", t.min, ctx, path, dbl) ||
        !read_field(o, "max", t.max, ctx, path, dbl)) {
        return false;
    }
    if (t.count == 0) {
        if (!std::isnan(t.min)) {
            return ctx.fail(error::inconsistent_state, path + ".min");
        }
        if (!std::isnan(t.max)) {
            return ctx.fail(error::inconsistent_state, path + ".max");
        }
        t.min = std::numeric_limits<double>::infinity();
        t.max = -std::numeric_limits<double>::infinity();
        return true;
    }
    if (std::isnan(t.min) || t.min < 0.0) {
        return ctx.fail(error::invalid_value, path + ".min");
    }
    if (std::isnan(t.max) || t.max < t.min) {
        return ctx.fail(error::invalid_value, path + ".max");
    }
    std::uint64_t outside = t.underflow;
    if (!checked_add(outside, t.overflow) || outside > t.count) {
        return ctx.fail(error::count_mismatch, path + ".count");
    }
    return true;
}

inline void write_tallies(boost::json::object& o, std::uint64_t count, std::uint64_t underflow,
                          std::uint64_t overflow, std::uint64_t invalid, double min, double max) {
    o["count"] = count;
    o["underflow"] = underflow;
    o["overflow"] = overflow;
    o["invalid"] = invalid;
    o["min"] = double_to_json(min);
    o["max"] = double_to_json(max);
}

/// Reaches the private state of the statistics types for (de)serialization.
struct json_access {
    static boost::json::value write(const log_linear_histogram& h) {
        boost::json::object o;
        o["kind"] = "log_linear_histogram";
        o["version"] = 1;
        o["lowest"] = double_to_json(h.config_.lowest);
        o["highest"] = double_to_json(h.config_.highest);
        o["relative_error"] = double_to_json(h.config_.relative_error);
        o["sub_bucket_bits"] = h.sub_bucket_bits_;
        o["bucket_count"] = h.bucket_count_;
        write_tallies(o, h.count(), h.underflow_, h.overflow_, h.invalid_, h.min(), h.max());
        o["sum"] = boost::json::array{h.sum_high_, h.sum_low_};
        o["sum_saturated"] = h.sum_saturated_;
        o["buckets"] =
            bucket_runs(std::int64_t{0}, static_cast<std::int64_t>(h.bucket_count_) - 1,
                        [&](std::int64_t i) { return h.counts_[static_cast<std::size_t>(i)]; });
        return o;
    }

    static json_result<log_linear_histogram> read_histogram(const boost::json::value& v,
                                                            const std::string& path) {
        json_context ctx;
        const auto* o = json_header(v, "log_linear_histogram", ctx, path);
        if (o == nullptr) {
            return ctx.error;
        }
        const auto dbl = [](const boost::json::value& x, double& out, json_context& c,
                            const std::string& p) { return read_double(x, out, c, p); };
        const auto u64 = [](const boost::json::value& x, std::uint64_t& out, json_context& c,
                            const std::string& p) {
            return read_u64(x, out, c, p, error::invalid_value);
        };
        log_linear_histogram_config config;
        std::uint64_t sub_bucket_bits = 0;
        std::uint64_t bucket_count = 0;
        if (!read_field(*o, "lowest", config.lowest, ctx, path, dbl) ||
            !read_field(*o, "highest", config.highest, ctx, path, dbl) ||
            !read_field(*o, "relative_error", config.relative_error, ctx, path, dbl) ||
            !read_field(*o, "sub_bucket_bits", sub_bucket_bits, ctx, path, u64) ||
            !read_field(*o, "bucket_count", bucket_count, ctx, path, u64)) {
            return ctx.error;
        }
        log_linear_histogram h = [&] {
            try {
                return log_linear_histogram(config);
            } catch (const std::invalid_argument&) {
                ctx.fail(error::invalid_config, path);
                return log_linear_histogram();
            }
        }();
        if (ctx.failed) {
            return ctx.error;
        }
        if (sub_bucket_bits != h.sub_bucket_bits_) {
            return json_error{make_error_code(error::config_mismatch), path + ".sub_bucket_bits"};
        }
        if (bucket_count != h.bucket_count_) {
            return json_error{make_error_code(error::config_mismatch), path + ".bucket_count"};
        }
        sketch_tallies t;
        if (!read_tallies(*o, t, ctx, path)) {
            return ctx.error;
        }
        std::array<std::uint64_t, 2> sum{};
        const auto* sum_v = json_member(*o, "sum", ctx, path);
        if (sum_v == nullptr) {
            return ctx.error;
        }
        const auto* sum_a = json_array(*sum_v, ctx, path + ".sum");
        if (sum_a == nullptr) {
            return ctx.error;
        }
        if (sum_a->size() != 2) {
            return json_error{make_error_code(error::wrong_type), path + ".sum"};
        }
        for (std::size_t i = 0; i < 2; ++i) {
            if (!read_u64((*sum_a)[i], sum[i], ctx, path + ".sum[" + std::to_string(i) + "]",
                          error::invalid_value)) {
                return ctx.error;
            }
        }
        bool saturated = false;
        if (!read_field(*o, "sum_saturated", saturated, ctx, path, read_bool)) {
            return ctx.error;
        }
        std::uint64_t bucketed = 0;
        const auto* runs = json_member(*o, "buckets", ctx, path);
        if (runs == nullptr ||
            !read_bucket_runs(*runs, 0, static_cast<std::int64_t>(h.bucket_count_) - 1, bucketed,
                              ctx, path + ".buckets", [&](std::int64_t i, std::uint64_t c) {
                                  h.counts_[static_cast<std::size_t>(i)] = c;
                              })) {
            return ctx.error;
        }
        std::uint64_t total = bucketed;
        if (!checked_add(total, t.underflow) || !checked_add(total, t.overflow) ||
            total != t.count) {
            return json_error{make_error_code(error::count_mismatch), path + ".count"};
        }
        // min and max must lie where the tallies and buckets say (quantile() relies on it).
        const double bottom = h.bucket_lower(0);
        const double top = h.bucket_lower(h.counts_.size());
        if (t.count != 0) {
            std::size_t first = 0;
            std::size_t last = h.counts_.size();
            if (bucketed != 0) {
                while (h.counts_[first] == 0) {
                    ++first;
                }
                while (h.counts_[last - 1] == 0) {
                    --last;
                }
                --last;
            }
            const bool min_ok = t.underflow != 0 ? t.min < bottom
                                : bucketed != 0  ? t.min >= h.bucket_lower(first) &&
                                                      t.min < h.bucket_lower(first + 1)
                                                : t.min >= top;
            const bool max_ok =
                t.overflow != 0 ? t.max >= top
                : bucketed != 0 ? t.max >= h.bucket_lower(last) && t.max < h.bucket_lower(last + 1)
                                : t.max < bottom;
            if (!min_ok) {
                return json_error{make_error_code(error::inconsistent_state), path + ".min"};
            }
            if (!max_ok) {
                return json_error{make_error_code(error::inconsistent_state), path + ".max"};
            }
        }
        h.underflow_ = t.underflow;
        h.overflow_ = t.overflow;
        h.invalid_ = t.invalid;
        h.min_ = t.min;
        h.max_ = t.max;
        h.sum_high_ = sum[0];
        h.sum_low_ = sum[1];
        h.sum_saturated_ = saturated;
        return h;
    }

    static boost::json::value write(const log_bucket_sketch& s) {
        boost::json::object o;
        o["kind"] = "log_bucket_sketch";
        o["version"] = 1;
        o["relative_error"] = double_to_json(s.config_.relative_error);
        o["max_buckets"] = s.config_.max_buckets;
        write_tallies(o, s.count_, s.underflow_, s.overflow_, s.invalid_, s.min(), s.max());
        o["collapsed"] = s.collapsed_;
        o["sum"] = write_exact_sum(s.sum_);
        o["buckets"] = s.bucketed_ == 0 ? boost::json::array()
                                        : bucket_runs(s.lo_, s.hi_, [&](std::int64_t i) {
                                              return s.counts_[s.position(i)];
                                          });
        return o;
    }

    static json_result<log_bucket_sketch> read_bucket_sketch(const boost::json::value& v,
                                                             const std::string& path) {
        json_context ctx;
        const auto* o = json_header(v, "log_bucket_sketch", ctx, path);
        if (o == nullptr) {
            return ctx.error;
        }
        log_bucket_sketch_config config;
        std::uint64_t max_buckets = 0;
        if (!read_field(*o, "relative_error", config.relative_error, ctx, path,
                        [](const boost::json::value& x, double& out, json_context& c,
                           const std::string& p) { return read_double(x, out, c, p); }) ||
            !read_field(*o, "max_buckets", max_buckets, ctx, path,
                        [](const boost::json::value& x, std::uint64_t& out, json_context& c,
                           const std::string& p) {
                            return read_u64(x, out, c, p, error::invalid_config);
                        })) {
            return ctx.error;
        }
        if (max_buckets > (std::uint64_t{1} << 20)) {
            return json_error{make_error_code(error::invalid_config), path + ".max_buckets"};
        }
        config.max_buckets = static_cast<std::size_t>(max_buckets);
        log_bucket_sketch s = [&] {
            try {
                return log_bucket_sketch(config);
            } catch (const std::invalid_argument&) {
                ctx.fail(error::invalid_config, path);
                return log_bucket_sketch();
            }
        }();
        if (ctx.failed) {
            return ctx.error;
        }
        sketch_tallies t;
        bool collapsed = false;
        if (!read_tallies(*o, t, ctx, path) ||
            !read_field(*o, "collapsed", collapsed, ctx, path, read_bool)) {
            return ctx.error;
        }
        const auto* sum_v = json_member(*o, "sum", ctx, path);
        if (sum_v == nullptr || !read_exact_sum(*sum_v, s.sum_, ctx, path + ".sum")) {
            return ctx.error;
        }
        // Indices of indexable doubles stay within ±(1100 / ln γ); allow the window around them.
        const auto limit = static_cast<std::int64_t>(1100.0 / s.log_gamma_) + s.window_;
        std::int64_t lo = 0;
        std::int64_t hi = 0;
        bool any = false;
        struct entry {
            std::int64_t index;
            std::uint64_t count;
        };
        std::vector<entry> entries;
        std::uint64_t bucketed = 0;
        const auto* runs = json_member(*o, "buckets", ctx, path);
        if (runs == nullptr ||
            !read_bucket_runs(*runs, -limit, limit, bucketed, ctx, path + ".buckets",
                              [&](std::int64_t i, std::uint64_t c) {
                                  if (c != 0) {
                                      lo = any ? lo : i;
                                      hi = i;
                                      any = true;
                                      entries.push_back({i, c});
                                  }
                              })) {
            return ctx.error;
        }
        if (any && hi - lo >= s.window_) {
            return json_error{make_error_code(error::index_out_of_range), path + ".buckets"};
        }
        std::uint64_t total = bucketed;
        if (!checked_add(total, t.underflow) || !checked_add(total, t.overflow) ||
            total != t.count) {
            return json_error{make_error_code(error::count_mismatch), path + ".count"};
        }
        if (collapsed && !any) {
            return json_error{make_error_code(error::inconsistent_state), path + ".collapsed"};
        }
        if (any) {
            s.lo_ = lo;
            s.hi_ = hi;
            s.offset_ = lo - (s.window_ - (hi - lo + 1)) / 2;
            for (const entry& e : entries) {
                s.counts_[s.position(e.index)] = e.count;
            }
        }
        s.bucketed_ = bucketed;
        s.collapsed_ = collapsed;
        s.count_ = t.count;
        s.underflow_ = t.underflow;
        s.overflow_ = t.overflow;
        s.invalid_ = t.invalid;
        s.min_ = t.min;
        s.max_ = t.max;
        return s;
    }

    static boost::json::value write(const exact_quantiles& e) {
        boost::json::object o;
        o["kind"] = "exact_quantiles";
        o["version"] = 1;
        o["invalid"] = e.invalid_;
        boost::json::array samples;
        samples.reserve(e.samples_.size());
        for (double x : e.sorted_samples()) {
            samples.push_back(double_to_json(x));
        }
        o["samples"] = std::move(samples);
        return o;
    }

    static json_result<exact_quantiles> read_exact(const boost::json::value& v,
                                                   const std::string& path) {
        json_context ctx;
        const auto* o = json_header(v, "exact_quantiles", ctx, path);
        if (o == nullptr) {
            return ctx.error;
        }
        exact_quantiles e;
        std::uint64_t invalid = 0;
        if (!read_field(*o, "invalid", invalid, ctx, path,
                        [](const boost::json::value& x, std::uint64_t& out, json_context& c,
                           const std::string& p) { return read_u64(x, out, c, p); })) {
            return ctx.error;
        }
        const auto* samples_v = json_member(*o, "samples", ctx, path);
        const auto* samples =
            samples_v == nullptr ? nullptr : json_array(*samples_v, ctx, path + ".samples");
        if (samples == nullptr) {
            return ctx.error;
        }
        e.reserve(samples->size());
        for (std::size_t i = 0; i < samples->size(); ++i) {
            double x = 0.0;
            const std::string p = path + ".samples[" + std::to_string(i) + "]";
            if (!read_double((*samples)[i], x, ctx, p)) {
                return ctx.error;
            }
            if (!is_valid_sample(x)) {
                return json_error{make_error_code(error::invalid_value), p};
            }
            e.add(x);
        }
        e.invalid_ = invalid;
        return e;
    }

    static boost::json::value write(const running_moments& m) {
        boost::json::object o;
        o["kind"] = "running_moments";
        o["version"] = 1;
        o["count"] = m.count_;
        o["invalid"] = m.invalid_;
        o["mean"] = double_to_json(m.mean_);
        o["m2"] = double_to_json(m.m2_);
        o["min"] = double_to_json(m.min());
        o["max"] = double_to_json(m.max());
        return o;
    }

    static json_result<running_moments> read_moments(const boost::json::value& v,
                                                     const std::string& path) {
        json_context ctx;
        const auto* o = json_header(v, "running_moments", ctx, path);
        if (o == nullptr) {
            return ctx.error;
        }
        const auto u64 = [](const boost::json::value& x, std::uint64_t& out, json_context& c,
                            const std::string& p) { return read_u64(x, out, c, p); };
        const auto dbl = [](const boost::json::value& x, double& out, json_context& c,
                            const std::string& p) { return read_double(x, out, c, p, true); };
        running_moments m;
        double mean = 0.0;
        double m2 = 0.0;
        double min = 0.0;
        double max = 0.0;
        if (!read_field(*o, "count", m.count_, ctx, path, u64) ||
            !read_field(*o, "invalid", m.invalid_, ctx, path, u64) ||
            !read_field(*o, "mean", mean, ctx, path, dbl) ||
            !read_field(*o, "m2", m2, ctx, path, dbl) ||
            !read_field(*o, "min", min, ctx, path, dbl) ||
            !read_field(*o, "max", max, ctx, path, dbl)) {
            return ctx.error;
        }
        if (std::isnan(mean)) {
            return json_error{make_error_code(error::invalid_value), path + ".mean"};
        }
        if (!(m2 >= 0.0)) {
            return json_error{make_error_code(error::invalid_value), path + ".m2"};
        }
        if (m.count_ == 0) {
            if (!std::isnan(min) || !std::isnan(max) || mean != 0.0 || m2 != 0.0) {
                return json_error{make_error_code(error::inconsistent_state), path + ".count"};
            }
            running_moments empty;
            empty.invalid_ = m.invalid_;
            return empty;
        }
        if (std::isnan(min)) {
            return json_error{make_error_code(error::invalid_value), path + ".min"};
        }
        if (std::isnan(max) || max < min) {
            return json_error{make_error_code(error::invalid_value), path + ".max"};
        }
        m.mean_ = mean;
        m.m2_ = m2;
        m.min_ = min;
        m.max_ = max;
        return m;
    }

    static boost::json::array write_exact_sum(const exact_sum& s) {
        boost::json::array a;
        const auto digits = s.digits();
        for (std::size_t i = 0; i < digits.size(); ++i) {
            if (digits[i] != 0) {
                a.push_back(boost::json::array{i, digits[i]});
            }
        }
        return a;
    }

    static bool read_exact_sum(const boost::json::value& v, exact_sum& out, json_context& ctx,
                               const std::string& path) {
        const auto* a = json_array(v, ctx, path);
        if (a == nullptr) {
            return false;
        }
        std::array<std::uint64_t, exact_sum::digit_count> digits{};
        std::uint64_t next = 0;
        for (std::size_t i = 0; i < a->size(); ++i) {
            const std::string p = path + "[" + std::to_string(i) + "]";
            const auto* pair = json_array((*a)[i], ctx, p);
            if (pair == nullptr) {
                return false;
            }
            if (pair->size() != 2) {
                return ctx.fail(error::wrong_type, p);
            }
            std::uint64_t index = 0;
            std::uint64_t digit = 0;
            if (!read_u64((*pair)[0], index, ctx, p + "[0]", error::index_out_of_range) ||
                !read_u64((*pair)[1], digit, ctx, p + "[1]", error::invalid_value)) {
                return false;
            }
            if (index >= exact_sum::digit_count) {
                return ctx.fail(error::index_out_of_range, p + "[0]");
            }
            if (index < next) {
                return ctx.fail(error::unordered_buckets, p + "[0]");
            }
            if (digit > 0xffff'ffffU) {
                return ctx.fail(error::invalid_value, p + "[1]");
            }
            digits[static_cast<std::size_t>(index)] = digit;
            next = index + 1;
        }
        return out.assign_digits(digits) ? true : ctx.fail(error::invalid_value, path);
    }
};

template <class T>
struct is_sample_statistics : std::false_type {};
template <class Sketch>
struct is_sample_statistics<sample_statistics<Sketch>> : std::true_type {};

template <class T>
json_result<T> read_json(const boost::json::value& v, const std::string& path);

} // namespace detail

/// The JSON form of a log_linear_histogram (see the header comment).
[[nodiscard]] inline boost::json::value to_json(const log_linear_histogram& h) {
    return detail::json_access::write(h);
}

/// The JSON form of a log_bucket_sketch.
[[nodiscard]] inline boost::json::value to_json(const log_bucket_sketch& s) {
    return detail::json_access::write(s);
}

/// The JSON form of an exact_quantiles (samples in ascending order).
[[nodiscard]] inline boost::json::value to_json(const exact_quantiles& e) {
    return detail::json_access::write(e);
}

/// The JSON form of running_moments.
[[nodiscard]] inline boost::json::value to_json(const running_moments& m) {
    return detail::json_access::write(m);
}

/// The JSON form of sample_statistics: its sketch, its moments and its invalid tally.
template <class Sketch>
[[nodiscard]] boost::json::value to_json(const sample_statistics<Sketch>& s) {
    boost::json::object o;
    o["kind"] = "sample_statistics";
    o["version"] = 1;
    o["invalid"] = s.invalid_count();
    o["sketch"] = to_json(s.sketch());
    o["moments"] = to_json(s.moments());
    return o;
}

/**
 * Reads a T (log_linear_histogram, log_bucket_sketch, exact_quantiles, running_moments or
 * sample_statistics<Sketch>) from its JSON form. Never throws on bad input; the error names
 * the field: `auto h = from_json<log_linear_histogram>(v); if (!h) log(h.error().message());`
 */
template <class T>
[[nodiscard]] json_result<T> from_json(const boost::json::value& v) {
    return detail::read_json<T>(v, "$");
}

/**
 * Reads a T and also requires that it can be merged into `into` (same layout or
 * configuration); error::config_mismatch otherwise. Use it before merging a cell read from
 * another process.
 */
template <class T>
[[nodiscard]] json_result<T> from_json(const boost::json::value& v, const T& into) {
    json_result<T> r = from_json<T>(v);
    if (!r) {
        return r;
    }
    bool same = true;
    if constexpr (std::is_same_v<T, log_linear_histogram>) {
        same = r->same_layout(into);
    } else if constexpr (std::is_same_v<T, log_bucket_sketch>) {
        same = r->config().relative_error == into.config().relative_error &&
               r->config().max_buckets == into.config().max_buckets;
    } else if constexpr (detail::is_sample_statistics<T>::value) {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(into.sketch())>,
                                     log_linear_histogram>) {
            same = r->sketch().same_layout(into.sketch());
        } else if constexpr (std::is_same_v<std::remove_cvref_t<decltype(into.sketch())>,
                                            log_bucket_sketch>) {
            same = r->sketch().config().relative_error == into.sketch().config().relative_error &&
                   r->sketch().config().max_buckets == into.sketch().config().max_buckets;
        }
    }
    if (!same) {
        return json_error{make_error_code(error::config_mismatch), "$"};
    }
    return r;
}

namespace detail {

template <class T>
json_result<T> read_json(const boost::json::value& v, const std::string& path) {
    if constexpr (std::is_same_v<T, log_linear_histogram>) {
        return json_access::read_histogram(v, path);
    } else if constexpr (std::is_same_v<T, log_bucket_sketch>) {
        return json_access::read_bucket_sketch(v, path);
    } else if constexpr (std::is_same_v<T, exact_quantiles>) {
        return json_access::read_exact(v, path);
    } else if constexpr (std::is_same_v<T, running_moments>) {
        return json_access::read_moments(v, path);
    } else if constexpr (is_sample_statistics<T>::value) {
        json_context ctx;
        const auto* o = json_header(v, "sample_statistics", ctx, path);
        if (o == nullptr) {
            return ctx.error;
        }
        std::uint64_t invalid = 0;
        if (!read_field(*o, "invalid", invalid, ctx, path,
                        [](const boost::json::value& x, std::uint64_t& out, json_context& c,
                           const std::string& p) { return read_u64(x, out, c, p); })) {
            return ctx.error;
        }
        const auto* sketch_v = json_member(*o, "sketch", ctx, path);
        if (sketch_v == nullptr) {
            return ctx.error;
        }
        using sketch_type = std::remove_cvref_t<decltype(std::declval<const T&>().sketch())>;
        auto sketch = read_json<sketch_type>(*sketch_v, path + ".sketch");
        if (!sketch) {
            return sketch.error();
        }
        const auto* moments_v = json_member(*o, "moments", ctx, path);
        if (moments_v == nullptr) {
            return ctx.error;
        }
        auto moments = read_json<running_moments>(*moments_v, path + ".moments");
        if (!moments) {
            return moments.error();
        }
        if (moments->count() != sketch->count()) {
            return json_error{make_error_code(error::count_mismatch), path + ".moments.count"};
        }
        return T::from_parts(std::move(*sketch), *moments, invalid);
    } else {
        static_assert(sizeof(T) == 0, "from_json: unsupported type");
    }
}

} // namespace detail

} // namespace llmcap::stats
