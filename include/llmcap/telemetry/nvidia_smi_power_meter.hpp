#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/telemetry/energy_meter.hpp>
#include <llmcap/telemetry/energy_reading.hpp>
#include <llmcap/telemetry/error.hpp>
#include <llmcap/telemetry/power_integrator.hpp>

#include <fcntl.h>    // fcntl, O_NONBLOCK, O_CLOEXEC, O_WRONLY
#include <signal.h>   // kill, SIGTERM
#include <spawn.h>    // posix_spawnp, posix_spawn_file_actions_*
#include <sys/wait.h> // waitpid
#include <unistd.h>   // pipe2, read, close

#include <cerrno>       // errno, EAGAIN, EINTR
#include <charconv>     // from_chars
#include <chrono>       // milliseconds
#include <cstdint>      // uint32_t
#include <cstring>      // strerror
#include <mutex>        // mutex, lock_guard
#include <optional>     // optional
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // error_code, errc
#include <utility>      // move
#include <vector>       // vector

extern "C" {
extern char** environ; // POSIX: the environment handed to the child
}

namespace llmcap::telemetry {

/// One line of `nvidia-smi --query-gpu=index,power.draw --format=csv,noheader,nounits`.
struct nvidia_smi_sample {
    /// The GPU's index, as nvidia-smi numbers it.
    std::uint32_t gpu_index = 0;
    /// Power draw, watts; empty when nvidia-smi printed `[N/A]` or `[Not Supported]`.
    std::optional<double> power_w;

