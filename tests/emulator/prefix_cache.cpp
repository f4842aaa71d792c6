// The engine's prefix cache (vLLM v1's automatic prefix caching): hits, salts, lookups skipped,
// LRU eviction, shared blocks, preemption, and a conversation's later turns in virtual time.
#include <llmcap/emulator/prefix_cache.hpp>
// Test that header file is self-contained.
#include <llmcap/emulator/prefix_cache.hpp>

#include "conversation.hpp"

#include <llmcap/client/virtual_timeline.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/engine.hpp>
#include <llmcap/emulator/tokenizer.hpp>
#include <llmcap/emulator/virtual_cell.hpp>
#include <llmcap/emulator/virtual_endpoint.hpp>
#include <llmcap/prometheus/parser.hpp>

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm> // min
#include <cmath>     // abs
#include <cstdint>   // uint32_t, uint64_t
#include <exception> // exception_ptr, rethrow_exception
#include <map>       // map
#include <string>    // string
#include <vector>    // vector

namespace emu = llmcap::emulator;
namespace asio = boost::asio;
using llmcap::request_trace;

namespace {

// The default profile with a small engine, so that capacities bite quickly.
emu::profile small_engine(std::uint64_t kv_tokens, bool caching = true) {
    emu::profile p = emu::builtin_profile();
    p.engine.max_num_batched_tokens = 8192;
    p.engine.max_num_seqs = 16;
    p.engine.kv_cache_tokens = kv_tokens;
    p.engine.block_size = 16;
    p.engine.enable_prefix_caching = caching;
    return p;
}

// `n` token ids from `first` on.
std::vector<std::uint32_t> ids(std::uint32_t n, std::uint32_t first) {
    std::vector<std::uint32_t> v(n);
    for (std::uint32_t i = 0; i < n; ++i)
        v[i] = first + i;
    return v;
}

std::vector<std::uint32_t> joined(std::vector<std::uint32_t> a,
                                  const std::vector<std::uint32_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// A request with prompt `prompt`, `output` tokens (ids from 900000), salt `salt`.
emu::request_spec spec(const std::vector<std::uint32_t>& prompt, std::uint32_t output,
                       std::uint64_t salt = 0) {
    emu::request_spec r;
    r.prompt_tokens = static_cast<std::uint32_t>(prompt.size());
    r.output_tokens = output;
    r.prompt_ids = prompt;
    r.output_ids = ids(output, 900000);
    r.cache_salt = salt;
    return r;
}

// Steps the engine until it is idle from `t`; returns when it went idle.
llmcap::time_point run_to_idle(emu::engine& e, llmcap::time_point t,
                               std::vector<emu::step_result>* steps = nullptr) {
    for (int n = 0; e.has_work(); ++n) {
        REQUIRE(n < 100000);
        (void)e.next_step_duration();
        const emu::step_result& r = e.step(t);
        if (steps != nullptr)
            steps->push_back(r);
        t = r.end;
    }
    return t;
}

// Adds `r` at `t`, runs the engine idle and returns the request's id.
emu::request_id serve(emu::engine& e, const emu::request_spec& r, llmcap::time_point& t) {
    const emu::request_id id = e.add_request(r, t);
    t = run_to_idle(e, t);
    return id;
}

// Prompt tokens the request prefilled on its first pass (recomputation excluded).
std::uint64_t first_pass_tokens(const emu::request_truth& t) {
    std::uint64_t n = 0;
    for (const emu::prefill_chunk& c : t.prefill_chunks)
        if (!c.recompute)
            n += c.tokens;
    return n;
}

// The price of one step prefilling `tokens` after `cached` (and sampling the first token).
llmcap::duration prefill_step(const emu::engine& e, std::uint64_t cached, std::uint64_t tokens) {
    emu::step_work w;
    w.add_prefill_chunk(cached, tokens);
    w.sampled_sequences = 1;
    return llmcap::from_seconds(e.costs().price(w).duration_s);
}

// Runs `work` on an io_context of its own on `t`'s virtual time.
template <class Work>
void run_virtual(llmcap::client::virtual_timeline& t, Work work) {
    asio::io_context io;
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io, work(), [&](std::exception_ptr e) {
        failure = e;
        done = true;
    });
    REQUIRE(t.run(io, [&] { return done; }));
    if (failure)
        std::rethrow_exception(failure);
}

double metric(const std::string& page_text, std::string_view name) {
    llmcap::prometheus::scrape page;
    const llmcap::prometheus::parse_error err = llmcap::prometheus::parse(page_text, page);
    REQUIRE_MESSAGE(!err, err.message());
    const auto v = page.find(name);
    REQUIRE_MESSAGE(v.has_value(), name);
    return v->value();
}

double ttft_s(const request_trace& t) {
    return llmcap::to_seconds(*t.first_token_time() - t.intended_start);
}

} // namespace

