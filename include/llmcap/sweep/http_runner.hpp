#pragma once

#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/client/http_response.hpp>
#include <llmcap/client/timeline.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/openai/dialect.hpp>
#include <llmcap/openai/request.hpp>
#include <llmcap/prometheus/metric_map.hpp>
#include <llmcap/prometheus/parser.hpp>
#include <llmcap/prometheus/scrape.hpp>
#include <llmcap/prometheus/server_cell_metrics.hpp>
#include <llmcap/sweep/cell_runner.hpp>
#include <llmcap/sweep/metrics_target.hpp>
#include <llmcap/sweep/result.hpp>
#include <llmcap/telemetry/energy_meter.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/workload/corpus.hpp>
#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/load_shape.hpp>
#include <llmcap/workload/prompt_factory.hpp>
#include <llmcap/workload/request_options.hpp>
#include <llmcap/workload/session.hpp>
#include <llmcap/workload/session_driver.hpp>
#include <llmcap/workload/token_counter.hpp>
#include <llmcap/workload/trace_file.hpp>
#include <llmcap/workload/trace_prompts.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>   // min, max
#include <chrono>      // milliseconds
#include <cstdint>     // uint32_t, uint64_t
#include <map>         // map
#include <optional>    // optional
#include <random>      // mt19937_64
#include <span>        // span
#include <stdexcept>   // invalid_argument
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move, pair
#include <vector>      // vector

namespace llmcap::sweep {

/// The energy meter of a runner that measures no energy.
struct no_energy_meter {
    /// Never called.
    std::error_code start() {
        return {};
    }
    /// Never called.
    telemetry::energy_result stop() {
        return {};
    }
};

/// What an http_runner needs besides its endpoint.
struct http_runner_options {
    /// The server's URL, for run.json.
    std::string url;
    /// Model to request; empty: the first model `/v1/models` lists.
    std::string model;
    /// The API requests go to.
    openai::api api = openai::api::chat_completions;
    /// Ask for exactly the output length.
    bool fixed_output = true;
    /// Defeat prefix caching.
    bool cache_busting = true;
    /// Seed of prompts and arrivals.
    std::uint64_t seed = 1;
    /// Prompt text from a corpus instead of the built-in generator (when non-empty), and the
    /// records of dataset cells.
    workload::corpus corpus;
    /// The corpus file's name, for dataset_record and messages.
    std::string corpus_file;
    /// The most records of the corpus a run counts on the server for dataset cells; requests
    /// beyond cycle through them.
    std::uint64_t max_dataset_records = 4096;
    /// The trace trace cells replay (its requests and what its reader skipped).
    workload::trace_read trace;
    /// The trace file's name, for messages and the cell's record.
    std::string trace_file;
    /// Trace times are multiplied by this.
    double trace_time_scale = 1.0;
    /// Scrape the server's metrics page before and after each cell.
    bool scrape_metrics = true;
    /// Where the metrics page is; empty: `/metrics` on the serving endpoint. A URL with a path
    /// is scraped at that path, one without a path at `/metrics` (parse_metrics_url). It is
    /// read through a client endpoint of its own, sent no API key, on the executor the cells
    /// run on. For a gateway that does not pass `/metrics` through, or an engine that serves
    /// its metrics on another port.
    std::string metrics_url;
    /// The dialect, when known; otherwise identify() detects it.
    std::optional<openai::dialect_info> dialect;
};

/**
 * Runs cells against a real server over any control_endpoint (client::http_endpoint, or a
 * test double): prompts calibrated on the server (once per length and text style), warm-up
 * requests run first (closed loop at the cell's concurrency), then the metrics page (the
 * server's `/metrics`, or http_runner_options::metrics_url) scraped and the energy meter started,
 * the measured requests driven by workload::drive with the plan's load shape, and the page scraped
 * and the meter stopped again — so server quantities and energy cover the measured requests only.
 *
 * Calibration uses `/tokenize` where the dialect has one (vLLM and llama.cpp shapes; SGLang's
 * takes vLLM's) and probe requests otherwise. Not thread-safe; the endpoint and meter must
 * outlive the runner.
 */
template <workload::control_endpoint Endpoint, class Meter = no_energy_meter>
class http_runner {
public:
    /// A runner on `endpoint`; `meter` may be null (no energy). Throws std::invalid_argument
    /// for an unusable `options.metrics_url`.
    http_runner(Endpoint& endpoint, http_runner_options options, Meter* meter = nullptr)
        : endpoint_(&endpoint), options_(std::move(options)), meter_(meter),
          origin_(client::timeline_of(endpoint).now()) {
        if (options_.dialect)
            adopt(*options_.dialect);
        if (!options_.metrics_url.empty()) {
            std::string why;
            metrics_target_ = parse_metrics_url(options_.metrics_url, why);
            if (!metrics_target_)
                throw std::invalid_argument("metrics URL \"" + options_.metrics_url + "\": " + why);
        }
    }

