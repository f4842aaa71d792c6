#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/cell_key.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/analysis/turn_recorder.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/prometheus/server_cell_metrics.hpp>
#include <llmcap/sweep/mix_result.hpp>
#include <llmcap/sweep/rate_search.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/workload/stop_reason.hpp>

#include <boost/json/object.hpp>

#include <array>       // array
#include <compare>     // strong_ordering
#include <cstddef>     // size_t
#include <cstdint>     // int64_t, uint32_t, uint64_t
#include <limits>      // numeric_limits
#include <map>         // map
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <tuple>       // tie
#include <vector>      // vector

/**
 * The results of a sweep (DESIGN.md §1: CellResult, SweepResult): what every reporter, the
 * `report` command and resume read. `docs/results-schema.md` documents every JSON field;
 * `sweep/result_json.hpp` writes and reads them.
 */
namespace llmcap::sweep {

/// The version of the results schema written by this library; readers reject newer ones.
inline constexpr std::uint32_t schema_version = 1;

// ------------------------------------------------------------------------------------------
// Names of the enumerations a result holds, as results files write them

/// "measured", "not_exposed", "no_observations", "counter_reset" or "malformed".
[[nodiscard]] constexpr std::string_view to_string(prometheus::value_state s) noexcept {
    return prometheus::value_state_name(s);
}

/// "none", "scrape_delta", "per_request" or "gauge_samples".
[[nodiscard]] constexpr std::string_view to_string(prometheus::value_source s) noexcept {
    switch (s) {
    case prometheus::value_source::none:
        return "none";
    case prometheus::value_source::scrape_delta:
        return "scrape_delta";
    case prometheus::value_source::per_request:
        return "per_request";
    case prometheus::value_source::gauge_samples:
        return "gauge_samples";
    }
    return "none";
}

/// "nvml", "nvidia_smi", "dcgm" or "emulator".
[[nodiscard]] constexpr std::string_view to_string(telemetry::energy_source s) noexcept {
    return telemetry::energy_source_name(s);
}

/// "hardware_counter", "integrated_power" or "power_model".
[[nodiscard]] constexpr std::string_view to_string(telemetry::energy_method m) noexcept {
    return telemetry::energy_method_name(m);
}

namespace detail {

/// The value among `all` whose to_string is `name`, into `out`; false when none is.
template <class Enum, std::size_t N>
[[nodiscard]] constexpr bool enum_from_string(std::string_view name, const std::array<Enum, N>& all,
                                              Enum& out) noexcept {
    for (Enum e : all)
        if (to_string(e) == name) {
            out = e;
            return true;
        }
    return false;
}

} // namespace detail

/// Reads a name written by to_string into `out`; false (and `out` unchanged) for any other text.
[[nodiscard]] constexpr bool from_string(std::string_view name,
                                         prometheus::value_state& out) noexcept {
    using enum prometheus::value_state;
    return detail::enum_from_string(
        name, std::array{not_exposed, no_observations, counter_reset, malformed, measured}, out);
}

/// Reads a name written by to_string into `out`; false (and `out` unchanged) for any other text.
[[nodiscard]] constexpr bool from_string(std::string_view name,
                                         prometheus::value_source& out) noexcept {
    using enum prometheus::value_source;
    return detail::enum_from_string(
        name, std::array{none, scrape_delta, per_request, gauge_samples}, out);
}

/// Reads a name written by to_string into `out`; false (and `out` unchanged) for any other text.
[[nodiscard]] constexpr bool from_string(std::string_view name,
                                         telemetry::energy_source& out) noexcept {
    using enum telemetry::energy_source;
    return detail::enum_from_string(name, std::array{nvml, nvidia_smi, dcgm, emulator}, out);
}

/// Reads a name written by to_string into `out`; false (and `out` unchanged) for any other text.
[[nodiscard]] constexpr bool from_string(std::string_view name,
                                         telemetry::energy_method& out) noexcept {
    using enum telemetry::energy_method;
    return detail::enum_from_string(
        name, std::array{hardware_counter, integrated_power, power_model}, out);
}

// ------------------------------------------------------------------------------------------
// Cells

/// Identifies one cell of a sweep: scenario, prompt and output lengths, load (the one key of
/// the library, analysis::cell_key).
using cell_key = analysis::cell_key;

/// A session cell's conversations (DESIGN.md §9): how they went and what each turn measured.
struct session_record {
    /// Turns per conversation of the workload.
    std::uint32_t turns_per_conversation = 0;
    /// Conversations started in the cell (warm-up turns included).
    std::uint64_t conversations_started = 0;
    /// Conversations that reached their last turn with every turn answered.
    std::uint64_t conversations_completed = 0;
    /// Conversations ended because the next turn would not fit the model's context.
    std::uint64_t ended_by_context = 0;
    /// Conversations ended by a failed turn.
    std::uint64_t ended_by_failure = 0;
    /// Conversations still going when the cell stopped.
    std::uint64_t in_progress_at_stop = 0;
    /// The measured requests by turn index, from turn 1.
    std::vector<analysis::turn_statistics> turns;
    /// Time of the measured conversations whose turns all succeeded, first intended start to
    /// last end, seconds.
    analysis::metric_statistics conversation_time_s;

