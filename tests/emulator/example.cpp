// The snippets of docs/emulator.md, compiled and run.
#include <llmcap/emulator.hpp>

#include <doctest/doctest.h>

namespace emu = llmcap::emulator;

TEST_CASE("example: a closed-loop cell in virtual time") {
    // [closed-loop cell]
    const emu::profile p = emu::builtin_profile(); // glm-4.7-flash-h200-bf16
    emu::virtual_cell cell{.prompt_tokens = 32768, .output_tokens = 1024, .concurrency = 5};
    cell.stop.requests = 15; // workload::drive's stop rule
    const emu::virtual_cell_result r = emu::run_virtual_cell(p, cell);
    for (std::size_t i = 0; i < r.traces.size(); ++i) {
        const llmcap::request_trace& trace = r.traces[i]; // what the streaming client recorded
        const emu::request_truth& truth = r.truths[i];    // what the engine did
        const llmcap::duration ttft = *trace.first_token_time() - trace.intended_start;
        const llmcap::duration queued = *truth.queue_wait(); // arrival -> first scheduled
        CHECK(ttft > queued);
    }
    const llmcap::analysis::cell_summary summary = r.recorder.summary(); // as `run` reports it
    // [closed-loop cell]
    CHECK(r.traces.size() == 15);
    CHECK(summary.value(llmcap::analysis::metric::ttft, llmcap::analysis::statistic::p99));
}

TEST_CASE("example: driving the engine step by step") {
    // [driving the engine]
    emu::engine engine(emu::builtin_profile());
    llmcap::time_point now = llmcap::virtual_epoch(); // a server would read steady_clock
    const emu::request_id id = engine.add_request({.prompt_tokens = 1000, .output_tokens = 3}, now);
    while (engine.has_work()) {
        const llmcap::duration d = engine.next_step_duration(); // plans the step
        // A server arms a timer for now + d here and continues when it fires.
        const emu::step_result& step = engine.step(now);
        for (const emu::token_emission& token : step.tokens)
            (void)token; // a server streams one SSE event per token to request token.id
        now = step.end;
        CHECK(step.end == step.start + d);
    }
    CHECK(engine.truth(id).tokens.size() == 3);
    // [driving the engine]
}
