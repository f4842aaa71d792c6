#include <llmcap/emulator/calibration.hpp>

#include <llmcap/emulator/builtin_profiles.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace emu = llmcap::emulator;

TEST_CASE("calibration: glm-4.7-flash-h200-bf16 reproduces the reference report's figures") {
    // Every row within ±25%, and three quarters of them within ±15%, in virtual time.
    const emu::profile p = emu::builtin_profile("glm-4.7-flash-h200-bf16");
    const std::vector<emu::calibration_row> rows =
        emu::evaluate_calibration(p, emu::glm_4_7_flash_h200_targets);
    REQUIRE(rows.size() == std::size(emu::glm_4_7_flash_h200_targets));
    std::size_t within_15 = 0;
    for (const emu::calibration_row& r : rows) {
        INFO(r.target.prompt_tokens << " prompt, " << r.target.output_tokens
                                    << " output, c=" << r.target.concurrency << ", "
                                    << std::string(emu::metric_name(r.target.metric)) << ": target "
                                    << r.target.value << ", emulated " << r.emulated);
        CHECK(std::abs(r.relative_error()) <= 0.25);
        if (std::abs(r.relative_error()) <= 0.15)
            ++within_15;
    }
    CHECK(4 * within_15 >= 3 * rows.size());
}

TEST_CASE("calibration: the FP8 H100 profile follows from the same model") {
    const emu::profile h200 = emu::builtin_profile("glm-4.7-flash-h200-bf16");
    const emu::profile h100 = emu::builtin_profile("glm-4.7-flash-h100-fp8");
    const emu::calibration_target cells[] = {
        {1024, 1024, 1, emu::calibration_metric::per_user_tokens_per_s, 1.0},
        {200000, 1024, 1, emu::calibration_metric::per_user_tokens_per_s, 1.0},
    };
    const std::vector<emu::calibration_row> a = emu::evaluate_calibration(h200, cells);
    const std::vector<emu::calibration_row> b = emu::evaluate_calibration(h100, cells);
    // Half the weight bytes beat 70% of the bandwidth at short context ...
    CHECK(b[0].emulated > a[0].emulated);
    // ... but the BF16 KV cache read at 70% of the bandwidth loses at 200K.
    CHECK(b[1].emulated < a[1].emulated);
    // Four 200K requests no longer fit the smaller cache: some are preempted there.
    CHECK(emu::kv_cache_tokens(h100) < 4 * 201024);
    CHECK(emu::kv_cache_tokens(h200) > 4 * 201024);
    const auto preemptions = [](const emu::profile& p) {
        emu::virtual_cell c{.prompt_tokens = 200000, .output_tokens = 1024, .concurrency = 4};
        c.stop.requests = 4;
        std::size_t n = 0;
        for (const emu::request_truth& t : emu::run_virtual_cell(p, c).truths)
            n += t.preemptions.size();
        return n;
    };
    CHECK(preemptions(h200) == 0);
    CHECK(preemptions(h100) > 0);
}

TEST_CASE("calibration: fit_profile recovers from perturbed efficiency factors") {
    // A few cells are enough to pull a perturbed profile back towards its targets.
    const emu::calibration_target targets[] = {
        {1024, 1024, 1, emu::calibration_metric::ttft_s, 0.066},
        {1024, 128, 1, emu::calibration_metric::e2e_s, 0.717},
        {8192, 1024, 1, emu::calibration_metric::prefill_tokens_per_s, 33639.0},
    };
    const emu::calibration_options quick{.measured_waves = 1};
    emu::profile start = emu::builtin_profile();
    start.efficiency.weight_bandwidth = 0.15;
    start.efficiency.linear_compute = 0.15;
    start.efficiency.eager_step_overhead_s = 0.1;
    const double before = emu::calibration_misfit(emu::evaluate_calibration(start, targets, quick));
    const emu::profile fitted = emu::fit_profile(start, targets, quick, 60);
    const double after = emu::calibration_misfit(emu::evaluate_calibration(fitted, targets, quick));
    CHECK(after < before / 4.0);
    CHECK(fitted.model.layers == start.model.layers); // architecture untouched
}
