#include <llmcap/prometheus/parser.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

namespace prom = llmcap::prometheus;

namespace {

std::string read_fixture(const std::string& relative) {
    std::ifstream in(std::string(LLMCAP_TEST_FIXTURES_DIR) + "/" + relative, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Parses `text`, expecting an error; returns its message.
std::string parse_message(std::string_view text) {
    prom::scrape s;
    const prom::parse_error err = prom::parse(text, s);
    REQUIRE(err);
    return err.message();
}

} // namespace

TEST_CASE("prometheus::parse: llama.cpp capture, families, HELP and TYPE") {
    const std::string text = read_fixture("llama-server/metrics-under-load.prom");
    prom::scrape s;
    const prom::parse_error err = prom::parse(text, s);
    REQUIRE_FALSE(err);
    CHECK(err.message().empty());
    CHECK(s.size() == 15);
    CHECK(s.family_count() == 15);

    const auto processing = s.find("llamacpp:requests_processing");
    REQUIRE(processing);
    CHECK(processing->value() == 4.0);
    CHECK(processing->type() == prom::metric_type::gauge);
    CHECK(processing->labels().empty());
    CHECK_FALSE(processing->timestamp_ms());
    CHECK(s.sum("llamacpp:requests_deferred") == 4.0);
    CHECK(s.sum("llamacpp:tokens_predicted_total") == 151.0);
    CHECK(s.sum("llamacpp:prompt_seconds_total") == doctest::Approx(0.061473));

    const auto fam = s.find_family("llamacpp:n_tokens_max");
    REQUIRE(fam);
    CHECK(fam->type() == prom::metric_type::counter);
    CHECK(fam->help() == "Largest observed sequence length (prompt + generation)");
    REQUIRE(fam->size() == 1);
    CHECK((*fam)[0].value() == 123.0);
    CHECK_FALSE(s.find("llamacpp:no_such_metric"));
    CHECK_FALSE(s.sum("llamacpp:no_such_metric"));
}

TEST_CASE("prometheus::parse: every llama.cpp capture parses") {
    for (const char* name :
         {"metrics.prom", "metrics-under-load.prom", "metrics-after-cancel.prom"}) {
        CAPTURE(name);
        prom::scrape s;
        REQUIRE_FALSE(prom::parse(read_fixture(std::string("llama-server/") + name), s));
        CHECK(s.size() == 15);
        CHECK(s.find("llamacpp:n_busy_slots_per_decode"));
    }
}

TEST_CASE("prometheus::parse: histograms and summaries form one family each") {
    const std::string text = "# HELP rpc_duration_seconds A summary of the RPC duration.\n"
                             "# TYPE rpc_duration_seconds summary\n"
                             "rpc_duration_seconds{quantile=\"0.01\"} 3102\n"
                             "rpc_duration_seconds{quantile=\"0.5\"} 4773\n"
                             "rpc_duration_seconds{quantile=\"0.99\"} 76656\n"
                             "rpc_duration_seconds_sum 1.7560473e+07\n"
                             "rpc_duration_seconds_count 2693\n"
                             "# TYPE http_request_duration_seconds histogram\n"
                             "http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n"
                             "http_request_duration_seconds_bucket{le=\"0.1\"} 33444\n"
                             "http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n"
                             "http_request_duration_seconds_sum 53423\n"
                             "http_request_duration_seconds_count 144320\n"
                             "other_metric 1\n";
    prom::scrape s;
    REQUIRE_FALSE(prom::parse(text, s));
    REQUIRE(s.family_count() == 3);
    CHECK(s.family(0).name() == "rpc_duration_seconds");
    CHECK(s.family(0).type() == prom::metric_type::summary);
    CHECK(s.family(0).size() == 5);
    CHECK(s.family(0)[2].labels().get("quantile") == "0.99");
    CHECK(s.family(1).name() == "http_request_duration_seconds");
    CHECK(s.family(1).type() == prom::metric_type::histogram);
    CHECK(s.family(1).size() == 5);
    CHECK(s.family(1)[2].value() == 144320.0);
    CHECK(s.family(1)[2].labels().get("le") == "+Inf");
    CHECK(s.family(2).name() == "other_metric");
    CHECK(s.family(2).type() == prom::metric_type::untyped);
    CHECK(s.sum("rpc_duration_seconds_sum") == 1.7560473e+07);
}

TEST_CASE("prometheus::parse: labels, escapes, special values, timestamps, exemplars, CRLF") {
    const std::string text =
        "# A comment that is neither HELP nor TYPE\r\n"
        "\r\n"
        "   \t\n"
        "# HELP escaped Help with \\\\ backslash,\\nnewline and \\\"kept\\\" quotes\n"
        "# TYPE escaped gauge\n"
        "escaped{path=\"C:\\\\DIR\\\\FILE.TXT\",msg=\"line\\nbreak \\\"quoted\\\"\",empty=\"\"} "
        "1.5\r\n"
        "spaced { a = \"1\" , b=\"2\", } -3e-2 1395066363000\n"
        "inf_pos +Inf\n"
        "inf_neg -Inf\n"
        "not_a_number NaN\n"
        "with_exemplar_bucket{le=\"0.5\"} 7 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n"
        "with_ts_exemplar 8 -12 # {trace_id=\"x\"} 1 1520879607.789\n"
        "empty_labels{} 0\n"
        "last_line_without_newline 42";
    prom::scrape s;
    const prom::parse_error err = prom::parse(text, s);
    REQUIRE_MESSAGE(!err, err.message());
    REQUIRE(s.size() == 9);

    const auto e = s.find("escaped");
    REQUIRE(e);
    CHECK(e->labels().size() == 3);
    CHECK(e->labels().get("path") == "C:\\DIR\\FILE.TXT");
    CHECK(e->labels().get("msg") == "line\nbreak \"quoted\"");
    CHECK(e->labels().get("empty") == "");
    CHECK_FALSE(e->labels().get("absent"));
    CHECK(e->value() == 1.5);
    CHECK(s.find_family("escaped")->help() ==
          "Help with \\ backslash,\nnewline and \\\"kept\\\" quotes");

    const auto sp = s.find("spaced", {{"b", "2"}});
    REQUIRE(sp);
    CHECK(sp->value() == -0.03);
    CHECK(sp->timestamp_ms() == 1395066363000);
    CHECK_FALSE(s.find("spaced", {{"b", "3"}}));
    std::string joined;
    for (const prom::label l : sp->labels())
        joined += std::string(l.name) + "=" + std::string(l.value) + ";";
    CHECK(joined == "a=1;b=2;");

    CHECK(s.find("inf_pos")->value() == std::numeric_limits<double>::infinity());
    CHECK(s.find("inf_neg")->value() == -std::numeric_limits<double>::infinity());
    CHECK(std::isnan(s.find("not_a_number")->value()));
    CHECK(s.find("with_exemplar_bucket")->value() == 7.0);
    CHECK(s.find("with_ts_exemplar")->timestamp_ms() == -12);
    CHECK(s.find("empty_labels")->labels().empty());
    CHECK(s.find("last_line_without_newline")->value() == 42.0);

    std::size_t n = 0;
    for (const prom::sample_view v : s) {
        CHECK_FALSE(v.name().empty());
        ++n;
    }
    CHECK(n == s.size());
}

TEST_CASE("prometheus::parse: the same page split and re-parsed gives the same samples") {
    const std::string text = read_fixture("vllm/metrics-after.prom");
    prom::scrape a;
    REQUIRE_FALSE(prom::parse(text, a));
    prom::scrape b = a; // copies own their text
    std::string mutated = text;
    prom::scrape c;
    REQUIRE_FALSE(prom::parse(mutated, c));
    mutated.assign(mutated.size(), 'x'); // the scrape must not point into the input
    REQUIRE(b.size() == a.size());
    REQUIRE(c.size() == a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(b[i].name() == a[i].name());
        CHECK(c[i].name() == a[i].name());
        CHECK(c[i].labels().get("model_name") == a[i].labels().get("model_name"));
    }
    // Parsing a different page into a used scrape replaces everything.
    REQUIRE_FALSE(prom::parse("x 1\n", a));
    CHECK(a.size() == 1);
    CHECK(a.family_count() == 1);
}

TEST_CASE("prometheus::parse: malformed input gives exact messages with line and column") {
    // unterminated label value (truncated last line)
    CHECK(parse_message("a 1\nvllm:x{model_name=\"Qwen") ==
          "prometheus: line 2, column 19: unterminated label value");
    // bad escape
    CHECK(parse_message("m{a=\"x\\ty\"} 1\n") ==
          "prometheus: line 1, column 7: invalid escape sequence '\\t'");
    // missing '='
    CHECK(parse_message("# TYPE m gauge\nm{a \"1\"} 2\n") ==
          "prometheus: line 2, column 5: expected '=' after label name");
    // missing quote
    CHECK(parse_message("m{a=1} 2\n") ==
          "prometheus: line 1, column 5: expected '\"' to open the label value");
    // missing separator
    CHECK(parse_message("m{a=\"1\" b=\"2\"} 2\n") ==
          "prometheus: line 1, column 9: expected ',' or '}' after label value");
    // bad label name
    CHECK(parse_message("m{1a=\"1\"} 2\n") ==
          "prometheus: line 1, column 3: expected a label name");
    // duplicate label
    CHECK(parse_message("m{a=\"1\",a=\"2\"} 2\n") ==
          "prometheus: line 1, column 9: duplicate label name 'a'");
    // missing value
    CHECK(parse_message("m{a=\"1\"}\n") == "prometheus: line 1, column 9: missing sample value");
    CHECK(parse_message("m   \n") == "prometheus: line 1, column 5: missing sample value");
    // non-numeric value
    CHECK(parse_message("m 12abc\n") ==
          "prometheus: line 1, column 3: invalid sample value '12abc'");
    CHECK(parse_message("m +-1\n") == "prometheus: line 1, column 3: invalid sample value '+-1'");
    // bad timestamp
    CHECK(parse_message("m 1 12.5\n") == "prometheus: line 1, column 5: invalid timestamp '12.5'");
    // text after the timestamp
    CHECK(parse_message("m 1 12 extra\n") ==
          "prometheus: line 1, column 8: unexpected text after the sample");
    // duplicate TYPE and HELP
    CHECK(parse_message("# TYPE m gauge\nm 1\n# TYPE m counter\n") ==
          "prometheus: line 3, column 3: second TYPE line for metric 'm'");
    CHECK(parse_message("# HELP m one\n# HELP m two\n") ==
          "prometheus: line 2, column 3: second HELP line for metric 'm'");
    // unknown type
    CHECK(parse_message("# TYPE m histogrammm\n") ==
          "prometheus: line 1, column 10: unknown metric type 'histogrammm'");
    // garbage
    CHECK(parse_message("<html><body>502 Bad Gateway</body></html>\n") ==
          "prometheus: line 1, column 1: expected a metric name");
    CHECK(parse_message("m-1 2\n") == "prometheus: line 1, column 1: expected a metric name 'm-'");
    CHECK(parse_message("# TYPE 9m gauge\n") ==
          "prometheus: line 1, column 8: expected a metric name");
    // empty input
    CHECK(parse_message("") == "prometheus: empty input");
    CHECK(parse_message("\n\r\n  \n") == "prometheus: empty input");
}

TEST_CASE("prometheus::parse: error carries code, offset and the samples before it") {
    prom::scrape s;
    const prom::parse_error err = prom::parse("a 1\nb 2\nc{x=\"1\" 3\n", s);
    REQUIRE(err);
    CHECK(err.code == prom::error::expected_label_separator);
    CHECK(err.code.category().name() == std::string("llmcap.prometheus"));
    CHECK(err.line == 3);
    CHECK(err.column == 9);
    CHECK(err.offset == 16);
    CHECK(s.size() == 2);
}

TEST_CASE("prometheus::parse: a truncated page fails at every cut inside a label value") {
    const std::string line =
        "vllm:num_requests_running{engine=\"0\",model_name=\"Qwen/Qwen3-8B\"} 6.0\n";
    const std::size_t open = line.find("\"Qwen");
    for (std::size_t cut = open + 1; cut <= line.find('}'); ++cut) {
        CAPTURE(cut);
        prom::scrape s;
        const prom::parse_error err = prom::parse(std::string_view(line).substr(0, cut), s);
        REQUIRE(err);
        if (cut <= line.find("\"}"))
            CHECK(err.code == prom::error::unterminated_label_value);
        else
            CHECK(err.code == prom::error::expected_label_separator);
    }
}

TEST_CASE("prometheus::parse: every prefix of a page parses to a prefix of its samples") {
    const std::string text = read_fixture("llama-server/metrics-under-load.prom");
    prom::scrape full;
    REQUIRE_FALSE(prom::parse(text, full));
    prom::scrape part;
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        CAPTURE(cut);
        const prom::parse_error err = prom::parse(std::string_view(text).substr(0, cut), part);
        REQUIRE(part.size() <= full.size());
        for (std::size_t i = 0; i < part.size(); ++i)
            REQUIRE(part[i].name() == full[i].name());
        if (err) {
            // Only a cut inside or right after a name, or inside a TYPE keyword, can fail;
            // the error never points past the input.
            CHECK(err.offset <= cut);
            CHECK((err.code == prom::error::missing_value || err.code == prom::error::empty_input ||
                   err.code == prom::error::invalid_metric_name ||
                   err.code == prom::error::invalid_type));
        }
    }
}

TEST_CASE("prometheus::parse: corrupted pages fail cleanly with a location inside the input") {
    const std::string text = read_fixture("vllm/metrics-after.prom");
    prom::scrape s;
    std::size_t failures = 0;
    for (std::size_t at = 0; at < text.size(); at += 7) {
        for (char c : {'"', '{', '}', '\\', '=', ' ', '\n', 'x', ','}) {
            std::string bad = text;
            bad[at] = c;
            const prom::parse_error err = prom::parse(bad, s);
            if (!err)
                continue;
            ++failures;
            REQUIRE(err.offset < bad.size());
            REQUIRE(err.line >= 1);
            REQUIRE(err.column >= 1);
            REQUIRE(err.message().rfind("prometheus: line ", 0) == 0);
        }
    }
    CHECK(failures > 1000);
}

TEST_CASE("prometheus::parse: sample values, fast integer path and the general one agree") {
    const std::pair<const char*, double> cases[] = {
        {"11.0", 11.0},
        {"11.000", 11.0},
        {"11", 11.0},
        {"-7.0", -7.0},
        {"+5", 5.0},
        {"007", 7.0},
        {"0.5", 0.5},
        {"11.05", 11.05},
        {"1e3", 1000.0},
        {"8.128902e+06", 8.128902e+06},
        {"123456789012345", 123456789012345.0},
        {"1234567890123456789", 1234567890123456789.0},
        {"1e999", std::numeric_limits<double>::infinity()},
        {"1e-999", 0.0},
        {"Inf", std::numeric_limits<double>::infinity()},
        {"-inf", -std::numeric_limits<double>::infinity()}};
    for (const auto& [text, expected] : cases) {
        CAPTURE(text);
        double v = -1;
        REQUIRE(prom::detail::parse_sample_value(text, v));
        CHECK(v == expected);
    }
    double v = 0;
    for (const char* bad : {"", "-", "+", "1.0.0", "1,0", "0x10", "--1", "1 ", "abc", ".", "1e"}) {
        CAPTURE(bad);
        CHECK_FALSE(prom::detail::parse_sample_value(bad, v));
    }
}
