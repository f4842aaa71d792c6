#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <string>       // string
#include <system_error> // system_error, make_error_code

namespace llmcap::sweep {

/// Why and where reading results JSON failed.
struct json_error {
    /// JSONPath of the offending field ("$" for the document).
    std::string path;
    /// What was wrong ("missing", "expected a number or null, got a string").
    std::string what;

    /// "results json: $.cells[0].key.concurrency: missing".
    [[nodiscard]] std::string message() const {
        return "results json: " + path + ": " + what;
    }
};

/// Lets json_result<T>::value() throw std::system_error carrying the message.
[[noreturn]] inline void throw_exception_from_error(const json_error& e,
                                                    const boost::source_location&) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument), e.message());
}

/// A value read from JSON, or why it could not be.
template <class T>
using json_result = boost::system::result<T, json_error>;

} // namespace llmcap::sweep
