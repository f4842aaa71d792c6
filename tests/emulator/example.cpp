// The snippets of docs/emulator.md, compiled and run.
#include <llmcap/emulator.hpp>

#include <doctest/doctest.h>

#include <random>

namespace emu = llmcap::emulator;

TEST_CASE("example: a closed-loop cell in virtual time") {
    // [closed-loop cell]
    const emu::profile p = emu::builtin_profile(); // glm-4.7-flash-h200-bf16
    std::mt19937_64 rng(2024);                     // only Poisson arrivals draw from it
    const emu::simulation_result r =
        emu::simulate(p, emu::workload{.prompt_tokens = 32768, .output_tokens = 1024},
                      emu::closed_loop{.concurrency = 5, .measured_requests = 15}, rng);
    for (const emu::simulated_request& q : r.requests) {
        const llmcap::request_trace& trace = q.trace; // what a streaming client records
        const emu::request_truth& truth = q.truth;    // what the engine did
        const llmcap::duration ttft = *trace.first_token_time() - trace.intended_start;
        const llmcap::duration queued = *truth.queue_wait(); // arrival -> first scheduled
        CHECK(ttft > queued);
    }
    // [closed-loop cell]
    CHECK(r.requests.size() == 15);
}

TEST_CASE("example: driving the engine step by step") {
    // [driving the engine]
    emu::engine engine(emu::builtin_profile());
    llmcap::time_point now = emu::virtual_epoch(); // a server would read steady_clock
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
