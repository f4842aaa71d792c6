// Fuzzes the readers of a server's plain answers: the /tokenize body
// (workload::parse_tokenize_response, vLLM/SGLang and llama.cpp shapes), dialect detection from
// the /v1/models body, the /version body and the Server header (openai::detect_dialect, and
// through it the model list, max_model_len and the version compared by compare_versions), the
// note on a model /v1/models does not list, and error bodies (openai::parse_error_body,
// describe_error_response).
// Checks: none throws; a token count or an error naming /tokenize, never both; a detected
// dialect states its evidence, its first model id leads the id list, and detection is a pure
// function of its input; versions compare equal to themselves and antisymmetrically; a model
// among the ids gets no note, another gets one naming it; an error description starts with the
// status and holds at most 512 bytes of a body it could not read (plus the text around it).
// Input layout: byte 0 the HTTP status of the error body, then the text; for detect_dialect the
// text is split at its first two NUL bytes into the /v1/models body, the /version body and the
// Server header.
#include <llmcap/openai/dialect.hpp>
#include <llmcap/openai/error_body.hpp>
#include <llmcap/workload/token_counter.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

// The part of `text` before the next NUL byte, which is dropped.
std::string_view next_part(std::string_view& text) {
    const std::size_t nul = text.find('\0');
    const std::string_view part = text.substr(0, nul);
    text.remove_prefix(nul == std::string_view::npos ? text.size() : nul + 1);
    return part;
}

bool same(const llmcap::openai::dialect_info& a, const llmcap::openai::dialect_info& b) {
    return a.kind == b.kind && a.version == b.version && a.model_id == b.model_id &&
           a.model_ids == b.model_ids && a.max_model_len == b.max_model_len &&
           a.evidence == b.evidence;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace llmcap;
    if (size < 1)
        return 0;
    const int status = 100 + data[0] * 2; // 100-610: every class, and some no server sends
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

    // /tokenize
    const workload::count_result count = workload::parse_tokenize_response(text);
    FUZZ_CHECK(count.tokens.has_value() == count.error.empty(), "both a count and an error");
    FUZZ_CHECK(count.error.empty() || count.error.rfind("tokenize: ", 0) == 0,
               "an error that does not name /tokenize");

    // /v1/models, /version, Server
    std::string_view rest = text;
    const std::string_view models = next_part(rest);
    const std::string_view version = next_part(rest);
    const std::string_view server = rest;
    const openai::dialect_info info = openai::detect_dialect(models, version, server);
    FUZZ_CHECK(!info.evidence.empty(), "a dialect without evidence");
    FUZZ_CHECK(info.model_id.empty() ||
                   (!info.model_ids.empty() && info.model_ids[0] == info.model_id),
               "the first model id is not the first listed");
    FUZZ_CHECK(same(openai::detect_dialect(models, version, server), info),
               "detection is not a function of its input");
    FUZZ_CHECK(openai::compare_versions(info.version, info.version) == 0,
               "a version does not equal itself");
    FUZZ_CHECK(openai::compare_versions(info.version, server) ==
                   -openai::compare_versions(server, info.version),
               "version comparison is not antisymmetric");
    (void)openai::extensions_of(info.kind, info.version);
    for (const std::string& id : info.model_ids)
        FUZZ_CHECK(openai::unlisted_model_note(info.model_ids, id).empty(),
                   "a listed model gets a note");
    const std::string absent = "fuzz-model-" + std::to_string(info.model_ids.size());
    bool listed = false;
    for (const std::string& id : info.model_ids)
        listed = listed || id == absent;
    const std::string note = openai::unlisted_model_note(info.model_ids, absent);
    FUZZ_CHECK(listed || info.model_ids.empty() || note.find(absent) != std::string::npos,
               "an unlisted model gets no note naming it");

    // Error bodies
    const std::string described = openai::describe_error_response(status, text);
    const std::string head = "HTTP " + std::to_string(status);
    FUZZ_CHECK(described.rfind(head, 0) == 0, "an error description without its status");
    if (!openai::parse_error_body(text))
        FUZZ_CHECK(described.size() <= head.size() + 2 + 512 + 3,
                   "an unreadable error body is not cut at 512 bytes");
    return 0;
}
