# One precompiled header for every gtest program: they are most of the build, and each spent
# half its compile time parsing the same gtest, gRPC and protobuf headers. Programs reuse the
# header compiled once for warren_test_pch; a program whose flags differ from it is compiled
# without it (GCC falls back to the headers themselves), so this changes speed, never results.
add_library(warren_test_pch STATIC ${PROJECT_SOURCE_DIR}/tests/common/test_pch.cc)
target_link_libraries(warren_test_pch PUBLIC warren_grpc_proto GTest::gmock GTest::gtest
  absl::statusor absl::strings glog::glog)
target_precompile_headers(warren_test_pch PRIVATE ${PROJECT_SOURCE_DIR}/tests/common/test_pch.h)
set_target_properties(warren_test_pch PROPERTIES UNITY_BUILD OFF)

# The executables and libraries under `dir` that link gtest directly.
function(warren_gtest_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  set(found)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(type MATCHES "EXECUTABLE|STATIC_LIBRARY" AND libs MATCHES "GTest::" AND
       NOT t STREQUAL warren_test_pch)
      list(APPEND found ${t})
    endif()
  endforeach()
  foreach(d ${subdirs})
    warren_gtest_targets(${d} more)
    list(APPEND found ${more})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

function(warren_use_test_pch)
  warren_gtest_targets(${PROJECT_SOURCE_DIR} targets)
  foreach(t ${targets})
    # Linking it gives the program the header's include paths and the same definitions, which
    # GCC requires before it will use a precompiled header.
    target_link_libraries(${t} PRIVATE warren_test_pch)
    target_precompile_headers(${t} REUSE_FROM warren_test_pch)
  endforeach()
endfunction()