    friend bool operator==(const session_record&, const session_record&) = default;
};

/// Where a cell's requests reported their cached prompt tokens (analysis::cache_report).
struct cache_report_counts {
    /// Requests with `usage.prompt_tokens_details.cached_tokens`.
    std::uint64_t usage_cached_tokens = 0;
    /// Requests with llama.cpp's `timings.cache_n`.
    std::uint64_t timings_cache_n = 0;
    /// Requests whose cached count exceeded their prompt (not used).
    std::uint64_t impossible = 0;

    /// Requests that reported a usable count.
    [[nodiscard]] std::uint64_t reported() const noexcept {
        return usage_cached_tokens + timings_cache_n;
    }

    friend bool operator==(const cache_report_counts&, const cache_report_counts&) = default;
};

/// The failures of one kind in a cell, with a few example messages.
struct failure_count {
    /// The failure kind.
    error kind = error::connect_failed;
    /// Requests that ended with it.
    std::uint64_t count = 0;
    /// Up to three distinct messages, in the order first seen.
    std::vector<std::string> examples;

    friend bool operator==(const failure_count&, const failure_count&) = default;
};

/// How close the prompts came to the target, by the server's own count (`usage.prompt_tokens`).
struct prompt_length_check {
    /// Prompt tokens asked for.
    std::uint32_t target_tokens = 0;
    /// Requests whose prompt tokens the server reported.
    std::uint64_t reported = 0;
    /// Of those, requests whose prompt was exactly the target.
    std::uint64_t exact = 0;
    /// Mean reported prompt tokens (NaN when none was reported).
    double mean_tokens = std::numeric_limits<double>::quiet_NaN();
    /// Smallest reported prompt tokens (0 when none).
    std::uint64_t min_tokens = 0;
    /// Largest reported prompt tokens (0 when none).
    std::uint64_t max_tokens = 0;
    /// Largest |reported − target| ÷ target over the requests.
    double max_relative_error = 0.0;
    /// True when a prompt missed the target by more than the tolerance (1%), or when no
    /// request reported its prompt tokens.
    bool flagged = false;

    friend bool operator==(const prompt_length_check&, const prompt_length_check&) = default;
};

/// Whether the client was late putting requests on the wire (DESIGN.md §4, client lag).
struct client_lag_check {
    /// P99 of send − intended start over the measured requests, seconds (NaN when none).
    double p99_s = std::numeric_limits<double>::quiet_NaN();
    /// Mean TTFT of the measured requests, seconds (NaN when none).
    double mean_ttft_s = std::numeric_limits<double>::quiet_NaN();
    /// True when p99_s exceeds 1% of mean_ttft_s: the client may have distorted the latencies.
    bool flagged = false;

    friend bool operator==(const client_lag_check&, const client_lag_check&) = default;
};

/// One point of a scheduled cell's timeline: the requests that arrived in one slice of it.
struct timeline_point {
    /// Middle of the slice, seconds after the cell's first arrival.
    double at_s = 0.0;
    /// Median backlog when those requests arrived (see arrival_check::backlog_early).
    double backlog = 0.0;
    /// Median TTFT from their scheduled arrival, seconds; NaN when none had a first token.
    double ttft_s = std::numeric_limits<double>::quiet_NaN();

