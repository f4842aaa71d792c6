#include <llmcap/prometheus/server_cell_metrics.hpp>

#include <llmcap/core/request_trace.hpp>
#include <llmcap/prometheus/metric_map.hpp>
#include <llmcap/prometheus/parser.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace prom = llmcap::prometheus;

namespace {

std::string read_fixture(const std::string& relative) {
    std::ifstream in(std::string(LLMCAP_TEST_FIXTURES_DIR) + "/" + relative, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

prom::scrape parsed(const std::string& text) {
    prom::scrape s;
    const prom::parse_error err = prom::parse(text, s);
    REQUIRE_MESSAGE(!err, err.message());
    return s;
}

prom::scrape fixture(const std::string& relative) {
    return parsed(read_fixture(relative));
}

void check_measured(const prom::server_value& v, double expected, prom::value_source source) {
    CHECK(v.state == prom::value_state::measured);
    CHECK(v.source == source);
    REQUIRE(v.value);
    CHECK(*v.value == doctest::Approx(expected));
}

void check_state(const prom::server_value& v, prom::value_state state) {
    CHECK(v.state == state);
    CHECK_FALSE(v.value);
}

} // namespace

TEST_CASE("metric maps: names of each server") {
    CHECK(&prom::metric_map_for(prom::server_kind::vllm) == &prom::vllm_v1_metrics);
    CHECK(&prom::metric_map_for(prom::server_kind::sglang) == &prom::sglang_metrics);
    CHECK(&prom::metric_map_for(prom::server_kind::llama_cpp) == &prom::llama_cpp_metrics);
    CHECK(prom::vllm_v1_metrics.queue_time.alternatives[0].name ==
          "vllm:request_queue_time_seconds");
    CHECK(prom::vllm_v1_metrics.kv_cache_usage.alternatives[1].name == "vllm:gpu_cache_usage_perc");
    CHECK(prom::sglang_metrics.prefill_time.alternatives[0].label_value == "prefill_forward");
    CHECK_FALSE(prom::sglang_metrics.decode_time.exposed());
    CHECK_FALSE(prom::llama_cpp_metrics.queue_time.exposed());
    CHECK(prom::llama_cpp_metrics.waiting.alternatives[0].name == "llamacpp:requests_deferred");
}

TEST_CASE("server_cell_metrics: vLLM v1 before/after/during, hand-computed") {
    const prom::scrape before = fixture("vllm/metrics-before.prom");
    const prom::scrape during = fixture("vllm/metrics-during.prom");
    const prom::scrape after = fixture("vllm/metrics-after.prom");
    prom::gauge_tracker gauges(prom::vllm_v1_metrics);
    const llmcap::time_point t0{};
    gauges.add(t0, before);
    gauges.add(t0 + std::chrono::seconds(1), during);
    gauges.add(t0 + std::chrono::seconds(2), after);
    REQUIRE(gauges.points().size() == 3);
    CHECK(gauges.points()[1].running == 6.0);
    CHECK(gauges.points()[1].kv_cache_usage == 0.61);

    prom::cell_metric_inputs in;
    in.gauges = &gauges;
    const prom::server_cell_metrics m =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, before, after, in);
    const auto delta = prom::value_source::scrape_delta;
    check_measured(m.queue_wait_mean_s, 0.5, delta);
    CHECK(m.queue_wait_mean_s.observations == 8);
    CHECK(m.queue_wait_mean_s.metric == "vllm:request_queue_time_seconds");
    check_measured(m.queue_wait_p90_s, 0.92, delta);
    check_measured(m.prefill_time_mean_s, 0.2, delta);
    check_measured(m.prefill_time_p90_s, 0.34, delta);
    check_measured(m.decode_time_mean_s, 3.0, delta);
    check_measured(m.ttft_mean_s, 0.8, delta);
    check_measured(m.inter_token_latency_mean_s, 0.025, delta);
    CHECK(m.inter_token_latency_mean_s.observations == 2040);
    check_measured(m.e2e_latency_mean_s, 3.7, delta);
    check_measured(m.prompt_tokens, 8192, delta);
    check_measured(m.generation_tokens, 2048, delta);
    check_measured(m.preemptions, 2, delta);
    check_measured(m.requests_finished, 8, delta);
    check_state(m.prompt_processing_s, prom::value_state::not_exposed);
    check_state(m.prefill_tokens_per_s, prom::value_state::not_exposed);
    check_state(m.decode_calls, prom::value_state::not_exposed);

    const auto gs = prom::value_source::gauge_samples;
    check_measured(m.running_max, 6, gs);
    check_measured(m.running_mean, 2, gs);
    check_measured(m.waiting_max, 2, gs);
    check_measured(m.waiting_mean, 2.0 / 3.0, gs);
    check_measured(m.kv_cache_usage_max, 0.61, gs);
    CHECK(m.running_max.observations == 3);
    CHECK(m.server_name == "vLLM (V1 engine)");
}

TEST_CASE("server_cell_metrics: SGLang, labelled prefill stage and le=\"0.0\" bucket") {
    const prom::scrape before = fixture("sglang/metrics-before.prom");
    const prom::scrape during = fixture("sglang/metrics-during.prom");
    const prom::scrape after = fixture("sglang/metrics-after.prom");
    prom::gauge_tracker gauges(prom::sglang_metrics);
    gauges.add({}, during);
    prom::cell_metric_inputs in;
    in.gauges = &gauges;
    const prom::label tp0[] = {{"tp_rank", "0"}};
    in.matchers = tp0;
    const prom::server_cell_metrics m =
        prom::compute_server_cell_metrics(prom::sglang_metrics, before, after, in);
    const auto delta = prom::value_source::scrape_delta;
    check_measured(m.queue_wait_mean_s, 1.5, delta);
    check_measured(m.queue_wait_p90_s, 2.5, delta);
    check_measured(m.prefill_time_mean_s, 0.25, delta);
    CHECK(m.prefill_time_mean_s.observations == 10);
    check_measured(m.prefill_time_p90_s, 0.4375, delta);
    check_state(m.decode_time_mean_s, prom::value_state::not_exposed);
    check_measured(m.ttft_mean_s, 1.8, delta);
    check_measured(m.inter_token_latency_mean_s, 0.03, delta);
    check_measured(m.e2e_latency_mean_s, 17.1, delta);
    check_measured(m.prompt_tokens, 40960, delta);
    check_measured(m.generation_tokens, 5120, delta);
    check_measured(m.requests_finished, 10, delta);
    check_measured(m.preemptions, 0, delta);
    check_measured(m.running_max, 8, prom::value_source::gauge_samples);
    check_measured(m.waiting_max, 2, prom::value_source::gauge_samples);
    check_measured(m.kv_cache_usage_mean, 0.73, prom::value_source::gauge_samples);

    // A matcher that selects nothing: every quantity reads as not exposed.
    const prom::label tp1[] = {{"tp_rank", "1"}};
    in.matchers = tp1;
    const prom::server_cell_metrics none =
        prom::compute_server_cell_metrics(prom::sglang_metrics, before, after, in);
    check_state(none.queue_wait_mean_s, prom::value_state::not_exposed);
    check_state(none.prompt_tokens, prom::value_state::not_exposed);
}

TEST_CASE("server_cell_metrics: llama.cpp captures (running, deferred, token counters)") {
    // metrics-under-load.prom was taken during the load, metrics.prom after it, and
    // metrics-after-cancel.prom after three cancelled streams.
    const prom::scrape load = fixture("llama-server/metrics-under-load.prom");
    const prom::scrape done = fixture("llama-server/metrics.prom");
    const prom::scrape cancel = fixture("llama-server/metrics-after-cancel.prom");

    prom::gauge_tracker gauges(prom::llama_cpp_metrics);
    gauges.add({}, load);
    gauges.add({}, done);
    prom::cell_metric_inputs in;
    in.gauges = &gauges;
    const prom::server_cell_metrics m =
        prom::compute_server_cell_metrics(prom::llama_cpp_metrics, load, done, in);
    const auto delta = prom::value_source::scrape_delta;
    check_measured(m.prompt_tokens, 45 - 41, delta);
    check_measured(m.generation_tokens, 4951 - 151, delta);
    check_measured(m.decode_calls, 1352 - 247, delta);
    check_measured(m.prompt_processing_s, 0.069242 - 0.061473, delta);
    check_measured(m.generation_s, 23.6068 - 0.177606, delta);
    check_measured(m.prefill_tokens_per_s, 4.0 / (0.069242 - 0.061473), delta);
    check_measured(m.decode_tokens_per_s, 4800.0 / (23.6068 - 0.177606), delta);
    check_measured(m.running_max, 4, prom::value_source::gauge_samples);
    check_measured(m.running_mean, 2, prom::value_source::gauge_samples);
    check_measured(m.waiting_max, 4, prom::value_source::gauge_samples);
    // No histograms: queue, prefill and decode times are unavailable, not guessed.
    check_state(m.queue_wait_mean_s, prom::value_state::not_exposed);
    check_state(m.prefill_time_mean_s, prom::value_state::not_exposed);
    check_state(m.decode_time_mean_s, prom::value_state::not_exposed);
    check_state(m.ttft_mean_s, prom::value_state::not_exposed);
    check_state(m.requests_finished, prom::value_state::not_exposed);
    check_state(m.preemptions, prom::value_state::not_exposed);
    // Exposed by older builds only: absent from this one.
    check_state(m.kv_cache_usage_max, prom::value_state::not_exposed);

    // The cancelled streams' tokens still count (llama-server README): 5859 - 4951.
    const prom::server_cell_metrics c =
        prom::compute_server_cell_metrics(prom::llama_cpp_metrics, done, cancel, {});
    check_measured(c.generation_tokens, 908, delta);
    // Scrapes given in the wrong order read as a counter reset, not as a negative delta.
    const prom::server_cell_metrics r =
        prom::compute_server_cell_metrics(prom::llama_cpp_metrics, cancel, done, {});
    check_state(r.generation_tokens, prom::value_state::counter_reset);
    check_state(r.prefill_tokens_per_s, prom::value_state::counter_reset);
    check_state(c.running_max, prom::value_state::no_observations);
}

TEST_CASE("server_cell_metrics: per-request server timings win over histogram deltas") {
    const prom::scrape before = fixture("vllm/metrics-before.prom");
    const prom::scrape after = fixture("vllm/metrics-after.prom");
    std::vector<llmcap::request_trace> traces(3);
    traces[0].timings = llmcap::server_timings{};
    traces[0].timings->queue_s = 0.1;
    traces[0].timings->prefill_s = 0.3;
    traces[1].timings = llmcap::server_timings{};
    traces[1].timings->queue_s = 0.3;
    traces[1].timings->prompt_ms = 500; // llama.cpp style: prefill from prompt_ms
    traces[1].timings->predicted_ms = 2000;
    // traces[2] has no timings and does not count.
    prom::cell_metric_inputs in;
    in.traces = traces;
    const prom::server_cell_metrics m =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, before, after, in);
    const auto per = prom::value_source::per_request;
    check_measured(m.queue_wait_mean_s, 0.2, per);
    CHECK(m.queue_wait_mean_s.observations == 2);
    check_measured(m.prefill_time_mean_s, 0.4, per);
    check_measured(m.decode_time_mean_s, 2.0, per);
    CHECK(m.decode_time_mean_s.observations == 1);
    // Quantities the traces do not carry still come from the histograms.
    check_measured(m.ttft_mean_s, 0.8, prom::value_source::scrape_delta);
    // No periodic scrapes: gauges have no observations.
    check_state(m.running_max, prom::value_state::no_observations);
}

