# What `cmake --install` puts in place: the libraries under Warren:: names, their headers, a
# CMake package (find_package(Warren)), a pkg-config file (warren.pc) and the two programs.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Library target -> the name a consumer links (Warren::<name>). Internal targets that the
# public ones link are installed too, since they are static.
set(WARREN_INSTALLED_LIBRARIES
  warren_common warren_grpc_connect warren_proto warren_grpc_proto
  warren_raft_core warren_raft_log warren_raft_transport warren_raft_grpc_transport
  warren_statemachine warren_raft_server warren_raft_client
  warren_metastore warren_metastore_client warren_recipes)
foreach(target ${WARREN_INSTALLED_LIBRARIES})
  string(REGEX REPLACE "^warren_" "" name ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
endforeach()

# Warren::raft: everything a program that embeds the Raft runtime under its own state machine
# links — the server, its gRPC transport and the client.
add_library(warren_raft INTERFACE)
target_link_libraries(warren_raft INTERFACE warren_raft_server warren_raft_client)
set_target_properties(warren_raft PROPERTIES EXPORT_NAME raft)
add_library(Warren::raft ALIAS warren_raft)

# Two components, packaged apart (cmake/package.cmake): `server` (the programs) and `dev`
# (what a program that embeds Warren builds against).
install(TARGETS ${WARREN_INSTALLED_LIBRARIES} warren_raft EXPORT WarrenTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(TARGETS warrend warren RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)

# Headers keep their source paths ("raft/server/raft_server.h") under include/warren. The
# server's and the ZooKeeper port's internals are not part of the library.
install(DIRECTORY common raft statemachine metastore
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/warren
  COMPONENT dev
  FILES_MATCHING PATTERN "*.h"
  REGEX "metastore/(server|cli|zookeeper)$" EXCLUDE)
install(DIRECTORY proto/ ${PROJECT_BINARY_DIR}/gen/proto/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/warren/proto COMPONENT dev
  FILES_MATCHING PATTERN "*.proto" PATTERN "*.pb.h")

set(WARREN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Warren)
install(EXPORT WarrenTargets NAMESPACE Warren:: DESTINATION ${WARREN_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(cmake/WarrenConfig.cmake.in
  ${CMAKE_BINARY_DIR}/WarrenConfig.cmake INSTALL_DESTINATION ${WARREN_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/WarrenConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/WarrenConfig.cmake ${CMAKE_BINARY_DIR}/WarrenConfigVersion.cmake
  DESTINATION ${WARREN_CMAKE_DIR} COMPONENT dev)

# warren.pc finds the prefix from where it lies, so the installed tree can be moved.
file(RELATIVE_PATH WARREN_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" WARREN_PC_TO_PREFIX "${WARREN_PC_TO_PREFIX}")
configure_file(cmake/warren.pc.in ${CMAKE_BINARY_DIR}/warren.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/warren.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)