    friend bool operator==(const timeline_point&, const timeline_point&) = default;
};

/// Slices of a scheduled cell's timeline (fewer when it has fewer requests).
inline constexpr std::size_t timeline_slices = 24;

/// How closely an open-loop cell kept its arrival schedule (DESIGN.md §4, client lag): the rate
/// asked for, the rate the client sent at, and how late requests went on the wire.
struct arrival_check {
    /// The arrival rate asked for (the cell key's), requests per second.
    double offered_rate_per_s = 0.0;
    /// Measured requests sent per second: (sends − 1) ÷ (last send − first send); NaN with
    /// fewer than two sends.
    double achieved_rate_per_s = std::numeric_limits<double>::quiet_NaN();
    /// Send − intended start over the measured requests: P50, P99 and max, seconds (NaN when
    /// none was sent).
    double lag_p50_s = std::numeric_limits<double>::quiet_NaN();
    double lag_p99_s = std::numeric_limits<double>::quiet_NaN();
    double lag_max_s = std::numeric_limits<double>::quiet_NaN();
    /// True when the P99 lag exceeds open_loop_lag_tolerance_s: requests left later than
    /// scheduled (a cap on requests in flight that was reached, or a client too busy), so
    /// the offered load was not the one applied.
    bool late = false;
    /// Measured requests sent more than open_loop_lag_tolerance_s after their scheduled time
    /// (or never sent).
    std::uint64_t late_requests = 0;
    /// The backlog when a request arrived (requests arrived before it and not yet finished,
    /// whether sent or held by the cap): the median over the second quarter of the measured
    /// requests (in order of arrival) and over the last quarter. NaN with fewer than
    /// saturation_min_requests.
    double backlog_early = std::numeric_limits<double>::quiet_NaN();
    double backlog_late = std::numeric_limits<double>::quiet_NaN();
    /// TTFT from the scheduled arrival, median over the same quarters, seconds.
    double ttft_early_s = std::numeric_limits<double>::quiet_NaN();
    double ttft_late_s = std::numeric_limits<double>::quiet_NaN();
    /// Time in the system (end − scheduled arrival), median over the same quarters, seconds.
    double e2e_early_s = std::numeric_limits<double>::quiet_NaN();
    double e2e_late_s = std::numeric_limits<double>::quiet_NaN();
    /// True when the arrivals spanned less than saturation_min_span times the median time in
    /// the system of the cell's first quarter: the cell ended before a stable server's backlog
    /// could have levelled off, so whether it kept up cannot be told (a longer cell can).
    bool too_short = false;
    /// The backlog and TTFT through the cell, timeline_slices slices of its arrivals (empty
    /// with fewer than two requests).
    std::vector<timeline_point> timeline;
    /// True when the server did not keep up: backlog and time in the system both rose through
    /// the cell by saturation_growth or more (the backlog by at least two requests), and had
    /// already risen half as much by the third quarter (a trend, not a burst of arrivals at the
    /// end), so the cell's averages describe a queue that grows without bound, not a steady
    /// state.
    bool saturated = false;
    /// The backlog and the time in the system, medians over the third quarter of the measured
    /// requests (the saturation check's midpoint); NaN as backlog_early is.
    double backlog_mid = std::numeric_limits<double>::quiet_NaN();
    double e2e_mid_s = std::numeric_limits<double>::quiet_NaN();

    friend bool operator==(const arrival_check&, const arrival_check&) = default;
};

/// Where a dataset cell's prompts came from (the dataset's own lengths, DESIGN.md §3): the
/// records read, those counted on the server and used in turn, and those left out, by reason.
struct dataset_record {
    /// The dataset file as given.
    std::string file;
    /// Records with a prompt in the file.
    std::uint64_t records = 0;
    /// Records counted on the server and used in turn, request i taking record i mod used.
    std::uint64_t used = 0;
    /// Of those, records whose output length came from the data (a stated length or the
    /// counted answer); the others asked for the cell's output length.
    std::uint64_t outputs_from_data = 0;
    /// Records left out, by reason ("no user turn", "longer than the model's context"), over
    /// the whole file as read and counted so far.
    std::map<std::string, std::uint64_t> skipped;
    /// Prompt tokens of the records used, as the server counted them: mean and max.
    double prompt_tokens_mean = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t prompt_tokens_max = 0;

