#pragma once

#include <llmcap/analysis/capacity.hpp>
#include <llmcap/analysis/cell_summary.hpp>
#include <llmcap/analysis/fit.hpp>
#include <llmcap/analysis/interpolation.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/scaling.hpp>
#include <llmcap/analysis/use_case.hpp>
#include <llmcap/analysis/use_case_json.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/sweep/detail/json_io.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <compare>      // strong_ordering
#include <cstdint>      // int64_t, uint32_t, uint64_t
#include <limits>       // numeric_limits
#include <map>          // map
#include <optional>     // optional
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // system_error, make_error_code
#include <tuple>        // tie
#include <utility>      // move
#include <vector>       // vector

/**
 * The results of a sweep (DESIGN.md §1: CellResult, SweepResult): what every reporter, the
 * `report` command and resume read. `docs/results-schema.md` documents every JSON field.
 *
 * JSON: `to_json` writes each type as an object; `*_from_json` reads it back and, on malformed
 * input, returns a json_error naming the field by its JSONPath ("$.cells[2].key.concurrency:
 * expected a non-negative integer, got a string"). Non-finite numbers are written as null and
 * read back as NaN (statistics) or empty (optional values). Numbers round-trip to within one
 * unit in the last place (Boost.JSON's parser); statistics that must be exact are recomputed
 * from `requests.jsonl`, whose times are integers.
 */
namespace llmcap::sweep {

/// The version of the results schema written by this library; readers reject newer ones.
inline constexpr std::uint32_t schema_version = 1;

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

// ------------------------------------------------------------------------------------------
// Cells

/// Identifies one cell of a sweep: what was asked for and in which part of the plan.
struct cell_key {
    /// Prompt length asked for, server tokens.
    std::uint32_t context_tokens = 0;
    /// Output length asked for (`max_tokens`), tokens.
    std::uint32_t output_tokens = 0;
    /// Requests in flight (closed loop) or the concurrency cap (open loop).
    std::uint32_t concurrency = 0;
    /// The use case whose capacity search measured the cell; empty for a grid cell.
    std::string use_case;

    /// A stable text id: "grid/ctx1024/out1024/c4" or "general_chatbot/ctx32768/out1024/c8".
    [[nodiscard]] std::string id() const {
        return (use_case.empty() ? std::string("grid") : use_case) + "/ctx" +
               std::to_string(context_tokens) + "/out" + std::to_string(output_tokens) + "/c" +
               std::to_string(concurrency);
    }

    friend bool operator==(const cell_key&, const cell_key&) = default;
    friend std::strong_ordering operator<=>(const cell_key& a, const cell_key& b) {
        return std::tie(a.use_case, a.context_tokens, a.output_tokens, a.concurrency) <=>
               std::tie(b.use_case, b.context_tokens, b.output_tokens, b.concurrency);
    }
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

/// One server-reported quantity of a cell (prometheus::server_value, owned).
struct server_quantity {
    /// The value in the unit its name gives; empty unless state is "measured".
    std::optional<double> value;
    /// "measured", "not_exposed", "no_observations", "counter_reset" or "malformed".
    std::string state = "not_exposed";
    /// "scrape_delta", "per_request", "gauge_samples" or "none".
    std::string source = "none";
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
    /// "nvml", "nvidia_smi", "dcgm" or "emulator".
    std::string source;
    /// "hardware_counter", "integrated_power" or "power_model" (an estimate from the emulator's
    /// power model).
    std::string method;
    /// GPUs measured.
    std::uint32_t gpu_count = 0;