    /// Where the metrics page is read: the metrics URL, or `/metrics` on the serving endpoint.
    [[nodiscard]] std::string metrics_location() const {
        return metrics_target_ ? metrics_target_->url() : std::string("/metrics");
    }

    /// The run's start (construction time, on the endpoint's timeline).
    [[nodiscard]] time_point origin() const noexcept {
        return origin_;
    }

    /// The server's URL.
    [[nodiscard]] std::string url() const {
        return options_.url;
    }

    /// The dialect in use (after identify() or as given).
    [[nodiscard]] const openai::dialect_info& dialect() const noexcept {
        return dialect_;
    }

    /// Asks the server what it is (`/v1/models`, `/version`) and adopts the detected dialect
    /// unless one was given.
    boost::asio::awaitable<server_identity> identify() {
        const client::http_response models = co_await endpoint_->get("/v1/models");
        const client::http_response version = co_await endpoint_->get("/version");
        const openai::dialect_info detected =
            openai::detect_dialect(models.ok() ? models.body : std::string(),
                                   version.ok() ? version.body : std::string(), models.server);
        if (!options_.dialect)
            adopt(detected);
        offered_models_ = detected.model_ids;
        server_identity s;
        s.dialect = std::string(openai::dialect_name(dialect_.kind));
        s.version = detected.version;
        s.model_id = detected.model_id;
        s.max_model_len = detected.max_model_len;
        s.evidence = detected.evidence;
        s.models_json = models.ok() ? models.body : "unavailable: " + models.error_message;
        if (options_.model.empty())
            options_.model = detected.model_id;
        co_return s;
    }

