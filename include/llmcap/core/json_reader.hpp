#pragma once

#include <llmcap/core/json_error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/kind.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cmath>            // floor
#include <cstddef>          // size_t
#include <cstdint>          // int64_t, uint32_t, uint64_t
#include <initializer_list> // initializer_list
#include <limits>           // numeric_limits
#include <optional>         // optional
#include <string>           // string, to_string
#include <string_view>      // string_view
#include <system_error>     // error_code
#include <utility>          // move
#include <vector>           // vector

namespace llmcap {

/// The JSON kind of a value with its article ("an object", "a number", "null"), for messages.
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

/**
 * Reads typed fields out of a parsed document (parse_json), remembering the first error with
 * the JSONPath of the field ("$.cells[2].summary.ttft_s.p99"): the one reader behind every
 * llmcap JSON format. After an error every read fails, so a reader can run to the end and
 * report once. Numbers read as they were parsed (core/json_number.hpp); null reads as NaN for
 * a double and as empty for an optional.
 *
 *     json_reader in("results json");
 *     if (const boost::json::object* o = in.object(v, "$"))
 *         in.field(*o, "seed", "$", seed);
 *     return in.result(std::move(seed)); // or the json_error
 */
class json_reader {
public:
    /// A reader whose errors are about `subject` ("results json"), the message's first words.
    explicit json_reader(std::string subject = {}) {
        error_.subject = std::move(subject);
    }

    /// True while no read has failed.
    [[nodiscard]] bool ok() const noexcept {
        return !failed_;
    }

    /// The first error; meaningful once ok() is false.
    [[nodiscard]] const json_error& error() const noexcept {
        return error_;
    }

    /// Records an error at `path` (the first one wins; an empty path means "$"); returns false.
    bool fail(const std::string& path, std::string what) {
        if (!failed_) {
            failed_ = true;
            error_.path = path.empty() ? "$" : path;
            error_.what = std::move(what);
        }
        return false;
    }

    /// Records an error with its classification; `what` is the code's message.
    bool fail(const std::string& path, std::error_code code) {
        if (!failed_) {
            fail(path, code.message());
            error_.code = code;
        }
        return false;
    }

    /// `value` when no read failed, else the first error.
    template <class T>
    [[nodiscard]] json_result<T> result(T value) const {
        if (failed_)
            return error_;
        return value;
    }

    /// `v` as an object, or null after recording an error.
    const boost::json::object* object(const boost::json::value& v, const std::string& path) {
        if (!ok())
            return nullptr;
        if (!v.is_object()) {
            fail(path, "expected an object, got " + json_kind(v));
            return nullptr;
        }
        return &v.get_object();
    }

    /// `v` as an array, or null after recording an error.
    const boost::json::array* array(const boost::json::value& v, const std::string& path) {
        if (!ok())
            return nullptr;
        if (!v.is_array()) {
            fail(path, "expected an array, got " + json_kind(v));
            return nullptr;
        }
        return &v.get_array();
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

    /// Fails at the first member of `o` whose key is not in `known`, with "unknown field
    /// (expected <expected>)"; so that a misspelt field is never silently ignored.
    bool only(const boost::json::object& o, std::initializer_list<std::string_view> known,
              const std::string& path, std::string_view expected) {
        if (!ok())
            return false;
        for (const auto& kv : o) {
            const std::string_view key(kv.key().data(), kv.key().size());
            bool found = false;
            for (std::string_view k : known)
                found = found || k == key;
            if (!found)
                return fail(path + "." + std::string(key),
                            "unknown field (expected " + std::string(expected) + ")");
        }
        return true;
    }

    /// A non-negative integer (a whole double below 2^64 too).
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

    /// A non-negative integer up to 4294967295.
    bool read(const boost::json::value& v, const std::string& path, std::uint32_t& out) {
        std::uint64_t x = 0;
        if (!read(v, path, x))
            return false;
        if (x > std::numeric_limits<std::uint32_t>::max())
            return fail(path, "integer " + std::to_string(x) + " exceeds 4294967295");
        out = static_cast<std::uint32_t>(x);
        return true;
    }

    /// An integer in the range of int64_t.
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

    /// true or false.
    bool read(const boost::json::value& v, const std::string& path, bool& out) {
        if (!ok())
            return false;
        if (!v.is_bool())
            return fail(path, "expected a boolean, got " + describe(v));
        out = v.get_bool();
        return true;
    }

    /// A string.
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

    /// A value's kind for a message, numbers with their value ("the number -3").
    [[nodiscard]] static std::string describe(const boost::json::value& v) {
        if (v.is_int64())
            return "the number " + std::to_string(v.get_int64());
        if (v.is_uint64())
            return "the number " + std::to_string(v.get_uint64());
        if (v.is_double())
            return "the number " + std::to_string(v.get_double());
        return json_kind(v);
    }

private:
    json_error error_;
    bool failed_ = false;
};

} // namespace llmcap