TEST_CASE("server_cell_metrics: restart, no traffic, older vLLM names") {
    const prom::scrape before = fixture("vllm/metrics-before.prom");
    const prom::scrape after = fixture("vllm/metrics-after.prom");
    // after -> before looks like a restart: every delta is a counter reset.
    const prom::server_cell_metrics r =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, after, before, {});
    check_state(r.queue_wait_mean_s, prom::value_state::counter_reset);
    check_state(r.queue_wait_p90_s, prom::value_state::counter_reset);
    check_state(r.prompt_tokens, prom::value_state::counter_reset);
    // The same scrape twice: nothing observed.
    const prom::server_cell_metrics idle =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, after, after, {});
    check_state(idle.queue_wait_mean_s, prom::value_state::no_observations);
    check_measured(idle.prompt_tokens, 0, prom::value_source::scrape_delta);

    // vLLM before the V1 renames: gpu_cache_usage_perc and time_per_output_token_seconds.
    const prom::scrape old_before =
        parsed("vllm:gpu_cache_usage_perc{model_name=\"m\"} 0.0\n"
               "vllm:time_per_output_token_seconds_bucket{le=\"0.05\",model_name=\"m\"} 10.0\n"
               "vllm:time_per_output_token_seconds_bucket{le=\"+Inf\",model_name=\"m\"} 10.0\n"
               "vllm:time_per_output_token_seconds_count{model_name=\"m\"} 10.0\n"
               "vllm:time_per_output_token_seconds_sum{model_name=\"m\"} 0.3\n");
    const prom::scrape old_after =
        parsed("vllm:gpu_cache_usage_perc{model_name=\"m\"} 0.25\n"
               "vllm:time_per_output_token_seconds_bucket{le=\"0.05\",model_name=\"m\"} 30.0\n"
               "vllm:time_per_output_token_seconds_bucket{le=\"+Inf\",model_name=\"m\"} 30.0\n"
               "vllm:time_per_output_token_seconds_count{model_name=\"m\"} 30.0\n"
               "vllm:time_per_output_token_seconds_sum{model_name=\"m\"} 1.1\n");
    prom::gauge_tracker g(prom::vllm_v1_metrics);
    g.add({}, old_after);
    prom::cell_metric_inputs in;
    in.gauges = &g;
    const prom::server_cell_metrics o =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, old_before, old_after, in);
    check_measured(o.inter_token_latency_mean_s, 0.04, prom::value_source::scrape_delta);
    CHECK(o.inter_token_latency_mean_s.metric == "vllm:time_per_output_token_seconds");
    check_measured(o.kv_cache_usage_max, 0.25, prom::value_source::gauge_samples);
    check_state(o.queue_wait_mean_s, prom::value_state::not_exposed);
    check_state(o.running_max, prom::value_state::not_exposed);
}

