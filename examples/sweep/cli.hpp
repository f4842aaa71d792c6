#pragma once

// The sweep tool's exit codes and the parsers of its option values. Every parser throws
// usage_error with a message that names the option and quotes what was typed.

#include <llmcap/analysis/use_case.hpp>
#include <llmcap/analysis/use_case_json.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/duration_text.hpp>

#include <CLI/CLI.hpp>

#include <sys/resource.h> // getrlimit, setrlimit

#include <charconv>     // from_chars
#include <chrono>       // duration
#include <cmath>        // isfinite
#include <cstdint>      // uint32_t, uint64_t
#include <filesystem>   // is_regular_file
#include <fstream>      // ifstream
#include <iterator>     // istreambuf_iterator
#include <optional>     // optional
#include <stdexcept>    // runtime_error
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // errc
#include <vector>       // vector

namespace llmcap_sweep {

/// Exit codes of llmcap-sweep (docs/sweep-tool.md, "Exit codes").
enum exit_code : int {
    /// Everything planned was measured (or read) and written.
    exit_ok = 0,
    /// A file could not be read or written, or held something invalid; or an unexpected error.
    exit_error = 1,
    /// The command line is wrong: an unknown subcommand or option, a bad value.
    exit_usage = 2,
    /// The server could not be used: no answer, not OpenAI-compatible.
    exit_unreachable = 3,
    /// The run finished, but more requests failed than --max-failure-rate allows.
    exit_failures = 4,
    /// A cell measured nothing: not one of its requests succeeded (the server refused them,
    /// prompt calibration failed, the context does not fit the model).
    exit_nothing_measured = 5,
    /// Interrupted (Ctrl-C, SIGTERM); the run can be resumed.
    exit_interrupted = 130,
};

/// A usage error found after parsing: its message names the option.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// `text` quoted for a message: control characters escaped, at most 60 characters.
[[nodiscard]] inline std::string quote_input(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size() && i < 60; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) {
            constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (text.size() > 60)
        out += "...";
    return out + "\"";
}

/// "1k,8K,32768" → {1024, 8192, 32768}; a k suffix multiplies by 1,024. Each value is a
/// positive integer that fits 32 bits.
[[nodiscard]] inline std::vector<std::uint32_t>
parse_counts(const std::string& text, const std::string& option, bool allow_k) {
    std::vector<std::uint32_t> out;
    std::size_t at = 0;
    while (at <= text.size()) {
        std::size_t end = text.find(',', at);
        if (end == std::string::npos)
            end = text.size();
        const std::string typed = text.substr(at, end - at);
        std::string item = typed;
        std::uint64_t scale = 1;
        if (allow_k && !item.empty() && (item.back() == 'k' || item.back() == 'K')) {
            scale = 1024;
            item.pop_back();
        }
        std::uint64_t v = 0;
        const auto r = std::from_chars(item.data(), item.data() + item.size(), v);
        if (item.empty() || r.ptr != item.data() + item.size() ||
            (r.ec != std::errc{} && r.ec != std::errc::result_out_of_range) || v == 0)
            throw usage_error(option + ": " + quote_input(typed) + " is not a positive integer" +
                              (allow_k ? " (or Nk, N × 1,024)" : ""));
        if (r.ec == std::errc::result_out_of_range || v > 0xffffffffu / scale)
            throw usage_error(option + ": " + quote_input(typed) + " is too large (at most " +
                              (allow_k ? "4194303k or " : "") + "4294967295)");
        out.push_back(static_cast<std::uint32_t>(v * scale));
        at = end + 1;
    }
    return out;
}

/// "0.5,1,2.5" → {0.5, 1, 2.5}: positive finite numbers (requests per second, a shape, a
/// percentage), comma-separated.
[[nodiscard]] inline std::vector<double> parse_positive_numbers(const std::string& text,
                                                                const std::string& option) {
    std::vector<double> out;
    std::size_t at = 0;
    while (at <= text.size()) {
        std::size_t end = text.find(',', at);
        if (end == std::string::npos)
            end = text.size();
        const std::string item = text.substr(at, end - at);
        double v = 0.0;
        const auto r = std::from_chars(item.data(), item.data() + item.size(), v);
        if (item.empty() || r.ec != std::errc{} || r.ptr != item.data() + item.size() ||
            !(v > 0.0) || !std::isfinite(v))
            throw usage_error(option + ": " + quote_input(item) + " is not a positive number");
        out.push_back(v);
        at = end + 1;
    }
    return out;
}

/// One positive finite number (see parse_positive_numbers).
[[nodiscard]] inline double parse_positive_number(const std::string& text,
                                                  const std::string& option) {
    if (text.find(',') != std::string::npos)
        throw usage_error(option + ": " + quote_input(text) + " is not one number");
    return parse_positive_numbers(text, option).front();
}

/**
 * A duration: a number with a unit, `ms`, `s`, `m` or `h` (`500ms`, `30s`, `10m`, `6h`); a bare
 * number is seconds. Positive and finite.
 */
[[nodiscard]] inline llmcap::duration parse_duration(const std::string& text,
                                                     const std::string& option) {
    std::string why;
    if (const std::optional<llmcap::duration> d = llmcap::parse_duration(text, why))
        return *d;
    throw usage_error(option + ": " + quote_input(text) +
                      " is not a duration (a positive number with ms, s, m or h, e.g. 30s; "
                      "at most 1e7 s)");
}

/// The use cases named by --use-cases: "all", built-in names separated by commas, or a JSON
/// file of use cases.
[[nodiscard]] inline std::vector<llmcap::analysis::use_case>
parse_use_cases(const std::string& spec, const std::string& option) {
    if (spec == "all")
        return llmcap::analysis::builtin_use_cases();
    if (std::filesystem::is_regular_file(spec)) {
        std::ifstream in(spec, std::ios::binary);
        const std::string text{std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>()};
        llmcap::analysis::use_case_parse_result r = llmcap::analysis::parse_use_cases(text);
        if (!r.ok())
            throw usage_error(option + ": " + spec + ": " + r.error);
        return r.use_cases;
    }
    std::vector<llmcap::analysis::use_case> out;
    std::size_t at = 0;
    while (at <= spec.size()) {
        std::size_t end = spec.find(',', at);
        if (end == std::string::npos)
            end = spec.size();
        const std::string name = spec.substr(at, end - at);
        const std::optional<llmcap::analysis::use_case> u =
            llmcap::analysis::find_builtin_use_case(name);
        if (!u) {
            std::string known;
            for (const auto& list : {llmcap::analysis::builtin_use_cases(),
                                     llmcap::analysis::builtin_session_use_cases()})
                for (const llmcap::analysis::use_case& b : list)
                    known += (known.empty() ? "" : ", ") + b.name;
            throw usage_error(option + ": no use case \"" + name + "\" (built in: " + known +
                              "; or give a JSON file)");
        }
        out.push_back(*u);
        at = end + 1;
    }
    return out;
}

/// A CLI11 check that refuses a negative number for an unsigned option (CLI11 would wrap -1 to
/// the largest value).
inline const CLI::Validator not_negative(
    [](std::string& value) -> std::string {
        if (value.find('-') != std::string::npos)
            return "must not be negative, got " + value;
        return {};
    },
    "NONNEGATIVE");

/**
 * Raises this process's soft limit of open files to its hard limit (each request in flight
 * holds a socket). Returns the soft limit in force afterwards.
 */
inline std::uint64_t raise_open_file_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit raised = lim;
        raised.rlim_cur = lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
            lim = raised;
    }
    return static_cast<std::uint64_t>(lim.rlim_cur);
}

} // namespace llmcap_sweep
