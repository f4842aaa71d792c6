// Test that header file is self-contained.
#include <llmcap/core/duration_text.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace std::chrono_literals;

TEST_CASE("parse_duration: units, bare seconds, nanosecond rounding") {
    std::string error;
    CHECK(*llmcap::parse_duration("500ms", error) == 500ms);
    CHECK(*llmcap::parse_duration("30s", error) == 30s);
    CHECK(*llmcap::parse_duration("1.5m", error) == 90s);
    CHECK(*llmcap::parse_duration("6h", error) == 6h);
    CHECK(*llmcap::parse_duration("2.5", error) == 2500ms);
    // 1.234567 ms is 1,234,567 ns exactly, not one nanosecond less.
    CHECK(*llmcap::parse_duration("1.234567ms", error) == 1234567ns);
    CHECK(*llmcap::parse_duration("0", error, true) == llmcap::duration::zero());
}

TEST_CASE("parse_duration: what is refused says so, quoting the text") {
    for (const char* text : {"", "0", "-1s", "fast", "10 s", "1e8", "nan", "inf", "s", "3x"}) {
        std::string error;
        CHECK_MESSAGE(!llmcap::parse_duration(text, error).has_value(), text);
        std::string want(1, '"');
        want += text;
        want += "\" is not a duration";
        CHECK(error.rfind(want, 0) == 0);
    }
}

TEST_CASE("format_duration: read back to the same duration") {
    std::string error;
    for (const llmcap::duration d :
         {llmcap::duration(10s), llmcap::duration(1500ms), llmcap::duration(1234567ns),
          llmcap::duration(1ns), llmcap::duration(999999999ns), llmcap::duration(3h)}) {
        const std::string text = llmcap::format_duration(d);
        const auto back = llmcap::parse_duration(text, error);
        REQUIRE_MESSAGE(back.has_value(), text);
        CHECK_MESSAGE(*back == d, text);
    }
    CHECK(llmcap::format_duration(10s) == "10s");
    CHECK(llmcap::format_duration(1500ms) == "1500ms");
}
