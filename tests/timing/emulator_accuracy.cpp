// Timing bounds that only mean something for optimised, uninstrumented code: this binary is
// built with -O2 and without sanitizers in every configuration, and runs alone (RUN_SERIAL).

#include "../emulator/stream_accuracy.hpp"

#include <doctest/doctest.h>

TEST_CASE("emulator timing: client TTFT and token times within 1 ms of the ground truth at P99, "
          "64 streams") {
    // The bound is on wall-clock delays, which also depend on what else the machine runs at
    // that moment (a compile, another test, the kernel's own work, a virtual CPU waking from
    // idle): up to five runs of about half a second, the first that meets both bounds counts.
    // On an idle 2-CPU machine about four runs in five met them. Each run sends 64 streaming
    // requests at once to an emulator on its own thread and CPU and compares every token's
    // client stamp with the engine's emission time, and each request's client TTFT (from its
    // send) with the server's (from the request's receipt).
    llmcap_test::stream_accuracy a;
    for (int attempt = 1; attempt <= 5; ++attempt) {
        a = llmcap_test::measure_stream_accuracy(64, 24);
        MESSAGE("run ", attempt, " (", a.tokens, " tokens): client - truth P99: token times ",
                a.token_p99_ms, " ms, first tokens ", a.first_token_p99_ms,
                " ms, |TTFT difference| ", a.ttft_p99_ms, " ms; server schedule lag P99 ",
                a.lag_p99_ms, " ms, emission lag P99 ", a.emit_p99_ms, " ms");
        REQUIRE(a.min_token_ms >= 0.0); // no token before the engine emitted it
        REQUIRE(a.min_ttft_ms >= 0.0);
        if (a.token_p99_ms < 1.0 && a.ttft_p99_ms < 1.0)
            break;
    }
    CHECK(a.token_p99_ms < 1.0);
    CHECK(a.ttft_p99_ms < 1.0);
}
