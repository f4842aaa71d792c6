#include <llmcap/emulator/profile.hpp>

#include <llmcap/emulator/builtin_profiles.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

namespace emu = llmcap::emulator;

namespace {

// The default profile's JSON with the first occurrence of `from` replaced by `to`.
std::string edited(const std::string& from, const std::string& to) {
    std::string json(emu::builtin_profile_json(emu::default_profile_name));
    const std::size_t at = json.find(from);
    REQUIRE(at != std::string::npos);
    json.replace(at, from.size(), to);
    return json;
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
    CHECK(def.model.attention.kind == emu::attention_kind::mla);
    CHECK(def.gpu.memory_bandwidth_bytes_per_s == 4.8e12);
    CHECK(def.engine.max_num_batched_tokens == 8192);
    CHECK(def.fitted_to.size() > 5);
    CHECK_THROWS_AS((void)emu::builtin_profile("no-such-profile"), std::invalid_argument);
}

TEST_CASE("profile: malformed input is refused with a message naming the field") {
    CHECK(error_of("{not json").rfind("profile: not valid JSON", 0) == 0);
    CHECK(error_of("[1, 2]") == "profile: the document must be a JSON object");
    CHECK(error_of(edited("\"memory_bandwidth_bytes_per_s\": 4.8e12",
                          "\"memory_bandwidth_bytes_per_s\": -1")) ==
          "profile: field \"gpu.memory_bandwidth_bytes_per_s\" must be positive (got -1)");
    CHECK(error_of(edited("\"layers\": 47,", "")) == "profile: field \"model.layers\" is missing");
    CHECK(error_of(edited("\"hidden_size\": 2048", "\"hidden_size\": \"2048\"")) ==
          "profile: field \"model.hidden_size\" must be a whole number");
    CHECK(error_of(edited("\"hidden_size\": 2048", "\"hidden_size\": 20.5")) ==
          "profile: field \"model.hidden_size\" must be a whole number");
    CHECK(error_of(edited("\"max_num_seqs\": 256", "\"max_num_seqs\": -3")) ==
          "profile: field \"engine.max_num_seqs\" must not be negative (got -3)");
    CHECK(error_of(edited("\"weight_bandwidth\": 0.6303", "\"weight_bandwidth\": 1.5")) ==
          "profile: field \"efficiency.weight_bandwidth\" must be in (0, 1] (got 1.5)");
    CHECK(error_of(edited("\"kind\": \"mla\"", "\"kind\": \"sliding\"")) ==
          "profile: field \"model.attention.kind\" must be \"gqa\" or \"mla\" (got \"sliding\")");
    CHECK(error_of(edited("\"gpu\": {", "\"gpu\": 7, \"unused\": {")) ==
          "profile: field \"gpu\" must be an object");
    CHECK(error_of(edited("\"experts_per_token\": 4", "\"experts_per_token\": 65")) ==
          "profile: field \"model.experts_per_token\" must be in [1, model.experts]");
    CHECK(error_of(edited("\"notes\": [", "\"notes\": [3, ")) ==
          "profile: field \"notes\" must be an array of strings");
    CHECK(error_of(edited("\"memory_bytes\": 150.75e9", "\"memory_bytes\": 1e9")) ==
          "profile: field \"engine.kv_cache_tokens\" leaves no room: weights and the activation "
          "reserve exceed usable memory");
}

TEST_CASE("profile: load_profile throws profile_error; load_profile_file names the file") {
    CHECK_THROWS_WITH_AS((void)emu::load_profile(edited("\"name\": \"glm", "\"nom\": \"glm")),
                         "profile: field \"name\" is missing", emu::profile_error);

    const std::filesystem::path dir = std::filesystem::path(LLMCAP_TEST_BINARY_DIR);
    const std::filesystem::path good = dir / "emulator_profile_good.json";
    const std::filesystem::path bad = dir / "emulator_profile_bad.json";
    {
        std::ofstream(good) << emu::builtin_profile_json("glm-4.7-flash-h100-fp8");
        std::ofstream(bad) << edited("\"peak_flops_per_s\": 989e12", "\"peak_flops_per_s\": 0");
    }
    const emu::profile p = emu::load_profile_file(good);
    CHECK(p.name == "glm-4.7-flash-h100-fp8");
    CHECK(p.gpu.attention_peak() == 989e12);
    CHECK_THROWS_WITH_AS((void)emu::load_profile_file(bad),
                         (bad.string() + ": profile: field \"gpu.peak_flops_per_s\" must be "
                                         "positive (got 0)")
                             .c_str(),
                         emu::profile_error);
    CHECK_THROWS_AS((void)emu::load_profile_file(dir / "no-such-profile.json"), emu::profile_error);
    std::filesystem::remove(good);
    std::filesystem::remove(bad);
}

TEST_CASE("profile: a GQA model derives its KV size and FLOPs from heads") {
    emu::profile p = emu::builtin_profile();
    p.model.attention = {};
    p.model.attention.kind = emu::attention_kind::gqa;
    p.model.attention.heads = 32;
    p.model.attention.kv_heads = 8;
    p.model.attention.head_dim = 128;
    p.model.layers = 32;
    p.model.kv_bytes_per_element = 2;
    CHECK(emu::kv_bytes_per_token(p.model) == doctest::Approx(32.0 * 2 * 8 * 128 * 2));
    CHECK(emu::prefill_attention_flops_per_pair(p.model) == doctest::Approx(2.0 * 32 * 256 * 32));
    CHECK(emu::attention_params_per_layer(p.model) ==
          doctest::Approx(2048.0 * 32 * 128 * 2 + 2.0 * 2048 * 8 * 128));
}
