#pragma once

#include <array>       // array
#include <cstdint>     // uint8_t
#include <string_view> // string_view

namespace llmcap::prometheus {

/// Which server's `/metrics` names to read.
enum class server_kind : std::uint8_t {
    /// vLLM with the V1 engine (`vllm:` prefix).
    vllm,
    /// SGLang started with `--enable-metrics` (`sglang:` prefix).
    sglang,
    /// llama.cpp's `llama-server` started with `--metrics` (`llamacpp:` prefix).
    llama_cpp,
};

/// One place a quantity may be found: a metric (or histogram family) name, optionally
/// narrowed to the series with one label value. An empty name means "not exposed".
struct metric_selector {
    /// Metric name; for histograms the family name without `_bucket`.
    std::string_view name;
    /// A label that selects the series (empty: no selection).
    std::string_view label_name;
    /// The value `label_name` must have.
    std::string_view label_value;

    /// True when the selector names a metric.
    [[nodiscard]] constexpr bool exposed() const noexcept {
        return !name.empty();
    }
};

/// Where a quantity may be found, newest name first; the first one present in a scrape is
/// used (servers rename metrics across versions).
struct metric_source {
    /// Alternatives in order of preference; unused slots have an empty name.
    std::array<metric_selector, 2> alternatives{};

    /// True when the server exposes the quantity under some name.
    [[nodiscard]] constexpr bool exposed() const noexcept {
        return alternatives[0].exposed();
    }
};

/**
 * The names under which one server exposes the quantities llmcap reads (data, not code: a new
 * server or version is a new table). Units are those of the server: histograms and `*_seconds`
 * counters in seconds, token counters in tokens, KV-cache usage as a fraction 0..1.
 */
struct metric_map {
    /// The server, for messages ("vLLM (V1 engine)").
    std::string_view server_name;

    // --- gauges, sampled during a cell ---
    /// Requests being processed (in the running batch, or a busy slot).
    metric_source running;
    /// Requests waiting for a place in the batch (queued, deferred).
    metric_source waiting;
    /// KV-cache usage as a fraction 0..1.
    metric_source kv_cache_usage;

    // --- counters, differenced over a cell ---
    /// Preemptions (vLLM) or retractions (SGLang) of running requests.
    metric_source preemptions;
    /// Prompt tokens processed (llama.cpp: excluding prompt-cache hits).
    metric_source prompt_tokens;
    /// Output tokens generated.
    metric_source generation_tokens;
    /// Requests finished.
    metric_source requests_finished;
    /// Total seconds spent processing prompts, over all requests (llama.cpp).
    metric_source prompt_seconds;
    /// Total seconds spent generating tokens, over all requests (llama.cpp).
    metric_source generation_seconds;
    /// Engine decode calls (llama.cpp `llama_decode()` calls).
    metric_source decode_calls;

    // --- prefix cache: counters in tokens, differenced over a cell; a gauge as a fallback ---
    /// Prompt tokens looked up in the prefix cache (vLLM), or every prompt token (SGLang).
    metric_source prefix_cache_queries;
    /// Prompt tokens served from the prefix cache. A family declared on the page without a
    /// series counts as 0 (SGLang creates its series at the first hit).
    metric_source prefix_cache_hits;
    /// Prompt tokens computed rather than served from the cache, for a server that counts
    /// these instead of queries (llama.cpp): queries = hits + misses.
    metric_source prefix_cache_misses;
    /// Prefix-cache hit rate as a gauge, fraction 0..1, averaged over the periodic scrapes;
    /// read only when the counters are absent (older vLLM and SGLang).
    metric_source prefix_cache_hit_rate;