    friend bool operator==(const nvidia_smi_sample&, const nvidia_smi_sample&) = default;
};

/**
 * Parses one line of nvidia-smi CSV output (`0, 71.23`): index, then power draw in watts
 * (a trailing ` W` is accepted), surrounded by any blanks and a trailing CR. `[N/A]` and other
 * bracketed values give an empty power. Anything else (a header line, garbage, a negative or
 * missing value, extra columns) is error::malformed_line.
 */
[[nodiscard]] inline std::error_code parse_nvidia_smi_line(std::string_view line,
                                                           nvidia_smi_sample& out) noexcept {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
            s.remove_prefix(1);
        while (!s.empty() &&
               (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
            s.remove_suffix(1);
        return s;
    };
    const std::size_t comma = line.find(',');
    if (comma == std::string_view::npos)
        return error::malformed_line;
    const std::string_view index = trim(line.substr(0, comma));
    std::string_view power = trim(line.substr(comma + 1));
    if (index.empty() || power.empty() || power.find(',') != std::string_view::npos)
        return error::malformed_line;
    std::uint32_t gpu = 0;
    const auto [ie, iec] = std::from_chars(index.data(), index.data() + index.size(), gpu);
    if (iec != std::errc{} || ie != index.data() + index.size())
        return error::malformed_line;
    nvidia_smi_sample s;
    s.gpu_index = gpu;
    if (power.front() == '[') {
        if (power.back() != ']')
            return error::malformed_line;
        out = s;
        return {};
    }
    if (power.size() > 1 && power.back() == 'W')
        power = trim(power.substr(0, power.size() - 1));
    double w = 0;
    const auto [pe, pec] = std::from_chars(power.data(), power.data() + power.size(), w);
    if (pec != std::errc{} || pe != power.data() + power.size() || !(w >= 0))
        return error::malformed_line;
    s.power_w = w;
    out = s;
    return {};
}

/// Options of nvidia_smi_power_meter.
struct nvidia_smi_options {
    /// The program to run, searched in PATH.
    std::string executable = "nvidia-smi";
    /// The GPUs to measure, by nvidia-smi index; empty: every GPU it lists.
    std::vector<unsigned> gpus;
    /// Sampling period asked of nvidia-smi (`-lms`).
    std::chrono::milliseconds interval{100};
};

/**
 * Measures GPU power by running `nvidia-smi --query-gpu=index,power.draw
 * --format=csv,noheader,nounits -lms 100` for the length of the measurement and integrating
 * its readings (energy_method::integrated_power). The fallback when NVML cannot be loaded by
 * the process but the command works.
 *
 * No thread is started: nvidia-smi writes to a non-blocking pipe, and sample() reads whatever
 * lines have arrived, stamping them with the time they were read (call it at least as often as
 * the interval, or use power_sampler). stop() reads the rest, stops the process and integrates.
 * Thread safety: start(), sample() and stop() lock an internal mutex.
 */
class nvidia_smi_power_meter {
public:
    /// A meter running `options.executable`; nothing is started before start().
    explicit nvidia_smi_power_meter(nvidia_smi_options options = {})
        : options_(std::move(options)) {}
    nvidia_smi_power_meter(const nvidia_smi_power_meter&) = delete;
    nvidia_smi_power_meter& operator=(const nvidia_smi_power_meter&) = delete;
    /// Stops the process if a measurement is still running.
    ~nvidia_smi_power_meter() {
        std::lock_guard lock(mutex_);
        terminate_child();
    }

    /// The command line start() runs, program first.
    [[nodiscard]] std::vector<std::string> command_line() const {
        std::vector<std::string> argv{options_.executable, "--query-gpu=index,power.draw",
                                      "--format=csv,noheader,nounits", "-lms",
                                      std::to_string(options_.interval.count())};
        if (!options_.gpus.empty()) {
            std::string ids;
            for (unsigned g : options_.gpus) {
                if (!ids.empty())
                    ids += ',';
                ids += std::to_string(g);
            }
            argv.push_back("-i");
            argv.push_back(ids);
        }
        return argv;
    }

    /// Starts nvidia-smi.
    std::error_code start() {
        std::lock_guard lock(mutex_);
        if (pid_ > 0)
            return fail(error::already_started, "nvidia-smi: measurement already running");
        message_.clear();
        partial_.clear();
        bad_lines_ = 0;
        na_lines_ = 0;
        first_bad_line_.clear();
        gpu_slots_.clear();
        readings_.clear();
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            return fail(error::process_failed,
                        std::string("nvidia-smi: pipe failed: ") + std::strerror(errno));
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        const std::vector<std::string> args = command_line();
        std::vector<char*> argv;
        for (const std::string& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        pid_t pid = 0;
        const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            return fail(error::process_failed, "no local GPU telemetry: cannot run " +
                                                   options_.executable + " (" + std::strerror(rc) +
                                                   ")");
        }
        fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
        fd_ = fds[0];
        pid_ = pid;
        start_ = stamp();
        return {};
    }

    /// Reads the lines nvidia-smi has written since the last call, stamped now.
    std::error_code sample() {
        std::lock_guard lock(mutex_);
        if (pid_ <= 0)
            return error::not_started;
        drain(stamp());
        return {};
    }

    /// Feeds one line of output read at `at`, as sample() does for each line it reads (for
    /// replaying captured output between start_replay() and stop_replay()). Malformed lines
    /// are counted and skipped.
    void add_line(std::string_view line, time_point at) {
        std::lock_guard lock(mutex_);
        feed_line(line, at);
    }

    /// Reads the remaining output, stops nvidia-smi and integrates the power readings.
    energy_result stop() {
        std::lock_guard lock(mutex_);
        energy_result result;
        if (pid_ <= 0) {
            result.error = error::not_started;
            result.message = message_.empty() ? "nvidia-smi: stop() without start()" : message_;
            return result;
        }
        const time_point end = stamp();
        int status = 0;
        if (pid_ > 0) {
            drain(end);
            status = terminate_child();
        }
        return finish(end, status);
    }

    /// Begins a replay of captured output: start time `at`, no process (then add_line() and
    /// stop_replay()).
    void start_replay(time_point at) {
        std::lock_guard lock(mutex_);
        start_ = at;
        message_.clear();
        partial_.clear();
        first_bad_line_.clear();
        bad_lines_ = 0;
        na_lines_ = 0;
        gpu_slots_.clear();
        readings_.clear();
    }

    /// Ends a replay at `at` and integrates what add_line() received.
    energy_result stop_replay(time_point at) {
        std::lock_guard lock(mutex_);
        return finish(at, 0);
    }

    /// Power readings (one per GPU per line) received since start().
    [[nodiscard]] std::size_t power_readings() const {
        std::lock_guard lock(mutex_);
        return readings_.size();
    }

    /// Lines that were not `index, power` CSV since start().
    [[nodiscard]] std::size_t malformed_lines() const {
        std::lock_guard lock(mutex_);
        return bad_lines_;
    }

private:
    struct reading {
        time_point at;
        std::uint32_t slot;
        double power_w;
    };

    nvidia_smi_options options_;
    mutable std::mutex mutex_;
    pid_t pid_ = -1;
    int fd_ = -1;
    time_point start_{};
    std::string partial_;
    std::string message_;
    std::string first_bad_line_;
    std::size_t bad_lines_ = 0;
    std::size_t na_lines_ = 0;
    std::vector<unsigned> gpu_slots_;
    std::vector<reading> readings_;

    std::error_code fail(error e, std::string message) {
        message_ = std::move(message);
        return e;
    }

    void feed_line(std::string_view line, time_point at) {
        nvidia_smi_sample s;
        if (parse_nvidia_smi_line(line, s)) {
            if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
                ++bad_lines_;
                if (first_bad_line_.empty())
                    first_bad_line_ = line;
            }
            return;
        }
        if (!s.power_w) {
            ++na_lines_;
            return;
        }
        std::size_t slot = 0;
        while (slot < gpu_slots_.size() && gpu_slots_[slot] != s.gpu_index)
            ++slot;
        if (slot == gpu_slots_.size())
            gpu_slots_.push_back(s.gpu_index);
        readings_.push_back({at, static_cast<std::uint32_t>(slot), *s.power_w});
    }

    void drain(time_point at) {
        char buf[4096];
        while (fd_ >= 0) {
            const ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n > 0) {
                partial_.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            break; // EAGAIN (nothing more now), EOF or error
        }
        std::size_t begin = 0;
        for (std::size_t nl = partial_.find('\n'); nl != std::string::npos;
             nl = partial_.find('\n', begin)) {
            feed_line(std::string_view(partial_).substr(begin, nl - begin), at);
            begin = nl + 1;
        }
        partial_.erase(0, begin);
    }

    int terminate_child() noexcept {
        int status = 0;
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
        }
        pid_ = -1;
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
        return status;
    }

