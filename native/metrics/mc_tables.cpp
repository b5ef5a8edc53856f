#include "metrics/mc_tables.h"

#include <cmath>
#include <map>
#include <utility>

namespace mr {
namespace stats {

namespace {

// The classic marching-cubes triangulation (Lorensen & Cline 1987 as tabulated by P. Bourke, public domain),
// re-encoded: one string per configuration, three hex digits (edge numbers 0..b) per triangle. Here a set bit of
// the index means the corner is OUTSIDE the phase (value below the level), as in that table.
const char* const kTri[256] = {
    "", "083", "019", "183981", "12a", "08312a", "92a029", "2832a8a98", "3b2", "0b28b0", "19023b", "1b219b98b",
    "3a1ba3", "0a108a8ba", "3903b9ba9", "98aa8b", "478", "430734", "019847", "419471731", "12a847", "34730412a",
    "92a902847", "2a9297273794", "8473b2", "b47b24204", "90184723b", "47b94b9b2921", "3a13ba784", "1ba14b1047b4",
    "47890b9bab03", "47b4b99ba", "954", "954083", "054150", "854835315", "12a954", "30812a495", "52a542402",
    "2a5325354348", "95423b", "0b208b495", "05401523b", "21525828b485", "a3ba13954", "4950818a18ba",
    "54050b5bab03", "54858aa8b", "978579", "930953573", "078017157", "153357", "978957a12", "a12950530573",
    "802825857a52", "2a5253357", "7957893b2", "95797292027b", "23b018178157", "b21b17715", "958857a13a3b",
    "5705097b010aba0", "ba0b03a50807570", "ba57b5", "a65", "0835a6", "9015a6", "1831985a6", "165261", "165126308",
    "965906026", "598582526328", "23ba65", "b08b20a65", "01923b5a6", "5a61929b298b", "63b653513", "08b0b50515b6",
    "3b6036065059", "65969bb98", "5a6478", "43047365a", "1905a6847", "a65197173794", "612651478", "125526304347",
    "847905065026", "739794329596269", "3b2784a65", "5a647242027b", "01947823b5a6", "9219b294b7b45a6",
    "8473b53515b6", "51b5b610b7b404b", "059065036b63847", "65969b4797b9", "a4964a", "4a649a083", "a01a60640",
    "83181686461a", "149124264", "308129249264", "024426", "832824426", "a49a64b23", "08228b49a4a6",
    "3b201606461a", "64161a48121b8b1", "964936913b63", "8b1810b61914641", "3b6360064", "648b68", "7a678a89a",
    "0730a709a67a", "a671a7178180", "a67a71173", "126168189867", "269291679093739", "780706602", "732672",
    "23ba68a89867", "20727b09767a9a7", "1801781a767a23b", "b21b17a61671", "896867916b63136", "091b67",
    "7807063b0b60", "7b6", "76b", "308b76", "019b76", "819831b76", "a126b7", "12a3086b7", "2902a96b7",
    "6b72a3a83a98", "723627", "708760620", "276237019", "162186198876", "a76a17137", "a7617a187108",
    "03707a0a96a7", "76a7a88a9", "684b86", "36b306046", "86b846901", "946963931b36", "6846b82a1",
    "12a30b06b046", "4b846b0292a9", "a93a32943b36463", "823842462", "042462", "190234246438", "194142246",
    "8138618466a1", "a10a06604", "4634386a3039a93", "a946a4", "49576b", "083495b76", "50154076b",
    "b76834354315", "954a1276b", "6b712a083495", "76b54a42a402", "348354325a52b76", "723762549",
    "954086062687", "362376150540", "628687218485158", "954a16176137", "16a176107870954", "40a4a503a6a737a",
    "76a7a854a48a", "6956b9b89", "36b063056095", "0b805b01556b", "6b3635531", "12a95b9b8b56",
    "0b306b09656912a", "b85b56805a52025", "6b36352a3a53", "589528562382", "956960062", "158180568382628",
    "156216", "13616a386569896", "a10a06950560", "03856a", "a56", "b5a75b", "b5ab75830", "5b75ab190",
    "a75ab7981831", "b12b71751", "08312717572b", "9759279022b7", "75272b592328982", "25a235375",
    "820852875a25", "9015a35373a2", "982921872a25752", "135375", "087071175", "903935537", "987597",
    "5845a8ab8", "5045b05abb30", "01984a8aba45", "ab4a45b34941314", "2512852b8458", "04b0b345b2b151b",
    "0250592b5458b85", "9452b3", "25a352345384", "5a2524420", "3a235a385458019", "5a2524192942", "845853351",
    "045105", "845853905035", "945", "4b749b9ab", "0834979b79ab", "1ab1b414074b", "3143481a474bab4",
    "4b79b492b912", "9749b791b2b1083", "b74b42240", "b74b42834324", "29a279237749", "9a7974a27870207",
    "37a3a274a1a040a", "1a2874", "491417713", "491417081871", "403743", "487", "9a8ab8", "30939bb9a",
    "01a0a88ab", "31ab3a", "12b1b99b8", "30939b1292b9", "02b80b", "32b", "23828aa89", "9a2092", "23828a0181a8",
    "1a2", "138918", "091", "038", ""};

const int kCorner[8][3] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}};
const int kEdge[12][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {4, 5}, {5, 6}, {6, 7}, {7, 4}, {0, 4}, {1, 5}, {2, 6}, {3, 7}};

int hex(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

std::array<double, 3> midpoint(int e) {
  const int* a = kCorner[kEdge[e][0]];
  const int* b = kCorner[kEdge[e][1]];
  return {0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1]), 0.5 * (a[2] + b[2])};
}