TEST_CASE("server_cell_metrics: a histogram that appears during the cell counts from zero") {
    const prom::scrape before = parsed("other 1\n");
    const prom::scrape after = parsed("vllm:request_queue_time_seconds_bucket{le=\"1\"} 2\n"
                                      "vllm:request_queue_time_seconds_bucket{le=\"+Inf\"} 2\n"
                                      "vllm:request_queue_time_seconds_sum 0.5\n"
                                      "vllm:request_queue_time_seconds_count 2\n");
    const prom::server_cell_metrics m =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, before, after, {});
    check_measured(m.queue_wait_mean_s, 0.25, prom::value_source::scrape_delta);
    const prom::scrape broken = parsed("vllm:request_queue_time_seconds_bucket{le=\"1\"} 2\n");
    const prom::server_cell_metrics b =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, before, broken, {});
    check_state(b.queue_wait_mean_s, prom::value_state::malformed);
}

TEST_CASE("gauge_tracker: owns its label matchers") {
    prom::gauge_tracker g = [] {
        std::string name = "tp_rank";
        std::string value = "0";
        const prom::label m[] = {{name, value}};
        return prom::gauge_tracker(prom::sglang_metrics, m);
    }(); // the strings are gone here
    const prom::scrape during = fixture("sglang/metrics-during.prom");
    g.add({}, during);
    REQUIRE(g.points().size() == 1);
    CHECK(g.points()[0].running == 8.0);
    CHECK(g.points()[0].waiting == 2.0);
    CHECK(&g.map() == &prom::sglang_metrics);
    g.clear();
    CHECK(g.points().empty());
}

