#pragma once

#include <llmcap/analysis/traffic_mix.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/prometheus/server_cell_metrics.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/text_source.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>   // same_as
#include <cstdint>    // uint32_t, uint64_t
#include <functional> // function
#include <optional>   // optional
#include <string>     // string
#include <vector>     // vector

namespace llmcap::sweep {

/// One cell as a runner receives it.
struct cell_spec {
    /// Which cell.
    cell_key key;
    /// Text of generated prompts.
    workload::text_style style = workload::text_style::prose;
    /// A fixed prompt; empty to generate prompts of key.context_tokens.
    std::string prompt;
    /// True for a dataset cell: each request is a record of the runner's dataset, its own
    /// prompt and, where the data has one, its own output length (else key.output_tokens).
    bool dataset = false;
    /// True for a trace cell: the runner's trace replayed at its times (scaled), key.concurrency
    /// the cap on requests in flight; no warm-up.
    bool trace = false;
    /// Set for a session cell (key.sessions): users holding conversations, key.concurrency of
    /// them, each turn a new message of key.context_tokens and an answer of key.output_tokens.
    std::optional<analysis::session_workload> sessions;
    /// Set for a mix cell: each request's class drawn by analysis::mix_class_of(mix, seed,
    /// index), its prompt and output lengths that class's use case's.
    std::optional<analysis::traffic_mix> mix;
    /// Warm-up requests.
    std::uint64_t warmup_requests = 0;
    /// When the cell stops.
    workload::stop_rule stop;
    /// Load shape (closed loop at key.concurrency, or open loop capped at it).
    load_options load;
    /// Index of the cell's first request within the run.
    std::uint64_t first_index = 0;
    /// The run's seed.
    std::uint64_t seed = 1;
    /// The run's stop signal; may be null.
    client::stop_signal* stop_signal = nullptr;
    /// End of the run's latest finished request before this cell (empty for the first): a
    /// simulation continues its virtual time from there, also after a resume.
    std::optional<time_point> previous_end;
};

/// What a runner reports about a cell besides its requests.
struct cell_run {
    /// Why the cell stopped (request_count, duration, confidence, max_requests, cancelled).
    workload::stop_reason stop_reason = workload::stop_reason::request_count;
    /// What the server reported; empty when not scraped.
    std::optional<server_metrics_record> server;
    /// Energy over the cell; empty when not measured.
    std::optional<energy_record> energy;
    /// Why a configured energy meter gave no reading.
    std::string energy_error;
    /// True when the cell was simulated.
    bool simulated = false;
    /// The next request index of the run.
    std::uint64_t next_index = 0;
    /// Warm-up requests run but not reported through the trace callback (a simulation).
    std::uint64_t warmup_requests = 0;
    /// A problem that kept the cell from running (calibration failed): the cell is recorded
    /// with this message and no requests.
    std::string error;
    /// A session cell's conversation counts (the turns come from the requests).
    std::optional<session_record> sessions;
    /// A dataset cell's records.
    std::optional<dataset_record> dataset;
};

/// Receives each finished request of a cell: (trace, warmup).
using trace_callback = std::function<void(const request_trace&, bool)>;

/**
 * \concept cell_runner
 * Runs the cells of a sweep, against a real server or a simulation.
 * 1. `r.run_cell(spec, on_trace)` returns `asio::awaitable<cell_run>`; it reports every
 *    finished request through `on_trace` (warm-up ones flagged), in completion order.
 * 2. `r.identify()` returns `asio::awaitable<server_identity>`: what the server says it is.
 * 3. `r.origin()` is the time every trace of the run counts from (the run's start, or the
 *    virtual epoch of a simulation); `r.url()` names the server for run.json.
 */
template <class R>
concept cell_runner = requires(R& r, const R& cr, const cell_spec& spec, const trace_callback& f) {
    { r.run_cell(spec, f) } -> std::same_as<boost::asio::awaitable<cell_run>>;
    { r.identify() } -> std::same_as<boost::asio::awaitable<server_identity>>;
    { cr.origin() } -> std::same_as<time_point>;
    { cr.url() } -> std::convertible_to<std::string>;
};

/// A server_cell_metrics (views into a metric map) as an owned record with stable names.
[[nodiscard]] inline server_metrics_record to_record(const prometheus::server_cell_metrics& m) {
    server_metrics_record r;
    r.server_name = std::string(m.server_name);
    const auto put = [&r](const char* name, const prometheus::server_value& v) {
        server_quantity q;
        q.value = v.value;
        q.state = v.state;
        q.source = v.source;
        q.observations = v.observations;
        q.metric = std::string(v.metric);
        r.values.emplace(name, std::move(q));
    };
    put("queue_wait_mean_s", m.queue_wait_mean_s);
    put("prefill_time_mean_s", m.prefill_time_mean_s);
    put("decode_time_mean_s", m.decode_time_mean_s);
    put("ttft_mean_s", m.ttft_mean_s);
    put("inter_token_latency_mean_s", m.inter_token_latency_mean_s);
    put("e2e_latency_mean_s", m.e2e_latency_mean_s);
    put("queue_wait_p90_s", m.queue_wait_p90_s);
    put("prefill_time_p90_s", m.prefill_time_p90_s);
    put("prompt_tokens", m.prompt_tokens);
    put("generation_tokens", m.generation_tokens);
    put("requests_finished", m.requests_finished);
    put("preemptions", m.preemptions);
    put("prompt_processing_s", m.prompt_processing_s);
    put("generation_s", m.generation_s);
    put("decode_calls", m.decode_calls);
    put("prefill_tokens_per_s", m.prefill_tokens_per_s);
    put("decode_tokens_per_s", m.decode_tokens_per_s);
    put("running_max", m.running_max);
    put("running_mean", m.running_mean);
    put("waiting_max", m.waiting_max);
    put("waiting_mean", m.waiting_mean);
    put("kv_cache_usage_max", m.kv_cache_usage_max);
    put("kv_cache_usage_mean", m.kv_cache_usage_mean);
    put("prefix_cache_hit_rate", m.prefix_cache_hit_rate);
    put("prefix_cache_queried_tokens", m.prefix_cache_queried_tokens);
    put("prefix_cache_hit_tokens", m.prefix_cache_hit_tokens);
    return r;
}

} // namespace llmcap::sweep
