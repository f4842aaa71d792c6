// Fuzzes the readers of the emulator's configuration files: profiles
// (emulator::profile_from_json, include/llmcap/emulator/profile.hpp, with "enable_prefix_caching")
// and catalogues of GPUs and models (analysis::catalogue_from_json, catalogue_json.hpp), which
// --profile-file and --catalogue-file read.
// Checks: no crash, and no allocation the limits do not bound; a failure is about "profile" or
// "catalogue" and names a JSONPath; a profile read gives the emulator something to run: its cost
// model prices a decode step, a prefill chunk and a mixed step at finite, positive durations,
// and the KV cache holds at least one block; a catalogue read still holds the built-in entries
// it did not replace.
// Input layout: byte 0 picks the reader (even: profile, odd: catalogue), then the JSON text.
#include <llmcap/analysis/catalogue_json.hpp>
#include <llmcap/emulator/cost_model.hpp>
#include <llmcap/emulator/profile.hpp>

#include "fuzz_check.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

bool finite_positive(double x) {
    return std::isfinite(x) && x > 0.0;
}

void check_profile(std::string_view text) {
    using namespace llmcap::emulator;
    const llmcap::json_result<profile> p = profile_from_json(text);
    if (!p) {
        FUZZ_CHECK(p.error().message().rfind("profile: ", 0) == 0, "an error about something else");
        return;
    }
    FUZZ_CHECK(kv_cache_tokens(*p) >= p->engine.block_size, "a KV cache without one block");
    const cost_model m(*p);
    step_work decode;
    decode.add_decode(100);
    step_work prefill;
    prefill.add_prefill_chunk(0, 64);
    ++prefill.sampled_sequences;
    step_work mixed = decode;
    mixed.add_prefill_chunk(32, 16);
    for (const step_work& w : {decode, prefill, mixed}) {
        const step_cost c = m.price(w);
        FUZZ_CHECK(finite_positive(c.duration_s),
                   "a step that does not take a finite, positive time");
        FUZZ_CHECK(std::isfinite(c.linear_s) && std::isfinite(c.attention_s) &&
                       std::isfinite(c.overhead_s),
                   "a step part that is not finite");
    }
}

void check_catalogue(std::string_view text) {
    using namespace llmcap::analysis;
    const catalogue& builtin = builtin_catalogue();
    const llmcap::json_result<catalogue> c = catalogue_from_json(text, builtin, "fuzz");
    if (!c) {
        FUZZ_CHECK(c.error().message().rfind("catalogue: ", 0) == 0,
                   "an error about something else");
        return;
    }
    FUZZ_CHECK(c->gpus().size() >= builtin.gpus().size() &&
                   c->models().size() >= builtin.models().size(),
               "a catalogue lost built-in entries");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] % 2 == 0)
        check_profile(text);
    else
        check_catalogue(text);
    return 0;
}