    /// Runs one cell against the server.
    boost::asio::awaitable<cell_run> run_cell(const cell_spec& spec,
                                              const trace_callback& on_trace) {
        cell_run out;
        out.next_index = spec.first_index;
        workload::request_options ro;
        ro.kind = options_.api;
        ro.model = options_.model;
        ro.max_tokens = spec.key.output_tokens;
        ro.fixed_output = options_.fixed_output;
        ro.extensions = extensions_;
        ro.cache_busting = options_.cache_busting;
        ro.seed = spec.seed;
        if (spec.sessions)
            co_return co_await run_sessions(spec, on_trace, ro);
        if (spec.trace)
            co_return co_await run_trace(spec, on_trace, ro);
        workload::prompt_factory& factory = factory_for(spec.style);
        std::optional<workload::calibrated_prompt> calibration;
        std::vector<workload::calibrated_prompt> mix_prompts; // a mix cell's, by class
        if (spec.dataset) {
            const workload::stop_rule& s = spec.stop;
            const std::uint64_t measured_count = s.requests > 0 ? s.requests
                                                 : s.max_requests > 0
                                                     ? s.max_requests
                                                     : options_.max_dataset_records;
            if (const std::string why =
                    co_await prepare_dataset(ro, spec.warmup_requests + measured_count);
                !why.empty()) {
                out.error = why;
                co_return out;
            }
            out.dataset = dataset_summary();
        } else if (spec.mix) { // a calibrated prompt per class
            if (!counter_)
                counter_.emplace(*endpoint_, ro, tokenize_shape_);
            for (const analysis::mix_class& k : spec.mix->classes) {
                std::string why;
                std::optional<workload::calibrated_prompt> c =
                    co_await factory.calibrate(*counter_, k.workload.context_tokens, &why);
                if (!c) {
                    out.error = "prompt calibration failed for class " + k.workload.name + ": " +
                                why + unknown_model_hint();
                    co_return out;
                }
                mix_prompts.push_back(std::move(*c));
            }
        } else if (spec.prompt.empty()) {
            if (!counter_)
                counter_.emplace(*endpoint_, ro, tokenize_shape_);
            std::string why;
            calibration = co_await factory.calibrate(*counter_, spec.key.context_tokens, &why);
            if (!calibration) {
                out.error = "prompt calibration failed: " + why + unknown_model_hint();
                co_return out;
            }
        }
        auto make = [&](std::uint64_t index) {
            if (spec.mix) { // the request's class: its lengths
                const std::size_t k =
                    analysis::mix_class_of(*spec.mix, spec.seed, index - spec.first_index);
                workload::request_options o = ro;
                o.max_tokens = spec.mix->classes[k].workload.output_tokens;
                return workload::request_from(factory, mix_prompts[k], o, index);
            }
            if (spec.dataset) { // a record's own prompt and output length
                const dataset_entry& e = dataset_[index % dataset_.size()];
                workload::request_options o = ro;
                o.max_tokens = e.output_tokens.value_or(spec.key.output_tokens);
                return workload::prepared_request{
                    workload::make_request(
                        o, factory.nonce(index) + options_.corpus.records[e.record].prompt, index),
                    0};
            }
            if (calibration) // a generated prompt of the cell's length
                return workload::request_from(factory, *calibration, ro, index);
            // The cell's fixed prompt, made unique by a nonce; its length is the server's count.
            return workload::prepared_request{
                workload::make_request(ro, factory.nonce(index) + spec.prompt, index), 0};
        };
        cell_requests finished{on_trace, {}, false};
        auto record = [&](const request_trace& t, bool warmup) { finished.add(t, warmup); };
        // Warm-up first, at the cell's concurrency, before the scrape and the meter: the
        // server's histograms and the energy then cover the measured requests only.
        std::uint64_t first_index = spec.first_index;
        if (spec.warmup_requests > 0) {
            workload::driver_options w;
            w.stop.requests = spec.warmup_requests;
            w.first_index = first_index;
            w.stop_signal = spec.stop_signal;
            workload::closed_loop warm(spec.key.concurrency);
            const workload::driver_result wr = co_await workload::drive(
                *endpoint_, warm, make, [&](const request_trace& t, bool) { on_trace(t, true); },
                w);
            first_index = wr.next_index;
            if (wr.stop_reason == workload::stop_reason::cancelled) {
                out.stop_reason = wr.stop_reason;
                out.next_index = first_index;
                co_return out;
            }
        }
        prometheus::scrape before;
        const std::string scrape_error = co_await open_window(out, before);
        workload::driver_options d;
        d.stop = spec.stop;
        d.first_index = first_index;
        d.stop_signal = spec.stop_signal;
        workload::driver_result r;
        if (spec.load.open) {
            std::mt19937_64 rng(spec.seed ^ spec.first_index);
            workload::open_loop shape(spec.load.rate_per_s, spec.load.burstiness,
                                      spec.key.concurrency, rng,
                                      client::timeline_of(*endpoint_).now());
            r = co_await workload::drive(*endpoint_, shape, make, record, d);
        } else {
            workload::closed_loop shape(spec.key.concurrency);
            r = co_await workload::drive(*endpoint_, shape, make, record, d);
        }
        co_await close_window(out, before, scrape_error, finished);
        out.stop_reason = r.stop_reason;
        out.next_index = r.next_index;
        co_return out;
    }

private:
    /// A record of the corpus counted on the server, ready for dataset cells.
    struct dataset_entry {
        /// Its index in options_.corpus.records.
        std::size_t record = 0;
        /// Prompt tokens the server counted (chat template included).
        std::uint64_t prompt_tokens = 0;
        /// Output length from the data; empty: the cell's.
        std::optional<std::uint32_t> output_tokens;
    };

