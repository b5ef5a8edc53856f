// Marching cubes / marching squares on a binary field at level 0.5: every vertex is an edge midpoint, so each cell
// configuration has a fixed surface. Per configuration: its area (length in 2D) and the area vectors (area x unit
// normal) of its triangles (segments), from which surface area and intercept densities follow by counting cells.
#pragma once
#include <array>
#include <string>

namespace mr {
namespace stats {

struct MeshCase {
  double area = 0;
  int parts = 0;                                 // triangles (3D) or segments (2D)
  std::array<std::array<double, 3>, 5> vec{};    // area vectors (x, y, z); orientation arbitrary
};

// Case index bit i = corner i is in the phase. 3D corners (x, y, z): 0 (0,0,0) 1 (1,0,0) 2 (1,1,0) 3 (0,1,0)
// 4 (0,0,1) 5 (1,0,1) 6 (1,1,1) 7 (0,1,1). 2D corners (x, y): 0 (0,0) 1 (1,0) 2 (1,1) 3 (0,1).
const MeshCase* mc_cases();  // 256
const MeshCase* ms_cases();  // 16

// Consistency of the triangle table (each case cuts exactly the edges whose corners differ; every interior mesh
// edge is shared by two triangles). Empty when fine, else what is wrong (for native/tests).
std::string mc_table_check();

}  // namespace stats
}  // namespace mr