    friend bool operator==(const energy_record&, const energy_record&) = default;
};

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
    /// What the server reported; empty when not scraped.
    std::optional<server_metrics_record> server;
    /// GPU energy; empty when not measured.
    std::optional<energy_record> energy;
    /// Why energy was not measured, when a meter was configured and failed.
    std::string energy_error;
    /// Why the cell stopped: "request_count", "duration", "confidence", "max_requests",
    /// "cancelled".
    std::string stop_reason;
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
        constexpr std::string_view error_prefix = "error: ";
        if (stop_reason.compare(0, error_prefix.size(), error_prefix) == 0)
            return stop_reason.substr(error_prefix.size());
        if (requests_started == 0)
            return "no measured request ran (stop reason: " +
                   (stop_reason.empty() ? std::string("none") : stop_reason) + ")";
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
    /// Scaling efficiency per context length, from the grid cells.
    std::vector<analysis::context_scaling> scaling;
    /// True when every cell was simulated.
    bool simulated = false;
    /// True when every planned cell completed.
    bool complete = true;
};

// ------------------------------------------------------------------------------------------
// JSON: writing

/// A metric's statistics as JSON.
[[nodiscard]] inline boost::json::object to_json(const analysis::metric_statistics& s) {
    using detail::number_or_null;
    boost::json::object o{{"count", s.count},
                          {"mean", number_or_null(s.mean)},
                          {"stddev", number_or_null(s.stddev)},
                          {"min", number_or_null(s.min)},
                          {"max", number_or_null(s.max)},
                          {"p50", number_or_null(s.p50)},
                          {"p90", number_or_null(s.p90)},
                          {"p95", number_or_null(s.p95)},
                          {"p99", number_or_null(s.p99)},
                          {"p99_9", number_or_null(s.p99_9)}};
    if (s.mean_ci95)
        o["mean_ci95"] =
            boost::json::array{number_or_null(s.mean_ci95->low), number_or_null(s.mean_ci95->high)};
    else
        o["mean_ci95"] = nullptr;
    return o;
}

/// A cell summary as JSON: the key fields and `metrics` keyed by metric name.
[[nodiscard]] inline boost::json::object to_json(const analysis::cell_summary& c) {
    boost::json::object metrics;
    for (const auto& [m, s] : c.metrics)
        metrics[analysis::metric_name(m)] = sweep::to_json(s);
    return {{"context_tokens", c.context_tokens},
            {"output_tokens", c.output_tokens},
            {"concurrency", c.concurrency},
            {"metrics", std::move(metrics)}};
}

/// A cell key as JSON.
[[nodiscard]] inline boost::json::object to_json(const cell_key& k) {
    return {{"context_tokens", k.context_tokens},
            {"output_tokens", k.output_tokens},
            {"concurrency", k.concurrency},
            {"use_case", k.use_case},
            {"id", k.id()}};
}

/// A cell result as JSON (one line of `cells.jsonl`).
[[nodiscard]] inline boost::json::object to_json(const cell_result& c) {
    using detail::number_or_null;
    boost::json::array failures;
    for (const failure_count& f : c.failures)
        failures.push_back(
            boost::json::object{{"kind", error_name(f.kind)},
                                {"count", f.count},
                                {"examples", detail::to_array(f.examples, [](const std::string& s) {
                                     return boost::json::value(s);
                                 })}});
    boost::json::object o{
        {"key", sweep::to_json(c.key)},
        {"summary", sweep::to_json(c.summary)},
        {"warmup_requests", c.warmup_requests},
        {"requests_started", c.requests_started},
        {"requests_succeeded", c.requests_succeeded},
        {"success_rate", c.success_rate()},
        {"failures", std::move(failures)},
        {"short_outputs", c.short_outputs},
        {"burst_streams", c.burst_streams},
        {"prompt",
         boost::json::object{{"target_tokens", c.prompt.target_tokens},
                             {"reported", c.prompt.reported},
                             {"exact", c.prompt.exact},
                             {"mean_tokens", number_or_null(c.prompt.mean_tokens)},
                             {"min_tokens", c.prompt.min_tokens},
                             {"max_tokens", c.prompt.max_tokens},
                             {"max_relative_error", number_or_null(c.prompt.max_relative_error)},
                             {"flagged", c.prompt.flagged}}},
        {"client_lag",
         boost::json::object{{"p99_s", number_or_null(c.client_lag.p99_s)},
                             {"mean_ttft_s", number_or_null(c.client_lag.mean_ttft_s)},
                             {"flagged", c.client_lag.flagged}}},
        {"energy_error", c.energy_error},
        {"stop_reason", c.stop_reason},
        {"complete", c.complete},
        {"start_ns", c.start_ns},
        {"end_ns", c.end_ns},
        {"wall_start", c.wall_start},
        {"wall_end", c.wall_end},
        {"simulated", c.simulated},
        {"sketches", c.sketches},
    };
    if (c.server) {
        boost::json::object values;
        for (const auto& [name, q] : c.server->values)
            values[name] = boost::json::object{{"value", number_or_null(q.value)},
                                               {"state", q.state},
                                               {"source", q.source},
                                               {"observations", q.observations},
                                               {"metric", q.metric}};
        o["server"] = boost::json::object{{"server_name", c.server->server_name},
                                          {"values", std::move(values)},
                                          {"error", c.server->error}};
    } else {
        o["server"] = nullptr;
    }
    if (c.energy) {
        const energy_record& e = *c.energy;
        o["energy"] = boost::json::object{
            {"energy_j", number_or_null(e.energy_j)},
            {"mean_power_w", number_or_null(e.mean_power_w)},
            {"peak_power_w", number_or_null(e.peak_power_w)},
            {"joules_per_output_token", number_or_null(e.joules_per_output_token)},
            {"elapsed_s", number_or_null(e.elapsed_s)},
            {"source", e.source},
            {"method", e.method},
            {"gpu_count", e.gpu_count}};
    } else {
        o["energy"] = nullptr;
    }
    return o;
}

namespace detail {

[[nodiscard]] constexpr std::string_view outcome_name(analysis::threshold_outcome o) noexcept {
    switch (o) {
    case analysis::threshold_outcome::holds_throughout:
        return "holds_throughout";
    case analysis::threshold_outcome::crossed:
        return "crossed";
    case analysis::threshold_outcome::fails_at_minimum:
        return "fails_at_minimum";
    }
    return "holds_throughout";
}

[[nodiscard]] inline boost::json::object fit_to_json(const analysis::fit_result& f) {
    return {{"model", analysis::fit_model_name(f.model)},
            {"a", number_or_null(f.a)},
            {"b", number_or_null(f.b)},
            {"r_squared", number_or_null(f.r_squared)},
            {"rmse", number_or_null(f.rmse)},
            {"points", f.points}};
}

[[nodiscard]] inline boost::json::array doubles_to_json(const std::vector<double>& xs) {
    return to_array(xs, [](double x) { return number_or_null(x); });
}

} // namespace detail

/// A capacity analysis as JSON.
[[nodiscard]] inline boost::json::object to_json(const analysis::capacity_result& r) {
    using detail::number_or_null;
    boost::json::array thresholds;
    for (const analysis::threshold_analysis& t : r.thresholds) {
        boost::json::object o{
            {"threshold",
             boost::json::object{{"metric", analysis::metric_name(t.limit.what)},
                                 {"statistic", analysis::statistic_name(t.limit.stat)},
                                 {"comparison", analysis::comparison_name(t.limit.cmp)},
                                 {"bound", number_or_null(t.limit.bound)}}},
            {"description", t.limit.describe()},
            {"concurrency", detail::doubles_to_json(t.concurrency)},
            {"measured", detail::doubles_to_json(t.measured)},
            {"fitted", detail::doubles_to_json(t.fitted)},
            {"isotonic_adjusted", t.isotonic_adjusted},
            {"outcome", detail::outcome_name(t.outcome)},
            {"crossing", number_or_null(t.crossing)}};
        if (t.extrapolation)
            o["extrapolation"] =
                boost::json::object{{"fit", detail::fit_to_json(t.extrapolation->fit)},
                                    {"crossing", number_or_null(t.extrapolation->crossing)}};
        else
            o["extrapolation"] = nullptr;
        thresholds.push_back(std::move(o));
    }
    boost::json::object o{{"kind", analysis::capacity_kind_name(r.kind)},
                          {"capacity", r.capacity},
                          {"crossing", number_or_null(r.crossing)},
                          {"lowest_concurrency", r.lowest_concurrency},
                          {"highest_concurrency", r.highest_concurrency},
                          {"method", analysis::interpolation_name(r.method)},
                          {"isotonic_adjusted", r.isotonic_adjusted},
                          {"thresholds", std::move(thresholds)}};
    if (r.binding)
        o["binding"] = *r.binding;
    else
        o["binding"] = nullptr;
    if (r.estimate)
        o["estimate"] = boost::json::object{{"crossing", number_or_null(r.estimate->crossing)},
                                            {"capacity", r.estimate->capacity},
                                            {"binding", r.estimate->binding},
                                            {"fit", detail::fit_to_json(r.estimate->fit)}};
    else
        o["estimate"] = nullptr;
    return o;
}

/// A use case's search and capacity as JSON.
[[nodiscard]] inline boost::json::object to_json(const use_case_result& u) {
    return {{"use_case", analysis::to_json(u.use_case)},
            {"measured_concurrency",
             detail::to_array(u.measured_concurrency,
                              [](std::uint32_t c) { return boost::json::value(c); })},
            {"converged", u.converged},
            {"budget_exhausted", u.budget_exhausted},
            {"capacity", sweep::to_json(u.capacity)}};
}

/// Run information as JSON (the body of `run.json`).
[[nodiscard]] inline boost::json::object to_json(const run_info& r) {
    boost::json::object server{{"dialect", r.server.dialect},
                               {"version", r.server.version},
                               {"model_id", r.server.model_id},
                               {"evidence", r.server.evidence},
                               {"models_json", r.server.models_json}};
    if (r.server.max_model_len)
        server["max_model_len"] = *r.server.max_model_len;
    else
        server["max_model_len"] = nullptr;
    return {{"tool_version", r.tool_version},
            {"preset", r.preset},
            {"model", r.model},
            {"server_url", r.server_url},
            {"dialect", r.dialect},
            {"server", std::move(server)},
            {"engine_version", r.engine_version},
            {"gpu", r.gpu},
            {"hardware", r.hardware},
            {"host", boost::json::object{{"hostname", r.host.hostname},
                                         {"os", r.host.os},
                                         {"cpu_count", r.host.cpu_count}}},
            {"started_at", r.started_at},
            {"finished_at", r.finished_at},
            {"seed", r.seed},
            {"options", r.options}};
}

/// Scaling efficiency as JSON.
[[nodiscard]] inline boost::json::object to_json(const analysis::context_scaling& s) {
    boost::json::array points;
    for (const analysis::scaling_point& p : s.points)
        points.push_back(boost::json::object{
            {"concurrency", p.concurrency},
            {"throughput_tokens_per_s", detail::number_or_null(p.throughput_tokens_per_s)},
            {"efficiency", detail::number_or_null(p.efficiency)}});
    return {{"context_tokens", s.context_tokens},
            {"single_throughput_tokens_per_s",
             detail::number_or_null(s.single_throughput_tokens_per_s)},
            {"points", std::move(points)}};
}

/// The whole sweep as JSON (`results.json`).
[[nodiscard]] inline boost::json::object to_json(const sweep_result& r) {
    boost::json::array cells;
    for (const cell_result& c : r.cells)
        cells.push_back(sweep::to_json(c));
    boost::json::array use_cases;
    for (const use_case_result& u : r.use_cases)
        use_cases.push_back(sweep::to_json(u));
    boost::json::array scaling;
    for (const analysis::context_scaling& s : r.scaling)
        scaling.push_back(sweep::to_json(s));
    return {{"schema_version", r.version},   {"run", sweep::to_json(r.run)},
            {"cells", std::move(cells)},     {"use_cases", std::move(use_cases)},
            {"scaling", std::move(scaling)}, {"simulated", r.simulated},
            {"complete", r.complete}};
}

// ------------------------------------------------------------------------------------------
// JSON: reading

namespace detail {

inline bool read_statistics(json_reader& in, const boost::json::value& v, const std::string& path,
                            analysis::metric_statistics& s) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "count", path, s.count);
    in.field(*o, "mean", path, s.mean);
    in.field(*o, "stddev", path, s.stddev);
    in.field(*o, "min", path, s.min);
    in.field(*o, "max", path, s.max);
    in.field(*o, "p50", path, s.p50);
    in.field(*o, "p90", path, s.p90);
    in.field(*o, "p95", path, s.p95);
    in.field(*o, "p99", path, s.p99);
    in.field(*o, "p99_9", path, s.p99_9);
    std::optional<std::vector<double>> ci;
    in.optional_field(*o, "mean_ci95", path, ci);
    if (ci) {
        if (ci->size() != 2)
            return in.fail(path + ".mean_ci95", "expected [low, high]");
        s.mean_ci95 = analysis::confidence_interval{(*ci)[0], (*ci)[1]};
    } else {
        s.mean_ci95.reset();
    }
    return in.ok();
}