    // A trace cell: every request of the trace (those that fit the model's context, at most
    // the stop rule's max_requests) built before the schedule starts (workload::trace_request:
    // Mooncake hash ids become shared blocks), then sent at its time (scaled) by drive() over
    // scheduled_arrivals.
    boost::asio::awaitable<cell_run> run_trace(const cell_spec& spec,
                                               const trace_callback& on_trace,
                                               const workload::request_options& ro) {
        cell_run out;
        out.next_index = spec.first_index;
        const std::string file = "trace " + options_.trace_file;
        if (!counter_)
            counter_.emplace(*endpoint_, ro, tokenize_shape_);
        dataset_record rec;
        rec.file = options_.trace_file;
        rec.records = options_.trace.entries.size();
        rec.skipped = options_.trace.skipped;
        std::vector<const workload::trace_entry*> chosen;
        const std::optional<std::uint64_t> context = dialect_.max_model_len;
        for (const workload::trace_entry& e : options_.trace.entries) {
            if (spec.stop.max_requests > 0 && chosen.size() >= spec.stop.max_requests)
                break;
            if (context && std::uint64_t{e.input_tokens} + e.output_tokens > *context) {
                ++rec.skipped[workload::too_long_reason(*context)];
                continue;
            }
            chosen.push_back(&e);
        }
        if (chosen.empty()) {
            out.error = file + ": no request to replay" + workload::describe_skips(rec.skipped);
            co_return out;
        }
        // Prompts first, outside the schedule.
        workload::prompt_factory& plain = factory_for(workload::text_style::prose);
        if (!block_factory_) { // its own: block calibrations count raw text
            workload::prompt_options po;
            po.user_corpus = options_.corpus;
            po.seed = options_.seed;
            po.cache_busting = true; // each hash id's block starts with its own nonce
            block_factory_.emplace(std::move(po));
        }
        workload::prompt_factory& blocks = *block_factory_;
        std::vector<workload::prepared_request> requests;
        std::vector<duration> offsets;
        double prompt_sum = 0.0;
        for (std::size_t i = 0; i < chosen.size(); ++i) {
            const workload::trace_entry& e = *chosen[i];
            workload::trace_request_result made = co_await workload::trace_request(
                *counter_, plain, blocks, e, ro, spec.first_index + i);
            if (!made.request) {
                out.error = file + ": line " + std::to_string(e.line) + ": " + made.error +
                            unknown_model_hint();
                co_return out;
            }
            requests.push_back(std::move(*made.request));
            offsets.push_back(from_seconds(e.at_s * options_.trace_time_scale));
            prompt_sum += e.input_tokens;
            rec.prompt_tokens_max = std::max<std::uint64_t>(rec.prompt_tokens_max, e.input_tokens);
        }
        rec.used = chosen.size();
        rec.outputs_from_data = chosen.size();
        rec.prompt_tokens_mean = prompt_sum / static_cast<double>(chosen.size());
        out.dataset = rec;
        auto make = [&](std::uint64_t index) { return requests.at(index - spec.first_index); };
        cell_requests finished{on_trace, {}, false};
        auto record = [&](const request_trace& t, bool warmup) { finished.add(t, warmup); };
        prometheus::scrape before;
        const std::string scrape_error = co_await open_window(out, before);
        workload::driver_options d;
        d.stop.requests = requests.size();
        d.first_index = spec.first_index;
        d.stop_signal = spec.stop_signal;
        // The schedule starts a moment from now, so that the first request is not late.
        workload::scheduled_arrivals shape(std::move(offsets), spec.key.concurrency,
                                           client::timeline_of(*endpoint_).now() +
                                               std::chrono::milliseconds(10));
        const workload::driver_result r =
            co_await workload::drive(*endpoint_, shape, make, record, d);
        co_await close_window(out, before, scrape_error, finished);
        out.stop_reason = r.stop_reason;
        out.next_index = r.next_index;
        co_return out;
    }

