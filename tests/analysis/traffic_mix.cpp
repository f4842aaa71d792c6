#include <llmcap/analysis/adaptive_search.hpp>
#include <llmcap/analysis/traffic_mix.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace la = llmcap::analysis;

namespace {

la::traffic_mix parsed(const std::string& spec, std::string* note = nullptr) {
    la::traffic_mix m;
    const std::string why = la::parse_mix_spec(spec, m, {}, note);
    REQUIRE_MESSAGE(why.empty(), why);
    return m;
}

std::string refusal(const std::string& spec) {
    la::traffic_mix m;
    return la::parse_mix_spec(spec, m);
}

std::string read_error(const std::string& json) {
    const llmcap::json_result<boost::json::value> doc = llmcap::parse_json(json, "mix");
    REQUIRE(doc);
    llmcap::json_reader in("mix");
    la::traffic_mix m;
    if (la::read_traffic_mix(in, *doc, "$", m))
        return {};
    return in.error().message();
}

} // namespace

TEST_CASE("traffic mix: a command line's mix names built-in use cases with their shares") {
    std::string note;
    const la::traffic_mix m =
        parsed("code_completion:0.5,general_chatbot:0.3,long_document_processing:0.2", &note);
    REQUIRE(m.classes.size() == 3);
    CHECK(m.classes[0].workload == *la::find_builtin_use_case("code_completion"));
    CHECK(m.classes[2].workload.context_tokens == 65536);
    CHECK(m.classes[0].share == doctest::Approx(0.5));
    CHECK(m.classes[1].share == doctest::Approx(0.3));
    CHECK(note.empty()); // 0.5 + 0.3 + 0.2 is 1 within rounding
}

TEST_CASE("traffic mix: shares that do not sum to 1 are normalized, and the note says so") {
    std::string note;
    const la::traffic_mix m = parsed("code_completion:3,general_chatbot:1", &note);
    CHECK(m.classes[0].share == doctest::Approx(0.75));
    CHECK(m.classes[1].share == doctest::Approx(0.25));
    CHECK(note == "shares summed to 4; normalized to 1");
}

TEST_CASE("traffic mix: a malformed or unusable mix is refused, naming the entry") {
    CHECK(refusal("code_completion") ==
          "\"code_completion\" is not NAME:SHARE (e.g. code_completion:0.5)");
    CHECK(refusal("code_completion:half") ==
          "\"code_completion:half\": the share \"half\" is not a positive number");
    CHECK(refusal("code_completion:0") ==
          "\"code_completion:0\": the share \"0\" is not a positive number");
    CHECK(refusal("code_completion:nan") ==
          "\"code_completion:nan\": the share \"nan\" is not a positive number");
    CHECK(refusal("code_completion:-1") ==
          "\"code_completion:-1\": the share \"-1\" is not a positive number");
    CHECK(refusal("code_complete:1") == "\"code_complete:1\": no use case \"code_complete\"");
    CHECK(refusal("code_completion:1,code_completion:1") ==
          "class \"code_completion\": given twice");
    CHECK(refusal("chatbot_sessions:1").find("a session use case cannot be mixed") !=
          std::string::npos);
    CHECK(refusal("") == "\"\" is not NAME:SHARE (e.g. code_completion:0.5)");
    CHECK(refusal("code_completion:1,") == "\"\" is not NAME:SHARE (e.g. code_completion:0.5)");
}

TEST_CASE("traffic mix: names resolve through a lookup first (a --use-cases file's)") {
    la::use_case rag{
        "rag",
        "RAG",
        4096,
        256,
        {la::threshold{la::metric::ttft, la::statistic::p95, la::comparison::less, 2.0}},
        std::nullopt};
    const la::use_case_lookup lookup = [&](std::string_view n) {
        return n == "rag" ? std::optional<la::use_case>(rag) : la::find_builtin_use_case(n);
    };
    la::traffic_mix m;
    REQUIRE(la::parse_mix_spec("rag:1,code_completion:1", m, lookup).empty());
    CHECK(m.classes[0].workload == rag);
    CHECK(m.classes[1].workload.name == "code_completion");
}

TEST_CASE("traffic mix: each class's count keeps close to its share, in every stretch of "
          "consecutive requests") {
    const la::traffic_mix m = parsed("code_completion:0.6,general_chatbot:0.3,"
                                     "long_document_processing:0.1");
    for (const std::uint64_t seed : {1ull, 2ull, 12345ull}) {
        // Every window of 10, 50 and 400 positions from several starts.
        for (const std::uint64_t n : {10ull, 50ull, 400ull})
            for (const std::uint64_t start : {0ull, 3ull, 1000ull}) {
                std::vector<double> count(3, 0.0);
                for (std::uint64_t i = start; i < start + n; ++i)
                    ++count[la::mix_class_of(m, seed, i)];
                for (std::size_t k = 0; k < 3; ++k)
                    CHECK_MESSAGE(
                        std::abs(count[k] - static_cast<double>(n) * m.classes[k].share) <= 2.0,
                        "seed ", seed, " window ", start, "+", n, " class ", k, ": ", count[k]);
            }
        // The same position, the same class; another seed, another sequence.
        CHECK(la::mix_class_of(m, seed, 17) == la::mix_class_of(m, seed, 17));
    }
    // Each seed starts the sequence elsewhere.
    CHECK(la::mix_uniform(1, 0) != la::mix_uniform(2, 0));
    std::size_t differ = 0;
    for (std::uint64_t i = 0; i < 100; ++i)
        differ += la::mix_class_of(m, 1, i) != la::mix_class_of(m, 2, i) ? 1u : 0u;
    CHECK(differ > 0);
}