TEST_CASE("emulator tokenizer: an answer's text tokenizes back to the ids generated") {
    const emu::tokenizer tok{151552};
    for (const std::uint64_t seed : {1ull, 42ull, 0xDEADBEEFull}) {
        std::string text;
        for (std::uint64_t i = 0; i < 500; ++i)
            text += emu::tokenizer::output_piece(seed, i);
        std::vector<std::uint32_t> encoded, generated;
        tok.encode(text, encoded);
        tok.output_ids(seed, 500, generated);
        CHECK(encoded == generated);
        CHECK(tok.output_id(seed, 17) == generated[17]);
    }
    // The one-pass encoder gives id() of every piece.
    const std::string text = "  Hello, wonderful\tworld\n of tokens  abcdefghi x ";
    std::vector<std::uint32_t> fast;
    tok.encode(text, fast);
    std::vector<std::uint32_t> slow;
    emu::tokenizer::for_each_piece(text, [&](std::string_view p) { slow.push_back(tok.id(p)); });
    CHECK(fast == slow);
    // An assistant message starts with the generation prompt's id.
    std::vector<std::uint32_t> m;
    tok.encode_message("assistant", " the a", m);
    CHECK(m == std::vector<std::uint32_t>{emu::tokenizer::assistant_start_id, tok.id("the"),
                                          tok.id("a"), emu::tokenizer::message_end_id});
}

TEST_CASE("prefix cache: block keys chain, salts separate, and only full blocks have one") {
    const std::vector<std::uint32_t> a = ids(40, 10);
    std::vector<std::uint64_t> ka, kb, ks;
    emu::append_block_keys(a, {}, 0, 16, ka);
    CHECK(ka.size() == 2); // 40 tokens: two full blocks
    // The same tokens split between prompt and output give the same keys.
    emu::append_block_keys(std::vector<std::uint32_t>(a.begin(), a.begin() + 20),
                           std::vector<std::uint32_t>(a.begin() + 20, a.end()), 0, 16, kb);
    CHECK(kb == ka);
    // A change in the first block changes every later key.
    std::vector<std::uint32_t> b = a;
    b[3] = 7;
    kb.clear();
    emu::append_block_keys(b, {}, 0, 16, kb);
    CHECK(kb[0] != ka[0]);
    CHECK(kb[1] != ka[1]);
    emu::append_block_keys(a, {}, emu::cache_salt_hash("user-1"), 16, ks);
    CHECK(ks[0] != ka[0]);
    CHECK(ks[1] != ka[1]);
    CHECK(emu::cache_salt_hash("user-1") != emu::cache_salt_hash("user-2"));
    CHECK(emu::cache_salt_hash("") != 0);
}

TEST_CASE("prefix cache: a request sharing a prefix prefills only what follows its cached "
          "blocks") {
    emu::engine e(small_engine(100000));
    llmcap::time_point t = llmcap::virtual_epoch();
    const std::vector<std::uint32_t> a_prompt = ids(100, 1000);
    const emu::request_id a = serve(e, spec(a_prompt, 4), t);
    CHECK(e.truth(a).cached_tokens == 0);
    // 103 tokens were computed (the last output token is sampled, not computed): 6 full blocks.
    CHECK(e.kv_cached_tokens() == 96);
    CHECK(e.kv_free_tokens() == e.kv_capacity_tokens()); // no request holds them

    // 80 tokens in common: 5 blocks found, 20 tokens prefilled after them.
    const std::vector<std::uint32_t> b_prompt =
        joined(std::vector<std::uint32_t>(a_prompt.begin(), a_prompt.begin() + 80), ids(20, 5000));
    const emu::request_id b = e.add_request(spec(b_prompt, 4), t);
    const llmcap::duration d = e.next_step_duration();
    const emu::step_result& first = e.step(t);
    REQUIRE(first.prefill_chunks.size() == 1);
    CHECK(first.prefill_chunks[0].cached_tokens == 80);
    CHECK(first.prefill_chunks[0].tokens == 20);
    CHECK(d == prefill_step(e, 80, 20));
    CHECK(first.prefix_cache.queries == 100);
    CHECK(first.prefix_cache.hits == 80);
    t = run_to_idle(e, first.end);
    CHECK(e.truth(b).cached_tokens == 80);
    CHECK(first_pass_tokens(e.truth(b)) == 20);
    CHECK(e.truth(b).tokens.size() == 4);

    emu::prefix_cache_stats expected;
    expected.record(100, 0, false);
    expected.record(100, 80, false);
    CHECK(e.prefix_cache() == expected);

    // On a cold engine the same request prefills all 100 tokens: a longer first step.
    emu::engine cold(small_engine(100000));
    (void)cold.add_request(spec(b_prompt, 4), t);
    CHECK(cold.next_step_duration() == prefill_step(cold, 0, 100));
    CHECK(cold.next_step_duration() > d);
}

