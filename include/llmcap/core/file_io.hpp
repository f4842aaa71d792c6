#pragma once

#include <fcntl.h>    // open, O_*
#include <sys/stat.h> // fstat, S_ISREG
#include <unistd.h>   // read, write, fsync, close

#include <algorithm>    // max
#include <cerrno>       // errno, EINTR
#include <cstddef>      // size_t
#include <cstdio>       // rename
#include <filesystem>   // path
#include <stdexcept>    // runtime_error
#include <string>       // string
#include <string_view>  // string_view
#include <system_error> // error_code, generic_category
#include <utility>      // move

/**
 * Checked file reads and writes for every file llmcap reads or produces (DESIGN.md §8: bad input
 * gets a specific error; every write is checked). Each step (open, write, flush to the device,
 * close, rename) is checked and a failure throws file_error, whose message names the path, the step
 * and the operating system's reason ("cannot write out/report.md: No space left on device").
 */
namespace llmcap {

/// A file could not be read or written; what() names the path, the step and the reason.
class file_error : public std::runtime_error {
public:
    file_error(const std::filesystem::path& path, std::string_view step, std::error_code reason)
        : std::runtime_error(std::string(step) + " " + path.string() + ": " + reason.message()),
          path_(path), reason_(reason) {}

    /// The file.
    [[nodiscard]] const std::filesystem::path& path() const noexcept {
        return path_;
    }
    /// The operating system's reason.
    [[nodiscard]] std::error_code reason() const noexcept {
        return reason_;
    }

private:
    std::filesystem::path path_;
    std::error_code reason_;
};

namespace detail {

[[nodiscard]] inline std::error_code last_errno() noexcept {
    return {errno, std::generic_category()};
}

/// Writes all of `data` to `fd`, retrying short writes and EINTR; the error, or none.
[[nodiscard]] inline std::error_code write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ::ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return last_errno();
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

} // namespace detail

/**
 * Writes `text` to `path` atomically: into `path.tmp`, flushed to the device, then renamed over
 * `path`, so a reader (or a crash) sees the old file or the new one, never a part. Throws
 * file_error naming the step that failed; the temporary file is removed then.
 */
inline void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
    const std::filesystem::path tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw file_error(path, "cannot write", detail::last_errno());
    std::error_code ec = detail::write_all(fd, text);
    if (!ec && ::fsync(fd) != 0)
        ec = detail::last_errno();
    if (::close(fd) != 0 && !ec)
        ec = detail::last_errno();
    if (!ec && std::rename(tmp.c_str(), path.c_str()) != 0)
        ec = detail::last_errno();
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw file_error(path, "cannot write", ec);
    }
}

/**
 * The whole content of `path`, read with one allocation when its size is known (a regular
 * file), else in growing chunks (a pipe). False with `error` naming the path and the operating
 * system's reason ("cannot open cells.csv: No such file or directory").
 */
[[nodiscard]] inline bool read_file_text(const std::filesystem::path& path, std::string& text,
                                         std::string& error) {
    const std::string shown = path.string();
    const auto fail = [&](std::string_view step, int code) {
        error = std::string(step) + " " + shown + ": " + std::generic_category().message(code);
        return false;
    };
    int fd = -1;
    do
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return fail("cannot open", errno);
    struct stat st {};
    std::size_t size = 0;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        size = static_cast<std::size_t>(st.st_size);
    text.clear();
    // One byte beyond the size: a read returning 0 there confirms the end without regrowing.
    text.resize(size + 1);
    std::size_t filled = 0;
    for (;;) {
        if (filled == text.size())
            text.resize(std::max<std::size_t>(text.size() * 2, 65536));
        const ::ssize_t n = ::read(fd, text.data() + filled, text.size() - filled);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int code = errno;
            ::close(fd);
            text.clear();
            return fail("cannot read", code);
        }
        if (n == 0)
            break;
        filled += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(filled);
    return true;
}

/**
 * Makes sure `dir` is a directory this process can write into: creates it (and its parents)
 * when missing. Throws file_error when it is not a directory, cannot be created, or is not
 * writable ("cannot write into out: Read-only file system").
 */
inline void ensure_writable_directory(const std::filesystem::path& dir) {
    std::error_code ec;
    const std::filesystem::file_status st = std::filesystem::status(dir, ec);
    if (std::filesystem::exists(st)) {
        if (!std::filesystem::is_directory(st))
            throw file_error(dir, "cannot write into",
                             std::make_error_code(std::errc::not_a_directory));
    } else if (!std::filesystem::create_directories(dir, ec) && ec) {
        throw file_error(dir, "cannot create directory", ec);
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw file_error(dir, "cannot write into", detail::last_errno());
}

/**
 * A file opened for appending whole lines, each written with one write call and flushed to the
 * operating system before append() returns, so a crash of the process loses nothing written.
 * Every failure throws file_error with the reason (a full disk says "No space left on device").
 */
class line_appender {
public:
    line_appender() = default;
    /// Opens `path`, creating it; `truncate` empties it first. Throws file_error.
    line_appender(std::filesystem::path path, bool truncate) : path_(std::move(path)) {
        fd_ = ::open(path_.c_str(),
                     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
        if (fd_ < 0)
            throw file_error(path_, "cannot open", detail::last_errno());
    }
    line_appender(line_appender&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_) {
        o.fd_ = -1;
    }
    line_appender& operator=(line_appender&& o) noexcept {
        if (this != &o) {
            close_quietly();
            path_ = std::move(o.path_);
            fd_ = o.fd_;
            o.fd_ = -1;
        }
        return *this;
    }
    line_appender(const line_appender&) = delete;
    line_appender& operator=(const line_appender&) = delete;
    ~line_appender() {
        close_quietly();
    }

    /// True when open.
    [[nodiscard]] bool is_open() const noexcept {
        return fd_ >= 0;
    }

    /// Appends `line` and a newline in one write. Throws file_error (also when not open).
    void append(std::string line) {
        if (fd_ < 0)
            throw file_error(path_, "cannot append to",
                             std::make_error_code(std::errc::bad_file_descriptor));
        line += '\n';
        if (const std::error_code ec = detail::write_all(fd_, line))
            throw file_error(path_, "cannot append to", ec);
    }

private:
    void close_quietly() noexcept {
        if (fd_ >= 0)
            (void)::close(fd_);
        fd_ = -1;
    }

    std::filesystem::path path_;
    int fd_ = -1;
};

} // namespace llmcap
