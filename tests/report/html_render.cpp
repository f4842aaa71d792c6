// Renders report.html in headless Chromium: every chart must be in the rendered DOM and the
// screenshot must show a page, not a blank, with the simulated banner across its top under
// any fonts. Skips (with a message) where Chromium is absent.
#include <llmcap/report/html_reporter.hpp>
#include <llmcap/report/write_reports.hpp>

#include <boost/beast/zlib/error.hpp>
#include <boost/beast/zlib/inflate_stream.hpp>

#include <doctest/doctest.h>

#include "sample_result.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::optional<std::string> find_chromium() {
    for (const char* dir : {"/usr/bin", "/usr/local/bin", "/snap/bin"})
        for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
            const fs::path p = fs::path(dir) / name;
            if (fs::exists(p))
                return p.string();
        }
    return std::nullopt;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs Chromium headless on `page` with extra arguments, bounded by `timeout` seconds, its
// output going to `out`. Returns the exit status.
int run_chromium(const std::string& chromium, const fs::path& page, const fs::path& work,
                 const std::string& args, const fs::path& out) {
    const fs::path profile = work / ("profile-" + std::to_string(std::rand()));
    const std::string cmd =
        "timeout 120 " + chromium +
        " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
        " --disable-background-networking --disable-component-update --disable-sync"
        " --user-data-dir='" +
        profile.string() + "' " + args + " 'file://" + page.string() + "' > '" + out.string() +
        "' 2> '" + (work / "chromium.log").string() + "'";
    return std::system(cmd.c_str());
}