TEST_CASE("prefix cache: full blocks of output are cached as well as the prompt's") {
    // A's 100 prompt and 29 computed output tokens: 8 full blocks, the last two holding output.
    const std::vector<std::uint32_t> prompt = ids(100, 1000);
    const emu::request_spec a = spec(prompt, 30);
    // The next turn: A's prompt, A's answer, more.
    const std::vector<std::uint32_t> next = joined(joined(prompt, a.output_ids), ids(10, 7000));
    for (const bool with_output_ids : {true, false}) {
        CAPTURE(with_output_ids);
        emu::engine e(small_engine(100000));
        llmcap::time_point t = llmcap::virtual_epoch();
        emu::request_spec first = a;
        if (!with_output_ids)
            first.output_ids.clear(); // its output cannot be keyed
        (void)serve(e, first, t);
        const emu::request_id b = serve(e, spec(next, 1), t);
        CHECK(e.truth(b).cached_tokens == (with_output_ids ? 128u : 96u));
    }
}

TEST_CASE("prefix cache: at least the last prompt token is computed") {
    emu::engine e(small_engine(100000));
    llmcap::time_point t = llmcap::virtual_epoch();
    const std::vector<std::uint32_t> prompt = ids(64, 1000);
    (void)serve(e, spec(prompt, 1), t); // 4 full blocks cached
    // The same prompt again: 3 blocks found, the 4th computed to sample from.
    const emu::request_id same = serve(e, spec(prompt, 1), t);
    CHECK(e.truth(same).cached_tokens == 48);
    CHECK(first_pass_tokens(e.truth(same)) == 16);
    // A prompt of one block: nothing to find.
    const emu::request_id one =
        serve(e, spec(std::vector<std::uint32_t>(prompt.begin(), prompt.begin() + 16), 1), t);
    CHECK(e.truth(one).cached_tokens == 0);
    // One more token than the cached blocks: all 4 found.
    const emu::request_id longer = serve(e, spec(joined(prompt, {77}), 1), t);
    CHECK(e.truth(longer).cached_tokens == 64);
    CHECK(first_pass_tokens(e.truth(longer)) == 1);
}

TEST_CASE("prefix cache: requests with different salts share no block") {
    emu::engine e(small_engine(100000));
    llmcap::time_point t = llmcap::virtual_epoch();
    const std::vector<std::uint32_t> prompt = ids(100, 1000);
    const std::uint64_t alice = emu::cache_salt_hash("alice");
    const std::uint64_t bob = emu::cache_salt_hash("bob");
    (void)serve(e, spec(prompt, 1, alice), t);
    CHECK(e.truth(serve(e, spec(prompt, 1, bob), t)).cached_tokens == 0);
    CHECK(e.truth(serve(e, spec(prompt, 1), t)).cached_tokens == 0);
    CHECK(e.truth(serve(e, spec(prompt, 1, alice), t)).cached_tokens == 96);
    CHECK(e.truth(serve(e, spec(prompt, 1, bob), t)).cached_tokens == 96);
}

