// llmcap-sweep: runs capacity sweeps against OpenAI-compatible servers (or the emulator) and
// writes their reports. See docs/sweep-tool.md.
//
// Exit codes (cli.hpp, docs/sweep-tool.md): 0 success, 1 a file could not be read or written
// (or another error), 2 usage error, 3 server unreachable or not OpenAI-compatible, 4 more
// failed requests than --max-failure-rate, 5 a cell measured nothing, 130 interrupted.

#include "cli.hpp"
#include "progress.hpp"

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/traffic_mix.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/core/file_io.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/server.hpp>
#include <llmcap/emulator/server_energy_meter.hpp>
#include <llmcap/openai/dialect.hpp>
#include <llmcap/report/build_report.hpp>
#include <llmcap/report/capacity_report.hpp>
#include <llmcap/report/cells_input.hpp>
#include <llmcap/report/compare_report.hpp>
#include <llmcap/report/render_html.hpp>
#include <llmcap/report/render_markdown.hpp>
#include <llmcap/report/write_reports.hpp>
#include <llmcap/sweep/http_runner.hpp>
#include <llmcap/sweep/metrics_target.hpp>
#include <llmcap/sweep/output_dir.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/plan_overrides.hpp>
#include <llmcap/sweep/presets.hpp>
#include <llmcap/sweep/run_sweep.hpp>
#include <llmcap/sweep/simulator_runner.hpp>
#include <llmcap/telemetry/any_energy_meter.hpp>
#include <llmcap/telemetry/dcgm_energy_meter.hpp>
#include <llmcap/telemetry/nvml_energy_meter.hpp>
#include <llmcap/version.hpp>
#include <llmcap/workload/corpus.hpp>
#include <llmcap/workload/trace_file.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/parse.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace la = llmcap::analysis;
namespace lr = llmcap::report;
namespace ls = llmcap::sweep;

using namespace llmcap_sweep; // exit codes, usage_error, option parsers

/// Options shared by `run` and `simulate` that shape the plan.
struct plan_options {
    std::string preset = "glm-4.7-flash-h200";
    std::string contexts;
    std::string concurrency;
    std::uint32_t output_tokens = 0;
    std::string use_cases = "all";
    std::uint32_t max_search_concurrency = 0;
    std::uint64_t seed = 1;
    bool sessions = false;
    std::string users = "1,8,32,128";
    std::uint32_t turns = 8;
    std::string turn_tokens = "512";
    std::string think_time = "lognormal:10s";
    std::string system_prompt = "0";
    std::uint32_t groups = 1;
    bool cache_compare = false;
    // Open loop and request counts: empty strings are "not given".
    std::string rate;
    std::string rates;
    std::string burstiness;
    std::uint32_t max_in_flight = ls::default_max_in_flight;
    std::string requests_per_cell;
    std::string prompts_per_concurrency;
    std::string duration;
    std::string warmup;
    std::string ci_half_width;
    std::string max_requests;
    std::string dataset;
    std::string dataset_lengths;
    std::string rate_start;
    std::uint32_t max_rate_cells = 0; // 0: not given (8)
    std::string trace;
    std::string trace_format;
    std::string time_scale;
    std::string mix;
};

void add_plan_options(CLI::App& app, plan_options& o) {
    std::string presets;
    for (std::string_view n : ls::preset_names)
        presets += (presets.empty() ? "" : ", ") + std::string(n);
    app.add_option("--preset", o.preset, "Built-in plan: " + presets)->capture_default_str();
    app.add_option("--contexts", o.contexts,
                   "Context lengths of the grid, comma-separated, k = 1,024 tokens "
                   "(e.g. 1k,8k,32k); default: the preset's")
        ->capture_default_str();
    app.add_option("--concurrency", o.concurrency,
                   "Concurrency levels of the grid, comma-separated (e.g. 1,2,4); default: the "
                   "preset's")
        ->capture_default_str();
    app.add_option("--output-tokens", o.output_tokens,
                   "Output tokens per grid request; 0: the preset's")
        ->capture_default_str()
        ->check(not_negative);
    app.add_option("--use-cases", o.use_cases,
                   "Use cases whose capacity is searched: all (the preset's), none, built-in "
                   "names comma-separated, or a JSON file")
        ->capture_default_str();
    app.add_option("--max-search-concurrency", o.max_search_concurrency,
                   "Highest concurrency a capacity search may try; 0: the preset's")
        ->capture_default_str()
        ->check(not_negative);
    app.add_option("--seed", o.seed, "Seed of prompts and arrivals")
        ->capture_default_str()
        ->check(not_negative);
    app.add_flag("--sessions", o.sessions,
                 "Session cells instead of the grid: users holding conversations, each turn "
                 "resending the history with the server's answers (--users, --turns, "
                 "--turn-tokens, --think-time, --system-prompt; answers of --output-tokens)");
    app.add_option("--users", o.users, "Users of the session cells, comma-separated")
        ->capture_default_str();
    app.add_option("--turns", o.turns, "Turns per conversation")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--turn-tokens", o.turn_tokens,
                   "Tokens of each new user message (k = 1,024 tokens)")
        ->capture_default_str();
    app.add_option("--think-time", o.think_time,
                   "Pause before each next turn: 0, fixed:5s, exponential:10s, lognormal:10s "
                   "or lognormal:10s:SIGMA (mean; a bare duration is fixed)")
        ->capture_default_str();
    app.add_option("--system-prompt", o.system_prompt,
                   "Tokens of a system prompt shared by each group of users (k = 1,024); 0: "
                   "none")
        ->capture_default_str();
    app.add_option("--groups", o.groups, "Groups of users, each with its own system prompt")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("--cache-compare", o.cache_compare,
                 "With --sessions: also run every level with prefix caching defeated "
                 "(cells named sessions_nocache)");
    app.add_option("--rate", o.rate,
                   "Open loop: requests arrive at this mean rate (requests/s) in every grid "
                   "cell, whatever their concurrency (see --max-in-flight)");
    app.add_option("--rates", o.rates,
                   "Open loop: a rate sweep, one cell per rate (requests/s, comma-separated, "
                   "e.g. 0.5,1,2,4) for each context length and output length of the grid; "
                   "auto: search each for the highest rate the server keeps up with "
                   "(--rate-start, --max-rate-cells)");
    app.add_option("--rate-start", o.rate_start,
                   "With --rates auto: the first rate tried (requests/s; default 1), doubled "
                   "until the server stops keeping up, then bisected");
    app.add_option("--max-rate-cells", o.max_rate_cells,
                   "With --rates auto: the most cells each search measures (default 8)")
        ->check(CLI::PositiveNumber);
    app.add_option("--burstiness", o.burstiness,
                   "Open loop: gamma shape of the gaps between arrivals; 1 (default) is "
                   "Poisson, below 1 burstier, above 1 more regular");
    app.add_option("--max-in-flight", o.max_in_flight,
                   "Open loop: the most requests in flight at once (arrivals beyond wait)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--requests-per-cell", o.requests_per_cell,
                   "Measured requests of every cell; default: the preset's count per unit of "
                   "concurrency");
    app.add_option("--prompts-per-concurrency", o.prompts_per_concurrency,
                   "Measured requests per unit of concurrency: a cell at concurrency c runs "
                   "K x c (1 quick, 5 recommended, 10 stable)");
    app.add_option("--duration", o.duration,
                   "Stop starting requests this long after a cell's first (e.g. 60s, 5m); "
                   "alone, every cell runs for it; with a request count, whichever comes first");
    app.add_option("--warmup", o.warmup, "Warm-up requests per cell, not measured");
    app.add_option("--ci-half-width", o.ci_half_width,
                   "Sample each cell until the 95% confidence intervals of its mean TTFT and "
                   "generation speed are within +/- this many percent (e.g. 5), bounded by "
                   "--max-requests (default 100 x concurrency)");
    app.add_option("--max-requests", o.max_requests,
                   "The most measured requests of any cell (a trace: its first N); 0: no cap");
    app.add_option("--trace", o.trace,
                   "Replay a production trace: each request sent at its time (scaled by "
                   "--time-scale) with its prompt and output lengths, at most --max-in-flight at "
                   "once; needs --trace-format");
    app.add_option("--trace-format", o.trace_format,
                   "Format of --trace: mooncake (JSON Lines, with hash_ids for shared prefixes), "
                   "azure (CSV: TIMESTAMP, ContextTokens, GeneratedTokens) or burstgpt (CSV: "
                   "Timestamp, Request tokens, Response tokens)");
    app.add_option("--time-scale", o.time_scale,
                   "Multiply the trace's times by this (0.5 replays twice as fast; default 1)");
    app.add_option("--mix", o.mix,
                   "A traffic mix: use cases served together by request share, e.g. "
                   "code_completion:0.5,general_chatbot:0.3,long_document_processing:0.2 "
                   "(built-in names, or those of a --use-cases JSON file), or a JSON file; "
                   "searches the largest concurrency at which every class meets its own "
                   "thresholds (up to --max-search-concurrency, default 64), plus mix cells "
                   "at --concurrency or --rates");
    app.add_option("--dataset", o.dataset,
                   "Prompts from a dataset file: ShareGPT JSON, JSON Lines or plain text "
                   "(documents separated by blank lines); see --dataset-lengths");
    app.add_option("--dataset-lengths", o.dataset_lengths,
                   "own (default): each request is a record of --dataset with its own prompt "
                   "and, where the record has an answer or an output length, its own output "
                   "length (cells named dataset, one per concurrency level or rate); resample: "
                   "the grid's cells, their prompts cut from the dataset's text to each "
                   "context length");
}

