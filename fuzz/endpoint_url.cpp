// Fuzzes client::parse_endpoint_url (include/llmcap/client/endpoint_url.hpp), both overloads.
// Checks: they agree on success or failure and on the value; the worded overload gives a reason
// on failure and clears it on success; a parsed URL has a host, a port other than 0 and a base
// path without a trailing slash; and it round-trips: endpoint_url::to_string() parses back to
// the same value (host_header() and bracketed_host() are exercised too). The inputs under
// fuzz/regressions/endpoint_url/ once broke that round trip.
#include <llmcap/client/endpoint_url.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using llmcap::client::endpoint_url;
    using llmcap::client::parse_endpoint_url;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const auto coded = parse_endpoint_url(text);
    std::string why = "stale";
    const auto worded = parse_endpoint_url(text, why);
    FUZZ_CHECK(coded.has_value() == worded.has_value(), "the overloads disagree");
    if (!worded) {
        FUZZ_CHECK(!why.empty() && why != "stale", "a failure without a reason");
        return 0;
    }
    FUZZ_CHECK(why.empty(), "the reason is not cleared on success");
    const endpoint_url& u = *worded;
    FUZZ_CHECK(*coded == u, "the overloads give different values");
    FUZZ_CHECK(!u.host.empty(), "no host");
    FUZZ_CHECK(u.port != 0, "port 0");

    FUZZ_CHECK(!u.host_header().empty(), "empty Host header");

    FUZZ_CHECK(u.base_path.empty() || u.base_path.back() != '/', "base path ends in '/'");
    const std::string back = u.to_string();
    std::string why_back;
    const auto again = parse_endpoint_url(back, why_back);
    if (!again) {
        std::fprintf(stderr, "to_string: \"%s\": %s\n", back.c_str(), why_back.c_str());
        FUZZ_CHECK(again.has_value(), "to_string() does not parse");
    }
    if (!(*again == u))
        std::fprintf(stderr, "to_string: \"%s\" parses to \"%s\"\n", back.c_str(),
                     again->to_string().c_str());
    FUZZ_CHECK(*again == u, "to_string() parses to another value");
    return 0;
}