TEST_CASE("prefix cache: a request that skips the lookup computes its whole prompt") {
    emu::engine e(small_engine(100000));
    llmcap::time_point t = llmcap::virtual_epoch();
    const std::vector<std::uint32_t> prompt = ids(100, 1000);
    (void)serve(e, spec(prompt, 1), t);
    emu::request_spec skip = spec(prompt, 1);
    skip.prefix_cache_lookup = false; // llama.cpp's cache_prompt: false
    const emu::request_id s = serve(e, skip, t);
    CHECK(e.truth(s).cached_tokens == 0);
    CHECK(first_pass_tokens(e.truth(s)) == 100);
    CHECK(e.prefix_cache().requests == 1); // a skipped lookup is not counted
    CHECK(e.truth(serve(e, spec(prompt, 1), t)).cached_tokens == 96);
    CHECK(e.prefix_cache().requests == 2);
}

TEST_CASE("prefix cache: requests without token ids are never cached") {
    emu::engine e(small_engine(100000));
    llmcap::time_point t = llmcap::virtual_epoch();
    emu::request_spec r;
    r.prompt_tokens = 100;
    r.output_tokens = 2;
    CHECK(e.truth(serve(e, r, t)).cached_tokens == 0);
    CHECK(e.truth(serve(e, r, t)).cached_tokens == 0);
    CHECK(e.kv_cached_tokens() == 0);
    CHECK(e.prefix_cache() == emu::prefix_cache_stats{});
    emu::request_spec wrong = spec(ids(10, 1), 1);
    wrong.prompt_tokens = 11;
    CHECK_THROWS_AS((void)e.add_request(wrong, t), std::invalid_argument);
    wrong = spec(ids(10, 1), 1);
    wrong.output_ids = ids(2, 5);
    CHECK_THROWS_AS((void)e.add_request(wrong, t), std::invalid_argument);
}

TEST_CASE("prefix cache: disabled, the engine runs requests with ids as it runs them without") {
    // Shared prefixes, arrivals while others run, and a KV cache small enough to preempt.
    const std::vector<std::uint32_t> base = ids(300, 1000);
    std::vector<emu::request_spec> specs;
    for (std::uint32_t i = 0; i < 6; ++i)
        specs.push_back(
            spec(joined(std::vector<std::uint32_t>(base.begin(), base.begin() + 200 + i),
                        ids(40, 20000 + 100 * i)),
                 30 + 10 * i));
    const auto run = [&](bool caching, bool with_ids) {
        emu::engine e(small_engine(1024, caching));
        llmcap::time_point t = llmcap::virtual_epoch();
        std::vector<emu::step_result> steps;
        for (emu::request_spec r : specs) {
            if (!with_ids) {
                r.prompt_ids.clear();
                r.output_ids.clear();
            }
            (void)e.add_request(r, t);
            for (int k = 0; k < 3 && e.has_work(); ++k) {
                (void)e.next_step_duration();
                steps.push_back(e.step(t));
                t = steps.back().end;
            }
        }
        (void)run_to_idle(e, t, &steps);
        if (!caching || !with_ids)
            CHECK(e.kv_cached_tokens() == 0);
        CHECK(e.kv_free_tokens() == e.kv_capacity_tokens());
        return steps;
    };
    const std::vector<emu::step_result> off = run(false, true);
    const std::vector<emu::step_result> no_ids = run(true, false);
    REQUIRE(off.size() == no_ids.size());
    std::size_t preempted = 0;
    for (std::size_t i = 0; i < off.size(); ++i) {
        CAPTURE(i);
        CHECK(off[i].start == no_ids[i].start);
        CHECK(off[i].end == no_ids[i].end);
        CHECK(off[i].tokens.size() == no_ids[i].tokens.size());
        CHECK(off[i].preempted == no_ids[i].preempted);
        REQUIRE(off[i].prefill_chunks.size() == no_ids[i].prefill_chunks.size());
        for (std::size_t k = 0; k < off[i].prefill_chunks.size(); ++k) {
            CHECK(off[i].prefill_chunks[k].cached_tokens ==
                  no_ids[i].prefill_chunks[k].cached_tokens);
            CHECK(off[i].prefill_chunks[k].tokens == no_ids[i].prefill_chunks[k].tokens);
        }
        CHECK(off[i].prefix_cache == emu::prefix_cache_stats{});
        preempted += off[i].preempted.size();
    }
    CHECK(preempted > 0); // the scenario does reach the preemption path
    // With caching on and ids, the same requests find their shared prefix.
    const std::vector<emu::step_result> on = run(true, true);
    std::uint64_t hits = 0;
    for (const emu::step_result& s : on)
        hits += s.prefix_cache.hits;
    CHECK(hits > 0);
}

