// Timing bounds that only mean something for optimised, uninstrumented code: this binary is
// built with -O2 and without sanitizers in every configuration, and runs alone (RUN_SERIAL).

#include "../emulator/stream_accuracy.hpp"
#include "loopback_floor.hpp"

#include <doctest/doctest.h>

#include <chrono> // milliseconds

TEST_CASE("emulator timing: client TTFT and token times within 1 ms of the ground truth at P99, "
          "64 streams") {
    using namespace std::chrono_literals;
    // Each run sends 64 streaming requests at once to an emulator on its own thread and CPU and
    // compares every token's client stamp with the engine's emission time, and each request's
    // client TTFT (from its send) with the server's (from the request's receipt).
    //
    // All 64 streams get a token at the same step end, so the P99 is the time to hand 64
    // messages through loopback TCP one after another: on a small virtual machine the kernel
    // alone can take most of the millisecond. Each run therefore also measures that floor with
    // bare sockets and the same traffic (64 messages of a chunk's size per round, a writer and
    // a reader on two CPUs). The 1 ms bound is what is checked; where the floor alone is so
    // high that it leaves less than `margin_ms` for the server and the client, what is checked
    // instead is that they add less than `margin_ms` to it. Wall-clock delays also depend on
    // what else the machine runs: up to eight runs of about half a second, the first that
    // passes counts.
    constexpr double bound_ms = 1.0;
    constexpr double margin_ms = 0.35;
    llmcap_test::stream_accuracy a;
    llmcap_test::loopback_floor floor;
    bool met = false;
    for (int attempt = 1; attempt <= 8 && !met; ++attempt) {
        // The floor is measured just before and just after, and the lower figure kept, so that
        // a passing hiccup of the machine does not loosen the check.
        const llmcap_test::loopback_floor before =
            llmcap_test::measure_loopback_floor(64, 24, 300, 6ms);
        a = llmcap_test::measure_stream_accuracy(64, 24);
        const llmcap_test::loopback_floor after =
            llmcap_test::measure_loopback_floor(64, 24, 300, 6ms);
        floor = before.p99_ms <= after.p99_ms ? before : after;
        floor.measured = before.measured && after.measured;
        MESSAGE("run ", attempt, " (", a.tokens, " tokens): client - truth P99: token times ",
                a.token_p99_ms, " ms, first tokens ", a.first_token_p99_ms,
                " ms, |TTFT difference| ", a.ttft_p99_ms, " ms; server schedule lag P99 ",
                a.lag_p99_ms, " ms, emission lag P99 ", a.emit_p99_ms,
                " ms; bare loopback floor P50 ", floor.p50_ms, " ms, P99 ", floor.p99_ms, " ms");
        REQUIRE(a.min_token_ms >= 0.0); // no token before the engine emitted it
        REQUIRE(a.min_ttft_ms >= 0.0);
        if (a.token_p99_ms < bound_ms && a.ttft_p99_ms < bound_ms) {
            met = true;
        } else if (floor.measured && floor.p99_ms > bound_ms - margin_ms &&
                   a.token_p99_ms < floor.p99_ms + margin_ms &&
                   a.ttft_p99_ms < floor.p99_ms + margin_ms) {
            MESSAGE("bare loopback delivery alone takes ", floor.p99_ms,
                    " ms at P99 here, leaving less than ", margin_ms,
                    " ms of the 1 ms bound: checked instead that the emulator and the client add "
                    "less than ",
                    margin_ms, " ms to it");
            met = true;
        }
    }
    CHECK_MESSAGE(met, "client - truth P99: token times ", a.token_p99_ms,
                  " ms, |TTFT difference| ", a.ttft_p99_ms, " ms; bare loopback floor P99 ",
                  floor.p99_ms, " ms");
}