std::array<MeshCase, 256> build3d() {
  std::array<MeshCase, 256> t{};
  for (int cfg = 0; cfg < 256; ++cfg) {
    const char* s = kTri[cfg ^ 0xff];  // our bit = in the phase; the table's bit = outside it
    MeshCase& m = t[cfg];
    for (int i = 0; s[i]; i += 3) {
      auto p = midpoint(hex(s[i])), q = midpoint(hex(s[i + 1])), r = midpoint(hex(s[i + 2]));
      const double u[3] = {q[0] - p[0], q[1] - p[1], q[2] - p[2]};
      const double v[3] = {r[0] - p[0], r[1] - p[1], r[2] - p[2]};
      std::array<double, 3> c = {0.5 * (u[1] * v[2] - u[2] * v[1]), 0.5 * (u[2] * v[0] - u[0] * v[2]),
                                 0.5 * (u[0] * v[1] - u[1] * v[0])};
      m.area += std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
      m.vec[m.parts++] = c;
    }
  }
  return t;
}

// Marching squares segments between edge midpoints e0 (x, 0), e1 (1, y), e2 (x, 1), e3 (0, y); saddles keep the
// two phase corners connected (8-connectivity, as the Euler characteristic).
std::array<MeshCase, 16> build2d() {
  const double mid[4][2] = {{0.5, 0}, {1, 0.5}, {0.5, 1}, {0, 0.5}};
  const char* const seg[16] = {"", "30", "01", "31", "12", "0123", "02", "32",
                               "23", "02", "3012", "12", "13", "01", "30", ""};
  std::array<MeshCase, 16> t{};
  for (int cfg = 0; cfg < 16; ++cfg) {
    MeshCase& m = t[cfg];
    for (int i = 0; seg[cfg][i]; i += 2) {
      const double* a = mid[seg[cfg][i] - '0'];
      const double* b = mid[seg[cfg][i + 1] - '0'];
      const double dx = b[0] - a[0], dy = b[1] - a[1];
      m.area += std::sqrt(dx * dx + dy * dy);
      m.vec[m.parts++] = {dy, -dx, 0.0};  // the segment rotated by 90 degrees: length x unit normal
    }
  }
  return t;
}

}  // namespace

const MeshCase* mc_cases() {
  static const std::array<MeshCase, 256> t = build3d();
  return t.data();
}

const MeshCase* ms_cases() {
  static const std::array<MeshCase, 16> t = build2d();
  return t.data();
}

std::string mc_table_check() {
  for (int idx = 0; idx < 256; ++idx) {
    const char* s = kTri[idx];
    int len = 0;
    while (s[len]) ++len;
    if (len % 3 != 0 || len > 15) return "case " + std::to_string(idx) + ": bad length";
    int cut = 0, used = 0;
    for (int e = 0; e < 12; ++e)
      if (((idx >> kEdge[e][0]) & 1) != ((idx >> kEdge[e][1]) & 1)) cut |= 1 << e;
    std::map<std::pair<int, int>, int> edges;
    for (int i = 0; i < len; i += 3) {
      int v[3] = {hex(s[i]), hex(s[i + 1]), hex(s[i + 2])};
      for (int k = 0; k < 3; ++k) {
        if (v[k] < 0 || v[k] > 11) return "case " + std::to_string(idx) + ": bad edge";
        used |= 1 << v[k];
        int a = v[k], b = v[(k + 1) % 3];
        if (a == b) return "case " + std::to_string(idx) + ": degenerate triangle";
        ++edges[{std::min(a, b), std::max(a, b)}];
      }
    }
    if (used != cut) return "case " + std::to_string(idx) + ": uses edges that are not cut (or misses some)";
    // A mesh edge between two cut edges on the same cube face lies on that face (used once); any other is inside
    // the cube and must be shared by two triangles.
    for (auto& [key, count] : edges) {
      auto pa = midpoint(key.first), pb = midpoint(key.second);
      bool on_face = false;
      for (int ax = 0; ax < 3; ++ax)
        if (pa[ax] == pb[ax] && (pa[ax] == 0 || pa[ax] == 1)) on_face = true;
      if (on_face ? count != 1 : count != 2)
        return "case " + std::to_string(idx) + ": mesh edge " + std::to_string(key.first) + "-" +
               std::to_string(key.second) + " used " + std::to_string(count) + " times";
    }
  }
  return "";
}

}  // namespace stats
}  // namespace mr