    // Counts records of the corpus on the server, in file order, until `need` are usable (or
    // the file or max_dataset_records is exhausted); a record whose prompt and stated output
    // do not fit the model's context is skipped and counted. Returns why the cell cannot run.
    boost::asio::awaitable<std::string> prepare_dataset(const workload::request_options& ro,
                                                        std::uint64_t need) {
        const std::vector<workload::corpus_record>& records = options_.corpus.records;
        const std::string file = "dataset " + options_.corpus_file;
        if (records.empty())
            co_return file + ": no record with a prompt" +
                workload::describe_skips(dataset_skips());
        if (!counter_)
            counter_.emplace(*endpoint_, ro, tokenize_shape_);
        need = std::min(need, options_.max_dataset_records);
        const std::optional<std::uint64_t> context = dialect_.max_model_len;
        while (dataset_.size() < need && dataset_next_ < records.size()) {
            const std::size_t i = dataset_next_++;
            const workload::corpus_record& r = records[i];
            const std::string where = file + ": record " + std::to_string(i + 1) + " (at " +
                                      std::to_string(r.source) + ")";
            const workload::count_result p = co_await counter_->count_prompt(r.prompt);
            if (!p.tokens)
                co_return where + ": counting its prompt failed: " + p.error + unknown_model_hint();
            dataset_entry e{i, *p.tokens, r.output_tokens};
            if (!e.output_tokens && r.answer) {
                const workload::count_result a = co_await counter_->count_text(*r.answer);
                if (!a.tokens)
                    co_return where + ": counting its answer failed: " + a.error;
                if (*a.tokens > 0)
                    e.output_tokens =
                        static_cast<std::uint32_t>(std::min<std::uint64_t>(*a.tokens, 0xffffffffu));
            }
            if (context && e.prompt_tokens + e.output_tokens.value_or(0) > *context) {
                ++dataset_skipped_[workload::too_long_reason(*context)];
                continue;
            }
            dataset_.push_back(e);
        }
        if (dataset_.empty())
            co_return file + ": no record fits" + workload::describe_skips(dataset_skips());
        co_return std::string();
    }

    // The records left out so far: the reader's skips and those beyond the context.
    [[nodiscard]] workload::skip_counts dataset_skips() const {
        workload::skip_counts s = options_.corpus.skipped;
        for (const auto& [why, n] : dataset_skipped_)
            s[why] += n;
        return s;
    }

    [[nodiscard]] dataset_record dataset_summary() const {
        dataset_record d;
        d.file = options_.corpus_file;
        d.records = options_.corpus.records.size();
        d.used = dataset_.size();
        d.skipped = dataset_skips();
        double sum = 0.0;
        for (const dataset_entry& e : dataset_) {
            d.outputs_from_data += e.output_tokens ? 1u : 0u;
            sum += static_cast<double>(e.prompt_tokens);
            d.prompt_tokens_max = std::max(d.prompt_tokens_max, e.prompt_tokens);
        }
        if (!dataset_.empty())
            d.prompt_tokens_mean = sum / static_cast<double>(dataset_.size());
        return d;
    }

    /// When the server's model list does not hold the requested model: says so, naming the
    /// models it offers (a typo in --model makes vLLM answer 404 to every request).
    [[nodiscard]] std::string unknown_model_hint() const {
        const std::string note = openai::unlisted_model_note(offered_models_, options_.model);
        return note.empty() ? note : " (" + note + ")";
    }

    void adopt(const openai::dialect_info& d) {
        dialect_ = d;
        extensions_ = openai::extensions_of(d.kind, d.version);
        tokenize_shape_ = extensions_.tokenize;
        if (d.kind == openai::dialect::sglang)
            tokenize_shape_ = openai::tokenize_shape::vllm; // same request and answer fields
    }

    [[nodiscard]] const prometheus::metric_map& metric_map() const noexcept {
        switch (dialect_.kind) {
        case openai::dialect::sglang:
            return prometheus::sglang_metrics;
        case openai::dialect::llama_cpp:
            return prometheus::llama_cpp_metrics;
        default:
            return prometheus::vllm_v1_metrics;
        }
    }

