#include <llmcap/emulator/profile.hpp>

#include <llmcap/analysis/catalogue.hpp>
#include <llmcap/analysis/catalogue_json.hpp>
#include <llmcap/analysis/roofline.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

namespace emu = llmcap::emulator;
namespace la = llmcap::analysis;

namespace {

// `json` with the first occurrence of `from` replaced by `to`.
std::string replaced(std::string json, const std::string& from, const std::string& to) {
    const std::size_t at = json.find(from);
    REQUIRE(at != std::string::npos);
    json.replace(at, from.size(), to);
    return json;
}

// The default profile's JSON with its model and GPU written inline, as a user's profile of an
// unlisted model and GPU would be.
std::string inline_profile() {
    std::string json(emu::builtin_profile_json(emu::default_profile_name));
    const std::size_t model = json.find("\"model\": {");
    const std::size_t engine = json.find("\"engine\": {");
    REQUIRE(model != std::string::npos);
    REQUIRE(engine != std::string::npos);
    json.replace(model, engine - model, R"("model": {
    "name": "GLM-4.7-Flash",
    "layers": 47, "dense_layers": 1, "hidden_size": 2048, "vocab_size": 154880,
    "tied_embeddings": false, "dense_intermediate_size": 10240,
    "experts": 64, "experts_per_token": 4, "shared_experts": 1, "expert_intermediate_size": 1536,
    "expert_popularity_skew": 1.5102,
    "attention": { "kind": "mla", "heads": 20, "q_lora_rank": 768, "kv_lora_rank": 512,
                   "qk_nope_head_dim": 192, "qk_rope_head_dim": 64, "v_head_dim": 256 },
    "weight_bytes_per_param": 2, "kv_bytes_per_element": 2, "max_context_tokens": 202752
  },
  "gpu": { "name": "H200 SXM", "memory_bytes": 141e9, "reported_memory_bytes": 150.75e9,
           "memory_bandwidth_bytes_per_s": 4.8e12, "peak_flops_per_s": { "bf16": 989.5e12 } },
  )");
    return json;
}

// `json` with the text from the first `from` through the next `end` replaced by `to`.
std::string replaced_span(std::string json, const std::string& from, const std::string& end,
                          const std::string& to) {
    const std::size_t at = json.find(from);
    REQUIRE(at != std::string::npos);
    const std::size_t stop = json.find(end, at + from.size());
    REQUIRE(stop != std::string::npos);
    json.replace(at, stop + end.size() - at, to);
    return json;
}

// The inline profile with the first occurrence of `from` replaced by `to`.
std::string edited(const std::string& from, const std::string& to) {
    return replaced(inline_profile(), from, to);
}

std::string error_of(const std::string& json) {
    std::string message;
    const std::optional<emu::profile> p = emu::parse_profile(json, message);
    CHECK_FALSE(p.has_value());
    return message;
}

} // namespace

TEST_CASE("profile: every shipped profile parses and names itself") {
    for (const emu::builtin_profile_entry& e : emu::builtin_profiles) {
        std::string message;
        const std::optional<emu::profile> p = emu::parse_profile(e.json, message);
        INFO(message);
        REQUIRE(p.has_value());
        CHECK(message.empty());
        CHECK(p->name == e.name);
        CHECK_FALSE(p->notes.empty());
        CHECK(emu::kv_cache_tokens(*p) > 0);
    }
    const emu::profile def = emu::builtin_profile();
    CHECK(def.name == emu::default_profile_name);
    CHECK(def.model.attention.kind == la::attention_kind::mla);
    CHECK(def.gpu.memory_bandwidth_bytes_per_s == 4.8e12);
    CHECK(def.engine.max_num_batched_tokens == 8192);
    CHECK(def.fitted_to.size() > 5);
    CHECK_THROWS_AS((void)emu::builtin_profile("no-such-profile"), std::invalid_argument);
}

