#include <llmcap/analysis/catalogue_json.hpp>

#include <llmcap/analysis/catalogue.hpp>
#include <llmcap/analysis/roofline.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace la = llmcap::analysis;

namespace {

const std::filesystem::path example_file =
    std::filesystem::path(LLMCAP_TEST_FIXTURES_DIR) / "catalogue" / "example.json";

// A catalogue document with one GPU entry of the given fields.
std::string one_gpu(const std::string& fields) {
    return R"({"gpus": [{"name": "X1", )" + fields + "}]}";
}

constexpr const char* good_gpu = R"("memory_bytes": 96e9, "memory_bandwidth_bytes_per_s": 4e12,
                                     "peak_flops_per_s": {"bf16": 1e15})";

// A catalogue document with one model entry of the given fields after a valid dense core.
std::string one_model(const std::string& extra) {
    return R"({"models": [{"name": "M1", "layers": 4, "hidden_size": 256, "vocab_size": 1000,
               "dense_intermediate_size": 1024, "max_context_tokens": 4096,
               "attention": {"kind": "gqa", "heads": 4, "kv_heads": 2, "head_dim": 64})" +
           extra + "}]}";
}

std::string error_of(const std::string& json) {
    la::catalogue c = la::builtin_catalogue();
    std::string message;
    CHECK_FALSE(la::read_catalogue(json, c, message));
    CHECK(c.gpus().size() == 3); // unchanged on failure
    CHECK(c.models().size() == 1);
    return message;
}

} // namespace

