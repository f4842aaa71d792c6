// Checked file writes: every failure names the path, the step and the system's reason.
#include <llmcap/core/file_io.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    const fs::path d = fs::path(LLMCAP_TEST_BINARY_DIR) / "core-tests" / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const llmcap::file_error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("write_file_atomic: replaces the file whole and leaves no temporary file") {
    const fs::path dir = fresh_dir("atomic");
    llmcap::write_file_atomic(dir / "a.txt", "first");
    llmcap::write_file_atomic(dir / "a.txt", "second, longer");
    CHECK(read_file(dir / "a.txt") == "second, longer");
    CHECK_FALSE(fs::exists(dir / "a.txt.tmp"));
}

TEST_CASE("write_file_atomic: a failure names the path and the reason, and changes nothing") {
    const fs::path dir = fresh_dir("atomic-errors");
    std::ofstream(dir / "plain") << "x";
    CHECK(error_of([&] { llmcap::write_file_atomic(dir / "plain" / "a.txt", "x"); }) ==
          "cannot write " + (dir / "plain" / "a.txt").string() + ": Not a directory");
    CHECK(error_of([&] { llmcap::write_file_atomic(dir / "missing" / "a.txt", "x"); }) ==
          "cannot write " + (dir / "missing" / "a.txt").string() + ": No such file or directory");
    // A directory in the file's place: the temporary file is written, the rename fails, and
    // the temporary file is removed again.
    fs::create_directories(dir / "taken" / "inner");
    CHECK(error_of([&] { llmcap::write_file_atomic(dir / "taken", "x"); }) ==
          "cannot write " + (dir / "taken").string() + ": Is a directory");
    CHECK_FALSE(fs::exists(dir / "taken.tmp"));
    CHECK(fs::is_directory(dir / "taken" / "inner"));
}

TEST_CASE("line_appender: appends lines; a full disk says so") {
    const fs::path dir = fresh_dir("append");
    {
        llmcap::line_appender a(dir / "log.jsonl", true);
        a.append("{\"n\":1}");
        a.append("{\"n\":2}");
    }
    {
        llmcap::line_appender a(dir / "log.jsonl", false);
        a.append("{\"n\":3}");
    }
    CHECK(read_file(dir / "log.jsonl") == "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
    if (fs::exists("/dev/full")) { // every write to it fails as a full disk does
        llmcap::line_appender full("/dev/full", false);
        CHECK(error_of([&] { full.append("{}"); }) ==
              "cannot append to /dev/full: No space left on device");
    }
    llmcap::line_appender closed;
    CHECK(error_of([&] { closed.append("{}"); }).ends_with(": Bad file descriptor"));
    CHECK(error_of([&] { llmcap::line_appender(dir / "no" / "such.jsonl", true); }) ==
          "cannot open " + (dir / "no" / "such.jsonl").string() + ": No such file or directory");
}

TEST_CASE("ensure_writable_directory: creates a missing directory; refuses a file") {
    const fs::path dir = fresh_dir("dirs");
    llmcap::ensure_writable_directory(dir / "a" / "b");
    CHECK(fs::is_directory(dir / "a" / "b"));
    std::ofstream(dir / "file") << "x";
    CHECK(error_of([&] { llmcap::ensure_writable_directory(dir / "file"); }) ==
          "cannot write into " + (dir / "file").string() + ": Not a directory");
    CHECK(error_of([&] {
              llmcap::ensure_writable_directory(dir / "file" / "sub");
          }).starts_with("cannot create directory " + (dir / "file" / "sub").string() + ": "));
}
