// Session workloads through the sweep: cells of users holding conversations in the simulator,
// their per-turn record, the capacity search in users, and their rebuild from the run's files.
#include "sweep_run.hpp"

#include <llmcap/analysis/capacity.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <optional>
#include <string>

using namespace llmcap;
using test::fresh_dir;
using test::read_file;
using test::simulate;
namespace fs = std::filesystem;

namespace {

// A small chat: 4 turns of 128-token messages and 64-token answers after a 256-token system
// prompt, users pausing 2 s on average.
analysis::use_case small_chat() {
    analysis::use_case uc;
    uc.name = "small_chat";
    uc.title = "Small chat";
    uc.context_tokens = 128;
    uc.output_tokens = 64;
    uc.thresholds = {{analysis::metric::ttft_later_turns, analysis::statistic::p95,
                      analysis::comparison::less, 0.5},
                     {analysis::metric::generation_speed, analysis::statistic::mean,
                      analysis::comparison::greater, 60.0}};
    analysis::session_workload w;
    w.turns = 4;
    std::string error;
    w.think = *parse_think_time("exponential:2s", error);
    w.system_prompt_tokens = 256;
    uc.sessions = w;
    return uc;
}

sweep::sweep_plan session_plan(std::initializer_list<std::uint32_t> users) {
    sweep::sweep_plan p;
    p.name = "sessions";
    p.requests.warmup_requests = 0;
    const analysis::use_case uc = small_chat();
    for (std::uint32_t u : users) {
        sweep::planned_cell c;
        c.key = sweep::cell_key{uc.context_tokens, uc.output_tokens, u, uc.name};
        c.key.sessions = true;
        c.sessions = uc.sessions;
        p.cells.push_back(c);
    }
    return p;
}

} // namespace

TEST_CASE("sessions in the simulator: users, turns in order, the record of each turn") {
    const auto dir = fresh_dir("sessions-cells");
    const sweep::sweep_outcome out = simulate(session_plan({2, 8}), dir);
    REQUIRE(out.result.cells.size() == 2);
    for (const sweep::cell_result& c : out.result.cells) {
        INFO(c.key.id());
        CHECK(c.key.sessions);
        CHECK(c.key.id().find("/u") != std::string::npos);
        CHECK(c.requests_succeeded == c.requests_started);
        CHECK(c.requests_started >= c.key.concurrency * 4 / 2);
        REQUIRE(c.sessions.has_value());
        const sweep::session_record& s = *c.sessions;
        CHECK(s.turns_per_conversation == 4);
        REQUIRE(s.turns.size() == 4);
        CHECK(s.conversations_completed > 0);
        CHECK(s.ended_by_failure == 0);
        for (const analysis::turn_statistics& t : s.turns) {
            CHECK(t.requests > 0);
            // Each turn's prompt holds the history: longer turn after turn.
            if (t.turn > 1)
                CHECK(t.prompt_tokens_mean > s.turns[t.turn - 2].prompt_tokens_mean + 64);
        }
        CHECK(!c.prompt.flagged); // a history is not a length aimed for
        const auto later =
            c.summary.value(analysis::metric::ttft_later_turns, analysis::statistic::mean);
        CHECK(later.has_value());
        const auto in_flight =
            c.summary.value(analysis::metric::mean_in_flight, analysis::statistic::mean);
        REQUIRE(in_flight.has_value());
        CHECK(*in_flight < c.key.concurrency); // users pause between turns
        CHECK(s.conversation_time_s.count == s.conversations_completed);
    }
    // The files hold the same: rebuilt byte for byte.
    const std::string before = read_file(dir / "results.json");
    (void)sweep::rebuild_results(dir);
    CHECK(read_file(dir / "results.json") == before);
}

TEST_CASE("sessions: the capacity search in users agrees with an exhaustive scan") {
    const analysis::use_case uc = small_chat();
    sweep::sweep_plan adaptive;
    adaptive.name = "sessions-search";
    adaptive.requests.warmup_requests = 0;
    sweep::use_case_search s;
    s.use_case = uc;
    s.max_concurrency = 128;
    adaptive.searches.push_back(s);
    const sweep::sweep_outcome a = simulate(adaptive, fresh_dir("sessions-search"));
    REQUIRE(a.search_errors.empty());
    REQUIRE(a.result.use_cases.size() == 1);
    const analysis::capacity_result& found = a.result.use_cases[0].capacity;
    MESSAGE("adaptive: " << found.capacity << " users from "
                         << a.result.use_cases[0].measured_concurrency.size() << " cells");

    std::vector<std::uint32_t> levels; // every level near the answer, powers of two below
    for (std::uint32_t u = 1; u < 64; u *= 2)
        levels.push_back(u);
    for (std::uint32_t u = 64; u <= 128; u += 2)
        levels.push_back(u);
    sweep::sweep_plan scan = session_plan({});
    for (std::uint32_t u : levels) {
        sweep::planned_cell c;
        c.key = sweep::cell_key{uc.context_tokens, uc.output_tokens, u, uc.name};
        c.sessions = uc.sessions;
        scan.cells.push_back(c);
    }
    const sweep::sweep_outcome e = simulate(scan, fresh_dir("sessions-scan"));
    std::vector<analysis::cell_summary> cells;
    for (const sweep::cell_result& c : e.result.cells)
        cells.push_back(c.summary);
    const analysis::capacity_result exhaustive = analysis::compute_capacity(uc, cells);
    MESSAGE("exhaustive: " << exhaustive.capacity << " users");
    CHECK(found.kind == exhaustive.kind);
    CHECK(static_cast<double>(found.capacity) ==
          doctest::Approx(static_cast<double>(exhaustive.capacity)).epsilon(0.05));
    CHECK(found.binding == exhaustive.binding);
}