TEST_CASE("catalogue_json: the example file adds GPUs and a model beside the built-in ones") {
    const la::catalogue c = la::load_catalogue_file(example_file);
    REQUIRE(c.gpus().size() == 5);
    REQUIRE(c.models().size() == 2);

    const la::gpu_spec* mi = c.find_gpu("mi300x");
    REQUIRE(mi != nullptr);
    CHECK(mi->label() == "AMD Instinct MI300X 192GB");
    CHECK(mi->memory_bytes == 192e9);
    CHECK(mi->memory_bandwidth_bytes_per_s == 5.3e12);
    CHECK(mi->peak(la::precision::bf16) == 1307.4e12);
    CHECK(mi->peak(la::precision::fp8) == 2614.9e12);
    CHECK(mi->source_of("memory_bandwidth_bytes_per_s").rfind("AMD Instinct MI300X", 0) == 0);

    // "base": the H200 SXM's figures, with the peaks the entry gives changed.
    const la::gpu_spec* nvl = c.find_gpu("H200 NVL");
    REQUIRE(nvl != nullptr);
    CHECK(nvl->memory_bandwidth_bytes_per_s == 4.8e12);
    CHECK(nvl->device_memory_bytes() == 150.75e9);
    CHECK(nvl->peak(la::precision::bf16) == 835.5e12);
    CHECK(nvl->source_of("memory_bandwidth_bytes_per_s") == la::nvidia_h200_sxm().source);
    CHECK(nvl->source_of("peak_flops_per_s.bf16").find("H200 NVL column") != std::string::npos);

    const la::model_spec* llama = c.find_model("llama-3.1-8b");
    REQUIRE(llama != nullptr);
    CHECK(la::total_params(*llama) == 8'030'261'248.0);
    CHECK(la::kv_bytes_per_token(*llama) == 131'072.0);
    CHECK(llama->source_of("layers") == "config.json of meta-llama/Llama-3.1-8B on Hugging Face");
    CHECK(llama->source_of("weight_bytes_per_param").find("BF16") != std::string::npos);
}

TEST_CASE("catalogue_json: the roofline uses a user-added GPU") {
    const la::catalogue c = la::load_catalogue_file(example_file);
    const la::gpu_spec& mi = *c.find_gpu("MI300X");
    const la::model_spec& glm = *c.find_model("GLM-4.7-Flash");
    // Single user at 1K: (2 · 3,579,568,896 + 1024 · 54,144) bytes / 5.3e12 B/s.
    CHECK(la::decode_bound(glm, mi, 1024.0).tokens_per_s ==
          doctest::Approx(5.3e12 / 7'214'581'248.0));
    CHECK(la::kv_cache_capacity_tokens(glm, mi) ==
          doctest::Approx((192e9 - 59'886'781'952.0) / 54'144.0));
}

TEST_CASE("catalogue_json: an entry of a known name replaces it; figures without a source name "
          "where they were read") {
    const la::catalogue c = la::load_catalogue(
        R"({"gpus": [{"name": "h200 sxm", "base": "H200 SXM", "memory_bandwidth_bytes_per_s": 5e12}],
            "models": [{"name": "GLM-4.7-Flash-FP8", "base": "GLM-4.7-Flash",
                        "weight_bytes_per_param": 1, "linear_precision": "fp8"}]})");
    REQUIRE(c.gpus().size() == 3);
    const la::gpu_spec& h200 = *c.find_gpu("H200 SXM");
    CHECK(h200.memory_bandwidth_bytes_per_s == 5e12);
    CHECK(h200.peak(la::precision::bf16) == 989.5e12);
    CHECK(h200.source_of("memory_bandwidth_bytes_per_s") == "user catalogue");
    CHECK(h200.source_of("memory_bytes") == la::nvidia_h200_sxm().source);

    REQUIRE(c.models().size() == 2);
    const la::model_spec& fp8 = *c.find_model("glm-4.7-flash-fp8");
    CHECK(fp8.weight_bytes_per_param == 1.0);
    CHECK(fp8.linear_precision == la::precision::fp8);
    CHECK(fp8.layers == 47);
    CHECK(la::weight_bytes(fp8) == 29'943'390'976.0);
    CHECK(la::peak_flops(h200, fp8) == 1979e12);
    CHECK(fp8.source_of("linear_precision") == "user catalogue");
}

TEST_CASE("catalogue_json: malformed input is refused with a message naming entry and JSONPath") {
    CHECK(error_of("{not json").rfind("catalogue: syntax error at byte ", 0) == 0);
    CHECK(error_of("[]") == "catalogue: $: expected an object, got an array");
    CHECK(error_of(R"({"gpu": []})") ==
          "catalogue: $.gpu: unknown field (expected gpus, models, description)");
    CHECK(error_of(R"({"gpus": {}})") == "catalogue: $.gpus: expected an array, got an object");
    CHECK(error_of(R"({"gpus": [3]})") == "catalogue: $.gpus[0]: expected an object, got a number");
    CHECK(error_of(R"({"gpus": [{"memory_bytes": 1}]})") == "catalogue: $.gpus[0].name: missing");
    CHECK(error_of(R"({"gpus": [{"name": 7}]})") ==
          "catalogue: $.gpus[0].name: expected a string, got the number 7");
    CHECK(error_of(one_gpu(R"("memory_bytes": 96e9, "memory_bandwidth_bytes_per_s": -1,
                              "peak_flops_per_s": {"bf16": 1e15})")) ==
          "catalogue: gpu \"X1\": $.gpus[0].memory_bandwidth_bytes_per_s: must be positive (got "
          "-1)");
    CHECK(error_of(one_gpu(R"("memory_bytes": 96e9, "peak_flops_per_s": {"bf16": 1e15})")) ==
          "catalogue: gpu \"X1\": $.gpus[0].memory_bandwidth_bytes_per_s: missing");
    CHECK(error_of(one_gpu(R"("memory_bytes": "96 GB", "memory_bandwidth_bytes_per_s": 4e12,
                              "peak_flops_per_s": {"bf16": 1e15})")) ==
          "catalogue: gpu \"X1\": $.gpus[0].memory_bytes: expected a number, got a string");
    CHECK(error_of(one_gpu(R"("memory_bytes": null, "memory_bandwidth_bytes_per_s": 4e12,
                              "peak_flops_per_s": {"bf16": 1e15})")) ==
          "catalogue: gpu \"X1\": $.gpus[0].memory_bytes: expected a number, got null");
    CHECK(error_of(one_gpu(R"("memory_bytes": 96e9, "memory_bandwidth_bytes_per_s": 4e12)")) ==
          "catalogue: gpu \"X1\": $.gpus[0].peak_flops_per_s: missing");
    CHECK(error_of(one_gpu(R"("memory_bytes": 96e9, "memory_bandwidth_bytes_per_s": 4e12,
                              "peak_flops_per_s": 1e15)")) ==
          "catalogue: gpu \"X1\": $.gpus[0].peak_flops_per_s: must be an object of dense peak "
          "FLOP/s by precision, e.g. {\"bf16\": 989.5e12}");
    CHECK(error_of(one_gpu(R"("memory_bytes": 96e9, "memory_bandwidth_bytes_per_s": 4e12,
                              "peak_flops_per_s": {"bf17": 1e15})")) ==
          "catalogue: gpu \"X1\": $.gpus[0].peak_flops_per_s.bf17: not a precision (one of "
          "\"fp32\", \"tf32\", \"bf16\", \"fp16\", \"fp8\", \"int8\", \"fp4\")");
    CHECK(error_of(one_gpu(R"("memory_bytes": 96e9, "memory_bandwidth_bytes_per_s": 4e12,
                              "peak_flops_per_s": {"fp8": 0})")) ==
          "catalogue: gpu \"X1\": $.gpus[0].peak_flops_per_s.fp8: must be positive (got 0)");
    CHECK(error_of(one_gpu(std::string(good_gpu) + R"(, "memory_bandwith_bytes_per_s": 4e12)")) ==
          "catalogue: gpu \"X1\": $.gpus[0].memory_bandwith_bytes_per_s: unknown field (expected "
          "name, base, display_name, memory_bytes, reported_memory_bytes, "
          "memory_bandwidth_bytes_per_s, peak_flops_per_s, source, sources)");
    CHECK(error_of(one_gpu(std::string(good_gpu) + R"(, "sources": {"memory_bytes": 3})")) ==
          "catalogue: gpu \"X1\": $.gpus[0].sources.memory_bytes: expected a string, got the "
          "number 3");
    CHECK(error_of(one_gpu(std::string(good_gpu) + R"(, "sources": ["x"])")) ==
          "catalogue: gpu \"X1\": $.gpus[0].sources: expected an object, got an array");
    CHECK(error_of(one_gpu(R"("base": "H300", "memory_bytes": 96e9)")) ==
          "catalogue: gpu \"X1\": $.gpus[0].base: names no known gpu (got \"H300\"; known: H100 "
          "SXM, H200 SXM, B200)");
    // The path counts entries: the second GPU's field is $.gpus[1].
    CHECK(error_of(R"({"gpus": [{"name": "X1", )" + std::string(good_gpu) +
                   R"(}, {"name": "X2", "base": "X1", "memory_bytes": 0}]})") ==
          "catalogue: gpu \"X2\": $.gpus[1].memory_bytes: must be positive (got 0)");
}

TEST_CASE("catalogue_json: malformed models") {
    la::catalogue c = la::builtin_catalogue();
    std::string message;
    REQUIRE(la::read_catalogue(one_model(""), c, message));
    CHECK(message.empty());
    CHECK(la::total_params(*c.find_model("M1")) > 0.0);

    CHECK(error_of(R"({"models": [{"name": "M2", "layers": 0}]})") ==
          "catalogue: model \"M2\": $.models[0].layers: must be positive (got 0)");
    CHECK(error_of(R"({"models": [{"name": "M2", "layers": 4, "hidden_size": 256,
                    "vocab_size": 1000, "max_context_tokens": 4096}]})") ==
          "catalogue: model \"M2\": $.models[0].attention: missing");
    CHECK(error_of(R"({"models": [{"name": "M2", "base": "GLM-4.7-Flash", "attention": 4}]})") ==
          "catalogue: model \"M2\": $.models[0].attention: expected an object, got a number");
    CHECK(error_of(one_model(R"(, "linear_precision": "fp9")")) ==
          "catalogue: model \"M1\": $.models[0].linear_precision: must be one of \"fp32\", "
          "\"tf32\", \"bf16\", \"fp16\", \"fp8\", \"int8\", \"fp4\" (got \"fp9\")");
    CHECK(error_of(one_model(R"(, "tied_embeddings": 1)")) ==
          "catalogue: model \"M1\": $.models[0].tied_embeddings: expected a boolean, got the "
          "number 1");
    CHECK(error_of(one_model(R"(, "experts": 8, "experts_per_token": 9,
                             "expert_intermediate_size": 512)")) ==
          "catalogue: model \"M1\": $.models[0].experts_per_token: must be in [1, experts]");
    CHECK(error_of(one_model(R"(, "dense_layers": 5)")) ==
          "catalogue: model \"M1\": $.models[0].dense_layers: must not exceed layers");
    CHECK(error_of(R"({"models": [{"name": "M3", "base": "GLM-4.7-Flash",
                    "attention": {"kind": "sliding", "heads": 4}}]})") ==
          "catalogue: model \"M3\": $.models[0].attention.kind: must be \"gqa\" or \"mla\" (got "
          "\"sliding\")");
    CHECK(error_of(R"({"models": [{"name": "M3", "base": "GLM-4.7-Flash",
                    "attention": {"kind": "gqa", "heads": 4, "kv_heads": 2, "head_dim": 64,
                                  "kv_lora_rank": 512}}]})") ==
          "catalogue: model \"M3\": $.models[0].attention.kv_lora_rank: unknown field (expected "
          "kind, heads, kv_heads, head_dim)");
    CHECK(error_of(R"({"models": [{"name": "M3", "base": "GLM-4.7-Flash", "hidden_size": -2}]})") ==
          "catalogue: model \"M3\": $.models[0].hidden_size: expected a non-negative integer, got "
          "the number -2");
    CHECK(error_of(R"({"models": [{"name": "M3", "base": "GLM-4.7-Flash",
                    "max_context_tokens": 5000000000}]})") ==
          "catalogue: model \"M3\": $.models[0].max_context_tokens: integer 5000000000 exceeds "
          "4294967295");
}

