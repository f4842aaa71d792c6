// endpoint_url: what parse_endpoint_url accepts, and the reason in words for what it rejects.
// Includes endpoint_url.hpp only, so that this translation unit stays cheap to compile.
#include <llmcap/client/endpoint_url.hpp>
// Test that header file is self-contained.
#include <llmcap/client/endpoint_url.hpp>

#include <doctest/doctest.h>

#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view

namespace {

using llmcap::client::endpoint_url;
using llmcap::client::parse_endpoint_url;

/// The reason parse_endpoint_url(text, why) gives; fails the test if `text` parses.
std::string why_not(std::string_view text) {
    std::string why = "not cleared";
    const std::optional<endpoint_url> u = parse_endpoint_url(text, why);
    CHECK_MESSAGE(!u.has_value(), text);
    // The error-code overload agrees that the URL is bad.
    CHECK_MESSAGE(!parse_endpoint_url(text).has_value(), text);
    return why;
}

} // namespace

TEST_CASE("endpoint_url: the reason in words for every kind of bad URL") {
    CHECK(why_not("127.0.0.1:8000") ==
          "needs http:// or https:// (got \"127.0.0.1:8000\"; try http://127.0.0.1:8000)");
    // Boost.URL reads "localhost:8000" as the scheme "localhost"; the message still helps.
    CHECK(why_not("localhost:8000") ==
          "needs http:// or https:// (got \"localhost:8000\"; try http://localhost:8000)");
    CHECK(why_not("api.example.com/v1") ==
          "needs http:// or https:// (got \"api.example.com/v1\"; try "
          "http://api.example.com/v1)");
    // A mistyped scheme gets no suggestion that would double it.
    CHECK(why_not("http:/127.0.0.1:8000") ==
          "needs http:// or https:// (got \"http:/127.0.0.1:8000\")");
    CHECK(why_not("ftp://files.example.com/") == "needs http:// or https://, not ftp://");
    CHECK(why_not("ws://127.0.0.1:8000") == "needs http:// or https://, not ws://");
    CHECK(why_not("http://") == "has no host");
    CHECK(why_not("https://:8443/v1") == "has no host");
    CHECK(why_not("http://host:99999") == "port 99999 is out of range (1-65535)");
    CHECK(why_not("http://host:0") == "port 0 is out of range (1-65535)");
    CHECK(why_not("http://host:123456789012345678901") ==
          "port 123456789012345678901 is out of range (1-65535)");
    CHECK(why_not("http://host:/v1") == "has a ':' after the host but no port number");
    const std::string credentials =
        "must not carry a user name or password: pass the API key with --api-key-env";
    CHECK(why_not("http://user:pass@host") == credentials);
    CHECK(why_not("https://sk-123@api.example.com/v1") == credentials);
    const std::string query = "must not have a query or fragment (the part from '?' or '#' on)";
    CHECK(why_not("http://host/v1?api-version=1") == query);
    CHECK(why_not("http://host:8000/#top") == query);
    CHECK(why_not("") == "is empty (expected http://host[:port][/path])");
    CHECK(why_not(" http://host:8000") == "has spaces or line breaks around it");
    CHECK(why_not("http://host:8000\n") == "has spaces or line breaks around it");
    CHECK(why_not("http://exa mple.com")
              .starts_with("is not a valid URL (expected "
                           "http://host[:port][/path]"));
    CHECK(why_not("http://host:80a").starts_with("is not a valid URL"));
    CHECK(why_not("http://[v1.x]/").starts_with("host \"[v1.x]\" is not supported"));
}

TEST_CASE("endpoint_url: a good URL parses the same with both overloads, and clears why") {
    for (const char* text :
         {"http://127.0.0.1:8000", "https://api.example.com/openai/v1/", "http://[::1]:9000/x",
          "HTTP://Example.com:8080", "http://localhost:65535/v1"}) {
        CAPTURE(text);
        std::string why = "stale";
        const std::optional<endpoint_url> u = parse_endpoint_url(text, why);
        REQUIRE(u.has_value());
        CHECK(why.empty());
        CHECK(*u == parse_endpoint_url(text).value());
    }
    std::string why;
    const endpoint_url u = parse_endpoint_url("https://api.example.com/openai/v1/", why).value();
    CHECK(u.tls);
    CHECK(u.host == "api.example.com");
    CHECK(u.port == 443);
    CHECK(u.base_path == "/openai");
    CHECK(parse_endpoint_url("HTTP://Example.com:8080", why)->port == 8080);
    CHECK(parse_endpoint_url("http://localhost:65535/v1", why)->port == 65535);
}

TEST_CASE("endpoint_url: to_string reads back to the same endpoint (fuzz regressions)") {
    // Each of these once came back different, or not at all (fuzz/regressions/endpoint_url/).
    for (const char* text :
         {"https://api.example.com/op%3Flst1", "http://h/x/v1/v1", "http://h//v1/",
          "http://h/a%20b/v1", "http://[::1]:8000/openai/v1", "http://h:8080"}) {
        CAPTURE(text);
        std::string why;
        const std::optional<endpoint_url> u = parse_endpoint_url(text, why);
        REQUIRE_MESSAGE(u.has_value(), why);
        CHECK((u->base_path.empty() || u->base_path.back() != '/'));
        const std::optional<endpoint_url> back = parse_endpoint_url(u->to_string(), why);
        REQUIRE_MESSAGE(back.has_value(), u->to_string() << ": " << why);
        CHECK(*back == *u);
    }
    // The path stays as written: it goes into every request target.
    CHECK(parse_endpoint_url("https://api.example.com/op%3Flst1")->base_path == "/op%3Flst1");
    CHECK(parse_endpoint_url("http://h/x/v1/v1")->base_path == "/x/v1");
    CHECK(parse_endpoint_url("http://h//v1/")->base_path.empty());
    // A percent-encoded host name would mean another URL when written back.
    CHECK(why_not("http://a%2fb.example/") == "host \"a%2fb.example\" must not be percent-encoded");
}
