#include <llmcap/prometheus/server_cell_metrics.hpp>

#include <llmcap/core/request_trace.hpp>
#include <llmcap/prometheus/metric_map.hpp>
#include <llmcap/prometheus/parser.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
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