    // Opens a cell's measurement window: the first scrape (its error returned) and the meter.
    boost::asio::awaitable<std::string> open_window(cell_run& out, prometheus::scrape& before) {
        std::string scrape_error;
        if (options_.scrape_metrics)
            scrape_error = co_await scrape_into(before);
        if (meter_ != nullptr)
            if (const std::error_code ec = meter_->start())
                out.energy_error = "energy meter: " + ec.message();
        co_return scrape_error;
    }

    /// The requests of a cell as they finish: passed on to the sweep, the measured ones kept
    /// for the server's metrics, and whether the client ran out of sockets.
    struct cell_requests {
        const trace_callback& on_trace;
        std::vector<request_trace> measured;
        bool out_of_resources = false;
        void add(const request_trace& t, bool warmup) {
            if (!warmup)
                measured.push_back(t);
            out_of_resources = out_of_resources || t.failure == error::client_resources;
            on_trace(t, warmup);
        }
    };

    // Closes it: the meter's reading and the server's metrics over the measured requests; when
    // the client ran out of sockets, its idle connections are closed so that the run's files
    // can still be written.
    boost::asio::awaitable<void> close_window(cell_run& out, const prometheus::scrape& before,
                                              const std::string& scrape_error,
                                              const cell_requests& finished) {
        const std::vector<request_trace>& measured = finished.measured;
        if (meter_ != nullptr && out.energy_error.empty()) {
            const telemetry::energy_result e = meter_->stop();
            if (e.ok()) {
                energy_record rec;
                rec.energy_j = e.reading->energy_j;
                rec.mean_power_w = e.reading->mean_power_w;
                rec.peak_power_w = e.reading->peak_power_w;
                rec.elapsed_s = to_seconds(e.reading->elapsed);
                rec.source = e.reading->source;
                rec.method = e.reading->method;
                rec.gpu_count = e.reading->gpu_count;
                out.energy = rec;
            } else {
                out.energy_error = e.message.empty() ? e.error.message() : e.message;
            }
        }
        if (options_.scrape_metrics) {
            prometheus::scrape after;
            const std::string after_error = co_await scrape_into(after);
            if (!scrape_error.empty() || !after_error.empty()) {
                server_metrics_record s;
                s.error = !scrape_error.empty() ? scrape_error : after_error;
                out.server = std::move(s);
            } else {
                prometheus::cell_metric_inputs in;
                in.traces = std::span<const request_trace>(measured);
                out.server = to_record(
                    prometheus::compute_server_cell_metrics(metric_map(), before, after, in));
            }
        }
        if constexpr (requires { endpoint_->close_idle(); })
            if (finished.out_of_resources)
                endpoint_->close_idle();
    }

