#pragma once

#include <llmcap/report/detail/grid.hpp>
#include <llmcap/report/detail/report_context.hpp>
#include <llmcap/report/document.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/sweep/result.hpp>

#include <cmath>   // isfinite
#include <cstddef> // size_t
#include <string>  // string
#include <utility> // move
#include <vector>  // vector

namespace llmcap::report::detail {

/// Arrivals: for open-loop cells, the rate asked for against the rate the client sent at, and
/// how late requests went on the wire against their schedule.
struct arrival_sections : report_context {
    void arrivals_section() {
        std::vector<const sweep::cell_result*> cells;
        for (const sweep::cell_result* c : table_cells())
            if (c->arrivals && !c->measured_nothing())
                cells.push_back(c);
        if (cells.empty())
            return;
        h2("Arrivals", "arrivals");
        p(std::string(
              "In an open loop requests arrive on a schedule (a mean rate, gaps drawn from a gamma "
              "distribution), whether or not the server has finished the earlier ones. A cell "
              "measures the load it was asked for only if the client kept that schedule: the "
              "achieved rate is the measured requests sent per second, and the send lag is how "
              "late "
              "each went on the wire. A P99 lag above ") +
          format_duration_s(sweep::open_loop_lag_tolerance_s) +
          " marks the cell: the cap on requests in flight was reached, or the client was too "
          "busy, and the latencies count from the scheduled times.");
        table t{{"Cell", "Offered", "Achieved", "Send lag P50", "P99", "Max", "Schedule"},
                {},
                {align::left, align::right, align::right, align::right, align::right, align::right,
                 align::left},
                {}};
        std::size_t late = 0;
        for (const sweep::cell_result* c : cells) {
            const sweep::arrival_check& a = *c->arrivals;
            const auto per_s = [](double per_second) {
                return std::isfinite(per_second) ? format_significant(per_second, 3) + "/s"
                                                 : std::string(not_available);
            };
            late += a.late ? 1 : 0;
            t.rows.push_back({where(c), per_s(a.offered_rate_per_s), per_s(a.achieved_rate_per_s),
                              format_duration_s(a.lag_p50_s), format_duration_s(a.lag_p99_s),
                              format_duration_s(a.lag_max_s), a.late ? "late" : "kept"});
        }
        t.caption = "Offered: the cell's arrival rate. Achieved: (measured requests sent − 1) ÷ "
                    "(last send − first send); random gaps make it differ from the offered rate "
                    "by chance in short cells. Send lag: send time − scheduled time.";
        doc.add(std::move(t));
        if (late > 0)
            doc.add(note{note_kind::warning,
                         format_count(late) + " of " + format_count(cells.size()) +
                             " open-loop cells did not keep their schedule (P99 send lag above " +
                             format_duration_s(sweep::open_loop_lag_tolerance_s) +
                             "): the load applied was lower than the load offered."});
    }
};

} // namespace llmcap::report::detail
