#pragma once

// What the sweep tests share: a fresh run directory, a file's text, and a whole sweep run to
// its end on an io_context of its own (in the simulator by default).

#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/sweep/run_sweep.hpp>
#include <llmcap/sweep/simulator_runner.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

namespace llmcap::test {

/// An empty directory for a test's run, below the test binary's directory.
inline std::filesystem::path fresh_dir(const std::string& name) {
    const auto d = std::filesystem::path(LLMCAP_TEST_BINARY_DIR) / "sweep-tests" / name;
    std::filesystem::remove_all(d);
    return d;
}

/// The bytes of a file ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs `plan` on `runner` to its end; rethrows what the sweep threw.
template <class Runner>
sweep::sweep_outcome run(const sweep::sweep_plan& plan, Runner& runner, sweep::sweep_options o) {
    boost::asio::io_context io;
    std::optional<sweep::sweep_outcome> out;
    boost::asio::co_spawn(io, sweep::run_sweep(plan, runner, std::move(o)),
                          [&](std::exception_ptr e, sweep::sweep_outcome r) {
                              if (e)
                                  std::rethrow_exception(e);
                              out = std::move(r);
                          });
    io.run();
    REQUIRE(out.has_value());
    return std::move(*out);
}

/// Runs `plan` (or, with `resume`, the plan stored in `dir`) in the simulator into `dir`.
inline sweep::sweep_outcome simulate(const sweep::sweep_plan& plan,
                                     const std::filesystem::path& dir, bool resume = false) {
    sweep::simulator_runner runner(emulator::builtin_profile());
    sweep::sweep_options o;
    o.output_dir = dir;
    o.resume = resume;
    return run(plan, runner, o);
}

} // namespace llmcap::test
