// llmcap-emulator: an OpenAI-compatible server whose timing comes from the emulated engine
// (docs/emulator-server.md).

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/fault.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/server.hpp>
#include <llmcap/emulator/server_records.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>    // SIGINT, SIGTERM
#include <cstdint>    // uint16_t, uint32_t, uint64_t
#include <exception>  // exception
#include <filesystem> // exists
#include <fstream>    // ofstream
#include <iostream>   // cout, cerr
#include <optional>   // optional
#include <string>     // string

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

    app.add_option("--host", address, "Address to listen on")->capture_default_str();
    app.add_option("--port", port, "Port to listen on (0: any free port, printed at start)")
        ->capture_default_str();
    app.add_option("--profile", profile_name,
                   "Built-in profile name, or a profile JSON file (docs/emulator.md)")
        ->capture_default_str();
    app.add_option("--time-scale", time_scale,
                   "Emulated seconds per wall-clock second (10: ten times faster than real time)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--truth", truth_path,
                   "Write each finished request's ground truth to this JSONL file (default: none)")
        ->capture_default_str();
    app.add_option("--truth-steps", steps_path,
                   "Write each engine step's ground truth (duration, power, energy) to this "
                   "JSONL file (default: none)")
        ->capture_default_str();
    app.add_option("--seed", seed, "Seed of output lengths, response text and option faults")
        ->capture_default_str();
    app.add_option("--served-model-name", served_model_name,
                   "Model name reported by the server (default: the profile's model name)")
        ->capture_default_str();
    app.add_option("--reasoning", reasoning_tokens,
                   "Stream the first N output tokens of each chat response as reasoning")
        ->capture_default_str();
    app.add_option("--reasoning-field", reasoning_field,
                   "Delta field that carries reasoning: reasoning or reasoning_content")
        ->capture_default_str()
        ->check(CLI::IsMember({"reasoning", "reasoning_content"}));
    app.add_option("--mean-output-tokens", mean_output_tokens,
                   "Mean output length of requests without ignore_eos (exponential)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--fault", fault_text,
                   "Faults injected into requests, in the x-llmcap-fault syntax, e.g. "
                   "'status=503' or 'stall_first=200,cut@10' (default: none)")
        ->capture_default_str();
    app.add_option("--fault-probability", fault_probability,
                   "Probability that a request (a connection, for refuse) gets --fault")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--idle-watts", idle_w, "Emulated GPU power when idle, W")
        ->capture_default_str();
    app.add_option("--max-watts", max_w, "Emulated GPU power at full utilisation, W")
        ->capture_default_str();
    app.add_option("--idle-gather-ms", idle_gather_ms,
                   "Wall time an idle engine waits for more requests before its first step")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--timer-spin-us", timer_spin_us,
                   "Wake the engine timer this early and wait out the rest actively (0: off)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_flag("--check-model", check_model,
                 "Answer requests for another model than the served name with HTTP 404, as "
                 "vLLM does (default: every name is served)")
        ->capture_default_str();
    app.add_flag("--log-requests", log_requests,
                 "Print one line per request on stdout (default: off)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    try {
        const emu::profile profile = std::filesystem::exists(profile_name)
                                         ? emu::load_profile_file(profile_name)
                                         : emu::builtin_profile(profile_name);
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
                return 2;
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
                std::cerr << "llmcap-emulator: cannot write " << truth_path << '\n';
                return 1;
            }
        }
        if (!steps_path.empty()) {
            steps.open(steps_path);
            if (!steps) {
                std::cerr << "llmcap-emulator: cannot write " << steps_path << '\n';
                return 1;
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
                  << ", listening on http://" << address << ':' << srv.port() << std::endl;
        ioc.run();
        std::cout << "llmcap-emulator: stopped after " << srv.steps() << " engine steps, "
                  << srv.token_events() << " token events" << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "llmcap-emulator: " << e.what() << '\n';
        return 1;
    }
}