TEST_CASE("profile: engine.enable_prefix_caching is read, true when absent, and checked") {
    const std::string def(emu::builtin_profile_json(emu::default_profile_name));
    const std::string on = "\"enable_prefix_caching\": true";
    CHECK(emu::load_profile(def).engine.enable_prefix_caching);
    CHECK_FALSE(emu::load_profile(replaced(def, on, "\"enable_prefix_caching\": false"))
                    .engine.enable_prefix_caching);
    // Optional: a profile written before the setting existed gets vLLM v1's default.
    CHECK(emu::load_profile(replaced(def, ",\n              " + on, ""))
              .engine.enable_prefix_caching);
    CHECK(error_of(replaced(def, on, "\"enable_prefix_caching\": 1")) ==
          "profile: $.engine.enable_prefix_caching: expected a boolean, got the number 1");
    CHECK(error_of(replaced(def, on, "\"enable_prefix_caching\": \"yes\"")) ==
          "profile: $.engine.enable_prefix_caching: expected a boolean, got a string");
}

TEST_CASE("profile: malformed input is refused with a message naming the JSONPath") {
    CHECK(error_of("{not json").rfind("profile: syntax error at byte ", 0) == 0);
    CHECK(error_of("[1, 2]") == "profile: $: expected an object, got an array");
    CHECK(error_of(edited("\"memory_bandwidth_bytes_per_s\": 4.8e12",
                          "\"memory_bandwidth_bytes_per_s\": -1")) ==
          "profile: $.gpu.memory_bandwidth_bytes_per_s: must be positive (got -1)");
    CHECK(error_of(edited("\"memory_bandwidth_bytes_per_s\": 4.8e12",
                          "\"memory_bandwidth_bytes_per_s\": null")) ==
          "profile: $.gpu.memory_bandwidth_bytes_per_s: expected a number, got null");
    CHECK(error_of(edited("\"layers\": 47,", "")) == "profile: $.model.layers: missing");
    CHECK(error_of(edited("\"hidden_size\": 2048", "\"hidden_size\": \"2048\"")) ==
          "profile: $.model.hidden_size: expected a non-negative integer, got a string");
    CHECK(error_of(edited("\"hidden_size\": 2048", "\"hidden_size\": 20.5")) ==
          "profile: $.model.hidden_size: expected a non-negative integer, got the number "
          "20.500000");
    CHECK(error_of(edited("\"max_num_seqs\": 256", "\"max_num_seqs\": -3")) ==
          "profile: $.engine.max_num_seqs: expected a non-negative integer, got the number -3");
    CHECK(error_of(edited("\"max_num_seqs\": 256", "\"max_num_seqs\": 0")) ==
          "profile: $.engine.max_num_seqs: must be positive (got 0)");
    CHECK(error_of(edited("\"weight_bandwidth\": 0.6303", "\"weight_bandwidth\": 1.5")) ==
          "profile: $.efficiency.weight_bandwidth: must be in (0, 1] (got 1.5)");
    CHECK(error_of(edited("\"header_delay_s\": 0.0005", "\"header_delay_s\": -0.5")) ==
          "profile: $.frontend.header_delay_s: must not be negative (got -0.5)");
    CHECK(error_of(edited("\"kind\": \"mla\"", "\"kind\": \"sliding\"")) ==
          "profile: $.model.attention.kind: must be \"gqa\" or \"mla\" (got \"sliding\")");
    CHECK(error_of(edited("\"experts_per_token\": 4", "\"experts_per_token\": 65")) ==
          "profile: $.model.experts_per_token: must be in [1, experts]");
    CHECK(error_of(edited("\"notes\": [", "\"notes\": [3, ")) ==
          "profile: $.notes[0]: expected a string, got the number 3");
    CHECK(
        error_of(replaced_span(inline_profile(), "\"fitted_to\": [", "],", "\"fitted_to\": 3,")) ==
        "profile: $.fitted_to: expected an array, got a number");
    CHECK(
        error_of(edited("\"reported_memory_bytes\": 150.75e9", "\"reported_memory_bytes\": 1e9")) ==
        "profile: $.engine.kv_cache_tokens: leaves no room: weights and the activation "
        "reserve exceed usable memory");
    // Sections are required objects, and a misspelt field is never ignored.
    CHECK(error_of(edited("\"engine\": {", "\"engine\": 1, \"x\": {")) ==
          "profile: $.x: unknown field (expected name, description, notes, fitted_to, model, "
          "gpu, engine, efficiency, frontend)");
    CHECK(error_of(edited("\"frontend\": {", "\"frontend\": [], \"unused\": {"))
              .rfind("profile: $.unused: unknown field", 0) == 0);
    CHECK(error_of(edited("\"max_num_seqs\": 256", "\"max_num_seq\": 256")) ==
          "profile: $.engine.max_num_seq: unknown field (expected max_num_batched_tokens, "
          "max_num_seqs, block_size, gpu_memory_utilization, activation_reserve_bytes, "
          "kv_cache_tokens, cuda_graph_max_tokens, enable_prefix_caching)");
    const std::string def(emu::builtin_profile_json(emu::default_profile_name));
    CHECK(error_of(replaced(def, "\"efficiency\": {", "\"efficienc\": {"))
              .rfind("profile: $.efficienc: unknown field", 0) == 0);
    CHECK(error_of(replaced(def, "\"gpu\": \"H200 SXM\"", "\"gpu\": 7")) ==
          "profile: $.gpu: expected a catalogue name or an object, got a number");
}

