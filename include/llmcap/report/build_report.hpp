#pragma once

#include <llmcap/report/detail/arrival_sections.hpp>
#include <llmcap/report/detail/capacity_sections.hpp>
#include <llmcap/report/detail/energy_sections.hpp>
#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/mix_sections.hpp>
#include <llmcap/report/detail/overview_sections.hpp>
#include <llmcap/report/detail/reliability_sections.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/detail/server_sections.hpp>
#include <llmcap/report/detail/session_sections.hpp>
#include <llmcap/report/detail/speed_sections.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/report_options.hpp>
#include <llmcap/sweep/result.hpp>

/**
 * The capacity report of a sweep as a format-neutral document (report/document.hpp): the
 * sections of the reference report (header, highlights, key findings, use-case guidance,
 * throughput, per-user speed, TTFT, capacity per use case, queue wait, prefill speed, ITL,
 * scaling efficiency, power and cost) and what it lacks (percentiles P50–P99.9 with confidence
 * intervals, success and failure breakdown, short-output, prompt-length and client-lag checks,
 * time to first answer token, energy per token, the physical bound and the fraction achieved;
 * conversations for session cells, for open-loop cells the arrival schedule kept, and for a
 * traffic mix its capacity first, class by class).
 * Every figure comes from the sweep result; nothing depends on the time the report is built.
 */
namespace llmcap::report {

/// Builds the capacity report of `result` (see the namespace comment for its sections).
[[nodiscard]] inline document build_report(const sweep::sweep_result& result,
                                           const report_options& options = {}) {
    const detail::grid g = detail::grid_of(result);
    document doc;
    const detail::report_context c{result, options, g, doc};
    detail::overview_sections overview{c};
    detail::speed_sections speed{c};
    detail::capacity_sections capacity{c};
    detail::server_sections server{c};
    detail::energy_sections energy{c};
    detail::reliability_sections reliability{c};
    detail::session_sections sessions{c};
    detail::arrival_sections arrivals{c};
    detail::mix_sections mixes{c};
    overview.header();
    overview.highlights_section();
    mixes.mix_section(); // a traffic mix's capacity is the headline
    overview.summary_section();
    capacity.use_case_guidance();
    speed.throughput_section();
    speed.speed_section();
    speed.ttft_section();
    capacity.capacity_section();
    sessions.conversations_section();
    arrivals.rate_search_section();
    arrivals.arrivals_section();
    arrivals.dataset_section();
    server.queue_section();
    server.prefill_section();
    speed.itl_section();
    server.scaling_section();
    energy.power_section();
    reliability.percentiles_section();
    reliability.reliability_section();
    server.roofline_section();
    overview.methodology_section();
    return doc;
}

} // namespace llmcap::report
