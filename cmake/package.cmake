# `cpack -G DEB` in the build directory makes two Debian packages:
#   warren         warrend and warren in /usr/bin, a systemd unit running warrend as the user
#                  `warren` with /etc/warren/warrend.conf, its data in /var/lib/warren, the docs
#   libwarren-dev  the libraries, headers, CMake package and warren.pc (cmake --install's dev part)
# The service's files live outside the prefix, so they are installed only into the package,
# never by a plain `cmake --install`.
install(FILES packaging/warrend.conf DESTINATION /etc/warren COMPONENT server EXCLUDE_FROM_ALL)
install(FILES packaging/warrend.service DESTINATION /lib/systemd/system
  COMPONENT server EXCLUDE_FROM_ALL)
install(DIRECTORY docs/ DESTINATION share/doc/warren COMPONENT server EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME warren)
set(CPACK_PACKAGE_VENDOR Warren)
set(CPACK_PACKAGE_CONTACT "Warren developers <warren@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Raft-replicated ZooKeeper-like metadata store for BookKeeper, Kafka and Flink")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the line tables stay in the build; the package ships programs
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps names the shared libraries needed
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME warren)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION database)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "passwd")  # useradd, for the service's user
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/prerm
  ${PROJECT_SOURCE_DIR}/packaging/postrm ${PROJECT_SOURCE_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_SERVER_DESCRIPTION
  "warrend serves a znode tree replicated by Raft, over gRPC and ZooKeeper's client protocol;\n warren is its command line. A systemd unit runs warrend as the user warren.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libwarren-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libgrpc++-dev, libprotobuf-dev, protobuf-compiler, libabsl-dev, libgoogle-glog-dev, librocksdb-dev, libssl-dev")
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "Warren's Raft library and metastore client: static libraries and headers.\n Build against them with find_package(Warren) or pkg-config warren.")
include(CPack)
