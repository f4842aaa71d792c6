#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/ground_truth.hpp>
#include <llmcap/emulator/prefix_cache.hpp>

#include <algorithm> // upper_bound
#include <array>     // array
#include <charconv>  // to_chars
#include <cstddef>   // size_t
#include <cstdint>   // uint64_t
#include <initializer_list>
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::emulator {

/// A Prometheus histogram: cumulative-bucket counts, sum and count.
class prometheus_histogram {
public:
    /// A histogram with the given upper bounds (ascending; +Inf is implied).
    explicit prometheus_histogram(std::initializer_list<double> bounds)
        : bounds_(bounds), counts_(bounds_.size() + 1, 0) {}

    /// Records one observation. O(log buckets).
    void observe(double v) noexcept {
        const auto i = static_cast<std::size_t>(
            std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
        ++counts_[i];
        sum_ += v;
        ++count_;
    }

    /// Observations recorded.
    [[nodiscard]] std::uint64_t count() const noexcept {
        return count_;
    }
    /// Sum of the observations.
    [[nodiscard]] double sum() const noexcept {
        return sum_;
    }

    /// Appends the histogram's samples (`name_bucket`, `name_sum`, `name_count`) with the
    /// labels `labels` (text inside the braces, without them; may be empty).
    void render(std::string& out, std::string_view name, std::string_view labels) const;

private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> counts_;
    double sum_ = 0.0;
    std::uint64_t count_ = 0;
};

namespace detail {

/// Appends `v` as Prometheus' Python client writes it: shortest round-trip form, with `.0`
/// on integral values.
inline void append_metric_value(std::string& out, double v) {
    std::array<char, 32> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    const std::string_view s(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
    out += s;
    if (s.find_first_of(".eni") == std::string_view::npos)
        out += ".0";
}

inline void append_sample(std::string& out, std::string_view name, std::string_view labels,
                          double v) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
    append_metric_value(out, v);
    out += '\n';
}

inline void append_family(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

} // namespace detail

inline void prometheus_histogram::render(std::string& out, std::string_view name,
                                         std::string_view labels) const {
    std::uint64_t cumulative = 0;
    std::string l;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        cumulative += counts_[i];
        l.assign(labels);
        if (!l.empty())
            l += ',';
        l += "le=\"";
        if (i < bounds_.size())
            detail::append_metric_value(l, bounds_[i]);
        else
            l += "+Inf";
        l += '"';
        detail::append_sample(out, std::string(name) + "_bucket", l,
                              static_cast<double>(cumulative));
    }
    detail::append_sample(out, std::string(name) + "_count", labels, static_cast<double>(count_));
    detail::append_sample(out, std::string(name) + "_sum", labels, sum_);
}

/// The instantaneous values of a /metrics page, read from the engine when it is rendered.
struct metrics_gauges {
    /// Requests running in the engine.
    std::size_t running = 0;
    /// Requests waiting in the engine's queue (requests held by the front end included).
    std::size_t waiting = 0;
    /// Fraction of the KV cache in use, [0, 1].
    double kv_cache_usage = 0.0;
    /// Emulated GPU power now, watts.
    double power_w = 0.0;
    /// Emulated GPU energy since the server started, joules.
    double energy_j = 0.0;
    /// Emulated time since the server started, seconds.
    double emulated_s = 0.0;
    /// The server's time scale (emulated seconds per wall second).
    double time_scale = 1.0;
};

/**
 * The emulator's Prometheus exposition: vLLM v1 metric names and buckets (label
 * `model_name`, `engine="0"`; counters with the `_total` suffix of the text format, as
 * `vllm:prefix_cache_queries_total` and `vllm:prefix_cache_hits_total`), an emulated DCGM
 * exporter's energy and power (label `gpu="0"`), and the emulator's own health
 * (`llmcap_emulator_*`). Every per-request value is taken from the ground truth in emulated time,
 * when the request finishes; counters of tokens grow as engine steps run. Not thread-safe.
 */
class metrics_exporter {
public:
    /// An exporter labelling vLLM metrics with `model_name` (JSON/Prometheus-safe text).
    explicit metrics_exporter(std::string model_name)
        : labels_("engine=\"0\",model_name=\"" + escape(model_name) + "\"") {}

    /// Records the prompt tokens of one engine step (as vLLM counts them: tokens prefilled,
    /// recomputation excluded, plus those found in the prefix cache), its output tokens and
    /// preemptions.
    void on_step(std::uint64_t prompt_tokens, std::uint64_t generation_tokens,
                 std::uint64_t preemptions) noexcept {
        prompt_tokens_ += prompt_tokens;
        generation_tokens_ += generation_tokens;
        preemptions_ += preemptions;
    }

    /// Records the prefix-cache lookups of one engine step (step_result::prefix_cache); the
    /// page exports `queries` and `hits`, in tokens, as vLLM does.
    void on_prefix_cache(const prefix_cache_stats& s) noexcept {
        prefix_cache_queries_ += s.queries;
        prefix_cache_hits_ += s.hits;
    }

    /// Records a finished request: its truth, when the front end received it (emulated),
    /// and why it finished ("length", "stop", "abort").
    void on_finished(const request_truth& t, time_point received, std::string_view reason) {
        if (reason == "length")
            ++finished_length_;
        else if (reason == "stop")
            ++finished_stop_;
        else
            ++finished_abort_;
        if (auto q = t.queue_wait())
            queue_.observe(to_seconds(*q));
        if (auto p = t.prefill_time())
            prefill_.observe(to_seconds(*p));
        if (!t.tokens.empty()) {
            ttft_.observe(to_seconds(t.tokens.front() - received));
            decode_.observe(to_seconds(t.tokens.back() - t.tokens.front()));
            for (std::size_t i = 1; i < t.tokens.size(); ++i)
                itl_.observe(to_seconds(t.tokens[i] - t.tokens[i - 1]));
            e2e_.observe(to_seconds(t.tokens.back() - received));
        }
        prompt_hist_.observe(static_cast<double>(t.prompt_tokens));
        generation_hist_.observe(static_cast<double>(t.tokens.size()));
    }

    /// Records how late (wall time) the engine's timer fired against its schedule.
    void on_schedule_lag(duration lag) noexcept {
        lag_.observe(to_seconds(lag));
    }

    /// Renders the page (Prometheus text format 0.0.4) into `out`, replacing its content.
    void render(std::string& out, const metrics_gauges& g) const {
        out.clear();
        using detail::append_family;
        using detail::append_sample;
        append_family(out, "vllm:num_requests_running", "gauge",
                      "Number of requests in model execution batches.");
        append_sample(out, "vllm:num_requests_running", labels_, static_cast<double>(g.running));
        append_family(out, "vllm:num_requests_waiting", "gauge",
                      "Number of requests waiting to be processed.");
        append_sample(out, "vllm:num_requests_waiting", labels_, static_cast<double>(g.waiting));
        append_family(out, "vllm:kv_cache_usage_perc", "gauge",
                      "KV-cache usage. 1 means 100 percent usage.");
        append_sample(out, "vllm:kv_cache_usage_perc", labels_, g.kv_cache_usage);
        append_family(out, "vllm:prefix_cache_queries_total", "counter",
                      "Prefix cache queries, in terms of number of queried tokens.");
        append_sample(out, "vllm:prefix_cache_queries_total", labels_,
                      static_cast<double>(prefix_cache_queries_));
        append_family(out, "vllm:prefix_cache_hits_total", "counter",
                      "Prefix cache hits, in terms of number of cached tokens.");
        append_sample(out, "vllm:prefix_cache_hits_total", labels_,
                      static_cast<double>(prefix_cache_hits_));
        append_family(out, "vllm:num_preemptions_total", "counter",
                      "Cumulative number of preemption from the engine.");
        append_sample(out, "vllm:num_preemptions_total", labels_,
                      static_cast<double>(preemptions_));
        append_family(out, "vllm:prompt_tokens_total", "counter",
                      "Number of prefill tokens processed.");
        append_sample(out, "vllm:prompt_tokens_total", labels_,
                      static_cast<double>(prompt_tokens_));
        append_family(out, "vllm:generation_tokens_total", "counter",
                      "Number of generation tokens processed.");
        append_sample(out, "vllm:generation_tokens_total", labels_,
                      static_cast<double>(generation_tokens_));
        append_family(out, "vllm:request_success_total", "counter",
                      "Count of successfully processed requests.");
        const std::string_view reasons[] = {"stop", "length", "abort"};
        const std::uint64_t counts[] = {finished_stop_, finished_length_, finished_abort_};
        for (std::size_t i = 0; i < 3; ++i)
            append_sample(out, "vllm:request_success_total",
                          labels_ + ",finished_reason=\"" + std::string(reasons[i]) + "\"",
                          static_cast<double>(counts[i]));
        histogram(out, "vllm:request_prompt_tokens", "Number of prefill tokens processed.",
                  prompt_hist_);
        histogram(out, "vllm:request_generation_tokens", "Number of generation tokens processed.",
                  generation_hist_);
        histogram(out, "vllm:time_to_first_token_seconds",
                  "Histogram of time to first token in seconds.", ttft_);
        histogram(out, "vllm:inter_token_latency_seconds",
                  "Histogram of inter-token latency in seconds.", itl_);
        histogram(out, "vllm:e2e_request_latency_seconds",
                  "Histogram of e2e request latency in seconds.", e2e_);
        histogram(out, "vllm:request_queue_time_seconds",
                  "Histogram of time spent in WAITING phase for request.", queue_);
        histogram(out, "vllm:request_prefill_time_seconds",
                  "Histogram of time spent in PREFILL phase for request.", prefill_);
        histogram(out, "vllm:request_decode_time_seconds",
                  "Histogram of time spent in DECODE phase for request.", decode_);

        append_family(out, "DCGM_FI_DEV_POWER_USAGE", "gauge", "Power draw (in W).");
        append_sample(out, "DCGM_FI_DEV_POWER_USAGE", gpu_labels, g.power_w);
        append_family(out, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "counter",
                      "Total energy consumption since boot (in mJ).");
        append_sample(out, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", gpu_labels, g.energy_j * 1000.0);

        append_family(out, "llmcap_emulator_schedule_lag_seconds", "histogram",
                      "Wall time by which the engine timer fired after its deadline.");
        lag_.render(out, "llmcap_emulator_schedule_lag_seconds", {});
        append_family(out, "llmcap_emulator_time_seconds", "gauge",
                      "Emulated time since the server started, seconds.");
        append_sample(out, "llmcap_emulator_time_seconds", {}, g.emulated_s);
        append_family(out, "llmcap_emulator_time_scale", "gauge",
                      "Emulated seconds per wall-clock second.");
        append_sample(out, "llmcap_emulator_time_scale", {}, g.time_scale);
    }

private:
    static constexpr std::string_view gpu_labels = "gpu=\"0\",UUID=\"GPU-emulated-0\"";

    [[nodiscard]] static std::string escape(std::string_view s) {
        std::string out;
        for (char c : s) {
            if (c == '\\' || c == '"')
                out += '\\';
            if (c == '\n') {
                out += "\\n";
                continue;
            }
            out += c;
        }
        return out;
    }

    void histogram(std::string& out, std::string_view name, std::string_view help,
                   const prometheus_histogram& h) const {
        detail::append_family(out, name, "histogram", help);
        h.render(out, name, labels_);
    }

    std::string labels_;
    std::uint64_t prompt_tokens_ = 0;
    std::uint64_t generation_tokens_ = 0;
    std::uint64_t preemptions_ = 0;
    std::uint64_t prefix_cache_queries_ = 0;
    std::uint64_t prefix_cache_hits_ = 0;
    std::uint64_t finished_length_ = 0;
    std::uint64_t finished_stop_ = 0;
    std::uint64_t finished_abort_ = 0;
    // vLLM v1's buckets.
    prometheus_histogram ttft_{0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                               0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                               20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
    prometheus_histogram itl_{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                              0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
    prometheus_histogram e2e_{0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                              5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                              60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
    prometheus_histogram queue_{0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                                5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                                60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
    prometheus_histogram prefill_{0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                                  5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                                  60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
    prometheus_histogram decode_{0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                                 5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                                 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
    prometheus_histogram prompt_hist_{1.0,     2.0,     5.0,     10.0,     20.0,    50.0,
                                      100.0,   200.0,   500.0,   1000.0,   2000.0,  5000.0,
                                      10000.0, 20000.0, 50000.0, 100000.0, 200000.0};
    prometheus_histogram generation_hist_{1.0,     2.0,     5.0,     10.0,     20.0,    50.0,
                                          100.0,   200.0,   500.0,   1000.0,   2000.0,  5000.0,
                                          10000.0, 20000.0, 50000.0, 100000.0, 200000.0};
    prometheus_histogram lag_{1e-5,   2.5e-5, 5e-5, 1e-4,   2.5e-4, 5e-4, 1e-3,
                              2.5e-3, 5e-3,   1e-2, 2.5e-2, 0.1,    1.0};
};

} // namespace llmcap::emulator
