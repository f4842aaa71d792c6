#pragma once

// The live progress display of `run`, `simulate` and `demo` on stderr: on a terminal one line
// rewritten in place (current cell, requests done / planned, ETA, last TTFT and generation
// speed); otherwise, or with --quiet, one plain line per finished cell.

#include <llmcap/analysis/request_metrics.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/sweep/plan.hpp>
#include <llmcap/sweep/result.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h> // isatty

namespace llmcap_sweep {

namespace lr = llmcap::report;

class progress {
public:
    progress(const llmcap::sweep::sweep_plan& plan, bool quiet)
        : live_(!quiet && isatty(fileno(stderr)) != 0), plan_(plan),
          start_(std::chrono::steady_clock::now()) {
        for (const llmcap::sweep::planned_cell& c : plan.cells)
            planned_grid_ += requests_of(c.key);
    }

    /// A request finished.
    void on_trace(const llmcap::request_trace& t, const llmcap::sweep::cell_key& key, bool warmup) {
        if (key.id() != cell_) {
            cell_ = key.id();
            cell_done_ = 0;
            cell_planned_ = requests_of(key);
            ++cells_started_;
        }
        ++cell_done_;
        ++done_;
        if (!warmup && !t.failure) {
            if (const auto v = llmcap::analysis::ttft(t))
                last_ttft_s_ = llmcap::to_seconds(*v);
            if (const auto v = llmcap::analysis::generation_speed_tokens_per_s(t))
                last_speed_ = *v;
        }
        if (!live_)
            return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_draw_ < std::chrono::milliseconds(100))
            return;
        last_draw_ = now;
        const double elapsed = seconds_since_start();
        std::string eta = "n/a";
        if (done_ > 0 && planned_grid_ > done_)
            eta = lr::format_duration_s(elapsed / static_cast<double>(done_) *
                                        static_cast<double>(planned_grid_ - done_));
        else if (planned_grid_ <= done_)
            eta = "capacity searches";
        std::fprintf(stderr,
                     "\r\x1b[2Kcell %zu/%zu+ %s | requests %llu/%llu in cell, %llu in all | "
                     "ETA %s | TTFT %s | %s",
                     cells_started_, plan_.cells.size(), cell_.c_str(),
                     static_cast<unsigned long long>(cell_done_),
                     static_cast<unsigned long long>(cell_planned_),
                     static_cast<unsigned long long>(done_), eta.c_str(),
                     lr::format_duration_s(last_ttft_s_).c_str(),
                     lr::format_rate(last_speed_).c_str());
        std::fflush(stderr);
    }

    /// A cell finished.
    void on_cell(const llmcap::sweep::cell_result& c) {
        using llmcap::analysis::metric;
        using llmcap::analysis::statistic;
        if (c.measured_nothing()) {
            std::fprintf(stderr, "%s[%s] cell %s: FAILED, measured nothing: %s\n",
                         live_ ? "\r\x1b[2K" : "",
                         lr::format_duration_s(seconds_since_start()).c_str(), c.key.id().c_str(),
                         c.failure_reason().c_str());
            std::fflush(stderr);
            return;
        }
        const auto mean = [&](metric m) {
            return c.summary.value(m, statistic::mean).value_or(0.0 / 0.0);
        };
        std::fprintf(stderr, "%s[%s] cell %s: %llu/%llu ok, TTFT %s, %s per user, %s in all\n",
                     live_ ? "\r\x1b[2K" : "", lr::format_duration_s(seconds_since_start()).c_str(),
                     c.key.id().c_str(), static_cast<unsigned long long>(c.requests_succeeded),
                     static_cast<unsigned long long>(c.requests_started),
                     lr::format_duration_s(mean(metric::ttft)).c_str(),
                     lr::format_rate(mean(metric::generation_speed)).c_str(),
                     lr::format_rate(mean(metric::throughput)).c_str());
        std::fflush(stderr);
    }

    /// Ends the live line.
    void finish() {
        if (live_)
            std::fprintf(stderr, "\r\x1b[2K");
    }

private:
    // The requests a cell runs: a session cell's count follows its users and turns.
    [[nodiscard]] std::uint64_t requests_of(const llmcap::sweep::cell_key& key) const {
        std::uint32_t turns = 0;
        if (key.sessions) {
            for (const llmcap::sweep::planned_cell& c : plan_.cells)
                if (c.sessions && c.key.use_case == key.use_case)
                    turns = c.sessions->turns;
            for (const llmcap::sweep::use_case_search& s : plan_.searches)
                if (s.use_case.sessions && s.use_case.name == key.use_case)
                    turns = s.use_case.sessions->turns;
        }
        const llmcap::workload::stop_rule r =
            turns > 0 ? plan_.requests.session_rule_for(key.concurrency, turns)
                      : plan_.requests.rule_for(key.concurrency);
        return plan_.requests.warmup_requests + (r.requests > 0 ? r.requests : r.max_requests);
    }
    [[nodiscard]] double seconds_since_start() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

    bool live_;
    const llmcap::sweep::sweep_plan& plan_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_{};
    std::string cell_;
    std::size_t cells_started_ = 0;
    std::uint64_t cell_done_ = 0;
    std::uint64_t cell_planned_ = 0;
    std::uint64_t done_ = 0;
    std::uint64_t planned_grid_ = 0;
    double last_ttft_s_ = 0.0 / 0.0;
    double last_speed_ = 0.0 / 0.0;
};

} // namespace llmcap_sweep
