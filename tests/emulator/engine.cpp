#include <llmcap/emulator/engine.hpp>

#include <llmcap/emulator/builtin_profiles.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace emu = llmcap::emulator;
using namespace std::chrono_literals;

namespace {

// The default profile with a small engine, so that budgets and capacities bite quickly.
emu::profile small_engine(std::uint32_t budget, std::uint32_t max_seqs, std::uint64_t kv_tokens) {
    emu::profile p = emu::builtin_profile();
    p.engine.max_num_batched_tokens = budget;
    p.engine.max_num_seqs = max_seqs;
    p.engine.kv_cache_tokens = kv_tokens;
    p.engine.block_size = 16;
    return p;
}

struct run_log {
    std::vector<emu::step_result> steps;
};

// Steps the engine until it is idle, starting at t; keeps every step's result.
run_log run_to_idle(emu::engine& e, llmcap::time_point t) {
    run_log log;
    while (e.has_work()) {
        const llmcap::duration d = e.next_step_duration();
        REQUIRE(d > llmcap::duration::zero());
        const emu::step_result& r = e.step(t);
        CHECK(r.end == t + d);
        t = r.end;
        log.steps.push_back(r);
        REQUIRE(log.steps.size() < 100000);
    }
    return log;
}

void check_truth_invariants(const emu::request_truth& t) {
    REQUIRE(t.finished());
    CHECK(t.tokens.size() == t.output_tokens);
    REQUIRE(t.scheduled);
    CHECK(*t.scheduled >= t.arrival);
    REQUIRE_FALSE(t.prefill_chunks.empty());
    CHECK(t.prefill_chunks.front().at > *t.scheduled);
    for (std::size_t i = 1; i < t.tokens.size(); ++i)
        CHECK(t.tokens[i] > t.tokens[i - 1]);
    CHECK(t.tokens.front() >= t.prefill_chunks.front().at);
    CHECK(*t.finish == t.tokens.back());
    std::uint64_t first_pass = 0;
    for (const emu::prefill_chunk& c : t.prefill_chunks)
        if (!c.recompute)
            first_pass += c.tokens;
    CHECK(first_pass == t.prompt_tokens);
}

} // namespace

TEST_CASE("engine: the token budget bounds every step and prefills are chunked") {
    emu::engine e(small_engine(64, 16, 100000));
    const llmcap::time_point t0 = llmcap::virtual_epoch();
    for (int i = 0; i < 3; ++i)
        (void)e.add_request({150, 4}, t0);
    const run_log log = run_to_idle(e, t0);

    std::map<emu::request_id, std::vector<std::uint32_t>> chunks;
    for (const emu::step_result& s : log.steps) {
        CHECK(s.work.tokens() <= 64);
        std::uint64_t tokens = s.work.decode_sequences;
        for (const emu::chunk_record& c : s.prefill_chunks) {
            chunks[c.id].push_back(c.tokens);
            tokens += c.tokens;
        }
        CHECK(tokens == s.work.tokens());
    }
    // The first request's prompt goes 64 + 64 + 22; the second fills the rest of that step.
    CHECK(chunks[0] == std::vector<std::uint32_t>{64, 64, 22});
    CHECK(chunks[1].front() == 42);
    CHECK(log.steps[0].prefill_chunks.size() == 1);
    CHECK(log.steps[2].prefill_chunks.size() == 2);
    // The first token comes with the prefill's last chunk, not before.
    CHECK(e.truth(0).tokens.front() == log.steps[2].end);
    for (emu::request_id id = 0; id < 3; ++id)
        check_truth_invariants(e.truth(id));
}

TEST_CASE("engine: no more than max_num_seqs run at once") {
    emu::engine e(small_engine(8192, 2, 100000));
    const llmcap::time_point t0 = llmcap::virtual_epoch();
    for (int i = 0; i < 5; ++i)
        (void)e.add_request({10, 5}, t0);
    const run_log log = run_to_idle(e, t0);
    std::size_t peak = 0;
    for (const emu::step_result& s : log.steps) {
        CHECK(s.work.sequences <= 2);
        CHECK(s.running <= 2);
        peak = std::max(peak, s.running);
    }
    CHECK(peak == 2);
    CHECK(log.steps.front().waiting == 3);
    // The third request is admitted only when one of the first two has finished.
    CHECK(*e.truth(2).scheduled >= std::min(*e.truth(0).finish, *e.truth(1).finish));
    for (emu::request_id id = 0; id < 5; ++id)
        check_truth_invariants(e.truth(id));
}