    friend bool operator==(const dataset_record&, const dataset_record&) = default;
};

/// The name of a trace replay's cell (cell_key::use_case): its requests arrive at a trace's
/// times with the trace's lengths (context and output 0 in the key).
inline constexpr std::string_view trace_cell_name = "trace";
/// The name of a traffic mix's cells ("mix/ctx0/out0/c8"): each request a class of the mix.
inline constexpr std::string_view mix_cell_name = "mix";

/// The send lag above which an open-loop cell's schedule counts as not kept, seconds.
inline constexpr double open_loop_lag_tolerance_s = 0.001;

/// The fewest measured requests an open-loop cell needs for its saturation check.
inline constexpr std::uint64_t saturation_min_requests = 12;

/// How many times its first requests' time in the system an open-loop cell's arrivals must span
/// for its saturation check to judge it: long enough for a stable server's backlog to level off
/// (it fills over about one time in the system).
inline constexpr double saturation_min_span = 4.0;

/// How much backlog and time in the system must grow from the second quarter of an open-loop cell
/// to its last for the cell to count as saturated. The second quarter, not the first, so that the
/// queue a stable server builds up as the cell starts does not count as growth; a queue that grows
/// steadily from empty is about 2.3 times longer in the last quarter than in the second.
inline constexpr double saturation_growth = 1.5;

/// One server-reported quantity of a cell (prometheus::server_value, owned).
struct server_quantity {
    /// The value in the unit its name gives; empty unless state is measured.
    std::optional<double> value;
    /// Whether and why there is a value (written "measured", "not_exposed", ...).
    prometheus::value_state state = prometheus::value_state::not_exposed;
    /// Where the value came from (written "scrape_delta", "per_request", "gauge_samples",
    /// "none").
    prometheus::value_source source = prometheus::value_source::none;
    /// Observations behind the value.
    std::uint64_t observations = 0;
    /// The server metric read; empty for per-request values.
    std::string metric;

    friend bool operator==(const server_quantity&, const server_quantity&) = default;
};

/// What the server reported about a cell (from `/metrics` and per-request timings).
struct server_metrics_record {
    /// The server the metric map describes ("vLLM (V1 engine)").
    std::string server_name;
    /// Quantities by name ("queue_wait_mean_s", "prefill_time_mean_s", ...).
    std::map<std::string, server_quantity> values;
    /// Why scraping failed, when it did (then `values` may be empty).
    std::string error;

    friend bool operator==(const server_metrics_record&, const server_metrics_record&) = default;
};

/// The GPU energy a cell used.
struct energy_record {
    /// Energy over the cell, joules. For a simulated cell: the measured requests' share of the
    /// modelled GPU's energy (simulator_runner).
    double energy_j = 0.0;
    /// Mean power over the measured span, watts: energy_j ÷ elapsed for a metered cell; for a
    /// simulated one the modelled GPU's, requests run beside the measured ones included.
    double mean_power_w = 0.0;
    /// Highest sampled power, watts; empty when power was not sampled.
    std::optional<double> peak_power_w;
    /// energy_j ÷ output tokens of the cell's measured requests; empty without tokens.
    std::optional<double> joules_per_output_token;
    /// The measured span, seconds.
    double elapsed_s = 0.0;
    /// Where the figures came from (written "nvml", "nvidia_smi", "dcgm" or "emulator").
    telemetry::energy_source source = telemetry::energy_source::nvml;
    /// How they were obtained (written "hardware_counter", "integrated_power" or
    /// "power_model": an estimate from the emulator's power model).
    telemetry::energy_method method = telemetry::energy_method::hardware_counter;
    /// GPUs measured.
    std::uint32_t gpu_count = 0;