inline bool read_summary(json_reader& in, const boost::json::value& v, const std::string& path,
                         analysis::cell_summary& c) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "context_tokens", path, c.context_tokens);
    in.field(*o, "output_tokens", path, c.output_tokens);
    in.field(*o, "concurrency", path, c.concurrency);
    const boost::json::value* mv = in.member(*o, "metrics", path);
    if (mv == nullptr)
        return false;
    const boost::json::object* metrics = in.object(*mv, path + ".metrics");
    if (metrics == nullptr)
        return false;
    c.metrics.clear();
    for (const auto& kv : *metrics) {
        const std::string name(kv.key());
        const std::optional<analysis::metric> m = analysis::metric_from_name(name);
        if (!m)
            return in.fail(path + ".metrics." + name, "unknown metric");
        if (!read_statistics(in, kv.value(), path + ".metrics." + name, c.metrics[*m]))
            return false;
    }
    return in.ok();
}

inline bool read_key(json_reader& in, const boost::json::value& v, const std::string& path,
                     cell_key& k) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "context_tokens", path, k.context_tokens);
    in.field(*o, "output_tokens", path, k.output_tokens);
    in.field(*o, "concurrency", path, k.concurrency);
    in.field(*o, "use_case", path, k.use_case);
    if (in.ok() && k.concurrency == 0)
        return in.fail(path + ".concurrency", "must be at least 1");
    return in.ok();
}

