#pragma once

#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/stats/detail/json_fields.hpp>
#include <llmcap/stats/error.hpp>
#include <llmcap/stats/exact_quantiles.hpp>
#include <llmcap/stats/log_bucket_sketch.hpp>
#include <llmcap/stats/log_linear_histogram.hpp>
#include <llmcap/stats/running_moments.hpp>
#include <llmcap/stats/summary.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>       // array
#include <cmath>       // isnan
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t, int64_t
#include <limits>      // numeric_limits
#include <stdexcept>   // invalid_argument
#include <string>      // string, to_string
#include <type_traits> // is_same_v, remove_cvref_t
#include <utility>     // move, declval
#include <vector>      // vector

/**
 * JSON serialization of the statistics types (Boost.JSON), so that cells recorded in different
 * processes can be merged and re-analysed later. The core sketches do not include this header.
 *
 * Every object carries "kind" (the type name) and "version" (1). Doubles are written as JSON
 * strings holding the shortest decimal that reads back to the same double
 * (json_decimal_or_null, core/json_number.hpp, the library's one policy for doubles); on input a
 * plain JSON number is accepted as well, exact when the document was parsed with parse_json.
 * Counts are JSON integers. Buckets are sparse: an array of
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
 * Reading never throws on bad input: it returns a json_error (core/json_error.hpp) whose code is
 * a stats::error and whose path is the JSONPath of the field:
 * "stats json: $.buckets[3][0]: bucket index out of range".
 */