    friend bool operator==(const energy_record&, const energy_record&) = default;
};

/// A stop reason as results files write it: its name, or "error: <message>" for a cell that
/// could not run ("error" alone without a message).
[[nodiscard]] inline std::string stop_reason_text(workload::stop_reason reason,
                                                  const std::string& message) {
    if (reason == workload::stop_reason::error && !message.empty())
        return "error: " + message;
    return std::string(to_string(reason));
}

/// Reads a text written by stop_reason_text into `reason` and `message` (empty unless the
/// reason is error); false for any other text.
[[nodiscard]] inline bool
stop_reason_from_text(std::string_view text, workload::stop_reason& reason, std::string& message) {
    constexpr std::string_view error_prefix = "error: ";
    if (text.starts_with(error_prefix)) {
        reason = workload::stop_reason::error;
        message = std::string(text.substr(error_prefix.size()));
        return true;
    }
    if (!from_string(text, reason))
        return false;
    message.clear();
    return true;
}

/// Everything measured in one cell.
struct cell_result {
    /// Which cell.
    cell_key key;
    /// Statistics per metric (DESIGN.md §4), over the measured requests that succeeded.
    analysis::cell_summary summary;
    /// Warm-up requests run before the measured ones (excluded from every statistic).
    std::uint64_t warmup_requests = 0;
    /// Measured requests started.
    std::uint64_t requests_started = 0;
    /// Measured requests that ended with a complete stream.
    std::uint64_t requests_succeeded = 0;
    /// Failures by kind, in llmcap::error order.
    std::vector<failure_count> failures;
    /// Requests asked for a fixed output length that returned fewer tokens.
    std::uint64_t short_outputs = 0;
    /// Successful requests whose tokens arrived in one burst (analysis::delivered_in_burst):
    /// no generation speed, TPOT or ITL was measurable for them.
    std::uint64_t burst_streams = 0;
    /// Prompt length check.
    prompt_length_check prompt;
    /// Client lag check.
    client_lag_check client_lag;
    /// Set for an open-loop cell (key.rate_per_s): the schedule kept.
    std::optional<arrival_check> arrivals;
    /// Set for a cell whose prompts are a dataset's records, or a trace's requests: which.
    std::optional<dataset_record> dataset;
    /// A mix cell's requests by class, in the mix's order (empty for any other cell).
    std::vector<mix_class_cell> classes;
    /// A mix cell's first request index within the run (warm-ups included): each request's
    /// class is drawn from its position after it. 0 for any other cell.
    std::uint64_t first_index = 0;
    /// What the server reported; empty when not scraped.
    std::optional<server_metrics_record> server;
    /// GPU energy; empty when not measured.
    std::optional<energy_record> energy;
    /// Why energy was not measured, when a meter was configured and failed.
    std::string energy_error;
    /// Why the cell stopped; workload::stop_reason::error when it could not run.
    workload::stop_reason stop_reason = workload::stop_reason::request_count;
    /// Why the cell could not run, when stop_reason is error ("prompt calibration failed:
    /// ..."); empty otherwise.
    std::string stop_error;
    /// True when the cell ran to its end (false when the run was stopped during it).
    bool complete = true;
    /// Start of the cell's first measured request's intended start, nanoseconds since the
    /// run's start (steady clock).
    std::int64_t start_ns = 0;
    /// End of the cell's last request, nanoseconds since the run's start (steady clock).
    std::int64_t end_ns = 0;
    /// Wall-clock start, ISO 8601 UTC ("2026-11-23T14:32:42Z").
    std::string wall_start;
    /// Wall-clock end, ISO 8601 UTC.
    std::string wall_end;
    /// True when the cell was simulated in virtual time, not measured on a server.
    bool simulated = false;
    /// Serialized quantile sketches per metric name (stats JSON format); may be empty.
    boost::json::object sketches;
    /// Where the requests reported cached prompt tokens.
    cache_report_counts cache;
    /// A session cell's conversations; empty for single requests.
    std::optional<session_record> sessions;

    /// True when no measured request succeeded: the cell has no statistics, whatever the
    /// reason (the runner could not start it, or every request failed). Such a cell is a
    /// failed cell: the tool says so and exits non-zero.
    [[nodiscard]] bool measured_nothing() const noexcept {
        return requests_succeeded == 0;
    }

    /// Why a cell measured nothing, in words: the runner's error ("prompt calibration failed:
    /// ..."), else the failures of its requests ("4 requests failed: http_status ×4 (HTTP 500:
    /// ...)"), else that no request ran. Empty when the cell measured something.
    [[nodiscard]] std::string failure_reason() const {
        if (!measured_nothing())
            return {};
        if (stop_reason == workload::stop_reason::error)
            return stop_error;
        if (requests_started == 0)
            return "no measured request ran (stop reason: " + std::string(to_string(stop_reason)) +
                   ")";
        std::string why = std::to_string(requests_started) + " of " +
                          std::to_string(requests_started) + " requests failed:";
        for (const failure_count& f : failures) {
            why += " " + std::string(error_name(f.kind)) + " ×" + std::to_string(f.count);
            if (!f.examples.empty())
                why += " (" + f.examples.front() + ")";
        }
        return why;
    }

