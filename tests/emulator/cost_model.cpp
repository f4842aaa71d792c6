#include <llmcap/emulator/cost_model.hpp>

#include <llmcap/emulator/builtin_profiles.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

namespace emu = llmcap::emulator;

namespace {

emu::step_cost decode_batch(const emu::cost_model& m, std::uint32_t batch, std::uint64_t context) {
    emu::step_work w;
    for (std::uint32_t i = 0; i < batch; ++i)
        w.add_decode(context);
    return m.price(w);
}

emu::step_cost prefill(const emu::cost_model& m, std::uint64_t cached, std::uint64_t tokens) {
    emu::step_work w;
    w.add_prefill_chunk(cached, tokens);
    return m.price(w);
}

} // namespace

TEST_CASE("profile: GLM-4.7-Flash architecture numbers match the published 30B-A3B") {
    const emu::profile p = emu::builtin_profile();
    CHECK(llmcap::analysis::total_params(p.model) == doctest::Approx(29.94e9).epsilon(0.01));
    CHECK(llmcap::analysis::active_params_per_token(p.model) ==
          doctest::Approx(3.58e9).epsilon(0.01));
    CHECK(llmcap::analysis::kv_bytes_per_token(p.model) == doctest::Approx(47.0 * 576 * 2));
    CHECK(llmcap::analysis::weight_bytes(p.model) == doctest::Approx(59.9e9).epsilon(0.01));
    CHECK(emu::kv_cache_tokens(p) % p.engine.block_size == 0);
    CHECK(emu::kv_cache_tokens(p) > 1'200'000);
}

TEST_CASE("cost_model: expected experts touched follows E(1 - (1 - k/E)^T) under uniform routing") {
    emu::profile p = emu::builtin_profile();
    p.model.expert_popularity_skew = 0.0;
    const emu::cost_model m(p);
    CHECK(m.experts_touched(0) == doctest::Approx(0.0));
    CHECK(m.experts_touched(1) == doctest::Approx(4.0));
    for (std::uint64_t t : {2u, 4u, 24u, 300u})
        CHECK(m.experts_touched(t) ==
              doctest::Approx(64.0 * (1.0 - std::pow(1.0 - 4.0 / 64.0, double(t)))));
    CHECK(m.experts_touched(100000) == doctest::Approx(64.0));

    // Skewed routing: one token still picks k experts; a batch touches fewer than uniform.
    const emu::cost_model skewed(emu::builtin_profile());
    CHECK(skewed.experts_touched(1) <= 4.0 + 1e-9);
    CHECK(skewed.experts_touched(24) < m.experts_touched(24));
    CHECK(skewed.experts_touched(24) > skewed.experts_touched(4));
}

TEST_CASE("cost_model: a decode step costs more with longer context and a bigger batch") {
    const emu::cost_model m(emu::builtin_profile());
    double previous = 0.0;
    for (std::uint64_t context : {1u, 1024u, 8192u, 32768u, 131072u, 200000u}) {
        const emu::step_cost c = decode_batch(m, 1, context);
        CHECK(c.duration_s > previous);
        CHECK(c.duration_s == doctest::Approx(c.overhead_s + c.linear_s + c.attention_s));
        previous = c.duration_s;
    }
    previous = 0.0;
    double previous_per_token = 1.0;
    for (std::uint32_t batch : {1u, 2u, 4u, 8u, 32u, 128u, 256u}) {
        const emu::step_cost c = decode_batch(m, batch, 4096);
        CHECK(c.duration_s > previous);
        CHECK(c.duration_s / batch < previous_per_token); // batching pays
        previous = c.duration_s;
        previous_per_token = c.duration_s / batch;
    }
    // Short-context single-user decode is bound by reading weights, long context by the KV cache.
    const emu::step_cost short_ctx = decode_batch(m, 1, 1024);
    const emu::step_cost long_ctx = decode_batch(m, 1, 200000);
    CHECK(short_ctx.linear_s > short_ctx.attention_s);
    CHECK(long_ctx.kv_bytes == doctest::Approx(200001.0 * 54144.0));
}

TEST_CASE("cost_model: prefill grows with chunk size and superlinearly with context") {
    const emu::cost_model m(emu::builtin_profile());
    CHECK(prefill(m, 0, 2048).duration_s > prefill(m, 0, 1024).duration_s);
    // The same 8192-token chunk costs more the more context it attends to.
    double previous = 0.0;
    for (std::uint64_t cached : {0u, 8192u, 65536u, 190000u}) {
        const double d = prefill(m, cached, 8192).duration_s;
        CHECK(d > previous);
        previous = d;
    }
    // Attention pairs of a chunk: c·p + c(c+1)/2.
    emu::step_work w;
    w.add_prefill_chunk(100, 10);
    CHECK(w.prefill_attention_pairs == doctest::Approx(10.0 * 100 + 55));
    // A whole 200K prompt in 8K chunks costs more than 25 times an 8K prompt.
    double total = 0.0;
    for (std::uint64_t p = 0; p < 200000; p += 8192)
        total += prefill(m, p, std::min<std::uint64_t>(8192, 200000 - p)).duration_s;
    CHECK(total > 25.0 * prefill(m, 0, 8192).duration_s * 2.0);
}

TEST_CASE("cost_model: small steps replay a CUDA graph, large ones pay the eager overhead") {
    const emu::profile p = emu::builtin_profile();
    const emu::cost_model m(p);
    const emu::step_cost graph = prefill(m, 0, p.engine.cuda_graph_max_tokens);
    const emu::step_cost eager = prefill(m, 0, p.engine.cuda_graph_max_tokens + 1);
    CHECK(graph.overhead_s < eager.overhead_s);
    CHECK(m.price(emu::step_work{}).duration_s == 0.0);
}