TEST_CASE("prefix cache: short of KV, the least recently released blocks are evicted, tail "
          "first") {
    // 16 blocks of 16 tokens.
    emu::engine e(small_engine(256));
    llmcap::time_point t = llmcap::virtual_epoch();
    const std::vector<std::uint32_t> a = ids(96, 1000);
    const std::vector<std::uint32_t> b = ids(96, 2000);
    const std::vector<std::uint32_t> c = ids(128, 3000);
    (void)serve(e, spec(a, 1), t); // 6 blocks cached
    (void)serve(e, spec(b, 1), t); // 6 more
    CHECK(e.kv_cached_tokens() == 192);
    CHECK(e.kv_free_tokens() == 256);
    // C needs 8 blocks: the 4 never used, then 4 evicted: A's (released first), its last
    // blocks first.
    (void)serve(e, spec(c, 1), t);
    CHECK(e.prefix_cache_evictions() == 4);
    CHECK(e.kv_cached_tokens() == 256);
    CHECK(e.kv_free_tokens() == 256);
    // B's blocks are all there (5 found, the 6th computed, which evicts A's 2nd block).
    CHECK(e.truth(serve(e, spec(b, 1), t)).cached_tokens == 80);
    CHECK(e.prefix_cache_evictions() == 5);
    // A finds only its first block: its evicted blocks are misses.
    CHECK(e.truth(serve(e, spec(a, 1), t)).cached_tokens == 16);
    CHECK(e.kv_free_tokens() == 256);
}

TEST_CASE("prefix cache: concurrent requests share cached blocks by reference") {
    // 16 blocks: two 160-token prompts (10 blocks each) fit at once only by sharing 9 blocks.
    const std::vector<std::uint32_t> a = ids(160, 1000);
    const std::vector<std::uint32_t> b =
        joined(std::vector<std::uint32_t>(a.begin(), a.begin() + 144), ids(16, 9000));
    for (const bool caching : {true, false}) {
        CAPTURE(caching);
        emu::engine e(small_engine(256, caching));
        const llmcap::time_point t0 = llmcap::virtual_epoch();
        const emu::request_id ia = e.add_request(spec(a, 2), t0);
        const emu::request_id ib = e.add_request(spec(b, 2), t0);
        (void)e.next_step_duration();
        const emu::step_result& first = e.step(t0);
        if (caching) {
            // A's blocks are cached as soon as the step computing them is planned: B, admitted
            // in the same step, holds 9 of them; 11 blocks are in use, not 20.
            CHECK(first.first_scheduled == std::vector<emu::request_id>{ia, ib});
            CHECK(e.kv_free_tokens() == 256 - 11 * 16);
        } else {
            CHECK(first.first_scheduled == std::vector<emu::request_id>{ia});
        }
        (void)run_to_idle(e, first.end);
        CHECK(e.truth(ib).cached_tokens == (caching ? 144u : 0u));
        CHECK(e.truth(ia).tokens.size() == 2);
        CHECK(e.truth(ib).tokens.size() == 2);
        CHECK(e.kv_free_tokens() == 256);
    }
}

TEST_CASE("prefix cache: a preempted request finds the blocks of its own that survived") {
    // As the engine's preemption test: both prompts fit (7 blocks each of 16), their growth
    // does not, and the newest is preempted.
    emu::engine e(small_engine(256));
    const llmcap::time_point t0 = llmcap::virtual_epoch();
    const emu::request_id a = e.add_request(spec(ids(100, 1000), 60), t0);
    const emu::request_id b = e.add_request(spec(ids(100, 5000), 60), t0);
    (void)run_to_idle(e, t0);
    const emu::request_truth& victim = e.truth(b);
    REQUIRE(victim.preemptions.size() == 1);
    CHECK(e.truth(a).preemptions.empty());
    CHECK(victim.cached_tokens == 0); // nothing found when first scheduled
    std::uint64_t emitted_before = 0;
    for (const llmcap::time_point at : victim.tokens)
        if (at <= victim.preemptions.front())
            ++emitted_before;
    std::uint64_t recomputed = 0;
    for (const emu::prefill_chunk& c : victim.prefill_chunks)
        if (c.recompute)
            recomputed += c.tokens;
    // Its resumption is a lookup of its prompt and the tokens it had produced, counted apart.
    const emu::prefix_cache_stats& s = e.prefix_cache();
    CHECK(s.requests == 2);
    CHECK(s.hits == 0);
    CHECK(s.preempted_requests == 1);
    CHECK(s.preempted_queries == 100 + emitted_before);
    CHECK(s.preempted_hits > 0);
    CHECK(s.preempted_hits % 16 == 0);
    CHECK(recomputed + s.preempted_hits == 100 + emitted_before);
    CHECK(victim.tokens.size() == 60);
    CHECK(e.kv_free_tokens() == 256);
}