inline bool read_cell(json_reader& in, const boost::json::value& v, const std::string& path,
                      cell_result& c) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    if (const boost::json::value* k = in.member(*o, "key", path))
        read_key(in, *k, path + ".key", c.key);
    if (const boost::json::value* s = in.member(*o, "summary", path))
        read_summary(in, *s, path + ".summary", c.summary);
    in.field(*o, "warmup_requests", path, c.warmup_requests);
    in.field(*o, "requests_started", path, c.requests_started);
    in.field(*o, "requests_succeeded", path, c.requests_succeeded);
    if (in.ok() && c.requests_succeeded > c.requests_started)
        return in.fail(path + ".requests_succeeded", "exceeds requests_started");
    if (const boost::json::value* fv = in.member(*o, "failures", path)) {
        const std::string fpath = path + ".failures";
        if (const boost::json::array* fa = in.array(*fv, fpath)) {
            c.failures.clear();
            for (std::size_t i = 0; i < fa->size() && in.ok(); ++i) {
                const std::string p = fpath + "[" + std::to_string(i) + "]";
                const boost::json::object* fo = in.object((*fa)[i], p);
                if (fo == nullptr)
                    break;
                failure_count f;
                std::string kind;
                if (in.field(*fo, "kind", p, kind) && !error_from_name(kind, f.kind))
                    return in.fail(p + ".kind", "unknown failure kind \"" + kind + "\"");
                in.field(*fo, "count", p, f.count);
                in.field(*fo, "examples", p, f.examples);
                c.failures.push_back(std::move(f));
            }
        }
    }
    in.field(*o, "short_outputs", path, c.short_outputs);
    in.optional_field(*o, "burst_streams", path, c.burst_streams); // absent in older files: 0
    if (const boost::json::value* pv = in.member(*o, "prompt", path)) {
        const std::string p = path + ".prompt";
        if (const boost::json::object* po = in.object(*pv, p)) {
            in.field(*po, "target_tokens", p, c.prompt.target_tokens);
            in.field(*po, "reported", p, c.prompt.reported);
            in.field(*po, "exact", p, c.prompt.exact);
            in.field(*po, "mean_tokens", p, c.prompt.mean_tokens);
            in.field(*po, "min_tokens", p, c.prompt.min_tokens);
            in.field(*po, "max_tokens", p, c.prompt.max_tokens);
            in.field(*po, "max_relative_error", p, c.prompt.max_relative_error);
            in.field(*po, "flagged", p, c.prompt.flagged);
        }
    }
    if (const boost::json::value* lv = in.member(*o, "client_lag", path)) {
        const std::string p = path + ".client_lag";
        if (const boost::json::object* lo = in.object(*lv, p)) {
            in.field(*lo, "p99_s", p, c.client_lag.p99_s);
            in.field(*lo, "mean_ttft_s", p, c.client_lag.mean_ttft_s);
            in.field(*lo, "flagged", p, c.client_lag.flagged);
        }
    }
    if (const boost::json::value* sv = in.member(*o, "server", path); sv && !sv->is_null()) {
        const std::string p = path + ".server";
        if (const boost::json::object* so = in.object(*sv, p)) {
            server_metrics_record s;
            in.field(*so, "server_name", p, s.server_name);
            in.field(*so, "error", p, s.error);
            if (const boost::json::value* vv = in.member(*so, "values", p)) {
                if (const boost::json::object* vo = in.object(*vv, p + ".values")) {
                    for (const auto& kv : *vo) {
                        const std::string q = p + ".values." + std::string(kv.key());
                        const boost::json::object* qo = in.object(kv.value(), q);
                        if (qo == nullptr)
                            break;
                        server_quantity sq;
                        in.field(*qo, "value", q, sq.value);
                        in.field(*qo, "state", q, sq.state);
                        in.field(*qo, "source", q, sq.source);
                        in.field(*qo, "observations", q, sq.observations);
                        in.field(*qo, "metric", q, sq.metric);
                        s.values.emplace(std::string(kv.key()), std::move(sq));
                    }
                }
            }
            c.server = std::move(s);
        }
    } else {
        c.server.reset();
    }
    if (const boost::json::value* ev = in.member(*o, "energy", path); ev && !ev->is_null()) {
        const std::string p = path + ".energy";
        if (const boost::json::object* eo = in.object(*ev, p)) {
            energy_record e;
            in.field(*eo, "energy_j", p, e.energy_j);
            in.field(*eo, "mean_power_w", p, e.mean_power_w);
            in.field(*eo, "peak_power_w", p, e.peak_power_w);
            in.field(*eo, "joules_per_output_token", p, e.joules_per_output_token);
            in.field(*eo, "elapsed_s", p, e.elapsed_s);
            in.field(*eo, "source", p, e.source);
            in.field(*eo, "method", p, e.method);
            in.field(*eo, "gpu_count", p, e.gpu_count);
            c.energy = std::move(e);
        }
    } else {
        c.energy.reset();
    }
    in.field(*o, "energy_error", path, c.energy_error);
    in.field(*o, "stop_reason", path, c.stop_reason);
    in.field(*o, "complete", path, c.complete);
    in.field(*o, "start_ns", path, c.start_ns);
    in.field(*o, "end_ns", path, c.end_ns);
    in.field(*o, "wall_start", path, c.wall_start);
    in.field(*o, "wall_end", path, c.wall_end);
    in.field(*o, "simulated", path, c.simulated);
    c.sketches.clear();
    if (const boost::json::value* kv = o->if_contains("sketches"); kv && in.ok()) {
        if (const boost::json::object* ko = in.object(*kv, path + ".sketches"))
            c.sketches = *ko;
    }
    return in.ok();
}

