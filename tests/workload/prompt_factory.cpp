#include <llmcap/workload/prompt_factory.hpp>

#include "fake_endpoint.hpp"

#include <llmcap/emulator/tokenizer.hpp>
#include <llmcap/workload/corpus.hpp>
#include <llmcap/workload/request_options.hpp>
#include <llmcap/workload/text_source.hpp>
#include <llmcap/workload/token_counter.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>

using namespace llmcap;

namespace {

/// Counts like the emulator server: content tokens + 2 per message + 1 generation prompt.
struct emulator_counter {
    std::uint64_t calls = 0;
    boost::asio::awaitable<workload::count_result> count_prompt(std::string_view text) {
        ++calls;
        co_return workload::count_result{emulator::tokenizer::count(text) + 3, {}};
    }
};
static_assert(workload::token_counter<emulator_counter>);

/// A BPE-like counter whose tokens straddle cuts: words of ≤ 3 bytes are one token, longer
/// words two, and each punctuation byte one.
struct lumpy_counter {
    boost::asio::awaitable<workload::count_result> count_prompt(std::string_view text) {
        std::uint64_t n = 5;
        std::size_t word = 0;
        const auto flush = [&] {
            n += word == 0 ? 0 : (word <= 3 ? 1 : 2);
            word = 0;
        };
        for (char c : text) {
            if (c == ' ' || c == '\n') {
                flush();
            } else if (c == '.' || c == ',' || c == '?' || c == '!') {
                flush();
                ++n;
            } else {
                ++word;
            }
        }
        flush();
        co_return workload::count_result{n, {}};
    }
};

template <class T>
T run_sync(boost::asio::awaitable<T> a) {
    boost::asio::io_context io;
    std::optional<T> out;
    boost::asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
        if (e)
            std::rethrow_exception(e);
        out = std::move(v);
    });
    io.run();
    REQUIRE(out.has_value());
    return std::move(*out);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("builtin_text: deterministic per seed, different across seeds and styles") {
    const workload::builtin_text a(workload::text_style::prose, 7);
    CHECK(a.generate(5000) == a.generate(5000));
    CHECK(a.generate(20000).starts_with(a.generate(5000)));
    CHECK(a.generate(5000) !=
          workload::builtin_text(workload::text_style::prose, 8).generate(5000));
    const std::string code = workload::builtin_text(workload::text_style::code, 7).generate(5000);
    CHECK(code.find("def ") != std::string::npos);
    CHECK(code.find("    return ") != std::string::npos);
    const std::string prose = a.generate(5000);
    CHECK(prose.find(". ") != std::string::npos);
    CHECK(prose.find("def ") == std::string::npos);
    // Varied: many distinct words.
    std::set<std::string> words;
    std::istringstream in(prose);
    for (std::string w; in >> w;)
        words.insert(w);
    CHECK(words.size() > 80);
}

TEST_CASE("parse_corpus: plain text, JSONL and ShareGPT") {
    SUBCASE("plain text splits at blank lines") {
        const auto r = workload::parse_corpus("first line\nsecond line\n\n\nthird\r\n",
                                              workload::corpus_format::detect);
        REQUIRE(r.ok());
        REQUIRE(r.value.texts.size() == 2);
        CHECK(r.value.texts[0] == "first line\nsecond line");
        CHECK(r.value.texts[1] == "third");
    }
    SUBCASE("JSONL of strings, prompt/text/content fields and messages") {
        const auto r = workload::parse_corpus(
            "\"plain\"\n{\"prompt\":\"p\"}\n\n{\"text\":\"t\"}\n{\"content\":\"c\"}\n"
            "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":"
            "\"u\"}]}\n");
        REQUIRE(r.ok());
        CHECK(r.value.texts == std::vector<std::string>{"plain", "p", "t", "c", "u"});
    }
    SUBCASE("ShareGPT takes the human turns") {
        const auto r = workload::parse_corpus(
            R"([{"conversations":[{"from":"human","value":"q1"},{"from":"gpt","value":"a1"}]},
                {"id":"x","conversations":[{"from":"human","value":"q2"}]}])");
        REQUIRE(r.ok());
        CHECK(r.value.texts == std::vector<std::string>{"q1", "q2"});
    }
}

