// The JSON toolkit: exact numbers through parse_json, the reader's messages and paths, the one
// error type, and malformed input of every kind.
#include <llmcap/core/json.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace {

boost::json::value parsed(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = llmcap::parse_json(text, ec);
    REQUIRE_FALSE(ec);
    return v;
}

} // namespace

TEST_CASE("parse_json: every double reads back exactly as written") {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uniform_int_distribution<int> exponent(-12, 12);
    for (int i = 0; i < 20000; ++i) {
        const double x = unit(rng) * std::pow(10.0, exponent(rng));
        const std::string text = boost::json::serialize(boost::json::array{x, -x});
        const boost::json::value v = parsed(text);
        REQUIRE(v.as_array()[0].as_double() == x);
        REQUIRE(v.as_array()[1].as_double() == -x);
        REQUIRE(boost::json::serialize(v) == text);
    }
    // Nesting, strings split by escapes, integers and literals as boost::json::parse gives them.
    const std::string doc = R"( {"a":[1,-2,18446744073709551615,2.5e-3,true,null,"x\"y"],)"
                            R"("b":{"c":{}, "d":[]}} )";
    const boost::json::value v = parsed(doc);
    CHECK(v == boost::json::parse(doc));
    CHECK(v.at("a").as_array()[2].is_uint64());
    CHECK(v.at("a").as_array()[1].is_int64());
}