TEST_CASE("profile: sections must be objects; a missing one is named") {
    const std::string def(emu::builtin_profile_json(emu::default_profile_name));
    const std::size_t at = def.find("\"frontend\": {");
    REQUIRE(at != std::string::npos);
    // Drop the frontend section: "efficiency": {...}  }
    std::string without = def.substr(0, at);
    without.erase(without.find_last_of(','));
    without += "}";
    CHECK(error_of(without) == "profile: $.frontend: missing");
    CHECK(error_of(replaced_span(def, "\"engine\": {", "},", "\"engine\": [],")) ==
          "profile: $.engine: expected an object, got an array");
}

TEST_CASE("profile: profile_from_json returns the json_error; profiles read exactly") {
    const llmcap::json_result<emu::profile> bad = emu::profile_from_json(
        replaced(std::string(emu::builtin_profile_json(emu::default_profile_name)),
                 "\"kv_bandwidth\": 0.8961", "\"kv_bandwidth\": 0"));
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().subject == "profile");
    CHECK(bad.error().path == "$.efficiency.kv_bandwidth");
    CHECK(bad.error().what == "must be in (0, 1] (got 0)");
    const llmcap::json_result<emu::profile> good =
        emu::profile_from_json(emu::builtin_profile_json(emu::default_profile_name));
    REQUIRE(good.has_value());
    // Seventeen significant digits, read to the bit (parse_json).
    CHECK(good->efficiency.linear_compute == 0.4524712481051036);
    CHECK(good->efficiency.attention_compute == 0.5261340070742799);
    CHECK(good->frontend.tokenize_s_per_token == 2.29e-6);
}

TEST_CASE("profile: load_profile throws profile_error; load_profile_file names the file") {
    CHECK_THROWS_WITH_AS(
        (void)emu::load_profile(edited("\"name\": \"glm-4.7-flash-h200-bf16\",", "")),
        "profile: $.name: missing", emu::profile_error);

    const std::filesystem::path dir = std::filesystem::path(LLMCAP_TEST_BINARY_DIR);
    const std::filesystem::path good = dir / "emulator_profile_good.json";
    const std::filesystem::path bad = dir / "emulator_profile_bad.json";
    {
        std::ofstream(good) << emu::builtin_profile_json("glm-4.7-flash-h100-fp8");
        std::ofstream(bad) << edited("{ \"bf16\": 989.5e12 }", "{ \"bf16\": 0 }");
    }
    const emu::profile p = emu::load_profile_file(good);
    CHECK(p.name == "glm-4.7-flash-h100-fp8");
    CHECK(emu::linear_peak_flops_per_s(p) == 1979e12);     // FP8 linear layers
    CHECK(emu::attention_peak_flops_per_s(p) == 989.5e12); // BF16 attention
    CHECK_THROWS_WITH_AS(
        (void)emu::load_profile_file(bad),
        (bad.string() + ": profile: $.gpu.peak_flops_per_s.bf16: must be positive (got 0)").c_str(),
        emu::profile_error);
    try {
        (void)emu::load_profile_file(bad);
        FAIL("no profile_error");
    } catch (const emu::profile_error& e) {
        REQUIRE(e.error() != nullptr);
        CHECK(e.error()->subject == bad.string() + ": profile");
        CHECK(e.error()->path == "$.gpu.peak_flops_per_s.bf16");
    }
    CHECK_THROWS_WITH_AS(
        (void)emu::load_profile_file(dir / "no-such-profile.json"),
        ("profile: cannot open " + (dir / "no-such-profile.json").string()).c_str(),
        emu::profile_error);
    std::filesystem::remove(good);
    std::filesystem::remove(bad);
}