TEST_CASE("parse_corpus: records hold each prompt with its answer or stated output length") {
    SUBCASE("ShareGPT: the first user turn and the reply after it; no user turn is skipped") {
        const auto r = workload::parse_corpus(
            R"([{"conversations":[{"from":"system","value":"be brief"},
                                  {"from":"human","value":"q1"},{"from":"gpt","value":"a1"},
                                  {"from":"human","value":"q1b"},{"from":"gpt","value":"a1b"}]},
                {"conversations":[{"from":"gpt","value":"hello"}]},
                {"conversations":[{"from":"human","value":"q3"}]},
                {"conversations":[{"from":"human","value":"q4"},{"from":"gpt","value":""}]}])");
        REQUIRE(r.ok());
        REQUIRE(r.value.records.size() == 3);
        CHECK(r.value.records[0].prompt == "q1");
        CHECK(r.value.records[0].answer == "a1");
        CHECK(r.value.records[0].source == 1);
        CHECK(r.value.records[1].prompt == "q3");
        CHECK_FALSE(r.value.records[1].answer.has_value());
        CHECK(r.value.records[1].source == 3);
        CHECK_FALSE(r.value.records[2].answer.has_value()); // an empty reply is no answer
        CHECK(r.value.skipped == std::map<std::string, std::uint64_t>{{"no user turn", 1}});
        CHECK(r.value.texts == std::vector<std::string>{"q1", "q1b", "q3", "q4"});
    }
    SUBCASE("JSON Lines: answers, stated lengths, empty prompts and zero lengths") {
        const auto r = workload::parse_corpus(
            "{\"prompt\":\"p1\",\"completion\":\"c1\"}\n"
            "{\"prompt\":\"p2\",\"output_tokens\":7}\n"
            "{\"prompt\":\"\"}\n"
            "{\"prompt\":\"p4\",\"max_tokens\":0}\n"
            "{\"messages\":[{\"role\":\"user\",\"content\":\"u5\"},"
            "{\"role\":\"assistant\",\"content\":\"a5\"}],\"output_len\":9}\n"
            "\"p6\"\n");
        REQUIRE(r.ok());
        REQUIRE(r.value.records.size() == 4);
        CHECK(r.value.records[0].answer == "c1");
        CHECK(r.value.records[1].output_tokens == 7u);
        CHECK(r.value.records[2].prompt == "u5");
        CHECK(r.value.records[2].answer == "a5");
        CHECK(r.value.records[2].output_tokens == 9u);
        CHECK(r.value.records[2].source == 5);
        CHECK(r.value.records[3].source == 6);
        CHECK(r.value.skipped ==
              std::map<std::string, std::uint64_t>{{"empty prompt", 1}, {"output length 0", 1}});
    }
    SUBCASE("plain text: one record per document") {
        const auto r = workload::parse_corpus("a\n\nb\n");
        REQUIRE(r.ok());
        REQUIRE(r.value.records.size() == 2);
        CHECK(r.value.records[1].prompt == "b");
        CHECK(r.value.records[1].source == 2);
    }
    SUBCASE("a stated length that is not a count is an error naming the line and field") {
        const auto r = workload::parse_corpus("{\"prompt\":\"p\",\"output_tokens\":-3}\n");
        CHECK(r.error ==
              "corpus: line 1: $.output_tokens: expected a non-negative integer, got the "
              "number -3");
        CHECK(r.value.records.empty());
    }
}

