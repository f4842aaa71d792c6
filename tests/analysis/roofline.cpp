#include <llmcap/analysis/known_hardware.hpp>
#include <llmcap/analysis/roofline.hpp>

#include <doctest/doctest.h>

namespace la = llmcap::analysis;

namespace {

// Round numbers: 1e9 active of 5e9 parameters in BF16, 10 layers, 1e5 KV bytes per token,
// attention width 1000; a GPU with 1e12 B/s, 1e15 FLOP/s, 80 GB.
la::model_description toy_model() {
    return {.name = "toy",
            .total_parameters = 5e9,
            .active_parameters = 1e9,
            .bytes_per_parameter = 2.0,
            .layers = 10,
            .kv_cache_bytes_per_token = 1e5,
            .attention_width = 1000.0};
}

la::gpu_description toy_gpu() {
    return {.name = "toy",
            .memory_bandwidth_bytes_per_s = 1e12,
            .peak_flops_per_s = 1e15,
            .memory_bytes = 80e9};
}

} // namespace

TEST_CASE("roofline: decode bound by hand") {
    // L = 0: 2e9 bytes / 1e12 = 2 ms → 500 tokens/s; 2e9 FLOPs / 1e15 = 2 µs.
    const la::roofline_bound b0 = la::decode_bound(toy_model(), toy_gpu(), 0.0);
    CHECK(b0.tokens_per_s == doctest::Approx(500.0));
    CHECK(b0.memory_time_s == doctest::Approx(2e-3));
    CHECK(b0.compute_time_s == doctest::Approx(2e-6));
    CHECK(b0.memory_bound());
    // L = 10,000: + 1e9 KV bytes → 3 ms → 333.3; FLOPs 2e9 + 2·10·1000·1e4 = 2.2e9.
    const la::roofline_bound b1 = la::decode_bound(toy_model(), toy_gpu(), 10000.0);
    CHECK(b1.tokens_per_s == doctest::Approx(1000.0 / 3.0));
    CHECK(b1.compute_time_s == doctest::Approx(2.2e-6));
    // 4 users at 10,000: 2e9 + 4e9 bytes → 6 ms → 166.7 per user.
    CHECK(la::decode_bound(toy_model(), toy_gpu(), 10000.0, 4).tokens_per_s ==
          doctest::Approx(1000.0 / 6.0));
}

TEST_CASE("roofline: prefill bound by hand") {
    // L = 10,000: FLOPs 2·1e9·1e4 + 10·1000·1e4·10001 = 2.10001e13 → 21.0001 ms (compute);
    // bytes 2e9 + 1e9 → 3 ms. Speed 1e4 / 0.0210001 = 476,188.2 tokens/s.
    const la::roofline_bound b = la::prefill_bound(toy_model(), toy_gpu(), 10000.0);
    CHECK(b.compute_time_s == doctest::Approx(0.0210001));
    CHECK(b.memory_time_s == doctest::Approx(3e-3));
    CHECK_FALSE(b.memory_bound());
    CHECK(b.tokens_per_s == doctest::Approx(1e4 / 0.0210001));
}

TEST_CASE("roofline: memory, claims and cell fractions") {
    // Weights 1e10 bytes; 7e10 free / 1e5 = 700,000 tokens of KV cache.
    CHECK(la::weight_bytes(toy_model()) == doctest::Approx(1e10));
    CHECK(la::kv_cache_capacity_tokens(toy_model(), toy_gpu()) == doctest::Approx(7e5));
    la::gpu_description small = toy_gpu();
    small.memory_bytes = 5e9;
    CHECK(la::kv_cache_capacity_tokens(toy_model(), small) == 0.0);

    const la::claim_check yes = la::check_claim(toy_model(), toy_gpu(), 400.0);
    CHECK(yes.possible);
    CHECK(yes.bound_tokens_per_s == doctest::Approx(500.0));
    CHECK(yes.fraction_of_bound == doctest::Approx(0.8));
    const la::claim_check no = la::check_claim(toy_model(), toy_gpu(), 400.0, 10000.0);
    CHECK_FALSE(no.possible);
    CHECK(no.fraction_of_bound == doctest::Approx(1.2));

    la::cell_summary cell;
    cell.context_tokens = 10000;
    cell.concurrency = 4;
    cell.set(la::metric::generation_speed, la::statistic::mean, 50.0);
    cell.set(la::metric::prefill_speed_lower_bound, la::statistic::mean, 47618.82);
    const la::cell_roofline r = la::roofline_of(cell, toy_model(), toy_gpu());
    CHECK(*r.decode_fraction == doctest::Approx(50.0 / (1000.0 / 6.0))); // 0.3
    CHECK_FALSE(r.prefill_fraction);
    CHECK(*r.prefill_lower_bound_fraction == doctest::Approx(0.1).epsilon(1e-6));
}

TEST_CASE("roofline: GLM-4.7-Flash on the shipped GPUs") {
    const la::model_description glm = la::glm_4_7_flash_bf16();
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