/// The traffic mix `spec` gives: a JSON file (analysis/traffic_mix.hpp) or NAME:SHARE,…; names
/// resolved among `known` (a --use-cases file's), then the built-in use cases. Says on stderr
/// when the shares were normalized. Throws usage_error naming the entry or the file's field.
la::traffic_mix read_mix(const std::string& spec, const std::vector<la::use_case>& known) {
    const la::use_case_lookup lookup = [&known](std::string_view name) {
        for (const la::use_case& u : known)
            if (u.name == name)
                return std::optional<la::use_case>(u);
        return la::find_builtin_use_case(name);
    };
    la::traffic_mix m;
    std::string note;
    if (fs::is_regular_file(spec)) {
        std::string text, error;
        if (!llmcap::read_file_text(spec, text, error))
            throw std::runtime_error("--mix: " + error);
        const llmcap::json_result<boost::json::value> doc = llmcap::parse_json(text, spec);
        if (!doc)
            throw usage_error("--mix: " + doc.error().message());
        llmcap::json_reader in(spec);
        if (!la::read_traffic_mix(in, *doc, "$", m, lookup, &note))
            throw usage_error("--mix: " + in.error().message());
    } else if (const std::string why = la::parse_mix_spec(spec, m, lookup, &note); !why.empty()) {
        throw usage_error("--mix: " + why);
    }
    if (!note.empty())
        std::fprintf(stderr, "--mix: %s\n", note.c_str());
    return m;
}

