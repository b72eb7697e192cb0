# Every dependency comes from Debian packages (cmake/install-deps.sh); nothing is downloaded.

find_package(PkgConfig REQUIRED)
# Debian ships only simgrid.pc; upstream's FindSimGrid.cmake forces C++14, so it is not used.
pkg_check_modules(SIMGRID REQUIRED IMPORTED_TARGET simgrid>=3.32)
add_library(rapture::simgrid ALIAS PkgConfig::SIMGRID)

find_package(Boost 1.74 REQUIRED COMPONENTS graph)
find_package(TBB REQUIRED)
# HL provides the dimension-scale API (H5DS) that labels the results file's axes.
find_package(HDF5 REQUIRED COMPONENTS C HL)
find_package(CLI11 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_path(PCG_INCLUDE_DIR pcg_random.hpp REQUIRED)
add_library(rapture_pcg INTERFACE)
target_include_directories(rapture_pcg SYSTEM INTERFACE ${PCG_INCLUDE_DIR})
add_library(rapture::pcg ALIAS rapture_pcg)

add_library(rapture_hdf5 INTERFACE)
target_include_directories(rapture_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS})
target_link_libraries(rapture_hdf5 INTERFACE ${HDF5_C_HL_LIBRARIES} ${HDF5_C_LIBRARIES})
target_compile_definitions(rapture_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})
add_library(rapture::hdf5 ALIAS rapture_hdf5)
