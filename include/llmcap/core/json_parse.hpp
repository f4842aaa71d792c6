#pragma once

#include <llmcap/core/detail/precise_handler.hpp>
#include <llmcap/core/json_error.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value.hpp>

#include <cstddef>     // size_t
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move

/**
 * JSON parsing whose numbers read back exactly: every llmcap reader parses with parse_json.
 * It builds the same boost::json::value as boost::json::parse, but converts each floating-point
 * number from its text with std::from_chars (correctly rounded): Boost.JSON before 1.83 may
 * round a double one unit in the last place away from the value its text denotes, so a file
 * written, read and written again could differ in its last digits. (Boost 1.83 and later offer
 * the same through parse_options::numbers = number_precision::precise.) See core/json_number.hpp
 * for how doubles are written.
 */
namespace llmcap {

/**
 * Parses the JSON document at the start of `text` (leading whitespace allowed) into `out`, with
 * exactly rounded numbers, and returns the bytes it used; what follows is left to the caller
 * (JSON Lines, concatenated documents). On malformed or incomplete input sets `ec` and returns
 * the byte where parsing stopped.
 */
inline std::size_t parse_json_prefix(std::string_view text, boost::json::value& out,
                                     boost::system::error_code& ec) {
    boost::json::basic_parser<detail::precise_handler> p(boost::json::parse_options{});
    const std::size_t n = p.write_some(false, text.data(), text.size(), ec);
    if (!ec && !p.handler().result)
        ec = boost::json::error::incomplete;
    if (!ec)
        out = std::move(*p.handler().result);
    return n;
}

/**
 * Parses one JSON document (surrounding whitespace allowed) with exactly rounded numbers. On
 * malformed input, or anything after the document, sets `ec`, sets `error_offset` (when given)
 * to the byte where parsing stopped, and returns null.
 */
[[nodiscard]] inline boost::json::value parse_json(std::string_view text,
                                                   boost::system::error_code& ec,
                                                   std::size_t* error_offset = nullptr) {
    boost::json::value v;
    const std::size_t n = parse_json_prefix(text, v, ec);
    if (!ec && n < text.size())
        ec = boost::json::error::extra_data;
    if (ec) {
        if (error_offset != nullptr)
            *error_offset = n;
        return nullptr;
    }
    return v;
}

/**
 * Parses one JSON document as above; a syntax error is a json_error about `subject` with no
 * path: "use cases JSON: syntax error at byte 15: incomplete JSON".
 */
[[nodiscard]] inline json_result<boost::json::value> parse_json(std::string_view text,
                                                                std::string subject) {
    boost::system::error_code ec;
    std::size_t offset = 0;
    boost::json::value v = parse_json(text, ec, &offset);
    if (ec)
        return json_error{std::move(subject),
                          {},
                          "syntax error at byte " + std::to_string(offset) + ": " + ec.message()};
    return v;
}

} // namespace llmcap
