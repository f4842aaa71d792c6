#pragma once

// JSON parsing whose numbers read back exactly. Boost.JSON before 1.83 may round a double one
// unit in the last place away from the value its text denotes, so a results file written,
// read and written again could differ in its last digits. precise_parse builds the same
// boost::json::value as boost::json::parse, but converts every floating-point number from its
// text with std::from_chars (correctly rounded). Boost 1.83 and later offer the same through
// parse_options::numbers = number_precision::precise.

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value.hpp>

#include <charconv>     // from_chars
#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint64_t
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // errc
#include <utility>      // move
#include <vector>       // vector

namespace llmcap::sweep::detail {

/// The handler of precise_parse: builds a boost::json::value, numbers from their text.
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
    bool on_double(double v, sv s, ec_t&) {
        number_.append(s.data(), s.size());
        double exact = v;
        const auto r = std::from_chars(number_.data(), number_.data() + number_.size(), exact);
        number_.clear();
        return put(boost::json::value(r.ec == std::errc{} ? exact : v));
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

/// Parses one JSON document (surrounding whitespace allowed) with exactly rounded numbers; sets
/// `ec` on malformed input or on anything after the document, and returns null then.
[[nodiscard]] inline boost::json::value precise_parse(std::string_view text,
                                                      boost::system::error_code& ec) {
    boost::json::basic_parser<precise_handler> p(boost::json::parse_options{});
    const std::size_t n = p.write_some(false, text.data(), text.size(), ec);
    if (ec)
        return nullptr;
    if (n < text.size()) {
        ec = boost::json::error::extra_data;
        return nullptr;
    }
    if (!p.handler().result) {
        ec = boost::json::error::incomplete;
        return nullptr;
    }
    return std::move(*p.handler().result);
}

} // namespace llmcap::sweep::detail