TEST_CASE("parse_json: malformed text, trailing data and an empty text are errors") {
    for (const char* bad : {"{\"a\":", "{\"a\":1} x", "[1,]", "", "  ", "nul", "{\"a\" 1}",
                            "[\"\xff\"]", "{\"a\":1,}", "'a'", "[01]"}) {
        CAPTURE(bad);
        boost::system::error_code ec;
        std::size_t offset = 12345;
        const boost::json::value v = llmcap::parse_json(bad, ec, &offset);
        CHECK(ec);
        CHECK(v.is_null());
        CHECK(offset <= std::string_view(bad).size());
    }
    // Deeper than Boost.JSON's default limit (32): refused, not a stack overflow.
    CHECK_FALSE(llmcap::parse_json(std::string(100'000, '['), "deep"));
}

TEST_CASE("parse_json: a syntax error names the subject and the byte, with no path") {
    const auto error = [](std::string_view text) {
        const auto r = llmcap::parse_json(text, "use cases JSON");
        REQUIRE_FALSE(r);
        CHECK(r.error().path.empty());
        return r.error().message();
    };
    CHECK(error(R"({"use_cases": [)") ==
          "use cases JSON: syntax error at byte 15: incomplete JSON");
    CHECK(error("[1] x") == "use cases JSON: syntax error at byte 4: extra data");
    CHECK(error("") == "use cases JSON: syntax error at byte 0: incomplete JSON");
    CHECK(error(R"({"a": [}]})").starts_with("use cases JSON: syntax error at byte 7: "));
    const auto ok = llmcap::parse_json(" [1, 2.5] ", "x");
    REQUIRE(ok);
    CHECK(ok->as_array()[1].as_double() == 2.5);
}

// Found by fuzz/jsonl_rebuild.cpp (fuzz/regressions/jsonl_rebuild/run-json-number-overflow): a
// run.json whose plan held 1e4001024 read it as infinity, kept it in the run's options, and
// wrote it back as text no JSON reader accepts.
TEST_CASE("parse_json: a number beyond the range of a double is refused, not made infinite") {
    for (const char* big : {"1e400", "[1, -1e309]", R"({"context_tokens": 1e4001024})"}) {
        CAPTURE(big);
        const auto r = llmcap::parse_json(big, "run.json");
        REQUIRE_FALSE(r);
        CHECK(r.error().message().find("exponent overflow") != std::string::npos);
    }
    // The largest and smallest doubles, and underflow to zero, still read.
    const auto edge = llmcap::parse_json("[1.7976931348623157e308, 5e-324, 1e-400]", "x");
    REQUIRE(edge);
    CHECK(edge->as_array()[0].as_double() == 1.7976931348623157e308);
    CHECK(edge->as_array()[1].as_double() == 5e-324);
    CHECK(edge->as_array()[2].as_double() == 0.0);
}

TEST_CASE("json numbers: shortest text, null for non-finite, decimal strings read exactly") {
    CHECK(llmcap::json_number_or_null(0.1) == boost::json::value(0.1));
    CHECK(llmcap::json_number_or_null(std::numeric_limits<double>::quiet_NaN()).is_null());
    CHECK(llmcap::json_number_or_null(std::numeric_limits<double>::infinity()).is_null());
    CHECK(llmcap::json_number_or_null(std::optional<double>{}).is_null());
    CHECK(llmcap::json_number_or_null(std::optional<double>{2.0}) == boost::json::value(2.0));
    CHECK(llmcap::json_decimal_or_null(0.005) == "0.005");
    CHECK(llmcap::json_decimal_or_null(1e300) == "1e+300");
    CHECK(llmcap::json_decimal_or_null(std::numeric_limits<double>::quiet_NaN()).is_null());
    std::mt19937_64 rng(7);
    for (int i = 0; i < 10000; ++i) {
        const double x = std::bit_cast<double>(rng() & 0x7fef'ffff'ffff'ffffULL); // finite
        const boost::json::value s = llmcap::json_decimal_or_null(x);
        double back = 0.0;
        REQUIRE(llmcap::json_decimal_to_double(s.as_string(), back));
        REQUIRE(back == x);
    }
    double x = 42.0;
    for (const char* bad : {"", " 1", "1 ", "1.5x", "nan", "inf", "-inf", "1e400", "0x10", "+1"}) {
        CAPTURE(bad);
        CHECK_FALSE(llmcap::json_decimal_to_double(bad, x));
        CHECK(x == 42.0); // untouched on failure
    }
    CHECK(llmcap::json_decimal_to_double("-2.5e-3", x));
    CHECK(x == -0.0025);
}

TEST_CASE("json_reader: typed reads name the field and what was found") {
    const boost::json::value doc =
        parsed(R"({"n": 3, "neg": -3, "big": 18446744073709551615, "half": 1.5, "whole": 2.0,
                  "s": "x", "b": true, "nil": null, "list": [1, "2"], "obj": {}})");
    const boost::json::object& o = doc.as_object();
    const auto error = [&](auto out, std::string_view key) {
        llmcap::json_reader in("test json");
        CHECK_FALSE(in.field(o, key, "$", out));
        CHECK_FALSE(in.ok());
        return in.error().message();
    };
    CHECK(error(std::uint64_t{}, "neg") ==
          "test json: $.neg: expected a non-negative integer, got the number -3");
    CHECK(error(std::uint64_t{}, "half") ==
          "test json: $.half: expected a non-negative integer, got the number 1.500000");
    CHECK(error(std::uint64_t{}, "s") == "test json: $.s: expected a non-negative integer, got a "
                                         "string");
    CHECK(error(std::uint32_t{}, "big") ==
          "test json: $.big: integer 18446744073709551615 exceeds 4294967295");
    CHECK(error(std::int64_t{}, "big") ==
          "test json: $.big: expected an integer, got the number 18446744073709551615");
    CHECK(error(0.0, "s") == "test json: $.s: expected a number or null, got a string");
    CHECK(error(false, "n") == "test json: $.n: expected a boolean, got the number 3");
    CHECK(error(false, "nil") == "test json: $.nil: expected a boolean, got null");
    CHECK(error(std::string{}, "obj") == "test json: $.obj: expected a string, got an object");
    CHECK(error(std::vector<std::int64_t>{}, "list") ==
          "test json: $.list[1]: expected an integer, got a string");
    CHECK(error(std::vector<std::int64_t>{}, "obj") ==
          "test json: $.obj: expected an array, got an object");
    CHECK(error(std::string{}, "absent") == "test json: $.absent: missing");

    llmcap::json_reader in("test json");
    std::uint64_t whole = 0;
    double nil = 0.0;
    std::optional<std::string> none = "set";
    std::optional<std::int64_t> neg;
    std::vector<std::int64_t> untouched{9};
    CHECK(in.field(o, "whole", "$", whole));
    CHECK(whole == 2);
    CHECK(in.field(o, "nil", "$", nil));
    CHECK(std::isnan(nil));
    CHECK(in.field(o, "nil", "$", none));
    CHECK_FALSE(none);
    CHECK(in.field(o, "neg", "$", neg));
    CHECK(neg == -3);
    CHECK(in.optional_field(o, "absent", "$", untouched));
    CHECK(untouched == std::vector<std::int64_t>{9});
    CHECK(in.ok());
    const auto r = in.result(whole);
    REQUIRE(r);
    CHECK(*r == 2);
}

TEST_CASE("json_reader: the first error wins and every later read fails") {
    const boost::json::value doc = parsed(R"({"a": "x", "b": 1})");
    llmcap::json_reader in("results json");
    std::int64_t a = 0;
    std::int64_t b = 0;
    CHECK_FALSE(in.field(doc.as_object(), "a", "$", a));
    CHECK_FALSE(in.field(doc.as_object(), "b", "$", b)); // would succeed alone
    CHECK(b == 0);
    CHECK(in.object(doc, "$") == nullptr);
    CHECK(in.member(doc.as_object(), "b", "$") == nullptr);
    CHECK_FALSE(in.fail("$.later", "ignored"));
    CHECK(in.error().path == "$.a");
    CHECK(in.error().what == "expected an integer, got a string");
    CHECK(in.error().code == std::errc::invalid_argument);
    const llmcap::json_result<int> r = in.result(1);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "results json: $.a: expected an integer, got a string");
    CHECK_THROWS_WITH_AS((void)r.value(), doctest::Contains("results json: $.a: expected"),
                         std::system_error);
}

TEST_CASE("json_reader: objects, arrays, unknown fields and classified errors") {
    const boost::json::value doc = parsed(R"([{"name": "a", "nmae": 1}, 3])");
    {
        llmcap::json_reader in("use cases JSON");
        const boost::json::array* a = in.array(doc, "$");
        REQUIRE(a != nullptr);
        const boost::json::object* o = in.object((*a)[0], "$[0]");
        REQUIRE(o != nullptr);
        CHECK_FALSE(in.only(*o, {"name", "title"}, "$[0]", "name, title"));
        CHECK(in.error().message() ==
              "use cases JSON: $[0].nmae: unknown field (expected name, title)");
    }
    {
        llmcap::json_reader in("use cases JSON");
        CHECK(in.object(doc.as_array()[1], "$[1]") == nullptr);
        CHECK(in.error().message() == "use cases JSON: $[1]: expected an object, got a number");
    }
    {
        llmcap::json_reader in;
        CHECK(in.array(doc.as_array()[0], "") == nullptr);
        CHECK(in.error().path == "$");
        CHECK(in.error().message() == "$: expected an array, got an object");
    }
    {
        llmcap::json_reader in("stats json");
        CHECK_FALSE(in.fail("$.count", std::make_error_code(std::errc::result_out_of_range)));
        CHECK(in.error().code == std::errc::result_out_of_range);
        CHECK(in.error().what == std::make_error_code(std::errc::result_out_of_range).message());
    }
}

TEST_CASE("json_kind: each kind with its article") {
    CHECK(llmcap::json_kind(parsed("null")) == "null");
    CHECK(llmcap::json_kind(parsed("true")) == "a boolean");
    CHECK(llmcap::json_kind(parsed("-1")) == "a number");
    CHECK(llmcap::json_kind(parsed("1.5")) == "a number");
    CHECK(llmcap::json_kind(parsed("\"\"")) == "a string");
    CHECK(llmcap::json_kind(parsed("[]")) == "an array");
    CHECK(llmcap::json_kind(parsed("{}")) == "an object");
}