TEST_CASE("parse_corpus: malformed input names the line or element") {
    const auto error = [](std::string_view s,
                          workload::corpus_format f = workload::corpus_format::detect) {
        const auto r = workload::parse_corpus(s, f);
        CHECK_FALSE(r.ok());
        CHECK(r.value.texts.empty());
        return r.error;
    };
    CHECK(error("{\"prompt\":\"a\"}\n{\"prompt\":\n") ==
          "corpus: line 2: syntax error at byte 10: incomplete JSON");
    CHECK(error("{\"prompt\":\"a\"}\n[1]\n") ==
          "corpus: line 2: $: expected a string or an object");
    CHECK(error("{\"prompt\":3}\n") == "corpus: line 1: $: expected a \"prompt\", \"text\" or "
                                       "\"content\" string or a \"messages\" array");
    CHECK(error("{\"messages\":[{\"role\":\"user\"}]}\n") ==
          "corpus: line 1: $.messages[0].content: missing");
    CHECK(error("{\"messages\":{}}\n") ==
          "corpus: line 1: $.messages: expected an array, got an object");
    CHECK(error("[{\"conversations\":[{\"from\":\"human\",\"value\":1}]}]") ==
          "corpus: $[0].conversations[0].value: expected a string, got the number 1");
    CHECK(error("[{\"turns\":[]}]") == "corpus: $[0]: expected an object with \"conversations\"");
    CHECK(error("[1,", workload::corpus_format::sharegpt)
              .starts_with("corpus: syntax error at byte 3: "));
    CHECK(error("{}", workload::corpus_format::sharegpt) ==
          "corpus: $: expected an array of conversations");
    CHECK(error("\n\n  \n") == "corpus: no text found");
    CHECK(workload::load_corpus("/nonexistent/corpus.txt").error ==
          "corpus: cannot read /nonexistent/corpus.txt");
}

TEST_CASE("make_request: only the extensions the dialect accepts") {
    workload::request_options o;
    o.model = "m";
    o.max_tokens = 64;
    o.seed = 3;
    SUBCASE("vLLM: ignore_eos, min_tokens, continuous usage, cache_salt") {
        o.extensions = openai::extensions_of(openai::dialect::vllm);
        const auto r = workload::make_request(o, "hi", 7);
        CHECK(r.ignore_eos == true);
        CHECK(r.min_tokens == 64u);
        CHECK(r.continuous_usage_stats);
        CHECK(r.cache_salt == "llmcap-3-7");
        CHECK_FALSE(r.extra.contains("cache_prompt"));
        CHECK(r.messages.at(0).content == "hi");
    }
    SUBCASE("llama.cpp: ignore_eos and cache_prompt false") {
        o.extensions = openai::extensions_of(openai::dialect::llama_cpp);
        const auto r = workload::make_request(o, "hi", 7);
        CHECK(r.ignore_eos == true);
        CHECK_FALSE(r.min_tokens);
        CHECK_FALSE(r.cache_salt);
        CHECK(r.extra.at("cache_prompt") == false);
    }
    SUBCASE("unknown server: standard fields only") {
        o.extensions = openai::extensions_of(openai::dialect::openai_like);
        const auto r = workload::make_request(o, "hi", 7);
        CHECK_FALSE(r.ignore_eos);
        CHECK_FALSE(r.min_tokens);
        CHECK_FALSE(r.cache_salt);
        CHECK(r.extra.empty());
        CHECK(r.max_tokens == 64u);
    }
    SUBCASE("cache busting off sends no salt") {
        o.extensions = openai::extensions_of(openai::dialect::vllm);
        o.cache_busting = false;
        CHECK_FALSE(workload::make_request(o, "hi", 7).cache_salt);
    }
}

TEST_CASE("prompt_factory: nonces differ in their first four characters") {
    const workload::prompt_factory f;
    std::set<std::string> firsts;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        const std::string n = f.nonce(i);
        REQUIRE(n.size() == 7);
        CHECK(n.back() == ' ');
        firsts.insert(n.substr(0, 4));
    }
    CHECK(firsts.size() == 5000);
    workload::prompt_options off;
    off.cache_busting = false;
    CHECK(workload::prompt_factory(off).nonce(3).empty());
}

TEST_CASE("prompt_factory: exact prompt lengths from 16 to 256K tokens (emulator tokenizer)") {
    for (workload::text_style style : {workload::text_style::prose, workload::text_style::code}) {
        workload::prompt_options o;
        o.style = style;
        workload::prompt_factory f(o);
        emulator_counter counter;
        for (std::uint32_t target : {16u, 17u, 100u, 1000u, 8192u, 32768u, 131072u, 262144u}) {
            CAPTURE(target);
            const auto c = run_sync(f.calibrate(counter, target));
            REQUIRE(c.has_value());
            CHECK(c->exact);
            CHECK(c->nonce_stable);
            CHECK(c->calls <= o.max_calibration_calls);
            for (std::uint64_t i : {0ull, 1ull, 999ull, 65536ull})
                CHECK(emulator::tokenizer::count(f.prompt(*c, i)) + 3 == target);
        }
        // Cached: no more calls.
        const std::uint64_t before = counter.calls;
        CHECK(run_sync(f.calibrate(counter, 1000u))->exact);
        CHECK(counter.calls == before);
    }
}

