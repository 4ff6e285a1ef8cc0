// Compiles tests/common/test_pch.h once; every gtest program reuses it (cmake/test_pch.cmake).
