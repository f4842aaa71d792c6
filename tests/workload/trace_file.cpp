#include <llmcap/workload/trace_file.hpp>
// Test that header file is self-contained.
#include <llmcap/workload/trace_file.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

using namespace llmcap;
using workload::trace_format;

namespace {

const std::string fixtures = std::string(LLMCAP_TEST_FIXTURES_DIR) + "/traces/";

std::string error_of(std::string_view text, trace_format f, std::uint64_t context = 0) {
    const workload::trace_read r = workload::parse_trace(text, f, context);
    CHECK(r.entries.empty()); // nothing is kept beside an error
    CHECK(r.skipped.empty());
    return r.error;
}

} // namespace

TEST_CASE("parse_trace: a Mooncake sample, times in seconds from the first, hash ids kept") {
    const workload::trace_read r =
        workload::load_trace(fixtures + "mooncake_sample.jsonl", trace_format::mooncake);
    REQUIRE(r.ok());
    REQUIRE(r.entries.size() == 4);
    CHECK(r.entries[1].at_s == doctest::Approx(0.25));
    CHECK(r.entries[2].at_s == doctest::Approx(0.25));
    CHECK(r.entries[3].at_s == doctest::Approx(1.4));
    CHECK(r.entries[0].input_tokens == 1200);
    CHECK(r.entries[0].output_tokens == 16);
    CHECK(r.entries[1].hash_ids == std::vector<std::uint64_t>{0, 1, 3});
    CHECK(r.entries[3].line == 5);
    CHECK(r.skipped == std::map<std::string, std::uint64_t>{{"zero length", 1}});

    // A context of 1,000 tokens leaves out the longer ones, counted.
    const workload::trace_read small =
        workload::load_trace(fixtures + "mooncake_sample.jsonl", trace_format::mooncake, 1000);
    REQUIRE(small.ok());
    CHECK(small.entries.size() == 2);
    CHECK(small.entries[0].at_s == 0.0); // times count from the first request kept
    CHECK(small.entries[1].at_s == doctest::Approx(1.15));
    CHECK(small.skipped ==
          std::map<std::string, std::uint64_t>{{"longer than the model's context (1000 tokens)", 2},
                                               {"zero length", 1}});
}

TEST_CASE("parse_trace: Azure and BurstGPT CSV samples") {
    const workload::trace_read azure =
        workload::load_trace(fixtures + "azure_sample.csv", trace_format::azure);
    REQUIRE(azure.ok());
    REQUIRE(azure.entries.size() == 3);
    CHECK(azure.entries[1].at_s == doctest::Approx(0.5));
    CHECK(azure.entries[2].at_s == doctest::Approx(2.25));
    CHECK(azure.entries[2].input_tokens == 45);
    CHECK(azure.entries[2].output_tokens == 16);
    CHECK(azure.skipped.at("zero length") == 1);

    const workload::trace_read burst =
        workload::load_trace(fixtures + "burstgpt_sample.csv", trace_format::burstgpt);
    REQUIRE(burst.ok());
    REQUIRE(burst.entries.size() == 3);
    CHECK(burst.entries[1].at_s == doctest::Approx(113.0));
    CHECK(burst.entries[1].input_tokens == 417);
    CHECK(burst.entries[1].output_tokens == 276);
    CHECK(burst.entries[2].line == 5);
    CHECK(burst.skipped.at("zero length") == 1);

    // Columns in another order, quoted fields, CRLF and a byte-order mark.
    const workload::trace_read moved = workload::parse_trace(
        "\xEF\xBB\xBF\"Log Type\",Response tokens,Timestamp,Request tokens\r\n"
        "\"API log, retried\",5,1.5,100\r\n\"x\",7,2.0,50\r\n",
        trace_format::burstgpt);
    REQUIRE(moved.ok());
    REQUIRE(moved.entries.size() == 2);
    CHECK(moved.entries[1].at_s == doctest::Approx(0.5));
    CHECK(moved.entries[1].input_tokens == 50);
    CHECK(moved.entries[1].output_tokens == 7);
}

TEST_CASE("parse_trace: bad traces name the line and the column or field") {
    CHECK(error_of("{\"timestamp\":5,\"input_length\":10,\"output_length\":1}\n"
                   "{\"timestamp\":3,\"input_length\":10,\"output_length\":1}\n",
                   trace_format::mooncake) ==
          "trace: line 2: $.timestamp: 3.000000 is earlier than line 1's 5.000000 (a trace must "
          "be in time order)");
    CHECK(error_of("{\"timestamp\":-1,\"input_length\":10,\"output_length\":1}\n",
                   trace_format::mooncake) == "trace: line 1: $.timestamp: -1.000000 is negative");
    CHECK(error_of("{\"timestamp\":0,\"input_length\":10}\n", trace_format::mooncake) ==
          "trace: line 1: $.output_length: missing");
    CHECK(error_of("{\"timestamp\":0,\"input_length\":1025,\"output_length\":1,\"hash_ids\":[1,2]}",
                   trace_format::mooncake) ==
          "trace: line 1: $.hash_ids: 2 blocks for 1025 input tokens (512 tokens a block: "
          "expected 3)");
    CHECK(error_of("{\"timestamp\":0,", trace_format::mooncake)
              .starts_with("trace: line 1: syntax error"));
    CHECK(error_of("Timestamp,Request tokens,Response tokens\n1,10,5\n0.5,10,5\n",
                   trace_format::burstgpt) ==
          "trace: line 3, column 1 (Timestamp): 0.500000 is earlier than line 2's 1.000000 (a "
          "trace must be in time order)");
    CHECK(error_of("Timestamp,Request tokens\n1,10\n", trace_format::burstgpt) ==
          "trace: line 1: no column \"Response tokens\" (a burstgpt trace needs Timestamp, "
          "Request tokens and Response tokens; the header has Timestamp, Request tokens)");
    CHECK(error_of("TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,10,5\n",
                   trace_format::azure) ==
          "trace: line 2, column 1 (TIMESTAMP): \"yesterday\" is not a time (YYYY-MM-DD "
          "HH:MM:SS.fraction)");
    CHECK(error_of("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1.5,5\n",
                   trace_format::azure) ==
          "trace: line 2, column 2 (ContextTokens): \"1.5\" is not a token count");
    CHECK(error_of("Timestamp,Request tokens,Response tokens\n1,10\n", trace_format::burstgpt) ==
          "trace: line 2: 2 fields, the header has 3");
    CHECK(error_of("Timestamp,Request tokens,Response tokens\n\"1,10,5\n",
                   trace_format::burstgpt) == "trace: line 2: a quoted field is not closed");
    CHECK(error_of("", trace_format::burstgpt) == "trace: no header line");
    CHECK(error_of("Timestamp,Request tokens,Response tokens\n1,0,5\n", trace_format::burstgpt) ==
          "trace: no request (skipped: 1 zero length)");
    CHECK(workload::load_trace("/nonexistent/trace.csv", trace_format::azure).error ==
          "trace: cannot read /nonexistent/trace.csv");
    CHECK(workload::trace_format_from_name("mooncake") == trace_format::mooncake);
    CHECK_FALSE(workload::trace_format_from_name("sharegpt").has_value());
}