TEST_CASE("prompt_factory: every prompt unique in its first token") {
    workload::prompt_factory f;
    emulator_counter counter;
    const auto c = run_sync(f.calibrate(counter, 512u));
    REQUIRE(c.has_value());
    std::set<std::string> firsts;
    for (std::uint64_t i = 0; i < 3000; ++i) {
        std::string first;
        emulator::tokenizer::for_each_piece(f.prompt(*c, i), [&](std::string_view p) {
            if (first.empty())
                first = std::string(p);
        });
        firsts.insert(first);
    }
    CHECK(firsts.size() == 3000);
}

TEST_CASE("prompt_factory: lands exactly when tokens straddle the cut, from a user corpus") {
    workload::prompt_options o;
    o.user_corpus.texts = {"Short words, and some longer sentences follow here.",
                           "Another paragraph: it is brief, but varied enough?"};
    workload::prompt_factory f(o);
    lumpy_counter counter;
    for (std::uint32_t target : {16u, 33u, 257u, 4000u}) {
        CAPTURE(target);
        const auto c = run_sync(f.calibrate(counter, target));
        REQUIRE(c.has_value());
        CHECK(c->exact);
        CHECK(*run_sync(counter.count_prompt(f.prompt(*c, 0))).tokens == target);
    }
}

TEST_CASE("prompt_factory: a target below the fixed overhead is reported inexact") {
    workload::prompt_factory f;
    emulator_counter counter; // nonce (2 tokens) + template (3): 5 at least
    const auto c = run_sync(f.calibrate(counter, 4u));
    REQUIRE(c.has_value());
    CHECK_FALSE(c->exact);
    CHECK(c->counted_tokens == 5);
    CHECK_THROWS_AS(static_cast<void>(run_sync(f.calibrate(counter, 0u))), std::invalid_argument);
}

TEST_CASE("parse_tokenize_response: llama.cpp fixture and vLLM shape; malformed bodies") {
    const std::string fixture =
        read_file(std::string(LLMCAP_TEST_FIXTURES_DIR) + "/llama-server/tokenize.json");
    CHECK(workload::parse_tokenize_response(fixture).tokens == 2u);
    CHECK(workload::parse_tokenize_response(R"({"count":17,"max_model_len":8,"tokens":[1]})")
              .tokens == 17u);
    CHECK(workload::parse_tokenize_response("nope").error.starts_with(
        "tokenize: response is not JSON"));
    CHECK(workload::parse_tokenize_response("[1]").error == "tokenize: response is not an object");
    CHECK(workload::parse_tokenize_response(R"({"count":-1})").error ==
          "tokenize: \"count\" is not a non-negative integer");
    CHECK(workload::parse_tokenize_response(R"({"ids":[]})").error ==
          "tokenize: response has neither \"count\" nor a \"tokens\" array");
}

TEST_CASE("server_token_counter: calibrates from /tokenize (llama.cpp and vLLM shapes) or probes") {
    for (openai::tokenize_shape shape :
         {openai::tokenize_shape::llama_cpp, openai::tokenize_shape::vllm,
          openai::tokenize_shape::none}) {
        CAPTURE(static_cast<int>(shape));
        test::fake_endpoint e;
        e.shape = shape;
        workload::request_options ro;
        ro.model = "fake-model";
        workload::server_token_counter<test::fake_endpoint> counter(e, ro, shape);
        workload::prompt_factory f;
        const auto c = run_sync(f.calibrate(counter, 2048u));
        REQUIRE(c.has_value());
        CHECK(c->exact);
        if (shape == openai::tokenize_shape::none) {
            CHECK(e.tokenize_calls == 0);
            CHECK(e.streams == counter.calls());
        } else {
            CHECK(counter.template_overhead() == 3);
            CHECK(e.streams == 1); // the one probe that measured the template's overhead
            CHECK(e.tokenize_calls + 1 == counter.calls());
        }
        // What the server will count for a real request.
        test::fake_endpoint server;
        openai::completion_request r;
        r.messages.push_back({"user", f.prompt(*c, 42)});
        CHECK(test::fake_endpoint::chat_tokens(r) == 2048u);
    }
}