TEST_CASE("catalogue_json: load_catalogue_file names the file") {
    const std::filesystem::path bad =
        std::filesystem::path(LLMCAP_TEST_BINARY_DIR) / "catalogue_bad.json";
    std::ofstream(bad) << one_gpu(R"("memory_bytes": 96e9, "memory_bandwidth_bytes_per_s": -1,
                                    "peak_flops_per_s": {"bf16": 1e15})");
    CHECK_THROWS_WITH_AS((void)la::load_catalogue_file(bad),
                         (bad.string() +
                          ": catalogue: gpu \"X1\": $.gpus[0].memory_bandwidth_bytes_per_s: "
                          "must be positive (got -1)")
                             .c_str(),
                         la::catalogue_error);
    // The exception carries the json_error: the file and entry in its subject, the JSONPath.
    try {
        (void)la::load_catalogue_file(bad);
        FAIL("no catalogue_error");
    } catch (const la::catalogue_error& e) {
        REQUIRE(e.error() != nullptr);
        CHECK(e.error()->subject == bad.string() + ": catalogue: gpu \"X1\"");
        CHECK(e.error()->path == "$.gpus[0].memory_bandwidth_bytes_per_s");
        CHECK(e.error()->what == "must be positive (got -1)");
        CHECK(e.error()->message() == e.what());
    }
    std::filesystem::remove(bad);
    CHECK_THROWS_WITH_AS((void)la::load_catalogue_file(bad),
                         ("catalogue: cannot open " + bad.string()).c_str(), la::catalogue_error);
    CHECK_THROWS_WITH_AS((void)la::load_catalogue("{"),
                         "catalogue: syntax error at byte 1: incomplete JSON", la::catalogue_error);
    // A figure of a file's entry without a source names the file.
    const std::filesystem::path good =
        std::filesystem::path(LLMCAP_TEST_BINARY_DIR) / "catalogue_good.json";
    std::ofstream(good) << one_gpu(good_gpu);
    const la::catalogue c = la::load_catalogue_file(good);
    CHECK(c.find_gpu("x1")->source_of("memory_bytes") == "catalogue file " + good.string());
    std::filesystem::remove(good);
}