inline bool read_fit(json_reader& in, const boost::json::value& v, const std::string& path,
                     analysis::fit_result& f) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    std::string model;
    if (in.field(*o, "model", path, model)) {
        bool found = false;
        for (analysis::fit_model m : {analysis::fit_model::affine, analysis::fit_model::saturating,
                                      analysis::fit_model::power})
            if (analysis::fit_model_name(m) == model) {
                f.model = m;
                found = true;
            }
        if (!found)
            return in.fail(path + ".model", "unknown fit model \"" + model + "\"");
    }
    in.field(*o, "a", path, f.a);
    in.field(*o, "b", path, f.b);
    in.field(*o, "r_squared", path, f.r_squared);
    in.field(*o, "rmse", path, f.rmse);
    std::uint64_t points = 0;
    in.field(*o, "points", path, points);
    f.points = static_cast<std::size_t>(points);
    return in.ok();
}

inline bool read_threshold(json_reader& in, const boost::json::value& v, const std::string& path,
                           analysis::threshold& t) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    std::string metric, stat, cmp;
    if (in.field(*o, "metric", path, metric)) {
        const auto m = analysis::metric_from_name(metric);
        if (!m)
            return in.fail(path + ".metric", "unknown metric \"" + metric + "\"");
        t.what = *m;
    }
    if (in.field(*o, "statistic", path, stat)) {
        const auto s = analysis::statistic_from_name(stat);
        if (!s)
            return in.fail(path + ".statistic", "unknown statistic \"" + stat + "\"");
        t.stat = *s;
    }
    if (in.field(*o, "comparison", path, cmp)) {
        if (cmp == "less")
            t.cmp = analysis::comparison::less;
        else if (cmp == "greater")
            t.cmp = analysis::comparison::greater;
        else
            return in.fail(path + ".comparison", "expected \"less\" or \"greater\"");
    }
    in.field(*o, "bound", path, t.bound);
    return in.ok();
}

