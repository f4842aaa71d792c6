// llmcap-emulator: an OpenAI-compatible server whose timing comes from the emulated engine
// (docs/emulator-server.md).
//
// Exit codes (docs/emulator-server.md, "The program"):
//   0  stopped by SIGINT or SIGTERM (or --help printed);
//   1  a file could not be read or written (--profile file, --truth, --truth-steps), or
//      another error;
//   2  usage error: an unknown option or a bad value (the message names the option);
//   3  cannot listen on --host:--port (address in use, not local, permission denied).

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/fault.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/server.hpp>
#include <llmcap/emulator/server_records.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp> // make_address
#include <boost/asio/signal_set.hpp>

#include <charconv>     // from_chars
#include <cmath>        // isfinite, floor, fabs
#include <csignal>      // SIGINT, SIGTERM
#include <cstdint>      // uint16_t, uint32_t, uint64_t
#include <cstdio>       // snprintf
#include <exception>    // exception
#include <filesystem>   // exists
#include <fstream>      // ofstream
#include <iostream>     // cout, cerr
#include <limits>       // numeric_limits
#include <optional>     // optional
#include <stdexcept>    // runtime_error
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // errc

namespace {

/// Exit codes of llmcap-emulator (see the top of this file).
enum exit_code : int {
    exit_ok = 0,
    exit_error = 1,
    exit_usage = 2,
    exit_cannot_listen = 3,
};

/// A bad option value found after parsing; the message names the option.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A number as a message shows it: whole numbers in digits ("0", "1000000"), others with up to
/// 6 significant digits ("0.001", "1e-09").
std::string number_text(double v) {
    char buf[32];
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        std::snprintf(buf, sizeof buf, "%.0f", v);
    else
        std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

/// `text` in double quotes, at most 40 characters of it.
std::string in_quotes(std::string_view text) {
    std::string q = "\"";
    q.append(text.substr(0, 40));
    if (text.size() > 40)
        q += "...";
    q += '"';
    return q;
}

/**
 * A CLI11 check for a finite number in [min, max] (or (min, max] when `min_exclusive`): NaN,
 * infinities, words and values out of range get a message such as "must be greater than 0,
 * got 0" (CLI11's own range checks print the limits with all 309 digits of a double's
 * maximum). CLI11 prefixes the option's name.
 */
CLI::Validator number_check(double min, bool min_exclusive,
                            double max = std::numeric_limits<double>::max()) {
    return CLI::Validator(
        [=](std::string& value) -> std::string {
            double v = 0.0;
            const char* first = value.data();
            const char* last = first + value.size();
            if (first != last && *first == '+')
                ++first;
            const auto [end, ec] = std::from_chars(first, last, v);
            if (value.empty() || end != last || ec == std::errc::invalid_argument)
                return in_quotes(value) + " is not a number";
            if (ec == std::errc::result_out_of_range || !std::isfinite(v))
                return "must be a finite number, got " + value;
            if (min_exclusive && v <= min)
                return "must be greater than " + number_text(min) + ", got " + value;
            if (!min_exclusive && v < min)
                return "must be at least " + number_text(min) + ", got " + value;
            if (v > max)
                return "must be at most " + number_text(max) + ", got " + value;
            return {};
        },
        "", "NUMBER");
}

/**
 * A CLI11 check for a whole number in [0, max], written in decimal digits: CLI11 alone turns
 * "-1" into the type's largest value for an unsigned option.
 */
CLI::Validator whole_number_check(std::uint64_t max) {
    return CLI::Validator(
        [=](std::string& value) -> std::string {
            std::string_view digits = value;
            if (!digits.empty() && digits.front() == '+')
                digits.remove_prefix(1);
            if (!digits.empty() && digits.front() == '-')
                return "must not be negative, got " + value;
            std::uint64_t v = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
            if (digits.empty() || end != digits.data() + digits.size() ||
                ec == std::errc::invalid_argument)
                return in_quotes(value) + " is not a whole number";
            if (ec == std::errc::result_out_of_range || v > max)
                return "must be at most " + std::to_string(max) + ", got " + value;
            return {};
        },
        "", "UINT");
}

} // namespace

int main(int argc, char** argv) {
    namespace emu = llmcap::emulator;
    CLI::App app{"llmcap-emulator: an OpenAI-compatible LLM server (vLLM dialect) whose timing "
                 "comes from an emulated continuous-batching engine"};
    std::string address = "127.0.0.1";
    std::uint16_t port = 8000;
    std::string profile_name(emu::default_profile_name);
    double time_scale = 1.0;
    std::string truth_path;
    std::string steps_path;
    std::uint64_t seed = 0;
    std::string served_model_name;
    std::uint32_t reasoning_tokens = 0;
    std::string reasoning_field = "reasoning";
    double mean_output_tokens = 256.0;
    std::string fault_text;
    double fault_probability = 1.0;
    double idle_w = emu::power_model{}.idle_w;
    double max_w = emu::power_model{}.max_w;
    double idle_gather_ms = 1.0;
    double timer_spin_us = 250.0;
    bool check_model = false;
    bool log_requests = false;
    bool no_prefix_caching = false;

    app.add_option("--host", address,
                   "IP address to listen on (127.0.0.1, ::1, 0.0.0.0 for every interface)")
        ->capture_default_str();
    app.add_option("--port", port, "Port to listen on (0: any free port, printed at start)")
        ->capture_default_str()
        ->check(whole_number_check(65535));
    app.add_option("--profile", profile_name,
                   "Built-in profile name, or a profile JSON file (docs/emulator.md)")
        ->capture_default_str();
    app.add_option("--time-scale", time_scale,
                   "Emulated seconds per wall-clock second (10: ten times faster than real time)")
        ->capture_default_str()
        ->check(number_check(0.0, true, 1e6));
    app.add_option("--truth", truth_path,
                   "Write each finished request's ground truth to this JSONL file (default: none)")
        ->capture_default_str();
    app.add_option("--truth-steps", steps_path,
                   "Write each engine step's ground truth (duration, power, energy) to this "
                   "JSONL file (default: none)")
        ->capture_default_str();
    app.add_option("--seed", seed, "Seed of output lengths, response text and option faults")
        ->capture_default_str()
        ->check(whole_number_check(std::numeric_limits<std::uint64_t>::max()));
    app.add_option("--served-model-name", served_model_name,
                   "Model name reported by the server (default: the profile's model name)")
        ->capture_default_str();
    app.add_option("--reasoning", reasoning_tokens,
                   "Stream the first N output tokens of each chat response as reasoning")
        ->capture_default_str()
        ->check(whole_number_check(std::numeric_limits<std::uint32_t>::max()));
    app.add_option("--reasoning-field", reasoning_field,
                   "Delta field that carries reasoning: reasoning or reasoning_content")
        ->capture_default_str()
        ->check(CLI::IsMember({"reasoning", "reasoning_content"}));
    app.add_option("--mean-output-tokens", mean_output_tokens,
                   "Mean output length of requests without ignore_eos (exponential)")
        ->capture_default_str()
        ->check(number_check(0.0, true));
    app.add_option("--fault", fault_text,
                   "Faults injected into requests, in the x-llmcap-fault syntax, e.g. "
                   "'status=503' or 'stall_first=200,cut@10' (default: none)")
        ->capture_default_str();
    app.add_option("--fault-probability", fault_probability,
                   "Probability that a request (a connection, for refuse) gets --fault")
        ->capture_default_str()
        ->check(number_check(0.0, false, 1.0));
    app.add_option("--idle-watts", idle_w, "Emulated GPU power when idle, W")
        ->capture_default_str()
        ->check(number_check(0.0, false));
    app.add_option("--max-watts", max_w,
                   "Emulated GPU power at full utilisation, W (at least --idle-watts)")
        ->capture_default_str()
        ->check(number_check(0.0, false));
    app.add_option("--idle-gather-ms", idle_gather_ms,
                   "Wall time an idle engine waits for more requests before its first step")
        ->capture_default_str()
        ->check(number_check(0.0, false, 60'000.0));
    app.add_option("--timer-spin-us", timer_spin_us,
                   "Wake the engine timer this early and wait out the rest actively (0: off)")
        ->capture_default_str()
        ->check(number_check(0.0, false, 1e6));
    app.add_flag("--check-model", check_model,
                 "Answer requests for another model than the served name with HTTP 404, as "
                 "vLLM does (default: every name is served)")
        ->capture_default_str();
    app.add_flag("--no-enable-prefix-caching", no_prefix_caching,
                 "Turn the profile's prefix caching off, as vLLM's flag of that name does "
                 "(default: the profile's setting, on in the shipped profiles)")
        ->capture_default_str();
    app.add_flag("--log-requests", log_requests,
                 "Print one line per request on stdout (default: off)")
        ->capture_default_str();
    // CLI11's messages, like ours, start with the program's name.
    app.failure_message([](const CLI::App* a, const CLI::Error& e) {
        return "llmcap-emulator: " + CLI::FailureMessage::simple(a, e);
    });
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        (void)app.exit(e);
        return exit_usage;
    }

    try {
        boost::system::error_code address_error;
        (void)boost::asio::ip::make_address(address, address_error);
        if (address_error)
            throw usage_error("--host: " + in_quotes(address) +
                              " is not an IP address (e.g. 127.0.0.1, ::1 or 0.0.0.0)");
        if (max_w < idle_w)
            throw usage_error("--max-watts: must be at least --idle-watts (" + number_text(idle_w) +
                              " W), got " + number_text(max_w));
        if (!std::filesystem::exists(profile_name)) {
            bool builtin = false;
            std::string names;
            for (const emu::builtin_profile_entry& e : emu::builtin_profiles) {
                builtin = builtin || e.name == profile_name;
                names += names.empty() ? "" : ", ";
                names += e.name;
            }
            if (!builtin)
                throw usage_error("--profile: " + in_quotes(profile_name) +
                                  " is neither a file nor a built-in profile (built in: " + names +
                                  ")");
        }
    } catch (const usage_error& e) {
        std::cerr << "llmcap-emulator: " << e.what() << '\n';
        return exit_usage;
    }

    try {
        emu::profile profile = std::filesystem::exists(profile_name)
                                   ? emu::load_profile_file(profile_name)
                                   : emu::builtin_profile(profile_name);
        if (no_prefix_caching)
            profile.engine.enable_prefix_caching = false;
        emu::server_options options;
        options.address = address;
        options.port = port;
        options.time_scale = time_scale;
        options.seed = seed;
        options.served_model_name = served_model_name;
        options.reasoning_tokens = reasoning_tokens;
        options.reasoning_as = reasoning_field == "reasoning_content"
                                   ? emu::reasoning_field::reasoning_content
                                   : emu::reasoning_field::reasoning;
        options.mean_output_tokens = mean_output_tokens;
        if (!fault_text.empty()) {
            std::string error;
            const std::optional<emu::fault> f = emu::parse_fault(fault_text, error);
            if (!f) {
                std::cerr << "llmcap-emulator: --fault: " << error << '\n';
                return exit_usage;
            }
            options.faults = *f;
        }
        options.fault_probability = fault_probability;
        options.power.idle_w = idle_w;
        options.power.max_w = max_w;
        options.idle_gather = llmcap::from_seconds(idle_gather_ms / 1000.0);
        options.timer_spin = llmcap::from_seconds(timer_spin_us / 1e6);
        options.check_model = check_model;
        if (log_requests)
            options.log = [](std::string_view line) { std::cout << line << '\n' << std::flush; };

        std::ofstream truth;
        std::ofstream steps;
        if (!truth_path.empty()) {
            truth.open(truth_path);
            if (!truth) {
                std::cerr << "llmcap-emulator: --truth: cannot write " << truth_path << '\n';
                return exit_error;
            }
        }
        if (!steps_path.empty()) {
            steps.open(steps_path);
            if (!steps) {
                std::cerr << "llmcap-emulator: --truth-steps: cannot write " << steps_path << '\n';
                return exit_error;
            }
        }

        boost::asio::io_context ioc;
        emu::server srv(ioc, profile, options);
        if (truth.is_open())
            srv.on_request([&](const emu::request_record& r) {
                truth << emu::truth_json_line(r, srv.epoch(), srv.options().time_scale) << '\n';
            });
        if (steps.is_open())
            srv.on_step([&](const emu::step_record& s) {
                steps << emu::step_json_line(s, srv.epoch()) << '\n';
            });
        boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& ec, int) {
            if (!ec)
                srv.stop();
        });
        srv.start();
        std::cout << "llmcap-emulator: profile " << profile.name << ", model "
                  << srv.options().served_model_name << ", time scale " << time_scale
                  << ", listening on http://"
                  << (address.find(':') == std::string::npos ? address : '[' + address + ']') << ':'
                  << srv.port() << std::endl;
        ioc.run();
        std::cout << "llmcap-emulator: stopped after " << srv.steps() << " engine steps, "
                  << srv.token_events() << " token events" << std::endl;
        return exit_ok;
    } catch (const emu::listen_error& e) {
        std::cerr << "llmcap-emulator: " << e.what() << '\n';
        return exit_cannot_listen;
    } catch (const std::exception& e) {
        std::cerr << "llmcap-emulator: " << e.what() << '\n';
        return exit_error;
    }
}