namespace llmcap::stats {

namespace detail {

/// Reaches the private state of the statistics types for (de)serialization.
struct json_access {
    static boost::json::value write(const log_linear_histogram& h) {
        boost::json::object o;
        o["kind"] = "log_linear_histogram";
        o["version"] = 1;
        o["lowest"] = json_decimal_or_null(h.config_.lowest);
        o["highest"] = json_decimal_or_null(h.config_.highest);
        o["relative_error"] = json_decimal_or_null(h.config_.relative_error);
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
        json_reader in("stats json");
        const auto* o = json_header(v, "log_linear_histogram", in, path);
        if (o == nullptr) {
            return in.error();
        }
        const auto dbl = [](const boost::json::value& x, double& out, json_reader& c,
                            const std::string& p) { return read_double(x, out, c, p); };
        const auto u64 = [](const boost::json::value& x, std::uint64_t& out, json_reader& c,
                            const std::string& p) {
            return read_u64(x, out, c, p, error::invalid_value);
        };
        log_linear_histogram_config config;
        std::uint64_t sub_bucket_bits = 0;
        std::uint64_t bucket_count = 0;
        if (!read_field(*o, "lowest", config.lowest, in, path, dbl) ||
            !read_field(*o, "highest", config.highest, in, path, dbl) ||
            !read_field(*o, "relative_error", config.relative_error, in, path, dbl) ||
            !read_field(*o, "sub_bucket_bits", sub_bucket_bits, in, path, u64) ||
            !read_field(*o, "bucket_count", bucket_count, in, path, u64)) {
            return in.error();
        }
        log_linear_histogram h = [&] {
            try {
                return log_linear_histogram(config);
            } catch (const std::invalid_argument&) {
                in.fail(path, error::invalid_config);
                return log_linear_histogram();
            }
        }();
        if (!in.ok()) {
            return in.error();
        }
        if (sub_bucket_bits != h.sub_bucket_bits_) {
            return failure(in, path + ".sub_bucket_bits", error::config_mismatch);
        }
        if (bucket_count != h.bucket_count_) {
            return failure(in, path + ".bucket_count", error::config_mismatch);
        }
        sketch_tallies t;
        if (!read_tallies(*o, t, in, path)) {
            return in.error();
        }
        std::array<std::uint64_t, 2> sum{};
        const auto* sum_v = json_member(*o, "sum", in, path);
        if (sum_v == nullptr) {
            return in.error();
        }
        const auto* sum_a = json_array(*sum_v, in, path + ".sum");
        if (sum_a == nullptr) {
            return in.error();
        }
        if (sum_a->size() != 2) {
            return failure(in, path + ".sum", error::wrong_type);
        }
        for (std::size_t i = 0; i < 2; ++i) {
            if (!read_u64((*sum_a)[i], sum[i], in, path + ".sum[" + std::to_string(i) + "]",
                          error::invalid_value)) {
                return in.error();
            }
        }
        bool saturated = false;
        if (!read_field(*o, "sum_saturated", saturated, in, path, read_bool)) {
            return in.error();
        }
        std::uint64_t bucketed = 0;
        const auto* runs = json_member(*o, "buckets", in, path);
        if (runs == nullptr ||
            !read_bucket_runs(*runs, 0, static_cast<std::int64_t>(h.bucket_count_) - 1, bucketed,
                              in, path + ".buckets", [&](std::int64_t i, std::uint64_t c) {
                                  h.counts_[static_cast<std::size_t>(i)] = c;
                              })) {
            return in.error();
        }
        std::uint64_t total = bucketed;
        if (!checked_add(total, t.underflow) || !checked_add(total, t.overflow) ||
            total != t.count) {
            return failure(in, path + ".count", error::count_mismatch);
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
                return failure(in, path + ".min", error::inconsistent_state);
            }
            if (!max_ok) {
                return failure(in, path + ".max", error::inconsistent_state);
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
        o["relative_error"] = json_decimal_or_null(s.config_.relative_error);
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
        json_reader in("stats json");
        const auto* o = json_header(v, "log_bucket_sketch", in, path);
        if (o == nullptr) {
            return in.error();
        }
        log_bucket_sketch_config config;
        std::uint64_t max_buckets = 0;
        if (!read_field(*o, "relative_error", config.relative_error, in, path,
                        [](const boost::json::value& x, double& out, json_reader& c,
                           const std::string& p) { return read_double(x, out, c, p); }) ||
            !read_field(*o, "max_buckets", max_buckets, in, path,
                        [](const boost::json::value& x, std::uint64_t& out, json_reader& c,
                           const std::string& p) {
                            return read_u64(x, out, c, p, error::invalid_config);
                        })) {
            return in.error();
        }
        if (max_buckets > (std::uint64_t{1} << 20)) {
            return failure(in, path + ".max_buckets", error::invalid_config);
        }
        config.max_buckets = static_cast<std::size_t>(max_buckets);
        log_bucket_sketch s = [&] {
            try {
                return log_bucket_sketch(config);
            } catch (const std::invalid_argument&) {
                in.fail(path, error::invalid_config);
                return log_bucket_sketch();
            }
        }();
        if (!in.ok()) {
            return in.error();
        }
        sketch_tallies t;
        bool collapsed = false;
        if (!read_tallies(*o, t, in, path) ||
            !read_field(*o, "collapsed", collapsed, in, path, read_bool)) {
            return in.error();
        }
        const auto* sum_v = json_member(*o, "sum", in, path);
        if (sum_v == nullptr || !read_exact_sum(*sum_v, s.sum_, in, path + ".sum")) {
            return in.error();
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
        const auto* runs = json_member(*o, "buckets", in, path);
        if (runs == nullptr ||
            !read_bucket_runs(*runs, -limit, limit, bucketed, in, path + ".buckets",
                              [&](std::int64_t i, std::uint64_t c) {
                                  if (c != 0) {
                                      lo = any ? lo : i;
                                      hi = i;
                                      any = true;
                                      entries.push_back({i, c});
                                  }
                              })) {
            return in.error();
        }
        if (any && hi - lo >= s.window_) {
            return failure(in, path + ".buckets", error::index_out_of_range);
        }
        std::uint64_t total = bucketed;
        if (!checked_add(total, t.underflow) || !checked_add(total, t.overflow) ||
            total != t.count) {
            return failure(in, path + ".count", error::count_mismatch);
        }
        if (collapsed && !any) {
            return failure(in, path + ".collapsed", error::inconsistent_state);
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
            samples.push_back(json_decimal_or_null(x));
        }
        o["samples"] = std::move(samples);
        return o;
    }

    static json_result<exact_quantiles> read_exact(const boost::json::value& v,
                                                   const std::string& path) {
        json_reader in("stats json");
        const auto* o = json_header(v, "exact_quantiles", in, path);
        if (o == nullptr) {
            return in.error();
        }
        exact_quantiles e;
        std::uint64_t invalid = 0;
        if (!read_field(*o, "invalid", invalid, in, path,
                        [](const boost::json::value& x, std::uint64_t& out, json_reader& c,
                           const std::string& p) { return read_u64(x, out, c, p); })) {
            return in.error();
        }
        const auto* samples_v = json_member(*o, "samples", in, path);
        const auto* samples =
            samples_v == nullptr ? nullptr : json_array(*samples_v, in, path + ".samples");
        if (samples == nullptr) {
            return in.error();
        }
        e.reserve(samples->size());
        for (std::size_t i = 0; i < samples->size(); ++i) {
            double x = 0.0;
            const std::string p = path + ".samples[" + std::to_string(i) + "]";
            if (!read_double((*samples)[i], x, in, p)) {
                return in.error();
            }
            if (!is_valid_sample(x)) {
                return failure(in, p, error::invalid_value);
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
        o["mean"] = json_decimal_or_null(m.mean_);
        o["m2"] = json_decimal_or_null(m.m2_);
        o["min"] = json_decimal_or_null(m.min());
        o["max"] = json_decimal_or_null(m.max());
        return o;
    }

    static json_result<running_moments> read_moments(const boost::json::value& v,
                                                     const std::string& path) {
        json_reader in("stats json");
        const auto* o = json_header(v, "running_moments", in, path);
        if (o == nullptr) {
            return in.error();
        }
        const auto u64 = [](const boost::json::value& x, std::uint64_t& out, json_reader& c,
                            const std::string& p) { return read_u64(x, out, c, p); };
        const auto dbl = [](const boost::json::value& x, double& out, json_reader& c,
                            const std::string& p) { return read_double(x, out, c, p, true); };
        running_moments m;
        double mean = 0.0;
        double m2 = 0.0;
        double min = 0.0;
        double max = 0.0;
        if (!read_field(*o, "count", m.count_, in, path, u64) ||
            !read_field(*o, "invalid", m.invalid_, in, path, u64) ||
            !read_field(*o, "mean", mean, in, path, dbl) ||
            !read_field(*o, "m2", m2, in, path, dbl) ||
            !read_field(*o, "min", min, in, path, dbl) ||
            !read_field(*o, "max", max, in, path, dbl)) {
            return in.error();
        }
        if (std::isnan(mean)) {
            return failure(in, path + ".mean", error::invalid_value);
        }
        if (!(m2 >= 0.0)) {
            return failure(in, path + ".m2", error::invalid_value);
        }
        if (m.count_ == 0) {
            if (!std::isnan(min) || !std::isnan(max) || mean != 0.0 || m2 != 0.0) {
                return failure(in, path + ".count", error::inconsistent_state);
            }
            running_moments empty;
            empty.invalid_ = m.invalid_;
            return empty;
        }
        if (std::isnan(min)) {
            return failure(in, path + ".min", error::invalid_value);
        }
        if (std::isnan(max) || max < min) {
            return failure(in, path + ".max", error::invalid_value);
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

    static bool read_exact_sum(const boost::json::value& v, exact_sum& out, json_reader& in,
                               const std::string& path) {
        const auto* a = json_array(v, in, path);
        if (a == nullptr) {
            return false;
        }
        std::array<std::uint64_t, exact_sum::digit_count> digits{};
        std::uint64_t next = 0;
        for (std::size_t i = 0; i < a->size(); ++i) {
            const std::string p = path + "[" + std::to_string(i) + "]";
            const auto* pair = json_array((*a)[i], in, p);
            if (pair == nullptr) {
                return false;
            }
            if (pair->size() != 2) {
                return in.fail(p, error::wrong_type);
            }
            std::uint64_t index = 0;
            std::uint64_t digit = 0;
            if (!read_u64((*pair)[0], index, in, p + "[0]", error::index_out_of_range) ||
                !read_u64((*pair)[1], digit, in, p + "[1]", error::invalid_value)) {
                return false;
            }
            if (index >= exact_sum::digit_count) {
                return in.fail(p + "[0]", error::index_out_of_range);
            }
            if (index < next) {
                return in.fail(p + "[0]", error::unordered_buckets);
            }
            if (digit > 0xffff'ffffU) {
                return in.fail(p + "[1]", error::invalid_value);
            }
            digits[static_cast<std::size_t>(index)] = digit;
            next = index + 1;
        }
        return out.assign_digits(digits) ? true : in.fail(path, error::invalid_value);
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
        json_reader in("stats json");
        return detail::failure(in, "$", error::config_mismatch);
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
        json_reader in("stats json");
        const auto* o = json_header(v, "sample_statistics", in, path);
        if (o == nullptr) {
            return in.error();
        }
        std::uint64_t invalid = 0;
        if (!read_field(*o, "invalid", invalid, in, path,
                        [](const boost::json::value& x, std::uint64_t& out, json_reader& c,
                           const std::string& p) { return read_u64(x, out, c, p); })) {
            return in.error();
        }
        const auto* sketch_v = json_member(*o, "sketch", in, path);
        if (sketch_v == nullptr) {
            return in.error();
        }
        using sketch_type = std::remove_cvref_t<decltype(std::declval<const T&>().sketch())>;
        auto sketch = read_json<sketch_type>(*sketch_v, path + ".sketch");
        if (!sketch) {
            return sketch.error();
        }
        const auto* moments_v = json_member(*o, "moments", in, path);
        if (moments_v == nullptr) {
            return in.error();
        }
        auto moments = read_json<running_moments>(*moments_v, path + ".moments");
        if (!moments) {
            return moments.error();
        }
        if (moments->count() != sketch->count()) {
            return failure(in, path + ".moments.count", error::count_mismatch);
        }
        return T::from_parts(std::move(*sketch), *moments, invalid);
    } else {
        static_assert(sizeof(T) == 0, "from_json: unsupported type");
    }
}

} // namespace detail

} // namespace llmcap::stats