/// The preset `o` names with the other plan options applied (sweep/plan_overrides.hpp).
ls::sweep_plan make_plan(const plan_options& o) {
    std::optional<ls::sweep_plan> plan = ls::preset(o.preset);
    if (!plan)
        throw usage_error("--preset: no preset \"" + o.preset + "\"");
    ls::plan_overrides change;
    change.seed = o.seed;
    if (!o.contexts.empty())
        change.contexts = parse_counts(o.contexts, "--contexts", true);
    if (!o.concurrency.empty())
        change.concurrency = parse_counts(o.concurrency, "--concurrency", false);
    change.output_tokens = o.output_tokens;
    // With a mix, use cases are searched alone only when named (a file may only define the
    // mix's classes).
    if (o.use_cases == "none" ||
        (!o.mix.empty() && (o.use_cases == "all" || fs::is_regular_file(o.use_cases))))
        change.use_cases.emplace();
    else if (o.use_cases != "all")
        change.use_cases = parse_use_cases(o.use_cases, "--use-cases");
    if (!o.mix.empty()) {
        std::vector<la::use_case> known;
        if (fs::is_regular_file(o.use_cases))
            known = parse_use_cases(o.use_cases, "--use-cases");
        change.mix = read_mix(o.mix, known);
        for (const auto& [given, option] :
             {std::pair{o.sessions, "--sessions"}, std::pair{!o.dataset.empty(), "--dataset"},
              std::pair{!o.trace.empty(), "--trace"}, std::pair{!o.contexts.empty(), "--contexts"},
              std::pair{o.output_tokens != 0, "--output-tokens"}})
            if (given)
                throw usage_error(std::string("--mix: not with ") + option +
                                  " (each class brings its use case's lengths; --concurrency "
                                  "or --rates set the load of extra mix cells)");
    }
    change.max_search_concurrency = o.max_search_concurrency;
    if (o.sessions) {
        la::session_workload w;
        w.turns = o.turns;
        std::string why;
        const std::optional<llmcap::think_time> think = llmcap::parse_think_time(o.think_time, why);
        if (!think)
            throw usage_error("--think-time: " + why);
        w.think = *think;
        if (o.system_prompt != "0")
            w.system_prompt_tokens = parse_counts(o.system_prompt, "--system-prompt", true).at(0);
        w.groups = o.groups;
        change.sessions = w;
        change.users = parse_counts(o.users, "--users", false);
        change.turn_tokens = parse_counts(o.turn_tokens, "--turn-tokens", true).at(0);
        change.cache_compare = o.cache_compare;
    } else if (o.cache_compare) {
        throw usage_error("--cache-compare: only with --sessions");
    }
    if (!o.rate.empty() && !o.rates.empty())
        throw usage_error("--rate and --rates: give one (--rates 2 is --rate 2)");
    change.find_rate = o.rates == "auto";
    if (!o.rate.empty())
        change.rates = {parse_positive_number(o.rate, "--rate")};
    else if (!o.rates.empty() && !change.find_rate)
        change.rates = parse_positive_numbers(o.rates, "--rates");
    if (!o.rate_start.empty() && !change.find_rate)
        throw usage_error("--rate-start: only with --rates auto");
    if (!o.rate_start.empty())
        change.rate_start = parse_positive_number(o.rate_start, "--rate-start");
    if (o.max_rate_cells != 0 && !change.find_rate)
        throw usage_error("--max-rate-cells: only with --rates auto");
    if (o.max_rate_cells != 0)
        change.max_rate_cells = o.max_rate_cells;
    if (change.find_rate && o.sessions)
        throw usage_error("--rates: not with --sessions (users, not arrivals, make the load)");
    // Open-loop cells run a minute unless told: a count per unit of concurrency would be per
    // unit of the cap (2,048 requests at the default), and a rate search needs cells long
    // enough to show a trend.
    if ((!change.rates.empty() || change.find_rate) && o.requests_per_cell.empty() &&
        o.prompts_per_concurrency.empty() && o.duration.empty() && o.ci_half_width.empty())
        change.duration_s = 60.0;
    if (!change.rates.empty() && o.sessions)
        throw usage_error(std::string(o.rate.empty() ? "--rates" : "--rate") +
                          ": not with --sessions (users, not arrivals, make the load)");
    if (!o.burstiness.empty()) {
        if (change.rates.empty() && !change.find_rate)
            throw usage_error("--burstiness: only with --rate or --rates");
        change.burstiness = parse_positive_number(o.burstiness, "--burstiness");
    }
    change.max_in_flight = o.max_in_flight;
    if (!o.requests_per_cell.empty() && !o.prompts_per_concurrency.empty())
        throw usage_error("--requests-per-cell and --prompts-per-concurrency: give one");
    if (!o.ci_half_width.empty() &&
        (!o.requests_per_cell.empty() || !o.prompts_per_concurrency.empty()))
        throw usage_error(
            std::string("--ci-half-width: not with ") +
            (o.requests_per_cell.empty() ? "--prompts-per-concurrency" : "--requests-per-cell") +
            " (the confidence target decides how many requests a cell runs; bound it with "
            "--max-requests)");
    for (const auto& [count, option] :
         {std::pair{&o.requests_per_cell, "--requests-per-cell"},
          std::pair{&o.prompts_per_concurrency, "--prompts-per-concurrency"},
          std::pair{&o.warmup, "--warmup"}, std::pair{&o.max_requests, "--max-requests"}})
        if (count->find(',') != std::string::npos)
            throw usage_error(std::string(option) + ": " + quote_input(*count) +
                              " is not one number");
    if (!o.requests_per_cell.empty())
        change.requests_per_cell =
            parse_counts(o.requests_per_cell, "--requests-per-cell", false).at(0);
    if (!o.prompts_per_concurrency.empty())
        change.requests_per_concurrency =
            parse_counts(o.prompts_per_concurrency, "--prompts-per-concurrency", false).at(0);
    if (!o.duration.empty())
        change.duration_s = llmcap::to_seconds(parse_duration(o.duration, "--duration"));
    if (!o.warmup.empty())
        change.warmup_requests =
            o.warmup == "0" ? 0u : parse_counts(o.warmup, "--warmup", false).at(0);
    if (!o.ci_half_width.empty()) {
        const double percent = parse_positive_number(o.ci_half_width, "--ci-half-width");
        if (percent >= 100.0)
            throw usage_error("--ci-half-width: " + quote_input(o.ci_half_width) +
                              " is not a percentage below 100 (e.g. 5 for +/-5%)");
        change.ci_half_width = percent / 100.0;
    }
    if (!o.max_requests.empty())
        change.max_requests = o.max_requests == "0"
                                  ? 0u
                                  : parse_counts(o.max_requests, "--max-requests", false).at(0);
    if (o.trace.empty() && (!o.trace_format.empty() || !o.time_scale.empty()))
        throw usage_error(std::string(o.trace_format.empty() ? "--time-scale" : "--trace-format") +
                          ": only with --trace");
    if (!o.trace.empty()) {
        if (o.trace_format.empty())
            throw usage_error("--trace: needs --trace-format (mooncake, azure or burstgpt)");
        if (!llmcap::workload::trace_format_from_name(o.trace_format))
            throw usage_error("--trace-format: expected mooncake, azure or burstgpt, got " +
                              quote_input(o.trace_format));
        for (const auto& [given, option] :
             {std::pair{!o.rate.empty() || !o.rates.empty(), "--rate/--rates"},
              std::pair{o.sessions, "--sessions"}, std::pair{!o.dataset.empty(), "--dataset"},
              std::pair{!o.contexts.empty(), "--contexts"},
              std::pair{!o.concurrency.empty(), "--concurrency"},
              std::pair{o.output_tokens != 0, "--output-tokens"}})
            if (given)
                throw usage_error(std::string("--trace: not with ") + option +
                                  " (the trace brings its own arrivals and lengths; "
                                  "--max-in-flight caps the requests in flight)");
        change.trace_path = o.trace;
        change.trace_format = o.trace_format;
        change.trace_time_scale =
            o.time_scale.empty() ? 1.0 : parse_positive_number(o.time_scale, "--time-scale");
    }
    if (!o.dataset_lengths.empty() && o.dataset.empty())
        throw usage_error("--dataset-lengths: only with --dataset");
    if (!o.dataset_lengths.empty() && o.dataset_lengths != "own" && o.dataset_lengths != "resample")
        throw usage_error("--dataset-lengths: expected own or resample, got " +
                          quote_input(o.dataset_lengths));
    change.dataset_path = o.dataset;
    change.dataset_own_lengths = !o.dataset.empty() && o.dataset_lengths != "resample";
    if (change.dataset_own_lengths && !o.contexts.empty())
        throw usage_error("--contexts: not with --dataset's own lengths (each record has its "
                          "own; --dataset-lengths resample cuts the dataset's text to these "
                          "lengths instead)");
    if (change.dataset_own_lengths && o.sessions)
        throw usage_error("--dataset: not with --sessions (conversations build their own "
                          "messages; --dataset-lengths resample takes their text from it)");
    if (std::string why; !ls::apply_overrides(*plan, change, why))
        throw usage_error(std::string(o.sessions ? "--sessions: "
                                      : why.find("rate") != std::string::npos ||
                                              why.find("burstiness") != std::string::npos ||
                                              why.find("in flight") != std::string::npos
                                          ? "--rate/--rates: "
                                          : "--contexts/--concurrency: ") +
                          why);
    return std::move(*plan);
}

/// The plan's corpus file read (empty when it has none); says on stderr what was read and
/// left out. A file that cannot be read or holds something invalid throws (exit 1), naming it.
llmcap::workload::corpus read_dataset(const ls::sweep_plan& plan) {
    if (plan.corpus_path.empty())
        return {};
    llmcap::workload::corpus_parse_result r = llmcap::workload::load_corpus(plan.corpus_path);
    if (!r.ok())
        throw std::runtime_error("--dataset " + plan.corpus_path + ": " + r.error);
    const std::string skipped =
        llmcap::workload::describe_skips(r.value.skipped, "; skipped: ", "");
    std::fprintf(stderr, "dataset %s: %zu records with a prompt%s\n", plan.corpus_path.c_str(),
                 r.value.records.size(), skipped.c_str());
    return std::move(r.value);
}