TEST_CASE("engine: a full KV cache makes requests wait") {
    // 256 tokens of cache; each request needs 13 blocks (208 tokens) at its end.
    emu::engine e(small_engine(8192, 16, 256));
    CHECK(e.kv_capacity_tokens() == 256);
    const llmcap::time_point t0 = llmcap::virtual_epoch();
    (void)e.add_request({200, 8}, t0);
    (void)e.add_request({200, 8}, t0);
    const run_log log = run_to_idle(e, t0);
    CHECK(log.steps.front().waiting == 1);
    CHECK(*e.truth(1).scheduled >= *e.truth(0).finish);
    CHECK(e.truth(0).preemptions.empty());
    CHECK(e.truth(1).preemptions.empty());
    CHECK(e.kv_free_tokens() == 256);
    check_truth_invariants(e.truth(0));
    check_truth_invariants(e.truth(1));
}

TEST_CASE("engine: running out of KV blocks preempts the newest request, which recomputes") {
    // Both prompts fit (2 × 7 blocks of 16), but their growth does not: 16 blocks in all.
    emu::engine e(small_engine(8192, 16, 256));
    const llmcap::time_point t0 = llmcap::virtual_epoch();
    (void)e.add_request({100, 60}, t0);
    (void)e.add_request({100, 60}, t0);
    const run_log log = run_to_idle(e, t0);

    std::size_t preemptions = 0;
    for (const emu::step_result& s : log.steps) {
        for (emu::request_id id : s.preempted) {
            CHECK(id == 1); // the most recently admitted goes first
            ++preemptions;
        }
    }
    CHECK(preemptions >= 1);
    const emu::request_truth& victim = e.truth(1);
    CHECK(victim.preemptions.size() == preemptions);
    const bool recomputed = std::any_of(victim.prefill_chunks.begin(), victim.prefill_chunks.end(),
                                        [](const emu::prefill_chunk& c) { return c.recompute; });
    CHECK(recomputed);
    CHECK(e.truth(0).preemptions.empty());
    check_truth_invariants(e.truth(0));
    check_truth_invariants(victim);
    CHECK(e.kv_free_tokens() == 256);
}

TEST_CASE("engine: fits() and add_request reject what could never be served") {
    emu::engine e(small_engine(8192, 16, 256));
    CHECK(e.fits({200, 56}));
    CHECK_FALSE(e.fits({200, 57}));
    CHECK_FALSE(e.fits({10, 0}));
    CHECK_THROWS_AS((void)e.add_request({300, 1}, llmcap::virtual_epoch()), std::invalid_argument);
    CHECK_FALSE(e.has_work());

    emu::engine big(emu::builtin_profile());
    CHECK(big.fits({200000, 1024}));
    CHECK_FALSE(big.fits({202000, 1024})); // longer than the model's context
}

TEST_CASE("engine: planning is idempotent and a request added after planning waits a step") {
    emu::engine e(small_engine(8192, 16, 100000));
    const llmcap::time_point t0 = llmcap::virtual_epoch();
    CHECK(e.next_step_duration() == llmcap::duration::zero());
    (void)e.add_request({100, 3}, t0);
    const llmcap::duration d = e.next_step_duration();
    CHECK(e.next_step_duration() == d);
    const emu::request_id late = e.add_request({100, 3}, t0 + 1ms);
    const emu::step_result& first = e.step(t0);
    CHECK(first.first_scheduled == std::vector<emu::request_id>{0});
    CHECK(first.waiting == 1);
    CHECK(first.end == t0 + d);
    const llmcap::time_point first_end = first.end;
    const emu::step_result& second = e.step(first_end);
    CHECK(second.first_scheduled == std::vector<emu::request_id>{late});
    CHECK(e.truth(late).queue_wait() == first_end - (t0 + 1ms));
}

TEST_CASE("engine: every request gets exactly its output tokens under mixed load") {
    emu::engine e(emu::builtin_profile());
    llmcap::time_point t = llmcap::virtual_epoch();
    const std::uint32_t prompts[] = {1, 17, 900, 5000, 9000, 20000, 64};
    const std::uint32_t outputs[] = {1, 2, 33, 100, 7, 50, 128};
    std::size_t added = 0;
    std::uint64_t emitted = 0;
    std::map<emu::request_id, std::uint32_t> next_index;
    for (int round = 0; round < 40 || e.has_work(); ++round) {
        if (round < 40 && round % 3 == 0) {
            (void)e.add_request({prompts[added % 7], outputs[added % 7]}, t);
            ++added;
        }
        if (!e.has_work())
            continue;
        (void)e.next_step_duration();
        const emu::step_result& s = e.step(t);
        for (const emu::token_emission& tok : s.tokens) {
            CHECK(tok.index == next_index[tok.id]); // in order, none skipped
            next_index[tok.id] = tok.index + 1;
            ++emitted;
        }
        t = s.end;
    }
    std::uint64_t expected = 0;
    for (emu::request_id id = 0; id < added; ++id) {
        check_truth_invariants(e.truth(id));
        expected += e.truth(id).output_tokens;
    }
    CHECK(emitted == expected);
    CHECK(e.kv_free_tokens() == e.kv_capacity_tokens());
    const emu::request_truth taken = e.take_truth(0);
    CHECK(taken.tokens.size() == 1);
}

