// Fuzzes client::parse_endpoint_url (include/llmcap/client/endpoint_url.hpp), both overloads.
// Checks: they agree on success or failure and on the value; the worded overload gives a reason
// on failure and clears it on success; a parsed URL has a host, a port other than 0 and a base
// path without a trailing slash; and it round-trips: endpoint_url::to_string() parses back to
// the same value (host_header() and bracketed_host() are exercised too), except for the known
// failures named at known_round_trip_issue() unless built with -DLLMCAP_FUZZ_STRICT.
#include <llmcap/client/endpoint_url.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

// Whether to_string() can write `c` into a host name (`ipv6`: an IPv6 literal) or a path as
// it is, without percent-encoding.
bool verbatim(char c, bool path) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    if (std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos)
        return true;
    return path && (c == ':' || c == '@' || c == '/');
}

// Known round-trip failures of endpoint_url::to_string(), each with an input under
// fuzz/regressions/endpoint_url/ (docs/fuzzing.md): it writes the percent-decoded host and path
// back without encoding them, and a base path that still ends in "/v1" (from ".../v1/v1") loses
// it when read again; "http://h//v1/" leaves the base path "/", ending in '/'. Skipped unless built
// with -DLLMCAP_FUZZ_STRICT, so that the target keeps looking for other faults.
bool known_round_trip_issue(const llmcap::client::endpoint_url& u) {
#ifdef LLMCAP_FUZZ_STRICT
    (void)u;
    return false;
#else
    const bool ipv6 = u.host.find(':') != std::string::npos;
    for (const char c : u.host)
        if (ipv6 ? std::string_view("0123456789abcdefABCDEF:.").find(c) == std::string_view::npos
                 : !verbatim(c, false))
            return true;
    for (const char c : u.base_path)
        if (!verbatim(c, true))
            return true;
    return u.base_path.ends_with("/v1") || u.base_path.ends_with('/');
#endif
}

} // namespace

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

    if (known_round_trip_issue(u))
        return 0;
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
