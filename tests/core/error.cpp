#include <llmcap/core/error.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <system_error>

TEST_CASE("error: names are unique and round-trip") {
    std::set<std::string_view> names;
    for (llmcap::error e : llmcap::all_errors) {
        const std::string_view n = llmcap::error_name(e);
        CHECK(n != "unknown");
        CHECK(names.insert(n).second);
        llmcap::error back{};
        REQUIRE(llmcap::error_from_name(n, back));
        CHECK(back == e);
    }
    llmcap::error none{};
    CHECK_FALSE(llmcap::error_from_name("no_such_kind", none));
}

TEST_CASE("error: std::error_code integration") {
    const std::error_code ec = llmcap::error::first_token_timeout;
    CHECK(ec.category().name() == std::string("llmcap"));
    CHECK(ec.message() == "timed out waiting for the first token");
    CHECK(ec == llmcap::error::first_token_timeout);
    CHECK(llmcap::is_timeout(llmcap::error::idle_timeout));
    CHECK_FALSE(llmcap::is_timeout(llmcap::error::cancelled));
}