TEST_CASE("profile: a GQA model derives its KV size and FLOPs from heads") {
    emu::profile p = emu::builtin_profile();
    p.model.attention = {};
    p.model.attention.kind = la::attention_kind::gqa;
    p.model.attention.heads = 32;
    p.model.attention.kv_heads = 8;
    p.model.attention.head_dim = 128;
    p.model.layers = 32;
    p.model.kv_bytes_per_element = 2;
    CHECK(la::kv_bytes_per_token(p.model) == doctest::Approx(32.0 * 2 * 8 * 128 * 2));
    CHECK(la::prefill_attention_flops_per_pair(p.model) == doctest::Approx(2.0 * 32 * 256 * 32));
    CHECK(la::attention_params_per_layer(p.model) ==
          doctest::Approx(2048.0 * 32 * 128 * 2 + 2.0 * 2048 * 8 * 128));
}

TEST_CASE("profile: the model and GPU are the catalogue's, described once") {
    const la::catalogue c = la::builtin_catalogue();
    const emu::profile h200 = emu::builtin_profile("glm-4.7-flash-h200-bf16");
    // The H200's figures come from the one catalogue entry the roofline reads too.
    const la::gpu_spec& g = *c.find_gpu("H200 SXM");
    CHECK(h200.gpu.name == g.name);
    CHECK(h200.gpu.memory_bandwidth_bytes_per_s == g.memory_bandwidth_bytes_per_s);
    CHECK(h200.gpu.device_memory_bytes() == g.device_memory_bytes());
    CHECK(emu::linear_peak_flops_per_s(h200) == g.peak(la::precision::bf16));
    CHECK(emu::attention_peak_flops_per_s(h200) == g.peak(la::precision::bf16));
    // The model is the catalogue's, with the fitted routing skew and its source.
    CHECK(h200.model.name == "GLM-4.7-Flash");
    CHECK(la::total_params(h200.model) == la::total_params(*c.find_model("GLM-4.7-Flash")));
    CHECK(h200.model.expert_popularity_skew == 1.5102);
    CHECK(h200.model.source_of("expert_popularity_skew").find("fit_profile") != std::string::npos);
    CHECK(h200.model.source_of("layers") == c.find_model("GLM-4.7-Flash")->source);
    // The fit's rates against 989 TFLOP/s, restated against the catalogue's 989.5, to the bit.
    CHECK(emu::linear_peak_flops_per_s(h200) * h200.efficiency.linear_compute == 989e12 * 0.4527);
    CHECK(emu::attention_peak_flops_per_s(h200) * h200.efficiency.attention_compute ==
          989e12 * 0.5264);
    // 1.33M tokens of KV cache, as before the catalogue.
    CHECK(emu::kv_cache_tokens(h200) == 1'325'872);

    const emu::profile h100 = emu::builtin_profile("glm-4.7-flash-h100-fp8");
    CHECK(h100.gpu.name == "H100 SXM");
    CHECK(h100.model.name == "GLM-4.7-Flash-FP8");
    CHECK(h100.model.weight_bytes_per_param == 1.0);
    CHECK(h100.model.linear_precision == la::precision::fp8);
    CHECK(h100.model.source_of("weight_bytes_per_param").find("FP8") != std::string::npos);
    CHECK(emu::kv_cache_tokens(h100) == 794'624);
}

TEST_CASE("profile: a GPU added from a catalogue file serves a profile and the roofline") {
    const la::catalogue c = la::load_catalogue_file(
        std::filesystem::path(LLMCAP_TEST_FIXTURES_DIR) / "catalogue" / "example.json");
    const std::string json =
        replaced(std::string(emu::builtin_profile_json(emu::default_profile_name)),
                 "\"gpu\": \"H200 SXM\"", "\"gpu\": \"MI300X\"");
    std::string message;
    CHECK_FALSE(emu::parse_profile(json, message).has_value()); // not in the built-in catalogue
    CHECK(message == "profile: $.gpu: names no GPU of the catalogue (got \"MI300X\"; "
                     "known: H100 SXM, H200 SXM, B200)");
    const std::optional<emu::profile> p = emu::parse_profile(json, message, c);
    INFO(message);
    REQUIRE(p.has_value());
    CHECK(p->gpu.memory_bandwidth_bytes_per_s == 5.3e12);
    CHECK(emu::linear_peak_flops_per_s(*p) == 1307.4e12);
    // 90% of 192 GB less the weights and 4 GB of reserve, in 16-token blocks.
    const double free_bytes = 192e9 * 0.9 - 59'886'781'952.0 - 4e9;
    CHECK(emu::kv_cache_tokens(*p) == static_cast<std::uint64_t>(free_bytes / 54'144.0 / 16) * 16);
    // The roofline reads the same entry.
    CHECK(la::decode_bound(p->model, p->gpu, 1024.0).tokens_per_s ==
          doctest::Approx(5.3e12 / 7'214'581'248.0));
    CHECK(la::decode_bound(p->model, p->gpu, 1024.0).tokens_per_s ==
          la::decode_bound(*c.find_model("GLM-4.7-Flash"), *c.find_gpu("MI300X"), 1024.0)
              .tokens_per_s);
}

TEST_CASE("profile: catalogue references and inline entries are checked") {
    const std::string def(emu::builtin_profile_json(emu::default_profile_name));
    CHECK(error_of(replaced(def, "\"base\": \"GLM-4.7-Flash\"", "\"base\": \"GLM-5\"")) ==
          "profile: $.model.base: names no model of the catalogue (got \"GLM-5\"; known: "
          "GLM-4.7-Flash)");
    CHECK(error_of(replaced(def, "\"expert_popularity_skew\": 1.5102",
                            "\"expert_popularity_skew\": -1")) ==
          "profile: $.model.expert_popularity_skew: must not be negative (got -1)");
    CHECK(error_of(replaced(def, "\"gpu\": \"H200 SXM\"",
                            "\"gpu\": {\"base\": \"H200 SXM\", "
                            "\"peak_flops_per_s\": 989e12}")) ==
          "profile: $.gpu.peak_flops_per_s: must be an object of dense peak FLOP/s by "
          "precision, e.g. {\"bf16\": 989.5e12}");
    CHECK(error_of(replaced(def, "\"gpu\": \"H200 SXM\"",
                            "\"gpu\": {\"base\": \"H200 SXM\", "
                            "\"attention_peak_flops_per_s\": 989e12}")) ==
          "profile: $.gpu.attention_peak_flops_per_s: unknown field (expected name, base, "
          "display_name, memory_bytes, reported_memory_bytes, memory_bandwidth_bytes_per_s, "
          "peak_flops_per_s, source, sources)");
    // A GPU without a peak at the model's precision cannot price it.
    const std::string fp8(emu::builtin_profile_json("glm-4.7-flash-h100-fp8"));
    CHECK(error_of(replaced(fp8, "\"gpu\": \"H100 SXM\"",
                            "\"gpu\": {\"name\": \"Old\", \"memory_bytes\": 80e9, "
                            "\"memory_bandwidth_bytes_per_s\": 2e12, "
                            "\"peak_flops_per_s\": {\"bf16\": 312e12}}")) ==
          "profile: $.gpu.peak_flops_per_s: has no \"fp8\" entry, which "
          "$.model.linear_precision needs");
    // The inline form reads back the same profile as the catalogue names.
    const emu::profile a = emu::load_profile(inline_profile());
    const emu::profile b = emu::builtin_profile();
    CHECK(la::total_params(a.model) == la::total_params(b.model));
    CHECK(emu::kv_cache_tokens(a) == emu::kv_cache_tokens(b));
    CHECK(a.gpu.source_of("memory_bytes") == "profile glm-4.7-flash-h200-bf16");
}