inline bool read_capacity(json_reader& in, const boost::json::value& v, const std::string& path,
                          analysis::capacity_result& r) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    std::string kind;
    if (in.field(*o, "kind", path, kind)) {
        bool found = false;
        for (analysis::capacity_kind k :
             {analysis::capacity_kind::interpolated, analysis::capacity_kind::exact,
              analysis::capacity_kind::at_least, analysis::capacity_kind::below_minimum})
            if (analysis::capacity_kind_name(k) == kind) {
                r.kind = k;
                found = true;
            }
        if (!found)
            return in.fail(path + ".kind", "unknown capacity kind \"" + kind + "\"");
    }
    in.field(*o, "capacity", path, r.capacity);
    in.field(*o, "crossing", path, r.crossing);
    in.field(*o, "lowest_concurrency", path, r.lowest_concurrency);
    in.field(*o, "highest_concurrency", path, r.highest_concurrency);
    std::string method;
    if (in.field(*o, "method", path, method)) {
        if (method == analysis::interpolation_name(analysis::interpolation_method::linear))
            r.method = analysis::interpolation_method::linear;
        else if (method ==
                 analysis::interpolation_name(analysis::interpolation_method::monotone_cubic))
            r.method = analysis::interpolation_method::monotone_cubic;
        else
            return in.fail(path + ".method", "unknown interpolation \"" + method + "\"");
    }
    in.field(*o, "isotonic_adjusted", path, r.isotonic_adjusted);
    std::optional<std::uint64_t> binding;
    in.field(*o, "binding", path, binding);
    if (binding)
        r.binding = static_cast<std::size_t>(*binding);
    else
        r.binding.reset();
    r.thresholds.clear();
    if (const boost::json::value* tv = in.member(*o, "thresholds", path)) {
        const std::string tp = path + ".thresholds";
        if (const boost::json::array* ta = in.array(*tv, tp)) {
            for (std::size_t i = 0; i < ta->size() && in.ok(); ++i) {
                const std::string p = tp + "[" + std::to_string(i) + "]";
                const boost::json::object* to = in.object((*ta)[i], p);
                if (to == nullptr)
                    break;
                analysis::threshold_analysis a;
                if (const boost::json::value* lv = in.member(*to, "threshold", p))
                    read_threshold(in, *lv, p + ".threshold", a.limit);
                in.field(*to, "concurrency", p, a.concurrency);
                in.field(*to, "measured", p, a.measured);
                in.field(*to, "fitted", p, a.fitted);
                in.field(*to, "isotonic_adjusted", p, a.isotonic_adjusted);
                std::string outcome;
                if (in.field(*to, "outcome", p, outcome)) {
                    bool found = false;
                    for (analysis::threshold_outcome x :
                         {analysis::threshold_outcome::holds_throughout,
                          analysis::threshold_outcome::crossed,
                          analysis::threshold_outcome::fails_at_minimum})
                        if (outcome_name(x) == outcome) {
                            a.outcome = x;
                            found = true;
                        }
                    if (!found)
                        return in.fail(p + ".outcome", "unknown outcome \"" + outcome + "\"");
                }
                in.field(*to, "crossing", p, a.crossing);
                if (const boost::json::value* ev = in.member(*to, "extrapolation", p);
                    ev && !ev->is_null()) {
                    const std::string ep = p + ".extrapolation";
                    if (const boost::json::object* eo = in.object(*ev, ep)) {
                        analysis::threshold_extrapolation e;
                        if (const boost::json::value* fv = in.member(*eo, "fit", ep))
                            read_fit(in, *fv, ep + ".fit", e.fit);
                        in.field(*eo, "crossing", ep, e.crossing);
                        a.extrapolation = e;
                    }
                }
                r.thresholds.push_back(std::move(a));
            }
        }
    }
    if (in.ok() && r.binding && *r.binding >= r.thresholds.size())
        return in.fail(path + ".binding", "index beyond the thresholds");
    r.estimate.reset();
    if (const boost::json::value* ev = in.member(*o, "estimate", path); ev && !ev->is_null()) {
        const std::string ep = path + ".estimate";
        if (const boost::json::object* eo = in.object(*ev, ep)) {
            analysis::capacity_estimate e;
            in.field(*eo, "crossing", ep, e.crossing);
            in.field(*eo, "capacity", ep, e.capacity);
            std::uint64_t b = 0;
            in.field(*eo, "binding", ep, b);
            e.binding = static_cast<std::size_t>(b);
            if (const boost::json::value* fv = in.member(*eo, "fit", ep))
                read_fit(in, *fv, ep + ".fit", e.fit);
            r.estimate = e;
        }
    }
    return in.ok();
}

