// The example of docs/prometheus.md, compiled and checked here.
#include <llmcap/prometheus.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

TEST_CASE("docs/prometheus.md example: queue wait of a cell from two scrapes") {
    // [example]
    namespace prom = llmcap::prometheus;
    const std::string before_page =
        "# TYPE vllm:request_queue_time_seconds histogram\n"
        "vllm:request_queue_time_seconds_bucket{le=\"0.5\",model_name=\"m\"} 10\n"
        "vllm:request_queue_time_seconds_bucket{le=\"1.0\",model_name=\"m\"} 10\n"
        "vllm:request_queue_time_seconds_bucket{le=\"+Inf\",model_name=\"m\"} 10\n"
        "vllm:request_queue_time_seconds_sum{model_name=\"m\"} 1.25\n"
        "vllm:request_queue_time_seconds_count{model_name=\"m\"} 10\n"
        "vllm:num_requests_running{model_name=\"m\"} 0\n";
    const std::string after_page =
        "# TYPE vllm:request_queue_time_seconds histogram\n"
        "vllm:request_queue_time_seconds_bucket{le=\"0.5\",model_name=\"m\"} 14\n"
        "vllm:request_queue_time_seconds_bucket{le=\"1.0\",model_name=\"m\"} 18\n"
        "vllm:request_queue_time_seconds_bucket{le=\"+Inf\",model_name=\"m\"} 18\n"
        "vllm:request_queue_time_seconds_sum{model_name=\"m\"} 5.25\n"
        "vllm:request_queue_time_seconds_count{model_name=\"m\"} 18\n"
        "vllm:num_requests_running{model_name=\"m\"} 8\n";

    prom::scrape before, after;
    for (const auto& [text, page] :
         {std::pair{&before_page, &before}, std::pair{&after_page, &after}})
        if (const prom::parse_error err = prom::parse(*text, *page))
            FAIL(err.message()); // "prometheus: line L, column C: what"

    prom::gauge_tracker gauges(prom::vllm_v1_metrics); // fed by the scrapes during the cell
    gauges.add(llmcap::stamp(), after);

    prom::cell_metric_inputs in;
    in.gauges = &gauges;
    const prom::server_cell_metrics m =
        prom::compute_server_cell_metrics(prom::vllm_v1_metrics, before, after, in);
    char line[100];
    std::snprintf(line, sizeof line, "queue wait %.3f s over %llu requests; prefill: %s",
                  *m.queue_wait_mean_s.value,
                  static_cast<unsigned long long>(m.queue_wait_mean_s.observations),
                  std::string(prom::value_state_name(m.prefill_time_mean_s.state)).c_str());
    // [example]
    CHECK(std::string(line) == "queue wait 0.500 s over 8 requests; prefill: not_exposed");
    CHECK(*m.queue_wait_mean_s.value == doctest::Approx(0.5));
    CHECK(m.queue_wait_mean_s.observations == 8);
    CHECK(m.prefill_time_mean_s.state == prom::value_state::not_exposed);
    CHECK(*m.running_max.value == 8);
}
