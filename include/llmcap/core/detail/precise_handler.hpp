#pragma once

#include <boost/json/array.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string_view.hpp>
#include <boost/json/value.hpp>

#include <charconv>     // from_chars
#include <cmath>        // isfinite
#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint64_t
#include <optional>     // optional
#include <string>       // string
#include <system_error> // errc
#include <utility>      // move
#include <vector>       // vector

namespace llmcap::detail {

/// The handler of parse_json (boost::json::basic_parser): builds a boost::json::value as
/// boost::json::parse does, but converts every floating-point number from its text with
/// std::from_chars (correctly rounded).
class precise_handler {
public:
    constexpr static std::size_t max_object_size = std::size_t(-1);
    constexpr static std::size_t max_array_size = std::size_t(-1);
    constexpr static std::size_t max_key_size = std::size_t(-1);
    constexpr static std::size_t max_string_size = std::size_t(-1);

    using ec_t = boost::system::error_code;
    using sv = boost::json::string_view;

    bool on_document_begin(ec_t&) {
        return true;
    }
    bool on_document_end(ec_t&) {
        return true;
    }
    bool on_object_begin(ec_t&) {
        frames_.push_back({boost::json::object{}, {}});
        return true;
    }
    bool on_object_end(std::size_t, ec_t&) {
        return close();
    }
    bool on_array_begin(ec_t&) {
        frames_.push_back({boost::json::array{}, {}});
        return true;
    }
    bool on_array_end(std::size_t, ec_t&) {
        return close();
    }
    bool on_key_part(sv s, std::size_t, ec_t&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(sv s, std::size_t, ec_t&) {
        key_.append(s.data(), s.size());
        frames_.back().key = std::move(key_);
        key_.clear();
        return true;
    }
    bool on_string_part(sv s, std::size_t, ec_t&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(sv s, std::size_t, ec_t&) {
        text_.append(s.data(), s.size());
        put(boost::json::value(boost::json::string_view(text_)));
        text_.clear();
        return true;
    }
    bool on_number_part(sv s, ec_t&) {
        number_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t v, sv, ec_t&) {
        number_.clear();
        return put(boost::json::value(v));
    }
    bool on_uint64(std::uint64_t v, sv, ec_t&) {
        number_.clear();
        return put(boost::json::value(v));
    }
    bool on_double(double v, sv s, ec_t& ec) {
        number_.append(s.data(), s.size());
        double exact = v;
        const auto r = std::from_chars(number_.data(), number_.data() + number_.size(), exact);
        number_.clear();
        const double read = r.ec == std::errc{} ? exact : v;
        // A number beyond the range of a double (1e400) would become infinity, which no JSON
        // text can hold: written back it would not parse. Refused where it is read.
        if (!std::isfinite(read)) {
            ec = boost::json::error::exponent_overflow;
            return false;
        }
        return put(boost::json::value(read));
    }
    bool on_bool(bool b, ec_t&) {
        return put(boost::json::value(b));
    }
    bool on_null(ec_t&) {
        return put(boost::json::value(nullptr));
    }
    bool on_comment_part(sv, ec_t&) {
        return true;
    }
    bool on_comment(sv, ec_t&) {
        return true;
    }

    /// The document, once complete.
    std::optional<boost::json::value> result;

private:
    struct frame {
        boost::json::value container;
        std::string key;
    };

    bool put(boost::json::value v) {
        if (frames_.empty()) {
            result = std::move(v);
            return true;
        }
        frame& f = frames_.back();
        if (f.container.is_array())
            f.container.get_array().push_back(std::move(v));
        else
            f.container.get_object()[f.key] = std::move(v);
        return true;
    }
    bool close() {
        boost::json::value done = std::move(frames_.back().container);
        frames_.pop_back();
        return put(std::move(done));
    }

    std::vector<frame> frames_;
    std::string key_;
    std::string text_;
    std::string number_;
};

} // namespace llmcap::detail
