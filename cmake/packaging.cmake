# SPDX-License-Identifier: MIT
# The Debian package: `cpack` in a build directory writes rtlab_<version>_<arch>.deb with what
# `cmake --install` installs (the three programs and rtlab-bench, the icon, the .desktop file, the
# licence). The test command builds and checks it (tests/scripts/checkpackage.sh).
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rtlab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "rtlab")
set(CPACK_PACKAGE_CONTACT "rtlab maintainers <maintainers@users.noreply.r-seed-499d5fbd.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "${PROJECT_DESCRIPTION}\n rtlab shows the three real-time transports of the web side by side on one\n server: the desktop client (rtlab), the server (rtlab-server), a command-line\n client (rtlab-cli) and the load generator the lessons use (rtlab-bench).")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# The shared libraries come from dpkg-shlibdeps (dpkg-dev). Qt loads its platform plugin at run
# time, which shlibdeps cannot see, and libqt6gui6 only recommends it: without qt6-qpa-plugins an
# install with --no-install-recommends could not open rtlab's window.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "qt6-qpa-plugins")
include(CPack)