namespace {

// A vLLM V1 page with the prefix-cache counters (tokens), as prometheus_client writes them.
std::string vllm_prefix_page(double queries, double hits) {
    return "# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of "
           "queried tokens.\n"
           "# TYPE vllm:prefix_cache_queries_total counter\n"
           "vllm:prefix_cache_queries_total{engine=\"0\",model_name=\"m\"} " +
           std::to_string(queries) +
           "\n"
           "# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached "
           "tokens.\n"
           "# TYPE vllm:prefix_cache_hits_total counter\n"
           "vllm:prefix_cache_hits_total{engine=\"0\",model_name=\"m\"} " +
           std::to_string(hits) + "\n";
}

// An SGLang page: prompt tokens, and cached tokens per cache source (absent: no family; an
// empty list: the family declared without a series, as before the first hit).
std::string sglang_prefix_page(double prompt,
                               const std::vector<std::pair<std::string, double>>* cached,
                               std::optional<double> hit_rate_gauge = {}) {
    const std::string labels = "model_name=\"m\",tp_rank=\"0\"";
    std::string s = "# HELP sglang:prompt_tokens_total Number of prefill tokens processed.\n"
                    "# TYPE sglang:prompt_tokens_total counter\n"
                    "sglang:prompt_tokens_total{" +
                    labels + "} " + std::to_string(prompt) + "\n";
    if (cached) {
        s += "# HELP sglang:cached_tokens_total Number of cached prompt tokens.\n"
             "# TYPE sglang:cached_tokens_total counter\n";
        for (const auto& [source, n] : *cached)
            s += "sglang:cached_tokens_total{cache_source=\"" + source + "\"," + labels + "} " +
                 std::to_string(n) + "\n";
    }
    if (hit_rate_gauge)
        s += "# HELP sglang:cache_hit_rate The prefix cache hit rate.\n"
             "# TYPE sglang:cache_hit_rate gauge\n"
             "sglang:cache_hit_rate{" +
             labels + "} " + std::to_string(*hit_rate_gauge) + "\n";
    return s;
}

void check_not_reported(const prom::server_cell_metrics& m, prom::value_state state) {
    check_state(m.prefix_cache_hit_rate, state);
    CHECK(m.prefix_cache_hit_rate.source == prom::value_source::none);
}

} // namespace