TEST_CASE("traffic mix: the smallest share sets how many requests a cell needs") {
    CHECK(la::mix_requests_for(parsed("code_completion:0.5,general_chatbot:0.5"), 8) == 16);
    CHECK(la::mix_requests_for(parsed("code_completion:0.9,general_chatbot:0.1"), 8) == 80);
    CHECK(la::mix_requests_for(parsed("code_completion:1"), 8) == 8);
}

TEST_CASE("traffic mix: JSON round trip, built-in names and full use cases") {
    const la::traffic_mix m = parsed("code_completion:0.25,general_chatbot:0.75");
    const boost::json::value v = la::to_json(m);
    llmcap::json_reader in("mix");
    la::traffic_mix back;
    REQUIRE(la::read_traffic_mix(in, v, "$", back));
    CHECK(back == m);

    const llmcap::json_result<boost::json::value> doc = llmcap::parse_json(
        R"({"classes": [{"use_case": "code_completion", "share": 2},
                        {"use_case": {"name": "rag", "context_tokens": 2048, "output_tokens": 64,
                                      "thresholds": [{"metric": "ttft_s", "bound": 1}]},
                         "share": 2}]})",
        "mix");
    REQUIRE(doc);
    llmcap::json_reader in2("mix");
    std::string note;
    la::traffic_mix named;
    REQUIRE(la::read_traffic_mix(in2, *doc, "$", named, {}, &note));
    CHECK(named.classes[0].workload.name == "code_completion");
    CHECK(named.classes[1].workload.context_tokens == 2048);
    CHECK(named.classes[1].share == doctest::Approx(0.5));
    CHECK(note == "shares summed to 4; normalized to 1");
}

TEST_CASE("traffic mix: malformed JSON names the field") {
    CHECK(read_error(R"([])") == "mix: $: expected an object, got an array");
    CHECK(read_error(R"({"class": []})") == "mix: $.class: unknown field (expected classes)");
    CHECK(read_error(R"({"classes": []})") == "mix: $.classes: a mix needs at least one class");
    CHECK(read_error(R"({"classes": [{"use_case": "nope", "share": 1}]})") ==
          "mix: $.classes[0].use_case: no use case \"nope\"");
    CHECK(read_error(R"({"classes": [{"use_case": "code_completion"}]})") ==
          "mix: $.classes[0].share: missing");
    CHECK(read_error(R"({"classes": [{"use_case": "code_completion", "share": "1"}]})")
              .find("$.classes[0].share") != std::string::npos);
    CHECK(read_error(R"({"classes": [{"use_case": "code_completion", "share": -1}]})") ==
          "mix: $.classes: class \"code_completion\": a share must be a positive number");
    CHECK(read_error(R"({"classes": [{"use_case": {"name": "x"}, "share": 1}]})") ==
          "mix: $.classes[0].use_case.context_tokens: missing");
    CHECK(read_error(R"({"classes": [{"use_case": "code_completion", "share": 1, "w": 1}]})") ==
          "mix: $.classes[0].w: unknown field (expected use_case, share)");
}

TEST_CASE("traffic mix: unmet thresholds are those the class's own cell misses") {
    const la::use_case chat = *la::find_builtin_use_case("general_chatbot");
    la::cell_summary fast;
    fast.context_tokens = chat.context_tokens;
    fast.concurrency = 4;
    fast.metrics[la::metric::ttft].mean = 2.0;
    fast.metrics[la::metric::generation_speed].mean = 40.0;
    CHECK(la::unmet_thresholds(chat, fast).empty());
    la::cell_summary slow = fast;
    slow.metrics[la::metric::ttft].mean = 9.0;
    const std::vector<la::threshold> unmet = la::unmet_thresholds(chat, slow);
    REQUIRE(unmet.size() == 1);
    CHECK(unmet[0].what == la::metric::ttft);
    // No statistic (no successful request): every threshold is unmet.
    CHECK(la::unmet_thresholds(chat, la::cell_summary{}).size() == 2);
}

TEST_CASE("level_search: probes by doubling, bisects, and agrees with every level judged") {
    for (std::uint32_t capacity = 0; capacity <= 40; ++capacity) {
        la::level_search s(32);
        while (const auto level = s.next_level())
            s.add(*level <= capacity);
        CHECK(s.passing() == std::min<std::uint32_t>(capacity, 32));
        CHECK(s.converged());
        CHECK_FALSE(s.budget_exhausted());
        if (capacity < 32)
            CHECK(s.lowest_failing() == capacity + 1);
        else
            CHECK_FALSE(s.lowest_failing());
        CHECK(s.measured().size() <= la::default_search_budget(32));
    }
    la::level_search spent(1024, 3);
    while (const auto level = spent.next_level())
        spent.add(*level <= 100);
    CHECK(spent.measured() == std::vector<std::uint32_t>{1, 2, 4});
    CHECK(spent.budget_exhausted());
    CHECK_THROWS_AS(spent.add(true), std::logic_error);
    CHECK_THROWS_AS(la::level_search(0), std::invalid_argument);
}

TEST_CASE("traffic mix: a class too rare to be judged, or shares beyond a number, are refused") {
    CHECK(refusal("code_completion:1,general_chatbot:10000") ==
          "class \"code_completion\": its share is below 0.1% of the requests once the shares "
          "sum to 1");
    CHECK(refusal("code_completion:1e308,general_chatbot:1e308") ==
          "the shares sum to more than a number can hold");
    // A share of exactly 0.1% is kept.
    la::traffic_mix m;
    CHECK(la::parse_mix_spec("code_completion:1,general_chatbot:999", m).empty());
    CHECK(la::mix_requests_for(m, la::mix_min_class_requests) == 8000);
}