TEST_CASE("engine: abort frees a running request's capacity for a waiting one") {
    // One sequence at a time: the second request waits until the first leaves the batch.
    emu::engine e(small_engine(256, 1, 100000));
    const llmcap::time_point t0 = llmcap::virtual_epoch();
    const emu::request_id a = e.add_request({100, 50}, t0);
    const emu::request_id b = e.add_request({100, 5}, t0);
    llmcap::time_point t = t0;
    for (int i = 0; i < 3; ++i) // a's prefill (with its first token) and two more tokens
        t = e.step(t).end;
    CHECK(e.running() == 1);
    CHECK(e.waiting() == 1);
    CHECK_FALSE(e.truth(b).scheduled);
    const std::uint64_t free_before = e.kv_free_tokens();

    CHECK(e.abort(a, t));
    CHECK_FALSE(e.abort(a, t)); // already aborted: nothing changes
    CHECK(e.running() == 0);
    CHECK(e.waiting() == 1);
    CHECK(e.kv_free_tokens() == free_before + 112); // a's 102 cached tokens: 7 blocks of 16
    CHECK(e.kv_free_tokens() == e.kv_capacity_tokens());
    const emu::request_truth& ta = e.truth(a);
    REQUIRE(ta.aborted);
    CHECK(*ta.aborted == t);
    CHECK_FALSE(ta.finished());
    CHECK(ta.tokens.size() == 3);

    // The next step schedules the waiting request; the aborted one emits nothing more.
    const emu::step_result& r = e.step(t);
    CHECK(r.first_scheduled == std::vector<emu::request_id>{b});
    for (const emu::token_emission& k : r.tokens)
        CHECK(k.id != a);
    REQUIRE(e.truth(b).scheduled);
    CHECK(*e.truth(b).scheduled == t);
    const run_log log = run_to_idle(e, r.end);
    check_truth_invariants(e.truth(b));
    CHECK(log.steps.size() == 4); // b's other 4 tokens
    CHECK(e.truth(a).tokens.size() == 3);
    const emu::request_truth taken = e.take_truth(a);
    CHECK(taken.aborted);
    CHECK(e.kv_free_tokens() == e.kv_capacity_tokens());
}

TEST_CASE("engine: abort of a waiting request, and of one in a step already planned") {
    emu::engine e(small_engine(256, 1, 100000));
    const llmcap::time_point t0 = llmcap::virtual_epoch();
    const emu::request_id a = e.add_request({100, 3}, t0);
    const emu::request_id b = e.add_request({100, 3}, t0);
    const emu::request_id c = e.add_request({100, 3}, t0);
    CHECK(e.abort(b, t0)); // waiting: leaves the queue, never scheduled
    CHECK(e.waiting() == 2);
    CHECK_FALSE(e.truth(b).scheduled);
    CHECK_THROWS_AS(e.abort(99, t0), std::out_of_range);

    // a's prefill is planned (and priced), then a is aborted: the step takes the planned
    // time but emits nothing for it, and its blocks are free again.
    const llmcap::duration d = e.next_step_duration();
    CHECK(e.running() == 1);
    CHECK(e.abort(a, t0));
    CHECK(e.kv_free_tokens() == e.kv_capacity_tokens());
    const emu::step_result& r = e.step(t0);
    CHECK(r.end == t0 + d);
    CHECK(r.tokens.empty());
    CHECK(r.prefill_chunks.empty());
    CHECK(e.truth(a).prefill_chunks.empty());
    CHECK(e.running() == 0);
    const run_log log = run_to_idle(e, r.end);
    check_truth_invariants(e.truth(c));
    CHECK_FALSE(e.truth(a).finish);
    CHECK_FALSE(e.truth(b).finish);
    CHECK(e.take_truth(b).aborted);
    CHECK_FALSE(log.steps.empty());
}