    // --- histograms in seconds, differenced over a cell ---
    /// Time a request waited before it was first scheduled.
    metric_source queue_time;
    /// Time a request spent in prefill.
    metric_source prefill_time;
    /// Time a request spent in decode.
    metric_source decode_time;
    /// Server-side time to first token.
    metric_source ttft;
    /// Server-side inter-token latency.
    metric_source inter_token_latency;
    /// Server-side end-to-end request latency.
    metric_source e2e_latency;
};

namespace detail {

[[nodiscard]] constexpr metric_source source(std::string_view name,
                                             std::string_view older_name = {}) noexcept {
    metric_source s;
    s.alternatives[0] = metric_selector{name, {}, {}};
    s.alternatives[1] = metric_selector{older_name, {}, {}};
    return s;
}

[[nodiscard]] constexpr metric_source source_with_label(std::string_view name,
                                                        std::string_view label_name,
                                                        std::string_view label_value) noexcept {
    metric_source s;
    s.alternatives[0] = metric_selector{name, label_name, label_value};
    return s;
}

} // namespace detail

/// vLLM with the V1 engine (names as of vLLM 0.10–0.11; the older names
/// `vllm:gpu_cache_usage_perc`, `vllm:time_per_output_token_seconds` and 0.8's
/// `vllm:gpu_prefix_cache_queries/hits` are the second choice; the V0 engine's
/// `vllm:gpu_prefix_cache_hit_rate` gauge is read when no prefix-cache counter is there).
inline constexpr metric_map vllm_v1_metrics{
    .server_name = "vLLM (V1 engine)",
    .running = detail::source("vllm:num_requests_running"),
    .waiting = detail::source("vllm:num_requests_waiting"),
    .kv_cache_usage = detail::source("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"),
    .preemptions = detail::source("vllm:num_preemptions_total"),
    .prompt_tokens = detail::source("vllm:prompt_tokens_total"),
    .generation_tokens = detail::source("vllm:generation_tokens_total"),
    .requests_finished = detail::source("vllm:request_success_total"),
    .prompt_seconds = {},
    .generation_seconds = {},
    .decode_calls = {},
    .prefix_cache_queries =
        detail::source("vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total"),
    .prefix_cache_hits =
        detail::source("vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"),
    .prefix_cache_misses = {},
    .prefix_cache_hit_rate = detail::source("vllm:gpu_prefix_cache_hit_rate"),
    .queue_time = detail::source("vllm:request_queue_time_seconds"),
    .prefill_time = detail::source("vllm:request_prefill_time_seconds"),
    .decode_time = detail::source("vllm:request_decode_time_seconds"),
    .ttft = detail::source("vllm:time_to_first_token_seconds"),
    .inter_token_latency =
        detail::source("vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"),
    .e2e_latency = detail::source("vllm:e2e_request_latency_seconds"),
};

/// SGLang with `--enable-metrics`. Prefill time is the `prefill_forward` stage of
/// `sglang:per_stage_req_latency_seconds` (recent versions only); decode time per request is
/// not exposed. The prefix-cache hit rate is `sglang:cached_tokens_total` over
/// `sglang:prompt_tokens_total` (both counted as requests finish), else the
/// `sglang:cache_hit_rate` gauge.
inline constexpr metric_map sglang_metrics{
    .server_name = "SGLang",
    .running = detail::source("sglang:num_running_reqs"),
    .waiting = detail::source("sglang:num_queue_reqs"),
    .kv_cache_usage = detail::source("sglang:token_usage"),
    .preemptions = detail::source("sglang:num_retracted_requests_total"),
    .prompt_tokens = detail::source("sglang:prompt_tokens_total"),
    .generation_tokens = detail::source("sglang:generation_tokens_total"),
    .requests_finished = detail::source("sglang:num_requests_total"),
    .prompt_seconds = {},
    .generation_seconds = {},
    .decode_calls = {},
    .prefix_cache_queries = detail::source("sglang:prompt_tokens_total"),
    .prefix_cache_hits = detail::source("sglang:cached_tokens_total"),
    .prefix_cache_misses = {},
    .prefix_cache_hit_rate = detail::source("sglang:cache_hit_rate"),
    .queue_time = detail::source("sglang:queue_time_seconds"),
    .prefill_time = detail::source_with_label("sglang:per_stage_req_latency_seconds", "stage",
                                              "prefill_forward"),
    .decode_time = {},
    .ttft = detail::source("sglang:time_to_first_token_seconds"),
    .inter_token_latency = detail::source("sglang:inter_token_latency_seconds",
                                          "sglang:time_per_output_token_seconds"),
    .e2e_latency = detail::source("sglang:e2e_request_latency_seconds"),
};

/// llama.cpp `llama-server` with `--metrics`: gauges and counters only, no histograms, so
/// per-request queue, prefill and decode times come only from the `timings` object of each
/// response. `llamacpp:kv_cache_usage_ratio` exists in older builds only. The prompt cache
/// counts its hits (`llamacpp:prompt_tokens_cached_total`) apart from the prompt tokens it
/// evaluated (`llamacpp:prompt_tokens_total`).
inline constexpr metric_map llama_cpp_metrics{
    .server_name = "llama.cpp server",
    .running = detail::source("llamacpp:requests_processing"),
    .waiting = detail::source("llamacpp:requests_deferred"),
    .kv_cache_usage = detail::source("llamacpp:kv_cache_usage_ratio"),
    .preemptions = {},
    .prompt_tokens = detail::source("llamacpp:prompt_tokens_total"),
    .generation_tokens = detail::source("llamacpp:tokens_predicted_total"),
    .requests_finished = {},
    .prompt_seconds = detail::source("llamacpp:prompt_seconds_total"),
    .generation_seconds = detail::source("llamacpp:tokens_predicted_seconds_total"),
    .decode_calls = detail::source("llamacpp:n_decode_total"),
    .prefix_cache_queries = {},
    .prefix_cache_hits = detail::source("llamacpp:prompt_tokens_cached_total"),
    .prefix_cache_misses = detail::source("llamacpp:prompt_tokens_total"),
    .prefix_cache_hit_rate = {},
    .queue_time = {},
    .prefill_time = {},
    .decode_time = {},
    .ttft = {},
    .inter_token_latency = {},
    .e2e_latency = {},
};

/// The metric map of a server kind.
[[nodiscard]] constexpr const metric_map& metric_map_for(server_kind k) noexcept {
    switch (k) {
    case server_kind::vllm:
        return vllm_v1_metrics;
    case server_kind::sglang:
        return sglang_metrics;
    case server_kind::llama_cpp:
        return llama_cpp_metrics;
    }
    return vllm_v1_metrics;
}

} // namespace llmcap::prometheus
