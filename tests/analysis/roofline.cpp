#include <llmcap/analysis/roofline.hpp>

#include <llmcap/analysis/catalogue.hpp>

#include <doctest/doctest.h>

namespace la = llmcap::analysis;

namespace {

// A dense model with round dimensions: 10 layers, hidden 1000, 10 heads of 100 with 10 KV heads,
// MLP 4000, vocabulary 10,000 with tied embeddings, BF16. Per layer: attention 4 · 1000² = 4e6,
// MLP 3 · 1000 · 4000 = 1.2e7; output head 1e7; norms 10 · 2 · 1000 + 1000 = 21,000. So
// A = 10 · 1.6e7 + 1e7 + 21,000 = 170,021,000 active (and total) parameters, K = 2 · 10 · 100 ·
// 10 · 2 = 40,000 KV bytes per token, W = 10 · 200 = 2,000. A GPU with 1e12 B/s, 1e15 FLOP/s
// BF16, 80 GB.
constexpr double toy_active = 170'021'000.0;
constexpr double toy_kv = 40'000.0;
constexpr double toy_width = 2'000.0;

la::model_spec toy_model() {
    la::model_spec m;
    m.name = "toy";
    m.layers = 10;
    m.hidden_size = 1000;
    m.vocab_size = 10'000;
    m.tied_embeddings = true;
    m.dense_intermediate_size = 4000;
    m.attention = {.kind = la::attention_kind::gqa, .heads = 10, .kv_heads = 10, .head_dim = 100};
    m.max_context_tokens = 100'000;
    return m;
}

la::gpu_spec toy_gpu() {
    la::gpu_spec g;
    g.name = "toy";
    g.memory_bandwidth_bytes_per_s = 1e12;
    g.set_peak(la::precision::bf16, 1e15);
    g.memory_bytes = 80e9;
    return g;
}

} // namespace

TEST_CASE("roofline: the toy model's figures by hand") {
    CHECK(la::active_params_per_token(toy_model()) == toy_active);
    CHECK(la::total_params(toy_model()) == toy_active);
    CHECK(la::kv_bytes_per_token(toy_model()) == toy_kv);
    CHECK(la::attention_width(toy_model()) == toy_width);
    CHECK(la::peak_flops(toy_gpu(), toy_model()) == 1e15);
}

TEST_CASE("roofline: decode bound by hand") {
    // L = 0: 2A bytes / 1e12 = 0.340042 ms → 2,940.8 tokens/s; 2A FLOPs / 1e15 = 0.34 µs.
    const la::roofline_bound b0 = la::decode_bound(toy_model(), toy_gpu(), 0.0);
    CHECK(b0.tokens_per_s == doctest::Approx(1e12 / (2.0 * toy_active)));
    CHECK(b0.memory_time_s == doctest::Approx(2.0 * toy_active / 1e12));
    CHECK(b0.compute_time_s == doctest::Approx(2.0 * toy_active / 1e15));
    CHECK(b0.memory_bound());
    // L = 10,000: + 1e4 · K = 4e8 KV bytes; FLOPs 2A + 2 · 10 · W · 1e4 = 2A + 4e8.
    const la::roofline_bound b1 = la::decode_bound(toy_model(), toy_gpu(), 10000.0);
    CHECK(b1.tokens_per_s == doctest::Approx(1e12 / (2.0 * toy_active + 4e8)));
    CHECK(b1.compute_time_s == doctest::Approx((2.0 * toy_active + 4e8) / 1e15));
    // 4 users at 10,000: 2A + 4 · 4e8 bytes.
    CHECK(la::decode_bound(toy_model(), toy_gpu(), 10000.0, 4).tokens_per_s ==
          doctest::Approx(1e12 / (2.0 * toy_active + 1.6e9)));
}

TEST_CASE("roofline: prefill bound by hand") {
    // L = 10,000: FLOPs 2A · 1e4 + 10 · W · 1e4 · 10001 = 3.40042e12 + 2.0002e12 (compute,
    // 5.40062 ms); bytes 2A + 4e8 (0.740042 ms).
    const double flops = 2.0 * toy_active * 1e4 + 10.0 * toy_width * 1e4 * 10001.0;
    const la::roofline_bound b = la::prefill_bound(toy_model(), toy_gpu(), 10000.0);
    CHECK(b.compute_time_s == doctest::Approx(flops / 1e15));
    CHECK(b.memory_time_s == doctest::Approx((2.0 * toy_active + 4e8) / 1e12));
    CHECK_FALSE(b.memory_bound());
    CHECK(b.tokens_per_s == doctest::Approx(1e4 / (flops / 1e15)));
}