TEST_CASE("server_cell_metrics: vLLM prefix-cache hit rate from its token counters") {
    const auto delta = prom::value_source::scrape_delta;
    const prom::scrape before = parsed(vllm_prefix_page(10000, 4000));
    const prom::scrape after = parsed(vllm_prefix_page(18192, 10144));
    const prom::server_cell_metrics m =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, before, after, {});
    check_measured(m.prefix_cache_hit_rate, 6144.0 / 8192.0, delta);
    CHECK(m.prefix_cache_hit_rate.metric == "vllm:prefix_cache_hits_total");
    check_measured(m.prefix_cache_queried_tokens, 8192, delta);
    CHECK(m.prefix_cache_queried_tokens.metric == "vllm:prefix_cache_queries_total");
    check_measured(m.prefix_cache_hit_tokens, 6144, delta);
    CHECK(m.prefix_cache_hit_tokens.metric == "vllm:prefix_cache_hits_total");

    SUBCASE("the constructed fixtures: every lookup a miss is a measured 0") {
        const prom::server_cell_metrics f = prom::compute_server_cell_metrics(
            prom::vllm_v1_metrics, fixture("vllm/metrics-before.prom"),
            fixture("vllm/metrics-after.prom"), {});
        check_measured(f.prefix_cache_hit_rate, 0, delta);
        check_measured(f.prefix_cache_queried_tokens, 8192, delta);
    }
    SUBCASE("a restart between the scrapes: counter reset, never 0") {
        const prom::server_cell_metrics r = prom::compute_server_cell_metrics(
            prom::vllm_v1_metrics, after, parsed(vllm_prefix_page(100, 90)), {});
        check_not_reported(r, prom::value_state::counter_reset);
        CHECK(r.prefix_cache_hit_rate.metric == "vllm:prefix_cache_hits_total");
        check_state(r.prefix_cache_queried_tokens, prom::value_state::counter_reset);
        // Only the hits counter went back: still no rate.
        const prom::server_cell_metrics h = prom::compute_server_cell_metrics(
            prom::vllm_v1_metrics, after, parsed(vllm_prefix_page(20000, 9000)), {});
        check_not_reported(h, prom::value_state::counter_reset);
    }
    SUBCASE("no prompt tokens during the cell") {
        const prom::server_cell_metrics idle =
            prom::compute_server_cell_metrics(prom::vllm_v1_metrics, after, after, {});
        check_not_reported(idle, prom::value_state::no_observations);
        check_measured(idle.prefix_cache_queried_tokens, 0, delta);
    }
    SUBCASE("more hits than lookups is malformed") {
        const prom::server_cell_metrics bad = prom::compute_server_cell_metrics(
            prom::vllm_v1_metrics, before, parsed(vllm_prefix_page(10100, 4200)), {});
        check_not_reported(bad, prom::value_state::malformed);
    }
    SUBCASE("a missing family is not exposed") {
        const prom::scrape other = parsed("vllm:num_requests_running{model_name=\"m\"} 1\n");
        const prom::server_cell_metrics none =
            prom::compute_server_cell_metrics(prom::vllm_v1_metrics, other, other, {});
        check_not_reported(none, prom::value_state::not_exposed);
        check_state(none.prefix_cache_queried_tokens, prom::value_state::not_exposed);
        check_state(none.prefix_cache_hit_tokens, prom::value_state::not_exposed);
        // Gone from the page after the cell (a different server answered): not exposed.
        const prom::server_cell_metrics gone =
            prom::compute_server_cell_metrics(prom::vllm_v1_metrics, before, other, {});
        check_not_reported(gone, prom::value_state::not_exposed);
        // Only the queries counter on the page: no rate, and no gauge on it either.
        const prom::scrape q_only =
            parsed("vllm:prefix_cache_queries_total{engine=\"0\",model_name=\"m\"} 50\n");
        prom::gauge_tracker g(prom::vllm_v1_metrics);
        g.add({}, q_only);
        prom::cell_metric_inputs in;
        in.gauges = &g;
        const prom::server_cell_metrics half =
            prom::compute_server_cell_metrics(prom::vllm_v1_metrics, q_only, q_only, in);
        check_not_reported(half, prom::value_state::not_exposed);
    }
}