/// The plan's trace read (empty when it has none); says on stderr what was read and left out.
/// A file that cannot be read or holds something invalid throws (exit 1), naming it.
llmcap::workload::trace_read read_trace(const ls::sweep_plan& plan) {
    if (plan.trace_path.empty())
        return {};
    const std::optional<llmcap::workload::trace_format> f =
        llmcap::workload::trace_format_from_name(plan.trace_format);
    llmcap::workload::trace_read r = llmcap::workload::load_trace(plan.trace_path, *f);
    if (!r.ok())
        throw std::runtime_error("--trace " + plan.trace_path + ": " + r.error);
    const std::string skipped = llmcap::workload::describe_skips(r.skipped, "; skipped: ", "");
    std::fprintf(stderr, "trace %s: %zu requests over %s%s\n", plan.trace_path.c_str(),
                 r.entries.size(),
                 lr::format_duration_s(r.entries.back().at_s * plan.trace_time_scale).c_str(),
                 skipped.c_str());
    return r;
}

/// Runs a sweep to its end on `ioc` with Ctrl-C handling; returns the outcome.
template <class Runner>
ls::sweep_outcome drive(asio::io_context& ioc, const ls::sweep_plan& plan, Runner& runner,
                        ls::sweep_options options, bool quiet) {
    llmcap::client::stop_signal stop;
    llmcap_sweep::progress shown(plan, quiet);
    options.stop = &stop;
    options.on_trace = [&](const llmcap::request_trace& t, const ls::cell_key& k, bool w) {
        shown.on_trace(t, k, w);
    };
    options.on_cell = [&](const ls::cell_result& c) { shown.on_cell(c); };
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    bool interrupted_by_signal = false;
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec)
            return;
        interrupted_by_signal = true;
        std::fprintf(stderr, "\nstopping: finishing the requests in flight as cancelled...\n");
        stop.request_stop();
    });
    std::optional<ls::sweep_outcome> outcome;
    std::exception_ptr failure;
    asio::co_spawn(ioc, ls::run_sweep(plan, runner, std::move(options)),
                   [&](std::exception_ptr e, ls::sweep_outcome o) {
                       signals.cancel();
                       if (e)
                           failure = e;
                       else
                           outcome = std::move(o);
                   });
    ioc.run();
    shown.finish();
    if (failure)
        std::rethrow_exception(failure);
    if (interrupted_by_signal && outcome)
        outcome->interrupted = true;
    return std::move(*outcome);
}

/**
 * Writes every report and prints where; returns the exit code for the outcome: interrupted
 * (130) before a cell that measured nothing (5) before failed requests above
 * `max_failure_rate` (4). A report that cannot be written throws file_error (exit 1); the
 * measured requests stay in the run's JSONL files, from which `report` rebuilds it.
 */
int finish_run(const ls::sweep_outcome& outcome, const fs::path& out, double max_failure_rate,
               const std::string& resume_command) {
    for (const std::string& w : outcome.warnings)
        std::fprintf(stderr, "warning: %s\n", w.c_str());
    try {
        lr::write_reports(outcome.result, out);
    } catch (const llmcap::file_error& e) {
        throw llmcap::file_error(e.path(),
                                 "the measurements are kept in " +
                                     (out / "requests.jsonl").string() +
                                     " and cells.jsonl, but cannot write",
                                 e.reason());
    }
    for (const std::string& e : outcome.search_errors) // rate searches name themselves
        std::fprintf(stderr, "%s%s\n",
                     e.rfind("rate search", 0) == 0 ? "" : "capacity search: ", e.c_str());
    if (outcome.interrupted) {
        std::fprintf(stderr, "%s\ninterrupted; partial report in %s\nresume with: %s\n",
                     outcome.message.c_str(), out.c_str(), resume_command.c_str());
        return exit_interrupted;
    }
    std::uint64_t started = 0, succeeded = 0;
    std::size_t empty_cells = 0;
    for (const ls::cell_result& c : outcome.result.cells) {
        started += c.requests_started;
        succeeded += c.requests_succeeded;
        if (c.measured_nothing())
            ++empty_cells;
    }
    std::printf("report: %s\n", (out / "report.html").c_str());
    std::printf("        %s\n", (out / "report.md").c_str());
    if (const std::optional<ls::mix_search_result>& m = outcome.result.mix)
        std::printf("mix: %s\n", lr::mix_headline(*m, outcome.result.cells).c_str());
    if (const std::optional<la::traffic_mix> mix = lr::run_mix(outcome.result))
        for (const ls::rate_search_result& s : outcome.result.rate_searches)
            if (s.search.mix)
                std::printf("mix: %s\n",
                            lr::mix_rate_headline(s, *mix, outcome.result.cells).c_str());
    if (outcome.result.cells.empty()) {
        std::fprintf(stderr, "llmcap-sweep: the plan has no cell: nothing was measured\n");
        return exit_nothing_measured;
    }
    if (empty_cells > 0) {
        std::fprintf(stderr, "llmcap-sweep: %zu of %zu cells measured nothing:\n", empty_cells,
                     outcome.result.cells.size());
        for (const ls::cell_result& c : outcome.result.cells)
            if (c.measured_nothing())
                std::fprintf(stderr, "  %s: %s\n", c.key.id().c_str(), c.failure_reason().c_str());
        return exit_nothing_measured;
    }
    const double failed =
        started == 0 ? 0.0
                     : static_cast<double>(started - succeeded) / static_cast<double>(started);
    if (failed > max_failure_rate) {
        std::fprintf(stderr,
                     "%llu of %llu requests failed (%s), above --max-failure-rate %s; see the "
                     "reliability section of the report\n",
                     static_cast<unsigned long long>(started - succeeded),
                     static_cast<unsigned long long>(started), lr::format_percent(failed).c_str(),
                     lr::format_percent(max_failure_rate).c_str());
        std::map<llmcap::error, std::pair<std::uint64_t, std::string>> kinds;
        for (const ls::cell_result& c : outcome.result.cells)
            for (const ls::failure_count& f : c.failures) {
                auto& [count, example] = kinds[f.kind];
                count += f.count;
                if (example.empty() && !f.examples.empty())
                    example = f.examples.front();
            }
        for (const auto& [kind, seen] : kinds)
            std::fprintf(stderr, "  %s ×%llu (%s)\n", std::string(llmcap::error_name(kind)).c_str(),
                         static_cast<unsigned long long>(seen.first), seen.second.c_str());
        return exit_failures;
    }
    return exit_ok;
}

/// GETs `path` on a server, blocking; for probes outside a running sweep.
llmcap::client::http_response blocking_get(const std::string& url, const std::string& path,
                                           const llmcap::client::endpoint_options& eo) {
    asio::io_context ioc;
    llmcap::client::http_endpoint ep(ioc.get_executor(), url, eo);
    llmcap::client::http_response response;
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { response = co_await ep.get(path); }, asio::detached);
    ioc.run();
    return response;
}