std::uint32_t be32(const std::string& s, std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

struct image {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::size_t channels = 0;
    std::vector<unsigned char> pixels; // rows of width × channels bytes
};

// Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes).
image decode_png(const std::string& png) {
    image img;
    REQUIRE(png.size() > 8);
    REQUIRE(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
    std::string idat;
    for (std::size_t at = 8; at + 8 <= png.size();) {
        const std::uint32_t length = be32(png, at);
        const std::string type = png.substr(at + 4, 4);
        if (type == "IHDR") {
            img.width = be32(png, at + 8);
            img.height = be32(png, at + 12);
            const int depth = static_cast<unsigned char>(png[at + 16]);
            const int colour = static_cast<unsigned char>(png[at + 17]);
            REQUIRE(depth == 8);
            REQUIRE((colour == 2 || colour == 6));
            REQUIRE(png[at + 20] == 0); // not interlaced
            img.channels = colour == 2 ? 3 : 4;
        } else if (type == "IDAT") {
            idat += png.substr(at + 8, length);
        }
        at += 12 + length;
    }
    REQUIRE(idat.size() > 2);
    const std::size_t stride = img.width * img.channels;
    std::vector<unsigned char> raw(img.height * (stride + 1));
    boost::beast::zlib::inflate_stream inflater;
    boost::beast::zlib::z_params zs;
    zs.next_in = idat.data() + 2; // skip the zlib header: the inflater reads raw deflate
    zs.avail_in = idat.size() - 2;
    zs.next_out = raw.data();
    zs.avail_out = raw.size();
    boost::system::error_code ec;
    while (zs.avail_out > 0) {
        inflater.write(zs, boost::beast::zlib::Flush::sync, ec);
        if (ec)
            break;
    }
    REQUIRE_MESSAGE((!ec || ec == boost::beast::zlib::error::end_of_stream), ec.message());
    REQUIRE(zs.avail_out == 0);
    img.pixels.assign(img.height * stride, 0);
    const std::size_t bpp = img.channels;
    for (std::size_t y = 0; y < img.height; ++y) {
        const unsigned char filter = raw[y * (stride + 1)];
        const unsigned char* in = &raw[y * (stride + 1) + 1];
        unsigned char* row = &img.pixels[y * stride];
        const unsigned char* up = y > 0 ? &img.pixels[(y - 1) * stride] : nullptr;
        for (std::size_t x = 0; x < stride; ++x) {
            const int a = x >= bpp ? row[x - bpp] : 0;
            const int b = up ? up[x] : 0;
            const int c = (up && x >= bpp) ? up[x - bpp] : 0;
            int predicted = 0;
            switch (filter) {
            case 0:
                predicted = 0;
                break;
            case 1:
                predicted = a;
                break;
            case 2:
                predicted = b;
                break;
            case 3:
                predicted = (a + b) / 2;
                break;
            case 4: {
                const int p = a + b - c;
                const int pa = std::abs(p - a);
                const int pb = std::abs(p - b);
                const int pc = std::abs(p - c);
                predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                break;
            }
            default:
                FAIL("unknown PNG filter " << int(filter));
            }
            row[x] = static_cast<unsigned char>((in[x] + predicted) & 0xff);
        }
    }
    return img;
}

// Takes a 1200 × 3000 screenshot of `page` and decodes it.
image screenshot(const std::string& chromium, const fs::path& page, const fs::path& work,
                 const std::string& name) {
    const fs::path png = work / (name + ".png");
    REQUIRE(run_chromium(chromium, page, work,
                         "--hide-scrollbars --window-size=1200,3000 --screenshot='" + png.string() +
                             "'",
                         work / (name + ".log")) == 0);
    return decode_png(read_file(png));
}

// The report's warning red (#B00020), allowing for anti-aliasing and colour management.
bool banner_red(const image& img, std::size_t x, std::size_t y) {
    const unsigned char* p = &img.pixels[(y * img.width + x) * img.channels];
    return p[0] > 140 && p[1] < 70 && p[2] < 90;
}

double red_fraction(const image& img, std::size_t y) {
    std::size_t red = 0;
    for (std::size_t x = 0; x < img.width; ++x)
        if (banner_red(img, x, y))
            ++red;
    return static_cast<double>(red) / img.width;
}

// A simulated result's banner: a red band across the full width at the top of the page,
// wherever its white text falls and however wide the font's letters are. The band is the run
// of rows that are mostly red; its first row is padding above the text, so entirely red.
void check_banner(const image& img, const std::string& variant) {
    INFO("variant: " << variant);
    REQUIRE(img.height > 200);
    std::size_t band = 0;
    double red = 0.0;
    while (band < 200 && red_fraction(img, band) >= 0.5)
        red += red_fraction(img, band++);
    CHECK_MESSAGE(red_fraction(img, 0) > 0.95, "top row red fraction " << red_fraction(img, 0));
    CHECK_MESSAGE(band >= 12, "banner height " << band << " px");
    CHECK_MESSAGE(band < 120, "banner height " << band << " px");
    if (band > 0)
        CHECK_MESSAGE(red / static_cast<double>(band) > 0.75,
                      "banner red fraction " << red / static_cast<double>(band));
    // Below the band the page is mostly not red.
    CHECK(red_fraction(img, band + 40) < 0.5);
}

} // namespace

TEST_CASE("html_reporter: Chromium renders every chart and a non-blank page") {
    const std::optional<std::string> chromium = find_chromium();
    if (!chromium) {
        MESSAGE("skipped: Chromium is not installed (Debian: apt-get install chromium)");
        return;
    }
    const fs::path work = fs::temp_directory_path() / "llmcap_test_html_render";
    fs::remove_all(work);
    fs::create_directories(work);
    const llmcap::sweep::sweep_result result = llmcap::test::sample_result();
    llmcap::report::write_report(llmcap::report::html_reporter{}, result, work);
    const fs::path page = work / "report.html";
    const std::string html = read_file(page);

    // Every chart of the page, by id, as the reporter wrote it.
    std::vector<std::string> ids;
    const std::string marker = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"";
    for (std::size_t at = html.find(marker); at != std::string::npos;
         at = html.find(marker, at + 1)) {
        const std::size_t begin = at + marker.size();
        ids.push_back(html.substr(begin, html.find('"', begin) - begin));
    }
    CHECK(ids.size() >= 13);

    // The DOM after Chromium parsed and laid out the page holds every chart.
    REQUIRE(run_chromium(*chromium, page, work, "--dump-dom", work / "dom.html") == 0);
    const std::string dom = read_file(work / "dom.html");
    CHECK(dom.find("</html>") != std::string::npos);
    for (const std::string& id : ids)
        CHECK_MESSAGE(dom.find("id=\"" + id + "\"") != std::string::npos, id);

    // The screenshot shows content: many pixels differ from the background and the chart
    // colours are there.
    const image img = screenshot(*chromium, page, work, "page");
    CHECK(img.width == 1200);
    CHECK(img.height == 3000);
    std::size_t differing = 0;
    std::set<std::uint32_t> colours;
    for (std::size_t i = 0; i + img.channels <= img.pixels.size(); i += img.channels) {
        const std::uint32_t rgb = (std::uint32_t{img.pixels[i]} << 16) |
                                  (std::uint32_t{img.pixels[i + 1]} << 8) | img.pixels[i + 2];
        if (rgb != 0xffffffu)
            ++differing;
        if (colours.size() < 4096)
            colours.insert(rgb);
    }
    const double fraction =
        static_cast<double>(differing) / (static_cast<double>(img.width) * img.height);
    CHECK_MESSAGE(fraction > 0.02, "non-white fraction " << fraction);
    CHECK_MESSAGE(colours.size() > 16, "distinct colours " << colours.size());
    check_banner(img, "default fonts");

    // The banner check holds whatever the fonts' widths and wherever the banner text sits:
    // the same page with other families, alignments and sizes forced over the stylesheet.
    const std::pair<const char*, const char*> variants[] = {
        {"monospace", "* { font-family: monospace !important; }"},
        {"serif, left-aligned, spaced",
         "* { font-family: serif !important; } .watermark { text-align: left !important; "
         "letter-spacing: 4px !important; }"},
        {"sans, right-aligned, large",
         "* { font-family: sans-serif !important; } .watermark { text-align: right !important; "
         "font-size: 19px !important; }"},
    };
    int n = 0;
    for (const auto& [name, css] : variants) {
        const fs::path variant = work / ("variant-" + std::to_string(n) + ".html");
        std::string forced = html;
        const std::size_t head = forced.find("</head>");
        REQUIRE(head != std::string::npos);
        forced.insert(head, std::string("<style>") + css + "</style>");
        std::ofstream(variant, std::ios::binary) << forced;
        check_banner(screenshot(*chromium, variant, work, "variant-" + std::to_string(n)), name);
        ++n;
    }
    fs::remove_all(work);
}