TEST_CASE("prefix cache: a 16-turn conversation's later turns are mostly cached, in virtual "
          "time") {
    const emu::profile p = emu::builtin_profile();
    REQUIRE(p.engine.enable_prefix_caching); // vLLM v1's default
    constexpr std::size_t turns = 16;
    constexpr std::uint32_t output = 64;
    llmcap::client::virtual_timeline timeline;
    std::map<std::uint64_t, emu::request_truth> truths; // by request index
    emu::virtual_endpoint_options o;
    o.on_truth = [&](const request_trace& t, const emu::request_truth& truth) {
        truths.emplace(t.index, truth);
    };
    emu::virtual_endpoint ep(timeline, p, o);
    std::vector<llmcap_test::conversation_turn> c;
    std::string page;
    run_virtual(timeline, [&]() -> asio::awaitable<void> {
        c = co_await llmcap_test::converse(ep, turns, output, "conversation-1");
        page = (co_await ep.get("/metrics")).body;
    });
    REQUIRE(c.size() == turns);
    std::uint64_t prompt_sum = 0;
    std::uint64_t cached_sum = 0;
    for (std::size_t n = 0; n < turns; ++n) {
        CAPTURE(n);
        const request_trace& t = c[n].trace;
        REQUIRE_MESSAGE(t.ok(), t.error_message);
        REQUIRE(t.usage);
        REQUIRE(t.usage->cached_tokens);
        const emu::request_truth& truth = truths.at(n);
        // What the client reads in usage.prompt_tokens_details.cached_tokens is the truth.
        CHECK(*t.usage->cached_tokens == truth.cached_tokens);
        const std::uint64_t expected =
            n == 0 ? 0 : llmcap_test::expected_cached_tokens(c, n, p.engine.block_size);
        CHECK(truth.cached_tokens == expected);
        // The answer text is one word per token.
        CHECK(emu::tokenizer::count(c[n].answer) == output);
        prompt_sum += t.usage->prompt_tokens;
        cached_sum += truth.cached_tokens;
        MESSAGE("turn ", n + 1, ": prompt ", t.usage->prompt_tokens, ", cached ",
                truth.cached_tokens, ", TTFT ", ttft_s(t) * 1000.0, " ms");
    }
    // Later turns are mostly cached.
    const request_trace& last = c.back().trace;
    CHECK(static_cast<double>(*last.usage->cached_tokens) >
          0.9 * static_cast<double>(last.usage->prompt_tokens));
    // /metrics counts the lookups in tokens, as vLLM does; prompt tokens count cached ones.
    CHECK(metric(page, "vllm:prefix_cache_queries_total") == static_cast<double>(prompt_sum));
    CHECK(metric(page, "vllm:prefix_cache_hits_total") == static_cast<double>(cached_sum));
    CHECK(metric(page, "vllm:prompt_tokens_total") == static_cast<double>(prompt_sum));

    // Turn 1 costs what a fresh request of the same length costs.
    const std::uint64_t first_prompt = c.front().trace.usage->prompt_tokens;
    llmcap::client::virtual_timeline fresh_timeline;
    emu::virtual_endpoint fresh(fresh_timeline, p);
    request_trace alone;
    run_virtual(fresh_timeline, [&]() -> asio::awaitable<void> {
        llmcap::openai::completion_request r;
        r.model = "glm";
        r.messages.push_back(
            {"user", emu::prompt_of_tokens(static_cast<std::uint32_t>(first_prompt) - 3)});
        r.max_tokens = output;
        r.ignore_eos = true;
        alone = co_await fresh.stream(r, llmcap::client::request_context());
    });
    REQUIRE(alone.ok());
    CHECK(alone.usage->prompt_tokens == first_prompt);
    CHECK(std::abs(ttft_s(c.front().trace) - ttft_s(alone)) <= 0.05 * ttft_s(alone));

    // The last turn's TTFT is the front end's delay and one step prefilling its uncached
    // suffix after the cached context, as the cost model prices it; prefilling it all would
    // cost more than twice as much.
    const emu::engine model(p);
    const std::uint64_t prompt = last.usage->prompt_tokens;
    const std::uint64_t cached = *last.usage->cached_tokens;
    const double front = p.frontend.request_overhead_s +
                         p.frontend.tokenize_s_per_token * static_cast<double>(prompt);
    const double predicted =
        front + llmcap::to_seconds(prefill_step(model, cached, prompt - cached));
    const double uncached = front + llmcap::to_seconds(prefill_step(model, 0, prompt));
    MESSAGE("last turn: TTFT ", ttft_s(last) * 1000.0, " ms, predicted ", predicted * 1000.0,
            " ms, whole prompt prefilled ", uncached * 1000.0, " ms");
    CHECK(std::abs(ttft_s(last) - predicted) <= 0.10 * predicted);
    CHECK(uncached > 2.0 * predicted);
}