TEST_CASE("server_cell_metrics: older vLLM prefix-cache names and the V0 hit-rate gauge") {
    const auto counters = [](double q, double h) {
        return parsed("vllm:gpu_prefix_cache_queries_total{engine=\"0\",model_name=\"m\"} " +
                      std::to_string(q) +
                      "\nvllm:gpu_prefix_cache_hits_total{engine=\"0\",model_name=\"m\"} " +
                      std::to_string(h) + "\n");
    };
    const prom::server_cell_metrics v08 = prom::compute_server_cell_metrics(
        prom::vllm_v1_metrics, counters(100, 0), counters(500, 100), {});
    check_measured(v08.prefix_cache_hit_rate, 0.25, prom::value_source::scrape_delta);
    CHECK(v08.prefix_cache_hit_rate.metric == "vllm:gpu_prefix_cache_hits_total");

    const auto v0 = [](double rate) {
        return parsed("# TYPE vllm:gpu_prefix_cache_hit_rate gauge\n"
                      "vllm:gpu_prefix_cache_hit_rate{model_name=\"m\"} " +
                      std::to_string(rate) + "\n");
    };
    prom::gauge_tracker g(prom::vllm_v1_metrics);
    g.add({}, v0(0.5));
    g.add({}, v0(0.7));
    CHECK(g.points()[1].prefix_cache_hit_rate == doctest::Approx(0.7));
    prom::cell_metric_inputs in;
    in.gauges = &g;
    const prom::server_cell_metrics m =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, v0(0.5), v0(0.7), in);
    check_measured(m.prefix_cache_hit_rate, 0.6, prom::value_source::gauge_samples);
    CHECK(m.prefix_cache_hit_rate.metric == "vllm:gpu_prefix_cache_hit_rate");
    CHECK(m.prefix_cache_hit_rate.observations == 2);
    check_state(m.prefix_cache_queried_tokens, prom::value_state::not_exposed);
    // The gauge without periodic scrapes: nothing observed.
    const prom::server_cell_metrics unsampled =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, v0(0.5), v0(0.7), {});
    check_not_reported(unsampled, prom::value_state::no_observations);
}