    /// requests_succeeded ÷ requests_started (1 when none started).
    [[nodiscard]] double success_rate() const noexcept {
        return requests_started == 0 ? 1.0
                                     : static_cast<double>(requests_succeeded) /
                                           static_cast<double>(requests_started);
    }

    friend bool operator==(const cell_result&, const cell_result&) = default;
};

// ------------------------------------------------------------------------------------------
// Use cases, run information, the whole sweep

/// The capacity search of one use case and its analysis.
struct use_case_result {
    /// The use case.
    analysis::use_case use_case;
    /// The concurrency levels measured, in measurement order (the cells are in
    /// sweep_result::cells with key.use_case == use_case.name).
    std::vector<std::uint32_t> measured_concurrency;
    /// True when the search bracketed the capacity between adjacent levels (or hit a bound).
    bool converged = false;
    /// True when the search stopped on its cell budget.
    bool budget_exhausted = false;
    /// compute_capacity over the measured cells.
    analysis::capacity_result capacity;
};

/// What the server said about itself.
struct server_identity {
    /// Dialect name ("vllm", "sglang", "llama_cpp", "tensorrt_llm", "openai_like", "emulator").
    std::string dialect;
    /// Server version (`/version`); empty when unknown.
    std::string version;
    /// The model `/v1/models` lists first.
    std::string model_id;
    /// The model's context length, when the server tells it.
    std::optional<std::uint64_t> max_model_len;
    /// What decided the dialect.
    std::string evidence;
    /// The body of `/v1/models`, verbatim (empty when not fetched).
    std::string models_json;

    friend bool operator==(const server_identity&, const server_identity&) = default;
};

/// Facts about the machine that ran the sweep.
struct host_info {
    /// Host name.
    std::string hostname;
    /// Operating system ("Linux 6.1.0-18-amd64 x86_64").
    std::string os;
    /// Hardware threads.
    std::uint32_t cpu_count = 0;

    friend bool operator==(const host_info&, const host_info&) = default;
};

/// How, where and on what the sweep ran.
struct run_info {
    /// llmcap version ("0.1.0").
    std::string tool_version;
    /// Preset name; empty for a custom plan.
    std::string preset;
    /// Model requested.
    std::string model;
    /// Server URL; "simulator:<profile>" for a simulated sweep.
    std::string server_url;
    /// Dialect used for the requests.
    std::string dialect;
    /// What the server said about itself.
    server_identity server;
    /// Inference engine and version when known ("vLLM 0.11.0").
    std::string engine_version;
    /// GPU description ("1x NVIDIA H200").
    std::string gpu;
    /// Further hardware description.
    std::string hardware;
    /// The host that ran the client.
    host_info host;
    /// Wall-clock start of the run, ISO 8601 UTC.
    std::string started_at;
    /// Wall-clock end of the run, ISO 8601 UTC; empty while running.
    std::string finished_at;
    /// Seed of every random choice (prompts, arrivals).
    std::uint64_t seed = 0;
    /// The plan's options as written in run.json (free-form).
    boost::json::object options;

    friend bool operator==(const run_info&, const run_info&) = default;
};

/// The results of a whole sweep.
struct sweep_result {
    /// Schema version (schema_version when written by this library).
    std::uint32_t version = schema_version;
    /// How the sweep ran.
    run_info run;
    /// Every cell, in the order measured.
    std::vector<cell_result> cells;
    /// Per use case, its capacity search.
    std::vector<use_case_result> use_cases;
    /// Each search for the highest sustainable arrival rate (the cells are in `cells`).
    std::vector<rate_search_result> rate_searches;
    /// The capacity search of the run's traffic mix, when it ran one (the cells are in `cells`).
    std::optional<mix_search_result> mix;
    /// Scaling efficiency per context length, from the grid cells.
    std::vector<analysis::context_scaling> scaling;
    /// True when every cell was simulated.
    bool simulated = false;
    /// True when every planned cell completed.
    bool complete = true;
};
} // namespace llmcap::sweep