/**
 * Checks that `url` answers `/v1/models` like an OpenAI-compatible server within `limit`;
 * returns an empty string when it does, else what was tried and what happened. A `model` the
 * list does not hold gets a warning naming the models it does (some servers accept any name).
 */
std::string probe_server(const std::string& url, llmcap::client::endpoint_options eo,
                         llmcap::duration limit, const std::string& model) {
    llmcap::client::timeouts& t = eo.timeouts;
    t.connect = std::min(t.connect, limit);
    t.headers = t.first_token = t.idle = t.total = limit;
    const llmcap::client::http_response r = blocking_get(url, "/v1/models", eo);
    const std::string tried = "tried GET " + url + "/v1/models: ";
    if (!r.ok())
        return tried + r.error_message +
               (r.failure && llmcap::is_timeout(*r.failure)
                    ? " (the start-up probe's limit is --probe-timeout)"
                    : "");
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("data") ||
        !v.as_object().at("data").is_array())
        return tried + "the answer is not an OpenAI model list (expected {\"data\": [...]})";
    const llmcap::openai::dialect_info d = llmcap::openai::detect_dialect(r.body);
    if (const std::string note = llmcap::openai::unlisted_model_note(d.model_ids, model);
        !note.empty())
        std::fprintf(stderr,
                     "warning: --model: %s at %s; a server such as vLLM will refuse every "
                     "request\n",
                     note.c_str(), url.c_str());
    return {};
}

// ------------------------------------------------------------------------------------------
// Subcommands

struct run_args {
    plan_options plan;
    std::string url;
    std::string model;
    std::string api_key_env = "OPENAI_API_KEY";
    std::string metrics_url;
    std::string dcgm_url;
    std::vector<unsigned> gpu_index;
    std::string gpu;
    std::string engine;
    std::string out = "llmcap-results";
    std::string resume;
    double max_failure_rate = 0.05;
    bool quiet = false;
    std::string connect_timeout = "10s";
    std::string first_token_timeout = "30m";
    std::string idle_timeout = "10m";
    std::string request_timeout = "6h";
    std::string probe_timeout = "60s";
    std::string ca_cert;
    bool insecure = false;
};