TEST_CASE("server_cell_metrics: SGLang prefix-cache hit rate, counters then the gauge") {
    const auto delta = prom::value_source::scrape_delta;
    const prom::label tp0[] = {{"tp_rank", "0"}};
    prom::cell_metric_inputs in;
    in.matchers = tp0;

    SUBCASE("cached tokens over prompt tokens, summed over cache sources") {
        const std::vector<std::pair<std::string, double>> b{{"device", 20000}, {"host", 0}};
        const std::vector<std::pair<std::string, double>> a{{"device", 40480}, {"host", 4096}};
        const prom::server_cell_metrics m = prom::compute_server_cell_metrics(
            prom::sglang_metrics, parsed(sglang_prefix_page(81920, &b, 0.9)),
            parsed(sglang_prefix_page(122880, &a, 0.1)), in);
        check_measured(m.prefix_cache_hit_rate, 24576.0 / 40960.0, delta);
        CHECK(m.prefix_cache_hit_rate.metric == "sglang:cached_tokens_total");
        check_measured(m.prefix_cache_hit_tokens, 24576, delta);
        check_measured(m.prefix_cache_queried_tokens, 40960, delta);
        CHECK(m.prefix_cache_queried_tokens.metric == "sglang:prompt_tokens_total");
    }
    SUBCASE("a declared family without a series is 0 hits, not a missing value") {
        const std::vector<std::pair<std::string, double>> empty;
        const prom::server_cell_metrics m = prom::compute_server_cell_metrics(
            prom::sglang_metrics, parsed(sglang_prefix_page(1000, &empty)),
            parsed(sglang_prefix_page(5000, &empty)), in);
        check_measured(m.prefix_cache_hit_rate, 0, delta);
        check_measured(m.prefix_cache_hit_tokens, 0, delta);
        // The first hit's series appears during the cell: it counts from 0.
        const std::vector<std::pair<std::string, double>> first{{"device", 1000}};
        const prom::server_cell_metrics f = prom::compute_server_cell_metrics(
            prom::sglang_metrics, parsed(sglang_prefix_page(1000, &empty)),
            parsed(sglang_prefix_page(5000, &first)), in);
        check_measured(f.prefix_cache_hit_rate, 0.25, delta);
    }
    SUBCASE("no cached-tokens counter: the mean of the hit-rate gauge") {
        prom::gauge_tracker g(prom::sglang_metrics, tp0);
        g.add({}, parsed(sglang_prefix_page(1000, nullptr, 0.25)));
        g.add({}, parsed(sglang_prefix_page(3000, nullptr, 0.75)));
        g.add({}, parsed(sglang_prefix_page(4000, nullptr, 0.5)));
        in.gauges = &g;
        const prom::server_cell_metrics m = prom::compute_server_cell_metrics(
            prom::sglang_metrics, parsed(sglang_prefix_page(1000, nullptr, 0.25)),
            parsed(sglang_prefix_page(4000, nullptr, 0.5)), in);
        check_measured(m.prefix_cache_hit_rate, 0.5, prom::value_source::gauge_samples);
        CHECK(m.prefix_cache_hit_rate.metric == "sglang:cache_hit_rate");
        CHECK(m.prefix_cache_hit_rate.observations == 3);
        check_state(m.prefix_cache_hit_tokens, prom::value_state::not_exposed);
    }
    SUBCASE("the constructed fixtures carry only the gauge, at 0") {
        prom::gauge_tracker g(prom::sglang_metrics, tp0);
        g.add({}, fixture("sglang/metrics-during.prom"));
        in.gauges = &g;
        const prom::server_cell_metrics m = prom::compute_server_cell_metrics(
            prom::sglang_metrics, fixture("sglang/metrics-before.prom"),
            fixture("sglang/metrics-after.prom"), in);
        check_measured(m.prefix_cache_hit_rate, 0, prom::value_source::gauge_samples);
    }
    SUBCASE("a restart: counter reset, and the gauge is not used instead") {
        const std::vector<std::pair<std::string, double>> b{{"device", 5000}};
        const std::vector<std::pair<std::string, double>> a{{"device", 10}};
        prom::gauge_tracker g(prom::sglang_metrics, tp0);
        g.add({}, parsed(sglang_prefix_page(100, &a, 0.5)));
        in.gauges = &g;
        const prom::server_cell_metrics m = prom::compute_server_cell_metrics(
            prom::sglang_metrics, parsed(sglang_prefix_page(9000, &b, 0.5)),
            parsed(sglang_prefix_page(100, &a, 0.5)), in);
        check_not_reported(m, prom::value_state::counter_reset);
    }
    SUBCASE("neither counters nor gauge") {
        const prom::scrape bare = parsed("sglang:num_running_reqs{tp_rank=\"0\"} 1\n");
        prom::gauge_tracker g(prom::sglang_metrics, tp0);
        g.add({}, bare);
        in.gauges = &g;
        const prom::server_cell_metrics m =
            prom::compute_server_cell_metrics(prom::sglang_metrics, bare, bare, in);
        check_not_reported(m, prom::value_state::not_exposed);
    }
}

