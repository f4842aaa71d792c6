#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <memory>       // shared_ptr, make_shared
#include <ostream>      // ostream
#include <stdexcept>    // runtime_error
#include <string>       // string
#include <system_error> // error_code, system_error, make_error_code
#include <utility>      // move

namespace llmcap {

/**
 * Why and where reading a JSON document failed: the one error type of every llmcap JSON reader
 * (results, traces, plans, statistics, use cases, cells, corpora). Built by json_reader
 * (core/json_reader.hpp) or parse_json (core/json_parse.hpp).
 */
struct json_error {
    /// What was being read, the message's first words ("results json", "stats json").
    std::string subject;
    /// JSONPath of the offending field ("$.cells[2].key.concurrency"), "$" for the document;
    /// empty for a syntax error, whose byte offset `what` names.
    std::string path;
    /// What was wrong ("missing", "expected a number or null, got a string").
    std::string what;
    /// The kind of failure, for code that branches on it: a stats::error for statistics,
    /// std::errc::invalid_argument where a reader has no finer classification.
    std::error_code code = std::make_error_code(std::errc::invalid_argument);

    /// "results json: $.cells[0].key.concurrency: missing"; a syntax error reads
    /// "use cases JSON: syntax error at byte 15: incomplete JSON".
    [[nodiscard]] std::string message() const {
        std::string m = subject;
        if (!m.empty())
            m += ": ";
        if (!path.empty()) {
            m += path;
            m += ": ";
        }
        m += what;
        return m;
    }
};

/// Writes message(), so that a json_result<T> can be printed (doctest, logs).
inline std::ostream& operator<<(std::ostream& os, const json_error& e) {
    return os << e.message();
}

/// Lets json_result<T>::value() throw std::system_error carrying the code and the message.
[[noreturn]] inline void throw_exception_from_error(const json_error& e,
                                                    const boost::source_location&) {
    throw std::system_error(e.code, e.message());
}

/// A value read from JSON, or why it could not be: the one result type of the JSON readers.
template <class T>
using json_result = boost::system::result<T, json_error>;

/**
 * An exception that carries a json_error, for the readers that throw (emulator::profile_error,
 * analysis::catalogue_error derive from it): what() is the error's message, error() the
 * json_error itself; a reader that could not get at the text (a file that does not open) throws
 * it with a message alone, and error() is then null.
 */
class json_exception : public std::runtime_error {
public:
    /// A failure before any JSON was read.
    using std::runtime_error::runtime_error;

    /// A JSON document that could not be read; what() is e.message().
    explicit json_exception(json_error e)
        : std::runtime_error(e.message()),
          error_(std::make_shared<const json_error>(std::move(e))) {}

    /// The json_error behind what(); null when no text was read.
    [[nodiscard]] const json_error* error() const noexcept {
        return error_.get();
    }

private:
    std::shared_ptr<const json_error> error_; // shared: exceptions are copied
};

} // namespace llmcap