TEST_CASE("prefix cache: the virtual endpoint honours cache_salt and cache_prompt") {
    const emu::profile p = emu::builtin_profile();
    llmcap::client::virtual_timeline timeline;
    emu::virtual_endpoint ep(timeline, p);
    std::vector<request_trace> out;
    run_virtual(timeline, [&]() -> asio::awaitable<void> {
        llmcap::openai::completion_request r;
        r.model = "glm";
        r.messages.push_back({"user", emu::prompt_of_tokens(1000)});
        r.max_tokens = 4;
        r.ignore_eos = true;
        const llmcap::client::request_context ctx;
        out.push_back(co_await ep.stream(r, ctx)); // 0: cold
        out.push_back(co_await ep.stream(r, ctx)); // 1: the same again
        llmcap::openai::completion_request salted = r;
        salted.cache_salt = "other";
        out.push_back(co_await ep.stream(salted, ctx)); // 2: another salt
        llmcap::openai::completion_request skip = r;
        skip.extra["cache_prompt"] = false;
        out.push_back(co_await ep.stream(skip, ctx)); // 3: no lookup
        llmcap::openai::completion_request empty = r;
        empty.cache_salt = "";
        out.push_back(co_await ep.stream(empty, ctx)); // 4: refused
        llmcap::openai::completion_request bad = r;
        bad.extra["cache_prompt"] = "no";
        out.push_back(co_await ep.stream(bad, ctx)); // 5: refused
    });
    REQUIRE(out.size() == 6);
    for (std::size_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        REQUIRE(out[i].ok());
        CHECK(out[i].usage->prompt_tokens == 1003);
    }
    CHECK(*out[0].usage->cached_tokens == 0);
    CHECK(*out[1].usage->cached_tokens == 992); // (1003 - 1) / 16 blocks
    CHECK(*out[2].usage->cached_tokens == 0);
    CHECK(*out[3].usage->cached_tokens == 0);
    CHECK(out[4].http_status == 400);
    CHECK(out[4].error_message ==
          "HTTP 400: Parameter 'cache_salt' must be a non-empty string if provided.");
    CHECK(out[5].http_status == 400);
    CHECK(out[5].error_message == "HTTP 400: cache_prompt must be a boolean");
}

TEST_CASE("prefix cache: disabled in the profile, usage reports no cached tokens") {
    emu::profile p = emu::builtin_profile();
    p.engine.enable_prefix_caching = false;
    llmcap::client::virtual_timeline timeline;
    emu::virtual_endpoint ep(timeline, p);
    std::vector<llmcap_test::conversation_turn> c;
    std::string page;
    run_virtual(timeline, [&]() -> asio::awaitable<void> {
        c = co_await llmcap_test::converse(ep, 3, 16, "");
        page = (co_await ep.get("/metrics")).body;
    });
    REQUIRE(c.size() == 3);
    for (const llmcap_test::conversation_turn& turn : c) {
        REQUIRE(turn.trace.ok());
        CHECK_FALSE(turn.trace.usage->cached_tokens);
        CHECK(emu::tokenizer::count(turn.answer) == 16); // the answer text still comes
    }
    CHECK(metric(page, "vllm:prefix_cache_queries_total") == 0.0);
    CHECK(metric(page, "vllm:prefix_cache_hits_total") == 0.0);
}