int cmd_run(const run_args& a) {
    if (!a.metrics_url.empty()) {
        std::string why;
        if (!ls::parse_metrics_url(a.metrics_url, why))
            throw usage_error("--metrics-url: " + quote_input(a.metrics_url) +
                              " is not a usable URL: " + why);
    }
    const bool resuming = !a.resume.empty();
    const fs::path out = resuming ? fs::path(a.resume) : fs::path(a.out);
    ls::sweep_plan plan;
    std::string url = a.url;
    std::string model = a.model;
    if (resuming) {
        ls::resumed_state stored;
        ls::output_dir::read_run_file(out, stored);
        plan = stored.plan;
        if (url.empty())
            url = stored.run.server_url;
        if (model.empty())
            model = stored.run.model;
    } else {
        if (url.empty())
            throw usage_error("--url: required (the server's base URL, e.g. "
                              "http://127.0.0.1:8000)");
        plan = make_plan(a.plan);
        plan.model = model;
    }
    llmcap::workload::corpus dataset = read_dataset(plan); // before the server is asked
    llmcap::workload::trace_read trace = read_trace(plan);
    llmcap::client::endpoint_options eo;
    eo.api_key_env = a.api_key_env;
    if (std::string why; !llmcap::client::parse_endpoint_url(url, why))
        throw usage_error("--url: " + quote_input(url) + " is not a usable URL: " + why);
    eo.timeouts.connect = parse_duration(a.connect_timeout, "--connect-timeout");
    eo.timeouts.first_token = parse_duration(a.first_token_timeout, "--first-token-timeout");
    eo.timeouts.headers = eo.timeouts.first_token;
    eo.timeouts.idle = parse_duration(a.idle_timeout, "--idle-timeout");
    eo.timeouts.total = parse_duration(a.request_timeout, "--request-timeout");
    const llmcap::duration probe_limit = parse_duration(a.probe_timeout, "--probe-timeout");
    if (!a.ca_cert.empty()) {
        std::ifstream in(a.ca_cert, std::ios::binary);
        if (!in)
            throw usage_error("--ca-cert: cannot read " + quote_input(a.ca_cert) + ": " +
                              std::error_code(errno, std::generic_category()).message());
        eo.tls.ca_pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (eo.tls.ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
            throw usage_error("--ca-cert: " + quote_input(a.ca_cert) +
                              " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    if (a.insecure) {
        eo.tls.verify_peer = false;
        std::fprintf(stderr, "warning: --insecure: the server's TLS certificate is not verified; "
                             "the report says so\n");
    }
    // Each request in flight holds a socket; the run's files need a few descriptors more.
    constexpr std::uint32_t spare_files = 32;
    const std::uint64_t open_files = raise_open_file_limit();
    std::uint32_t grid_in_flight = 0, search_in_flight = 0;
    for (const ls::planned_cell& c : plan.cells)
        grid_in_flight = std::max(grid_in_flight, c.key.concurrency);
    for (const ls::use_case_search& sc : plan.searches)
        search_in_flight = std::max(search_in_flight, sc.max_concurrency);
    if (open_files != 0 && grid_in_flight + spare_files > open_files)
        throw usage_error("--concurrency: " + std::to_string(grid_in_flight) +
                          " requests in flight need as many sockets and this process may open "
                          "only " +
                          std::to_string(open_files) +
                          " files (ulimit -n, already raised to its hard limit); raise the limit "
                          "or lower the concurrency");
    if (open_files != 0 && search_in_flight + spare_files > open_files)
        std::fprintf(stderr,
                     "warning: capacity searches may run up to %u requests at once, but this "
                     "process may open only %llu files (ulimit -n); requests beyond it fail as "
                     "client_resources\n",
                     search_in_flight, static_cast<unsigned long long>(open_files));
    try { // a certificate OpenSSL cannot use is refused here, before the probe
        asio::io_context check;
        const llmcap::client::http_endpoint tls_check(check.get_executor(), url, eo);
    } catch (const std::invalid_argument& e) {
        throw usage_error(std::string("--ca-cert: ") + e.what());
    }
    if (const std::string problem = probe_server(url, eo, probe_limit, model); !problem.empty()) {
        std::fprintf(stderr, "llmcap-sweep: server not usable: %s\n", problem.c_str());
        return exit_unreachable;
    }

    // Energy: a DCGM exporter's page (any host), else NVML for GPUs of this host, else none.
    namespace tel = llmcap::telemetry;
    tel::any_energy_meter meter;
    if (!a.dcgm_url.empty()) {
        tel::dcgm_options d;
        for (unsigned g : a.gpu_index)
            d.gpus.push_back(std::to_string(g));
        meter = tel::any_energy_meter::make<tel::dcgm_energy_meter>(
            d, [dcgm_url = a.dcgm_url](std::string& body) -> std::error_code {
                llmcap::client::endpoint_options none;
                none.api_key_env.clear();
                const llmcap::client::http_response r = blocking_get(dcgm_url, "/metrics", none);
                if (!r.ok())
                    return std::make_error_code(std::errc::connection_refused);
                body = r.body;
                return {};
            });
    } else if (!a.gpu_index.empty()) {
        tel::nvml_options n;
        n.gpus = a.gpu_index;
        meter = tel::any_energy_meter::make<tel::nvml_energy_meter>(n);
    }

    asio::io_context ioc;
    llmcap::client::http_endpoint endpoint(ioc.get_executor(), url, eo);
    ls::http_runner_options ro;
    ro.url = url;
    ro.model = model;
    ro.metrics_url = a.metrics_url;
    ro.seed = plan.seed;
    ro.fixed_output = plan.fixed_output;
    ro.cache_busting = plan.cache_busting;
    ro.api = plan.api == "completions" ? llmcap::openai::api::completions
                                       : llmcap::openai::api::chat_completions;
    ro.corpus = std::move(dataset);
    ro.corpus_file = plan.corpus_path;
    ro.trace = std::move(trace);
    ro.trace_file = plan.trace_path;
    ro.trace_time_scale = plan.trace_time_scale;
    ls::http_runner<llmcap::client::http_endpoint, tel::any_energy_meter> runner(
        endpoint, ro, meter ? &meter : nullptr);
    ls::sweep_options so;
    so.output_dir = out;
    so.resume = resuming;
    so.gpu = a.gpu;
    so.engine_version = a.engine;
    so.client = {{"tls_verify", !a.insecure},
                 {"ca_cert", a.ca_cert},
                 {"connect_timeout_s", llmcap::to_seconds(eo.timeouts.connect)},
                 {"first_token_timeout_s", llmcap::to_seconds(eo.timeouts.first_token)},
                 {"idle_timeout_s", llmcap::to_seconds(eo.timeouts.idle)},
                 {"request_timeout_s", llmcap::to_seconds(eo.timeouts.total)}};
    const ls::sweep_outcome outcome = drive(ioc, plan, runner, so, a.quiet);
    return finish_run(outcome, out, a.max_failure_rate,
                      "llmcap-sweep run --resume " + out.string());
}

struct simulate_args {
    plan_options plan;
    std::string profile = std::string(llmcap::emulator::default_profile_name);
    std::string out = "llmcap-simulated";
    bool quiet = false;
};

int cmd_simulate(const simulate_args& a) {
    const ls::sweep_plan plan = make_plan(a.plan);
    llmcap::emulator::profile profile;
    try {
        profile = fs::is_regular_file(a.profile) ? llmcap::emulator::load_profile_file(a.profile)
                                                 : llmcap::emulator::builtin_profile(a.profile);
    } catch (const std::exception& e) {
        throw usage_error(std::string("--profile: ") + e.what());
    }
    asio::io_context ioc;
    ls::simulator_runner runner(profile, read_dataset(plan), plan.corpus_path, read_trace(plan),
                                plan.trace_path, plan.trace_time_scale);
    ls::sweep_options so;
    so.output_dir = a.out;
    so.gpu = "1x " + profile.gpu.name;
    so.hardware = "virtual-time emulator, profile " + profile.name;
    so.engine_version =
        "llmcap emulator " + std::string(llmcap::version_string) + " (continuous-batching model)";
    const ls::sweep_outcome outcome = drive(ioc, plan, runner, so, a.quiet);
    return finish_run(outcome, a.out, 1.0, "run the same simulate command again");
}

struct demo_args {
    std::string out = "out/demo";
    bool quiet = false;
};

/// The demo's reduced GLM-4.7-Flash plan: 3 contexts × 3 levels at 128 output tokens, the
/// code-completion and general-chatbot capacity searches (the chatbot with 128-token answers,
/// so both searches reuse grid cells), and a reduced chatbot_sessions search over users.
ls::sweep_plan demo_plan() {
    ls::sweep_plan plan = *ls::preset("glm-4.7-flash-h200");
    plan.name = "demo (reduced glm-4.7-flash-h200, bf16)";
    plan.requests.warmup_requests = 1;
    plan.requests.requests_per_concurrency = 2;
    plan.requests.min_requests = 4;
    plan.cells.clear();
    ls::add_grid(plan, {1024, 8192, 32768}, {128}, {1, 2, 4});
    std::vector<ls::use_case_search> searches;
    for (ls::use_case_search s : plan.searches) {
        if (s.use_case.name == "code_completion") {
            s.max_concurrency = 32;
            s.max_cells = 8;
        } else if (s.use_case.name == "general_chatbot") {
            s.use_case.output_tokens = 128;
            s.use_case.title = "General Chatbot (128-token answers)";
            s.max_concurrency = 16;
            s.max_cells = 4;
        } else {
            continue;
        }
        searches.push_back(std::move(s));
    }
    // One session use case: users holding short conversations, searched over users.
    if (std::optional<la::use_case> chat = la::find_builtin_use_case("chatbot_sessions")) {
        chat->title = "Chatbot Conversations (3 turns, 64-token answers)";
        chat->output_tokens = 64;
        chat->sessions->turns = 3;
        chat->sessions->think = llmcap::think_time{llmcap::think_time::family::exponential,
                                                   std::chrono::seconds(1), 1.0};
        chat->sessions->system_prompt_tokens = 512;
        ls::use_case_search s;
        s.use_case = std::move(*chat);
        s.max_concurrency = 64;
        s.max_cells = 4;
        searches.push_back(std::move(s));
    }
    plan.searches = std::move(searches);
    return plan;
}

int cmd_demo(const demo_args& a) {
    const llmcap::emulator::profile profile = llmcap::emulator::builtin_profile();
    // The emulator serves on its own thread so its token timing never waits on the client.
    asio::io_context server_ioc;
    llmcap::emulator::server_options sopt;
    sopt.address = "127.0.0.1";
    sopt.port = 0;
    llmcap::emulator::server server(server_ioc, profile, sopt);
    llmcap::emulator::server_energy_meter meter(server_ioc, server); // its modelled energy
    server.start();
    auto guard = asio::make_work_guard(server_ioc);
    std::thread server_thread([&] { server_ioc.run(); });
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
    std::fprintf(stderr,
                 "demo: emulator (profile %s) serving on %s in real time; running a reduced "
                 "sweep, about two minutes\n",
                 profile.name.c_str(), url.c_str());
    int code = exit_error;
    try {
        const ls::sweep_plan plan = demo_plan();
        asio::io_context ioc;
        llmcap::client::endpoint_options eo;
        eo.api_key_env.clear();
        llmcap::client::http_endpoint endpoint(ioc.get_executor(), url, eo);
        ls::http_runner_options ro;
        ro.url = url;
        ro.seed = plan.seed;
        ls::http_runner<llmcap::client::http_endpoint, llmcap::emulator::server_energy_meter>
            runner(endpoint, ro, &meter);
        ls::sweep_options so;
        so.output_dir = a.out;
        so.gpu = "1x " + profile.gpu.name + " (emulated)";
        so.hardware = "llmcap real-time emulator, profile " + profile.name;
        so.engine_version = "llmcap emulator " + std::string(llmcap::version_string) +
                            " (continuous-batching model of vLLM)";
        fs::remove_all(a.out);
        const ls::sweep_outcome outcome = drive(ioc, plan, runner, so, a.quiet);
        code = finish_run(outcome, a.out, 0.05,
                          "llmcap-sweep demo --out " + a.out + " (the demo starts afresh)");
    } catch (...) {
        asio::post(server_ioc, [&] { server.stop(); });
        guard.reset();
        server_thread.join();
        throw;
    }
    asio::post(server_ioc, [&] { server.stop(); });
    guard.reset();
    server_thread.join();
    if (code == exit_ok)
        std::printf("demo report written to %s (open report.html in a browser)\n", a.out.c_str());
    return code;
}

int cmd_report(const std::string& dir) {
    const ls::sweep_outcome run = ls::rebuild_results(dir);
    for (const std::string& e : run.search_errors)
        std::fprintf(stderr, "capacity search: %s\n", e.c_str());
    for (const fs::path& p : lr::write_reports(run.result, dir))
        std::printf("%s\n", p.c_str());
    return exit_ok;
}

struct capacity_args {
    std::string cells;
    std::string use_case;
    std::string interpolation = "linear";
    bool extrapolate = false;
    std::string out;
};

int cmd_capacity(const capacity_args& a) {
    const lr::cells_input in = lr::read_cells_file(a.cells);
    if (!in.ok()) // a file that cannot be read or holds something invalid: exit 1
        throw std::runtime_error("--cells: " + in.error);
    const std::vector<la::use_case> use_cases = parse_use_cases(a.use_case, "--use-case");
    la::capacity_options co;
    if (a.interpolation == "monotone-cubic" || a.interpolation == "monotone_cubic")
        co.method = la::interpolation_method::monotone_cubic;
    else if (a.interpolation != "linear")
        throw usage_error("--interpolation: expected linear or monotone-cubic, got \"" +
                          a.interpolation + "\"");
    co.extrapolate = a.extrapolate;
    std::vector<lr::capacity_case> cases;
    for (const la::use_case& uc : use_cases) {
        std::vector<la::cell_summary> cells = in.cells_for(uc); // one per level, sorted
        if (cells.empty()) {
            std::string contexts;
            for (const std::uint32_t context : in.context_lengths())
                contexts += (contexts.empty() ? "" : ", ") + std::to_string(context);
            throw usage_error(
                "--use-case: " + uc.name + " needs cells at " + std::to_string(uc.context_tokens) +
                " context tokens with " + std::to_string(uc.output_tokens) +
                " output tokens (or none given); the file's context lengths are " + contexts);
        }
        lr::capacity_case c{uc, std::move(cells), {}};
        try {
            c.capacity = la::compute_capacity(uc, c.cells, co);
        } catch (const std::invalid_argument& e) {
            throw usage_error(std::string("--cells: ") + e.what());
        }
        cases.push_back(std::move(c));
    }
    const lr::document d = lr::capacity_document(cases, a.cells);
    std::printf("%s", lr::render_markdown(d).c_str());
    if (!a.out.empty()) {
        llmcap::ensure_writable_directory(a.out);
        llmcap::write_file_atomic(fs::path(a.out) / "capacity.md", lr::render_markdown(d));
        llmcap::write_file_atomic(fs::path(a.out) / "capacity.html", lr::render_html(d));
        std::fprintf(stderr, "written: %s/capacity.md, %s/capacity.html\n", a.out.c_str(),
                     a.out.c_str());
    }
    return exit_ok;
}

ls::sweep_result read_results(const fs::path& dir) {
    const fs::path file = fs::is_directory(dir) ? dir / "results.json" : dir;
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw usage_error(file.string() + ": cannot open (" +
                          std::error_code(errno, std::generic_category()).message() +
                          "; expected a run directory or its results.json)");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    if (ec)
        throw usage_error(file.string() + ": not JSON: " + ec.message());
    auto r = ls::sweep_result_from_json(v);
    if (!r)
        throw usage_error(file.string() + ": " + r.error().message());
    if (r->cells.empty())
        throw std::runtime_error(file.string() + ": holds no measured cell; nothing to compare");
    return std::move(*r);
}

struct compare_args {
    std::string a;
    std::string b;
    std::string label_a = "A";
    std::string label_b = "B";
    std::string out = "llmcap-compare";
};

int cmd_compare(const compare_args& a) {
    const ls::sweep_result ra = read_results(a.a);
    const ls::sweep_result rb = read_results(a.b);
    const lr::document d = lr::compare_document(ra, rb, a.label_a, a.label_b);
    llmcap::ensure_writable_directory(a.out);
    llmcap::write_file_atomic(fs::path(a.out) / "compare.md", lr::render_markdown(d));
    llmcap::write_file_atomic(fs::path(a.out) / "compare.html", lr::render_html(d));
    std::printf("%s\n%s\n", (fs::path(a.out) / "compare.html").c_str(),
                (fs::path(a.out) / "compare.md").c_str());
    return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"llmcap-sweep: how many concurrent users an OpenAI-compatible LLM server "
                 "serves, per workload, and why"};
    app.set_version_flag("--version", std::string("llmcap-sweep ") + llmcap::version_string);
    app.require_subcommand(1);

    run_args ra;
    CLI::App* run = app.add_subcommand("run", "Run a sweep against a live server and write the "
                                              "report");
    run->add_option("--url", ra.url, "Server base URL (http or https), e.g. http://127.0.0.1:8000")
        ->capture_default_str();
    run->add_option("--model", ra.model, "Model to request; empty: the first one /v1/models lists")
        ->capture_default_str();
    add_plan_options(*run, ra.plan);
    run->add_option("--api-key-env", ra.api_key_env,
                    "Environment variable holding the API key (sent as a Bearer token)")
        ->capture_default_str();
    run->add_option("--metrics-url", ra.metrics_url,
                    "Where the server's Prometheus metrics are, when not at --url's /metrics "
                    "(a gateway, another port): a URL with a path is read at that path, one "
                    "without at /metrics; empty: --url's /metrics")
        ->capture_default_str();
    run->add_option("--dcgm-url", ra.dcgm_url,
                    "DCGM exporter base URL for GPU energy (its /metrics page); empty: none")
        ->capture_default_str();
    run->add_option("--gpu-index", ra.gpu_index,
                    "GPU indices to meter (NVML on this host, or the exporter's gpu label); "
                    "empty with no --dcgm-url: no energy measurement")
        ->delimiter(',');
    run->add_option("--gpu", ra.gpu, "GPU description for the report, e.g. \"1x H200 SXM\"")
        ->capture_default_str();
    run->add_option("--engine", ra.engine,
                    "Engine and version for the report, e.g. \"vLLM 0.11.0\"; empty: what the "
                    "server says")
        ->capture_default_str();
    run->add_option("--out", ra.out, "Run directory to create")->capture_default_str();
    run->add_option("--resume", ra.resume,
                    "Continue the interrupted run in this directory (its stored plan is used)")
        ->capture_default_str();
    run->add_option("--max-failure-rate", ra.max_failure_rate,
                    "Exit with 4 when more than this fraction of requests failed (0 to 1)")
        ->capture_default_str();
    run->add_option("--connect-timeout", ra.connect_timeout,
                    "Limit on opening one connection (TCP and TLS); durations take ms, s, m or "
                    "h, a bare number is seconds")
        ->capture_default_str();
    run->add_option("--first-token-timeout", ra.first_token_timeout,
                    "Limit from sending a request to its first token (and to its response "
                    "headers): long prompts on a busy server need minutes")
        ->capture_default_str();
    run->add_option("--idle-timeout", ra.idle_timeout,
                    "Longest silence within a stream once tokens flow")
        ->capture_default_str();
    run->add_option("--request-timeout", ra.request_timeout,
                    "Limit on one whole request, from its start to its last byte")
        ->capture_default_str();
    run->add_option("--probe-timeout", ra.probe_timeout,
                    "Limit on the start-up check of the server (GET /v1/models)")
        ->capture_default_str();
    run->add_option("--ca-cert", ra.ca_cert,
                    "PEM file of certificates to trust besides the system's (an https server "
                    "with a private CA); SSL_CERT_FILE replaces the system's instead")
        ->capture_default_str();
    run->add_flag("--insecure", ra.insecure,
                  "Do not verify the server's TLS certificate (test servers only; the report "
                  "says so)");
    run->add_flag("--quiet", ra.quiet, "Plain log lines instead of the live display");

    simulate_args sa;
    CLI::App* sim = app.add_subcommand(
        "simulate", "Run the sweep in the emulator's virtual time (seconds) and write the report, "
                    "marked as simulated");
    add_plan_options(*sim, sa.plan);
    sim->add_option("--profile", sa.profile, "Emulator profile: a built-in name or a JSON file")
        ->capture_default_str();
    sim->add_option("--out", sa.out, "Run directory to create")->capture_default_str();
    sim->add_flag("--quiet", sa.quiet, "Plain log lines instead of the live display");

    demo_args da;
    CLI::App* demo = app.add_subcommand(
        "demo", "Start the real-time emulator on a loopback port, run a reduced GLM-4.7-Flash "
                "sweep against it over HTTP (about two minutes) and write the report");
    demo->add_option("--out", da.out, "Run directory (replaced)")->capture_default_str();
    demo->add_flag("--quiet", da.quiet, "Plain log lines instead of the live display");

    std::string report_dir;
    CLI::App* rep = app.add_subcommand(
        "report", "Rebuild every report file of a run directory from requests.jsonl and "
                  "cells.jsonl");
    rep->add_option("dir", report_dir, "Run directory")->required();

    capacity_args ca;
    CLI::App* cap = app.add_subcommand(
        "capacity", "Capacity analysis of given per-cell statistics (JSON or CSV), e.g. from "
                    "another benchmark tool");
    cap->add_option("--cells", ca.cells, "File of per-cell statistics (JSON or CSV)")->required();
    cap->add_option("--use-case", ca.use_case,
                    "Built-in use case name(s), comma-separated, all, or a JSON file")
        ->required();
    cap->add_option("--interpolation", ca.interpolation, "linear or monotone-cubic")
        ->capture_default_str();
    cap->add_flag("--extrapolate", ca.extrapolate,
                  "Fit a model beyond the highest level when no threshold is crossed");
    cap->add_option("--out", ca.out, "Also write capacity.md and capacity.html here")
        ->capture_default_str();

    compare_args cm;
    CLI::App* cmp = app.add_subcommand(
        "compare", "Side-by-side report of two runs (e.g. BF16 and FP8, vLLM and SGLang)");
    cmp->add_option("dir_a", cm.a, "First run directory (or its results.json)")->required();
    cmp->add_option("dir_b", cm.b, "Second run directory (or its results.json)")->required();
    cmp->add_option("--label-a", cm.label_a, "Name of the first run in tables and legends")
        ->capture_default_str();
    cmp->add_option("--label-b", cm.label_b, "Name of the second run")->capture_default_str();
    cmp->add_option("--out", cm.out, "Directory for compare.md and compare.html")
        ->capture_default_str();

    // An unknown subcommand, named (CLI11 would only say that one is required).
    if (argc > 1 && argv[1][0] != '-') {
        const std::string typed = argv[1];
        std::string known;
        bool found = false;
        for (const CLI::App* sub : app.get_subcommands({})) {
            known += (known.empty() ? "" : ", ") + sub->get_name();
            found = found || sub->get_name() == typed;
        }
        if (!found) {
            std::fprintf(stderr,
                         "llmcap-sweep: unknown subcommand %s (one of: %s)\nRun with --help "
                         "for usage.\n",
                         quote_input(typed).c_str(), known.c_str());
            return exit_usage;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        (void)app.exit(e);
        return exit_usage;
    }

    try {
        if (run->parsed()) {
            if (!(ra.max_failure_rate >= 0.0 && ra.max_failure_rate <= 1.0))
                throw usage_error("--max-failure-rate: " + std::to_string(ra.max_failure_rate) +
                                  " is not a fraction from 0 to 1");
            if (!ra.resume.empty())
                for (const char* option : {"--preset",
                                           "--contexts",
                                           "--concurrency",
                                           "--output-tokens",
                                           "--use-cases",
                                           "--max-search-concurrency",
                                           "--seed",
                                           "--out",
                                           "--sessions",
                                           "--users",
                                           "--turns",
                                           "--turn-tokens",
                                           "--think-time",
                                           "--system-prompt",
                                           "--groups",
                                           "--cache-compare",
                                           "--rate",
                                           "--rates",
                                           "--burstiness",
                                           "--max-in-flight",
                                           "--requests-per-cell",
                                           "--prompts-per-concurrency",
                                           "--duration",
                                           "--warmup",
                                           "--ci-half-width",
                                           "--max-requests",
                                           "--dataset",
                                           "--dataset-lengths",
                                           "--rate-start",
                                           "--max-rate-cells",
                                           "--trace",
                                           "--trace-format",
                                           "--time-scale",
                                           "--mix"})
                    if (run->count(option) > 0)
                        throw usage_error(std::string(option) +
                                          ": cannot be changed on --resume (the run goes on "
                                          "with the plan stored in its run.json); start a new "
                                          "run with --out to change it");
            return cmd_run(ra);
        }
        if (sim->parsed())
            return cmd_simulate(sa);
        if (demo->parsed())
            return cmd_demo(da);
        if (rep->parsed())
            return cmd_report(report_dir);
        if (cap->parsed())
            return cmd_capacity(ca);
        if (cmp->parsed())
            return cmd_compare(cm);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "llmcap-sweep: %s\nRun with --help for usage.\n", e.what());
        return exit_usage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "llmcap-sweep: error: %s\n", e.what());
        return exit_error;
    }
    return exit_usage;
}
