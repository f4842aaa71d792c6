#pragma once

#include <llmcap/analysis/use_case_json.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <cmath>       // isfinite
#include <cstdint>     // int64_t, uint32_t, uint64_t
#include <limits>      // numeric_limits
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::sweep::detail {

/// A double as JSON: a number when finite, null otherwise (JSON has no NaN).
[[nodiscard]] inline boost::json::value number_or_null(double x) {
    if (std::isfinite(x))
        return x;
    return nullptr;
}

/// An optional double as JSON: null when empty or not finite.
[[nodiscard]] inline boost::json::value number_or_null(const std::optional<double>& x) {
    return x ? number_or_null(*x) : boost::json::value(nullptr);
}

/**
 * Reads typed fields out of Boost.JSON values, remembering the first error with the JSONPath
 * of the field ("$.cells[2].summary.ttft_s.p99"). After an error every read fails, so a
 * reader can run to the end and report once.
 */
class json_reader {
public:
    /// The first error's path; empty while there is none.
    std::string error_path;
    /// The first error's description.
    std::string error_what;

    /// True while no read has failed.
    [[nodiscard]] bool ok() const noexcept {
        return error_path.empty();
    }

    /// Records an error (the first one wins); returns false.
    bool fail(const std::string& path, std::string what) {
        if (ok()) {
            error_path = path.empty() ? "$" : path;
            error_what = std::move(what);
        }
        return false;
    }

    /// `v` as an object, or null after recording an error.
    const boost::json::object* object(const boost::json::value& v, const std::string& path) {
        if (!ok())
            return nullptr;
        if (!v.is_object()) {
            fail(path, "expected an object, got " + analysis::detail::json_kind(v));
            return nullptr;
        }
        return &v.as_object();
    }

    /// `v` as an array, or null after recording an error.
    const boost::json::array* array(const boost::json::value& v, const std::string& path) {
        if (!ok())
            return nullptr;
        if (!v.is_array()) {
            fail(path, "expected an array, got " + analysis::detail::json_kind(v));
            return nullptr;
        }
        return &v.as_array();
    }

    /// The member `key` of `o`, or null after recording "missing" when absent.
    const boost::json::value* member(const boost::json::object& o, std::string_view key,
                                     const std::string& path) {
        if (!ok())
            return nullptr;
        const boost::json::value* v = o.if_contains(key);
        if (v == nullptr)
            fail(path + "." + std::string(key), "missing");
        return v;
    }

    bool read(const boost::json::value& v, const std::string& path, std::uint64_t& out) {
        if (!ok())
            return false;
        if (v.is_uint64()) {
            out = v.get_uint64();
            return true;
        }
        if (v.is_int64() && v.get_int64() >= 0) {
            out = static_cast<std::uint64_t>(v.get_int64());
            return true;
        }
        if (v.is_double() && v.get_double() >= 0 && v.get_double() < 1.8e19 &&
            v.get_double() == std::floor(v.get_double())) {
            out = static_cast<std::uint64_t>(v.get_double());
            return true;
        }
        return fail(path, "expected a non-negative integer, got " + describe(v));
    }

    bool read(const boost::json::value& v, const std::string& path, std::uint32_t& out) {
        std::uint64_t x = 0;
        if (!read(v, path, x))
            return false;
        if (x > std::numeric_limits<std::uint32_t>::max())
            return fail(path, "integer " + std::to_string(x) + " exceeds 4294967295");
        out = static_cast<std::uint32_t>(x);
        return true;
    }

    bool read(const boost::json::value& v, const std::string& path, std::int64_t& out) {
        if (!ok())
            return false;
        if (v.is_int64()) {
            out = v.get_int64();
            return true;
        }
        if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(
                                                   std::numeric_limits<std::int64_t>::max())) {
            out = static_cast<std::int64_t>(v.get_uint64());
            return true;
        }
        return fail(path, "expected an integer, got " + describe(v));
    }

    /// A number; null reads as NaN (how non-finite values are written).
    bool read(const boost::json::value& v, const std::string& path, double& out) {
        if (!ok())
            return false;
        if (v.is_null()) {
            out = std::numeric_limits<double>::quiet_NaN();
            return true;
        }
        if (v.is_number()) {
            out = v.to_number<double>();
            return true;
        }
        return fail(path, "expected a number or null, got " + describe(v));
    }

    bool read(const boost::json::value& v, const std::string& path, bool& out) {
        if (!ok())
            return false;
        if (!v.is_bool())
            return fail(path, "expected a boolean, got " + describe(v));
        out = v.get_bool();
        return true;
    }

    bool read(const boost::json::value& v, const std::string& path, std::string& out) {
        if (!ok())
            return false;
        if (!v.is_string())
            return fail(path, "expected a string, got " + describe(v));
        out.assign(v.get_string().data(), v.get_string().size());
        return true;
    }

    /// An optional value: null reads as empty.
    template <class T>
    bool read(const boost::json::value& v, const std::string& path, std::optional<T>& out) {
        if (!ok())
            return false;
        if (v.is_null()) {
            out.reset();
            return true;
        }
        T x{};
        if (!read(v, path, x))
            return false;
        out = std::move(x);
        return true;
    }

    /// An array of values read one by one.
    template <class T>
    bool read(const boost::json::value& v, const std::string& path, std::vector<T>& out) {
        const boost::json::array* a = array(v, path);
        if (a == nullptr)
            return false;
        out.clear();
        out.reserve(a->size());
        for (std::size_t i = 0; i < a->size(); ++i) {
            T x{};
            if (!read((*a)[i], path + "[" + std::to_string(i) + "]", x))
                return false;
            out.push_back(std::move(x));
        }
        return true;
    }

    /// A required field.
    template <class T>
    bool field(const boost::json::object& o, std::string_view key, const std::string& path,
               T& out) {
        const boost::json::value* v = member(o, key, path);
        return v != nullptr && read(*v, path + "." + std::string(key), out);
    }

    /// An optional field: absent leaves `out` as it is.
    template <class T>
    bool optional_field(const boost::json::object& o, std::string_view key, const std::string& path,
                        T& out) {
        if (!ok())
            return false;
        const boost::json::value* v = o.if_contains(key);
        return v == nullptr || read(*v, path + "." + std::string(key), out);
    }

private:
    [[nodiscard]] static std::string describe(const boost::json::value& v) {
        if (v.is_number()) {
            if (v.is_int64())
                return "the number " + std::to_string(v.get_int64());
            if (v.is_uint64())
                return "the number " + std::to_string(v.get_uint64());
            return "the number " + std::to_string(v.get_double());
        }
        return analysis::detail::json_kind(v);
    }
};

/// A vector as a JSON array, each element through `f`.
template <class T, class F>
[[nodiscard]] boost::json::array to_array(const std::vector<T>& xs, F f) {
    boost::json::array a;
    a.reserve(xs.size());
    for (const T& x : xs)
        a.push_back(f(x));
    return a;
}

} // namespace llmcap::sweep::detail
