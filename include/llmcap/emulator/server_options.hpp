#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/energy_model.hpp>
#include <llmcap/emulator/fault.hpp>

#include <chrono>      // milliseconds
#include <cstddef>     // size_t
#include <cstdint>     // uint16_t, uint32_t, uint64_t
#include <functional>  // function
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::emulator {

/// The name of the delta field carrying reasoning text in chat chunks.
enum class reasoning_field : std::uint8_t {
    /// `delta.reasoning` (vLLM 0.10.2 and later).
    reasoning,
    /// `delta.reasoning_content` (older vLLM, SGLang, DeepSeek's API).
    reasoning_content,
};

/// The JSON field name of `f`.
[[nodiscard]] constexpr std::string_view field_name(reasoning_field f) noexcept {
    return f == reasoning_field::reasoning ? "reasoning" : "reasoning_content";
}

/// Settings of an emulator server.
struct server_options {
    /// Address to listen on.
    std::string address = "127.0.0.1";
    /// Port to listen on; 0 picks a free one (see server::port()).
    std::uint16_t port = 0;
    /**
     * Emulated seconds per wall-clock second: at 10 the engine runs ten times faster than
     * real time (a 10 s time to first token takes 1 s). Ground truth and server-side metrics
     * are in emulated time; see server::to_wall().
     */
    double time_scale = 1.0;
    /// Seed of the generator drawing output lengths, response text and option faults.
    std::uint64_t seed = 0;
    /// The model name the server reports; empty for the profile's model name.
    std::string served_model_name;
    /**
     * When true, a completion request whose `model` is not the served name is answered as
     * vLLM answers it: HTTP 404 with "The model `x` does not exist." (type NotFoundError).
     * When false (the default), every name is served, so that clients that do not know the
     * served name work.
     */
    bool check_model = false;
    /// The first this many output tokens of every chat response are reasoning (0: none).
    std::uint32_t reasoning_tokens = 0;
    /// Which delta field carries reasoning.
    reasoning_field reasoning_as = reasoning_field::reasoning;
    /// Mean output length, tokens, of requests that do not set `ignore_eos`: their length is
    /// drawn from an exponential distribution with this mean, then bounded by `min_tokens`
    /// and `max_tokens`.
    double mean_output_tokens = 256.0;
    /// Faults injected into completion requests (besides those a request asks for with the
    /// `x-llmcap-fault` header); `refuse` applies to every new connection.
    fault faults;
    /// Probability that a request (or, for `refuse`, a connection) gets `faults`.
    double fault_probability = 1.0;
    /// The emulated GPU's power model.
    power_model power;
    /**
     * When the engine is idle and a request arrives, the first step waits this much wall
     * time for more requests and starts at the latest arrival among them, so requests a
     * client sends together are scheduled together, as in the virtual-time simulator. Zero
     * starts the step at the first arrival.
     */
    duration idle_gather = std::chrono::milliseconds(1);
    /**
     * The engine timer wakes up this much wall time before a step's end and the server then
     * waits actively for the exact moment, so that tokens leave on time despite the operating
     * system's timer latency (50-200 µs on a typical virtual machine). Bounded by an eighth of
     * the step's wall duration, so that short steps do not turn into busy waiting; zero
     * disables it.
     */
    duration timer_spin = std::chrono::microseconds(250);
    /// Largest request body accepted, bytes (HTTP 413 beyond).
    std::size_t body_limit_bytes = 64 * 1024 * 1024;
    /// Receives one line per request (access log); empty for none.
    std::function<void(std::string_view line)> log;
};

} // namespace llmcap::emulator