TEST_CASE("roofline: memory, claims and cell fractions") {
    // Weights 2A bytes; (80e9 − 2A) / K tokens of KV cache.
    CHECK(la::weight_bytes(toy_model()) == doctest::Approx(2.0 * toy_active));
    CHECK(la::kv_cache_capacity_tokens(toy_model(), toy_gpu()) ==
          doctest::Approx((80e9 - 2.0 * toy_active) / toy_kv));
    la::gpu_spec small = toy_gpu();
    small.memory_bytes = 3e8;
    CHECK(la::kv_cache_capacity_tokens(toy_model(), small) == 0.0);

    const double bound0 = 1e12 / (2.0 * toy_active);
    const la::claim_check yes = la::check_claim(toy_model(), toy_gpu(), 0.8 * bound0);
    CHECK(yes.possible);
    CHECK(yes.bound_tokens_per_s == doctest::Approx(bound0));
    CHECK(yes.fraction_of_bound == doctest::Approx(0.8));
    const double bound1 = 1e12 / (2.0 * toy_active + 4e8);
    const la::claim_check no = la::check_claim(toy_model(), toy_gpu(), 1.2 * bound1, 10000.0);
    CHECK_FALSE(no.possible);
    CHECK(no.fraction_of_bound == doctest::Approx(1.2));

    la::cell_summary cell;
    cell.context_tokens = 10000;
    cell.concurrency = 4;
    const double decode4 = 1e12 / (2.0 * toy_active + 1.6e9);
    const double prefill =
        1e4 / ((2.0 * toy_active * 1e4 + 10.0 * toy_width * 1e4 * 10001.0) / 1e15);
    cell.set(la::metric::generation_speed, la::statistic::mean, 0.3 * decode4);
    cell.set(la::metric::prefill_speed_lower_bound, la::statistic::mean, 0.1 * prefill);
    const la::cell_roofline r = la::roofline_of(cell, toy_model(), toy_gpu());
    CHECK(*r.decode_fraction == doctest::Approx(0.3));
    CHECK_FALSE(r.prefill_fraction);
    CHECK(*r.prefill_lower_bound_fraction == doctest::Approx(0.1).epsilon(1e-6));
}

TEST_CASE("roofline: the peak counted is the GPU's at the model's linear precision") {
    la::model_spec fp8 = toy_model();
    fp8.linear_precision = la::precision::fp8;
    la::gpu_spec g = toy_gpu();
    // No FP8 peak listed: the bound ignores compute and stays a (looser) upper bound.
    CHECK(la::peak_flops(g, fp8) == 0.0);
    CHECK(la::prefill_bound(fp8, g, 10000.0).compute_time_s == 0.0);
    CHECK(la::prefill_bound(fp8, g, 10000.0).memory_bound());
    g.set_peak(la::precision::fp8, 2e15);
    const double flops = 2.0 * toy_active * 1e4 + 10.0 * toy_width * 1e4 * 10001.0;
    CHECK(la::prefill_bound(fp8, g, 10000.0).compute_time_s == doctest::Approx(flops / 2e15));
}

TEST_CASE("roofline: GLM-4.7-Flash on the shipped GPUs") {
    const la::model_spec glm = la::glm_4_7_flash_bf16();
    // Single user at 1K on an H200: (2 · 3,579,568,896 + 1024 · 54,144) bytes / 4.8e12 B/s
    // = 1.50304 ms → 665.3 tokens/s. The reference report measured 196.7 tokens/s: 29.6%.
    const la::roofline_bound h200 = la::decode_bound(glm, la::nvidia_h200_sxm(), 1024.0);
    CHECK(h200.tokens_per_s == doctest::Approx(4.8e12 / 7'214'581'248.0));
    CHECK(196.7 / h200.tokens_per_s == doctest::Approx(0.2957).epsilon(1e-3));
    // A claim of 1,000 tokens/s for one user is beyond any of the three GPUs except B200.
    CHECK_FALSE(la::check_claim(glm, la::nvidia_h100_sxm(), 1000.0).possible);
    CHECK_FALSE(la::check_claim(glm, la::nvidia_h200_sxm(), 1000.0).possible);
    CHECK(la::check_claim(glm, la::nvidia_b200(), 1000.0).possible); // bound 1,117.4
    // The BF16 weights (59.9 GB) fit on all three.
    CHECK(la::weight_bytes(glm) == doctest::Approx(59'886'781'952.0));
    CHECK(la::kv_cache_capacity_tokens(glm, la::nvidia_h100_sxm()) > 0.0);
}