    energy_result finish(time_point end, int status) {
        energy_result result;
        if (!partial_.empty()) {
            feed_line(partial_, end);
            partial_.clear();
        }
        power_integrator integrator;
        integrator.begin(start_, static_cast<std::uint32_t>(gpu_slots_.size()));
        for (const reading& r : readings_)
            integrator.add(r.at, r.slot, r.power_w);
        const std::optional<double> e = integrator.energy_j(end);
        if (!e || gpu_slots_.empty()) {
            result.error = readings_.empty() && bad_lines_ == 0 && na_lines_ == 0 && status != 0
                               ? std::error_code(error::process_failed)
                               : std::error_code(error::no_power_samples);
            if (na_lines_ > 0)
                result.message = "nvidia-smi: power.draw is [N/A] on the chosen GPUs";
            else if (bad_lines_ > 0)
                result.message =
                    "nvidia-smi: no power reading; unexpected output '" + first_bad_line_ + "'";
            else if (!message_.empty())
                result.message = message_;
            else
                result.message = "nvidia-smi: no power reading before stop()";
            return result;
        }
        energy_reading r;
        r.source = energy_source::nvidia_smi;
        r.method = energy_method::integrated_power;
        r.elapsed = end - start_;
        r.energy_j = *e;
        const double seconds = to_seconds(r.elapsed);
        r.mean_power_w = seconds > 0 ? r.energy_j / seconds : 0.0;
        r.peak_power_w = integrator.peak_power_w();
        r.power_samples = integrator.samples();
        r.gpu_count = static_cast<std::uint32_t>(gpu_slots_.size());
        result.reading = r;
        return result;
    }
};

static_assert(power_sampling_meter<nvidia_smi_power_meter>);

} // namespace llmcap::telemetry