inline bool read_use_case_result(json_reader& in, const boost::json::value& v,
                                 const std::string& path, use_case_result& u) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    if (const boost::json::value* uv = in.member(*o, "use_case", path)) {
        // The use case's own reader gives field-level messages; re-anchor its path here.
        const analysis::use_case_parse_result parsed = analysis::parse_use_cases(
            boost::json::serialize(boost::json::object{{"use_cases", boost::json::array{*uv}}}));
        if (!parsed.ok())
            return in.fail(path + ".use_case", parsed.error);
        u.use_case = parsed.use_cases.front();
    }
    in.field(*o, "measured_concurrency", path, u.measured_concurrency);
    in.field(*o, "converged", path, u.converged);
    in.field(*o, "budget_exhausted", path, u.budget_exhausted);
    if (const boost::json::value* cv = in.member(*o, "capacity", path))
        read_capacity(in, *cv, path + ".capacity", u.capacity);
    return in.ok();
}

inline bool read_run_info(json_reader& in, const boost::json::value& v, const std::string& path,
                          run_info& r) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "tool_version", path, r.tool_version);
    in.field(*o, "preset", path, r.preset);
    in.field(*o, "model", path, r.model);
    in.field(*o, "server_url", path, r.server_url);
    in.field(*o, "dialect", path, r.dialect);
    if (const boost::json::value* sv = in.member(*o, "server", path)) {
        const std::string p = path + ".server";
        if (const boost::json::object* so = in.object(*sv, p)) {
            in.field(*so, "dialect", p, r.server.dialect);
            in.field(*so, "version", p, r.server.version);
            in.field(*so, "model_id", p, r.server.model_id);
            in.field(*so, "max_model_len", p, r.server.max_model_len);
            in.field(*so, "evidence", p, r.server.evidence);
            in.field(*so, "models_json", p, r.server.models_json);
        }
    }
    in.field(*o, "engine_version", path, r.engine_version);
    in.field(*o, "gpu", path, r.gpu);
    in.field(*o, "hardware", path, r.hardware);
    if (const boost::json::value* hv = in.member(*o, "host", path)) {
        const std::string p = path + ".host";
        if (const boost::json::object* ho = in.object(*hv, p)) {
            in.field(*ho, "hostname", p, r.host.hostname);
            in.field(*ho, "os", p, r.host.os);
            in.field(*ho, "cpu_count", p, r.host.cpu_count);
        }
    }
    in.field(*o, "started_at", path, r.started_at);
    in.field(*o, "finished_at", path, r.finished_at);
    in.field(*o, "seed", path, r.seed);
    if (const boost::json::value* ov = in.member(*o, "options", path))
        if (const boost::json::object* oo = in.object(*ov, path + ".options"))
            r.options = *oo;
    return in.ok();
}