TEST_CASE("server_cell_metrics: llama.cpp prompt-cache hit rate from the captures") {
    // llamacpp:prompt_tokens_total counts the evaluated prompt tokens only; the cached ones
    // are llamacpp:prompt_tokens_cached_total (tests/fixtures/llama-server/README.md).
    const prom::scrape load = fixture("llama-server/metrics-under-load.prom");
    const prom::scrape done = fixture("llama-server/metrics.prom");
    const prom::scrape cancel = fixture("llama-server/metrics-after-cancel.prom");
    const auto delta = prom::value_source::scrape_delta;

    const prom::server_cell_metrics m =
        prom::compute_server_cell_metrics(prom::llama_cpp_metrics, load, done, {});
    check_measured(m.prefix_cache_hit_tokens, 327 - 219, delta);
    check_measured(m.prefix_cache_queried_tokens, (327 - 219) + (45 - 41), delta);
    check_measured(m.prefix_cache_hit_rate, 108.0 / 112.0, delta);
    CHECK(m.prefix_cache_hit_rate.metric == "llamacpp:prompt_tokens_cached_total");
    CHECK(m.prefix_cache_queried_tokens.metric == "llamacpp:prompt_tokens_total");

    const prom::server_cell_metrics c =
        prom::compute_server_cell_metrics(prom::llama_cpp_metrics, done, cancel, {});
    check_measured(c.prefix_cache_hit_rate, 81.0 / 84.0, delta);

    // The scrapes in the wrong order: a reset, not a rate.
    const prom::server_cell_metrics r =
        prom::compute_server_cell_metrics(prom::llama_cpp_metrics, cancel, done, {});
    check_not_reported(r, prom::value_state::counter_reset);
    check_state(r.prefix_cache_queried_tokens, prom::value_state::counter_reset);

    // A build without the cached-tokens counter: not reported, though prompt tokens are.
    const prom::scrape old = parsed("llamacpp:prompt_tokens_total 45\n"
                                    "llamacpp:tokens_predicted_total 4951\n");
    const prom::server_cell_metrics o =
        prom::compute_server_cell_metrics(prom::llama_cpp_metrics, old, old, {});
    check_not_reported(o, prom::value_state::not_exposed);
    check_state(o.prefix_cache_queried_tokens, prom::value_state::not_exposed);
    check_measured(o.prompt_tokens, 0, delta);
}

TEST_CASE("metric maps: prefix-cache names of each server") {
    CHECK(prom::vllm_v1_metrics.prefix_cache_queries.alternatives[0].name ==
          "vllm:prefix_cache_queries_total");
    CHECK(prom::vllm_v1_metrics.prefix_cache_hits.alternatives[1].name ==
          "vllm:gpu_prefix_cache_hits_total");
    CHECK(prom::vllm_v1_metrics.prefix_cache_hit_rate.alternatives[0].name ==
          "vllm:gpu_prefix_cache_hit_rate");
    CHECK(prom::sglang_metrics.prefix_cache_hits.alternatives[0].name ==
          "sglang:cached_tokens_total");
    CHECK(prom::sglang_metrics.prefix_cache_hit_rate.alternatives[0].name ==
          "sglang:cache_hit_rate");
    CHECK_FALSE(prom::llama_cpp_metrics.prefix_cache_queries.exposed());
    CHECK(prom::llama_cpp_metrics.prefix_cache_misses.alternatives[0].name ==
          "llamacpp:prompt_tokens_total");
    CHECK_FALSE(prom::llama_cpp_metrics.prefix_cache_hit_rate.exposed());
}