    // A session cell (spec.sessions): users holding conversations, driven by drive_sessions;
    // its warm-up turns run inside the measurement window (a population cannot be paused).
    boost::asio::awaitable<cell_run> run_sessions(const cell_spec& spec,
                                                  const trace_callback& on_trace,
                                                  const workload::request_options& ro) {
        cell_run out;
        out.next_index = spec.first_index;
        const analysis::session_workload& w = *spec.sessions;
        workload::prompt_factory& factory = factory_for(spec.style, true);
        if (!counter_)
            counter_.emplace(*endpoint_, ro, tokenize_shape_);
        std::string why;
        const std::optional<workload::calibrated_prompt> turn =
            co_await factory.calibrate(*counter_, spec.key.context_tokens, &why);
        std::optional<workload::calibrated_prompt> system;
        if (turn && w.system_prompt_tokens > 0)
            system = co_await factory.calibrate(*counter_, w.system_prompt_tokens, &why);
        if (!turn || (w.system_prompt_tokens > 0 && !system)) {
            out.error = "prompt calibration failed: " + why + unknown_model_hint();
            co_return out;
        }
        workload::session_spec ss;
        ss.users = spec.key.concurrency;
        ss.turns = w.turns;
        ss.turn_tokens = spec.key.context_tokens;
        ss.turn_tokens_sigma = w.turn_tokens_sigma;
        ss.output_tokens = spec.key.output_tokens;
        ss.think = w.think;
        ss.system_prompt_tokens = w.system_prompt_tokens;
        ss.groups = w.groups;
        ss.prefix_caching = w.prefix_caching;
        ss.max_context_tokens = dialect_.max_model_len.value_or(0);
        ss.cache_salt = run_salt_;
        ss.seed = spec.seed ^ spec.first_index;
        workload::session_source source(factory, ss, ro, *turn, system);
        cell_requests finished{on_trace, {}, false};
        auto record = [&](const request_trace& t, bool warmup) { finished.add(t, warmup); };
        prometheus::scrape before;
        const std::string scrape_error = co_await open_window(out, before);
        workload::session_driver_options so;
        so.driver.warmup_requests = spec.warmup_requests;
        so.driver.stop = spec.stop;
        so.driver.first_index = spec.first_index;
        so.driver.stop_signal = spec.stop_signal;
        so.first_conversation = spec.first_index + 1;
        const workload::session_result r =
            co_await workload::drive_sessions(*endpoint_, source, record, so);
        co_await close_window(out, before, scrape_error, finished);
        session_record sr;
        sr.conversations_started = r.conversations_started;
        sr.conversations_completed = r.conversations_completed;
        sr.ended_by_context = r.ended_by_context;
        sr.ended_by_failure = r.ended_by_failure;
        sr.in_progress_at_stop = r.in_progress_at_stop;
        out.sessions = std::move(sr);
        out.stop_reason = r.requests.stop_reason;
        out.next_index = r.requests.next_index;
        co_return out;
    }

    // The prompt factory of a text style; with `nonces`, one whose prompts start with nonces
    // whatever the plan's cache busting (a session's users must not share their messages).
    workload::prompt_factory& factory_for(workload::text_style style, bool nonces = false) {
        const bool busting = options_.cache_busting || nonces;
        auto it = factories_.find({style, busting});
        if (it == factories_.end()) {
            workload::prompt_options po;
            po.style = style;
            po.user_corpus = options_.corpus;
            po.seed = options_.seed;
            po.cache_busting = busting;
            it = factories_.emplace(std::pair{style, busting}, workload::prompt_factory(po)).first;
        }
        return it->second;
    }

    /// Scrapes the metrics page into `out`; returns an error message naming the page, or "".
    boost::asio::awaitable<std::string> scrape_into(prometheus::scrape& out) {
        client::http_response r;
        if (metrics_target_) {
            if (!metrics_endpoint_) {
                client::endpoint_options eo;
                eo.api_key_env.clear(); // the serving endpoint's key is not sent elsewhere
                metrics_endpoint_.emplace(co_await boost::asio::this_coro::executor,
                                          metrics_target_->endpoint, std::move(eo));
            }
            r = co_await metrics_endpoint_->get(metrics_target_->path);
        } else {
            r = co_await endpoint_->get("/metrics");
        }
        if (!r.ok())
            co_return metrics_location() + ": " + r.error_message;
        if (const prometheus::parse_error e = prometheus::parse(r.body, out))
            co_return metrics_location() + ": " + e.message();
        co_return std::string();
    }

    Endpoint* endpoint_;
    http_runner_options options_;
    Meter* meter_;
    time_point origin_;
    openai::dialect_info dialect_;
    openai::extensions extensions_;
    openai::tokenize_shape tokenize_shape_ = openai::tokenize_shape::none;
    std::map<std::pair<workload::text_style, bool>, workload::prompt_factory> factories_;
    std::string run_salt_ = "llmcap-" + std::to_string(std::random_device{}());
    std::optional<workload::server_token_counter<Endpoint>> counter_;
    std::optional<metrics_target> metrics_target_;
    std::optional<client::http_endpoint> metrics_endpoint_;
    std::vector<std::string> offered_models_;
    std::vector<dataset_entry> dataset_;
    std::optional<workload::prompt_factory> block_factory_;
    std::size_t dataset_next_ = 0;
    workload::skip_counts dataset_skipped_;
};

} // namespace llmcap::sweep