inline bool read_scaling(json_reader& in, const boost::json::value& v, const std::string& path,
                         analysis::context_scaling& s) {
    const boost::json::object* o = in.object(v, path);
    if (o == nullptr)
        return false;
    in.field(*o, "context_tokens", path, s.context_tokens);
    in.field(*o, "single_throughput_tokens_per_s", path, s.single_throughput_tokens_per_s);
    if (const boost::json::value* pv = in.member(*o, "points", path)) {
        const std::string pp = path + ".points";
        if (const boost::json::array* pa = in.array(*pv, pp)) {
            for (std::size_t i = 0; i < pa->size() && in.ok(); ++i) {
                const std::string p = pp + "[" + std::to_string(i) + "]";
                const boost::json::object* po = in.object((*pa)[i], p);
                if (po == nullptr)
                    break;
                analysis::scaling_point sp;
                in.field(*po, "concurrency", p, sp.concurrency);
                in.field(*po, "throughput_tokens_per_s", p, sp.throughput_tokens_per_s);
                in.field(*po, "efficiency", p, sp.efficiency);
                s.points.push_back(sp);
            }
        }
    }
    return in.ok();
}

template <class T, class Read>
json_result<T> read_document(const boost::json::value& v, Read read) {
    json_reader in;
    T out{};
    read(in, v, "$", out);
    if (!in.ok())
        return json_error{in.error_path, in.error_what};
    return out;
}

} // namespace detail

/// Reads a cell result written by to_json(const cell_result&).
[[nodiscard]] inline json_result<cell_result> cell_result_from_json(const boost::json::value& v) {
    return detail::read_document<cell_result>(v, detail::read_cell);
}

/// Reads run information written by to_json(const run_info&).
[[nodiscard]] inline json_result<run_info> run_info_from_json(const boost::json::value& v) {
    return detail::read_document<run_info>(v, detail::read_run_info);
}

/// Reads a use case result written by to_json(const use_case_result&).
[[nodiscard]] inline json_result<use_case_result>
use_case_result_from_json(const boost::json::value& v) {
    return detail::read_document<use_case_result>(v, detail::read_use_case_result);
}

/// Reads a whole sweep written by to_json(const sweep_result&). Rejects a schema_version newer
/// than this library's, and 0.
[[nodiscard]] inline json_result<sweep_result> sweep_result_from_json(const boost::json::value& v) {
    return detail::read_document<sweep_result>(v, [](detail::json_reader& in,
                                                     const boost::json::value& doc,
                                                     const std::string& path, sweep_result& r) {
        const boost::json::object* o = in.object(doc, path);
        if (o == nullptr)
            return false;
        if (in.field(*o, "schema_version", path, r.version) && r.version > schema_version)
            return in.fail(path + ".schema_version", "version " + std::to_string(r.version) +
                                                         " is newer than this reader (" +
                                                         std::to_string(schema_version) + ")");
        if (in.ok() && r.version < 1)
            return in.fail(path + ".schema_version", "version 0 is not a version (versions "
                                                     "start at 1)");
        if (const boost::json::value* rv = in.member(*o, "run", path))
            detail::read_run_info(in, *rv, path + ".run", r.run);
        const auto list = [&](std::string_view key, auto& out, auto read) {
            const boost::json::value* lv = in.member(*o, key, path);
            if (lv == nullptr)
                return;
            const std::string lp = path + "." + std::string(key);
            const boost::json::array* a = in.array(*lv, lp);
            if (a == nullptr)
                return;
            for (std::size_t i = 0; i < a->size() && in.ok(); ++i) {
                typename std::remove_cvref_t<decltype(out)>::value_type x{};
                if (read(in, (*a)[i], lp + "[" + std::to_string(i) + "]", x))
                    out.push_back(std::move(x));
            }
        };
        list("cells", r.cells, detail::read_cell);
        list("use_cases", r.use_cases, detail::read_use_case_result);
        list("scaling", r.scaling, detail::read_scaling);
        in.field(*o, "simulated", path, r.simulated);
        in.field(*o, "complete", path, r.complete);
        return in.ok();
    });
}

} // namespace llmcap::sweep
